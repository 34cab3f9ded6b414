//! Genesis as a file: [`write_car`] writes the genesis block and its state as a CARv1 whose
//! single root is the genesis block; [`inspect`] reads one back, verifying every block, and
//! reports the allocations.

use std::collections::{BTreeSet, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use cid::Cid;
use flowcoin_dag::car::{CarError, CarWriter, ExportCarError, ExportStats, Visit};
use flowcoin_dag::hash::IDENTITY;
use flowcoin_dag::links::links;
use flowcoin_dag::store::{Blockstore, MemoryBlockstore, StoreError};
use flowcoin_state::actor::{
    AccountState, ActorCode, ActorId, ActorState, BURNT_FUNDS_ACTOR_ID, INIT_ACTOR_ID, InitState,
    REWARD_ACTOR_ID, RewardState, SuperNodeRegistryState, VestingState,
};
use flowcoin_state::state_tree::{StateError, StateTree};
use flowcoin_types::economics::EpochDurationError;
use flowcoin_types::message::{CborError, from_cbor};
use flowcoin_types::{Address, Network, TokenAmount};

use super::car_read::load_car;
use super::miners::{MinerReport, PowerReport, miners_report, reported_ids};
use super::{
    GENESIS_VERSION, Genesis, GenesisBlock, MAX_GENESIS_BLOCK_BYTES, ParamsSummary,
    network_from_name, super_node_registry_address, team_vesting_actor_address, total_balance,
};

/// The most blocks a genesis CAR may hold (genesis without miners has about 120; each miner
/// adds about 60 plus a few per sector).
pub const MAX_GENESIS_CAR_BLOCKS: u64 = 1 << 20;
/// The most block bytes a genesis CAR may hold.
pub const MAX_GENESIS_CAR_BYTES: u64 = 256 << 20;

/// Why a genesis CAR could not be written or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenesisCarError {
    /// Writing the file failed.
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Opening the file failed.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The output path has no file name.
    #[error("{path} is not a file path (give a name such as genesis.car)")]
    NotAFilePath {
        /// The path given.
        path: PathBuf,
    },
    /// A block of the genesis could not be read from the store while writing.
    #[error("exporting the genesis from the store: {0}")]
    Export(#[source] Box<ExportCarError>),
    /// The file is not a valid CAR (truncated, corrupt, a block not matching its CID).
    #[error("{path} is not a valid genesis CAR: {source}")]
    Car {
        /// The file.
        path: PathBuf,
        /// The reader's error, with the byte offset.
        #[source]
        source: CarError,
    },
    /// A section of the CAR is malformed or a block does not match its CID.
    #[error("{path} is not a valid genesis CAR: at byte {offset}: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Where the problem starts.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The CAR does not have exactly one root.
    #[error(
        "the CAR has {count} roots; a genesis CAR has exactly one, the genesis block (is this a genesis file?)"
    )]
    RootCount {
        /// How many it has.
        count: usize,
    },
    /// The CAR is larger than any genesis.
    #[error("the CAR holds more than {limit} {what}; a genesis is far smaller")]
    TooLarge {
        /// What overflowed (blocks, bytes).
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// A block reachable from the genesis block is not in the CAR.
    #[error(
        "block {cid}, reachable from the genesis block, is missing from the CAR (the file is truncated or incomplete)"
    )]
    MissingBlock {
        /// The missing block.
        cid: Box<Cid>,
    },
    /// A block's links could not be followed.
    #[error("walking the genesis DAG: {0}")]
    Walk(#[source] Box<ExportCarError>),
    /// The root is not a genesis block.
    #[error("the root block is not a genesis block: {0}")]
    Block(#[source] CborError),
    /// The genesis block has a version this build does not read.
    #[error(
        "genesis block version {version} is not supported (this build reads version {GENESIS_VERSION}; upgrade flowcoin)"
    )]
    UnsupportedVersion {
        /// The block's version.
        version: u64,
    },
    /// The genesis block names a network this build does not know.
    #[error("the genesis block is for network {name:?}, which this build does not know")]
    UnknownNetwork {
        /// The name in the block.
        name: String,
    },
    /// The state could not be read.
    #[error("reading the genesis state: {0}")]
    State(#[from] StateError),
    /// The state is readable but not a valid genesis.
    #[error("the genesis state is invalid: {reason}")]
    Invalid {
        /// What is wrong.
        reason: String,
    },
    /// The balances do not add up to the fixed supply.
    #[error(
        "the genesis allocations add up to {found}, not the fixed supply of {expected} ({} attoFLW): the file is not a valid Flowcoin genesis",
        TokenAmount::TOTAL_SUPPLY.atto()
    )]
    WrongTotal {
        /// What they add up to (in words, as it may have overflowed).
        found: String,
        /// The fixed supply.
        expected: TokenAmount,
    },
}

