//! Genesis: the first state and the block that names it.
//!
//! [`build_genesis`] turns a [`GenesisTemplate`] (the network, a timestamp, the key
//! addresses that receive the genesis allocations, and miners with pre-sealed sectors) into a
//! state tree and a [`GenesisBlock`]; [`write_car`] writes both as a CARv1 and [`inspect`]
//! reads such a file back and reports the allocations, the miners and their power. Templates
//! are JSON files ([`read_template`], [`write_template`]). The formats are described in
//! `docs/GENESIS.md`.
//!
//! The state, actor IDs in order of creation:
//!
//! | ID | actor | balance |
//! |---|---|---|
//! | 0, 1, 99 | system, init, burnt funds | 0 |
//! | 2 | reward ([`RewardState`]) | the mining pool, 217,000,000 FLW |
//! | 100 | premine account | 31,000,000 FLW |
//! | 101 | team account (the vesting beneficiary) | 0 |
//! | 102 – 151 | the 50 super-node accounts | 930,000 FLW each |
//! | 152 | team vesting ([`VestingState`], address [`team_vesting_actor_address`]) | 15,500,000 FLW |
//! | 153 | super-node registry ([`SuperNodeRegistryState`], address [`super_node_registry_address`]) | 0 |
//! | 154 – | the genesis miners' owner and worker accounts not created above, in template order | 0 |
//! | 1000 – | the genesis miners, in template order ([`FIRST_GENESIS_MINER_ID`], module `miners`) | 0 |
//!
//! Every amount comes from [`flowcoin_types::economics::GenesisAllocation`]; the builder
//! refuses to finish unless the balances add up to exactly
//! [`TokenAmount::TOTAL_SUPPLY`] (310,000,000 FLW).

mod car;
mod car_read;
mod miners;
mod template;

use std::collections::BTreeMap;
use std::fmt;

use cid::Cid;
use flowcoin_crypto::SecretKey;
use flowcoin_crypto::bls;
use flowcoin_dag::hash::HashFn;
use flowcoin_dag::store::{BlockSink, Blockstore, StoreError};
use flowcoin_state::actor::miner::GenesisMinerError;
use flowcoin_state::actor::{
    AccountState, ActorCode, ActorId, ActorState, REWARD_ACTOR_ID, RewardState, SuperNode,
    SuperNodeRegistryState, VestingState,
};
use flowcoin_state::state_tree::{StateError, StateTree};
use flowcoin_types::cbor_tuple;
use flowcoin_types::economics::GenesisAllocation;
use flowcoin_types::message::{CborError, cbor_cid, to_cbor};
use flowcoin_types::{
    Address, Network, NetworkParams, NetworkParamsError, Protocol, SectorSize, TokenAmount,
};
use serde::Serialize;

pub use car::{
    AccountAllocation, GenesisCarError, GenesisReport, MAX_GENESIS_CAR_BLOCKS,
    MAX_GENESIS_CAR_BYTES, OtherActor, SuperNodesReport, TeamVestingReport, inspect, inspect_store,
    write_car,
};
pub use miners::{
    FIRST_GENESIS_MINER_ID, GenesisMinerTemplate, GenesisSectorTemplate, MAX_GENESIS_MINERS,
    MAX_GENESIS_SECTORS_PER_MINER, MinerReport, PowerReport, genesis_miner_id, miner_address_seed,
};
pub use template::{MAX_TEMPLATE_BYTES, TemplateError, read_template, write_template};

/// The genesis block format this build writes and reads.
pub const GENESIS_VERSION: u64 = 1;
/// The largest genesis block read (a real one is a few hundred bytes).
pub const MAX_GENESIS_BLOCK_BYTES: usize = 4096;
/// The public seed the devnet's super-node keys are derived from (see
/// [`devnet_super_node_key`]). Devnet only: anyone can derive these keys.
pub const DEVNET_SUPER_NODE_SEED: &[u8] = b"flowcoin-devnet-super-node-v1";

/// The seed of the team vesting actor's address.
const TEAM_VESTING_SEED: &[u8] = b"flowcoin/genesis/team-vesting";
/// The seed of the super-node registry's address.
const SUPER_NODE_REGISTRY_SEED: &[u8] = b"flowcoin/genesis/super-node-registry";

/// The team vesting actor's actor address (protocol 2), mapped to its ID in the init actor.
pub fn team_vesting_actor_address() -> Address {
    Address::new_actor(TEAM_VESTING_SEED)
}

