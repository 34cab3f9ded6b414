//! Drawing a miner's chain randomness for an epoch: the one place block heights become the
//! signed epochs of [`RandomnessSource`], and the miner's ID address its entropy.

use flowcoin_crypto::randomness::{
    DomainSeparationTag, RANDOMNESS_LEN, RandomnessError, RandomnessSource,
};
use flowcoin_state::actor::ActorId;
use flowcoin_state::actor::miner::miner_entropy;

/// Why randomness could not be drawn; each module's error turns it into its own variants.
#[derive(Debug)]
pub(crate) enum DrawFailure {
    /// The height does not fit the source's `i64` epochs.
    HeightOutOfRange(u64),
    /// The source has no randomness for the epoch.
    Source(RandomnessError),
}

/// `source.randomness(tag, height − lookback, DAG-CBOR(Address::Id(miner)))`. A lookback past
/// genesis gives a negative epoch, which the source refuses.
pub(crate) fn draw(
    source: &dyn RandomnessSource,
    tag: DomainSeparationTag,
    height: u64,
    lookback: u8,
    miner: ActorId,
) -> Result<[u8; RANDOMNESS_LEN], DrawFailure> {
    // height ≤ i64::MAX and lookback ≤ 255 cannot underflow i64.
    let epoch = i64::try_from(height)
        .ok()
        .and_then(|h| h.checked_sub(i64::from(lookback)))
        .ok_or(DrawFailure::HeightOutOfRange(height))?;
    source
        .randomness(tag, epoch, &miner_entropy(miner))
        .map_err(DrawFailure::Source)
}
