//! Messages, signed messages, and the DAG-CBOR encoding and CIDs of chain objects.
//!
//! A [`Message`] moves value and calls an actor method; it is the unit the chain orders and the
//! state machine applies. Its encoding is Filecoin's: a DAG-CBOR array of ten items
//!
//! ```text
//! [version, to, from, nonce, value, gas_limit, gas_fee_cap, gas_premium, method, params]
//! ```
//!
//! with addresses in their byte form ([`Address::to_bytes`]), amounts as Filecoin big integers
//! (a byte string: empty for zero, else a 0x00 sign byte and the big-endian magnitude,
//! [`TokenAmount::to_be_bytes_minimal`]) and `params` as a byte string. A [`SignedMessage`] is
//! the array `[message, signature]`, the signature a byte string whose first byte names the
//! scheme (`flowcoin_crypto::message` defines the bytes and checks them).
//!
//! The CID of a chain object is CIDv1, codec DAG-CBOR (0x71), multihash BLAKE2b-256 (0xb220),
//! as Filecoin's. Decoding accepts only the canonical encoding (what [`to_cbor`] writes): any
//! other byte string for the same value (non-minimal integers, indefinite lengths, trailing
//! bytes) is refused, so a CID names exactly one byte string and one value.
//!
//! ```
//! use flowcoin_types::message::{Message, METHOD_SEND};
//! use flowcoin_types::{Address, TokenAmount};
//!
//! let msg = Message {
//!     to: Address::Id(1001),
//!     from: Address::Id(1000),
//!     nonce: 0,
//!     value: "2.5 FLW".parse()?,
//!     method: METHOD_SEND,
//!     ..Message::default()
//! };
//! let bytes = msg.to_cbor()?;
//! assert_eq!(Message::from_cbor(&bytes)?, msg);
//! assert!(msg.cid()?.to_string().starts_with("bafy2bz"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use cid::Cid;
use multihash::Multihash;
use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::address::{Address, AddressBytesError};
use crate::token::{TokenAmount, TokenBytesError};

/// The DAG-CBOR multicodec.
pub const DAG_CBOR: u64 = 0x71;
/// The BLAKE2b-256 multihash code.
pub const BLAKE2B_256: u64 = 0xb220;
/// The method number of a plain value transfer (no actor code runs).
pub const METHOD_SEND: u64 = 0;
/// The largest `params` a message may carry, in bytes; longer ones are refused when decoding.
pub const MAX_PARAMS_BYTES: usize = 1 << 20;
/// The largest encoded message accepted by [`Message::from_cbor`] (params plus the fixed part).
pub const MAX_MESSAGE_BYTES: usize = MAX_PARAMS_BYTES + 512;

/// A message: `from` asks the chain to move `value` to `to` and run `method` with `params`,
/// paying for at most `gas_limit` gas at no more than `gas_fee_cap` per unit, of which
/// `gas_premium` per unit goes to the block producer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Encoding version; 0 is the only one.
    pub version: u64,
    /// The receiving actor.
    pub to: Address,
    /// The sending account; its nonce orders its messages.
    pub from: Address,
    /// The sender's sequence number: the chain applies nonce n only after n − 1.
    pub nonce: u64,
    /// The value moved from `from` to `to`.
    pub value: TokenAmount,
    /// The most gas the message may use.
    pub gas_limit: u64,
    /// The most the sender pays per unit of gas (base fee plus premium).
    pub gas_fee_cap: TokenAmount,
    /// The per-unit tip to the block producer, within the fee cap.
    pub gas_premium: TokenAmount,
    /// The actor method to call ([`METHOD_SEND`] for a transfer).
    pub method: u64,
    /// The method's parameters, DAG-CBOR of the method's own type (empty for none).
    pub params: Vec<u8>,
}

impl Default for Message {
    /// A transfer of nothing between ID 0 and itself: a base for struct-update syntax.
    fn default() -> Self {
        Self {
            version: 0,
            to: Address::Id(0),
            from: Address::Id(0),
            nonce: 0,
            value: TokenAmount::ZERO,
            gas_limit: 0,
            gas_fee_cap: TokenAmount::ZERO,
            gas_premium: TokenAmount::ZERO,
            method: METHOD_SEND,
            params: Vec::new(),
        }
    }
}

/// A message and its sender's signature over the message's CID bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedMessage {
    /// The message.
    pub message: Message,
    /// The sender's signature over the message CID: a scheme byte and the scheme's bytes
    /// (`flowcoin_crypto::message`).
    pub signature: Vec<u8>,
}

/// Why a chain object could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CborError {
    /// The bytes are not DAG-CBOR of the expected shape.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// The kind of object being decoded.
        what: &'static str,
        /// What the decoder found wrong.
        reason: String,
    },
    /// The bytes decode, but are not the canonical encoding of what they hold.
    #[error("{what} is not canonically encoded (re-encoding gives other bytes)")]
    NonCanonical {
        /// The kind of object.
        what: &'static str,
    },
    /// The input is larger than any valid object of this kind.
    #[error("{what} of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// The kind of object.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Encoding failed (not expected for these types).
    #[error("encoding {what}: {reason}")]
    Encode {
        /// The kind of object.
        what: &'static str,
        /// The encoder's message.
        reason: String,
    },
}

/// Encodes `value` as DAG-CBOR.
pub fn to_cbor<T: Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>, CborError> {
    serde_ipld_dagcbor::to_vec(value).map_err(|e| CborError::Encode {
        what,
        reason: e.to_string(),
    })
}

