//! The miner actor's methods. Each checks everything before it writes, but may still fail
//! midway (a later sector of a batch, a shortfall): message application reverts the whole
//! call then.
//!
//! | method | number | params | who | refused with |
//! |---|---|---|---|---|
//! | `PreCommitSector` | 2 | `[sector_number, sealed_cid, unsealed_cid, seal_rand_epoch, expiration]` | worker, owner | 16: number not above the last, CIDs not sector commitments, ticket epoch not in the past or older than `max_seal_ticket_age`, lifetime outside `[min, max]_sector_lifetime`; 19: deposit above available balance or unpaid fee debt |
//! | `ProveCommitSector` | 3 | `[sector_number, proof]` | worker, owner | 16: no such pre-commit, before the seed epoch has passed, after `max_prove_commit_delay`, proof malformed or invalid (the reason names the failing check); 19: pledge above available balance; 20: every deadline full |
//! | `SubmitWindowedPoSt` | 4 | `[deadline, [[partition, proof]…]]` | worker, owner | 16: deadline not open now, no such partition, partition already proven, proof malformed or invalid |
//! | `DeclareFaults` | 5 | `[[sector…]]` | worker, owner | 16: no such sector, past the deadline's fault cutoff |
//! | `DeclareFaultsRecovered` | 6 | `[[sector…]]` | worker, owner | 16: no such sector, not faulty, past the cutoff; 19: unpaid fee debt |
//! | `TerminateSectors` | 7 | `[[sector…]]` | worker, owner | 16: no such sector |
//! | `WithdrawBalance` | 8 | `[amount]` | owner | 19: amount above available balance after fee debt |
//!
//! Any other caller gets 18 (forbidden). A sector list holds at most
//! [`MAX_SECTORS_PER_CALL`] numbers.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use flowcoin_dag::store::Blockstore;
use flowcoin_proofs::sdr::commit::{SealPublicInputs, verify_seal};
use flowcoin_proofs::sdr::params::{
    PoStProofKind, RegisteredPoStProof, RegisteredSealProof, SealProofVersion,
};
use flowcoin_proofs::sdr::post::{PostProof, PublicSector, verify_window};
use flowcoin_proofs::sdr::proof::SealProof;
use flowcoin_types::message::Bytes;
use flowcoin_types::{NetworkParams, SectorSize, TokenAmount, cbor_tuple};

use super::monies::{self, RewardEnv};
use super::{
    Deadline, MAX_SECTORS_PER_DEADLINE, MinerState, SectorOnChain, SectorPreCommit, commitment_of,
    deadline, insert_sorted, miner_state, prover_id, remove_sorted, seal_seed, seal_ticket,
    sector_key, seed_epoch, window_post_randomness,
};
use crate::actor::power;
use crate::actor::{ActorId, BURNT_FUNDS_ACTOR_ID, REWARD_ACTOR_ID, RewardState};
use crate::apply::ApplyError;
use crate::hamt::Hamt;
use crate::receipt::ExitCode;
use crate::runtime::{
    CallError, GasMeter, InvokeContext, decode_params, encode_return, refuse, transfer,
};
use crate::state_tree::StateTree;
use flowcoin_types::StoragePower;

/// `PreCommitSector`.
pub const METHOD_PRE_COMMIT_SECTOR: u64 = 2;
/// `ProveCommitSector`.
pub const METHOD_PROVE_COMMIT_SECTOR: u64 = 3;
/// `SubmitWindowedPoSt`.
pub const METHOD_SUBMIT_WINDOWED_POST: u64 = 4;
/// `DeclareFaults`.
pub const METHOD_DECLARE_FAULTS: u64 = 5;
/// `DeclareFaultsRecovered`.
pub const METHOD_DECLARE_FAULTS_RECOVERED: u64 = 6;
/// `TerminateSectors`.
pub const METHOD_TERMINATE_SECTORS: u64 = 7;
/// `WithdrawBalance`.
pub const METHOD_WITHDRAW_BALANCE: u64 = 8;

/// The most sectors one `DeclareFaults`, `DeclareFaultsRecovered` or `TerminateSectors`
/// names.
pub const MAX_SECTORS_PER_CALL: usize = 10_000;

/// The largest params a method takes (a Window PoSt of a few partitions of 32 GiB sectors).
const MAX_PARAMS_BYTES: usize = 1 << 20;

/// `[sector_number, sealed_cid, unsealed_cid, seal_rand_epoch, expiration]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreCommitSectorParams {
    /// The sector's number (above every number the miner used before).
    pub sector_number: u64,
    /// CommR as a CID (`flowcoin_proofs::sealed_cid`).
    pub sealed_cid: cid::Cid,
    /// CommD as a CID (`flowcoin_proofs::unsealed_cid`).
    pub unsealed_cid: cid::Cid,
    /// The epoch whose randomness the sector was sealed with ([`super::seal_ticket`]).
    pub seal_rand_epoch: u64,
    /// When the sector's commitment ends.
    pub expiration: u64,
}

