//! Addresses of accounts and actors, in Filecoin's format.
//!
//! An [`Address`] has a protocol and a payload:
//!
//! | protocol | variant | payload |
//! |---|---|---|
//! | 0 | [`Address::Id`] | the actor's numeric ID |
//! | 1 | [`Address::Ed25519`] | BLAKE2b-160 of an ed25519 public key (32 bytes) |
//! | 2 | [`Address::Actor`] | BLAKE2b-160 of a seed chosen by the actor's creator |
//! | 3 | [`Address::Bls`] | a BLS12-381 public key (48 bytes, compressed G1) |
//!
//! **Departure from Filecoin:** Filecoin's protocol 1 is secp256k1 (BLAKE2b-160 of the 65-byte
//! uncompressed key). Flowcoin signs with ed25519 instead and puts the hash of the ed25519 key
//! under the same protocol number; the text and byte forms are unchanged, so a Filecoin `f1…`
//! string parses, but it names a different key type.
//!
//! Two forms:
//!
//! - **on chain** ([`Address::to_bytes`]): protocol byte ‖ payload, the ID as a minimal unsigned
//!   LEB128 varint;
//! - **text** ([`Address::display`], [`NetworkAddress`]'s `FromStr`): network prefix (`f` on
//!   mainnet, `t` on the devnet) ‖ protocol digit ‖ the ID in decimal, or for the other
//!   protocols base32 (RFC 4648, lowercase, unpadded) of payload ‖ checksum, where the checksum
//!   is BLAKE2b with a 4-byte output over protocol byte ‖ payload.
//!
//! Both decoders accept only the canonical form (no leading zeros in IDs, no non-minimal
//! varints, no uppercase or padded base32), so an address has one text and one byte string.
//! Filecoin's Go decoder is laxer about leading zeros in ID text; every address it writes is
//! canonical and reads here.
//!
//! ```
//! use flowcoin_types::{Address, Network, NetworkAddress};
//!
//! let miner = Address::Id(1024);
//! assert_eq!(miner.display(Network::Mainnet).to_string(), "f01024");
//! assert_eq!(miner.to_bytes(), [0x00, 0x80, 0x08]);
//!
//! let parsed: NetworkAddress = "t01024".parse()?;
//! assert_eq!(parsed, NetworkAddress { network: Network::Devnet, address: miner });
//!
//! let err = Address::from_str_checked("t01024", Network::Mainnet).unwrap_err();
//! assert!(err.to_string().contains("is a devnet address"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;

use blake2::Blake2b;
use blake2::digest::Digest;
use blake2::digest::consts::{U4, U20};

use crate::base32::{self, Base32Error};
use crate::text::bounded;

/// Bytes of a BLAKE2b-160 payload (protocols 1 and 2).
pub const PAYLOAD_HASH_LEN: usize = 20;
/// Bytes of a BLS public key payload (protocol 3).
pub const BLS_PUBLIC_KEY_LEN: usize = 48;
/// Bytes of an ed25519 public key.
pub const ED25519_PUBLIC_KEY_LEN: usize = 32;
/// Bytes of the checksum in the text form.
pub const CHECKSUM_LEN: usize = 4;
/// The most bytes an unsigned LEB128 `u64` takes.
const MAX_VARINT_LEN: usize = 10;
/// The most decimal digits of a `u64`.
const MAX_ID_DIGITS: usize = 20;

/// The network an address's text form is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Network {
    /// The production network, prefix `f`.
    Mainnet,
    /// The development network, prefix `t`.
    Devnet,
}

impl Network {
    /// The character that starts this network's address texts.
    pub const fn prefix(self) -> char {
        match self {
            Self::Mainnet => 'f',
            Self::Devnet => 't',
        }
    }

    /// The network whose addresses start with `prefix`.
    pub const fn from_prefix(prefix: char) -> Option<Self> {
        match prefix {
            'f' => Some(Self::Mainnet),
            't' => Some(Self::Devnet),
            _ => None,
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Mainnet => "mainnet",
            Self::Devnet => "devnet",
        })
    }
}