/// The super-node registry's actor address (protocol 2), mapped to its ID in the init actor.
pub fn super_node_registry_address() -> Address {
    Address::new_actor(SUPER_NODE_REGISTRY_SEED)
}

/// The name a network goes by in the genesis block and the init actor (`devnet`,
/// `mainnet`).
pub fn network_name(network: Network) -> String {
    network.to_string()
}

/// The network named `name` in a genesis block, if it is one this build knows.
pub fn network_from_name(name: &str) -> Option<Network> {
    [Network::Mainnet, Network::Devnet]
        .into_iter()
        .find(|network| network.to_string() == name)
}

/// What a genesis address is for (in errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GenesisRole {
    /// The premine account.
    Premine,
    /// The team account (the vesting beneficiary).
    Team,
    /// Super node number `n` (from 0) of the template's list.
    SuperNode(usize),
    /// The owner of the genesis miner with this ID.
    MinerOwner(ActorId),
    /// The worker of the genesis miner with this ID.
    MinerWorker(ActorId),
}

impl fmt::Display for GenesisRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Premine => f.write_str("the premine"),
            Self::Team => f.write_str("the team"),
            Self::SuperNode(n) => write!(f, "super node {n}"),
            Self::MinerOwner(id) => write!(f, "the owner of miner {id}"),
            Self::MinerWorker(id) => write!(f, "the worker of miner {id}"),
        }
    }
}