cbor_tuple!(PreCommitSectorParams {
    sector_number: u64,
    sealed_cid: cid::Cid,
    unsealed_cid: cid::Cid,
    seal_rand_epoch: u64,
    expiration: u64,
});

/// `[sector_number, proof]`: the vanilla seal proof (`SealProof::encode`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProveCommitSectorParams {
    /// The pre-committed sector.
    pub sector_number: u64,
    /// The encoded vanilla seal proof for the chain's seed.
    pub proof: Bytes,
}

cbor_tuple!(ProveCommitSectorParams {
    sector_number: u64,
    proof: Bytes,
});

/// `[partition, proof]`: one partition's encoded Window PoSt (`PostProof::encode(_, true)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoStPartition {
    /// The partition's index in the deadline.
    pub index: u64,
    /// The proof.
    pub proof: Bytes,
}

cbor_tuple!(PoStPartition {
    index: u64,
    proof: Bytes,
});

/// `[deadline, partitions]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitWindowedPoStParams {
    /// The deadline open now.
    pub deadline: u64,
    /// Proofs of some of its partitions.
    pub partitions: Vec<PoStPartition>,
}

cbor_tuple!(SubmitWindowedPoStParams {
    deadline: u64,
    partitions: Vec<PoStPartition>,
});

/// `[sectors]` for `DeclareFaults` and `DeclareFaultsRecovered`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclareFaultsParams {
    /// The sectors.
    pub sectors: Vec<u64>,
}

cbor_tuple!(DeclareFaultsParams {
    sectors: Vec<u64>
});

/// `[sectors]` for `TerminateSectors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminateSectorsParams {
    /// The sectors.
    pub sectors: Vec<u64>,
}

cbor_tuple!(TerminateSectorsParams {
    sectors: Vec<u64>
});

/// `[amount]` for `WithdrawBalance` (it returns `[amount]` withdrawn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawBalanceParams {
    /// What to withdraw.
    pub amount: TokenAmount,
}

cbor_tuple!(WithdrawBalanceParams {
    amount: TokenAmount
});

/// Runs miner method `method` on `ctx.receiver`.
pub(crate) fn invoke<S: Blockstore>(
    tree: &mut StateTree<S>,
    ctx: &InvokeContext<'_>,
    meter: &mut GasMeter,
    method: u64,
    params: &[u8],
) -> Result<Vec<u8>, CallError> {
    meter.charge(ctx.gas.actor_lookup)?;
    let (_, state) = miner_state(tree, ctx.receiver)?.ok_or(ApplyError::MissingActor {
        id: ctx.receiver,
        role: "miner",
    })?;
    let owner_only = method == METHOD_WITHDRAW_BALANCE;
    let allowed =
        ctx.caller == state.info.owner || (!owner_only && ctx.caller == state.info.worker);
    let known = (METHOD_PRE_COMMIT_SECTOR..=METHOD_WITHDRAW_BALANCE).contains(&method);
    if !known {
        return Err(CallError::Exit(ExitCode::SYS_INVALID_METHOD));
    }
    if !allowed {
        let who = if owner_only {
            "owner"
        } else {
            "owner or worker"
        };
        return Err(refuse(
            ExitCode::ERR_FORBIDDEN,
            format!(
                "only the miner's {who} may call method {method}; actor {} is neither",
                ctx.caller
            ),
        ));
    }
    let call = MinerCall {
        tree,
        ctx,
        meter,
        state,
    };
    match method {
        METHOD_PRE_COMMIT_SECTOR => call.pre_commit(params),
        METHOD_PROVE_COMMIT_SECTOR => call.prove_commit(params),
        METHOD_SUBMIT_WINDOWED_POST => call.submit_windowed_post(params),
        METHOD_DECLARE_FAULTS => call.declare_faults(params, false),
        METHOD_DECLARE_FAULTS_RECOVERED => call.declare_faults(params, true),
        METHOD_TERMINATE_SECTORS => call.terminate(params),
        _ => call.withdraw(params),
    }
}

/// One call of a miner method.
struct MinerCall<'t, 'c, S> {
    tree: &'t mut StateTree<S>,
    ctx: &'c InvokeContext<'c>,
    meter: &'t mut GasMeter,
    state: MinerState,
}

/// The reward inputs of the money formulas at `epoch`.
pub fn reward_env<S: Blockstore>(
    tree: &StateTree<S>,
    params: &NetworkParams,
    epoch: u64,
    circulating_supply: TokenAmount,
) -> Result<RewardEnv, ApplyError> {
    let reward_actor = tree
        .get_actor(REWARD_ACTOR_ID)?
        .ok_or(ApplyError::MissingActor {
            id: REWARD_ACTOR_ID,
            role: "reward",
        })?;
    let reward: RewardState = tree.get_state("reward state", &reward_actor.head)?;
    let schedule = reward
        .schedule()
        .map_err(|_| ApplyError::MethodPlan("the reward state's epoch length is invalid"))?;
    Ok(RewardEnv {
        epoch_reward: schedule.block_reward(epoch),
        network_power: power::power_state(tree)?.total_raw_power,
        circulating_supply,
        epoch_secs: params.epoch_duration.secs(),
    })
}

