//! The state and miner methods' work on the head's state. The state tree is read from the
//! repository's disk store after the chain lock is released ([`head_view`]), so long HAMT
//! walks do not hold up the miner.

use flowcoin_state::actor::miner::{self, MinerState};
use flowcoin_state::actor::power;
use flowcoin_state::actor::{
    AccountState, ActorCode, ActorId, ActorState, BURNT_FUNDS_ACTOR_ID, REWARD_ACTOR_ID,
};
use flowcoin_state::state_tree::StateTree;
use flowcoin_state::supply::circulating_supply;
use flowcoin_types::{Address, NetworkParams, TokenAmount};

use super::chain_api::Rpc;
use super::errors::{internal, not_found};
use super::types::{
    ActorInfo, MinerInfo, MinerPowerInfo, MinerSectors, NetworkPower, PreCommitInfo,
    ProvingDeadline, SectorInfo, SupplyInfo,
};
use crate::chain::{ChainService, DiskView};

/// The head's state, readable without the chain lock.
pub(crate) struct HeadView {
    /// The head's epoch.
    pub height: u64,
    /// The state the head's execution led to.
    pub tree: StateTree<DiskView>,
    /// The network's constants.
    pub params: NetworkParams,
}

impl HeadView {
    fn text(&self, address: Address) -> String {
        address.display(self.params.network).to_string()
    }

    /// The ID `address` resolves to, and its actor, or a not-found error naming it.
    fn actor(&self, address: &Address) -> Rpc<(ActorId, ActorState)> {
        let missing = || {
            not_found(format!(
                "actor {} not found in the state at height {}",
                self.text(*address),
                self.height
            ))
        };
        let id = self
            .tree
            .lookup_id(address)
            .map_err(internal)?
            .ok_or_else(missing)?;
        let actor = self
            .tree
            .get_actor(id)
            .map_err(internal)?
            .ok_or_else(missing)?;
        Ok((id, actor))
    }

    /// The miner at `address`: its ID, actor and state.
    fn miner(&self, address: &Address) -> Rpc<(ActorId, ActorState, MinerState)> {
        let (id, actor) = self.actor(address)?;
        if actor.code != ActorCode::Miner {
            return Err(not_found(format!(
                "{} is not a miner (its code is {})",
                self.text(*address),
                actor.code.name()
            )));
        }
        let state = self
            .tree
            .get_state("miner state", &actor.head)
            .map_err(internal)?;
        Ok((id, actor, state))
    }
}

/// Reads the head (under the chain lock, briefly) for state queries.
pub(crate) fn head_view(chain: &ChainService) -> Rpc<HeadView> {
    let head = chain.head().map_err(internal)?;
    let executed = chain.head_executed().map_err(internal)?;
    let tree =
        StateTree::load(chain.store().blocks().disk(), &executed.state_root).map_err(internal)?;
    Ok(HeadView {
        height: head.height(),
        tree,
        params: chain.params().clone(),
    })
}

/// The actor at `address`.
pub(crate) fn get_actor(view: &HeadView, address: &Address) -> Rpc<ActorInfo> {
    let (id, actor) = view.actor(address)?;
    let key_address = if actor.code == ActorCode::Account {
        let state: AccountState = view
            .tree
            .get_state("account state", &actor.head)
            .map_err(internal)?;
        Some(view.text(state.address))
    } else {
        None
    };
    Ok(ActorInfo {
        id: view.text(Address::Id(id)),
        code: actor.code.name().to_owned(),
        head: actor.head.to_string(),
        nonce: actor.nonce,
        balance: actor.balance.atto().to_string(),
        key_address,
    })
}

/// The ID address of `address`.
pub(crate) fn lookup_id(view: &HeadView, address: &Address) -> Rpc<String> {
    let (id, _) = view.actor(address)?;
    Ok(view.text(Address::Id(id)))
}

/// The balance of `address`: zero for an address the state does not know (a key that has
/// never received FLW).
pub(crate) fn balance(view: &HeadView, address: &Address) -> Rpc<String> {
    let balance = match view.tree.lookup_id(address).map_err(internal)? {
        Some(id) => view
            .tree
            .get_actor(id)
            .map_err(internal)?
            .map_or(TokenAmount::ZERO, |a| a.balance),
        None => TokenAmount::ZERO,
    };
    Ok(balance.atto().to_string())
}

/// The network's power totals.
pub(crate) fn network_power(view: &HeadView) -> Rpc<NetworkPower> {
    let state = power::power_state(&view.tree).map_err(internal)?;
    Ok(NetworkPower {
        height: view.height,
        total_raw_power: state.total_raw_power.0.to_string(),
        total_eligible_power: state.total_eligible_power.0.to_string(),
        miner_count: state.miner_count,
        miners_above_min: state.miners_above_min,
    })
}