/// An address protocol: the first byte of the on-chain form, the digit after the prefix in
/// the text form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// 0: numeric actor ID.
    Id,
    /// 1: hash of an ed25519 public key (secp256k1 in Filecoin).
    Ed25519,
    /// 2: hash of an actor-creation seed.
    Actor,
    /// 3: BLS public key.
    Bls,
}

impl Protocol {
    /// The protocol byte (0 to 3).
    pub const fn byte(self) -> u8 {
        match self {
            Self::Id => 0,
            Self::Ed25519 => 1,
            Self::Actor => 2,
            Self::Bls => 3,
        }
    }

    /// The protocol with this byte.
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(Self::Id),
            1 => Some(Self::Ed25519),
            2 => Some(Self::Actor),
            3 => Some(Self::Bls),
            _ => None,
        }
    }

    /// The payload length in bytes, `None` for IDs (a varint of 1 to 10 bytes).
    pub const fn payload_len(self) -> Option<usize> {
        match self {
            Self::Id => None,
            Self::Ed25519 | Self::Actor => Some(PAYLOAD_HASH_LEN),
            Self::Bls => Some(BLS_PUBLIC_KEY_LEN),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Id => "ID (protocol 0)",
            Self::Ed25519 => "ed25519 (protocol 1)",
            Self::Actor => "actor (protocol 2)",
            Self::Bls => "BLS (protocol 3)",
        })
    }
}

/// An account or actor address (see the [module docs](self) for the protocols and forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Address {
    /// Protocol 0: an actor's numeric ID.
    Id(u64),
    /// Protocol 1: BLAKE2b-160 of an ed25519 public key.
    Ed25519([u8; PAYLOAD_HASH_LEN]),
    /// Protocol 2: BLAKE2b-160 of the seed an actor was created from.
    Actor([u8; PAYLOAD_HASH_LEN]),
    /// Protocol 3: a BLS12-381 public key (compressed G1 point).
    Bls([u8; BLS_PUBLIC_KEY_LEN]),
}

/// BLAKE2b with a 160-bit output.
fn blake2b_160(data: &[u8]) -> [u8; PAYLOAD_HASH_LEN] {
    Blake2b::<U20>::digest(data).into()
}

/// The text-form checksum: BLAKE2b-32 over protocol byte ‖ payload.
fn checksum(protocol: Protocol, payload: &[u8]) -> [u8; CHECKSUM_LEN] {
    Blake2b::<U4>::new()
        .chain_update([protocol.byte()])
        .chain_update(payload)
        .finalize()
        .into()
}

impl Address {
    /// The protocol 1 address of an ed25519 public key.
    pub fn from_ed25519_public_key(public_key: &[u8; ED25519_PUBLIC_KEY_LEN]) -> Self {
        Self::Ed25519(blake2b_160(public_key))
    }

    /// The protocol 2 address of an actor created from `seed` (the seed's BLAKE2b-160).
    pub fn new_actor(seed: &[u8]) -> Self {
        Self::Actor(blake2b_160(seed))
    }

    /// The protocol 3 address of a BLS public key (compressed G1, not checked to be on the
    /// curve: that is the crypto crate's job when a signature is verified).
    pub const fn from_bls_public_key(public_key: [u8; BLS_PUBLIC_KEY_LEN]) -> Self {
        Self::Bls(public_key)
    }

    /// The address's protocol.
    pub const fn protocol(&self) -> Protocol {
        match self {
            Self::Id(_) => Protocol::Id,
            Self::Ed25519(_) => Protocol::Ed25519,
            Self::Actor(_) => Protocol::Actor,
            Self::Bls(_) => Protocol::Bls,
        }
    }

    /// The actor ID, if this is an ID address.
    pub const fn id(&self) -> Option<u64> {
        match self {
            Self::Id(id) => Some(*id),
            _ => None,
        }
    }

    /// The payload of a key or actor address (`None` for an ID address).
    fn hash_payload(&self) -> Option<&[u8]> {
        match self {
            Self::Id(_) => None,
            Self::Ed25519(hash) | Self::Actor(hash) => Some(hash),
            Self::Bls(key) => Some(key),
        }
    }

