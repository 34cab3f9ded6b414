//! BLS12-381 keys and signatures, Filecoin-compatible.
//!
//! The scheme is "minimal public key size" (min-pk): public keys are compressed G1 points
//! (48 bytes), signatures compressed G2 points (96 bytes), messages are hashed to G2 with the
//! ciphersuite [`DST`] — the same as Filecoin's `bls-signatures` crate, so keys, signatures and
//! aggregates made here verify in Lotus/Forest and the other way round (the integration tests
//! check this against `bls-signatures` itself).
//!
//! We call `blst` (the backend `bls-signatures` uses) directly rather than `bls-signatures`:
//! its `PrivateKey` is `Copy` and cannot be wiped, its `generate` panics when the RNG fails and
//! its decoders accept the point at infinity. `blst`'s secret key is wiped on drop and every
//! operation reports errors as values.
//!
//! Every [`PublicKey`] and [`Signature`] value has been validated: a point on the curve, in the
//! prime-order subgroup, and not the point at infinity. Verification therefore never repeats
//! those checks.

use std::collections::HashSet;
use std::fmt;
use std::hash::{Hash, Hasher};

use blst::BLST_ERROR;
use blst::min_pk;
use rand_core::{CryptoRng, RngCore};
use zeroize::Zeroizing;

/// The hash-to-curve ciphersuite (domain separation tag) of Filecoin's BLS signatures: the IETF
/// `BLS_SIG_..._NUL_` suite (basic scheme, no proof of possession), as in `bls-signatures`.
pub const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_";

/// Length of an encoded [`SecretKey`].
pub const SECRET_KEY_LEN: usize = 32;
/// Length of an encoded [`PublicKey`] (compressed G1 point).
pub const PUBLIC_KEY_LEN: usize = 48;
/// Length of an encoded [`Signature`] (compressed G2 point).
pub const SIGNATURE_LEN: usize = 96;
/// Length of the seed [`SecretKey::from_seed`] takes.
pub const SEED_LEN: usize = 32;

/// In the compressed encoding the second-highest bit of the first byte flags the point at
/// infinity (ZCash serialisation, used by blst and Filecoin).
const INFINITY_FLAG: u8 = 0x40;

/// Why BLS bytes were rejected or a BLS signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlsError {
    /// The input has the wrong length for what it claims to be.
    #[error("a BLS {what} is {expected} bytes, got {actual}")]
    InvalidLength {
        /// What was being decoded ("public key", "signature", "secret key").
        what: &'static str,
        /// The required length.
        expected: usize,
        /// The length received.
        actual: usize,
    },
    /// The bytes do not encode a usable curve point.
    #[error("invalid BLS {what}: {reason}")]
    InvalidPoint {
        /// What was being decoded.
        what: &'static str,
        /// What is wrong with the point.
        reason: &'static str,
    },
    /// The point at infinity: valid on the curve but never an honest key or signature.
    #[error("invalid BLS {what}: it is the point at infinity")]
    Infinity {
        /// What was being decoded or computed.
        what: &'static str,
    },
    /// A secret key that is zero or not below the group order (little-endian, as Filecoin).
    #[error("invalid BLS secret key: not a non-zero little-endian scalar below the group order")]
    InvalidSecretKey,
    /// The signature does not verify for this message and public key.
    #[error("BLS signature does not verify for this message and public key")]
    VerificationFailed,
    /// No signatures to aggregate, or no (public key, message) pairs to verify against.
    #[error("BLS aggregation needs at least one signature or (public key, message) pair")]
    EmptyAggregate,
    /// Two pairs of an aggregate carry the same message, which the scheme forbids (it is the
    /// rogue-key countermeasure of the basic scheme).
    #[error("BLS aggregate messages must be distinct: message {second} repeats message {first}")]
    DuplicateMessage {
        /// Index of the first occurrence.
        first: usize,
        /// Index of the repetition.
        second: usize,
    },
    /// The aggregate signature does not verify for the given pairs.
    #[error(
        "BLS aggregate signature does not verify for these {pairs} (public key, message) pairs"
    )]
    AggregateVerificationFailed {
        /// Number of pairs checked.
        pairs: usize,
    },
    /// The random number generator failed while generating a key.
    #[error("random number generator failed while generating a BLS key: {0}")]
    Rng(String),
}

