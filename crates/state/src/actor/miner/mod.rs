//! The storage miner actor: a miner's keys, its sectors from pre-commit to termination, its
//! Window PoSt deadlines, and the money it has locked.
//!
//! **Lifecycle of a sector** (methods in [`methods`], deadline processing in [`cron`]):
//!
//! 1. `PreCommitSector` records the sealed and unsealed CIDs, the seal ticket's epoch and the
//!    expiration, and locks the pre-commit deposit.
//! 2. After `pre_commit_challenge_delay` epochs the seed is drawn; `ProveCommitSector` checks
//!    the vanilla seal proof with `flowcoin-proofs` against the ticket and seed the chain's
//!    randomness gives ([`seal_ticket`], [`seal_seed`]), returns the deposit, locks the initial
//!    pledge, assigns the sector to a deadline and partition, and adds its power.
//! 3. Each proving period, in its deadline's window, `SubmitWindowedPoSt` proves each
//!    partition (10 leaves of every sector, [`window_post_randomness`]). At the end of the
//!    window, partitions left unproven have their sectors marked faulty (power removed); every
//!    faulty sector pays the fault fee; sectors faulty for longer than `fault_max_age` are
//!    terminated; sectors past their expiration expire (pledge returned).
//! 4. `DeclareFaults` and `DeclareFaultsRecovered` announce faults and recoveries before the
//!    deadline's cutoff; a recovered sector regains power when its partition is next proven.
//! 5. `TerminateSectors` ends sectors early for the termination fee.
//!
//! **Money.** The actor's balance = available + pre-commit deposits + initial pledge.
//! Penalties are burnt, paid from available balance, then from the pledge; what is left
//! becomes fee debt, which must be repaid (from available balance, automatically) before
//! the next pre-commit. The owner withdraws available balance with `WithdrawBalance`.
//!
//! **Deadlines.** Windows of `challenge_window` epochs are aligned on the epoch grid for every
//! miner (window n = epochs `[n·W, (n+1)·W)`); a miner's deadline in window n is
//! `(n + deadline_offset) mod deadlines`, the offset being its ID modulo the deadline count,
//! so miners' deadlines are staggered. Deadline processing runs at the last epoch of each
//! window ([`cron::end_of_epoch`]).
//!
//! Departures from Filecoin (recorded in docs/ARCHITECTURE.md): proofs are vanilla; sector
//! numbers strictly increase per miner (the next pre-commit must use a larger one); block
//! rewards are not vested; a fault fee is charged at every deadline end a sector is faulty,
//! including the first; one deadline holds at most [`MAX_SECTORS_PER_DEADLINE`] sectors.

use cid::Cid;
use flowcoin_crypto::randomness::{DomainSeparationTag, RANDOMNESS_LEN, RandomnessSource};
use flowcoin_dag::store::Blockstore;
use flowcoin_proofs::{
    FIL_COMMITMENT_SEALED, FIL_COMMITMENT_UNSEALED, POSEIDON_BLS12_381_A2_FC1,
    SHA2_256_TRUNC254_PADDED,
};
use flowcoin_types::message::{Bytes, to_cbor};
use flowcoin_types::{Address, NetworkParams, SectorSize, StoragePower, TokenAmount, cbor_tuple};

use super::{ActorCode, ActorId, ActorState};
use crate::apply::ApplyError;
use crate::hamt::Hamt;
use crate::runtime::draw_masked;
use crate::state_tree::{StateError, StateTree};

pub mod cron;
pub mod methods;
pub mod monies;

pub use methods::{
    DeclareFaultsParams, METHOD_DECLARE_FAULTS, METHOD_DECLARE_FAULTS_RECOVERED,
    METHOD_PRE_COMMIT_SECTOR, METHOD_PROVE_COMMIT_SECTOR, METHOD_SUBMIT_WINDOWED_POST,
    METHOD_TERMINATE_SECTORS, METHOD_WITHDRAW_BALANCE, PoStPartition, PreCommitSectorParams,
    ProveCommitSectorParams, SubmitWindowedPoStParams, TerminateSectorsParams,
    WithdrawBalanceParams,
};

