//! Tickets and leader election (filecoin-spec §4.3), with Flowcoin's chain randomness.
//!
//! Both are VRF proofs — BLS signatures by the miner's worker key ([`flowcoin_crypto::vrf`])
//! — over chain randomness drawn for the miner (entropy = DAG-CBOR of its ID address,
//! [`miner_entropy`]):
//!
//! | proof | VRF input |
//! |---|---|
//! | ticket of the block at height h | `randomness(TicketProduction, h − 1, entropy)` ([`ticket_input`]) |
//! | election proof at height h | `randomness(ElectionProofProduction, h, entropy)` ([`election_input`]) |
//!
//! The election proof carries the win count: [`win_count`] of its VRF proof bytes for the
//! miner's power out of the network's, and a block is only valid with at least one win.
//! Verification ([`verify_election_proof`]) checks the claim is ≥ 1, the VRF against the worker
//! public key, then recomputes the win count.
//!
//! Departures from Filecoin: the randomness comes from a [`RandomnessSource`] over the
//! chain's own tickets instead of the drand beacon; the power is raw-byte power (Flowcoin has
//! no quality-adjusted power). Which state the power is read from (Filecoin: 900 epochs back)
//! is the caller's choice.
//!
//! [`miner_entropy`]: flowcoin_state::actor::miner::miner_entropy

use flowcoin_crypto::bls;
use flowcoin_crypto::randomness::{
    DomainSeparationTag, RANDOMNESS_LEN, RandomnessError, RandomnessSource,
};
use flowcoin_crypto::vrf::{VrfError, VrfProof, verify_vrf, vrf_prove};
use flowcoin_state::actor::ActorId;
use flowcoin_types::block::{ElectionProof, Ticket};
use flowcoin_types::message::Bytes;
use flowcoin_types::{Address, StoragePower};

use crate::draw::{DrawFailure, draw};
use crate::wincount::win_count;
use crate::worker::{WorkerKeyError, worker_public_key};

/// Tickets draw the randomness of the epoch before the block (`TicketRandomnessLookback`).
const TICKET_LOOKBACK: u8 = 1;

/// Which VRF proof a failure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VrfUse {
    /// The block's ticket.
    Ticket,
    /// The block's election proof.
    Election,
}

impl std::fmt::Display for VrfUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Ticket => "ticket",
            Self::Election => "election proof",
        })
    }
}

/// Why a ticket or election proof could not be made or does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ElectionError {
    /// The height is above `i64::MAX`, beyond every randomness source.
    #[error("height {height} is out of range for chain randomness (at most 2^63 − 1)")]
    HeightOutOfRange {
        /// The block height.
        height: u64,
    },
    /// The randomness source has nothing for the epoch the proof draws on (a ticket at
    /// height 0, a chain that does not reach the epoch yet).
    #[error("no randomness for the {what}: {source}")]
    Randomness {
        /// Which proof.
        what: VrfUse,
        /// The source's refusal.
        source: RandomnessError,
    },
    /// The miner's worker key is not a usable BLS key.
    #[error(transparent)]
    WorkerKey(#[from] WorkerKeyError),
    /// The VRF proof is malformed or not the worker's signature over the epoch's randomness.
    #[error("the {what}'s VRF proof is not the worker's over this epoch's randomness: {source}")]
    BadVrf {
        /// Which proof.
        what: VrfUse,
        /// Why the VRF check failed.
        source: VrfError,
    },
    /// The election proof claims another win count than its VRF output draws.
    #[error("the election proof claims {claimed} wins, but its VRF output draws {computed}")]
    WinCountMismatch {
        /// The block's claim.
        claimed: u64,
        /// Recomputed from the VRF proof and the powers.
        computed: u64,
    },
    /// The election proof claims no win: such a block is not eligible at all.
    #[error("the election proof claims 0 wins; a block needs at least one")]
    ZeroWinCount,
}

impl ElectionError {
    fn from_draw(what: VrfUse, failure: DrawFailure) -> Self {
        match failure {
            DrawFailure::HeightOutOfRange(height) => Self::HeightOutOfRange { height },
            DrawFailure::Source(source) => Self::Randomness { what, source },
        }
    }
}

