//! The storage power actor (singleton ID 4): every miner's raw power claim and the network
//! totals the election and the pledge formulas read, and `CreateMiner`.
//!
//! A miner's power is the sum of the sizes of its sectors that are proven and not faulty; the
//! miner actor changes its claim as sectors activate, fault, recover, expire and terminate.
//! A miner whose power is below [`NetworkParams::min_miner_power`] cannot win blocks: its
//! power is in [`PowerState::total_raw_power`] but not in [`PowerState::total_eligible_power`],
//! which is what Expected Consensus divides by.
//!
//! `CreateMiner` (method 2, params `[owner, worker, sector_size, peer_id]`, returns
//! `[id_address, robust_address]`) creates a miner actor: the owner must resolve to an
//! account, the worker to an account whose key is BLS (it signs election tickets), the sector
//! size must be one the network allows. The value sent becomes the miner's balance.
//!
//! | failure | exit code |
//! |---|---|
//! | params malformed | [`ExitCode::ERR_ILLEGAL_ARGUMENT`] |
//! | owner or worker not an account, worker key not BLS, sector size not allowed | [`ExitCode::ERR_ILLEGAL_ARGUMENT`] |
//!
//! [`NetworkParams::min_miner_power`]: flowcoin_types::NetworkParams::min_miner_power

use cid::Cid;
use flowcoin_dag::store::Blockstore;
use flowcoin_types::message::Bytes;
use flowcoin_types::{Address, Network, NetworkParams, SectorSize, StoragePower, cbor_tuple};

use super::miner::{self, MinerInfo};
use super::{AccountState, ActorCode, ActorId, ActorState, id_key};
use crate::apply::ApplyError;
use crate::hamt::Hamt;
use crate::receipt::ExitCode;
use crate::runtime::{CallError, GasMeter, InvokeContext, decode_params, encode_return, refuse};
use crate::state_tree::{StateError, StateTree};

/// The storage power actor's ID.
pub const STORAGE_POWER_ACTOR_ID: ActorId = 4;

/// The method number of `CreateMiner` ([`CreateMinerParams`]).
pub const METHOD_CREATE_MINER: u64 = 2;

/// The largest encoded [`CreateMinerParams`]: two addresses (≤ 66 bytes each), a sector size
/// and a peer ID of at most [`MAX_PEER_ID_BYTES`].
const MAX_CREATE_MINER_PARAMS_BYTES: usize = 512;

/// The longest libp2p peer ID a miner may register.
pub const MAX_PEER_ID_BYTES: usize = 128;

/// The power actor's state:
/// `[total_raw_power, total_eligible_power, miner_count, miners_above_min, claims]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerState {
    /// The power of every miner.
    pub total_raw_power: StoragePower,
    /// The power of the miners at or above the minimum: the election's denominator.
    pub total_eligible_power: StoragePower,
    /// Miners created.
    pub miner_count: u64,
    /// Miners at or above the minimum power.
    pub miners_above_min: u64,
    /// HAMT: miner ID address bytes → [`Claim`].
    pub claims: Cid,
}

cbor_tuple!(PowerState {
    total_raw_power: StoragePower,
    total_eligible_power: StoragePower,
    miner_count: u64,
    miners_above_min: u64,
    claims: Cid,
});

/// One miner's claim: `[sector_size, raw_power]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The miner's sector size in bytes.
    pub sector_size: u64,
    /// Its proven, non-faulty storage.
    pub raw_power: StoragePower,
}

cbor_tuple!(Claim {
    sector_size: u64,
    raw_power: StoragePower,
});

/// The parameters of `CreateMiner`: `[owner, worker, sector_size, peer_id]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateMinerParams {
    /// Who owns the miner: receives withdrawals, may do everything the worker does.
    pub owner: Address,
    /// The key that runs the miner: seals, proves, signs election tickets (BLS).
    pub worker: Address,
    /// The sector size in bytes (one of the network's).
    pub sector_size: u64,
    /// The miner's libp2p peer ID (bytes), for clients to find it.
    pub peer_id: Bytes,
}