fn point_error(what: &'static str, err: BLST_ERROR) -> BlsError {
    let reason = match err {
        BLST_ERROR::BLST_POINT_NOT_ON_CURVE => "not a point on the curve",
        BLST_ERROR::BLST_POINT_NOT_IN_GROUP => "not in the prime-order subgroup",
        BLST_ERROR::BLST_PK_IS_INFINITY => return BlsError::Infinity { what },
        _ => "not a valid compressed point encoding",
    };
    BlsError::InvalidPoint { what, reason }
}

fn check_len(what: &'static str, bytes: &[u8], expected: usize) -> Result<(), BlsError> {
    if bytes.len() == expected {
        Ok(())
    } else {
        Err(BlsError::InvalidLength {
            what,
            expected,
            actual: bytes.len(),
        })
    }
}

/// A BLS secret key. Its scalar is wiped from memory when the key is dropped, and `Debug`
/// prints only the public key.
pub struct SecretKey {
    inner: min_pk::SecretKey,
    public: PublicKey,
}

impl SecretKey {
    /// Generates a key from `rng` (use `rand_core::OsRng` outside tests): 32 random bytes
    /// through [`SecretKey::from_seed`], as `bls-signatures`' `PrivateKey::generate`.
    ///
    /// # Errors
    /// [`BlsError::Rng`] if the RNG fails.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Result<Self, BlsError> {
        let mut seed = Zeroizing::new([0u8; SEED_LEN]);
        rng.try_fill_bytes(seed.as_mut_slice())
            .map_err(|e| BlsError::Rng(e.to_string()))?;
        Self::from_seed(&seed)
    }

    /// Derives a key deterministically from a 32-byte seed with the IETF `KeyGen` (HKDF-SHA256,
    /// empty key info): the same key `bls-signatures`' `PrivateKey::new(seed)` gives.
    ///
    /// # Errors
    /// None in practice: `blst` only rejects seeds shorter than 32 bytes, which the type
    /// excludes; the `Result` keeps this crate free of panicking paths.
    pub fn from_seed(seed: &[u8; SEED_LEN]) -> Result<Self, BlsError> {
        let inner =
            min_pk::SecretKey::key_gen(seed, &[]).map_err(|_| BlsError::InvalidSecretKey)?;
        Self::from_blst(inner)
    }

    /// Decodes a secret key in Filecoin's encoding: the scalar as 32 little-endian bytes (what
    /// Lotus exports and `bls-signatures` writes).
    ///
    /// # Errors
    /// [`BlsError::InvalidLength`], or [`BlsError::InvalidSecretKey`] for zero or a value not
    /// below the group order.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        check_len("secret key", bytes, SECRET_KEY_LEN)?;
        let mut big_endian = Zeroizing::new([0u8; SECRET_KEY_LEN]);
        for (dst, src) in big_endian.iter_mut().zip(bytes.iter().rev()) {
            *dst = *src;
        }
        let inner = min_pk::SecretKey::from_bytes(big_endian.as_slice())
            .map_err(|_| BlsError::InvalidSecretKey)?;
        Self::from_blst(inner)
    }

    fn from_blst(inner: min_pk::SecretKey) -> Result<Self, BlsError> {
        let public = PublicKey::from_blst(inner.sk_to_pk())?;
        Ok(Self { inner, public })
    }

    /// The key in Filecoin's encoding (32 little-endian bytes), in a buffer wiped on drop.
    pub fn to_bytes(&self) -> Zeroizing<[u8; SECRET_KEY_LEN]> {
        let big_endian = Zeroizing::new(self.inner.to_bytes());
        let mut out = Zeroizing::new([0u8; SECRET_KEY_LEN]);
        for (dst, src) in out.iter_mut().zip(big_endian.iter().rev()) {
            *dst = *src;
        }
        out
    }

    /// The public key (computed once, when the secret key was made).
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Signs `msg`: `H(msg)·sk` with `H` the hash to G2 under [`DST`].
    pub fn sign(&self, msg: &[u8]) -> Signature {
        Signature::from_blst(self.inner.sign(msg, DST, &[]))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("bls::SecretKey")
            .field("public_key", &self.public)
            .finish_non_exhaustive()
    }
}