/// The most live sectors one deadline holds (keeps a deadline object under 1 MiB).
pub const MAX_SECTORS_PER_DEADLINE: u64 = 32_768;

/// Who runs a miner: `[owner, worker, worker_key, sector_size, peer_id]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinerInfo {
    /// The owner's account ID: withdraws, and may do what the worker does.
    pub owner: ActorId,
    /// The worker's account ID: pre-commits, proves, declares.
    pub worker: ActorId,
    /// The worker's BLS key address (signs election tickets).
    pub worker_key: Address,
    /// Bytes per sector.
    pub sector_size: u64,
    /// The miner's libp2p peer ID.
    pub peer_id: Bytes,
}

cbor_tuple!(MinerInfo {
    owner: ActorId,
    worker: ActorId,
    worker_key: Address,
    sector_size: u64,
    peer_id: Bytes,
});

/// A miner actor's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinerState {
    /// Keys and sector size.
    pub info: MinerInfo,
    /// Added to the window number to give the miner's deadline index.
    pub deadline_offset: u64,
    /// The smallest sector number the next pre-commit may use.
    pub next_sector_number: u64,
    /// Locked for pre-committed sectors.
    pub pre_commit_deposits: TokenAmount,
    /// Locked for active sectors.
    pub initial_pledge: TokenAmount,
    /// Penalties not yet paid.
    pub fee_debt: TokenAmount,
    /// HAMT: sector number key ([`sector_key`]) → [`SectorPreCommit`].
    pub pre_commits: Cid,
    /// HAMT: sector number key → [`SectorOnChain`] (live sectors).
    pub sectors: Cid,
    /// One [`Deadline`] object per deadline.
    pub deadlines: Vec<Cid>,
}

cbor_tuple!(MinerState {
    info: MinerInfo,
    deadline_offset: u64,
    next_sector_number: u64,
    pre_commit_deposits: TokenAmount,
    initial_pledge: TokenAmount,
    fee_debt: TokenAmount,
    pre_commits: Cid,
    sectors: Cid,
    deadlines: Vec<Cid>,
});

/// A pre-committed sector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectorPreCommit {
    /// Its number.
    pub sector_number: u64,
    /// CommR as a CID.
    pub sealed_cid: Cid,
    /// CommD as a CID.
    pub unsealed_cid: Cid,
    /// The epoch whose randomness is the seal ticket.
    pub seal_rand_epoch: u64,
    /// When the sector's commitment ends.
    pub expiration: u64,
    /// When it was pre-committed.
    pub pre_commit_epoch: u64,
    /// The deposit locked for it.
    pub deposit: TokenAmount,
}

cbor_tuple!(SectorPreCommit {
    sector_number: u64,
    sealed_cid: Cid,
    unsealed_cid: Cid,
    seal_rand_epoch: u64,
    expiration: u64,
    pre_commit_epoch: u64,
    deposit: TokenAmount,
});

/// A proven sector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectorOnChain {
    /// Its number.
    pub sector_number: u64,
    /// CommR as a CID.
    pub sealed_cid: Cid,
    /// CommD as a CID.
    pub unsealed_cid: Cid,
    /// When it was proven.
    pub activation_epoch: u64,
    /// When its commitment ends.
    pub expiration: u64,
    /// The pledge locked for it.
    pub initial_pledge: TokenAmount,
    /// Its deadline.
    pub deadline: u64,
    /// Its partition in the deadline.
    pub partition: u64,
    /// Since when it is faulty, if it is.
    pub faulty_since: Option<u64>,
}

cbor_tuple!(SectorOnChain {
    sector_number: u64,
    sealed_cid: Cid,
    unsealed_cid: Cid,
    activation_epoch: u64,
    expiration: u64,
    initial_pledge: TokenAmount,
    deadline: u64,
    partition: u64,
    faulty_since: Option<u64>,
});

/// A partition: sectors proven together, with its faulty and recovering ones (sorted numbers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Partition {
    /// Every live sector.
    pub sectors: Vec<u64>,
    /// Faulty ones.
    pub faults: Vec<u64>,
    /// Faulty ones declared recovered, to be proven.
    pub recoveries: Vec<u64>,
}

