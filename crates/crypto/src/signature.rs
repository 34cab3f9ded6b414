//! Keys and signatures of either scheme, with a compact self-describing encoding.
//!
//! Encoding of a [`Signature`]: one [`KeyType`] byte followed by the scheme's signature bytes —
//! `0x02 ‖ 96 bytes` for BLS (the same bytes as Filecoin's `crypto.Signature` of type BLS) and
//! `0xED ‖ 64 bytes` for Ed25519 (Filecoin has no Ed25519; `0xED` lies outside Filecoin's type
//! codes 1–3, so a Filecoin secp256k1 or delegated signature is reported as an unknown type
//! rather than misread). Public and secret keys are stored with their type out of band (the
//! keystore's `"type"` field, an address protocol), so [`PublicKey::from_parts`] takes both.

use std::fmt;
use std::str::FromStr;

use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::bls::{self, BlsError};
use crate::ed25519::{self, Ed25519Error};

/// A signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum KeyType {
    /// BLS12-381 min-pk, Filecoin-compatible (see [`crate::bls`]).
    Bls = 0x02,
    /// Ed25519 (see [`crate::ed25519`]).
    Ed25519 = 0xED,
}

impl KeyType {
    /// Every key type.
    pub const ALL: [KeyType; 2] = [KeyType::Bls, KeyType::Ed25519];

    /// The type byte of the compact signature encoding.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The key type for a type byte.
    ///
    /// # Errors
    /// [`SignatureError::UnknownType`].
    pub fn from_code(code: u8) -> Result<Self, SignatureError> {
        match code {
            0x02 => Ok(KeyType::Bls),
            0xED => Ok(KeyType::Ed25519),
            _ => Err(SignatureError::UnknownType(code)),
        }
    }

    /// The lowercase name used in files and on the command line: `bls` or `ed25519`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Bls => "bls",
            KeyType::Ed25519 => "ed25519",
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyType {
    type Err = SignatureError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| SignatureError::UnknownTypeName(s.to_owned()))
    }
}

/// Why a signature or key could not be decoded, or a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// No bytes at all, so not even a type byte.
    #[error("empty signature: expected a type byte followed by the signature")]
    Empty,
    /// The type byte names no scheme we know.
    #[error("unknown signature type byte 0x{0:02x} (expected 0x02 for BLS or 0xed for Ed25519)")]
    UnknownType(u8),
    /// The type name names no scheme we know.
    #[error("unknown key type {0:?} (expected \"bls\" or \"ed25519\")")]
    UnknownTypeName(String),
    /// The signature and the public key are of different schemes.
    #[error("a {signature} signature cannot be checked against a {key} public key")]
    TypeMismatch {
        /// The signature's scheme.
        signature: KeyType,
        /// The key's scheme.
        key: KeyType,
    },
    /// A BLS decoding or verification error.
    #[error(transparent)]
    Bls(#[from] BlsError),
    /// An Ed25519 decoding or verification error.
    #[error(transparent)]
    Ed25519(#[from] Ed25519Error),
}

/// A signature of either scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signature {
    /// A BLS signature (or aggregate).
    Bls(bls::Signature),
    /// An Ed25519 signature.
    Ed25519(ed25519::Signature),
}

impl Signature {
    /// The scheme.
    pub fn key_type(&self) -> KeyType {
        match self {
            Signature::Bls(_) => KeyType::Bls,
            Signature::Ed25519(_) => KeyType::Ed25519,
        }
    }

    /// The compact encoding: type byte ‖ signature bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![self.key_type().code()];
        match self {
            Signature::Bls(s) => out.extend_from_slice(&s.to_bytes()),
            Signature::Ed25519(s) => out.extend_from_slice(&s.to_bytes()),
        }
        out
    }

    /// Decodes the compact encoding, validating the signature bytes for their scheme.
    ///
    /// # Errors
    /// [`SignatureError::Empty`], [`SignatureError::UnknownType`], or the scheme's decoding
    /// error.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SignatureError> {
        let (&code, rest) = bytes.split_first().ok_or(SignatureError::Empty)?;
        Self::from_parts(KeyType::from_code(code)?, rest)
    }

    /// Decodes a signature of a known scheme (no type byte).
    ///
    /// # Errors
    /// The scheme's decoding error.
    pub fn from_parts(key_type: KeyType, bytes: &[u8]) -> Result<Self, SignatureError> {
        Ok(match key_type {
            KeyType::Bls => Signature::Bls(bls::Signature::from_bytes(bytes)?),
            KeyType::Ed25519 => Signature::Ed25519(ed25519::Signature::from_bytes(bytes)?),
        })
    }

    /// Verifies this signature over `msg` against `pk`.
    ///
    /// # Errors
    /// [`SignatureError::TypeMismatch`] or the scheme's verification error.
    pub fn verify(&self, msg: &[u8], pk: &PublicKey) -> Result<(), SignatureError> {
        match (self, pk) {
            (Signature::Bls(s), PublicKey::Bls(k)) => Ok(s.verify(msg, k)?),
            (Signature::Ed25519(s), PublicKey::Ed25519(k)) => Ok(s.verify(msg, k)?),
            _ => Err(SignatureError::TypeMismatch {
                signature: self.key_type(),
                key: pk.key_type(),
            }),
        }
    }
}

/// Verifies `sig` over `msg` against a public key given as raw bytes of the signature's scheme
/// (what an address or an actor's state holds).
///
/// # Errors
/// The scheme's decoding error for the key, or its verification error.
pub fn verify(sig: &Signature, pubkey_bytes: &[u8], msg: &[u8]) -> Result<(), SignatureError> {
    let pk = PublicKey::from_parts(sig.key_type(), pubkey_bytes)?;
    sig.verify(msg, &pk)
}