/// Writes a miner's state (the balance is re-read, since transfers may have changed it).
pub(crate) fn save<S: Blockstore>(
    tree: &mut StateTree<S>,
    id: ActorId,
    state: &MinerState,
) -> Result<(), ApplyError> {
    let mut actor = tree
        .get_actor(id)?
        .ok_or(ApplyError::MissingActor { id, role: "miner" })?;
    actor.head = tree.put_state(state)?;
    tree.set_actor(id, actor)?;
    Ok(())
}

/// Miner `id`'s balance.
fn balance<S: Blockstore>(tree: &StateTree<S>, id: ActorId) -> Result<TokenAmount, ApplyError> {
    Ok(tree
        .get_actor(id)?
        .ok_or(ApplyError::MissingActor { id, role: "miner" })?
        .balance)
}

/// Burns `fee` from the miner: from available balance, then from its pledge; the rest
/// becomes fee debt. Returns what was burnt now.
pub(crate) fn pay_penalty<S: Blockstore>(
    tree: &mut StateTree<S>,
    id: ActorId,
    state: &mut MinerState,
    fee: TokenAmount,
) -> Result<TokenAmount, ApplyError> {
    if fee.is_zero() {
        return Ok(TokenAmount::ZERO);
    }
    let available = state.available_balance(balance(tree, id)?);
    let from_available = fee.min(available);
    let rest = fee.saturating_sub(from_available);
    let from_pledge = rest.min(state.initial_pledge);
    state.initial_pledge = state.initial_pledge.saturating_sub(from_pledge);
    state.fee_debt = state
        .fee_debt
        .checked_add(rest.saturating_sub(from_pledge))
        .ok_or(ApplyError::MethodPlan("fee debt overflows"))?;
    let burnt = from_available
        .checked_add(from_pledge)
        .ok_or(ApplyError::MethodPlan("penalty overflows"))?;
    transfer(tree, id, BURNT_FUNDS_ACTOR_ID, burnt)?;
    Ok(burnt)
}

/// Pays fee debt from available balance, as far as it goes.
fn repay_debt<S: Blockstore>(
    tree: &mut StateTree<S>,
    id: ActorId,
    state: &mut MinerState,
) -> Result<(), ApplyError> {
    if state.fee_debt.is_zero() {
        return Ok(());
    }
    let available = state.available_balance(balance(tree, id)?);
    let paid = state.fee_debt.min(available);
    state.fee_debt = state.fee_debt.saturating_sub(paid);
    transfer(tree, id, BURNT_FUNDS_ACTOR_ID, paid)
}

/// Checks a sector list's length and removes duplicates.
fn sector_list(mut sectors: Vec<u64>) -> Result<Vec<u64>, CallError> {
    if sectors.len() > MAX_SECTORS_PER_CALL {
        return Err(refuse(
            ExitCode::ERR_ILLEGAL_ARGUMENT,
            format!(
                "{} sectors named, at most {MAX_SECTORS_PER_CALL} per call",
                sectors.len()
            ),
        ));
    }
    sectors.sort_unstable();
    sectors.dedup();
    Ok(sectors)
}