pub(super) fn invalid(reason: impl Into<String>) -> GenesisCarError {
    GenesisCarError::Invalid {
        reason: reason.into(),
    }
}

/// Whether `cid` names no block of the genesis: an identity CID (actor codes: the data is the
/// CID itself). Sector commitments (genesis miners' CommR and CommD) never get here:
/// `flowcoin_dag::links::links` leaves them out.
fn names_no_block(cid: &Cid) -> bool {
    cid.hash().code() == IDENTITY
}

/// Walks the genesis DAG under `root` in depth-first pre-order (links in order, each block
/// once, as `flowcoin_dag::car::walk_dag`) and calls `visit` for each block, passing over the
/// CIDs that name no block. The seen set holds at most the store's blocks.
// The error type is `flowcoin_dag::car::Visit`'s, not ours to shrink.
#[allow(clippy::result_large_err)]
fn walk_genesis<S: Blockstore + ?Sized>(
    store: &S,
    root: &Cid,
    visit: &mut Visit<'_>,
) -> Result<(), ExportCarError> {
    let mut seen = HashSet::new();
    let mut stack = vec![*root];
    while let Some(cid) = stack.pop() {
        if names_no_block(&cid) || !seen.insert(cid) {
            continue;
        }
        let data = store.get_required(&cid)?;
        visit(&cid, &data)?;
        let children = links(&cid, &data)?;
        stack.extend(children.into_iter().rev().filter(|c| !seen.contains(c)));
    }
    Ok(())
}

/// Writes `genesis` as a CARv1 at `out_path`: the header's single root is the genesis block,
/// followed by the genesis block and every state block reachable from it, depth-first in link
/// order (identity CIDs are not written). The file is written under a temporary name in the
/// same directory, fsynced, then renamed over `out_path`.
pub fn write_car<S: Blockstore + ?Sized>(
    genesis: &Genesis,
    store: &S,
    out_path: &Path,
) -> Result<ExportStats, GenesisCarError> {
    let (tmp, dir) = temp_path(out_path).ok_or_else(|| GenesisCarError::NotAFilePath {
        path: out_path.to_path_buf(),
    })?;
    let result = write_tmp(genesis, store, &tmp).and_then(|stats| {
        commit_temp(&tmp, out_path, &dir).map_err(|source| GenesisCarError::Write {
            path: out_path.to_path_buf(),
            source,
        })?;
        Ok(stats)
    });
    if result.is_err() {
        // Best effort: the temporary file is useless now.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The temporary name `out_path` is written under before it is renamed into place,
/// `<dir>/.<name>.tmp-<pid>`, and that directory; `None` if `out_path` has no file name.
pub(crate) fn temp_path(out_path: &Path) -> Option<(PathBuf, PathBuf)> {
    let name = out_path.file_name()?;
    let dir = match out_path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    Some((tmp, dir))
}

/// Renames the written and fsynced `tmp` over `out_path` and fsyncs `dir`, so that the
/// rename itself is durable.
pub(crate) fn commit_temp(tmp: &Path, out_path: &Path, dir: &Path) -> std::io::Result<()> {
    std::fs::rename(tmp, out_path)?;
    File::open(dir).and_then(|d| d.sync_all())
}

/// Writes and fsyncs the CAR at `tmp`.
// The visitor's error type is `flowcoin_dag::car::Visit`'s, not ours to shrink.
#[allow(clippy::result_large_err)]
fn write_tmp<S: Blockstore + ?Sized>(
    genesis: &Genesis,
    store: &S,
    tmp: &Path,
) -> Result<ExportStats, GenesisCarError> {
    let io = |source| GenesisCarError::Write {
        path: tmp.to_path_buf(),
        source,
    };
    let file = File::create(tmp).map_err(io)?;
    let mut writer = CarWriter::new(BufWriter::new(file), &[genesis.cid]).map_err(io)?;
    walk_genesis(store, &genesis.cid, &mut |cid, data| {
        writer.write_block(cid, data)?;
        Ok(())
    })
    .map_err(|e| GenesisCarError::Export(Box::new(e)))?;
    let stats = ExportStats {
        blocks: writer.blocks_written(),
        bytes: writer.bytes_written(),
    };
    let mut out = writer.finish().map_err(io)?;
    out.flush().map_err(io)?;
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    Ok(stats)
}

/// An account and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountAllocation {
    /// The account's actor ID.
    pub id: ActorId,
    /// Its key address.
    pub address: Address,
    /// Its balance at genesis.
    pub amount: TokenAmount,
}

/// The super nodes of a genesis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuperNodesReport {
    /// The registry actor's ID.
    pub registry_id: ActorId,
    /// The accounts in registry order, with their balances (each equal to its registered
    /// allocation, checked).
    pub members: Vec<AccountAllocation>,
    /// What they hold together.
    pub total: TokenAmount,
}