cbor_tuple!(CreateMinerParams {
    owner: Address,
    worker: Address,
    sector_size: u64,
    peer_id: Bytes,
});

/// What `CreateMiner` returns: `[id_address, robust_address]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateMinerReturn {
    /// The miner's ID address (`f0…`).
    pub id_address: Address,
    /// Its actor address (`f2…`), stable across reorgs.
    pub robust_address: Address,
}

cbor_tuple!(CreateMinerReturn {
    id_address: Address,
    robust_address: Address,
});

/// A miner's power as the election sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinerPower {
    /// Its raw power.
    pub raw_power: StoragePower,
    /// The eligible network total.
    pub total_eligible_power: StoragePower,
    /// Whether it is at or above the minimum (may win blocks).
    pub eligible: bool,
}

impl PowerState {
    /// The state at genesis: no miners.
    pub fn new<S: Blockstore>(tree: &mut StateTree<S>) -> Result<Self, StateError> {
        let claims = tree.flush_hamt(&mut Hamt::<Claim>::new())?;
        Ok(Self {
            total_raw_power: StoragePower::ZERO,
            total_eligible_power: StoragePower::ZERO,
            miner_count: 0,
            miners_above_min: 0,
            claims,
        })
    }
}

/// Reads the power actor's state.
pub fn power_state<S: Blockstore>(tree: &StateTree<S>) -> Result<PowerState, StateError> {
    let actor = tree
        .get_actor(STORAGE_POWER_ACTOR_ID)?
        .filter(|actor| actor.code == ActorCode::Power)
        .ok_or(StateError::MissingActor {
            id: STORAGE_POWER_ACTOR_ID,
            what: "storage power",
        })?;
    tree.get_state("power state", &actor.head)
}

/// Writes the power actor's state.
fn put_power_state<S: Blockstore>(
    tree: &mut StateTree<S>,
    state: &PowerState,
) -> Result<(), StateError> {
    let mut actor = tree
        .get_actor(STORAGE_POWER_ACTOR_ID)?
        .ok_or(StateError::MissingActor {
            id: STORAGE_POWER_ACTOR_ID,
            what: "storage power",
        })?;
    actor.head = tree.put_state(state)?;
    tree.set_actor(STORAGE_POWER_ACTOR_ID, actor)
}

/// Miner `id`'s claim, `None` if it is not a miner.
pub fn claim<S: Blockstore>(tree: &StateTree<S>, id: ActorId) -> Result<Option<Claim>, StateError> {
    let state = power_state(tree)?;
    let claims: Hamt<Claim> = tree.load_hamt(&state.claims)?;
    Ok(claims.get(&tree.objects(), &id_key(id))?.cloned())
}

/// Miner `id`'s power for the election (`None` if it is not a miner), with the minimum of
/// `min_power` bytes.
pub fn miner_power<S: Blockstore>(
    tree: &StateTree<S>,
    id: ActorId,
    min_power: u64,
) -> Result<Option<MinerPower>, StateError> {
    let state = power_state(tree)?;
    let claims: Hamt<Claim> = tree.load_hamt(&state.claims)?;
    Ok(claims
        .get(&tree.objects(), &id_key(id))?
        .map(|claim| MinerPower {
            raw_power: claim.raw_power,
            total_eligible_power: state.total_eligible_power,
            eligible: claim.raw_power >= StoragePower::from_bytes(min_power),
        }))
}

/// Every miner's ID, in the claims HAMT's (deterministic) order.
pub fn miner_ids<S: Blockstore>(tree: &StateTree<S>) -> Result<Vec<ActorId>, StateError> {
    let state = power_state(tree)?;
    let claims: Hamt<Claim> = tree.load_hamt(&state.claims)?;
    let mut ids = Vec::new();
    claims.for_each(&tree.objects(), |key, _| {
        if let Ok(Address::Id(id)) = Address::from_bytes(key) {
            ids.push(id);
        }
    })?;
    Ok(ids)
}