/// Activates a proven (or genesis) sector: assigns it a deadline and partition, stores it,
/// locks `pledge` (the caller checked the balance covers it) and adds its power.
pub(crate) fn activate_sector<S: Blockstore>(
    tree: &mut StateTree<S>,
    params: &NetworkParams,
    id: ActorId,
    epoch: u64,
    pre_commit: &SectorPreCommit,
    pledge: TokenAmount,
) -> Result<(), CallError> {
    let (_, mut state) =
        miner_state(tree, id)?.ok_or(ApplyError::MissingActor { id, role: "miner" })?;
    let size = state
        .sector_size()
        .ok_or(ApplyError::MethodPlan("the miner's sector size is invalid"))?;
    let mut sectors: Hamt<SectorOnChain> = tree.load_hamt(&state.sectors)?;
    let key = sector_key(pre_commit.sector_number);
    if sectors.get(&tree.objects(), &key)?.is_some() {
        return Err(refuse(
            ExitCode::ERR_ILLEGAL_ARGUMENT,
            format!("sector {} is already active", pre_commit.sector_number),
        ));
    }
    // The deadline with the fewest sectors, leaving out the open one and the next (their
    // windows are too close to prove a new sector in).
    let current = state.deadline_at(params, epoch).index;
    let d = params.deadlines;
    let next = current
        .checked_add(1)
        .and_then(|n| n.checked_rem(d))
        .unwrap_or(0);
    let mut best: Option<(u64, u64, Deadline)> = None;
    for index in 0..d {
        if index == current || (d > 2 && index == next) {
            continue;
        }
        let dl = deadline(tree, &state, index)?;
        let live = dl.live_sectors();
        if live < MAX_SECTORS_PER_DEADLINE && best.as_ref().is_none_or(|(_, l, _)| live < *l) {
            best = Some((index, live, dl));
        }
    }
    let Some((index, _, mut dl)) = best else {
        return Err(refuse(
            ExitCode::ERR_ILLEGAL_STATE,
            format!("every deadline holds {MAX_SECTORS_PER_DEADLINE} sectors: the miner is full"),
        ));
    };
    let per_partition = size.window_post_partition_sectors();
    let fits = dl
        .partitions
        .last()
        .is_some_and(|p| (p.sectors.len() as u64) < per_partition);
    if !fits {
        dl.partitions.push(super::Partition::default());
    }
    let partition = dl.partitions.len().saturating_sub(1);
    if let Some(p) = dl.partitions.last_mut() {
        insert_sorted(&mut p.sectors, pre_commit.sector_number);
    }
    state.put_deadline(tree, index, &dl)?;
    sectors.set(
        &tree.objects(),
        &key,
        SectorOnChain {
            sector_number: pre_commit.sector_number,
            sealed_cid: pre_commit.sealed_cid,
            unsealed_cid: pre_commit.unsealed_cid,
            activation_epoch: epoch,
            expiration: pre_commit.expiration,
            initial_pledge: pledge,
            deadline: index,
            partition: partition as u64,
            faulty_since: None,
        },
    )?;
    state.sectors = tree.flush_hamt(&mut sectors)?;
    state.initial_pledge = state
        .initial_pledge
        .checked_add(pledge)
        .ok_or(ApplyError::MethodPlan("pledge overflows"))?;
    state.next_sector_number = state
        .next_sector_number
        .max(pre_commit.sector_number.saturating_add(1));
    save(tree, id, &state)?;
    power::update_claim(
        tree,
        id,
        StoragePower::from_bytes(size.bytes()),
        StoragePower::ZERO,
        params.min_miner_power,
    )?;
    Ok(())
}

impl<S: Blockstore> MinerCall<'_, '_, S> {
    fn id(&self) -> ActorId {
        self.ctx.receiver
    }

    fn size(&self) -> Result<SectorSize, CallError> {
        Ok(self
            .state
            .sector_size()
            .ok_or(ApplyError::MethodPlan("the miner's sector size is invalid"))?)
    }

    fn env(&self) -> Result<RewardEnv, CallError> {
        Ok(reward_env(
            self.tree,
            self.ctx.params,
            self.ctx.epoch,
            self.ctx.circulating_supply,
        )?)
    }

    fn available(&self) -> Result<TokenAmount, CallError> {
        Ok(self.state.available_balance(balance(self.tree, self.id())?))
    }

    fn save(&mut self) -> Result<(), CallError> {
        self.meter.charge(self.ctx.gas.actor_update)?;
        Ok(save(self.tree, self.id(), &self.state)?)
    }

    fn pre_commit(mut self, params: &[u8]) -> Result<Vec<u8>, CallError> {
        let p: PreCommitSectorParams = decode_params(
            "PreCommitSector params",
            "[sector_number, sealed_cid, unsealed_cid, seal_rand_epoch, expiration]",
            params,
            MAX_PARAMS_BYTES,
        )?;
        let (epoch, mp) = (self.ctx.epoch, &self.ctx.params.miner);
        self.meter.charge_n(self.ctx.gas.actor_lookup, 2)?;
        repay_debt(self.tree, self.id(), &mut self.state)?;
        if !self.state.fee_debt.is_zero() {
            return Err(refuse(
                ExitCode::ERR_INSUFFICIENT_FUNDS,
                format!(
                    "the miner owes {} of penalties: send it FLW before pre-committing",
                    self.state.fee_debt
                ),
            ));
        }
        if p.sector_number < self.state.next_sector_number {
            return Err(refuse(
                ExitCode::ERR_ILLEGAL_ARGUMENT,
                format!(
                    "sector number {} was already used: the next sector must be numbered {} or more",
                    p.sector_number, self.state.next_sector_number
                ),
            ));
        }
        if commitment_of(&p.sealed_cid, true).is_none()
            || commitment_of(&p.unsealed_cid, false).is_none()
        {
            return Err(refuse(
                ExitCode::ERR_ILLEGAL_ARGUMENT,
                "sealed_cid must be a sealed sector CID (fil-commitment-sealed, poseidon) and unsealed_cid an unsealed one (fil-commitment-unsealed, sha2-256-trunc254-padded)",
            ));
        }
        let age = epoch.checked_sub(p.seal_rand_epoch).filter(|age| *age > 0);
        if age.is_none_or(|age| age > mp.max_seal_ticket_age) {
            return Err(refuse(
                ExitCode::ERR_ILLEGAL_ARGUMENT,
                format!(
                    "seal ticket epoch {} must be before the current epoch {epoch} and at most {} epochs old",
                    p.seal_rand_epoch, mp.max_seal_ticket_age
                ),
            ));
        }
        let lifetime = p.expiration.checked_sub(epoch);
        if lifetime.is_none_or(|l| l < mp.min_sector_lifetime || l > mp.max_sector_lifetime) {
            return Err(refuse(
                ExitCode::ERR_ILLEGAL_ARGUMENT,
                format!(
                    "expiration {} must be between {} and {} epochs after the current epoch {epoch}",
                    p.expiration, mp.min_sector_lifetime, mp.max_sector_lifetime
                ),
            ));
        }
        let deposit = monies::pre_commit_deposit(&self.env()?, mp, self.size()?.bytes())
            .ok_or(ApplyError::MethodPlan("pre-commit deposit overflows"))?;
        let available = self.available()?;
        if deposit > available {
            return Err(refuse(
                ExitCode::ERR_INSUFFICIENT_FUNDS,
                format!(
                    "the pre-commit deposit is {deposit} but the miner has only {available} available: send it more with the message"
                ),
            ));
        }
        let mut pre: Hamt<SectorPreCommit> = self.tree.load_hamt(&self.state.pre_commits)?;
        pre.set(
            &self.tree.objects(),
            &sector_key(p.sector_number),
            SectorPreCommit {
                sector_number: p.sector_number,
                sealed_cid: p.sealed_cid,
                unsealed_cid: p.unsealed_cid,
                seal_rand_epoch: p.seal_rand_epoch,
                expiration: p.expiration,
                pre_commit_epoch: epoch,
                deposit,
            },
        )?;
        self.state.pre_commits = self.tree.flush_hamt(&mut pre)?;
        self.state.pre_commit_deposits = self
            .state
            .pre_commit_deposits
            .checked_add(deposit)
            .ok_or(ApplyError::MethodPlan("deposits overflow"))?;
        self.state.next_sector_number = p.sector_number.saturating_add(1);
        self.save()?;
        Ok(Vec::new())
    }

