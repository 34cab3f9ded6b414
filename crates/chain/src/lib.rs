#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )
)]
//! Flowcoin's chain (network-agnostic): [`genesis`] (building the first state and block,
//! writing it as a CAR, inspecting such a file), the chain [`store`] (blocks, tipsets, the
//! state each tipset leads to, the head and the canonical chain, chain randomness) and the
//! message pool ([`mpool`]).
//!
//! It is layer 3: it builds on the state tree of `flowcoin-state` and the blockstore and CARs
//! of `flowcoin-dag`, and knows nothing of the network or the node. Genesis files come from
//! outside, so reading them may not panic and checks every block and the token total.
//!
//! ```
//! use flowcoin_chain::genesis::{self, GenesisTemplate};
//! use flowcoin_dag::store::MemoryBlockstore;
//! use flowcoin_types::{Address, Network, NetworkParams, TokenAmount};
//!
//! let template = GenesisTemplate {
//!     network: Network::Devnet,
//!     timestamp: 1_700_000_000,
//!     premine: Address::from_ed25519_public_key(&[1; 32]),
//!     team: Address::from_ed25519_public_key(&[2; 32]),
//!     super_nodes: genesis::devnet_super_node_addresses()?,
//!     miners: Vec::new(),
//! };
//! let mut store = MemoryBlockstore::new();
//! let built = genesis::build_genesis(&template, &NetworkParams::devnet(), &mut store)?;
//! let report = genesis::inspect_store(&store, &built.cid)?;
//! assert_eq!(report.total, TokenAmount::TOTAL_SUPPLY);
//! assert_eq!(report.premine.address, template.premine);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod genesis;
pub mod mpool;
pub mod store;
pub mod wire;
