//! The Winning PoSt of a block (filecoin-spec §3.1): proof that the winner still stores one
//! sector drawn at random from its provable sectors.
//!
//! - Randomness ([`winning_post_randomness`]): `randomness(WinningPoStChallengeSeed, h,
//!   DAG-CBOR(miner ID address))` with byte 31 masked by `0x3f` so that it is a field element,
//!   the same value as `flowcoin_state::runtime::draw_masked`.
//! - Sector ([`challenged_sector`]): index `u64_LE(SHA-256(prover_id ‖ randomness ‖
//!   u64_LE(0))[0..8]) mod |set|` into the miner's provable sectors (live, not faulty, in
//!   sector number order: `flowcoin_state::actor::miner::provable_sectors`) taken from the
//!   lookback state; prover id = the miner's ID address payload padded to 32 bytes
//!   ([`prover_id`]).
//! - Proof: 66 leaf openings of that sector's replica under its CommR (vanilla, see
//!   `flowcoin_proofs::sdr::post`), carried in the header's `win_post_proof` as
//!   [`PostProof::encode`]`(false)`.
//!
//! The producer proves with `flowcoin_proofs::sdr::post::prove_winning` over its private
//! sector files; this module only says which sector is challenged and verifies.
//!
//! Departure from Filecoin: the randomness comes from the chain's tickets, not drand.
//!
//! [`prover_id`]: flowcoin_state::actor::miner::prover_id

use flowcoin_crypto::randomness::{
    DomainSeparationTag, RANDOMNESS_LEN, RandomnessError, RandomnessSource,
};
use flowcoin_proofs::sdr::params::{ParamsError, PoStProofKind, RegisteredPoStProof};
use flowcoin_proofs::sdr::post::{
    PostProof, PostVerifyError, PublicSector, verify_winning, winning_sector_index,
};
use flowcoin_proofs::sdr::proof::DecodeError;
use flowcoin_state::actor::ActorId;
use flowcoin_state::actor::miner::prover_id;
use flowcoin_types::SectorSize;

use crate::draw::{DrawFailure, draw};

/// Why a Winning PoSt cannot be drawn or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WinningPostError {
    /// The height is above `i64::MAX`, beyond every randomness source.
    #[error("height {height} is out of range for chain randomness (at most 2^63 − 1)")]
    HeightOutOfRange {
        /// The block height.
        height: u64,
    },
    /// The randomness source has nothing for the block's epoch.
    #[error("no Winning PoSt randomness: {0}")]
    Randomness(RandomnessError),
    /// The miner had no provable sector at the lookback state: it cannot prove (nor win).
    #[error("miner {miner} has no provable sector to challenge")]
    NoProvableSectors {
        /// The miner.
        miner: ActorId,
    },
    /// The miner's sector size has no Winning PoSt type.
    #[error("no Winning PoSt for this sector size: {0}")]
    SectorSize(ParamsError),
    /// The header's proof bytes are not a Winning PoSt.
    #[error("the Winning PoSt bytes do not decode: {0}")]
    Decode(DecodeError),
    /// The proof is for another sector or its openings do not verify.
    #[error("the Winning PoSt does not verify: {0}")]
    Invalid(PostVerifyError),
}

impl From<DrawFailure> for WinningPostError {
    fn from(failure: DrawFailure) -> Self {
        match failure {
            DrawFailure::HeightOutOfRange(height) => Self::HeightOutOfRange { height },
            DrawFailure::Source(source) => Self::Randomness(source),
        }
    }
}

/// The Winning PoSt randomness of miner `miner` at `height`:
/// `randomness(WinningPoStChallengeSeed, height, DAG-CBOR(miner ID address))` with
/// `[31] &= 0x3f`.
///
/// # Errors
/// [`WinningPostError::HeightOutOfRange`], [`WinningPostError::Randomness`].
pub fn winning_post_randomness(
    source: &dyn RandomnessSource,
    miner: ActorId,
    height: u64,
) -> Result<[u8; RANDOMNESS_LEN], WinningPostError> {
    let mut value = draw(
        source,
        DomainSeparationTag::WinningPoStChallengeSeed,
        height,
        0,
        miner,
    )?;
    // A field element for the proofs, as Lotus masks randomness before handing it over.
    if let Some(last) = value.last_mut() {
        *last &= 0x3f;
    }
    Ok(value)
}

/// The sector of `sector_set` (the miner's provable sectors at the lookback state, in sector
/// number order) that `randomness` challenges miner `miner` to prove: what the block producer
/// opens with `prove_winning`.
///
/// # Errors
/// [`WinningPostError::NoProvableSectors`] for an empty set.
pub fn challenged_sector(
    miner: ActorId,
    randomness: &[u8; RANDOMNESS_LEN],
    sector_set: &[PublicSector],
) -> Result<PublicSector, WinningPostError> {
    winning_sector_index(&prover_id(miner), randomness, sector_set.len())
        .and_then(|i| sector_set.get(i))
        .copied()
        .ok_or(WinningPostError::NoProvableSectors { miner })
}

