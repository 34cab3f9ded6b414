#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]
//! Flowcoin's keys and signatures, VRF, randomness derivation and keystore (layer 0).
//!
//! What is here:
//!
//! - [`bls`]: BLS12-381 min-pk keys and signatures, Filecoin-compatible — 48-byte G1 public
//!   keys, 96-byte G2 signatures, Filecoin's ciphersuite [`bls::DST`], 32-byte little-endian
//!   secret keys as Lotus exports them; aggregation and aggregate verification with distinct
//!   messages.
//! - [`ed25519`]: Ed25519 (RFC 8032) with strict verification and weak keys rejected.
//! - [`signature`]: either scheme behind one [`Signature`] / [`PublicKey`] / [`SecretKey`]
//!   enum, with the compact signature encoding `type byte ‖ bytes` ([`KeyType::Bls`] = `0x02`
//!   as Filecoin, [`KeyType::Ed25519`] = `0xED`) and [`verify`].
//! - [`vrf`]: BLS signatures as a VRF, as Filecoin's tickets and election proofs: the proof is
//!   the signature over the input, the output `BLAKE2b-256(proof)`.
//! - [`randomness`]: Filecoin's `DrawRandomness` with its domain-separation tags, the
//!   [`RandomnessSource`] trait the chain implements, and [`FixedRandomness`] for genesis and
//!   tests.
//! - [`keystore`]: a directory of JSON key files (mode 0600 in a 0700 directory), optionally
//!   encrypted with a passphrase (Argon2id + XChaCha20-Poly1305); the format is documented in
//!   the module.
//!
//! What is not here: addresses (`flowcoin-types`), signing of chain objects (their crates
//! decide what bytes are signed), network access or global state — everything comes in as
//! arguments.
//!
//! Every decoder takes untrusted bytes and returns a typed error (never panics): points must be
//! on the curve, in the subgroup and not at infinity; secret keys are wiped from memory on
//! drop and never printed by `Debug`.
//!
//! ```
//! use flowcoin_crypto::randomness::{draw_randomness, DomainSeparationTag};
//! use flowcoin_crypto::{bls, verify_vrf, vrf_prove, KeyType, SecretKey, Signature};
//!
//! // Sign with either scheme; the compact encoding carries the scheme.
//! let key = SecretKey::generate(KeyType::Bls, &mut rand_core::OsRng)?;
//! let sig = key.sign(b"message");
//! let wire = sig.to_bytes();
//! assert_eq!(wire.len(), 1 + 96);
//! let decoded = Signature::from_bytes(&wire)?;
//! flowcoin_crypto::verify(&decoded, &key.public_key().to_bytes(), b"message")?;
//!
//! // An election proof: the VRF of the worker key over domain-separated chain randomness.
//! let worker = bls::SecretKey::from_seed(&[7; 32])?;
//! let input = draw_randomness(b"beacon", DomainSeparationTag::ElectionProofProduction, 42, b"f01000");
//! let proof = vrf_prove(&worker, &input);
//! let output = verify_vrf(worker.public_key(), &input, &proof)?;
//! assert_eq!(output, proof.output());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! And a keystore (`$FLOWCOIN_PATH/keystore`):
//!
//! ```
//! use flowcoin_crypto::keystore::{KdfParams, Keystore};
//! use flowcoin_crypto::KeyType;
//!
//! # let tmp = tempfile::tempdir()?;
//! # let flowcoin_path = tmp.path();
//! let keystore = Keystore::open(flowcoin_path.join("keystore"))?;
//! # let keystore = keystore.with_kdf_params(KdfParams::new(8, 1, 1)?); // fast doctest
//! let info = keystore.generate(KeyType::Bls, Some("worker"), Some("passphrase"))?;
//! assert!(keystore.list()?.iter().any(|k| k.name == info.name && k.encrypted));
//! let key = keystore.load("worker", Some("passphrase"))?;
//! assert_eq!(key.public_key(), info.public_key);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod bls;
pub mod ed25519;
pub mod keystore;
pub mod message;
pub mod randomness;
pub mod signature;
pub mod vrf;

pub use keystore::{KeyInfo, KeyName, Keystore, KeystoreError};
pub use randomness::{
    DomainSeparationTag, FixedRandomness, RandomnessError, RandomnessSource, draw_randomness,
};
pub use signature::{KeyType, PublicKey, SecretKey, Signature, SignatureError, verify};
pub use vrf::{VrfError, VrfProof, verify_vrf, vrf_output, vrf_prove};
