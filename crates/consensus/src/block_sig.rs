//! The block signature: the worker's BLS signature over the bytes of the header's
//! [`signing_cid`](BlockHeader::signing_cid) (the CID of the header with an empty
//! `block_sig`), stored as the 96-byte compressed signature in `block_sig`.
//!
//! As Lotus (`sigs.CheckBlockSignature`): the signed message is the CID's binary form, and the
//! key is the miner's worker key.

use flowcoin_crypto::bls::{self, BlsError};
use flowcoin_types::Address;
use flowcoin_types::block::BlockHeader;
use flowcoin_types::message::{Bytes, CborError};

use crate::worker::{WorkerKeyError, worker_public_key};

/// Why a block cannot be signed or its signature does not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlockSigError {
    /// The header cannot be encoded to compute its signing CID.
    #[error("the block header cannot be encoded for signing: {0}")]
    Encode(#[from] CborError),
    /// The miner's worker key is not a usable BLS key.
    #[error(transparent)]
    WorkerKey(#[from] WorkerKeyError),
    /// The header carries no signature.
    #[error("the block header is not signed (block_sig is empty)")]
    Missing,
    /// `block_sig` is not a valid compressed BLS signature.
    #[error("the block signature is malformed: {0}")]
    Malformed(BlsError),
    /// A valid signature, but not the worker's over this header.
    #[error("the block signature is not the worker's over this header")]
    Invalid,
}

/// The bytes the worker signs: the binary CID of the header without its signature.
///
/// # Errors
/// [`BlockSigError::Encode`].
pub fn signing_bytes(header: &BlockHeader) -> Result<Vec<u8>, BlockSigError> {
    Ok(header.signing_cid()?.to_bytes())
}

/// The worker's signature of `header` (its `block_sig` is ignored).
///
/// # Errors
/// [`BlockSigError::Encode`].
pub fn block_signature(
    worker: &bls::SecretKey,
    header: &BlockHeader,
) -> Result<bls::Signature, BlockSigError> {
    Ok(worker.sign(&signing_bytes(header)?))
}

/// Signs `header` in place: sets `block_sig` to the worker's signature.
///
/// # Errors
/// [`BlockSigError::Encode`].
pub fn sign_block(worker: &bls::SecretKey, header: &mut BlockHeader) -> Result<(), BlockSigError> {
    header.block_sig = Bytes(block_signature(worker, header)?.to_bytes().to_vec());
    Ok(())
}

/// Checks that `header.block_sig` is the signature of `worker_key` (the miner's
/// `MinerInfo::worker_key`) over the header.
///
/// # Errors
/// [`BlockSigError::Missing`], [`BlockSigError::Malformed`], [`BlockSigError::Invalid`] for a
/// wrong signature; [`BlockSigError::WorkerKey`], [`BlockSigError::Encode`] when it cannot be
/// checked.
pub fn verify_block_signature(
    worker_key: &Address,
    header: &BlockHeader,
) -> Result<(), BlockSigError> {
    if header.block_sig.0.is_empty() {
        return Err(BlockSigError::Missing);
    }
    let public_key = worker_public_key(worker_key)?;
    let signature =
        bls::Signature::from_bytes(&header.block_sig.0).map_err(BlockSigError::Malformed)?;
    signature
        .verify(&signing_bytes(header)?, &public_key)
        .map_err(|_| BlockSigError::Invalid)
}