    /// The text form for `network`, through [`NetworkAddress`]'s `Display`.
    pub const fn display(self, network: Network) -> NetworkAddress {
        NetworkAddress {
            network,
            address: self,
        }
    }

    /// Reads the text form and checks that it is written for `expected`.
    pub fn from_str_checked(text: &str, expected: Network) -> Result<Self, AddressParseError> {
        let parsed: NetworkAddress = text.parse()?;
        if parsed.network != expected {
            return Err(AddressParseError::WrongNetwork {
                input: bounded(text),
                expected,
                found: parsed.network,
            });
        }
        Ok(parsed.address)
    }

    /// The on-chain form: protocol byte ‖ payload (the ID as a minimal unsigned LEB128 varint).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(1 + BLS_PUBLIC_KEY_LEN);
        bytes.push(self.protocol().byte());
        match (self, self.hash_payload()) {
            (Self::Id(id), _) => write_varint(*id, &mut bytes),
            (_, Some(payload)) => bytes.extend_from_slice(payload),
            (_, None) => {}
        }
        bytes
    }

    /// Reads the on-chain form written by [`to_bytes`](Self::to_bytes).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AddressBytesError> {
        let (&protocol_byte, payload) = bytes.split_first().ok_or(AddressBytesError::Empty)?;
        let protocol =
            Protocol::from_byte(protocol_byte).ok_or(AddressBytesError::UnknownProtocol {
                byte: protocol_byte,
            })?;
        if protocol == Protocol::Id {
            return read_varint(payload).map(Self::Id);
        }
        Self::from_payload(protocol, payload).ok_or(AddressBytesError::WrongPayloadLength {
            protocol,
            expected: protocol.payload_len().unwrap_or(0),
            found: payload.len(),
        })
    }

    /// A key or actor address from its payload, if the length is right.
    fn from_payload(protocol: Protocol, payload: &[u8]) -> Option<Self> {
        match protocol {
            Protocol::Id => None,
            Protocol::Ed25519 => payload.try_into().ok().map(Self::Ed25519),
            Protocol::Actor => payload.try_into().ok().map(Self::Actor),
            Protocol::Bls => payload.try_into().ok().map(Self::Bls),
        }
    }
}

/// Appends `value` as a minimal unsigned LEB128 varint.
fn write_varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push(value.to_le_bytes()[0] | 0x80);
        value >>= 7;
    }
    out.push(value.to_le_bytes()[0]);
}

/// Reads an ID payload: exactly one minimal unsigned LEB128 varint that fits in a `u64`.
fn read_varint(bytes: &[u8]) -> Result<u64, AddressBytesError> {
    let mut value: u64 = 0;
    for (index, &byte) in bytes.iter().enumerate().take(MAX_VARINT_LEN) {
        let bits = u64::from(byte & 0x7f);
        // The tenth byte holds bit 63 only.
        if index == MAX_VARINT_LEN.wrapping_sub(1) && bits > 1 {
            return Err(AddressBytesError::IdOverflow);
        }
        let shift = u32::try_from(index).unwrap_or(u32::MAX).wrapping_mul(7);
        value |= bits.wrapping_shl(shift);
        if byte & 0x80 == 0 {
            if byte == 0 && index > 0 {
                return Err(AddressBytesError::NonMinimalId);
            }
            let consumed = index.wrapping_add(1);
            if consumed != bytes.len() {
                return Err(AddressBytesError::TrailingBytes {
                    extra: bytes.len().saturating_sub(consumed),
                });
            }
            return Ok(value);
        }
    }
    if bytes.len() >= MAX_VARINT_LEN {
        Err(AddressBytesError::IdOverflow)
    } else {
        Err(AddressBytesError::TruncatedId)
    }
}

/// An address with the network its text form is written for. Its `Display` is the text form;
/// its `FromStr` reads any network's text (use [`Address::from_str_checked`] to insist on one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NetworkAddress {
    /// The network of the text form.
    pub network: Network,
    /// The address.
    pub address: Address,
}