/// Adds `add` and removes `remove` from miner `id`'s claim and the totals.
pub(crate) fn update_claim<S: Blockstore>(
    tree: &mut StateTree<S>,
    id: ActorId,
    add: StoragePower,
    remove: StoragePower,
    min_power: u64,
) -> Result<(), ApplyError> {
    if add == remove {
        return Ok(());
    }
    let mut state = power_state(tree)?;
    let mut claims: Hamt<Claim> = tree.load_hamt(&state.claims)?;
    let key = id_key(id);
    let mut claim =
        claims
            .get(&tree.objects(), &key)?
            .cloned()
            .ok_or(ApplyError::MissingActor {
                id,
                role: "claim of the miner",
            })?;
    let min = StoragePower::from_bytes(min_power);
    let before = claim.raw_power;
    let after = before
        .checked_add(add)
        .and_then(|p| p.checked_sub(remove))
        .ok_or(ApplyError::MethodPlan(
            "a miner's power would go below zero or overflow",
        ))?;
    claim.raw_power = after;
    let totals = |total: StoragePower, old: StoragePower, new: StoragePower| {
        total
            .checked_sub(old)
            .and_then(|t| t.checked_add(new))
            .ok_or(ApplyError::MethodPlan(
                "the network power total is inconsistent",
            ))
    };
    state.total_raw_power = totals(state.total_raw_power, before, after)?;
    let eligible = |p: StoragePower| if p >= min { p } else { StoragePower::ZERO };
    state.total_eligible_power = totals(
        state.total_eligible_power,
        eligible(before),
        eligible(after),
    )?;
    match (before >= min, after >= min) {
        (false, true) => {
            state.miners_above_min = state
                .miners_above_min
                .checked_add(1)
                .ok_or(ApplyError::MethodPlan("miner count overflow"))?;
        }
        (true, false) => {
            state.miners_above_min =
                state
                    .miners_above_min
                    .checked_sub(1)
                    .ok_or(ApplyError::MethodPlan(
                        "miners above the minimum below zero",
                    ))?;
        }
        _ => {}
    }
    claims.set(&tree.objects(), &key, claim)?;
    state.claims = tree.flush_hamt(&mut claims)?;
    put_power_state(tree, &state)?;
    Ok(())
}

/// Registers a new miner's (empty) claim.
fn add_claim<S: Blockstore>(
    tree: &mut StateTree<S>,
    id: ActorId,
    sector_size: SectorSize,
) -> Result<(), ApplyError> {
    let mut state = power_state(tree)?;
    let mut claims: Hamt<Claim> = tree.load_hamt(&state.claims)?;
    claims.set(
        &tree.objects(),
        &id_key(id),
        Claim {
            sector_size: sector_size.bytes(),
            raw_power: StoragePower::ZERO,
        },
    )?;
    state.claims = tree.flush_hamt(&mut claims)?;
    state.miner_count = state
        .miner_count
        .checked_add(1)
        .ok_or(ApplyError::MethodPlan("miner count overflow"))?;
    put_power_state(tree, &state)?;
    Ok(())
}

/// The account actor `address` resolves to, and its key address.
fn account_of<S: Blockstore>(
    tree: &StateTree<S>,
    address: &Address,
    role: &str,
    network: Network,
) -> Result<(ActorId, Address), CallError> {
    let not_account = || {
        refuse(
            ExitCode::ERR_ILLEGAL_ARGUMENT,
            format!(
                "the {role} {} is not an account on chain (send it some FLW first)",
                address.display(network)
            ),
        )
    };
    let id = tree.lookup_id(address)?.ok_or_else(not_account)?;
    let actor = tree
        .get_actor(id)?
        .filter(|a| a.code == ActorCode::Account)
        .ok_or_else(not_account)?;
    let state: AccountState = tree.get_state("account state", &actor.head)?;
    Ok((id, state.address))
}