cbor_tuple!(Partition {
    sectors: Vec<u64>,
    faults: Vec<u64>,
    recoveries: Vec<u64>,
});

impl Partition {
    /// Sectors that count for power: live and not faulty.
    pub fn active(&self) -> Vec<u64> {
        self.sectors
            .iter()
            .copied()
            .filter(|s| self.faults.binary_search(s).is_err())
            .collect()
    }
}

/// A deadline: its partitions and which were proven in the current window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deadline {
    /// The partitions.
    pub partitions: Vec<Partition>,
    /// Indices of the partitions proven in this deadline's current window.
    pub proven: Vec<u64>,
}

cbor_tuple!(Deadline {
    partitions: Vec<Partition>,
    proven: Vec<u64>,
});

impl Deadline {
    /// Live sectors in the deadline.
    pub fn live_sectors(&self) -> u64 {
        self.partitions.iter().map(|p| p.sectors.len() as u64).sum()
    }
}

/// Where a deadline is in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineInfo {
    /// The deadline's index.
    pub index: u64,
    /// The first epoch of its window.
    pub open: u64,
    /// The first epoch after its window.
    pub close: u64,
    /// The epoch whose randomness challenges its proofs (`open − wpost_challenge_lookback`).
    pub challenge_epoch: u64,
    /// The last epoch at which faults or recoveries for it may be declared is before this
    /// (`open − fault_declaration_cutoff`).
    pub fault_cutoff: u64,
}

/// Inserts `value` into the sorted `list` (if absent).
pub(crate) fn insert_sorted(list: &mut Vec<u64>, value: u64) {
    if let Err(at) = list.binary_search(&value) {
        list.insert(at, value);
    }
}

/// Removes `value` from the sorted `list`; whether it was there.
pub(crate) fn remove_sorted(list: &mut Vec<u64>, value: u64) -> bool {
    match list.binary_search(&value) {
        Ok(at) => {
            list.remove(at);
            true
        }
        Err(_) => false,
    }
}

/// The key of sector `number` in the miner's HAMTs: the number as an unsigned LEB128 varint
/// (Filecoin's `u64_key`).
pub fn sector_key(number: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(10);
    let mut n = number;
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// The prover ID of miner `id` in the proofs: its ID address payload (the LEB128 varint of
/// the ID) zero-padded to 32 bytes, as filecoin-ffi's `to_prover_id`.
pub fn prover_id(id: ActorId) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (slot, byte) in out.iter_mut().zip(sector_key(id)) {
        *slot = byte;
    }
    out
}

/// The entropy randomness is drawn with for miner `id`: the DAG-CBOR of its ID address.
pub fn miner_entropy(id: ActorId) -> Vec<u8> {
    to_cbor("address", &Address::Id(id)).unwrap_or_default()
}

/// The seal ticket of a sector of miner `id` pre-committed with `seal_rand_epoch`.
pub fn seal_ticket(
    source: &dyn RandomnessSource,
    id: ActorId,
    seal_rand_epoch: u64,
) -> Result<[u8; RANDOMNESS_LEN], ApplyError> {
    draw_masked(
        source,
        DomainSeparationTag::SealRandomness,
        seal_rand_epoch,
        &miner_entropy(id),
    )
}

/// The epoch whose randomness seeds the seal proof of a sector pre-committed at
/// `pre_commit_epoch`.
pub fn seed_epoch(params: &NetworkParams, pre_commit_epoch: u64) -> u64 {
    pre_commit_epoch.saturating_add(params.pre_commit_challenge_delay)
}

/// The interactive seal seed for a sector of miner `id` pre-committed at `pre_commit_epoch`.
pub fn seal_seed(
    source: &dyn RandomnessSource,
    params: &NetworkParams,
    id: ActorId,
    pre_commit_epoch: u64,
) -> Result<[u8; RANDOMNESS_LEN], ApplyError> {
    draw_masked(
        source,
        DomainSeparationTag::InteractiveSealChallengeSeed,
        seed_epoch(params, pre_commit_epoch),
        &miner_entropy(id),
    )
}

