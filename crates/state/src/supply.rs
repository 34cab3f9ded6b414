//! The circulating supply, read from the state.
//!
//! Tokens in circulation are every actor's balance except what is not (yet, or any more)
//! spendable by anyone:
//!
//! circulating = Σ balances − reward actor (the unminted pool) − burnt funds − the part of
//! each vesting actor that has not unlocked − each miner's pre-commit deposits and initial
//! pledge
//!
//! With the genesis allocations this equals `flowcoin_types::economics::circulating_supply`
//! (premine + super nodes + team vested + minted − burnt − locked); the chain crate's tests
//! check the two against each other.

use flowcoin_dag::store::Blockstore;
use flowcoin_types::TokenAmount;

use crate::actor::miner::MinerState;
use crate::actor::{
    ActorCode, ActorId, ActorState, BURNT_FUNDS_ACTOR_ID, REWARD_ACTOR_ID, VestingState,
};
use crate::state_tree::{StateError, StateTree};

/// Why the circulating supply could not be computed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SupplyQueryError {
    /// The state could not be read.
    #[error(transparent)]
    State(#[from] StateError),
    /// A vesting actor's state holds an invalid epoch length.
    #[error("vesting actor {0}: {1}")]
    Vesting(ActorId, String),
    /// The balances are inconsistent (a sum overflows or the removed part exceeds the total).
    #[error("the state's balances are inconsistent: {0}")]
    Inconsistent(&'static str),
}

/// The circulating supply of the state `tree` at `epoch`.
pub fn circulating_supply<S: Blockstore>(
    tree: &StateTree<S>,
    epoch: u64,
) -> Result<TokenAmount, SupplyQueryError> {
    let mut actors: Vec<(ActorId, ActorState)> = Vec::new();
    tree.for_each_actor(|id, actor| actors.push((id, actor.clone())))?;
    let mut total = TokenAmount::ZERO;
    let mut removed = TokenAmount::ZERO;
    for (id, actor) in &actors {
        total = total
            .checked_add(actor.balance)
            .ok_or(SupplyQueryError::Inconsistent("the balances overflow"))?;
        let not_circulating = if *id == REWARD_ACTOR_ID || *id == BURNT_FUNDS_ACTOR_ID {
            actor.balance
        } else if actor.code == ActorCode::Vesting {
            let state: VestingState = tree.get_state("vesting state", &actor.head)?;
            let withdrawable = state
                .withdrawable_at(epoch)
                .map_err(|e| SupplyQueryError::Vesting(*id, e.to_string()))?;
            actor.balance.saturating_sub(withdrawable)
        } else if actor.code == ActorCode::Miner {
            // Deposits and pledge are locked; what the miner has available circulates.
            let state: MinerState = tree.get_state("miner state", &actor.head)?;
            actor.balance.min(
                state
                    .pre_commit_deposits
                    .checked_add(state.initial_pledge)
                    .ok_or(SupplyQueryError::Inconsistent(
                        "a miner's locked funds overflow",
                    ))?,
            )
        } else {
            TokenAmount::ZERO
        };
        removed = removed
            .checked_add(not_circulating)
            .ok_or(SupplyQueryError::Inconsistent("the balances overflow"))?;
    }
    total
        .checked_sub(removed)
        .ok_or(SupplyQueryError::Inconsistent("more removed than held"))
}
