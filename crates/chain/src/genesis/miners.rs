//! Genesis miners: storage miners that start with power, from sectors sealed before the chain
//! existed (Lotus's `lotus-seed genesis add-miner`).
//!
//! A sector's proofs bind it to its miner's ID (the prover ID is the ID's LEB128 bytes), so the
//! IDs are fixed before sealing: genesis miners get [`FIRST_GENESIS_MINER_ID`] (1000),
//! 1001, … in template order, as Lotus's `t01000`. The builder first creates the accounts the
//! miners' owners and workers need (zero balance, next free IDs after the allocations), then
//! moves the init actor's counter to 1000 and creates the miners, each with its sectors
//! active and no pledge ([`create_genesis_miner`]).

use std::collections::BTreeSet;

use cid::Cid;
use flowcoin_dag::store::Blockstore;
use flowcoin_state::actor::miner::{
    GenesisMiner, GenesisSector, commitment_of, create_genesis_miner, miner_state, sectors,
};
use flowcoin_state::actor::power::{self, MAX_PEER_ID_BYTES, power_state};
use flowcoin_state::actor::{ActorId, ActorState};
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::{Address, NetworkParams, SectorSize, StoragePower, TokenAmount};

use super::car::{GenesisCarError, account, invalid};
use super::{
    AccountAllocation, GenesisError, GenesisRole, GenesisTemplate, add_account, key_address,
};

/// The ID of the first genesis miner; the next ones follow in template order.
pub const FIRST_GENESIS_MINER_ID: ActorId = 1000;
/// The most miners a genesis creates. Each may add two accounts before the miners, and the
/// accounts must stay below [`FIRST_GENESIS_MINER_ID`] (154 + 2 · 256 < 1000).
pub const MAX_GENESIS_MINERS: usize = 256;
/// The most sectors a genesis miner starts with.
pub const MAX_GENESIS_SECTORS_PER_MINER: usize = 4096;

/// A miner genesis creates, with sectors sealed for its ID before the chain started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisMinerTemplate {
    /// The ID the sectors were sealed for: 1000 for the template's first miner, 1001 for the
    /// second, … ([`genesis_miner_id`]).
    pub id: ActorId,
    /// The owner's key address (an account is created with nothing if it does not exist).
    pub owner: Address,
    /// The worker's BLS key address (created like the owner's account).
    pub worker: Address,
    /// The sector size (one the network allows).
    pub sector_size: SectorSize,
    /// The miner's libp2p peer ID bytes (empty: none yet).
    pub peer_id: Vec<u8>,
    /// Its sectors, active from genesis.
    pub sectors: Vec<GenesisSectorTemplate>,
}

/// A sector sealed before genesis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisSectorTemplate {
    /// Its number (distinct within the miner).
    pub sector_number: u64,
    /// CommR as a sealed sector CID (`flowcoin_proofs::sealed_cid`).
    pub comm_r: Cid,
    /// CommD as an unsealed sector CID (`flowcoin_proofs::unsealed_cid`).
    pub comm_d: Cid,
    /// The epoch its commitment ends (above the network's minimum sector lifetime, at most
    /// its maximum).
    pub expiration: u64,
}

/// The ID genesis gives the miner at `index` (from 0) of the template.
pub fn genesis_miner_id(index: usize) -> Option<ActorId> {
    u64::try_from(index)
        .ok()
        .and_then(|i| FIRST_GENESIS_MINER_ID.checked_add(i))
}

impl GenesisMinerTemplate {
    /// The raw power the miner starts with: its sector size times its sector count.
    pub fn raw_power(&self) -> StoragePower {
        StoragePower(
            u128::from(self.sector_size.bytes()).saturating_mul(self.sectors.len() as u128),
        )
    }
}

/// The miner as `t01000` for errors.
fn name(template: &GenesisTemplate, id: ActorId) -> String {
    Address::Id(id).display(template.network).to_string()
}

/// The 32-byte CommR and CommD of `sector`, or why its CIDs are not commitments.
fn commitments(
    template: &GenesisTemplate,
    miner: &GenesisMinerTemplate,
    sector: &GenesisSectorTemplate,
) -> Result<([u8; 32], [u8; 32]), GenesisError> {
    let not =
        |field: &'static str, cid: &Cid, expected: &'static str| GenesisError::NotACommitment {
            miner: name(template, miner.id),
            sector_number: sector.sector_number,
            field,
            cid: cid.to_string(),
            expected,
        };
    let comm_r = commitment_of(&sector.comm_r, true).ok_or_else(|| {
        not(
            "comm_r",
            &sector.comm_r,
            "a sealed sector CID (fil-commitment-sealed, poseidon-bls12_381-a2-fc1: bagboea4b5abc…)",
        )
    })?;
    let comm_d = commitment_of(&sector.comm_d, false).ok_or_else(|| {
        not(
            "comm_d",
            &sector.comm_d,
            "an unsealed sector CID (fil-commitment-unsealed, sha2-256-trunc254-padded: baga6ea4seaq…)",
        )
    })?;
    Ok((comm_r, comm_d))
}