impl SuperNodesReport {
    /// The amount each super node holds, if they all hold the same.
    pub fn each(&self) -> Option<TokenAmount> {
        let first = self.members.first()?.amount;
        self.members
            .iter()
            .all(|m| m.amount == first)
            .then_some(first)
    }
}

/// The team vesting of a genesis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamVestingReport {
    /// The vesting actor's ID.
    pub actor_id: ActorId,
    /// The beneficiary (the team account) and its own balance.
    pub beneficiary: AccountAllocation,
    /// The tokens locked in the vesting actor at the start.
    pub total: TokenAmount,
    /// The vesting actor's balance.
    pub balance: TokenAmount,
    /// The epoch the months are counted from.
    pub start_epoch: u64,
    /// What is unlocked at genesis (epoch 0).
    pub unlocked_at_genesis: TokenAmount,
    /// What each month releases (the first month's release).
    pub monthly_step: TokenAmount,
    /// Epochs in a vesting month.
    pub epochs_per_month: u64,
}

/// An actor outside the allocation buckets (system, init, burnt funds, the registry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherActor {
    /// Its ID.
    pub id: ActorId,
    /// Its code.
    pub code: ActorCode,
    /// Its balance.
    pub balance: TokenAmount,
}

/// What a genesis file holds, as [`inspect`] found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisReport {
    /// The genesis block's CID.
    pub genesis_cid: Cid,
    /// The genesis block.
    pub block: GenesisBlock,
    /// Its network.
    pub network: Network,
    /// Blocks in the CAR (0 when inspecting a store).
    pub blocks: u64,
    /// The premine.
    pub premine: AccountAllocation,
    /// The super nodes.
    pub super_nodes: SuperNodesReport,
    /// The team vesting.
    pub team: TeamVestingReport,
    /// The mining pool: the reward actor's balance.
    pub mining_pool: TokenAmount,
    /// The miners, in ID order.
    pub miners: Vec<MinerReport>,
    /// The power actor's totals.
    pub power: PowerReport,
    /// The remaining actors.
    pub others: Vec<OtherActor>,
    /// The sum of every actor's balance: always [`TokenAmount::TOTAL_SUPPLY`] in a report
    /// (a different total is an error).
    pub total: TokenAmount,
}

impl GenesisReport {
    /// The genesis block's state root.
    pub fn state_root(&self) -> Cid {
        self.block.state_root
    }

    /// The parameters recorded in the genesis block.
    pub fn params(&self) -> &ParamsSummary {
        &self.block.params
    }
}

/// Reads the genesis CAR at `car_path` (verifying every block against its CID), checks that
/// every block reachable from the genesis block is there, and reports the allocations; an
/// error if the total is not the fixed supply.
pub fn inspect(car_path: &Path) -> Result<GenesisReport, GenesisCarError> {
    let loaded = load_car(car_path)?;
    check_complete(&loaded.store, &loaded.root)?;
    let mut report = inspect_store(&loaded.store, &loaded.root)?;
    report.blocks = loaded.blocks;
    Ok(report)
}