/// Why genesis could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenesisError {
    /// The template is for another network than the parameters.
    #[error(
        "the template is for {template} but the network parameters are {params}'s (use a {params} template, or the {template} parameters)"
    )]
    WrongNetwork {
        /// The template's network.
        template: Network,
        /// The parameters' network.
        params: Network,
    },
    /// The template does not list exactly 50 super nodes.
    #[error(
        "the template lists {found} super nodes; genesis needs exactly {} (one per {} allocation)",
        GenesisAllocation::SUPER_NODE_COUNT,
        GenesisAllocation::PER_SUPER_NODE
    )]
    SuperNodeCount {
        /// How many it lists.
        found: usize,
    },
    /// An address of the template is not an account key address.
    #[error(
        "the address of {role}, {address}, is a {protocol} address; genesis allocations go to key addresses (protocol 1 or 3, such as a `flowcoin key new` address)"
    )]
    NotAKeyAddress {
        /// What it is for.
        role: GenesisRole,
        /// The address in text form.
        address: String,
        /// Its protocol.
        protocol: Protocol,
    },
    /// Two roles of the template share an address.
    #[error(
        "{first} and {second} have the same address {address}; every genesis account needs its own key"
    )]
    DuplicateAddress {
        /// The address in text form.
        address: String,
        /// The first role with it.
        first: GenesisRole,
        /// The second role with it.
        second: GenesisRole,
    },
    /// The network parameters are inconsistent.
    #[error("invalid network parameters: {0}")]
    Params(#[from] NetworkParamsError),
    /// The state tree failed.
    #[error("building the genesis state: {0}")]
    State(#[from] StateError),
    /// A singleton the builder changes is missing from the fresh state.
    #[error("the {what} actor is missing from the fresh state tree (a bug in the state crate)")]
    MissingSingleton {
        /// Which one.
        what: &'static str,
    },
    /// The genesis block could not be encoded.
    #[error("encoding the genesis block: {0}")]
    Encode(#[source] CborError),
    /// The genesis block could not be stored.
    #[error("storing the genesis block: {0}")]
    Store(#[source] StoreError),
    /// The balances do not add up to the fixed supply.
    #[error(
        "the genesis balances add up to {total}, not the fixed supply of {}",
        TokenAmount::TOTAL_SUPPLY
    )]
    SupplyMismatch {
        /// What they add up to (`None` if the sum overflowed).
        total: TokenAmountOrOverflow,
    },
    /// No genesis miner has the minimum power to win blocks.
    #[error(
        "no genesis miner reaches the minimum power of {min_power} bytes, so none could win a block: give one miner enough sectors"
    )]
    NoEligibleMiner {
        /// The network's minimum miner power.
        min_power: u64,
    },
    /// The template lists more miners than genesis creates.
    #[error(
        "the template lists {found} miners; genesis creates at most {MAX_GENESIS_MINERS} (start the others after genesis)"
    )]
    TooManyMiners {
        /// How many it lists.
        found: usize,
    },
    /// A miner's ID is not the one its place in the list gives it.
    #[error(
        "miner {index} of the template has ID {found}, but genesis gives it {expected} (genesis miners get IDs 1000, 1001, … in template order; seal its sectors with `flowcoin proofs seal --miner {expected}` and add the miners in order)"
    )]
    MinerIdOutOfSequence {
        /// Its index in the template (from 0).
        index: usize,
        /// The ID it gets.
        expected: String,
        /// The ID it names.
        found: String,
    },
    /// A miner's worker is not a BLS key.
    #[error(
        "the worker of miner {miner}, {worker}, is not a BLS key address (the worker signs election tickets: use a `flowcoin key new --type bls` address)"
    )]
    WorkerNotBls {
        /// The miner.
        miner: String,
        /// The worker's address.
        worker: String,
    },
    /// A miner's sector size is not one the network allows.
    #[error(
        "miner {miner} has {size} sectors, which this network does not allow (it allows {allowed})"
    )]
    SectorSizeNotAllowed {
        /// The miner.
        miner: String,
        /// Its sector size.
        size: SectorSize,
        /// The sizes allowed.
        allowed: String,
    },
    /// A miner's peer ID is too long.
    #[error(
        "the peer ID of miner {miner} is {bytes} bytes; at most {} are allowed",
        flowcoin_state::actor::power::MAX_PEER_ID_BYTES
    )]
    PeerIdTooLong {
        /// The miner.
        miner: String,
        /// Its length.
        bytes: usize,
    },
    /// A miner has more sectors than genesis activates.
    #[error(
        "miner {miner} lists {found} sectors; a genesis miner starts with at most {MAX_GENESIS_SECTORS_PER_MINER}"
    )]
    TooManySectors {
        /// The miner.
        miner: String,
        /// How many it lists.
        found: usize,
    },
    /// A miner lists a sector number twice.
    #[error(
        "miner {miner} lists sector {sector_number} twice (every sector needs its own number: seal it again with another --sector-number)"
    )]
    DuplicateSector {
        /// The miner.
        miner: String,
        /// The number.
        sector_number: u64,
    },
    /// A sector's CID is not the kind of commitment its field holds.
    #[error(
        "the {field} of sector {sector_number} of miner {miner}, {cid}, is not {expected} (copy comm_r_cid and comm_d_cid from the sector's sector.json)"
    )]
    NotACommitment {
        /// The miner.
        miner: String,
        /// The sector.
        sector_number: u64,
        /// `comm_r` or `comm_d`.
        field: &'static str,
        /// The CID given.
        cid: String,
        /// What it should be.
        expected: &'static str,
    },
    /// A sector's expiration is outside the sector lifetime bounds.
    #[error(
        "sector {sector_number} of miner {miner} expires at epoch {expiration}; a genesis sector must expire after epoch {min} and at the latest at epoch {max} (the network's sector lifetime bounds)"
    )]
    SectorExpiration {
        /// The miner.
        miner: String,
        /// The sector.
        sector_number: u64,
        /// Its expiration.
        expiration: u64,
        /// The minimum sector lifetime (exclusive).
        min: u64,
        /// The maximum sector lifetime.
        max: u64,
    },
    /// The accounts created before the miners reached ID 1000.
    #[error(
        "the genesis accounts use IDs up to {next}, past the first miner ID {FIRST_GENESIS_MINER_ID}"
    )]
    MinerIdsTaken {
        /// The next free ID.
        next: ActorId,
    },
    /// The state gave a miner another ID than the template records (a bug).
    #[error("miner {expected} was created as {created} (a bug in the genesis builder)")]
    MinerIdMismatch {
        /// The ID the template records.
        expected: String,
        /// The ID it got.
        created: String,
    },
    /// The state refused a miner.
    #[error("creating miner {miner}: {source}")]
    Miner {
        /// The miner.
        miner: String,
        /// Why.
        #[source]
        source: GenesisMinerError,
    },
    /// A devnet key could not be derived.
    #[error("deriving devnet super-node key {index}: {source}")]
    DevnetKey {
        /// The key's index.
        index: u64,
        /// The BLS error.
        #[source]
        source: bls::BlsError,
    },
}

/// A sum of token amounts, or the fact that it overflowed (in [`GenesisError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenAmountOrOverflow(pub Option<TokenAmount>);

impl fmt::Display for TokenAmountOrOverflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(amount) => write!(f, "{amount}"),
            None => f.write_str("more than 2^128 attoFLW"),
        }
    }
}

