//! Pre-sealing a genesis miner: committed-capacity sectors sealed into the sector store and
//! described for the genesis template (what `lotus-seed pre-seal` does).

use flowcoin_chain::genesis::{GenesisMinerTemplate, GenesisSectorTemplate};
use flowcoin_proofs::{sealed_cid, unsealed_cid};
use flowcoin_state::actor::ActorId;
use flowcoin_types::{Address, SectorSize};

use crate::sectors::{SectorError, SectorStore};

/// The seal ticket of pre-sealed sectors. Genesis sectors are not checked against chain
/// randomness, and each sector's number already makes its replica distinct.
pub const GENESIS_TICKET: [u8; 32] = *b"flowcoin devnet genesis sectors.";

/// What to pre-seal for one genesis miner.
#[derive(Debug, Clone)]
pub struct PreSeal {
    /// The miner's ID (1000, 1001, … in template order).
    pub miner: ActorId,
    /// Its owner's key address.
    pub owner: Address,
    /// Its worker's BLS key address.
    pub worker: Address,
    /// The sector size.
    pub sector_size: SectorSize,
    /// How many sectors (numbered from 0).
    pub sectors: u64,
    /// When the sectors' commitments end.
    pub expiration: u64,
}

/// Seals `plan.sectors` committed-capacity sectors for `plan.miner` into `store` (calling
/// `progress` before each) and returns the miner's template entry.
pub fn pre_seal(
    store: &SectorStore,
    plan: &PreSeal,
    mut progress: impl FnMut(u64),
) -> Result<GenesisMinerTemplate, SectorError> {
    let mut sectors = Vec::new();
    for number in 0..plan.sectors {
        progress(number);
        let meta = store.seal_cc(plan.miner, number, plan.sector_size, GENESIS_TICKET)?;
        let invalid = |reason: String| SectorError::Meta {
            path: store.sector_dir(plan.miner, number).join("sector.json"),
            reason,
        };
        sectors.push(GenesisSectorTemplate {
            sector_number: number,
            comm_r: sealed_cid(&meta.comm_r().map_err(invalid)?),
            comm_d: unsealed_cid(&meta.comm_d().map_err(invalid)?),
            expiration: plan.expiration,
        });
    }
    Ok(GenesisMinerTemplate {
        id: plan.miner,
        owner: plan.owner,
        worker: plan.worker,
        sector_size: plan.sector_size,
        peer_id: Vec::new(),
        sectors,
    })
}