/// Decodes DAG-CBOR bytes as `T`, accepting only the canonical encoding ([`to_cbor`]'s) and at
/// most `max` bytes.
pub fn from_cbor<T: Serialize + for<'de> Deserialize<'de>>(
    what: &'static str,
    bytes: &[u8],
    max: usize,
) -> Result<T, CborError> {
    if bytes.len() > max {
        return Err(CborError::TooLarge {
            what,
            len: bytes.len(),
            max,
        });
    }
    let value: T = serde_ipld_dagcbor::from_slice(bytes).map_err(|e| CborError::Malformed {
        what,
        reason: e.to_string(),
    })?;
    if to_cbor(what, &value)? != bytes {
        return Err(CborError::NonCanonical { what });
    }
    Ok(value)
}

/// The CID of a chain object's encoding: CIDv1, DAG-CBOR, BLAKE2b-256.
pub fn cbor_cid(encoded: &[u8]) -> Cid {
    use blake2::Digest;
    let digest = blake2::Blake2b::<blake2::digest::consts::U32>::digest(encoded);
    // A 32-byte digest always fits the 64-byte multihash.
    let hash = Multihash::<64>::wrap(BLAKE2B_256, &digest).unwrap_or_default();
    Cid::new_v1(DAG_CBOR, hash)
}

impl Message {
    /// The message's DAG-CBOR encoding.
    pub fn to_cbor(&self) -> Result<Vec<u8>, CborError> {
        to_cbor("message", self)
    }

    /// Decodes a message, refusing anything but its canonical encoding.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, CborError> {
        from_cbor("message", bytes, MAX_MESSAGE_BYTES)
    }

    /// The message's CID (what its sender signs, as bytes).
    pub fn cid(&self) -> Result<Cid, CborError> {
        self.to_cbor().map(|b| cbor_cid(&b))
    }

    /// The most this message can cost its sender: value plus gas_limit × gas_fee_cap; `None`
    /// on overflow (such a message can never be paid for).
    pub fn required_funds(&self) -> Option<TokenAmount> {
        self.gas_fee_cap
            .checked_mul(u128::from(self.gas_limit))?
            .checked_add(self.value)
    }
}

impl SignedMessage {
    /// The signed message's DAG-CBOR encoding.
    pub fn to_cbor(&self) -> Result<Vec<u8>, CborError> {
        to_cbor("signed message", self)
    }

    /// Decodes a signed message, refusing anything but its canonical encoding.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, CborError> {
        from_cbor(
            "signed message",
            bytes,
            MAX_MESSAGE_BYTES.saturating_add(256),
        )
    }

    /// The CID of the whole signed message (what a block lists for signed messages).
    pub fn cid(&self) -> Result<Cid, CborError> {
        self.to_cbor().map(|b| cbor_cid(&b))
    }
}

/// The wire shape of a message: a ten-item array (decoding; encoding borrows the fields).
#[derive(Deserialize)]
struct MessageTuple(
    u64,
    Address,
    Address,
    u64,
    TokenAmount,
    u64,
    TokenAmount,
    TokenAmount,
    u64,
    Bytes,
);

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (
            self.version,
            self.to,
            self.from,
            self.nonce,
            self.value,
            self.gas_limit,
            self.gas_fee_cap,
            self.gas_premium,
            self.method,
            BytesRef(&self.params),
        )
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let MessageTuple(
            version,
            to,
            from,
            nonce,
            value,
            gas_limit,
            gas_fee_cap,
            gas_premium,
            method,
            Bytes(params),
        ) = MessageTuple::deserialize(deserializer)?;
        if version != 0 {
            return Err(de::Error::custom(format!(
                "message version {version} is not supported (only 0)"
            )));
        }
        if params.len() > MAX_PARAMS_BYTES {
            return Err(de::Error::custom(format!(
                "params of {} bytes exceed the limit of {MAX_PARAMS_BYTES}",
                params.len()
            )));
        }
        Ok(Self {
            version,
            to,
            from,
            nonce,
            value,
            gas_limit,
            gas_fee_cap,
            gas_premium,
            method,
            params,
        })
    }
}

/// The wire shape of a signed message: `[message, signature]` (decoding).
#[derive(Deserialize)]
struct SignedTuple(Message, Bytes);

impl Serialize for SignedMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (&self.message, BytesRef(&self.signature)).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for SignedMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let SignedTuple(message, Bytes(signature)) = SignedTuple::deserialize(deserializer)?;
        Ok(Self { message, signature })
    }
}

/// A borrowed CBOR byte string, for encoding without copying.
struct BytesRef<'a>(&'a [u8]);

impl Serialize for BytesRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

/// A CBOR byte string (serde would otherwise write `Vec<u8>` as an array of integers).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_bytes(BytesVisitor("a byte string", |b: &[u8]| {
            Ok(Bytes(b.to_vec()))
        }))
    }
}

/// Accepts a CBOR byte string and converts it with `F`.
struct BytesVisitor<F>(&'static str, F);

impl<T, F: FnOnce(&[u8]) -> Result<T, String>> Visitor<'_> for BytesVisitor<F> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<T, E> {
        (self.1)(v).map_err(E::custom)
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<T, E> {
        self.visit_bytes(&v)
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.to_bytes())
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_bytes(BytesVisitor("an address in byte form", |b: &[u8]| {
            Address::from_bytes(b).map_err(|e: AddressBytesError| e.to_string())
        }))
    }
}

impl Serialize for TokenAmount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.to_be_bytes_minimal())
    }
}

impl<'de> Deserialize<'de> for TokenAmount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_bytes(BytesVisitor(
            "a token amount as big-integer bytes",
            |b: &[u8]| TokenAmount::from_be_bytes(b).map_err(|e: TokenBytesError| e.to_string()),
        ))
    }
}

impl Serialize for crate::power::StoragePower {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        TokenAmount::from_atto(self.0).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for crate::power::StoragePower {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        TokenAmount::deserialize(deserializer).map(|amount| Self(amount.atto()))
    }
}