/// A public key of either scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublicKey {
    /// A BLS public key.
    Bls(bls::PublicKey),
    /// An Ed25519 public key.
    Ed25519(ed25519::PublicKey),
}

impl PublicKey {
    /// The scheme.
    pub fn key_type(&self) -> KeyType {
        match self {
            PublicKey::Bls(_) => KeyType::Bls,
            PublicKey::Ed25519(_) => KeyType::Ed25519,
        }
    }

    /// Decodes a public key of the given scheme.
    ///
    /// # Errors
    /// The scheme's decoding error.
    pub fn from_parts(key_type: KeyType, bytes: &[u8]) -> Result<Self, SignatureError> {
        Ok(match key_type {
            KeyType::Bls => PublicKey::Bls(bls::PublicKey::from_bytes(bytes)?),
            KeyType::Ed25519 => PublicKey::Ed25519(ed25519::PublicKey::from_bytes(bytes)?),
        })
    }

    /// The scheme's encoding (48 bytes for BLS, 32 for Ed25519), without a type byte.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            PublicKey::Bls(k) => k.as_bytes().to_vec(),
            PublicKey::Ed25519(k) => k.as_bytes().to_vec(),
        }
    }

    /// The account address of this key: protocol 3 holding a BLS key itself, protocol 1 the
    /// BLAKE2b-160 of an Ed25519 key (`flowcoin_types::address`).
    pub fn address(&self) -> flowcoin_types::Address {
        match self {
            PublicKey::Bls(k) => flowcoin_types::Address::from_bls_public_key(*k.as_bytes()),
            PublicKey::Ed25519(k) => flowcoin_types::Address::from_ed25519_public_key(k.as_bytes()),
        }
    }
}

/// A secret key of either scheme; wiped on drop, `Debug` prints only the public key.
#[derive(Debug)]
pub enum SecretKey {
    /// A BLS secret key.
    Bls(bls::SecretKey),
    /// An Ed25519 secret key.
    Ed25519(ed25519::SecretKey),
}

impl SecretKey {
    /// Generates a key of the given scheme from `rng`.
    ///
    /// # Errors
    /// The scheme's RNG error.
    pub fn generate<R: RngCore + CryptoRng>(
        key_type: KeyType,
        rng: &mut R,
    ) -> Result<Self, SignatureError> {
        Ok(match key_type {
            KeyType::Bls => SecretKey::Bls(bls::SecretKey::generate(rng)?),
            KeyType::Ed25519 => SecretKey::Ed25519(ed25519::SecretKey::generate(rng)?),
        })
    }

    /// Decodes a secret key of the given scheme (32 bytes for both; BLS little-endian).
    ///
    /// # Errors
    /// The scheme's decoding error.
    pub fn from_parts(key_type: KeyType, bytes: &[u8]) -> Result<Self, SignatureError> {
        Ok(match key_type {
            KeyType::Bls => SecretKey::Bls(bls::SecretKey::from_bytes(bytes)?),
            KeyType::Ed25519 => SecretKey::Ed25519(ed25519::SecretKey::from_bytes(bytes)?),
        })
    }

    /// The scheme.
    pub fn key_type(&self) -> KeyType {
        match self {
            SecretKey::Bls(_) => KeyType::Bls,
            SecretKey::Ed25519(_) => KeyType::Ed25519,
        }
    }

    /// The scheme's encoding, in a buffer wiped on drop.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        match self {
            SecretKey::Bls(k) => Zeroizing::new(k.to_bytes().to_vec()),
            SecretKey::Ed25519(k) => Zeroizing::new(k.to_bytes().to_vec()),
        }
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        match self {
            SecretKey::Bls(k) => PublicKey::Bls(*k.public_key()),
            SecretKey::Ed25519(k) => PublicKey::Ed25519(k.public_key()),
        }
    }

    /// Signs `msg`.
    pub fn sign(&self, msg: &[u8]) -> Signature {
        match self {
            SecretKey::Bls(k) => Signature::Bls(k.sign(msg)),
            SecretKey::Ed25519(k) => Signature::Ed25519(k.sign(msg)),
        }
    }
}

impl From<bls::SecretKey> for SecretKey {
    fn from(k: bls::SecretKey) -> Self {
        SecretKey::Bls(k)
    }
}

impl From<ed25519::SecretKey> for SecretKey {
    fn from(k: ed25519::SecretKey) -> Self {
        SecretKey::Ed25519(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_codes_round_trip() {
        for t in KeyType::ALL {
            assert_eq!(KeyType::from_code(t.code()).unwrap(), t);
            assert_eq!(t.as_str().parse::<KeyType>().unwrap(), t);
        }
        assert_eq!(
            KeyType::from_code(1).unwrap_err(),
            SignatureError::UnknownType(1)
        );
        assert!("secp256k1".parse::<KeyType>().is_err());
    }

    #[test]
    fn mismatched_schemes_are_reported() {
        let bls_key = SecretKey::Bls(bls::SecretKey::from_seed(&[1; 32]).unwrap());
        let ed_key = SecretKey::Ed25519(ed25519::SecretKey::from_seed(&[1; 32]));
        let sig = bls_key.sign(b"m");
        assert_eq!(
            sig.verify(b"m", &ed_key.public_key()).unwrap_err(),
            SignatureError::TypeMismatch {
                signature: KeyType::Bls,
                key: KeyType::Ed25519
            }
        );
    }
}
