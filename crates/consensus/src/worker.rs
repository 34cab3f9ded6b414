//! The miner's worker key: the BLS key that signs tickets, election proofs and blocks.

use flowcoin_crypto::bls::{self, BlsError};
use flowcoin_types::Address;
use flowcoin_types::address::Protocol;

/// Why a miner's worker key address gives no usable public key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerKeyError {
    /// The address is not a BLS key address (the power actor only accepts BLS workers).
    #[error(
        "the worker key must be a BLS (protocol 3) address, not {protocol}: tickets, election \
         proofs and blocks are BLS signatures"
    )]
    NotBls {
        /// The address's protocol.
        protocol: Protocol,
    },
    /// The 48 bytes are not a valid BLS public key.
    #[error("the worker key address holds no valid BLS public key: {0}")]
    InvalidKey(BlsError),
}

/// The BLS public key of a worker key address (`MinerInfo::worker_key`, an
/// `Address::Bls`).
///
/// # Errors
/// [`WorkerKeyError`].
pub fn worker_public_key(worker_key: &Address) -> Result<bls::PublicKey, WorkerKeyError> {
    match worker_key {
        Address::Bls(bytes) => {
            bls::PublicKey::from_bytes(bytes).map_err(WorkerKeyError::InvalidKey)
        }
        other => Err(WorkerKeyError::NotBls {
            protocol: other.protocol(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_valid_bls_addresses_are_worker_keys() {
        let sk = bls::SecretKey::from_seed(&[3; 32]).unwrap();
        let address = Address::Bls(sk.public_key().to_bytes());
        assert_eq!(worker_public_key(&address).unwrap(), *sk.public_key());
        assert!(matches!(
            worker_public_key(&Address::Id(1000)),
            Err(WorkerKeyError::NotBls { .. })
        ));
        assert!(matches!(
            worker_public_key(&Address::from_ed25519_public_key(&[1; 32])),
            Err(WorkerKeyError::NotBls { .. })
        ));
        assert!(matches!(
            worker_public_key(&Address::Bls([9; 48])),
            Err(WorkerKeyError::InvalidKey(_))
        ));
    }
}