/// Who receives the genesis allocations, and when the chain starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisTemplate {
    /// The network (must be the one of the [`NetworkParams`] genesis is built with).
    pub network: Network,
    /// The genesis time, seconds since the Unix epoch.
    pub timestamp: u64,
    /// The premine account's key address (31,000,000 FLW).
    pub premine: Address,
    /// The team account's key address: the beneficiary of the team vesting actor.
    pub team: Address,
    /// The 50 super nodes' key addresses, in registry order (930,000 FLW each).
    pub super_nodes: Vec<Address>,
    /// Miners that start with power, with IDs 1000, 1001, … in this order.
    pub miners: Vec<GenesisMinerTemplate>,
}

impl GenesisTemplate {
    /// Every address with its role, premine first, then team, then the super nodes in order.
    pub fn roles(&self) -> impl Iterator<Item = (GenesisRole, Address)> + '_ {
        [
            (GenesisRole::Premine, self.premine),
            (GenesisRole::Team, self.team),
        ]
        .into_iter()
        .chain(
            self.super_nodes
                .iter()
                .enumerate()
                .map(|(n, address)| (GenesisRole::SuperNode(n), *address)),
        )
    }

    /// The ID the next miner added to the template gets (1000 for the first).
    pub fn next_miner_id(&self) -> Option<ActorId> {
        genesis_miner_id(self.miners.len())
    }

    /// Checks the template against `params`: the same network, exactly 50 super nodes, only
    /// key addresses, no allocation address twice; and the miners (IDs in sequence from 1000,
    /// BLS workers, allowed sector sizes, distinct sector numbers, commitment CIDs, sector
    /// lifetimes). A miner's owner and worker may be the same key, or an allocation's.
    pub fn validate(&self, params: &NetworkParams) -> Result<(), GenesisError> {
        if self.network != params.network {
            return Err(GenesisError::WrongNetwork {
                template: self.network,
                params: params.network,
            });
        }
        let expected = usize::try_from(GenesisAllocation::SUPER_NODE_COUNT).ok();
        if Some(self.super_nodes.len()) != expected {
            return Err(GenesisError::SuperNodeCount {
                found: self.super_nodes.len(),
            });
        }
        let mut seen = BTreeMap::new();
        for (role, address) in self.roles() {
            key_address(self, role, address)?;
            if let Some(first) = seen.insert(address, role) {
                return Err(GenesisError::DuplicateAddress {
                    address: address.display(self.network).to_string(),
                    first,
                    second: role,
                });
            }
        }
        miners::validate_miners(self, params)
    }
}

/// Refuses `address` for `role` unless it is a key address (protocol 1 or 3).
fn key_address(
    template: &GenesisTemplate,
    role: GenesisRole,
    address: Address,
) -> Result<(), GenesisError> {
    let protocol = address.protocol();
    if matches!(protocol, Protocol::Ed25519 | Protocol::Bls) {
        return Ok(());
    }
    Err(GenesisError::NotAKeyAddress {
        role,
        address: address.display(template.network).to_string(),
        protocol,
    })
}

/// The protocol parameters a genesis block records, so that nodes can check they run the
/// network the file was made for: the DAG-CBOR array `[epoch_duration_secs, proving_period,
/// deadlines, finality, pre_commit_challenge_delay, wpost_challenge_lookback, power_lookback,
/// expected_leaders_per_epoch, min_miner_power, block_gas_limit, initial_base_fee,
/// min_base_fee, sector_sizes]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamsSummary {
    /// Seconds per epoch.
    pub epoch_duration_secs: u64,
    /// Epochs in a proving period.
    pub proving_period: u64,
    /// Deadlines per proving period.
    pub deadlines: u64,
    /// Epochs after which the chain does not reorganise.
    pub finality: u64,
    /// Epochs between pre-commit and seal seed.
    pub pre_commit_challenge_delay: u64,
    /// How far before a deadline its challenge is drawn.
    pub wpost_challenge_lookback: u64,
    /// How far back the election reads power.
    pub power_lookback: u64,
    /// Expected winners per epoch.
    pub expected_leaders_per_epoch: u64,
    /// Minimum raw power to win, in bytes.
    pub min_miner_power: u64,
    /// Gas limit of a block.
    pub block_gas_limit: u64,
    /// Base fee at genesis.
    pub initial_base_fee: TokenAmount,
    /// Lowest base fee.
    pub min_base_fee: TokenAmount,
    /// Allowed sector sizes, in bytes.
    pub sector_sizes: Vec<u64>,
}