/// Checks a miner's owner, worker and sector size and resolves them to a [`MinerInfo`].
pub(crate) fn miner_info<S: Blockstore>(
    tree: &StateTree<S>,
    owner: &Address,
    worker: &Address,
    sector_size: u64,
    peer_id: Vec<u8>,
    params: &NetworkParams,
) -> Result<MinerInfo, CallError> {
    let network = params.network;
    let allowed = &params.sector_sizes;
    let (owner, _) = account_of(tree, owner, "owner", network)?;
    let (worker, worker_key) = account_of(tree, worker, "worker", network)?;
    if !matches!(worker_key, Address::Bls(_)) {
        return Err(refuse(
            ExitCode::ERR_ILLEGAL_ARGUMENT,
            format!(
                "the worker's key {} is not a BLS key (the worker signs election tickets)",
                worker_key.display(network)
            ),
        ));
    }
    let size = SectorSize::try_from(sector_size)
        .ok()
        .filter(|size| allowed.contains(size))
        .ok_or_else(|| {
            refuse(
                ExitCode::ERR_ILLEGAL_ARGUMENT,
                format!(
                    "sector size {sector_size} is not one this network allows ({})",
                    allowed
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
    if peer_id.len() > MAX_PEER_ID_BYTES {
        return Err(refuse(
            ExitCode::ERR_ILLEGAL_ARGUMENT,
            format!(
                "the peer ID is {} bytes, at most {MAX_PEER_ID_BYTES}",
                peer_id.len()
            ),
        ));
    }
    Ok(MinerInfo {
        owner,
        worker,
        worker_key,
        sector_size: size.bytes(),
        peer_id: Bytes(peer_id),
    })
}

/// Creates a miner actor for `info` under a new ID and registers its claim; returns the ID.
/// `robust` is the actor address it is registered under; `epoch` fixes its deadlines.
pub(crate) fn create_miner<S: Blockstore>(
    tree: &mut StateTree<S>,
    info: MinerInfo,
    robust: &Address,
    epoch: u64,
    params: &NetworkParams,
) -> Result<ActorId, ApplyError> {
    let size = SectorSize::try_from(info.sector_size)
        .map_err(|_| ApplyError::MethodPlan("a miner info with an unchecked sector size"))?;
    let id = tree.register_new_address(robust)?;
    let state = miner::MinerState::new(tree, info, id, epoch, params)?;
    let head = tree.put_state(&state)?;
    tree.set_actor(id, ActorState::new(ActorCode::Miner, head))?;
    add_claim(tree, id, size)?;
    Ok(id)
}

/// `CreateMiner`.
pub(crate) fn invoke_create_miner<S: Blockstore>(
    tree: &mut StateTree<S>,
    ctx: &InvokeContext<'_>,
    meter: &mut GasMeter,
    params: &[u8],
) -> Result<Vec<u8>, CallError> {
    let p: CreateMinerParams = decode_params(
        "CreateMiner params",
        "[owner, worker, sector_size, peer_id]",
        params,
        MAX_CREATE_MINER_PARAMS_BYTES,
    )?;
    meter.charge(ctx.gas.create_account)?;
    meter.charge_n(ctx.gas.actor_update, 3)?;
    let info = miner_info(
        tree,
        &p.owner,
        &p.worker,
        p.sector_size,
        p.peer_id.0,
        ctx.params,
    )?;
    let (origin, nonce) = ctx.origin;
    let mut seed = origin.to_bytes();
    seed.extend_from_slice(&nonce.to_be_bytes());
    let robust = Address::new_actor(&seed);
    if let Some(existing) = tree.lookup_id(&robust)? {
        return Err(refuse(
            ExitCode::ERR_ILLEGAL_STATE,
            format!("the new miner's address is already taken by actor {existing}"),
        ));
    }
    let id = create_miner(tree, info, &robust, ctx.epoch, ctx.params)?;
    // The value the message carried moves on from the power actor to the new miner.
    crate::runtime::transfer(tree, STORAGE_POWER_ACTOR_ID, id, ctx.value)?;
    encode_return(
        "CreateMiner return",
        &CreateMinerReturn {
            id_address: Address::Id(id),
            robust_address: robust,
        },
    )
}