/// The Window PoSt challenge randomness of miner `id` for the deadline window `info`.
pub fn window_post_randomness(
    source: &dyn RandomnessSource,
    id: ActorId,
    info: &DeadlineInfo,
) -> Result<[u8; RANDOMNESS_LEN], ApplyError> {
    draw_masked(
        source,
        DomainSeparationTag::WindowedPoStChallengeSeed,
        info.challenge_epoch,
        &miner_entropy(id),
    )
}

/// The 32-byte commitment in a sealed (`true`) or unsealed sector CID, if it is one.
pub fn commitment_of(cid: &Cid, sealed: bool) -> Option<[u8; 32]> {
    let (codec, hash) = if sealed {
        (FIL_COMMITMENT_SEALED, POSEIDON_BLS12_381_A2_FC1)
    } else {
        (FIL_COMMITMENT_UNSEALED, SHA2_256_TRUNC254_PADDED)
    };
    if cid.version() != cid::Version::V1 || cid.codec() != codec || cid.hash().code() != hash {
        return None;
    }
    cid.hash().digest().try_into().ok()
}

impl MinerState {
    /// A new miner with no sectors, created at `epoch` under `id`.
    pub(crate) fn new<S: Blockstore>(
        tree: &mut StateTree<S>,
        info: MinerInfo,
        id: ActorId,
        _epoch: u64,
        params: &NetworkParams,
    ) -> Result<Self, StateError> {
        let empty_pre: Cid = tree.flush_hamt(&mut Hamt::<SectorPreCommit>::new())?;
        let empty_sectors: Cid = tree.flush_hamt(&mut Hamt::<SectorOnChain>::new())?;
        let empty_deadline = tree.put_state(&Deadline::default())?;
        let count = usize::try_from(params.deadlines).unwrap_or(0);
        Ok(Self {
            info,
            deadline_offset: id.checked_rem(params.deadlines).unwrap_or(0),
            next_sector_number: 0,
            pre_commit_deposits: TokenAmount::ZERO,
            initial_pledge: TokenAmount::ZERO,
            fee_debt: TokenAmount::ZERO,
            pre_commits: empty_pre,
            sectors: empty_sectors,
            deadlines: vec![empty_deadline; count],
        })
    }

    /// The sector size.
    pub fn sector_size(&self) -> Option<SectorSize> {
        SectorSize::try_from(self.info.sector_size).ok()
    }

    /// The deadline whose window contains `epoch`.
    pub fn deadline_at(&self, params: &NetworkParams, epoch: u64) -> DeadlineInfo {
        let window = params.challenge_window().max(1);
        let n = epoch.checked_div(window).unwrap_or(0);
        let index = n
            .wrapping_add(self.deadline_offset)
            .checked_rem(params.deadlines)
            .unwrap_or(0);
        self.info_for(params, index, n.saturating_mul(window))
    }

    /// Deadline `index`'s next window opening after `epoch` (strictly later when `index` is
    /// the deadline open at `epoch`).
    pub fn next_deadline(&self, params: &NetworkParams, index: u64, epoch: u64) -> DeadlineInfo {
        let window = params.challenge_window().max(1);
        let current = self.deadline_at(params, epoch);
        let d = params.deadlines.max(1);
        let mut delta = index
            .wrapping_add(d)
            .wrapping_sub(current.index)
            .checked_rem(d)
            .unwrap_or(0);
        if delta == 0 {
            delta = d;
        }
        let open = current.open.saturating_add(delta.saturating_mul(window));
        self.info_for(params, index, open)
    }

    fn info_for(&self, params: &NetworkParams, index: u64, open: u64) -> DeadlineInfo {
        DeadlineInfo {
            index,
            open,
            close: open.saturating_add(params.challenge_window()),
            challenge_epoch: open.saturating_sub(params.wpost_challenge_lookback),
            fault_cutoff: open.saturating_sub(params.miner.fault_declaration_cutoff),
        }
    }