impl fmt::Display for NetworkAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let protocol = self.address.protocol();
        write!(f, "{}{}", self.network.prefix(), protocol.byte())?;
        match (self.address, self.address.hash_payload()) {
            (Address::Id(id), _) => write!(f, "{id}"),
            (_, Some(payload)) => {
                let mut data = Vec::with_capacity(BLS_PUBLIC_KEY_LEN + CHECKSUM_LEN);
                data.extend_from_slice(payload);
                data.extend_from_slice(&checksum(protocol, payload));
                f.write_str(&base32::encode(&data))
            }
            (_, None) => Ok(()),
        }
    }
}

impl FromStr for NetworkAddress {
    type Err = AddressParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let input = || bounded(text);
        let mut chars = text.chars();
        let prefix = chars.next().ok_or(AddressParseError::Empty)?;
        let network =
            Network::from_prefix(prefix).ok_or_else(|| AddressParseError::UnknownNetwork {
                input: input(),
                prefix,
            })?;
        let protocol = chars
            .next()
            .and_then(|digit| digit.to_digit(10))
            .and_then(|digit| u8::try_from(digit).ok())
            .and_then(Protocol::from_byte)
            .ok_or_else(|| AddressParseError::UnknownProtocol { input: input() })?;
        // The prefix and the digit are ASCII, so the rest starts at byte 2.
        let rest = text.get(2..).unwrap_or_default();
        let address = match protocol {
            Protocol::Id => Address::Id(parse_id(rest, text)?),
            _ => parse_hashed(protocol, rest, text)?,
        };
        Ok(Self { network, address })
    }
}

/// Reads the decimal ID of an ID address text (`text` is the whole address, for errors).
fn parse_id(digits: &str, text: &str) -> Result<u64, AddressParseError> {
    let input = || bounded(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AddressParseError::InvalidId { input: input() });
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return Err(AddressParseError::NonCanonicalId { input: input() });
    }
    if digits.len() > MAX_ID_DIGITS {
        return Err(AddressParseError::IdOverflow { input: input() });
    }
    digits
        .parse()
        .map_err(|_| AddressParseError::IdOverflow { input: input() })
}

/// Reads the base32 part of a key or actor address text and checks its checksum.
fn parse_hashed(
    protocol: Protocol,
    encoded: &str,
    text: &str,
) -> Result<Address, AddressParseError> {
    let input = || bounded(text);
    let payload_len = protocol.payload_len().unwrap_or(0);
    let expected = base32::encoded_len(payload_len.saturating_add(CHECKSUM_LEN));
    let found = encoded.chars().count();
    if found != expected {
        return Err(AddressParseError::WrongLength {
            input: input(),
            protocol,
            expected,
            found,
        });
    }
    let data = base32::decode(encoded).map_err(|error| match error {
        Base32Error::InvalidSymbol { symbol } => AddressParseError::InvalidCharacter {
            input: input(),
            character: symbol,
        },
        Base32Error::InvalidLength | Base32Error::NonZeroTrailingBits => {
            AddressParseError::NonCanonicalEncoding { input: input() }
        }
    })?;
    let (payload, sum) = data
        .split_last_chunk::<CHECKSUM_LEN>()
        .ok_or_else(|| AddressParseError::NonCanonicalEncoding { input: input() })?;
    if *sum != checksum(protocol, payload) {
        return Err(AddressParseError::ChecksumMismatch { input: input() });
    }
    Address::from_payload(protocol, payload)
        .ok_or_else(|| AddressParseError::NonCanonicalEncoding { input: input() })
}

