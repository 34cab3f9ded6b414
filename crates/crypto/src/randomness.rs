//! Domain-separated randomness, as Filecoin's `DrawRandomness`.
//!
//! Every use of chain randomness (tickets, election, PoSt challenges, seal ticket and seed, deal
//! cron) draws with its own [`DomainSeparationTag`], so no value can be replayed from one use
//! into another. The chain implements [`RandomnessSource`] over its tickets (and later a
//! beacon); [`FixedRandomness`] draws from one fixed base for genesis and tests.

use blake2::Blake2b;
use blake2::digest::Digest;
use blake2::digest::consts::U32;

/// Length of drawn randomness.
pub const RANDOMNESS_LEN: usize = 32;

/// What randomness is drawn for. The numbering is Filecoin's (`go-state-types`
/// `crypto/randomness.go`), and the number is hashed into every draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(i64)]
#[non_exhaustive]
pub enum DomainSeparationTag {
    /// The VRF input of a block's ticket.
    TicketProduction = 1,
    /// The VRF input of a block's election proof.
    ElectionProofProduction = 2,
    /// The challenge seed of Winning PoSt.
    WinningPoStChallengeSeed = 3,
    /// The challenge seed of Window PoSt.
    WindowedPoStChallengeSeed = 4,
    /// The seal ticket (sealing randomness drawn at pre-commit).
    SealRandomness = 5,
    /// The interactive seal challenge seed (drawn after the pre-commit delay).
    InteractiveSealChallengeSeed = 6,
    /// Assignment of partitions to Window PoSt deadlines.
    WindowedPoStDeadlineAssignment = 7,
    /// The seed of the market actor's deal cron.
    MarketDealCronSeed = 8,
    /// The chain randomness a PoSt commits to.
    PoStChainCommit = 9,
}

impl DomainSeparationTag {
    /// Every tag, in numeric order.
    pub const ALL: [DomainSeparationTag; 9] = [
        DomainSeparationTag::TicketProduction,
        DomainSeparationTag::ElectionProofProduction,
        DomainSeparationTag::WinningPoStChallengeSeed,
        DomainSeparationTag::WindowedPoStChallengeSeed,
        DomainSeparationTag::SealRandomness,
        DomainSeparationTag::InteractiveSealChallengeSeed,
        DomainSeparationTag::WindowedPoStDeadlineAssignment,
        DomainSeparationTag::MarketDealCronSeed,
        DomainSeparationTag::PoStChainCommit,
    ];

    /// The tag's number.
    pub fn as_i64(self) -> i64 {
        self as i64
    }

    /// The tag with this number, if any.
    pub fn from_i64(value: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_i64() == value)
    }
}

/// Draws 32 bytes of randomness, exactly as Filecoin's `DrawRandomness` (Lotus
/// `chain/rand/rand.go`, `DrawRandomnessFromBase`):
///
/// `BLAKE2b-256( i64_BE(tag) ‖ BLAKE2b-256(rbase) ‖ i64_BE(round) ‖ entropy )`.
///
/// Every `round` is accepted, negative ones included: they are hashed as their two's-complement
/// big-endian bytes, as Go's `binary.Write` of an `int64` does. Whether a negative epoch makes
/// sense is the caller's question ([`FixedRandomness`] refuses them).
pub fn draw_randomness(
    rbase: &[u8],
    tag: DomainSeparationTag,
    round: i64,
    entropy: &[u8],
) -> [u8; RANDOMNESS_LEN] {
    let base_digest = Blake2b::<U32>::digest(rbase);
    Blake2b::<U32>::new()
        .chain_update(tag.as_i64().to_be_bytes())
        .chain_update(base_digest)
        .chain_update(round.to_be_bytes())
        .chain_update(entropy)
        .finalize()
        .into()
}

/// Why randomness could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RandomnessError {
    /// Epochs start at 0 (genesis); a negative one is a lookback that went past genesis.
    #[error("no randomness for epoch {epoch}: epochs start at 0 (clamp the lookback at genesis)")]
    NegativeEpoch {
        /// The requested epoch.
        epoch: i64,
    },
    /// The epoch is after the latest one the source knows.
    #[error("no randomness for epoch {epoch} yet: the latest known epoch is {latest}")]
    NotYetAvailable {
        /// The requested epoch.
        epoch: i64,
        /// The latest epoch with randomness.
        latest: i64,
    },
    /// The source cannot serve this epoch for another reason (missing tipset, beacon gap).
    #[error("no randomness for epoch {epoch}: {reason}")]
    Unavailable {
        /// The requested epoch.
        epoch: i64,
        /// Why.
        reason: String,
    },
}

/// Where protocol randomness comes from: one interface, domain-separated per use. The chain
/// implements it over its tickets (and, later, a beacon); [`FixedRandomness`] is the trivial one.
pub trait RandomnessSource {
    /// The randomness for `tag` at `epoch`, mixed with `entropy` (typically the CBOR of the
    /// miner's address).
    ///
    /// # Errors
    /// [`RandomnessError`] when the source has no randomness for `epoch`.
    fn randomness(
        &self,
        tag: DomainSeparationTag,
        epoch: i64,
        entropy: &[u8],
    ) -> Result<[u8; RANDOMNESS_LEN], RandomnessError>;
}

/// Randomness drawn from one fixed base (a genesis ticket or test beacon) for every epoch:
/// `draw_randomness(base, tag, epoch, entropy)`. Epochs before genesis (negative) are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixedRandomness {
    base: Vec<u8>,
}

impl FixedRandomness {
    /// A source drawing from `base`.
    pub fn new(base: impl Into<Vec<u8>>) -> Self {
        Self { base: base.into() }
    }

    /// The base.
    pub fn base(&self) -> &[u8] {
        &self.base
    }
}

impl RandomnessSource for FixedRandomness {
    fn randomness(
        &self,
        tag: DomainSeparationTag,
        epoch: i64,
        entropy: &[u8],
    ) -> Result<[u8; RANDOMNESS_LEN], RandomnessError> {
        if epoch < 0 {
            return Err(RandomnessError::NegativeEpoch { epoch });
        }
        Ok(draw_randomness(&self.base, tag, epoch, entropy))
    }
}

/// A source with no randomness at all: every draw fails with
/// [`RandomnessError::Unavailable`]. For applying messages that never draw (transfers in a
/// benchmark, say); a method that needs randomness then fails as a fault of the node.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoRandomness;

impl RandomnessSource for NoRandomness {
    fn randomness(
        &self,
        _tag: DomainSeparationTag,
        epoch: i64,
        _entropy: &[u8],
    ) -> Result<[u8; RANDOMNESS_LEN], RandomnessError> {
        Err(RandomnessError::Unavailable {
            epoch,
            reason: "this context supplies no randomness".into(),
        })
    }
}

impl<T: RandomnessSource + ?Sized> RandomnessSource for &T {
    fn randomness(
        &self,
        tag: DomainSeparationTag,
        epoch: i64,
        entropy: &[u8],
    ) -> Result<[u8; RANDOMNESS_LEN], RandomnessError> {
        (**self).randomness(tag, epoch, entropy)
    }
}