impl ParamsSummary {
    /// The summary of `params`.
    pub fn of(params: &NetworkParams) -> Self {
        Self {
            epoch_duration_secs: params.epoch_duration.secs(),
            proving_period: params.proving_period,
            deadlines: params.deadlines,
            finality: params.finality,
            pre_commit_challenge_delay: params.pre_commit_challenge_delay,
            wpost_challenge_lookback: params.wpost_challenge_lookback,
            power_lookback: params.power_lookback,
            expected_leaders_per_epoch: params.expected_leaders_per_epoch,
            min_miner_power: params.min_miner_power,
            block_gas_limit: params.block_gas_limit,
            initial_base_fee: params.initial_base_fee,
            min_base_fee: params.min_base_fee,
            sector_sizes: params.sector_sizes.iter().map(|s| s.bytes()).collect(),
        }
    }
}

cbor_tuple!(ParamsSummary {
    epoch_duration_secs: u64,
    proving_period: u64,
    deadlines: u64,
    finality: u64,
    pre_commit_challenge_delay: u64,
    wpost_challenge_lookback: u64,
    power_lookback: u64,
    expected_leaders_per_epoch: u64,
    min_miner_power: u64,
    block_gas_limit: u64,
    initial_base_fee: TokenAmount,
    min_base_fee: TokenAmount,
    sector_sizes: Vec<u64>,
});

/// The genesis block: the DAG-CBOR array `[version, network_name, timestamp, state_root,
/// params]`, under CIDv1 DAG-CBOR BLAKE2b-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisBlock {
    /// The format version ([`GENESIS_VERSION`]).
    pub version: u64,
    /// The network's name ([`network_name`]).
    pub network_name: String,
    /// Genesis time, seconds since the Unix epoch.
    pub timestamp: u64,
    /// The state root ([`flowcoin_state::state_tree::StateRoot`]).
    pub state_root: Cid,
    /// The protocol parameters the network was started with.
    pub params: ParamsSummary,
}

cbor_tuple!(GenesisBlock {
    version: u64,
    network_name: String,
    timestamp: u64,
    state_root: Cid,
    params: ParamsSummary,
});

/// The IDs genesis gave its actors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisActors {
    /// The premine account.
    pub premine: ActorId,
    /// The team account.
    pub team: ActorId,
    /// The super-node accounts, in template order.
    pub super_nodes: Vec<ActorId>,
    /// The team vesting actor.
    pub team_vesting: ActorId,
    /// The super-node registry.
    pub super_node_registry: ActorId,
    /// The miners, in template order (1000, 1001, …).
    pub miners: Vec<ActorId>,
}

/// A built genesis: the block, its CID and the actor IDs. The block and every state block
/// are in the store it was built into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Genesis {
    /// The genesis block's CID (the chain's first tipset key).
    pub cid: Cid,
    /// The genesis block.
    pub block: GenesisBlock,
    /// Who got which ID.
    pub actors: GenesisActors,
}

/// Builds the genesis state and block for `template` on the network of `params`, writing
/// every block into `store`. The same template and parameters always give the same CID.
pub fn build_genesis<S: Blockstore + BlockSink>(
    template: &GenesisTemplate,
    params: &NetworkParams,
    store: &mut S,
) -> Result<Genesis, GenesisError> {
    params.validate()?;
    template.validate(params)?;
    let name = network_name(template.network);
    let mut tree = StateTree::with_singletons(&mut *store, &name)?;

    let premine = add_account(&mut tree, template.premine, GenesisAllocation::PREMINE)?;
    let team = add_account(&mut tree, template.team, TokenAmount::ZERO)?;
    let mut super_nodes = Vec::with_capacity(template.super_nodes.len());
    let mut members = Vec::with_capacity(template.super_nodes.len());
    for address in &template.super_nodes {
        let id = add_account(&mut tree, *address, GenesisAllocation::PER_SUPER_NODE)?;
        super_nodes.push(id);
        members.push(SuperNode {
            account: Address::Id(id),
            allocation: GenesisAllocation::PER_SUPER_NODE,
        });
    }
    let vesting = VestingState {
        beneficiary: Address::Id(team),
        total: GenesisAllocation::TEAM,
        start_epoch: 0,
        epoch_duration_secs: params.epoch_duration.secs(),
        withdrawn: TokenAmount::ZERO,
    };
    let team_vesting = add_actor(
        &mut tree,
        team_vesting_actor_address(),
        ActorCode::Vesting,
        &vesting,
        GenesisAllocation::TEAM,
    )?;
    let super_node_registry = add_actor(
        &mut tree,
        super_node_registry_address(),
        ActorCode::SuperNodes,
        &SuperNodeRegistryState { members },
        TokenAmount::ZERO,
    )?;
    let miners = miners::add_miners(&mut tree, template, params)?;
    let reward_head = tree.put_state(&RewardState::new(params.epoch_duration))?;
    let mut reward = tree
        .get_actor(REWARD_ACTOR_ID)?
        .ok_or(GenesisError::MissingSingleton { what: "reward" })?;
    reward.head = reward_head;
    reward.balance = GenesisAllocation::MINING_POOL;
    tree.set_actor(REWARD_ACTOR_ID, reward)?;

    check_supply(&tree)?;
    let state_root = tree.flush()?;
    drop(tree);

    let block = GenesisBlock {
        version: GENESIS_VERSION,
        network_name: name,
        timestamp: template.timestamp,
        state_root,
        params: ParamsSummary::of(params),
    };
    let bytes = to_cbor("genesis block", &block).map_err(GenesisError::Encode)?;
    let cid = cbor_cid(&bytes);
    store.put(&cid, &bytes).map_err(GenesisError::Store)?;
    Ok(Genesis {
        cid,
        block,
        actors: GenesisActors {
            premine,
            team,
            super_nodes,
            team_vesting,
            super_node_registry,
            miners,
        },
    })
}