/// Checks the template's miners against `params`: IDs in sequence from 1000, key addresses,
/// a BLS worker, an allowed sector size, distinct sector numbers, commitment CIDs and
/// expirations within the sector lifetime bounds.
pub(super) fn validate_miners(
    template: &GenesisTemplate,
    params: &NetworkParams,
) -> Result<(), GenesisError> {
    if template.miners.len() > MAX_GENESIS_MINERS {
        return Err(GenesisError::TooManyMiners {
            found: template.miners.len(),
        });
    }
    for (index, miner) in template.miners.iter().enumerate() {
        let expected = genesis_miner_id(index).unwrap_or(ActorId::MAX);
        if miner.id != expected {
            return Err(GenesisError::MinerIdOutOfSequence {
                index,
                expected: name(template, expected),
                found: name(template, miner.id),
            });
        }
        key_address(template, GenesisRole::MinerOwner(miner.id), miner.owner)?;
        key_address(template, GenesisRole::MinerWorker(miner.id), miner.worker)?;
        let miner_name = || name(template, miner.id);
        if !matches!(miner.worker, Address::Bls(_)) {
            return Err(GenesisError::WorkerNotBls {
                miner: miner_name(),
                worker: miner.worker.display(template.network).to_string(),
            });
        }
        if !params.sector_sizes.contains(&miner.sector_size) {
            return Err(GenesisError::SectorSizeNotAllowed {
                miner: miner_name(),
                size: miner.sector_size,
                allowed: params
                    .sector_sizes
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        if miner.peer_id.len() > MAX_PEER_ID_BYTES {
            return Err(GenesisError::PeerIdTooLong {
                miner: miner_name(),
                bytes: miner.peer_id.len(),
            });
        }
        if miner.sectors.len() > MAX_GENESIS_SECTORS_PER_MINER {
            return Err(GenesisError::TooManySectors {
                miner: miner_name(),
                found: miner.sectors.len(),
            });
        }
        let mut numbers = BTreeSet::new();
        for sector in &miner.sectors {
            if !numbers.insert(sector.sector_number) {
                return Err(GenesisError::DuplicateSector {
                    miner: miner_name(),
                    sector_number: sector.sector_number,
                });
            }
            commitments(template, miner, sector)?;
            let (min, max) = (
                params.miner.min_sector_lifetime,
                params.miner.max_sector_lifetime,
            );
            if sector.expiration <= min || sector.expiration > max {
                return Err(GenesisError::SectorExpiration {
                    miner: miner_name(),
                    sector_number: sector.sector_number,
                    expiration: sector.expiration,
                    min,
                    max,
                });
            }
        }
    }
    // With miners, at least one must be able to win blocks, or the chain never starts.
    let min = StoragePower::from_bytes(params.min_miner_power);
    if !template.miners.is_empty() && template.miners.iter().all(|m| m.raw_power() < min) {
        return Err(GenesisError::NoEligibleMiner {
            min_power: params.min_miner_power,
        });
    }
    Ok(())
}

/// Creates the template's miners in `tree` (which must hold every other genesis actor
/// already): the missing owner and worker accounts first, then the miners from ID 1000.
/// Returns the miners' IDs in template order.
pub(super) fn add_miners<S: Blockstore>(
    tree: &mut StateTree<S>,
    template: &GenesisTemplate,
    params: &NetworkParams,
) -> Result<Vec<ActorId>, GenesisError> {
    // Without miners the init actor's counter stays where the allocations left it, so
    // genesis files made before miners existed keep their CIDs.
    if template.miners.is_empty() {
        return Ok(Vec::new());
    }
    for miner in &template.miners {
        for address in [miner.owner, miner.worker] {
            if tree.lookup_id(&address)?.is_none() {
                add_account(tree, address, TokenAmount::ZERO)?;
            }
        }
    }
    let next = tree.skip_ids_to(FIRST_GENESIS_MINER_ID)?;
    if next != FIRST_GENESIS_MINER_ID {
        return Err(GenesisError::MinerIdsTaken { next });
    }
    let mut ids = Vec::with_capacity(template.miners.len());
    for miner in &template.miners {
        let sectors = miner
            .sectors
            .iter()
            .map(|sector| {
                let (comm_r, comm_d) = commitments(template, miner, sector)?;
                Ok(GenesisSector {
                    sector_number: sector.sector_number,
                    comm_r,
                    comm_d,
                    expiration: sector.expiration,
                })
            })
            .collect::<Result<_, GenesisError>>()?;
        let genesis_miner = GenesisMiner {
            owner: miner.owner,
            worker: miner.worker,
            sector_size: miner.sector_size,
            peer_id: miner.peer_id.clone(),
            seed: miner_address_seed(miner.id),
            sectors,
        };
        let id = create_genesis_miner(tree, params, &genesis_miner).map_err(|source| {
            GenesisError::Miner {
                miner: name(template, miner.id),
                source,
            }
        })?;
        if id != miner.id {
            return Err(GenesisError::MinerIdMismatch {
                expected: name(template, miner.id),
                created: name(template, id),
            });
        }
        ids.push(id);
    }
    Ok(ids)
}

/// The seed of genesis miner `id`'s actor address (protocol 2):
/// `"flowcoin/genesis/miner/"` ‖ the ID in decimal.
pub fn miner_address_seed(id: ActorId) -> Vec<u8> {
    format!("flowcoin/genesis/miner/{id}").into_bytes()
}

/// A miner of a genesis, as [`inspect`](super::inspect) found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinerReport {
    /// Its actor ID.
    pub id: ActorId,
    /// Its balance.
    pub balance: TokenAmount,
    /// The owner's account.
    pub owner: AccountAllocation,
    /// The worker's account.
    pub worker: AccountAllocation,
    /// Bytes per sector.
    pub sector_size: u64,
    /// Its live sectors.
    pub sectors: u64,
    /// Its raw power in the power actor (checked against its sectors).
    pub raw_power: StoragePower,
}

/// The power actor's totals at genesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PowerReport {
    /// Every miner's power (checked to be the sum of the claims).
    pub total_raw_power: StoragePower,
    /// The power of the miners at or above the minimum (the election's denominator).
    pub total_eligible_power: StoragePower,
    /// Miners registered.
    pub miner_count: u64,
    /// Miners at or above the minimum power.
    pub miners_above_min: u64,
}

/// The miners of the state (in ID order) and the power totals, checked: every claim belongs to
/// a miner whose sectors make up exactly its power, and the claims add up to the total.
pub(super) fn miners_report<S: Blockstore>(
    tree: &StateTree<S>,
) -> Result<(Vec<MinerReport>, PowerReport), GenesisCarError> {
    let state = power_state(tree)?;
    let mut ids = power::miner_ids(tree)?;
    ids.sort_unstable();
    let mut miners = Vec::with_capacity(ids.len());
    let mut total = StoragePower::ZERO;
    for id in ids {
        let (actor, miner): (ActorState, _) = miner_state(tree, id)?
            .ok_or_else(|| invalid(format!("actor {id} has a power claim but is not a miner")))?;
        let claim = power::claim(tree, id)?
            .ok_or_else(|| invalid(format!("miner {id}'s power claim is missing")))?;
        let live = sectors(tree, &miner)?.len() as u128;
        let expected = StoragePower(u128::from(miner.info.sector_size).saturating_mul(live));
        if claim.raw_power != expected {
            return Err(invalid(format!(
                "miner {id} claims {} of power but its {live} sectors of {} bytes make {expected}",
                claim.raw_power, miner.info.sector_size
            )));
        }
        total = total
            .checked_add(claim.raw_power)
            .ok_or_else(|| invalid("the miners' power overflows"))?;
        miners.push(MinerReport {
            id,
            balance: actor.balance,
            owner: account(tree, miner.info.owner)?,
            worker: account(tree, miner.info.worker)?,
            sector_size: miner.info.sector_size,
            sectors: u64::try_from(live).unwrap_or(u64::MAX),
            raw_power: claim.raw_power,
        });
    }
    if total != state.total_raw_power || miners.len() as u64 != state.miner_count {
        return Err(invalid(format!(
            "the power actor counts {} miners and {} of power, but its claims are {} miners and {total}",
            state.miner_count,
            state.total_raw_power,
            miners.len()
        )));
    }
    let power = PowerReport {
        total_raw_power: state.total_raw_power,
        total_eligible_power: state.total_eligible_power,
        miner_count: state.miner_count,
        miners_above_min: state.miners_above_min,
    };
    Ok((miners, power))
}

/// The IDs the miners' report covers: the miners and their owner and worker accounts that hold
/// nothing (an owner with a balance is an allocation, reported as such).
pub(super) fn reported_ids(miners: &[MinerReport]) -> impl Iterator<Item = ActorId> + '_ {
    miners.iter().flat_map(|miner| {
        [&miner.owner, &miner.worker]
            .into_iter()
            .filter(|account| account.amount.is_zero())
            .map(|account| account.id)
            .chain([miner.id])
    })
}

#[cfg(test)]
mod tests;