/// Why a text is not an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressParseError {
    /// The text is empty.
    #[error("the address is empty (write e.g. f01024 or t1…)")]
    Empty,
    /// The first character is not a network prefix.
    #[error(
        "address \"{input}\" starts with '{prefix}', not a network prefix (f for mainnet, t for \
         devnet)"
    )]
    UnknownNetwork {
        /// The text as given (shortened if very long).
        input: String,
        /// The first character.
        prefix: char,
    },
    /// The address is for another network than the one expected.
    #[error("address \"{input}\" is a {found} address, but this is {expected}")]
    WrongNetwork {
        /// The text as given (shortened if very long).
        input: String,
        /// The network the caller is on.
        expected: Network,
        /// The network the text is written for.
        found: Network,
    },
    /// The second character is not a known protocol digit.
    #[error(
        "address \"{input}\" has no known protocol digit after the network prefix (0 = ID, \
         1 = ed25519 key, 2 = actor, 3 = BLS key)"
    )]
    UnknownProtocol {
        /// The text as given (shortened if very long).
        input: String,
    },
    /// The ID part of an ID address is missing or not decimal digits.
    #[error("ID address \"{input}\" does not end in a decimal actor ID (write e.g. f01024)")]
    InvalidId {
        /// The text as given (shortened if very long).
        input: String,
    },
    /// The ID has leading zeros.
    #[error("ID address \"{input}\" has leading zeros in its ID (write the ID without them)")]
    NonCanonicalId {
        /// The text as given (shortened if very long).
        input: String,
    },
    /// The ID does not fit in 64 bits.
    #[error("ID address \"{input}\" has an ID larger than 2^64 - 1")]
    IdOverflow {
        /// The text as given (shortened if very long).
        input: String,
    },
    /// The base32 part has the wrong length for the protocol.
    #[error(
        "{protocol} address \"{input}\" has {found} characters after the prefix and protocol \
         digit; it needs {expected} (is it truncated or mistyped?)"
    )]
    WrongLength {
        /// The text as given (shortened if very long).
        input: String,
        /// The protocol from the text.
        protocol: Protocol,
        /// The required number of base32 characters.
        expected: usize,
        /// The number found.
        found: usize,
    },
    /// A character outside lowercase base32 (`a`–`z`, `2`–`7`).
    #[error("address \"{input}\" contains '{character}', which is not lowercase base32 (a-z, 2-7)")]
    InvalidCharacter {
        /// The text as given (shortened if very long).
        input: String,
        /// The first offending character.
        character: char,
    },
    /// The base32 is not the canonical encoding of any payload (non-zero trailing bits).
    #[error("address \"{input}\" is not canonically encoded (its last character is wrong)")]
    NonCanonicalEncoding {
        /// The text as given (shortened if very long).
        input: String,
    },
    /// The checksum does not match the payload: the text is mistyped or corrupted.
    #[error("address \"{input}\": checksum mismatch (the address is mistyped or corrupted)")]
    ChecksumMismatch {
        /// The text as given (shortened if very long).
        input: String,
    },
}

/// Why bytes are not the on-chain form of an address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressBytesError {
    /// No bytes at all.
    #[error("address bytes are empty (they start with a protocol byte 0 to 3)")]
    Empty,
    /// The protocol byte is not 0 to 3.
    #[error("address bytes start with unknown protocol byte {byte} (expected 0 to 3)")]
    UnknownProtocol {
        /// The first byte.
        byte: u8,
    },
    /// The payload length is wrong for the protocol.
    #[error("{protocol} address payload has {found} bytes; it must have {expected}")]
    WrongPayloadLength {
        /// The protocol byte's protocol.
        protocol: Protocol,
        /// The required payload length.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// The ID varint ends in the middle (its last byte has the continuation bit set).
    #[error("ID address bytes end inside the ID varint")]
    TruncatedId,
    /// The ID varint has redundant trailing zero groups.
    #[error("ID address varint is not minimal (it ends in a redundant 0x00 byte)")]
    NonMinimalId,
    /// The ID varint encodes a value of 2^64 or more.
    #[error("ID address varint encodes a value larger than 2^64 - 1")]
    IdOverflow,
    /// Bytes follow the ID varint.
    #[error("ID address bytes have {extra} extra bytes after the ID varint")]
    TrailingBytes {
        /// The number of extra bytes.
        extra: usize,
    },
}

#[cfg(test)]
mod tests;
