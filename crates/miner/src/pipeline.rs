//! The sealing pipeline for committed-capacity sectors (`flowcoin miner pledge`): seal,
//! pre-commit, wait for the seed, prove-commit.
//!
//! The pipeline keeps no state of its own: at every epoch ([`Pipeline::on_epoch`]) it compares
//! the sectors on disk with the miner's state on chain, so a restart resumes where it was.
//!
//! | on disk | on chain | action |
//! |---|---|---|
//! | sealed, ticket still young enough | nothing | `PreCommitSector` (with the deposit the available balance lacks) |
//! | sealed, ticket too old | nothing | none: the sector is reported stale (seal a new one) |
//! | sealed | pre-committed, seed epoch passed | prove the seal for the chain's seed; `ProveCommitSector` (with the pledge the available balance lacks) |
//! | sealed | pre-committed, seed not yet drawn | wait |
//! | sealed | active | done |
//!
//! Deposits and pledges are sent with [`MARGIN_PERCENT`] % to spare. A message is not re-sent
//! for [`RESUBMIT_AFTER`] epochs. [`Pipeline::pledge`] seals a new
//! sector with the ticket of the previous epoch (numbers go up from the chain's next free one).

use std::collections::{BTreeMap, BTreeSet};

use flowcoin_crypto::randomness::RandomnessSource;
use flowcoin_dag::store::Blockstore;
use flowcoin_state::actor::ActorId;
use flowcoin_state::actor::miner::methods::reward_env;
use flowcoin_state::actor::miner::monies;
use flowcoin_state::actor::miner::{
    PreCommitSectorParams, ProveCommitSectorParams, miner_state, pre_commits, seal_seed,
    seal_ticket, sectors, seed_epoch,
};
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::message::Bytes;
use flowcoin_types::{NetworkParams, TokenAmount};

use crate::scheduler::RESUBMIT_AFTER;
use crate::sectors::{PledgeJob, SectorError, SectorStore};

/// What the pipeline needs sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PipelineAction {
    /// `PreCommitSector`, carrying `value`.
    PreCommit(PreCommitSectorParams, TokenAmount),
    /// `ProveCommitSector`, carrying `value`.
    ProveCommit(ProveCommitSectorParams, TokenAmount),
}

/// Where a sector on disk stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectorStage {
    /// Sealed, not yet pre-committed.
    Sealed,
    /// Sealed with a ticket older than the chain accepts: it can never be pre-committed.
    Stale,
    /// Pre-committed; the seed is drawn at the given epoch.
    WaitSeed(u64),
    /// Pre-committed and the seed is drawn: proving.
    Committing,
    /// Active on chain.
    Proving,
}