    /// Stores deadline `index` and points the state at it.
    pub(crate) fn put_deadline<S: Blockstore>(
        &mut self,
        tree: &mut StateTree<S>,
        index: u64,
        deadline: &Deadline,
    ) -> Result<(), ApplyError> {
        let cid = tree.put_state(deadline)?;
        let slot = usize::try_from(index)
            .ok()
            .and_then(|i| self.deadlines.get_mut(i))
            .ok_or(ApplyError::MethodPlan("deadline index out of range"))?;
        *slot = cid;
        Ok(())
    }

    /// Balance not locked: `balance − deposits − pledge` (zero if the locks exceed it).
    pub fn available_balance(&self, balance: TokenAmount) -> TokenAmount {
        balance
            .saturating_sub(self.pre_commit_deposits)
            .saturating_sub(self.initial_pledge)
    }
}

/// Reads miner `id`'s actor and state (`None` if it is not a miner).
pub fn miner_state<S: Blockstore>(
    tree: &StateTree<S>,
    id: ActorId,
) -> Result<Option<(ActorState, MinerState)>, StateError> {
    let Some(actor) = tree.get_actor(id)?.filter(|a| a.code == ActorCode::Miner) else {
        return Ok(None);
    };
    let state = tree.get_state("miner state", &actor.head)?;
    Ok(Some((actor, state)))
}

/// Miner `id`'s live sectors, in sector number order.
pub fn sectors<S: Blockstore>(
    tree: &StateTree<S>,
    state: &MinerState,
) -> Result<Vec<SectorOnChain>, StateError> {
    let hamt: Hamt<SectorOnChain> = tree.load_hamt(&state.sectors)?;
    let mut out = Vec::new();
    hamt.for_each(&tree.objects(), |_, sector| out.push(sector.clone()))?;
    out.sort_by_key(|s| s.sector_number);
    Ok(out)
}

/// The sectors Winning PoSt may challenge: live and not faulty, in sector number order, as
/// the proofs' public inputs (number and CommR).
pub fn provable_sectors<S: Blockstore>(
    tree: &StateTree<S>,
    state: &MinerState,
) -> Result<Vec<flowcoin_proofs::sdr::post::PublicSector>, StateError> {
    Ok(sectors(tree, state)?
        .into_iter()
        .filter(|s| s.faulty_since.is_none())
        .filter_map(|s| {
            commitment_of(&s.sealed_cid, true).map(|comm_r| {
                flowcoin_proofs::sdr::post::PublicSector {
                    sector_number: s.sector_number,
                    comm_r,
                }
            })
        })
        .collect())
}

/// Miner `id`'s pre-committed sectors, in sector number order.
pub fn pre_commits<S: Blockstore>(
    tree: &StateTree<S>,
    state: &MinerState,
) -> Result<Vec<SectorPreCommit>, StateError> {
    let hamt: Hamt<SectorPreCommit> = tree.load_hamt(&state.pre_commits)?;
    let mut out = Vec::new();
    hamt.for_each(&tree.objects(), |_, p| out.push(p.clone()))?;
    out.sort_by_key(|s| s.sector_number);
    Ok(out)
}

/// Reads deadline `index` of a miner.
pub fn deadline<S: Blockstore>(
    tree: &StateTree<S>,
    state: &MinerState,
    index: u64,
) -> Result<Deadline, StateError> {
    let cid = usize::try_from(index)
        .ok()
        .and_then(|i| state.deadlines.get(i))
        .ok_or(StateError::MissingActor {
            id: index,
            what: "deadline of the miner",
        })?;
    tree.get_state("deadline", cid)
}

/// A sector activated at genesis (pre-sealed, as Lotus genesis miners have).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisSector {
    /// Its number.
    pub sector_number: u64,
    /// CommR.
    pub comm_r: [u8; 32],
    /// CommD.
    pub comm_d: [u8; 32],
    /// When its commitment ends.
    pub expiration: u64,
}

/// A miner genesis creates, with pre-sealed sectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisMiner {
    /// The owner (an existing account).
    pub owner: Address,
    /// The worker (an existing account with a BLS key).
    pub worker: Address,
    /// The sector size.
    pub sector_size: SectorSize,
    /// The libp2p peer ID.
    pub peer_id: Vec<u8>,
    /// Seed of the miner's actor address.
    pub seed: Vec<u8>,
    /// Its pre-sealed sectors.
    pub sectors: Vec<GenesisSector>,
}

