//! A verifiable random function from BLS signatures, as Filecoin's tickets and election proofs.
//!
//! The proof is the BLS signature of the VRF key over the input (Filecoin signs the output of
//! [`crate::randomness::draw_randomness`]); the output is `BLAKE2b-256(proof bytes)`. BLS
//! signatures are deterministic and — for a public key in the subgroup and not at infinity,
//! which [`bls::PublicKey`] guarantees — unique, so the prover cannot choose among outputs.

use blake2::Blake2b;
use blake2::digest::Digest;
use blake2::digest::consts::U32;

use crate::bls::{self, BlsError};

/// Length of a [`VrfProof`] (a compressed BLS signature).
pub const VRF_PROOF_LEN: usize = bls::SIGNATURE_LEN;
/// Length of a VRF output.
pub const VRF_OUTPUT_LEN: usize = 32;

/// Why a VRF proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VrfError {
    /// The proof bytes are not a valid BLS signature.
    #[error("invalid VRF proof: {0}")]
    InvalidProof(BlsError),
    /// The proof is a valid signature but not by this key over this input.
    #[error("VRF proof does not verify for this input and public key")]
    VerificationFailed,
}

/// A VRF proof: the BLS signature of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VrfProof(bls::Signature);

impl VrfProof {
    /// Decodes and validates a proof (96 bytes).
    ///
    /// # Errors
    /// [`VrfError::InvalidProof`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, VrfError> {
        bls::Signature::from_bytes(bytes)
            .map(Self)
            .map_err(VrfError::InvalidProof)
    }

    /// The encoding (a compressed BLS signature).
    pub fn to_bytes(&self) -> [u8; VRF_PROOF_LEN] {
        self.0.to_bytes()
    }

    /// The signature the proof is.
    pub fn signature(&self) -> &bls::Signature {
        &self.0
    }

    /// The VRF output, `BLAKE2b-256(proof bytes)`. Only meaningful once the proof verified.
    pub fn output(&self) -> [u8; VRF_OUTPUT_LEN] {
        vrf_output(self)
    }
}

impl From<bls::Signature> for VrfProof {
    fn from(signature: bls::Signature) -> Self {
        Self(signature)
    }
}

/// Evaluates the VRF on `input`: the proof; its output is [`vrf_output`].
pub fn vrf_prove(sk: &bls::SecretKey, input: &[u8]) -> VrfProof {
    VrfProof(sk.sign(input))
}

/// `BLAKE2b-256(proof bytes)`, as Filecoin's ticket and election proof digests.
pub fn vrf_output(proof: &VrfProof) -> [u8; VRF_OUTPUT_LEN] {
    Blake2b::<U32>::digest(proof.0.to_bytes()).into()
}

/// Checks that `proof` is `pk`'s VRF proof over `input` and returns the output.
///
/// # Errors
/// [`VrfError::VerificationFailed`].
pub fn verify_vrf(
    pk: &bls::PublicKey,
    input: &[u8],
    proof: &VrfProof,
) -> Result<[u8; VRF_OUTPUT_LEN], VrfError> {
    proof
        .0
        .verify(input, pk)
        .map_err(|_| VrfError::VerificationFailed)?;
    Ok(vrf_output(proof))
}