    fn prove_commit(mut self, params: &[u8]) -> Result<Vec<u8>, CallError> {
        let p: ProveCommitSectorParams = decode_params(
            "ProveCommitSector params",
            "[sector_number, proof]",
            params,
            MAX_PARAMS_BYTES,
        )?;
        let (epoch, np) = (self.ctx.epoch, self.ctx.params);
        self.meter.charge_n(self.ctx.gas.actor_lookup, 2)?;
        let mut pre: Hamt<SectorPreCommit> = self.tree.load_hamt(&self.state.pre_commits)?;
        let key = sector_key(p.sector_number);
        let pc = pre
            .get(&self.tree.objects(), &key)?
            .cloned()
            .ok_or_else(|| {
                refuse(
                    ExitCode::ERR_ILLEGAL_ARGUMENT,
                    format!("sector {} is not pre-committed", p.sector_number),
                )
            })?;
        let seed_at = seed_epoch(np, pc.pre_commit_epoch);
        if epoch <= seed_at {
            return Err(refuse(
                ExitCode::ERR_ILLEGAL_ARGUMENT,
                format!(
                    "the seal seed of sector {} is drawn at epoch {seed_at}: prove it after that epoch (now {epoch})",
                    p.sector_number
                ),
            ));
        }
        let last = pc
            .pre_commit_epoch
            .saturating_add(np.max_prove_commit_delay);
        if epoch > last {
            return Err(refuse(
                ExitCode::ERR_ILLEGAL_ARGUMENT,
                format!(
                    "sector {} had to be proven by epoch {last}; its deposit is forfeited at the next deadline end",
                    p.sector_number
                ),
            ));
        }
        self.meter.charge(self.ctx.gas.verify_seal)?;
        let size = self.size()?;
        let invalid = |what: String| {
            refuse(
                ExitCode::ERR_ILLEGAL_ARGUMENT,
                format!("the seal proof of sector {}: {what}", p.sector_number),
            )
        };
        let proof = SealProof::decode(&p.proof.0).map_err(|e| invalid(e.to_string()))?;
        let registered = RegisteredSealProof::new(size, SealProofVersion::V1_1)
            .map_err(|e| invalid(e.to_string()))?;
        let comm_r = commitment_of(&pc.sealed_cid, true)
            .ok_or(ApplyError::MethodPlan("a stored sealed CID is invalid"))?;
        let comm_d = commitment_of(&pc.unsealed_cid, false)
            .ok_or(ApplyError::MethodPlan("a stored unsealed CID is invalid"))?;
        let public = SealPublicInputs {
            proof: registered,
            prover_id: prover_id(self.id()),
            sector_number: p.sector_number,
            ticket: seal_ticket(self.ctx.randomness, self.id(), pc.seal_rand_epoch)?,
            seed: seal_seed(self.ctx.randomness, np, self.id(), pc.pre_commit_epoch)?,
            comm_d,
            comm_r,
        };
        verify_seal(&public, &proof).map_err(|e| invalid(e.to_string()))?;

        pre.delete(&self.tree.objects(), &key)?;
        self.state.pre_commits = self.tree.flush_hamt(&mut pre)?;
        self.state.pre_commit_deposits = self.state.pre_commit_deposits.saturating_sub(pc.deposit);
        let pledge = monies::initial_pledge(&self.env()?, &np.miner, size.bytes())
            .ok_or(ApplyError::MethodPlan("initial pledge overflows"))?;
        let available = self.available()?;
        if pledge > available {
            return Err(refuse(
                ExitCode::ERR_INSUFFICIENT_FUNDS,
                format!(
                    "the initial pledge is {pledge} but the miner has only {available} available (the deposit of {} included): send it more with the message",
                    pc.deposit
                ),
            ));
        }
        self.save()?;
        activate_sector(self.tree, np, self.id(), epoch, &pc, pledge)?;
        Ok(Vec::new())
    }

