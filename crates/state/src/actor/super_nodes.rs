//! The super-node registry's state: the genesis super-node accounts, in order, with what each
//! was allocated (930,000 FLW at genesis). The accounts hold their tokens themselves; the
//! registry only lists them.

use flowcoin_types::{Address, TokenAmount};

use flowcoin_types::cbor_tuple;

/// One registered super node: `[account, allocation]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuperNode {
    /// The super node's account, as an ID address.
    pub account: Address,
    /// What it was allocated at genesis.
    pub allocation: TokenAmount,
}

cbor_tuple!(SuperNode {
    account: Address,
    allocation: TokenAmount,
});

/// The registry's state: `[[[account, allocation]…]]`, the super nodes in registration order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuperNodeRegistryState {
    /// The super nodes, in order. Fixed at genesis (50 entries), so it cannot grow.
    pub members: Vec<SuperNode>,
}

cbor_tuple!(SuperNodeRegistryState {
    members: Vec<SuperNode>,
});

impl SuperNodeRegistryState {
    /// The sum of the members' allocations, or `None` on overflow.
    pub fn total_allocation(&self) -> Option<TokenAmount> {
        TokenAmount::checked_sum(self.members.iter().map(|m| m.allocation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowcoin_types::message::{from_cbor, to_cbor};

    #[test]
    fn round_trips_and_sums() {
        let state = SuperNodeRegistryState {
            members: (102..152)
                .map(|id| SuperNode {
                    account: Address::Id(id),
                    allocation: TokenAmount::from_flw(930_000),
                })
                .collect(),
        };
        let bytes = to_cbor("registry", &state).unwrap();
        assert_eq!(bytes[0], 0x81);
        assert_eq!(
            from_cbor::<SuperNodeRegistryState>("registry", &bytes, 1 << 20).unwrap(),
            state
        );
        assert_eq!(
            state.total_allocation(),
            Some(TokenAmount::from_flw(46_500_000))
        );
    }
}