/// Fails with [`GenesisCarError::MissingBlock`] if a block reachable from `root` is missing.
// The visitor's error type is `flowcoin_dag::car::Visit`'s, not ours to shrink.
#[allow(clippy::result_large_err)]
fn check_complete(store: &MemoryBlockstore, root: &Cid) -> Result<(), GenesisCarError> {
    walk_genesis(store, root, &mut |_, _| Ok(())).map_err(|e| match e {
        ExportCarError::Store(StoreError::NotFound(cid)) => {
            GenesisCarError::MissingBlock { cid: Box::new(cid) }
        }
        other => GenesisCarError::Walk(Box::new(other)),
    })
}

/// Reports the genesis whose block `genesis_cid` is in `store`, with every state block.
pub fn inspect_store<S: Blockstore>(
    store: S,
    genesis_cid: &Cid,
) -> Result<GenesisReport, GenesisCarError> {
    let bytes = store
        .get(genesis_cid)
        .map_err(|source| StateError::Store {
            cid: Box::new(*genesis_cid),
            what: "genesis block",
            source: Box::new(source),
        })?
        .ok_or_else(|| GenesisCarError::MissingBlock {
            cid: Box::new(*genesis_cid),
        })?;
    let block: GenesisBlock = from_cbor("genesis block", &bytes, MAX_GENESIS_BLOCK_BYTES)
        .map_err(GenesisCarError::Block)?;
    if block.version != GENESIS_VERSION {
        return Err(GenesisCarError::UnsupportedVersion {
            version: block.version,
        });
    }
    let network =
        network_from_name(&block.network_name).ok_or_else(|| GenesisCarError::UnknownNetwork {
            name: block.network_name.clone(),
        })?;
    let tree = StateTree::load(store, &block.state_root)?;
    let init: InitState = actor_state(&tree, INIT_ACTOR_ID, ActorCode::Init, "init")?.1;
    if init.network_name != block.network_name {
        return Err(invalid(format!(
            "the init actor names network {:?} but the genesis block {:?}",
            init.network_name, block.network_name
        )));
    }
    let (reward, _): (ActorState, RewardState) =
        actor_state(&tree, REWARD_ACTOR_ID, ActorCode::Reward, "reward")?;
    let team = team_report(&tree)?;
    let super_nodes = super_nodes_report(&tree)?;
    let (miners, power) = miners_report(&tree)?;

    let mut claimed: BTreeSet<ActorId> = super_nodes.members.iter().map(|m| m.id).collect();
    claimed.extend([REWARD_ACTOR_ID, team.actor_id, team.beneficiary.id]);
    claimed.extend(reported_ids(&miners));
    let mut rest = Vec::new();
    tree.for_each_actor(|id, actor| {
        if !claimed.contains(&id) {
            rest.push((id, actor.clone()));
        }
    })?;
    let (premine, others) = split_premine(&tree, rest)?;

    let total = total_balance(&tree)?;
    if total != Some(TokenAmount::TOTAL_SUPPLY) {
        return Err(GenesisCarError::WrongTotal {
            found: total.map_or_else(|| "more than 2^128 attoFLW".to_owned(), |t| t.to_string()),
            expected: TokenAmount::TOTAL_SUPPLY,
        });
    }
    Ok(GenesisReport {
        genesis_cid: *genesis_cid,
        block,
        network,
        blocks: 0,
        premine,
        super_nodes,
        team,
        mining_pool: reward.balance,
        miners,
        power,
        others,
        total: TokenAmount::TOTAL_SUPPLY,
    })
}

/// Actor `id`, checked to be of `code`, with its state.
fn actor_state<S: Blockstore, T: serde::Serialize + serde::de::DeserializeOwned>(
    tree: &StateTree<S>,
    id: ActorId,
    code: ActorCode,
    what: &'static str,
) -> Result<(ActorState, T), GenesisCarError> {
    let actor = tree
        .get_actor(id)?
        .ok_or_else(|| invalid(format!("the {what} actor (ID {id}) is missing")))?;
    if actor.code != code {
        return Err(invalid(format!(
            "actor {id} should be the {what} actor ({}) but is {}",
            code.name(),
            actor.code.name()
        )));
    }
    let state = tree.get_state(what, &actor.head)?;
    Ok((actor, state))
}

/// The ID registered for a genesis actor's well-known address.
fn well_known_id<S: Blockstore>(
    tree: &StateTree<S>,
    address: &Address,
    what: &str,
) -> Result<ActorId, GenesisCarError> {
    tree.lookup_id(address)?
        .ok_or_else(|| invalid(format!("no {what} actor is registered")))
}