    fn submit_windowed_post(mut self, params: &[u8]) -> Result<Vec<u8>, CallError> {
        let p: SubmitWindowedPoStParams = decode_params(
            "SubmitWindowedPoSt params",
            "[deadline, [[partition, proof]…]]",
            params,
            MAX_PARAMS_BYTES,
        )?;
        let (epoch, np) = (self.ctx.epoch, self.ctx.params);
        let info = self.state.deadline_at(np, epoch);
        if p.deadline != info.index {
            return Err(refuse(
                ExitCode::ERR_ILLEGAL_ARGUMENT,
                format!(
                    "deadline {} is not open at epoch {epoch}: deadline {} is, until epoch {}",
                    p.deadline, info.index, info.close
                ),
            ));
        }
        self.meter.charge_n(self.ctx.gas.actor_lookup, 2)?;
        let mut dl = deadline(self.tree, &self.state, info.index)?;
        let mut sectors: Hamt<SectorOnChain> = self.tree.load_hamt(&self.state.sectors)?;
        let size = self.size()?;
        let proof_type = RegisteredPoStProof::new(size, PoStProofKind::WindowV1_1)
            .map_err(|e| ApplyError::Randomness(e.to_string()))?;
        let randomness = window_post_randomness(self.ctx.randomness, self.id(), &info)?;
        let mut add = 0usize;
        let mut remove = 0usize;
        for part in &p.partitions {
            let index = part.index;
            let partition = usize::try_from(index)
                .ok()
                .and_then(|i| dl.partitions.get_mut(i))
                .ok_or_else(|| {
                    refuse(
                        ExitCode::ERR_ILLEGAL_ARGUMENT,
                        format!("deadline {} has no partition {index}", info.index),
                    )
                })?;
            if dl.proven.contains(&index) {
                return Err(refuse(
                    ExitCode::ERR_ILLEGAL_ARGUMENT,
                    format!(
                        "partition {index} of deadline {} is already proven in this window",
                        info.index
                    ),
                ));
            }
            self.meter.charge_n(
                self.ctx.gas.verify_post_per_sector,
                partition.sectors.len() as u64,
            )?;
            let invalid = |what: String| {
                refuse(
                    ExitCode::ERR_ILLEGAL_ARGUMENT,
                    format!(
                        "the Window PoSt of partition {index}, deadline {}: {what}",
                        info.index
                    ),
                )
            };
            let proof =
                PostProof::decode(&part.proof.0, true).map_err(|e| invalid(e.to_string()))?;
            let mut public = Vec::with_capacity(partition.sectors.len());
            for number in &partition.sectors {
                let sector = sectors
                    .get(&self.tree.objects(), &sector_key(*number))?
                    .ok_or(ApplyError::MethodPlan(
                        "a partition names a sector that does not exist",
                    ))?;
                public.push(PublicSector {
                    sector_number: *number,
                    comm_r: commitment_of(&sector.sealed_cid, true)
                        .ok_or(ApplyError::MethodPlan("a stored sealed CID is invalid"))?,
                });
            }
            verify_window(proof_type, &randomness, &public, &proof)
                .map_err(|e| invalid(e.to_string()))?;
            // Skipped sectors are faulty from now; proven recoveries regain their power.
            for number in &proof.skipped {
                remove_sorted(&mut partition.recoveries, *number);
                if partition.faults.binary_search(number).is_err() {
                    insert_sorted(&mut partition.faults, *number);
                    set_faulty(self.tree, &mut sectors, *number, Some(epoch))?;
                    remove = remove.saturating_add(1);
                }
            }
            for proven in &proof.sectors {
                let number = proven.sector_number;
                if remove_sorted(&mut partition.recoveries, number) {
                    remove_sorted(&mut partition.faults, number);
                    set_faulty(self.tree, &mut sectors, number, None)?;
                    add = add.saturating_add(1);
                }
            }
            insert_sorted(&mut dl.proven, index);
        }
        self.state.sectors = self.tree.flush_hamt(&mut sectors)?;
        self.state.put_deadline(self.tree, info.index, &dl)?;
        self.save()?;
        power::update_claim(
            self.tree,
            self.id(),
            super::power_of(size.bytes(), add),
            super::power_of(size.bytes(), remove),
            np.min_miner_power,
        )?;
        Ok(Vec::new())
    }