/// Creates an account for key address `address` holding `balance`.
fn add_account<S: Blockstore>(
    tree: &mut StateTree<S>,
    address: Address,
    balance: TokenAmount,
) -> Result<ActorId, GenesisError> {
    add_actor(
        tree,
        address,
        ActorCode::Account,
        &AccountState { address },
        balance,
    )
}

/// Registers `address`, and creates the actor of `code` with `state` and `balance` under
/// the new ID.
fn add_actor<S: Blockstore, T: Serialize>(
    tree: &mut StateTree<S>,
    address: Address,
    code: ActorCode,
    state: &T,
    balance: TokenAmount,
) -> Result<ActorId, GenesisError> {
    let id = tree.register_new_address(&address)?;
    let head = tree.put_state(state)?;
    let mut actor = ActorState::new(code, head);
    actor.balance = balance;
    tree.set_actor(id, actor)?;
    Ok(id)
}

/// The sum of every actor's balance, `None` on overflow.
pub(crate) fn total_balance<S: Blockstore>(
    tree: &StateTree<S>,
) -> Result<Option<TokenAmount>, StateError> {
    let mut total = Some(TokenAmount::ZERO);
    tree.for_each_actor(|_, actor| {
        total = total.and_then(|sum| sum.checked_add(actor.balance));
    })?;
    Ok(total)
}

/// Refuses a state whose balances do not add up to the fixed supply.
fn check_supply<S: Blockstore>(tree: &StateTree<S>) -> Result<(), GenesisError> {
    let total = total_balance(tree)?;
    if total != Some(TokenAmount::TOTAL_SUPPLY) {
        return Err(GenesisError::SupplyMismatch {
            total: TokenAmountOrOverflow(total),
        });
    }
    Ok(())
}

/// Super-node key `index` (0 – 49) of the devnet: a BLS key from the IETF `KeyGen` of the
/// seed SHA-256([`DEVNET_SUPER_NODE_SEED`] ‖ `index` as 8 big-endian bytes). The seed is
/// public, so these keys protect nothing: devnet only; mainnet super nodes come from a
/// template.
pub fn devnet_super_node_key(index: u64) -> Result<SecretKey, GenesisError> {
    let mut input = DEVNET_SUPER_NODE_SEED.to_vec();
    input.extend_from_slice(&index.to_be_bytes());
    let digest = HashFn::Sha2_256.digest(&input);
    let mut seed = [0u8; bls::SEED_LEN];
    for (dst, src) in seed.iter_mut().zip(digest.digest()) {
        *dst = *src;
    }
    bls::SecretKey::from_seed(&seed)
        .map(SecretKey::Bls)
        .map_err(|source| GenesisError::DevnetKey { index, source })
}

/// The addresses of the 50 devnet super-node keys ([`devnet_super_node_key`]), in order.
pub fn devnet_super_node_addresses() -> Result<Vec<Address>, GenesisError> {
    (0..GenesisAllocation::SUPER_NODE_COUNT)
        .map(|index| Ok(devnet_super_node_key(index)?.public_key().address()))
        .collect()
}

#[cfg(test)]
mod tests;
