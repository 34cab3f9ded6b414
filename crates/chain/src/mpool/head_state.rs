//! [`HeadState`]: the pool's view of the chain over a head's executed state.

use flowcoin_dag::store::Blockstore;
use flowcoin_state::actor::{AccountState, ActorCode};
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::{Address, TokenAmount};

use super::{MpoolState, SenderState};

/// A head's state (after executing the head tipset) and the base fee of the next block.
///
/// A state that cannot be read answers "no such account" (the message is refused as from an
/// unknown sender and can be sent again); the node reports store faults elsewhere.
#[derive(Debug)]
pub struct HeadState<S> {
    tree: StateTree<S>,
    base_fee: TokenAmount,
}

impl<S: Blockstore> HeadState<S> {
    /// The view of `tree` with `base_fee` for the next block.
    pub fn new(tree: StateTree<S>, base_fee: TokenAmount) -> Self {
        Self { tree, base_fee }
    }

    /// The state.
    pub fn tree(&self) -> &StateTree<S> {
        &self.tree
    }

    fn account(&self, address: &Address) -> Option<(flowcoin_state::actor::ActorState, Address)> {
        let id = self.tree.lookup_id(address).ok()??;
        let actor = self.tree.get_actor(id).ok()??;
        if actor.code != ActorCode::Account {
            return None;
        }
        let state: AccountState = self.tree.get_state("account state", &actor.head).ok()?;
        Some((actor, state.address))
    }
}

impl<S: Blockstore> MpoolState for HeadState<S> {
    fn actor(&self, address: &Address) -> Option<SenderState> {
        self.account(address).map(|(actor, _)| SenderState {
            nonce: actor.nonce,
            balance: actor.balance,
        })
    }

    fn base_fee(&self) -> TokenAmount {
        self.base_fee
    }

    fn key_address(&self, address: &Address) -> Option<Address> {
        match address {
            Address::Ed25519(_) | Address::Bls(_) => Some(*address),
            Address::Id(_) => self
                .account(address)
                .map(|(_, key)| key)
                .filter(|key| matches!(key, Address::Ed25519(_) | Address::Bls(_))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use flowcoin_dag::store::MemoryBlockstore;
    use flowcoin_types::{Network, NetworkParams};

    use super::*;
    use crate::genesis::{self, GenesisTemplate};

    #[test]
    fn accounts_are_found_by_key_and_by_id() {
        let premine = Address::from_ed25519_public_key(&[1; 32]);
        let template = GenesisTemplate {
            network: Network::Devnet,
            timestamp: 1,
            premine,
            team: Address::from_ed25519_public_key(&[2; 32]),
            super_nodes: genesis::devnet_super_node_addresses().unwrap(),
            miners: Vec::new(),
        };
        let mut store = MemoryBlockstore::new();
        let built =
            genesis::build_genesis(&template, &NetworkParams::devnet(), &mut store).unwrap();
        let tree = StateTree::load(store, &built.block.state_root).unwrap();
        let view = HeadState::new(tree, TokenAmount::from_atto(100));
        let by_key = view.actor(&premine).unwrap();
        assert_eq!(by_key.nonce, 0);
        assert_eq!(by_key.balance, TokenAmount::from_flw(31_000_000));
        let id = Address::Id(built.actors.premine);
        assert_eq!(view.actor(&id), Some(by_key));
        assert_eq!(view.key_address(&id), Some(premine));
        // The vesting actor is not an account; unknown keys have nothing.
        assert_eq!(view.actor(&Address::Id(built.actors.team_vesting)), None);
        assert_eq!(
            view.actor(&Address::from_ed25519_public_key(&[9; 32])),
            None
        );
        assert_eq!(view.base_fee(), TokenAmount::from_atto(100));
    }
}