    fn declare_faults(mut self, params: &[u8], recovered: bool) -> Result<Vec<u8>, CallError> {
        let p: DeclareFaultsParams = decode_params(
            "DeclareFaults params",
            "[[sector…]]",
            params,
            MAX_PARAMS_BYTES,
        )?;
        let numbers = sector_list(p.sectors)?;
        let (epoch, np) = (self.ctx.epoch, self.ctx.params);
        if recovered {
            repay_debt(self.tree, self.id(), &mut self.state)?;
            if !self.state.fee_debt.is_zero() {
                return Err(refuse(
                    ExitCode::ERR_INSUFFICIENT_FUNDS,
                    format!(
                        "the miner owes {} of penalties: send it FLW before declaring recoveries",
                        self.state.fee_debt
                    ),
                ));
            }
        }
        self.meter
            .charge_n(self.ctx.gas.actor_update, numbers.len() as u64)?;
        let mut sectors: Hamt<SectorOnChain> = self.tree.load_hamt(&self.state.sectors)?;
        let mut deadlines = LoadedDeadlines::default();
        let mut removed = 0usize;
        for number in numbers {
            let sector = sectors
                .get(&self.tree.objects(), &sector_key(number))?
                .cloned()
                .ok_or_else(|| {
                    refuse(
                        ExitCode::ERR_ILLEGAL_ARGUMENT,
                        format!("sector {number} is not an active sector of this miner"),
                    )
                })?;
            let target = self.state.next_deadline(np, sector.deadline, epoch);
            if epoch >= target.fault_cutoff {
                return Err(refuse(
                    ExitCode::ERR_ILLEGAL_ARGUMENT,
                    format!(
                        "sector {number} is in deadline {}, which opens at epoch {}: declarations close {} epochs before, at epoch {}",
                        sector.deadline,
                        target.open,
                        np.miner.fault_declaration_cutoff,
                        target.fault_cutoff
                    ),
                ));
            }
            let partition = deadlines.partition(self.tree, &self.state, &sector)?;
            let faulty = partition.faults.binary_search(&number).is_ok();
            if recovered {
                if !faulty {
                    return Err(refuse(
                        ExitCode::ERR_ILLEGAL_ARGUMENT,
                        format!("sector {number} is not faulty"),
                    ));
                }
                insert_sorted(&mut partition.recoveries, number);
            } else {
                // A declared fault cancels a pending recovery; an existing fault stays.
                remove_sorted(&mut partition.recoveries, number);
                if !faulty {
                    insert_sorted(&mut partition.faults, number);
                    set_faulty(self.tree, &mut sectors, number, Some(epoch))?;
                    removed = removed.saturating_add(1);
                }
            }
        }
        deadlines.store(self.tree, &mut self.state)?;
        self.state.sectors = self.tree.flush_hamt(&mut sectors)?;
        self.save()?;
        let size = self.size()?.bytes();
        power::update_claim(
            self.tree,
            self.id(),
            StoragePower::ZERO,
            super::power_of(size, removed),
            np.min_miner_power,
        )?;
        Ok(Vec::new())
    }

    fn terminate(mut self, params: &[u8]) -> Result<Vec<u8>, CallError> {
        let p: TerminateSectorsParams = decode_params(
            "TerminateSectors params",
            "[[sector…]]",
            params,
            MAX_PARAMS_BYTES,
        )?;
        let numbers = sector_list(p.sectors)?;
        self.meter
            .charge_n(self.ctx.gas.actor_update, numbers.len() as u64)?;
        let env = self.env()?;
        let np = self.ctx.params;
        let outcome = remove_sectors(
            self.tree,
            np,
            &env,
            &mut self.state,
            &numbers,
            Removal::Terminate,
            self.ctx.epoch,
        )?;
        if let Some(missing) = outcome.missing {
            return Err(refuse(
                ExitCode::ERR_ILLEGAL_ARGUMENT,
                format!("sector {missing} is not an active sector of this miner"),
            ));
        }
        pay_penalty(self.tree, self.id(), &mut self.state, outcome.fee)?;
        self.save()?;
        power::update_claim(
            self.tree,
            self.id(),
            StoragePower::ZERO,
            outcome.power_removed,
            np.min_miner_power,
        )?;
        Ok(Vec::new())
    }

    fn withdraw(mut self, params: &[u8]) -> Result<Vec<u8>, CallError> {
        let p: WithdrawBalanceParams =
            decode_params("WithdrawBalance params", "[amount]", params, 64)?;
        repay_debt(self.tree, self.id(), &mut self.state)?;
        let available = self.available()?;
        if p.amount > available {
            return Err(refuse(
                ExitCode::ERR_INSUFFICIENT_FUNDS,
                format!(
                    "{} requested but only {available} is available (the rest is locked as deposits and pledge)",
                    p.amount
                ),
            ));
        }
        self.meter.charge(self.ctx.gas.transfer_funds)?;
        transfer(self.tree, self.id(), self.state.info.owner, p.amount)?;
        self.save()?;
        encode_return(
            "WithdrawBalance return",
            &WithdrawBalanceParams { amount: p.amount },
        )
    }
}

