//! Deadline processing: what happens to every miner at the end of each challenge window,
//! without a message. The chain calls [`end_of_epoch`] after the messages of every epoch,
//! including null rounds (epochs without blocks), in order.
//!
//! At the last epoch of a window, for each miner, the deadline that window belonged to is
//! closed:
//!
//! 1. every partition not proven in the window has its active sectors marked faulty (power
//!    removed) and its pending recoveries dropped;
//! 2. every faulty sector of the deadline pays the fault fee ([`monies::fault_fee`]); one
//!    faulty for more than `fault_max_age` epochs is terminated (termination fee);
//! 3. sectors whose expiration has passed expire: removed, pledge unlocked, no fee;
//! 4. pre-commits not proven within `max_prove_commit_delay` are dropped and their deposit
//!    burnt;
//! 5. the fees are burnt from available balance, then pledge, the rest becoming fee debt.

use flowcoin_dag::store::Blockstore;
use flowcoin_types::{NetworkParams, StoragePower, TokenAmount};

use super::methods::{Removal, pay_penalty, remove_sectors, reward_env, save};
use super::monies;
use super::{SectorOnChain, SectorPreCommit, deadline, insert_sorted, miner_state, sector_key};
use crate::actor::{ActorId, BURNT_FUNDS_ACTOR_ID, power};
use crate::apply::ApplyError;
use crate::hamt::Hamt;
use crate::runtime::transfer;
use crate::state_tree::StateTree;

/// What closing one miner's deadline did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeadlineReport {
    /// The miner.
    pub miner: ActorId,
    /// The deadline closed.
    pub deadline: u64,
    /// Sectors newly marked faulty because their partition was not proven.
    pub detected_faults: Vec<u64>,
    /// Sectors that paid the fault fee.
    pub faulty: Vec<u64>,
    /// Sectors terminated for being faulty too long.
    pub terminated: Vec<u64>,
    /// Sectors that expired.
    pub expired: Vec<u64>,
    /// Pre-commits dropped unproven.
    pub expired_pre_commits: Vec<u64>,
    /// Fees charged (fault and termination fees).
    pub fees: TokenAmount,
    /// Pre-commit deposits burnt.
    pub deposits_burnt: TokenAmount,
}

/// Runs the end-of-epoch processing of `epoch`: closes every miner's deadline if `epoch` is
/// the last of a challenge window. `circulating_supply` is the epoch's (for the fee
/// formulas). Returns one report per miner whose deadline closed.
pub fn end_of_epoch<S: Blockstore>(
    tree: &mut StateTree<S>,
    params: &NetworkParams,
    epoch: u64,
    circulating_supply: TokenAmount,
) -> Result<Vec<DeadlineReport>, ApplyError> {
    let window = params.challenge_window().max(1);
    if epoch.checked_rem(window) != Some(window.saturating_sub(1)) {
        return Ok(Vec::new());
    }
    let env = reward_env(tree, params, epoch, circulating_supply)?;
    let mut reports = Vec::new();
    for id in power::miner_ids(tree)? {
        reports.push(close_deadline(tree, params, &env, id, epoch)?);
    }
    Ok(reports)
}

