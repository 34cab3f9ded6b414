//! The devnet's genesis: keys in the first node's keystore, the miner's committed-capacity
//! sectors sealed straight into that node's sector store, the template, and the CAR.
//!
//! This is what `flowcoin genesis template`, `proofs seal --miner`, `genesis add-miner` and
//! `genesis new --template` do by hand, without the intermediate sector directories: the
//! sectors are sealed here, so their seal proofs need no checking.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use cid::Cid;
use flowcoin_chain::genesis::{
    self, FIRST_GENESIS_MINER_ID, GenesisTemplate, build_genesis, write_car, write_template,
};
use flowcoin_crypto::{KeyType, Keystore};
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_miner::genesis::{PreSeal, pre_seal};
use flowcoin_types::{Address, Network, NetworkParams, SectorSize, TokenAmount};

/// The keystore names `flowcoin genesis new` gives the premine and team keys.
pub(super) const PREMINE_KEY: &str = "genesis-premine";
/// See [`PREMINE_KEY`].
pub(super) const TEAM_KEY: &str = "genesis-team";
/// The worker key's name: the daemon's default `--worker-key`.
pub(super) const WORKER_KEY: &str = "worker";

/// What to build.
pub(super) struct GenesisPlan<'a> {
    /// The repository of the node that mines (its keystore and sector store).
    pub repo: &'a Path,
    /// Where to write the template (for reference: the CAR is what nodes read).
    pub template: &'a Path,
    /// Where to write the genesis CAR.
    pub car: &'a Path,
    /// The miner's sector size.
    pub sector_size: SectorSize,
    /// How many sectors it starts with.
    pub sectors: u64,
}

/// What was built.
#[derive(Debug)]
pub(super) struct DevnetGenesis {
    /// The genesis block's CID.
    pub genesis_cid: Cid,
    /// The premine key's address.
    pub premine: Address,
    /// What it holds.
    pub premine_amount: TokenAmount,
    /// Its worker's address.
    pub worker: Address,
    /// Its sector numbers.
    pub sectors: Vec<u64>,
}

/// Builds the devnet's genesis as `plan` says; progress goes to stderr.
pub(super) fn build(plan: &GenesisPlan<'_>) -> anyhow::Result<DevnetGenesis> {
    let network = Network::Devnet;
    let params = NetworkParams::devnet();
    let name = |address: Address| address.display(network).to_string();
    let keystore_dir = plan.repo.join("keystore");
    let keystore = Keystore::open(&keystore_dir)
        .with_context(|| format!("opening {}", keystore_dir.display()))?;
    // Devnet keys are stored without a passphrase: the daemon loads them unattended.
    let new_key = |key_name: &str| -> anyhow::Result<Address> {
        let info = keystore
            .generate(KeyType::Bls, Some(key_name), None)
            .with_context(|| format!("generating the key {key_name}"))?;
        Ok(info.public_key.address())
    };
    let premine = new_key(PREMINE_KEY)?;
    let team = new_key(TEAM_KEY)?;
    let worker = new_key(WORKER_KEY)?;

    let miner = FIRST_GENESIS_MINER_ID;
    let store = flowcoin_node::miner::sector_store(plan.repo);
    let pre_sealed = pre_seal(
        &store,
        &PreSeal {
            miner,
            owner: premine,
            worker,
            sector_size: plan.sector_size,
            sectors: plan.sectors,
            expiration: params.miner.max_sector_lifetime,
        },
        |number| {
            eprintln!(
                "sealing sector {number} of {} ({}, committed capacity)",
                name(Address::Id(miner)),
                plan.sector_size
            );
        },
    )
    .context("sealing the genesis sectors")?;
    let numbers = pre_sealed.sectors.iter().map(|s| s.sector_number).collect();
    let template = GenesisTemplate {
        network,
        // Now, after sealing: the chain's first epochs start when the node does.
        timestamp: unix_now()?,
        premine,
        team,
        super_nodes: genesis::devnet_super_node_addresses()?,
        miners: vec![pre_sealed],
    };
    write_template(plan.template, &template)
        .with_context(|| format!("writing the template {}", plan.template.display()))?;
    let mut blocks = MemoryBlockstore::new();
    let built = build_genesis(&template, &params, &mut blocks).context("building genesis")?;
    write_car(&built, &blocks, plan.car)
        .with_context(|| format!("writing the genesis to {}", plan.car.display()))?;
    // Report what was written, read back from the file.
    let report = genesis::inspect(plan.car)
        .with_context(|| format!("checking the written genesis {}", plan.car.display()))?;
    Ok(DevnetGenesis {
        genesis_cid: report.genesis_cid,
        premine,
        premine_amount: report.premine.amount,
        worker,
        sectors: numbers,
    })
}

/// Seconds since the Unix epoch.
pub(super) fn unix_now() -> anyhow::Result<u64> {
    Ok(SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs())
}