/// Why the pipeline failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// The state could not be read.
    #[error(transparent)]
    State(#[from] flowcoin_state::state_tree::StateError),
    /// The money formulas' inputs could not be read.
    #[error(transparent)]
    Apply(#[from] flowcoin_state::apply::ApplyError),
    /// The miner does not exist.
    #[error("miner f0{0} is not in the state")]
    NoMiner(ActorId),
    /// The sector store failed.
    #[error(transparent)]
    Sector(#[from] SectorError),
    /// An amount overflowed (a damaged state).
    #[error("amount overflow")]
    Overflow,
}

/// An amount plus [`MARGIN_PERCENT`] %: the chain computes deposits and pledges when the
/// message lands, and the network's power may have grown by then; what is sent beyond the
/// need stays in the miner's available balance.
fn with_margin(amount: TokenAmount) -> Option<TokenAmount> {
    amount.mul_div_floor(100 + MARGIN_PERCENT, 100)
}

/// The margin added to deposits and pledges sent with a message.
pub const MARGIN_PERCENT: u64 = 2;

/// The sealing pipeline of one miner.
#[derive(Debug, Clone)]
pub struct Pipeline {
    miner: ActorId,
    store: SectorStore,
    sent: BTreeMap<(u8, u64), u64>,
}

impl Pipeline {
    /// The pipeline of `miner` over its sector store.
    pub fn new(miner: ActorId, store: SectorStore) -> Self {
        Self {
            miner,
            store,
            sent: BTreeMap::new(),
        }
    }

    /// Seals a new committed-capacity sector with the ticket of `epoch − 1` and returns its
    /// number (it is pre-committed by the next [`on_epoch`](Self::on_epoch)).
    pub fn pledge<S: Blockstore>(
        &mut self,
        tree: &StateTree<S>,
        epoch: u64,
        randomness: &dyn RandomnessSource,
    ) -> Result<u64, PipelineError> {
        let job = self.plan_pledge(tree, epoch, randomness, &BTreeSet::new())?;
        self.store.seal(&job)?;
        Ok(job.number)
    }

    /// What sealing a new committed-capacity sector takes, decided on the chain's state: the
    /// next free number (above those on disk, the chain's next one, and `reserved`, the
    /// numbers of sectors still being sealed) and the ticket of `epoch − 1`. Sealing it
    /// ([`SectorStore::seal`]) can then run away from the chain.
    pub fn plan_pledge<S: Blockstore>(
        &self,
        tree: &StateTree<S>,
        epoch: u64,
        randomness: &dyn RandomnessSource,
        reserved: &BTreeSet<u64>,
    ) -> Result<PledgeJob, PipelineError> {
        let (_, state) =
            miner_state(tree, self.miner)?.ok_or(PipelineError::NoMiner(self.miner))?;
        let size = state
            .sector_size()
            .ok_or(PipelineError::NoMiner(self.miner))?;
        let on_disk = self.store.list(self.miner)?;
        let after = |n: Option<&u64>| n.map_or(0, |n| n.saturating_add(1));
        let number = after(on_disk.last())
            .max(after(reserved.last()))
            .max(state.next_sector_number);
        let ticket_epoch = epoch.saturating_sub(1);
        let ticket = seal_ticket(randomness, self.miner, ticket_epoch)?;
        Ok(PledgeJob {
            miner: self.miner,
            number,
            size,
            ticket,
            ticket_epoch,
        })
    }

    /// Where each sector on disk stands at `epoch`.
    pub fn stages<S: Blockstore>(
        &self,
        tree: &StateTree<S>,
        params: &NetworkParams,
        epoch: u64,
    ) -> Result<Vec<(u64, SectorStage)>, PipelineError> {
        let (_, state) =
            miner_state(tree, self.miner)?.ok_or(PipelineError::NoMiner(self.miner))?;
        let active: Vec<u64> = sectors(tree, &state)?
            .iter()
            .map(|s| s.sector_number)
            .collect();
        let pending = pre_commits(tree, &state)?;
        let mut out = Vec::new();
        for number in self.store.list(self.miner)? {
            let stage = if active.contains(&number) {
                SectorStage::Proving
            } else if let Some(pc) = pending.iter().find(|p| p.sector_number == number) {
                let seed_at = seed_epoch(params, pc.pre_commit_epoch);
                if epoch > seed_at {
                    SectorStage::Committing
                } else {
                    SectorStage::WaitSeed(seed_at)
                }
            } else {
                let meta = self.store.meta(self.miner, number)?;
                let young = meta.ticket_epoch.is_some_and(|t| {
                    epoch > t && epoch.saturating_sub(t) <= params.miner.max_seal_ticket_age
                });
                // Numbers below the chain's next one were used (or abandoned) on chain.
                if young && number >= state.next_sector_number {
                    SectorStage::Sealed
                } else {
                    SectorStage::Stale
                }
            };
            out.push((number, stage));
        }
        Ok(out)
    }

    /// What to send for messages landing at `epoch`, on the head's state `tree` whose
    /// circulating supply is `circulating`.
    pub fn on_epoch<S: Blockstore>(
        &mut self,
        tree: &StateTree<S>,
        params: &NetworkParams,
        epoch: u64,
        circulating: TokenAmount,
        randomness: &dyn RandomnessSource,
    ) -> Result<Vec<PipelineAction>, PipelineError> {
        let (actor, state) =
            miner_state(tree, self.miner)?.ok_or(PipelineError::NoMiner(self.miner))?;
        let size = state
            .sector_size()
            .ok_or(PipelineError::NoMiner(self.miner))?
            .bytes();
        let env = reward_env(tree, params, epoch, circulating)?;
        let mut available = state.available_balance(actor.balance);
        let pending = pre_commits(tree, &state)?;
        let mut actions = Vec::new();
        for (number, stage) in self.stages(tree, params, epoch)? {
            match stage {
                SectorStage::Sealed => {
                    let key = (0, number);
                    if self.recently(key, epoch) {
                        continue;
                    }
                    let meta = self.store.meta(self.miner, number)?;
                    let (Ok(comm_r), Ok(comm_d)) = (meta.comm_r(), meta.comm_d()) else {
                        continue;
                    };
                    let deposit = monies::pre_commit_deposit(&env, &params.miner, size)
                        .and_then(with_margin)
                        .ok_or(PipelineError::Overflow)?;
                    let value = deposit.saturating_sub(available);
                    available = available.saturating_sub(deposit);
                    // The longest commitment the chain accepts (counted from the pre-commit,
                    // as the chain checks it): a pledged sector serves as long as it may.
                    let lifetime = params.miner.max_sector_lifetime;
                    self.sent.insert(key, epoch);
                    actions.push(PipelineAction::PreCommit(
                        PreCommitSectorParams {
                            sector_number: number,
                            sealed_cid: flowcoin_proofs::sealed_cid(&comm_r),
                            unsealed_cid: flowcoin_proofs::unsealed_cid(&comm_d),
                            seal_rand_epoch: meta.ticket_epoch.unwrap_or(0),
                            expiration: epoch.saturating_add(lifetime),
                        },
                        value,
                    ));
                }
                SectorStage::Committing => {
                    let key = (1, number);
                    if self.recently(key, epoch) {
                        continue;
                    }
                    let Some(pc) = pending.iter().find(|p| p.sector_number == number) else {
                        continue;
                    };
                    let seed = seal_seed(randomness, params, self.miner, pc.pre_commit_epoch)?;
                    let proof = self.store.prove_commit(self.miner, number, seed)?;
                    let pledge = monies::initial_pledge(&env, &params.miner, size)
                        .and_then(with_margin)
                        .ok_or(PipelineError::Overflow)?;
                    // The deposit comes back at prove-commit and counts toward the pledge.
                    let have = available
                        .checked_add(pc.deposit)
                        .ok_or(PipelineError::Overflow)?;
                    let value = pledge.saturating_sub(have);
                    available = have.saturating_sub(pledge);
                    self.sent.insert(key, epoch);
                    actions.push(PipelineAction::ProveCommit(
                        ProveCommitSectorParams {
                            sector_number: number,
                            proof: Bytes(proof),
                        },
                        value,
                    ));
                }
                SectorStage::Stale | SectorStage::WaitSeed(_) | SectorStage::Proving => {}
            }
        }
        Ok(actions)
    }

    fn recently(&self, key: (u8, u64), epoch: u64) -> bool {
        self.sent
            .get(&key)
            .is_some_and(|at| epoch < at.saturating_add(RESUBMIT_AFTER))
    }
}