/// The power an election is weighted by: the miner's share of the network's, and E.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElectionPower {
    /// The miner's raw power.
    pub miner_power: StoragePower,
    /// The network total the election divides by (the power actor's eligible total).
    pub total_power: StoragePower,
    /// Expected winners per epoch (`NetworkParams::expected_leaders_per_epoch`).
    pub expected_leaders: u64,
}

impl ElectionPower {
    /// The win count of the VRF proof bytes `vrf_proof` with this power ([`win_count`]).
    pub fn win_count(&self, vrf_proof: &[u8]) -> u64 {
        win_count(
            vrf_proof,
            self.miner_power.0,
            self.total_power.0,
            self.expected_leaders,
        )
    }
}

/// The VRF input of miner `miner`'s ticket at `height`: `randomness(TicketProduction,
/// height − 1, DAG-CBOR(miner ID address))`.
///
/// # Errors
/// [`ElectionError::HeightOutOfRange`], [`ElectionError::Randomness`] (height 0 included).
pub fn ticket_input(
    source: &dyn RandomnessSource,
    miner: ActorId,
    height: u64,
) -> Result<[u8; RANDOMNESS_LEN], ElectionError> {
    draw(
        source,
        DomainSeparationTag::TicketProduction,
        height,
        TICKET_LOOKBACK,
        miner,
    )
    .map_err(|f| ElectionError::from_draw(VrfUse::Ticket, f))
}

/// The VRF input of miner `miner`'s election proof at `height`:
/// `randomness(ElectionProofProduction, height, DAG-CBOR(miner ID address))`.
///
/// # Errors
/// [`ElectionError::HeightOutOfRange`], [`ElectionError::Randomness`].
pub fn election_input(
    source: &dyn RandomnessSource,
    miner: ActorId,
    height: u64,
) -> Result<[u8; RANDOMNESS_LEN], ElectionError> {
    draw(
        source,
        DomainSeparationTag::ElectionProofProduction,
        height,
        0,
        miner,
    )
    .map_err(|f| ElectionError::from_draw(VrfUse::Election, f))
}

/// Miner `miner`'s ticket for a block at `height`, signed by its worker key.
///
/// # Errors
/// As [`ticket_input`].
pub fn make_ticket(
    worker: &bls::SecretKey,
    source: &dyn RandomnessSource,
    miner: ActorId,
    height: u64,
) -> Result<Ticket, ElectionError> {
    let input = ticket_input(source, miner, height)?;
    Ok(Ticket {
        vrf_proof: Bytes(vrf_prove(worker, &input).to_bytes().to_vec()),
    })
}

/// Runs miner `miner`'s election at `height`: its election proof when it wins at least once,
/// `None` when it does not.
///
/// # Errors
/// As [`election_input`].
pub fn make_election_proof(
    worker: &bls::SecretKey,
    source: &dyn RandomnessSource,
    miner: ActorId,
    height: u64,
    power: &ElectionPower,
) -> Result<Option<ElectionProof>, ElectionError> {
    let input = election_input(source, miner, height)?;
    let proof = vrf_prove(worker, &input).to_bytes();
    let wins = power.win_count(&proof);
    Ok((wins > 0).then(|| ElectionProof {
        win_count: wins,
        vrf_proof: Bytes(proof.to_vec()),
    }))
}

/// Checks that `ticket` is miner `miner`'s ticket at `height`: the VRF of the worker key
/// (`worker_key`, the `MinerInfo::worker_key` address) over [`ticket_input`].
///
/// # Errors
/// [`ElectionError::BadVrf`] for a wrong proof; [`ElectionError::WorkerKey`],
/// [`ElectionError::HeightOutOfRange`] and [`ElectionError::Randomness`] when it cannot be
/// checked.
pub fn verify_ticket(
    worker_key: &Address,
    source: &dyn RandomnessSource,
    miner: ActorId,
    height: u64,
    ticket: &Ticket,
) -> Result<(), ElectionError> {
    let public_key = worker_public_key(worker_key)?;
    let input = ticket_input(source, miner, height)?;
    check_vrf(VrfUse::Ticket, &public_key, &input, &ticket.vrf_proof.0)
}

