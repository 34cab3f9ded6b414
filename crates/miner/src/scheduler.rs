//! The Window PoSt scheduler and fault detector: given the chain's state and the epoch the
//! next message will land in, what the miner must send.
//!
//! At each epoch ([`PostScheduler::on_epoch`]):
//!
//! 1. **Prove the open deadline.** If a deadline's window is open and some of its partitions
//!    are not yet proven on chain, prove them from the sector store (sectors declared faulty
//!    and not recovering are skipped; sectors the fault detector rejects are skipped too, and
//!    the chain marks them faulty) and emit one `SubmitWindowedPoSt`. A submission is not
//!    repeated for [`RESUBMIT_AFTER`] epochs, giving it time to land.
//! 2. **Declare faults and recoveries ahead.** For the deadline that opens next, before its
//!    fault cutoff: active sectors the fault detector rejects are declared faulty (no proof
//!    will come for them, and a declared fault is cheaper than a missed one: the missed PoSt
//!    also costs the sector's whole partition), and faulty sectors whose files check out again
//!    are declared recovered, so the next proof restores their power. Declarations are not
//!    repeated for [`RESUBMIT_AFTER`] epochs either.
//!
//! The scheduler only reads the state and the sector store; sending the messages is the
//! node's job.

use std::collections::BTreeMap;

use flowcoin_crypto::randomness::RandomnessSource;
use flowcoin_dag::store::Blockstore;
use flowcoin_proofs::sdr::post::PublicSector;
use flowcoin_state::actor::ActorId;
use flowcoin_state::actor::miner::{
    DeclareFaultsParams, PoStPartition, SubmitWindowedPoStParams, commitment_of, deadline,
    miner_state, window_post_randomness,
};
use flowcoin_state::hamt::Hamt;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::NetworkParams;
use flowcoin_types::message::Bytes;

use crate::post::prove_partition;
use crate::sectors::{SectorFault, SectorStore};

/// Epochs to wait for a sent message to land before sending it again.
pub const RESUBMIT_AFTER: u64 = 5;

/// What the miner must send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `SubmitWindowedPoSt` with these params.
    SubmitPost(SubmitWindowedPoStParams),
    /// `DeclareFaults` for these sectors, with why each fails.
    DeclareFaults(DeclareFaultsParams, Vec<SectorFault>),
    /// `DeclareFaultsRecovered` for these sectors.
    DeclareRecoveries(DeclareFaultsParams),
}