/// A validated BLS public key (compressed G1 point, 48 bytes).
#[derive(Clone, Copy)]
pub struct PublicKey {
    inner: min_pk::PublicKey,
    bytes: [u8; PUBLIC_KEY_LEN],
}

impl PublicKey {
    /// Decodes and validates a compressed public key.
    ///
    /// # Errors
    /// [`BlsError::InvalidLength`], [`BlsError::InvalidPoint`] (bad encoding, not on the curve,
    /// not in the subgroup) or [`BlsError::Infinity`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        const WHAT: &str = "public key";
        check_len(WHAT, bytes, PUBLIC_KEY_LEN)?;
        let inner = min_pk::PublicKey::uncompress(bytes).map_err(|e| point_error(WHAT, e))?;
        inner.validate().map_err(|e| point_error(WHAT, e))?;
        Self::from_blst(inner)
    }

    fn from_blst(inner: min_pk::PublicKey) -> Result<Self, BlsError> {
        let bytes = inner.compress();
        if bytes.first().is_some_and(|b| b & INFINITY_FLAG != 0) {
            return Err(BlsError::Infinity { what: "public key" });
        }
        Ok(Self { inner, bytes })
    }

    /// The compressed encoding.
    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.bytes
    }

    /// The compressed encoding, borrowed.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.bytes
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}
impl Eq for PublicKey {}
impl Hash for PublicKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bls::PublicKey({})", hex::encode(self.bytes))
    }
}

/// A validated BLS signature or aggregate signature (compressed G2 point, 96 bytes).
///
/// Only the point is stored (the encoding is recomputed on demand, which is cheap) so that the
/// [`crate::Signature`] enum stays small.
#[derive(Clone, Copy)]
pub struct Signature {
    inner: min_pk::Signature,
}

impl Signature {
    /// Decodes and validates a compressed signature.
    ///
    /// # Errors
    /// [`BlsError::InvalidLength`], [`BlsError::InvalidPoint`] (bad encoding, not on the curve,
    /// not in the subgroup) or [`BlsError::Infinity`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        const WHAT: &str = "signature";
        check_len(WHAT, bytes, SIGNATURE_LEN)?;
        let inner = min_pk::Signature::uncompress(bytes).map_err(|e| point_error(WHAT, e))?;
        inner.validate(true).map_err(|e| point_error(WHAT, e))?;
        Ok(Self::from_blst(inner))
    }

    fn from_blst(inner: min_pk::Signature) -> Self {
        Self { inner }
    }

    /// The compressed encoding.
    pub fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        self.inner.compress()
    }

    /// Verifies this signature over `msg` against `pk`.
    ///
    /// # Errors
    /// [`BlsError::VerificationFailed`].
    pub fn verify(&self, msg: &[u8], pk: &PublicKey) -> Result<(), BlsError> {
        // Both points were validated when they were decoded or made.
        match self.inner.verify(false, msg, DST, &[], &pk.inner, false) {
            BLST_ERROR::BLST_SUCCESS => Ok(()),
            _ => Err(BlsError::VerificationFailed),
        }
    }

    /// Aggregates signatures (the sum of the G2 points), as Filecoin's block `BLSAggregate`.
    ///
    /// # Errors
    /// [`BlsError::EmptyAggregate`] for no signatures, [`BlsError::Infinity`] if they cancel
    /// out (only adversarial inputs do).
    pub fn aggregate(signatures: &[Signature]) -> Result<Signature, BlsError> {
        let refs: Vec<&min_pk::Signature> = signatures.iter().map(|s| &s.inner).collect();
        let aggregate = min_pk::AggregateSignature::aggregate(&refs, false)
            .map_err(|_| BlsError::EmptyAggregate)?;
        let signature = Self::from_blst(aggregate.to_signature());
        if signature
            .to_bytes()
            .first()
            .is_some_and(|b| b & INFINITY_FLAG != 0)
        {
            return Err(BlsError::Infinity {
                what: "aggregate signature",
            });
        }
        Ok(signature)
    }

    /// Verifies this aggregate signature against `(public key, message)` pairs with distinct
    /// messages (as `bls-signatures`' `verify_messages`). One pair is plain verification.
    ///
    /// Work is linear in `pairs.len()`; callers bound it (e.g. messages per block).
    ///
    /// # Errors
    /// [`BlsError::EmptyAggregate`], [`BlsError::DuplicateMessage`] or
    /// [`BlsError::AggregateVerificationFailed`].
    pub fn verify_aggregate(&self, pairs: &[(&PublicKey, &[u8])]) -> Result<(), BlsError> {
        if pairs.is_empty() {
            return Err(BlsError::EmptyAggregate);
        }
        let mut seen: HashSet<&[u8]> = HashSet::with_capacity(pairs.len());
        for (second, (_, msg)) in pairs.iter().enumerate() {
            if !seen.insert(msg) {
                let first = pairs.iter().position(|(_, m)| m == msg).unwrap_or_default();
                return Err(BlsError::DuplicateMessage { first, second });
            }
        }
        let msgs: Vec<&[u8]> = pairs.iter().map(|(_, m)| *m).collect();
        let pks: Vec<&min_pk::PublicKey> = pairs.iter().map(|(pk, _)| &pk.inner).collect();
        match self.inner.aggregate_verify(false, &msgs, DST, &pks, false) {
            BLST_ERROR::BLST_SUCCESS => Ok(()),
            _ => Err(BlsError::AggregateVerificationFailed { pairs: pairs.len() }),
        }
    }
}