/// Checks miner `miner`'s election proof at `height`: it claims at least one win, its VRF
/// proof is the worker's over [`election_input`], and the claimed win count is the one the
/// proof draws with `power`.
///
/// # Errors
/// [`ElectionError::ZeroWinCount`], [`ElectionError::BadVrf`],
/// [`ElectionError::WinCountMismatch`] (with both counts) for a wrong proof;
/// [`ElectionError::WorkerKey`], [`ElectionError::HeightOutOfRange`] and
/// [`ElectionError::Randomness`] when it cannot be checked.
pub fn verify_election_proof(
    worker_key: &Address,
    source: &dyn RandomnessSource,
    miner: ActorId,
    height: u64,
    power: &ElectionPower,
    proof: &ElectionProof,
) -> Result<(), ElectionError> {
    if proof.win_count == 0 {
        return Err(ElectionError::ZeroWinCount);
    }
    let public_key = worker_public_key(worker_key)?;
    let input = election_input(source, miner, height)?;
    check_vrf(VrfUse::Election, &public_key, &input, &proof.vrf_proof.0)?;
    let computed = power.win_count(&proof.vrf_proof.0);
    if computed != proof.win_count {
        return Err(ElectionError::WinCountMismatch {
            claimed: proof.win_count,
            computed,
        });
    }
    Ok(())
}

fn check_vrf(
    what: VrfUse,
    public_key: &bls::PublicKey,
    input: &[u8],
    proof: &[u8],
) -> Result<(), ElectionError> {
    VrfProof::from_bytes(proof)
        .and_then(|p| verify_vrf(public_key, input, &p))
        .map(|_| ())
        .map_err(|source| ElectionError::BadVrf { what, source })
}

#[cfg(test)]
mod tests {
    use flowcoin_crypto::randomness::FixedRandomness;

    use super::*;

    fn worker() -> bls::SecretKey {
        bls::SecretKey::from_seed(&[11; 32]).unwrap()
    }

    fn worker_address(sk: &bls::SecretKey) -> Address {
        Address::Bls(sk.public_key().to_bytes())
    }

    fn power(p: u128, t: u128) -> ElectionPower {
        ElectionPower {
            miner_power: StoragePower(p),
            total_power: StoragePower(t),
            expected_leaders: 5,
        }
    }

    #[test]
    fn inputs_are_domain_separated_and_ticket_looks_back_one_epoch() {
        let source = FixedRandomness::new(b"genesis".to_vec());
        let ticket = ticket_input(&source, 1000, 10).unwrap();
        let election = election_input(&source, 1000, 10).unwrap();
        assert_ne!(ticket, election);
        let entropy = flowcoin_state::actor::miner::miner_entropy(1000);
        assert_eq!(
            ticket,
            source
                .randomness(DomainSeparationTag::TicketProduction, 9, &entropy)
                .unwrap()
        );
        assert_eq!(
            election,
            source
                .randomness(DomainSeparationTag::ElectionProofProduction, 10, &entropy)
                .unwrap()
        );
        assert_ne!(election, election_input(&source, 1001, 10).unwrap());
    }

    #[test]
    fn heights_outside_the_sources_range_are_errors() {
        let source = FixedRandomness::new(b"genesis".to_vec());
        assert!(matches!(
            ticket_input(&source, 1000, 0),
            Err(ElectionError::Randomness {
                what: VrfUse::Ticket,
                source: RandomnessError::NegativeEpoch { epoch: -1 }
            })
        ));
        assert_eq!(
            election_input(&source, 1000, u64::MAX),
            Err(ElectionError::HeightOutOfRange { height: u64::MAX })
        );
        assert!(election_input(&source, 1000, 0).is_ok());
    }

    #[test]
    fn a_full_power_miner_wins_and_a_zero_power_miner_does_not() {
        let sk = worker();
        let source = FixedRandomness::new(b"genesis".to_vec());
        let full = make_election_proof(&sk, &source, 1000, 5, &power(1, 1)).unwrap();
        let proof = full.expect("λ = 5: a draw below 1 − e^-5 wins");
        assert!(proof.win_count >= 1);
        verify_election_proof(&worker_address(&sk), &source, 1000, 5, &power(1, 1), &proof)
            .unwrap();
        assert_eq!(
            make_election_proof(&sk, &source, 1000, 5, &power(0, 1)).unwrap(),
            None
        );
        assert_eq!(
            verify_election_proof(&worker_address(&sk), &source, 1000, 5, &power(0, 1), &proof),
            Err(ElectionError::WinCountMismatch {
                claimed: proof.win_count,
                computed: 0
            })
        );
    }
}