/// The Winning PoSt proof type of sectors of `sector_size`.
///
/// # Errors
/// [`WinningPostError::SectorSize`].
pub fn winning_post_type(sector_size: SectorSize) -> Result<RegisteredPoStProof, WinningPostError> {
    RegisteredPoStProof::new(sector_size, PoStProofKind::Winning)
        .map_err(WinningPostError::SectorSize)
}

/// What a Winning PoSt is checked against: the miner, the block height, the randomness
/// source of the block's chain, and the miner's sectors at the lookback state.
#[derive(Clone, Copy)]
pub struct WinningPostChallenge<'a> {
    /// The producing miner.
    pub miner: ActorId,
    /// The block's height.
    pub height: u64,
    /// The block's chain randomness.
    pub randomness: &'a dyn RandomnessSource,
    /// The miner's sector size.
    pub sector_size: SectorSize,
    /// The miner's provable sectors at the lookback state, in sector number order.
    pub sector_set: &'a [PublicSector],
}

impl std::fmt::Debug for WinningPostChallenge<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WinningPostChallenge")
            .field("miner", &self.miner)
            .field("height", &self.height)
            .field("sector_size", &self.sector_size)
            .field("sectors", &self.sector_set.len())
            .finish_non_exhaustive()
    }
}

/// Verifies a block's Winning PoSt (`proof`, the header's `win_post_proof` bytes) against
/// `challenge`: decodes it, draws the randomness, and checks the proof opens the challenged
/// sector's 66 leaves under its CommR.
///
/// # Errors
/// [`WinningPostError::Decode`], [`WinningPostError::Invalid`] and
/// [`WinningPostError::NoProvableSectors`] for a block that cannot be valid;
/// [`WinningPostError::HeightOutOfRange`], [`WinningPostError::Randomness`] and
/// [`WinningPostError::SectorSize`] when it cannot be checked.
pub fn verify_winning_post(
    challenge: &WinningPostChallenge<'_>,
    proof: &[u8],
) -> Result<(), WinningPostError> {
    let proof_type = winning_post_type(challenge.sector_size)?;
    if challenge.sector_set.is_empty() {
        return Err(WinningPostError::NoProvableSectors {
            miner: challenge.miner,
        });
    }
    let proof = PostProof::decode(proof, false).map_err(WinningPostError::Decode)?;
    let randomness =
        winning_post_randomness(challenge.randomness, challenge.miner, challenge.height)?;
    verify_winning(
        proof_type,
        &prover_id(challenge.miner),
        &randomness,
        challenge.sector_set,
        &proof,
    )
    .map_err(WinningPostError::Invalid)
}

#[cfg(test)]
mod tests {
    use flowcoin_crypto::randomness::FixedRandomness;
    use flowcoin_state::runtime::draw_masked;

    use super::*;

    #[test]
    fn randomness_is_draw_masked() {
        let source = FixedRandomness::new(b"chain".to_vec());
        for height in [0, 1, 900, 123_456] {
            let got = winning_post_randomness(&source, 1000, height).unwrap();
            let want = draw_masked(
                &source,
                DomainSeparationTag::WinningPoStChallengeSeed,
                height,
                &flowcoin_state::actor::miner::miner_entropy(1000),
            )
            .unwrap();
            assert_eq!(got, want);
            assert!(got[31] <= 0x3f);
        }
        assert_eq!(
            winning_post_randomness(&source, 1000, u64::MAX),
            Err(WinningPostError::HeightOutOfRange { height: u64::MAX })
        );
    }

    #[test]
    fn the_challenged_sector_is_winning_sector_index_into_the_set() {
        let set: Vec<PublicSector> = (0..7)
            .map(|n| PublicSector {
                sector_number: 10 + n,
                comm_r: [n as u8; 32],
            })
            .collect();
        let randomness = [0x21; 32];
        let index = winning_sector_index(&prover_id(1000), &randomness, set.len()).unwrap();
        assert_eq!(
            challenged_sector(1000, &randomness, &set).unwrap(),
            set[index]
        );
        assert_eq!(
            challenged_sector(1000, &randomness, &[]),
            Err(WinningPostError::NoProvableSectors { miner: 1000 })
        );
    }

    #[test]
    fn garbage_and_empty_sets_are_refused_without_panicking() {
        let source = FixedRandomness::new(b"chain".to_vec());
        let set = [PublicSector {
            sector_number: 1,
            comm_r: [1; 32],
        }];
        let challenge = WinningPostChallenge {
            miner: 1000,
            height: 5,
            randomness: &source,
            sector_size: SectorSize::Size2KiB,
            sector_set: &set,
        };
        for bytes in [&[][..], &[0u8; 3][..], &[0xff; 300][..]] {
            assert!(matches!(
                verify_winning_post(&challenge, bytes),
                Err(WinningPostError::Decode(_))
            ));
        }
        let empty = WinningPostChallenge {
            sector_set: &[],
            ..challenge
        };
        assert_eq!(
            verify_winning_post(&empty, &[]),
            Err(WinningPostError::NoProvableSectors { miner: 1000 })
        );
    }
}