impl PartialEq for Signature {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}
impl Eq for Signature {}
impl Hash for Signature {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.to_bytes().hash(state);
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bls::Signature({})", hex::encode(self.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn secret_key_bytes_round_trip_little_endian() {
        let sk = SecretKey::generate(&mut ChaCha20Rng::seed_from_u64(1)).unwrap();
        let bytes = sk.to_bytes();
        let back = SecretKey::from_bytes(bytes.as_slice()).unwrap();
        assert_eq!(back.public_key(), sk.public_key());
        // Little-endian: the scalar 1 is 01 00 .. 00 and its public key is the G1 generator.
        let mut one = [0u8; 32];
        one[0] = 1;
        let generator = SecretKey::from_bytes(&one).unwrap();
        assert_eq!(
            hex::encode(generator.public_key().to_bytes()),
            "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"
        );
    }

    #[test]
    fn zero_and_oversized_secret_keys_are_rejected() {
        assert_eq!(
            SecretKey::from_bytes(&[0u8; 32]).unwrap_err(),
            BlsError::InvalidSecretKey
        );
        assert_eq!(
            SecretKey::from_bytes(&[0xffu8; 32]).unwrap_err(),
            BlsError::InvalidSecretKey
        );
        assert!(matches!(
            SecretKey::from_bytes(&[1u8; 31]).unwrap_err(),
            BlsError::InvalidLength {
                expected: 32,
                actual: 31,
                ..
            }
        ));
    }

    #[test]
    fn infinity_is_rejected() {
        let mut pk = [0u8; PUBLIC_KEY_LEN];
        pk[0] = 0xc0;
        assert_eq!(
            PublicKey::from_bytes(&pk).unwrap_err(),
            BlsError::Infinity { what: "public key" }
        );
        let mut sig = [0u8; SIGNATURE_LEN];
        sig[0] = 0xc0;
        assert_eq!(
            Signature::from_bytes(&sig).unwrap_err(),
            BlsError::Infinity { what: "signature" }
        );
    }

    #[test]
    fn debug_does_not_print_the_secret() {
        let sk = SecretKey::from_seed(&[7u8; 32]).unwrap();
        let secret_hex = hex::encode(sk.to_bytes().as_slice());
        let debug = format!("{sk:?}");
        assert!(!debug.contains(&secret_hex), "{debug}");
        assert!(debug.contains(&hex::encode(sk.public_key().to_bytes())));
    }

    #[test]
    fn duplicate_messages_are_named() {
        let sk = SecretKey::from_seed(&[1u8; 32]).unwrap();
        let pk = *sk.public_key();
        let sig = Signature::aggregate(&[sk.sign(b"a"), sk.sign(b"b")]).unwrap();
        let err = sig
            .verify_aggregate(&[(&pk, b"a"), (&pk, b"b"), (&pk, b"a")])
            .unwrap_err();
        assert_eq!(
            err,
            BlsError::DuplicateMessage {
                first: 0,
                second: 2
            }
        );
    }
}