/// Why the scheduler could not decide.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchedulerError {
    /// The state could not be read.
    #[error(transparent)]
    State(#[from] flowcoin_state::state_tree::StateError),
    /// A miner HAMT could not be read.
    #[error(transparent)]
    Hamt(#[from] flowcoin_state::hamt::HamtError),
    /// The miner does not exist.
    #[error("miner f0{0} is not in the state")]
    NoMiner(ActorId),
    /// Randomness was unavailable.
    #[error("randomness: {0}")]
    Randomness(String),
    /// Proving failed.
    #[error(transparent)]
    Sector(#[from] crate::sectors::SectorError),
}

/// Keeps track of what was sent, so nothing is sent twice in a row.
#[derive(Debug, Clone)]
pub struct PostScheduler {
    miner: ActorId,
    store: SectorStore,
    /// Last epoch each (kind, deadline, window open) was acted on.
    sent: BTreeMap<(u8, u64, u64), u64>,
}

impl PostScheduler {
    /// A scheduler for `miner` over its sector store.
    pub fn new(miner: ActorId, store: SectorStore) -> Self {
        Self {
            miner,
            store,
            sent: BTreeMap::new(),
        }
    }

    fn recently(&self, key: (u8, u64, u64), epoch: u64) -> bool {
        self.sent
            .get(&key)
            .is_some_and(|at| epoch < at.saturating_add(RESUBMIT_AFTER))
    }

    /// What to send for messages landing at `epoch`, on the state `tree` (the head's).
    pub fn on_epoch<S: Blockstore>(
        &mut self,
        tree: &StateTree<S>,
        params: &NetworkParams,
        epoch: u64,
        randomness: &dyn RandomnessSource,
    ) -> Result<Vec<Action>, SchedulerError> {
        let (_, state) =
            miner_state(tree, self.miner)?.ok_or(SchedulerError::NoMiner(self.miner))?;
        let size = state
            .sector_size()
            .ok_or(SchedulerError::NoMiner(self.miner))?;
        let sectors: Hamt<flowcoin_state::actor::miner::SectorOnChain> =
            tree.load_hamt(&state.sectors)?;
        let public = |number: u64| -> Result<Option<PublicSector>, SchedulerError> {
            Ok(sectors
                .get(
                    &tree.objects(),
                    &flowcoin_state::actor::miner::sector_key(number),
                )?
                .and_then(|s| commitment_of(&s.sealed_cid, true))
                .map(|comm_r| PublicSector {
                    sector_number: number,
                    comm_r,
                }))
        };
        let mut actions = Vec::new();

        // 1. The open deadline's unproven partitions.
        let open = state.deadline_at(params, epoch);
        let key = (0, open.index, open.open);
        let dl = deadline(tree, &state, open.index)?;
        if !self.recently(key, epoch) {
            let randomness = window_post_randomness(randomness, self.miner, &open)
                .map_err(|e| SchedulerError::Randomness(e.to_string()))?;
            let mut partitions = Vec::new();
            for (index, partition) in dl.partitions.iter().enumerate() {
                let index = index as u64;
                if dl.proven.contains(&index) || partition.sectors.is_empty() {
                    continue;
                }
                let mut members = Vec::with_capacity(partition.sectors.len());
                for number in &partition.sectors {
                    if let Some(p) = public(*number)? {
                        members.push(p);
                    }
                }
                let skip: Vec<u64> = partition
                    .faults
                    .iter()
                    .copied()
                    .filter(|s| partition.recoveries.binary_search(s).is_err())
                    .collect();
                let proof =
                    prove_partition(&self.store, self.miner, size, &randomness, &members, &skip)?;
                partitions.push(PoStPartition {
                    index,
                    proof: Bytes(proof.proof),
                });
            }
            if !partitions.is_empty() {
                self.sent.insert(key, epoch);
                actions.push(Action::SubmitPost(SubmitWindowedPoStParams {
                    deadline: open.index,
                    partitions,
                }));
            }
        }

        // 2. Faults and recoveries for the deadline that opens next.
        let next_index = open
            .index
            .checked_add(1)
            .and_then(|i| i.checked_rem(params.deadlines))
            .unwrap_or(0);
        let next = state.next_deadline(params, next_index, epoch);
        if epoch < next.fault_cutoff {
            let dl = deadline(tree, &state, next_index)?;
            let mut faults = Vec::new();
            let mut reasons = Vec::new();
            let mut recoveries = Vec::new();
            for partition in &dl.partitions {
                for number in &partition.sectors {
                    let Some(p) = public(*number)? else { continue };
                    let check = self.store.check(self.miner, *number, &p.comm_r);
                    let faulty = partition.faults.binary_search(number).is_ok();
                    let recovering = partition.recoveries.binary_search(number).is_ok();
                    match (check, faulty, recovering) {
                        (Err(reason), false, _) | (Err(reason), true, true) => {
                            faults.push(*number);
                            reasons.push(reason);
                        }
                        (Ok(()), true, false) => recoveries.push(*number),
                        _ => {}
                    }
                }
            }
            let fault_key = (1, next_index, next.open);
            if !faults.is_empty() && !self.recently(fault_key, epoch) {
                self.sent.insert(fault_key, epoch);
                actions.push(Action::DeclareFaults(
                    DeclareFaultsParams { sectors: faults },
                    reasons,
                ));
            }
            let recovery_key = (2, next_index, next.open);
            if !recoveries.is_empty() && !self.recently(recovery_key, epoch) {
                self.sent.insert(recovery_key, epoch);
                actions.push(Action::DeclareRecoveries(DeclareFaultsParams {
                    sectors: recoveries,
                }));
            }
        }
        Ok(actions)
    }
}