/// The power of the miner at `address`.
pub(crate) fn miner_power(view: &HeadView, address: &Address) -> Rpc<MinerPowerInfo> {
    let (id, _, _) = view.miner(address)?;
    let total = power::power_state(&view.tree).map_err(internal)?;
    let power = power::miner_power(&view.tree, id, view.params.min_miner_power)
        .map_err(internal)?
        .ok_or_else(|| not_found(format!("miner {} has no power claim", view.text(*address))))?;
    Ok(MinerPowerInfo {
        miner: view.text(Address::Id(id)),
        raw_power: power.raw_power.0.to_string(),
        total_raw_power: total.total_raw_power.0.to_string(),
        total_eligible_power: power.total_eligible_power.0.to_string(),
        has_min_power: power.eligible,
    })
}

/// The keys and money of the miner at `address`.
pub(crate) fn miner_info(view: &HeadView, address: &Address) -> Rpc<MinerInfo> {
    let (id, actor, state) = view.miner(address)?;
    let atto = |a: TokenAmount| a.atto().to_string();
    Ok(MinerInfo {
        miner: view.text(Address::Id(id)),
        owner: view.text(Address::Id(state.info.owner)),
        worker: view.text(Address::Id(state.info.worker)),
        worker_key: view.text(state.info.worker_key),
        sector_size: state.info.sector_size,
        peer_id: hex::encode(&state.info.peer_id.0),
        balance: atto(actor.balance),
        available_balance: atto(state.available_balance(actor.balance)),
        pre_commit_deposits: atto(state.pre_commit_deposits),
        initial_pledge: atto(state.initial_pledge),
        fee_debt: atto(state.fee_debt),
        next_sector_number: state.next_sector_number,
    })
}

/// The live and pre-committed sectors of the miner at `address`.
pub(crate) fn miner_sectors(view: &HeadView, address: &Address) -> Rpc<MinerSectors> {
    let (_, _, state) = view.miner(address)?;
    let sectors = miner::sectors(&view.tree, &state)
        .map_err(internal)?
        .into_iter()
        .map(|s| SectorInfo {
            sector_number: s.sector_number,
            sealed_cid: s.sealed_cid.to_string(),
            unsealed_cid: s.unsealed_cid.to_string(),
            activation: s.activation_epoch,
            expiration: s.expiration,
            initial_pledge: s.initial_pledge.atto().to_string(),
            deadline: s.deadline,
            partition: s.partition,
            faulty_since: s.faulty_since,
        })
        .collect();
    let pre_commits = miner::pre_commits(&view.tree, &state)
        .map_err(internal)?
        .into_iter()
        .map(|p| PreCommitInfo {
            sector_number: p.sector_number,
            sealed_cid: p.sealed_cid.to_string(),
            unsealed_cid: p.unsealed_cid.to_string(),
            seal_rand_epoch: p.seal_rand_epoch,
            expiration: p.expiration,
            pre_commit_epoch: p.pre_commit_epoch,
            deposit: p.deposit.atto().to_string(),
        })
        .collect();
    Ok(MinerSectors {
        sectors,
        pre_commits,
    })
}

/// The deadline of the miner at `address` open at the head's epoch.
pub(crate) fn proving_deadline(view: &HeadView, address: &Address) -> Rpc<ProvingDeadline> {
    let (_, _, state) = view.miner(address)?;
    let params = &view.params;
    let info = state.deadline_at(params, view.height);
    let deadline = miner::deadline(&view.tree, &state, info.index).map_err(internal)?;
    let faulty = deadline
        .partitions
        .iter()
        .map(|p| p.faults.len() as u64)
        .sum();
    Ok(ProvingDeadline {
        current_epoch: view.height,
        index: info.index,
        open: info.open,
        close: info.close,
        challenge: info.challenge_epoch,
        fault_cutoff: info.fault_cutoff,
        deadlines: params.deadlines,
        proving_period: params.proving_period,
        challenge_window: params.challenge_window(),
        partitions: deadline.partitions.len() as u64,
        live_sectors: deadline.live_sectors(),
        faulty_sectors: faulty,
        proven_partitions: deadline.proven,
    })
}

/// The token supply at the head.
pub(crate) fn supply(view: &HeadView) -> Rpc<SupplyInfo> {
    let circulating = circulating_supply(&view.tree, view.height).map_err(internal)?;
    let balance_of = |id: ActorId| -> Rpc<TokenAmount> {
        Ok(view
            .tree
            .get_actor(id)
            .map_err(internal)?
            .map_or(TokenAmount::ZERO, |a| a.balance))
    };
    Ok(SupplyInfo {
        height: view.height,
        circulating: circulating.atto().to_string(),
        burnt: balance_of(BURNT_FUNDS_ACTOR_ID)?.atto().to_string(),
        unmined: balance_of(REWARD_ACTOR_ID)?.atto().to_string(),
        total: TokenAmount::TOTAL_SUPPLY.atto().to_string(),
    })
}
