//! The devnet's genesis: the funded keys in the first node's keystore, each miner's keys in
//! the keystore of the node that mines for it, each miner's committed-capacity sectors sealed
//! straight into that node's sector store, the template, and the CAR.
//!
//! This is what `flowcoin genesis template`, `proofs seal --miner`, `genesis add-miner` and
//! `genesis new --template` do by hand, without the intermediate sector directories: the
//! sectors are sealed here, so their seal proofs need no checking.
//!
//! Miner `t01000` is owned by the premine key, which also pays for its messages, as on a
//! one-node devnet. Every other miner `t0100i` is owned by devnet super-node key `i - 1`
//! (derived from a public seed, 930,000 FLW at genesis), stored as [`OWNER_KEY`] in its
//! node's keystore, so that each mining node pays gas from an account of its own: two nodes
//! sending from one account would pick the same nonces.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use cid::Cid;
use flowcoin_chain::genesis::{
    self, GenesisMinerTemplate, GenesisTemplate, build_genesis, devnet_super_node_key,
    genesis_miner_id, write_car, write_template,
};
use flowcoin_crypto::{KeyType, Keystore};
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_miner::genesis::{PreSeal, pre_seal};
use flowcoin_state::actor::ActorId;
use flowcoin_types::economics::GenesisAllocation;
use flowcoin_types::{Address, Network, NetworkParams, SectorSize, TokenAmount};

/// The keystore names `flowcoin genesis new` gives the premine and team keys.
pub(super) const PREMINE_KEY: &str = "genesis-premine";
/// See [`PREMINE_KEY`].
pub(super) const TEAM_KEY: &str = "genesis-team";
/// The worker key's name: the daemon's default `--worker-key`.
pub(super) const WORKER_KEY: &str = "worker";
/// The owner key's name in the keystore of a node that mines for a miner other than the
/// first (whose owner is the premine key).
pub(super) const OWNER_KEY: &str = "owner";
/// The most genesis miners a devnet can fund: the premine key and the 50 super-node keys.
pub(super) const MAX_FUNDED_MINERS: usize = 1 + GenesisAllocation::SUPER_NODE_COUNT as usize;

/// The SDR parent cache in a repository (`flowcoin_node::miner::sector_store`'s layout). It
/// is made once, in the first miner's repository, and hard-linked into the others'.
const PARENT_CACHE: [&str; 2] = ["cache", "parents"];

/// What to build.
pub(super) struct GenesisPlan<'a> {
    /// The repositories of the nodes that mine, miner `t0100i` in `miner_repos[i]`; the
    /// first also gets the premine and team keys. At least one.
    pub miner_repos: &'a [PathBuf],
    /// Where to write the template (for reference: the CAR is what nodes read).
    pub template: &'a Path,
    /// Where to write the genesis CAR.
    pub car: &'a Path,
    /// The miners' sector size.
    pub sector_size: SectorSize,
    /// How many sectors each miner starts with.
    pub sectors: u64,
    /// The network's parameters (the devnet preset, with the chosen epoch length).
    pub params: &'a NetworkParams,
}

/// A genesis miner that was built.
#[derive(Debug)]
pub(super) struct BuiltMiner {
    /// Its ID.
    pub id: ActorId,
    /// Its owner's address.
    pub owner: Address,
    /// The owner key's name in its node's keystore (it also pays for the miner's messages).
    pub owner_key: &'static str,
    /// Its worker's address.
    pub worker: Address,
    /// Its sector numbers.
    pub sectors: Vec<u64>,
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
    /// The miners, in ID order.
    pub miners: Vec<BuiltMiner>,
}

/// The keystore in `repo`.
fn keystore(repo: &Path) -> anyhow::Result<Keystore> {
    let dir = repo.join("keystore");
    Keystore::open(&dir).with_context(|| format!("opening {}", dir.display()))
}

/// Generates a BLS key named `name` in `keystore`, without a passphrase: the daemon loads
/// devnet keys unattended.
fn new_key(keystore: &Keystore, name: &str) -> anyhow::Result<Address> {
    let info = keystore
        .generate(KeyType::Bls, Some(name), None)
        .with_context(|| format!("generating the key {name} in {}", keystore.dir().display()))?;
    Ok(info.public_key.address())
}