/// Creates a genesis miner with its sectors already active (no deposit, no pledge: nobody
/// has funds committed at genesis); returns its ID.
pub fn create_genesis_miner<S: Blockstore>(
    tree: &mut StateTree<S>,
    params: &NetworkParams,
    miner: &GenesisMiner,
) -> Result<ActorId, GenesisMinerError> {
    let to_genesis = |e: crate::runtime::CallError| match e {
        crate::runtime::CallError::Refused(m) => GenesisMinerError::Invalid(m.reason),
        crate::runtime::CallError::Exit(code) => GenesisMinerError::Invalid(code.to_string()),
        crate::runtime::CallError::Node(e) => GenesisMinerError::Apply(e),
    };
    let info = super::power::miner_info(
        tree,
        &miner.owner,
        &miner.worker,
        miner.sector_size.bytes(),
        miner.peer_id.clone(),
        params,
    )
    .map_err(to_genesis)?;
    let robust = Address::new_actor(&miner.seed);
    if tree.lookup_id(&robust)?.is_some() {
        return Err(GenesisMinerError::Invalid(
            "two genesis miners have the same address seed".into(),
        ));
    }
    let id = super::power::create_miner(tree, info, &robust, 0, params)?;
    for sector in &miner.sectors {
        if sector.expiration <= params.miner.min_sector_lifetime {
            return Err(GenesisMinerError::Invalid(format!(
                "sector {} expires at epoch {}, before the minimum lifetime of {} epochs",
                sector.sector_number, sector.expiration, params.miner.min_sector_lifetime
            )));
        }
        let pre_commit = SectorPreCommit {
            sector_number: sector.sector_number,
            sealed_cid: flowcoin_proofs::sealed_cid(&sector.comm_r),
            unsealed_cid: flowcoin_proofs::unsealed_cid(&sector.comm_d),
            seal_rand_epoch: 0,
            expiration: sector.expiration,
            pre_commit_epoch: 0,
            deposit: TokenAmount::ZERO,
        };
        methods::activate_sector(tree, params, id, 0, &pre_commit, TokenAmount::ZERO)
            .map_err(to_genesis)?;
    }
    Ok(id)
}

/// Why a genesis miner could not be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenesisMinerError {
    /// The miner or a sector is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The state failed.
    #[error(transparent)]
    Apply(#[from] ApplyError),
}

impl From<StateError> for GenesisMinerError {
    fn from(e: StateError) -> Self {
        Self::Apply(ApplyError::State(e))
    }
}

/// The raw power of `count` sectors of `size`.
pub(crate) fn power_of(size: u64, count: usize) -> StoragePower {
    StoragePower(u128::from(size).saturating_mul(count as u128))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sector_keys_and_prover_ids_are_leb128() {
        assert_eq!(sector_key(0), [0]);
        assert_eq!(sector_key(1000), [0xe8, 0x07]);
        let mut expected = [0u8; 32];
        expected[..2].copy_from_slice(&[0xe8, 0x07]);
        assert_eq!(prover_id(1000), expected);
    }

    #[test]
    fn sorted_lists_stay_sorted() {
        let mut v = vec![];
        for x in [5, 1, 3, 3] {
            insert_sorted(&mut v, x);
        }
        assert_eq!(v, [1, 3, 5]);
        assert!(remove_sorted(&mut v, 3));
        assert!(!remove_sorted(&mut v, 3));
        assert_eq!(v, [1, 5]);
    }

    #[test]
    fn commitments_are_read_back_from_their_cids() {
        let comm = [7u8; 32];
        let sealed = flowcoin_proofs::sealed_cid(&comm);
        assert_eq!(commitment_of(&sealed, true), Some(comm));
        assert_eq!(commitment_of(&sealed, false), None);
        let unsealed = flowcoin_proofs::unsealed_cid(&comm);
        assert_eq!(commitment_of(&unsealed, false), Some(comm));
    }
}
