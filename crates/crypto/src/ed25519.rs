//! Ed25519 keys and signatures (RFC 8032), thin wrappers over `ed25519-dalek` with strict
//! verification.
//!
//! Strictness: public keys of small order ("weak" keys) are rejected when decoded, and
//! [`Signature::verify`] uses `verify_strict` (canonical `s`, no small-order `R` or `A`), so a
//! message has exactly one valid signature encoding per key and signer — what consensus code
//! needs when signatures are hashed into blocks.

use std::fmt;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

/// Length of an encoded [`SecretKey`] (the RFC 8032 seed).
pub const SECRET_KEY_LEN: usize = 32;
/// Length of an encoded [`PublicKey`].
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of an encoded [`Signature`].
pub const SIGNATURE_LEN: usize = 64;

/// Why Ed25519 bytes were rejected or a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Ed25519Error {
    /// The input has the wrong length for what it claims to be.
    #[error("an Ed25519 {what} is {expected} bytes, got {actual}")]
    InvalidLength {
        /// What was being decoded ("public key", "signature", "secret key").
        what: &'static str,
        /// The required length.
        expected: usize,
        /// The length received.
        actual: usize,
    },
    /// The public key is not the encoding of a curve point.
    #[error("invalid Ed25519 public key: not a point on the curve")]
    InvalidPublicKey,
    /// The public key is a point of small order, for which forgeries are trivial.
    #[error("invalid Ed25519 public key: a point of small order (weak key)")]
    WeakPublicKey,
    /// The signature's scalar `s` has its top three bits set, so it cannot be canonical.
    #[error("invalid Ed25519 signature: the scalar s is not reduced")]
    NonCanonicalSignature,
    /// The signature does not verify (strictly) for this message and public key.
    #[error("Ed25519 signature does not verify for this message and public key")]
    VerificationFailed,
    /// The random number generator failed while generating a key.
    #[error("random number generator failed while generating an Ed25519 key: {0}")]
    Rng(String),
}

fn fixed<const N: usize>(what: &'static str, bytes: &[u8]) -> Result<[u8; N], Ed25519Error> {
    <[u8; N]>::try_from(bytes).map_err(|_| Ed25519Error::InvalidLength {
        what,
        expected: N,
        actual: bytes.len(),
    })
}

/// An Ed25519 secret key (the 32-byte seed). Wiped on drop; `Debug` prints only the public key.
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// Generates a key from `rng` (use `rand_core::OsRng` outside tests).
    ///
    /// # Errors
    /// [`Ed25519Error::Rng`] if the RNG fails.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Result<Self, Ed25519Error> {
        let mut seed = Zeroizing::new([0u8; SECRET_KEY_LEN]);
        rng.try_fill_bytes(seed.as_mut_slice())
            .map_err(|e| Ed25519Error::Rng(e.to_string()))?;
        Ok(Self::from_seed(&seed))
    }

    /// The key whose RFC 8032 seed is `seed` (deterministic).
    pub fn from_seed(seed: &[u8; SECRET_KEY_LEN]) -> Self {
        Self(SigningKey::from_bytes(seed))
    }

    /// Decodes a 32-byte seed.
    ///
    /// # Errors
    /// [`Ed25519Error::InvalidLength`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Ed25519Error> {
        let seed = Zeroizing::new(fixed::<SECRET_KEY_LEN>("secret key", bytes)?);
        Ok(Self::from_seed(&seed))
    }

    /// The seed, in a buffer wiped on drop.
    pub fn to_bytes(&self) -> Zeroizing<[u8; SECRET_KEY_LEN]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs `msg` (deterministic, RFC 8032).
    pub fn sign(&self, msg: &[u8]) -> Signature {
        Signature(self.0.sign(msg))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ed25519::SecretKey")
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

/// A validated Ed25519 public key: a curve point not of small order.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Decodes and validates a public key.
    ///
    /// # Errors
    /// [`Ed25519Error::InvalidLength`], [`Ed25519Error::InvalidPublicKey`] or
    /// [`Ed25519Error::WeakPublicKey`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Ed25519Error> {
        let bytes = fixed::<PUBLIC_KEY_LEN>("public key", bytes)?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| Ed25519Error::InvalidPublicKey)?;
        if key.is_weak() {
            return Err(Ed25519Error::WeakPublicKey);
        }
        Ok(Self(key))
    }

    /// The encoding.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.0.to_bytes()
    }

    /// The encoding, borrowed.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ed25519::PublicKey({})", hex::encode(self.0.as_bytes()))
    }
}

/// An Ed25519 signature (`R ‖ s`, 64 bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(ed25519_dalek::Signature);

impl Signature {
    /// Decodes a signature. Only the length and the top bits of `s` can be checked without the
    /// message; [`Signature::verify`] checks the rest.
    ///
    /// # Errors
    /// [`Ed25519Error::InvalidLength`] or [`Ed25519Error::NonCanonicalSignature`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Ed25519Error> {
        let bytes = fixed::<SIGNATURE_LEN>("signature", bytes)?;
        // s < 2^253 is necessary for s < ℓ; dalek 2 no longer checks it on decode.
        if bytes.last().is_some_and(|b| b & 0xe0 != 0) {
            return Err(Ed25519Error::NonCanonicalSignature);
        }
        Ok(Self(ed25519_dalek::Signature::from_bytes(&bytes)))
    }

    /// The encoding.
    pub fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        self.0.to_bytes()
    }

    /// Verifies this signature over `msg` against `pk`, strictly (see the module doc).
    ///
    /// # Errors
    /// [`Ed25519Error::VerificationFailed`].
    pub fn verify(&self, msg: &[u8], pk: &PublicKey) -> Result<(), Ed25519Error> {
        pk.0.verify_strict(msg, &self.0)
            .map_err(|_| Ed25519Error::VerificationFailed)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ed25519::Signature({})", hex::encode(self.0.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8032 §7.1, TEST 1 (empty message): an external known answer.
    #[test]
    fn rfc8032_test_1() {
        let seed: [u8; 32] =
            hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
                .unwrap()
                .try_into()
                .unwrap();
        let sk = SecretKey::from_seed(&seed);
        assert_eq!(
            hex::encode(sk.public_key().to_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let sig = sk.sign(b"");
        assert_eq!(
            hex::encode(sig.to_bytes()),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
             5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        sig.verify(b"", &sk.public_key()).unwrap();
    }

    #[test]
    fn weak_keys_are_rejected() {
        // The identity point (y = 1) has order 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            PublicKey::from_bytes(&identity).unwrap_err(),
            Ed25519Error::WeakPublicKey
        );
    }

    #[test]
    fn debug_does_not_print_the_secret() {
        let sk = SecretKey::from_seed(&[9u8; 32]);
        let debug = format!("{sk:?}");
        assert!(!debug.contains(&hex::encode([9u8; 32])), "{debug}");
    }
}
