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
//! Flowcoin's chain state: the state tree, built-in actors, message application and gas.
//!
//! This crate is layer 2: it reads and writes blocks through `flowcoin-dag`'s [`Blockstore`]
//! and [`BlockSink`] traits and knows nothing of the network, the chain or the clock. Its
//! input (state roots, blocks, messages) comes from peers, so its non-test code may not panic
//! and does only checked arithmetic; the same state and messages always give the same root.
//!
//! What it holds today:
//!
//! - [`hamt`]: a persistent HAMT in Filecoin's layout (go-hamt-ipld v3: bit width 5, SHA-256
//!   key hashes, buckets of 3, nodes `[bitfield, [pointer…]]` as DAG-CBOR under CIDv1
//!   BLAKE2b-256), canonical whatever the order of writes and deletes;
//! - [`state_tree`]: the actors by ID ([`ActorState`] `[code, head, nonce, balance]`, keyed by
//!   ID address bytes), the init actor's address map, and the state root
//!   `[version, actors]`;
//! - [`actor`]: built-in actor codes (CIDv1 raw, identity hash of `flw/1/<kind>`), singleton
//!   IDs, the init, account and system actor states, and the states genesis creates: reward
//!   ([`actor::RewardState`]), team vesting ([`actor::VestingState`]) and the super-node
//!   registry ([`actor::SuperNodeRegistryState`]); the block reward payout
//!   [`actor::award_block_reward`], which the chain calls once per epoch;
//! - the storage power actor ([`actor::power`]: claims, network totals, `CreateMiner`) and
//!   the miner actor ([`actor::miner`]: pre-commit, prove-commit verified with
//!   `flowcoin-proofs`, Window PoSt deadlines and partitions, faults, recoveries, expiration,
//!   termination, every amount from the formulas of [`actor::miner::monies`]);
//! - [`apply`]: applying a message (transfers, account creation for new key addresses, actor
//!   methods) with [`receipt`] exit codes and the fee split of [`gas`], each call in a
//!   revertible state transaction; [`runtime`] is what methods run with; and the base fee
//!   rule [`gas::next_base_fee`];
//! - [`epoch`]: applying a whole tipset (null-round deadlines, messages once, rewards);
//! - [`supply`]: the circulating supply read from the state.
//!
//! Formats, all DAG-CBOR with CIDv1 BLAKE2b-256 (`flowcoin_types::message::cbor_cid`):
//!
//! | object | encoding |
//! |---|---|
//! | state root | `[1, actors HAMT root]` |
//! | actor | `[code CID, head CID, nonce, balance bytes]` |
//! | init state | `[address map HAMT root, next ID, network name]` |
//! | account state | `[address bytes]` |
//! | system state | `[]` |
//! | reward state | `[epoch_duration_secs, total_minted]` |
//! | vesting state | `[beneficiary, total, start_epoch, epoch_duration_secs, withdrawn]` |
//! | super-node registry | `[[[account, allocation]…]]` |
//! | power state | `[total_raw_power, total_eligible_power, miner_count, miners_above_min, claims HAMT]` |
//! | miner state | `[info, deadline_offset, next_sector_number, pre_commit_deposits, initial_pledge, fee_debt, pre_commits HAMT, sectors HAMT, [deadline…]]` |
//! | receipt | `[exit code, return bytes, gas used]` |
//!
//! It is not the place for the chain (tipsets, message pool, genesis files) or consensus:
//! those are layer 3 and build on this.
//!
//! ```
//! use flowcoin_dag::store::MemoryBlockstore;
//! use flowcoin_state::actor::{ActorCode, ActorState, FIRST_NON_SINGLETON_ID};
//! use flowcoin_state::apply::{ApplyContext, apply_message};
//! use flowcoin_state::gas::GasSchedule;
//! use flowcoin_state::receipt::ExitCode;
//! use flowcoin_state::state_tree::StateTree;
//! use flowcoin_types::{Address, Message, NetworkParams, TokenAmount};
//!
//! let mut tree = StateTree::with_singletons(MemoryBlockstore::new(), "devnet")?;
//! let alice = Address::from_ed25519_public_key(&[7; 32]);
//! let id = tree.register_new_address(&alice)?;
//! assert_eq!(id, FIRST_NON_SINGLETON_ID);
//! let mut account = ActorState::new(ActorCode::Account, tree.get_actor(99)?.unwrap().head);
//! account.balance = TokenAmount::from_flw(10);
//! tree.set_actor(id, account)?;
//!
//! let params = NetworkParams::devnet();
//! let gas = GasSchedule::default();
//! let ctx = ApplyContext {
//!     epoch: 1,
//!     base_fee: params.initial_base_fee,
//!     block_producer: 99,
//!     params: &params,
//!     gas: &gas,
//!     randomness: &flowcoin_crypto::randomness::NoRandomness,
//!     circulating_supply: TokenAmount::ZERO,
//! };
//! let bob = Address::from_ed25519_public_key(&[8; 32]);
//! let message = Message {
//!     from: alice,
//!     to: bob,
//!     value: TokenAmount::ONE_FLW,
//!     gas_limit: 2_000_000,
//!     gas_fee_cap: TokenAmount::from_atto(200_000_000),
//!     ..Message::default()
//! };
//! let ret = apply_message(&mut tree, &message, &ctx)?;
//! assert_eq!(ret.receipt.exit_code, ExitCode::OK);
//! let bob_id = tree.lookup_id(&bob)?.unwrap();
//! assert_eq!(tree.get_actor(bob_id)?.unwrap().balance, TokenAmount::ONE_FLW);
//! let root = tree.flush()?;
//! let reloaded = StateTree::load(tree.into_store(), &root)?;
//! assert_eq!(reloaded.lookup_id(&bob)?, Some(bob_id));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Blockstore`]: flowcoin_dag::store::Blockstore
//! [`BlockSink`]: flowcoin_dag::store::BlockSink
//! [`ActorState`]: actor::ActorState

pub mod actor;
pub mod apply;
pub mod epoch;
pub mod gas;
pub mod hamt;
pub mod receipt;
pub mod runtime;
pub mod state_tree;
pub mod supply;