/// An account actor's allocation.
pub(super) fn account<S: Blockstore>(
    tree: &StateTree<S>,
    id: ActorId,
) -> Result<AccountAllocation, GenesisCarError> {
    let (actor, state): (ActorState, AccountState) =
        actor_state(tree, id, ActorCode::Account, "account")?;
    Ok(AccountAllocation {
        id,
        address: state.address,
        amount: actor.balance,
    })
}

fn epoch_error(what: &str, e: &EpochDurationError) -> GenesisCarError {
    invalid(format!("the {what} state's epoch length: {e}"))
}

/// The team vesting actor and its beneficiary.
fn team_report<S: Blockstore>(tree: &StateTree<S>) -> Result<TeamVestingReport, GenesisCarError> {
    let id = well_known_id(tree, &team_vesting_actor_address(), "team vesting")?;
    let (actor, state): (ActorState, VestingState) =
        actor_state(tree, id, ActorCode::Vesting, "team vesting")?;
    let beneficiary_id = state
        .beneficiary
        .id()
        .ok_or_else(|| invalid("the team vesting beneficiary is not an ID address"))?;
    let schedule = state
        .schedule()
        .map_err(|e| epoch_error("team vesting", &e))?;
    let unlocked = |epoch: u64| {
        state
            .unlocked_at(epoch)
            .map_err(|e| epoch_error("team vesting", &e))
    };
    let unlocked_at_genesis = unlocked(0)?;
    let first_month = state
        .start_epoch
        .saturating_add(schedule.epochs_per_month());
    let monthly_step = unlocked(first_month)?.saturating_sub(unlocked(state.start_epoch)?);
    Ok(TeamVestingReport {
        actor_id: id,
        beneficiary: account(tree, beneficiary_id)?,
        total: state.total,
        balance: actor.balance,
        start_epoch: state.start_epoch,
        unlocked_at_genesis,
        monthly_step,
        epochs_per_month: schedule.epochs_per_month(),
    })
}

/// The super-node registry and the accounts it lists.
fn super_nodes_report<S: Blockstore>(
    tree: &StateTree<S>,
) -> Result<SuperNodesReport, GenesisCarError> {
    let registry_id = well_known_id(tree, &super_node_registry_address(), "super-node registry")?;
    let (_, state): (ActorState, SuperNodeRegistryState) = actor_state(
        tree,
        registry_id,
        ActorCode::SuperNodes,
        "super-node registry",
    )?;
    let mut members = Vec::with_capacity(state.members.len());
    for member in &state.members {
        let id = member
            .account
            .id()
            .ok_or_else(|| invalid("a super-node registry entry is not an ID address"))?;
        let account = account(tree, id)?;
        if account.amount != member.allocation {
            return Err(invalid(format!(
                "super node {id} holds {} but the registry allocates it {}",
                account.amount, member.allocation
            )));
        }
        members.push(account);
    }
    let total = TokenAmount::checked_sum(members.iter().map(|m| m.amount))
        .ok_or_else(|| invalid("the super-node balances overflow"))?;
    Ok(SuperNodesReport {
        registry_id,
        members,
        total,
    })
}

/// Finds the premine among the actors no bucket claims: the one account, other than burnt
/// funds, with a balance. The others are reported as they are.
fn split_premine<S: Blockstore>(
    tree: &StateTree<S>,
    rest: Vec<(ActorId, ActorState)>,
) -> Result<(AccountAllocation, Vec<OtherActor>), GenesisCarError> {
    let mut premine = Vec::new();
    let mut others = Vec::new();
    for (id, actor) in rest {
        if actor.code == ActorCode::Account
            && id != BURNT_FUNDS_ACTOR_ID
            && !actor.balance.is_zero()
        {
            premine.push(id);
        } else {
            others.push(OtherActor {
                id,
                code: actor.code,
                balance: actor.balance,
            });
        }
    }
    match premine.as_slice() {
        [id] => Ok((account(tree, *id)?, others)),
        ids => Err(invalid(format!(
            "expected exactly one premine account (an account with a balance outside the super nodes and the team), found {}",
            ids.len()
        ))),
    }
}