/// Closes the deadline of miner `id` whose window ends with `epoch`.
fn close_deadline<S: Blockstore>(
    tree: &mut StateTree<S>,
    params: &NetworkParams,
    env: &monies::RewardEnv,
    id: ActorId,
    epoch: u64,
) -> Result<DeadlineReport, ApplyError> {
    let (_, mut state) =
        miner_state(tree, id)?.ok_or(ApplyError::MissingActor { id, role: "miner" })?;
    let size = state
        .sector_size()
        .ok_or(ApplyError::MethodPlan("the miner's sector size is invalid"))?
        .bytes();
    let info = state.deadline_at(params, epoch);
    let mut report = DeadlineReport {
        miner: id,
        deadline: info.index,
        ..DeadlineReport::default()
    };
    let mut dl = deadline(tree, &state, info.index)?;
    let mut sectors: Hamt<SectorOnChain> = tree.load_hamt(&state.sectors)?;
    let fee_each = monies::fault_fee(env, &params.miner, size)
        .ok_or(ApplyError::MethodPlan("fault fee overflows"))?;
    let mut to_terminate = Vec::new();
    let mut to_expire = Vec::new();
    for (index, partition) in dl.partitions.iter_mut().enumerate() {
        if !dl.proven.contains(&(index as u64)) {
            for number in partition.active() {
                insert_sorted(&mut partition.faults, number);
                report.detected_faults.push(number);
                let key = sector_key(number);
                if let Some(mut sector) = sectors.get(&tree.objects(), &key)?.cloned() {
                    sector.faulty_since = Some(epoch);
                    sectors.set(&tree.objects(), &key, sector)?;
                }
            }
            partition.recoveries.clear();
        }
        for number in &partition.sectors {
            let sector = sectors.get(&tree.objects(), &sector_key(*number))?.ok_or(
                ApplyError::MethodPlan("a partition names a sector that does not exist"),
            )?;
            if sector.expiration <= epoch {
                to_expire.push(*number);
                continue;
            }
            if let Some(since) = sector.faulty_since {
                report.faulty.push(*number);
                if epoch.saturating_sub(since) > params.fault_max_age {
                    to_terminate.push(*number);
                }
            }
        }
    }
    dl.proven.clear();
    state.put_deadline(tree, info.index, &dl)?;
    state.sectors = tree.flush_hamt(&mut sectors)?;

    let mut fees = fee_each
        .checked_mul(report.faulty.len() as u128)
        .ok_or(ApplyError::MethodPlan("fault fees overflow"))?;
    let mut power_removed = super::power_of(size, report.detected_faults.len());
    for (numbers, removal) in [
        (&to_terminate, Removal::Terminate),
        (&to_expire, Removal::Expire),
    ] {
        if numbers.is_empty() {
            continue;
        }
        let out = remove_sectors(tree, params, env, &mut state, numbers, removal, epoch)?;
        fees = fees
            .checked_add(out.fee)
            .ok_or(ApplyError::MethodPlan("fees overflow"))?;
        power_removed = power_removed
            .checked_add(out.power_removed)
            .ok_or(ApplyError::MethodPlan("power overflows"))?;
    }
    report.terminated = to_terminate;
    report.expired = to_expire;

    // Pre-commits past their proving deadline.
    let mut pre: Hamt<SectorPreCommit> = tree.load_hamt(&state.pre_commits)?;
    let mut stale = Vec::new();
    pre.for_each(&tree.objects(), |_, pc| {
        if epoch
            > pc.pre_commit_epoch
                .saturating_add(params.max_prove_commit_delay)
        {
            stale.push((pc.sector_number, pc.deposit));
        }
    })?;
    for (number, deposit) in &stale {
        pre.delete(&tree.objects(), &sector_key(*number))?;
        report.expired_pre_commits.push(*number);
        report.deposits_burnt = report
            .deposits_burnt
            .checked_add(*deposit)
            .ok_or(ApplyError::MethodPlan("deposits overflow"))?;
    }
    if !stale.is_empty() {
        state.pre_commits = tree.flush_hamt(&mut pre)?;
        state.pre_commit_deposits = state
            .pre_commit_deposits
            .saturating_sub(report.deposits_burnt);
        transfer(tree, id, BURNT_FUNDS_ACTOR_ID, report.deposits_burnt)?;
    }

    report.fees = fees;
    pay_penalty(tree, id, &mut state, fees)?;
    save(tree, id, &state)?;
    power::update_claim(
        tree,
        id,
        StoragePower::ZERO,
        power_removed,
        params.min_miner_power,
    )?;
    Ok(report)
}