/// Builds the devnet's genesis as `plan` says; progress goes to stderr.
pub(super) fn build(plan: &GenesisPlan<'_>) -> anyhow::Result<DevnetGenesis> {
    let network = Network::Devnet;
    let first_repo = plan
        .miner_repos
        .first()
        .context("a devnet genesis needs at least one miner")?;
    anyhow::ensure!(
        plan.miner_repos.len() <= MAX_FUNDED_MINERS,
        "a devnet genesis funds at most {MAX_FUNDED_MINERS} miners"
    );
    let funded = keystore(first_repo)?;
    let premine = new_key(&funded, PREMINE_KEY)?;
    let team = new_key(&funded, TEAM_KEY)?;

    let mut miners = Vec::with_capacity(plan.miner_repos.len());
    let mut templates = Vec::with_capacity(plan.miner_repos.len());
    for (index, repo) in plan.miner_repos.iter().enumerate() {
        let id = genesis_miner_id(index).context("too many genesis miners")?;
        let keys = keystore(repo)?;
        let worker = new_key(&keys, WORKER_KEY)?;
        let (owner, owner_key) = match index.checked_sub(1) {
            None => (premine, PREMINE_KEY),
            Some(super_node) => (import_super_node_key(&keys, super_node)?, OWNER_KEY),
        };
        if index > 0 {
            share_parent_cache(first_repo, repo);
        }
        let template = seal_miner(
            repo,
            &PreSeal {
                miner: id,
                owner,
                worker,
                sector_size: plan.sector_size,
                sectors: plan.sectors,
                expiration: plan.params.miner.max_sector_lifetime,
            },
        )?;
        miners.push(BuiltMiner {
            id,
            owner,
            owner_key,
            worker,
            sectors: template.sectors.iter().map(|s| s.sector_number).collect(),
        });
        templates.push(template);
    }
    let template = GenesisTemplate {
        network,
        // Now, after sealing: the chain's first epochs start when the nodes do.
        timestamp: unix_now()?,
        premine,
        team,
        super_nodes: genesis::devnet_super_node_addresses()?,
        miners: templates,
    };
    write_template(plan.template, &template)
        .with_context(|| format!("writing the template {}", plan.template.display()))?;
    let mut blocks = MemoryBlockstore::new();
    let built = build_genesis(&template, plan.params, &mut blocks).context("building genesis")?;
    write_car(&built, &blocks, plan.car)
        .with_context(|| format!("writing the genesis to {}", plan.car.display()))?;
    // Report what was written, read back from the file.
    let report = genesis::inspect(plan.car)
        .with_context(|| format!("checking the written genesis {}", plan.car.display()))?;
    Ok(DevnetGenesis {
        genesis_cid: report.genesis_cid,
        premine,
        premine_amount: report.premine.amount,
        miners,
    })
}

/// Stores devnet super-node key `index` in `keystore` as [`OWNER_KEY`]; its address.
fn import_super_node_key(keystore: &Keystore, index: usize) -> anyhow::Result<Address> {
    let index = u64::try_from(index).context("super-node index out of range")?;
    let secret = devnet_super_node_key(index)?;
    let info = keystore
        .import(&secret, Some(OWNER_KEY), None)
        .with_context(|| {
            format!(
                "storing the key {OWNER_KEY} in {}",
                keystore.dir().display()
            )
        })?;
    Ok(info.public_key.address())
}

/// Seals `plan`'s sectors into the sector store of `repo`, telling each on stderr.
fn seal_miner(repo: &Path, plan: &PreSeal) -> anyhow::Result<GenesisMinerTemplate> {
    let name = Address::Id(plan.miner).display(Network::Devnet).to_string();
    let store = flowcoin_node::miner::sector_store(repo);
    pre_seal(&store, plan, |number| {
        eprintln!(
            "sealing sector {number} of {name} ({}, committed capacity)",
            plan.sector_size
        );
    })
    .with_context(|| format!("sealing the genesis sectors of {name}"))
}

/// Hard-links the SDR parent cache files of `from` into `to`, so that sealing there (now,
/// and later by the daemon) does not generate them again: a minute of both cores for
/// 512 MiB sectors. The files are only ever replaced by rename, never rewritten in place,
/// so the links cannot see each other's changes. Best effort: where linking fails, the
/// cache is generated as usual.
fn share_parent_cache(from: &Path, to: &Path) {
    let [cache, parents] = PARENT_CACHE;
    let source = from.join(cache).join(parents);
    let target = to.join(cache).join(parents);
    let Ok(entries) = std::fs::read_dir(&source) else {
        return;
    };
    if std::fs::create_dir_all(&target).is_err() {
        return;
    }
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::hard_link(entry.path(), target.join(entry.file_name()));
        }
    }
}

/// Seconds since the Unix epoch.
pub(super) fn unix_now() -> anyhow::Result<u64> {
    Ok(SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the system clock is before 1970")?
        .as_secs())
}