/// Deadlines read once and written back once by a call touching several sectors.
#[derive(Default)]
struct LoadedDeadlines(BTreeMap<u64, Deadline>);

impl LoadedDeadlines {
    /// The partition holding `sector`, its deadline read on first use.
    fn partition<S: Blockstore>(
        &mut self,
        tree: &StateTree<S>,
        state: &MinerState,
        sector: &SectorOnChain,
    ) -> Result<&mut super::Partition, ApplyError> {
        let dl = match self.0.entry(sector.deadline) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => entry.insert(deadline(tree, state, sector.deadline)?),
        };
        usize::try_from(sector.partition)
            .ok()
            .and_then(|i| dl.partitions.get_mut(i))
            .ok_or(ApplyError::MethodPlan(
                "a sector's partition does not exist",
            ))
    }

    /// Writes every loaded deadline back.
    fn store<S: Blockstore>(
        &self,
        tree: &mut StateTree<S>,
        state: &mut MinerState,
    ) -> Result<(), ApplyError> {
        for (index, dl) in &self.0 {
            state.put_deadline(tree, *index, dl)?;
        }
        Ok(())
    }
}

/// Marks sector `number` faulty since `since` (or healthy for `None`).
fn set_faulty<S: Blockstore>(
    tree: &StateTree<S>,
    sectors: &mut Hamt<SectorOnChain>,
    number: u64,
    since: Option<u64>,
) -> Result<(), ApplyError> {
    let key = sector_key(number);
    let mut sector = sectors
        .get(&tree.objects(), &key)?
        .cloned()
        .ok_or(ApplyError::MethodPlan(
            "a partition names a sector that does not exist",
        ))?;
    sector.faulty_since = since;
    sectors.set(&tree.objects(), &key, sector)?;
    Ok(())
}

/// Why sectors leave a miner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Removal {
    /// Terminated early: the termination fee.
    Terminate,
    /// Their commitment ended: no fee.
    Expire,
}

/// What removing sectors did.
#[derive(Debug, Default)]
pub(crate) struct RemovalOutcome {
    /// Termination fees owed.
    pub fee: TokenAmount,
    /// Power of the removed sectors that were active.
    pub power_removed: StoragePower,
    /// Pledge unlocked.
    pub pledge_released: TokenAmount,
    /// The first sector number that is not live (nothing was removed then).
    pub missing: Option<u64>,
}

/// Removes live sectors `numbers` from the miner's sectors and deadlines, unlocking their
/// pledge; with [`Removal::Terminate`], computes their termination fees.
pub(crate) fn remove_sectors<S: Blockstore>(
    tree: &mut StateTree<S>,
    params: &NetworkParams,
    env: &RewardEnv,
    state: &mut MinerState,
    numbers: &[u64],
    removal: Removal,
    epoch: u64,
) -> Result<RemovalOutcome, ApplyError> {
    let mut out = RemovalOutcome::default();
    let size = state
        .sector_size()
        .ok_or(ApplyError::MethodPlan("the miner's sector size is invalid"))?
        .bytes();
    let mut sectors: Hamt<SectorOnChain> = tree.load_hamt(&state.sectors)?;
    let mut deadlines = LoadedDeadlines::default();
    for &number in numbers {
        let Some(sector) = sectors.delete(&tree.objects(), &sector_key(number))? else {
            out.missing = Some(number);
            return Ok(out);
        };
        let partition = deadlines.partition(tree, state, &sector)?;
        remove_sorted(&mut partition.sectors, number);
        remove_sorted(&mut partition.recoveries, number);
        let was_faulty = remove_sorted(&mut partition.faults, number);
        if !was_faulty {
            out.power_removed = out
                .power_removed
                .checked_add(StoragePower::from_bytes(size))
                .ok_or(ApplyError::MethodPlan("power overflows"))?;
        }
        if removal == Removal::Terminate {
            let age = epoch.saturating_sub(sector.activation_epoch);
            let fee = monies::termination_fee(env, &params.miner, size, sector.initial_pledge, age)
                .ok_or(ApplyError::MethodPlan("termination fee overflows"))?;
            out.fee = out
                .fee
                .checked_add(fee)
                .ok_or(ApplyError::MethodPlan("fees overflow"))?;
        }
        out.pledge_released = out
            .pledge_released
            .checked_add(sector.initial_pledge)
            .ok_or(ApplyError::MethodPlan("pledge overflows"))?;
    }
    for dl in deadlines.0.values_mut() {
        // Trailing empty partitions go (earlier ones keep their index for their sectors).
        while dl.partitions.last().is_some_and(|p| p.sectors.is_empty()) {
            dl.partitions.pop();
            let last = dl.partitions.len() as u64;
            dl.proven.retain(|p| *p < last);
        }
    }
    deadlines.store(tree, state)?;
    state.sectors = tree.flush_hamt(&mut sectors)?;
    state.initial_pledge = state.initial_pledge.saturating_sub(out.pledge_released);
    Ok(out)
}
