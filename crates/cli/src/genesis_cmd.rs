//! `flowcoin genesis`: write a template, add miners with pre-sealed sectors to it, build a
//! genesis file and inspect one (docs/GENESIS.md).

mod add_miner;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use clap::Subcommand;
use flowcoin_chain::genesis::{
    self, AccountAllocation, GenesisReport, GenesisTemplate, build_genesis, read_template,
    write_car, write_template,
};
use flowcoin_crypto::{KeyName, KeyType, Keystore};
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_types::{Address, Network, NetworkParams, TokenAmount};
use serde_json::json;

use crate::key_cmd::NetworkArg;
use crate::repo::Repo;
use crate::util::print_json;

/// The keystore names of the keys `genesis new` generates on the devnet.
const PREMINE_KEY: &str = "genesis-premine";
/// See [`PREMINE_KEY`].
const TEAM_KEY: &str = "genesis-team";

/// Genesis commands.
#[derive(Debug, Subcommand)]
pub enum GenesisCommand {
    /// Build the genesis state and block and write them as a CAR.
    ///
    /// With --template, the allocations go to the template's addresses. Without one (devnet
    /// only), the premine and team keys are generated into the node's keystore as
    /// genesis-premine and genesis-team, and the 50 super-node keys are derived from the
    /// public devnet seed.
    New {
        /// The network.
        #[arg(long, value_enum)]
        network: NetworkArg,
        /// Where to write the genesis CAR.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        /// A JSON template: {"network", "timestamp", "premine", "team", "super_nodes": [50],
        /// "miners": [...]}, addresses in text form (`genesis template` writes one).
        #[arg(long, value_name = "FILE.json")]
        template: Option<PathBuf>,
        /// Genesis time in Unix seconds when there is no template (default: now).
        #[arg(long)]
        timestamp: Option<u64>,
        /// Print JSON (amounts as attoFLW decimal strings).
        #[arg(long)]
        json: bool,
    },
    /// Write a devnet template to add miners to (then build it with `new --template`).
    ///
    /// Without --premine and --team, their keys are generated into the node's keystore as
    /// genesis-premine and genesis-team (as `new` does); the 50 super nodes are the devnet's
    /// derived keys.
    Template {
        /// The network (devnet: mainnet templates list real super-node keys and are written
        /// by hand, see docs/GENESIS.md).
        #[arg(long, value_enum)]
        network: NetworkArg,
        /// Where to write the template (must not exist).
        #[arg(short = 'o', long = "output", value_name = "FILE.json")]
        output: PathBuf,
        /// The premine's key address (default: a new key genesis-premine).
        #[arg(long, requires = "team", value_name = "ADDRESS")]
        premine: Option<String>,
        /// The team's key address (default: a new key genesis-team).
        #[arg(long, requires = "premine", value_name = "ADDRESS")]
        team: Option<String>,
        /// Genesis time in Unix seconds (default: now).
        #[arg(long)]
        timestamp: Option<u64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add a miner with pre-sealed sectors to a template (as Lotus's `lotus-seed genesis
    /// add-miner`).
    ///
    /// Genesis miners get IDs 1000, 1001, … in template order, so seal the sectors for the
    /// next one (`flowcoin proofs seal --miner t01000 …`). Every seal proof is verified.
    AddMiner {
        /// The template to add the miner to (rewritten atomically).
        #[arg(long, value_name = "FILE.json")]
        template: PathBuf,
        /// The owner's key address (an account with nothing is created if it has none).
        #[arg(long, value_name = "ADDRESS")]
        owner: String,
        /// The worker's BLS key address (signs election tickets).
        #[arg(long, value_name = "ADDRESS")]
        worker: String,
        /// A sealed sector directory (`proofs seal --out`); repeat for each sector.
        #[arg(long = "sector", value_name = "DIR", required = true)]
        sectors: Vec<PathBuf>,
        /// The epoch the sectors expire at (default: the network's maximum sector lifetime).
        #[arg(long, value_name = "EPOCH")]
        expiration: Option<u64>,
        /// The miner's libp2p peer ID (base58btc, such as 12D3KooW…).
        #[arg(long)]
        peer_id: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the allocations of a genesis CAR and check that they total 310,000,000 FLW.
    Inspect {
        /// The genesis CAR.
        file: PathBuf,
        /// Print JSON (amounts as attoFLW decimal strings).
        #[arg(long)]
        json: bool,
    },
}

/// Runs a genesis command.
pub fn run(repo: &Repo, command: GenesisCommand) -> anyhow::Result<()> {
    match command {
        GenesisCommand::New {
            network,
            output,
            template,
            timestamp,
            json,
        } => new(
            repo,
            network.into(),
            &output,
            template.as_deref(),
            timestamp,
            json,
        ),
        GenesisCommand::Template {
            network,
            output,
            premine,
            team,
            timestamp,
            json,
        } => write_new_template(
            repo,
            network.into(),
            &output,
            premine.zip(team),
            timestamp,
            json,
        ),
        GenesisCommand::AddMiner {
            template,
            owner,
            worker,
            sectors,
            expiration,
            peer_id,
            json,
        } => add_miner::run(&add_miner::AddMiner {
            template,
            owner,
            worker,
            sectors,
            expiration,
            peer_id,
            json,
        }),
        GenesisCommand::Inspect { file, json } => {
            let report = genesis::inspect(&file)
                .with_context(|| format!("inspecting {}", file.display()))?;
            if json {
                print_json(&report_json(&report))
            } else {
                print_report(&report);
                Ok(())
            }
        }
    }
}

fn new(
    repo: &Repo,
    network: Network,
    output: &Path,
    template: Option<&Path>,
    timestamp: Option<u64>,
    json: bool,
) -> anyhow::Result<()> {
    let (template, generated_keys) = match template {
        Some(path) => {
            anyhow::ensure!(
                timestamp.is_none(),
                "--timestamp cannot be combined with --template (the template sets the time)"
            );
            (read_template_for(path, network)?, false)
        }
        None => (devnet_template(repo, network, timestamp)?, true),
    };
    let params = NetworkParams::for_network(network);
    let mut store = MemoryBlockstore::new();
    let built = build_genesis(&template, &params, &mut store).context("building genesis")?;
    write_car(&built, &store, output)
        .with_context(|| format!("writing the genesis to {}", output.display()))?;
    // Read the file back: what is reported is what was written.
    let report = genesis::inspect(output)
        .with_context(|| format!("checking the written genesis {}", output.display()))?;
    if json {
        let mut value = report_json(&report);
        if let Some(object) = value.as_object_mut() {
            object.insert("car".into(), json!(output.display().to_string()));
            object.insert("total_atto".into(), json!(report.total.atto().to_string()));
            object.insert(
                "keys".into(),
                if generated_keys {
                    json!({"premine": PREMINE_KEY, "team": TEAM_KEY})
                } else {
                    serde_json::Value::Null
                },
            );
        }
        return print_json(&value);
    }
    println!("wrote {}", output.display());
    if generated_keys {
        println!(
            "generated keys {PREMINE_KEY} and {TEAM_KEY} in {}",
            repo.root().join("keystore").display()
        );
    }
    print_report(&report);
    Ok(())
}

fn read_template_for(path: &Path, network: Network) -> anyhow::Result<GenesisTemplate> {
    let template = read_template(path)
        .with_context(|| format!("{} is not a usable genesis template", path.display()))?;
    anyhow::ensure!(
        template.network == network,
        "the template {} is for network {:?}, not {network} (pass --network {} or use a {network} template)",
        path.display(),
        template.network.to_string(),
        template.network
    );
    Ok(template)
}

/// `genesis template`: writes a devnet template with no miners.
fn write_new_template(
    repo: &Repo,
    network: Network,
    output: &Path,
    addresses: Option<(String, String)>,
    timestamp: Option<u64>,
    json: bool,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        network == Network::Devnet,
        "`genesis template` writes devnet templates; a {network} template lists the real super-node addresses and is written by hand (see docs/GENESIS.md)"
    );
    anyhow::ensure!(
        std::fs::symlink_metadata(output).is_err(),
        "{} exists already: add miners to it with `flowcoin genesis add-miner --template {} …`, or write the new template elsewhere",
        output.display(),
        output.display()
    );
    let generated_keys = addresses.is_none();
    let template = match addresses {
        None => devnet_template(repo, network, timestamp)?,
        Some((premine, team)) => {
            let parse = |what: &str, text: &str| {
                Address::from_str_checked(text, network)
                    .with_context(|| format!("--{what} {text:?}"))
            };
            GenesisTemplate {
                network,
                timestamp: timestamp_or_now(timestamp)?,
                premine: parse("premine", &premine)?,
                team: parse("team", &team)?,
                super_nodes: genesis::devnet_super_node_addresses()?,
                miners: Vec::new(),
            }
        }
    };
    template
        .validate(&NetworkParams::for_network(network))
        .context("the template is not valid")?;
    write_template(output, &template)
        .with_context(|| format!("writing the template {}", output.display()))?;
    let text = |address: Address| address.display(network).to_string();
    if json {
        return print_json(&json!({
            "template": output.display().to_string(),
            "network": network.to_string(),
            "timestamp": template.timestamp,
            "premine": text(template.premine),
            "team": text(template.team),
            "super_nodes": template.super_nodes.len(),
            "keys": if generated_keys {
                json!({"premine": PREMINE_KEY, "team": TEAM_KEY})
            } else {
                serde_json::Value::Null
            },
        }));
    }
    println!("wrote {network} template {}", output.display());
    if generated_keys {
        println!(
            "generated keys {PREMINE_KEY} and {TEAM_KEY} in {}",
            repo.root().join("keystore").display()
        );
    }
    println!(
        "premine {}, team {}, {} super nodes, no miners",
        text(template.premine),
        text(template.team),
        template.super_nodes.len()
    );
    println!(
        "next: flowcoin genesis add-miner --template {} --owner ADDRESS --worker ADDRESS --sector DIR…",
        output.display()
    );
    println!(
        "then: flowcoin genesis new --network {network} --template {} -o genesis.car",
        output.display()
    );
    Ok(())
}

/// `timestamp`, or the current time in Unix seconds.
fn timestamp_or_now(timestamp: Option<u64>) -> anyhow::Result<u64> {
    match timestamp {
        Some(t) => Ok(t),
        None => Ok(SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("the system clock is before 1970")?
            .as_secs()),
    }
}

/// The devnet template: new premine and team keys in the keystore, the derived super nodes.
fn devnet_template(
    repo: &Repo,
    network: Network,
    timestamp: Option<u64>,
) -> anyhow::Result<GenesisTemplate> {
    anyhow::ensure!(
        network == Network::Devnet,
        "{network} genesis needs --template FILE.json with the premine, team and super-node addresses (only the devnet generates its own keys)"
    );
    let dir = repo.root().join("keystore");
    let keystore = Keystore::open(&dir).with_context(|| format!("opening {}", dir.display()))?;
    for name in [PREMINE_KEY, TEAM_KEY] {
        let path = keystore.path_of(&KeyName::user(name)?);
        anyhow::ensure!(
            std::fs::symlink_metadata(&path).is_err(),
            "key {name} already exists in {}: a devnet genesis generates new premine and team keys (remove the old ones with `flowcoin key remove {PREMINE_KEY}` and `flowcoin key remove {TEAM_KEY}`, or pass --template)",
            dir.display()
        );
    }
    let passphrase = crate::key_cmd::passphrase(None)?;
    let generate = |name: &str| -> anyhow::Result<Address> {
        let info = keystore
            .generate(KeyType::Bls, Some(name), passphrase.as_deref())
            .with_context(|| format!("generating key {name}"))?;
        Ok(info.public_key.address())
    };
    let premine = generate(PREMINE_KEY)?;
    let team = generate(TEAM_KEY)?;
    Ok(GenesisTemplate {
        network,
        timestamp: timestamp_or_now(timestamp)?,
        premine,
        team,
        super_nodes: genesis::devnet_super_node_addresses()?,
        miners: Vec::new(),
    })
}

fn atto(amount: TokenAmount) -> String {
    amount.atto().to_string()
}

fn account_json(account: &AccountAllocation, network: Network) -> serde_json::Value {
    json!({
        "id": account.id,
        "address": account.address.display(network).to_string(),
        "amount": atto(account.amount),
    })
}

/// The report as JSON, amounts as attoFLW decimal strings.
fn report_json(report: &GenesisReport) -> serde_json::Value {
    let network = report.network;
    let params = report.params();
    let super_nodes = &report.super_nodes;
    let team = &report.team;
    json!({
        "genesis_cid": report.genesis_cid.to_string(),
        "state_root": report.state_root().to_string(),
        "version": report.block.version,
        "network": report.block.network_name,
        "timestamp": report.block.timestamp,
        "blocks": report.blocks,
        "params": {
            "epoch_duration_secs": params.epoch_duration_secs,
            "proving_period": params.proving_period,
            "deadlines": params.deadlines,
            "finality": params.finality,
            "pre_commit_challenge_delay": params.pre_commit_challenge_delay,
            "wpost_challenge_lookback": params.wpost_challenge_lookback,
            "power_lookback": params.power_lookback,
            "expected_leaders_per_epoch": params.expected_leaders_per_epoch,
            "min_miner_power": params.min_miner_power,
            "block_gas_limit": params.block_gas_limit,
            "initial_base_fee": atto(params.initial_base_fee),
            "min_base_fee": atto(params.min_base_fee),
            "sector_sizes": params.sector_sizes,
        },
        "premine": account_json(&report.premine, network),
        "super_nodes": {
            "registry_id": super_nodes.registry_id,
            "count": super_nodes.members.len(),
            "each": super_nodes.each().map(atto),
            "total": atto(super_nodes.total),
            "members": super_nodes.members.iter().map(|m| account_json(m, network)).collect::<Vec<_>>(),
        },
        "team": {
            "vesting_actor_id": team.actor_id,
            "beneficiary": account_json(&team.beneficiary, network),
            "total": atto(team.total),
            "balance": atto(team.balance),
            "start_epoch": team.start_epoch,
            "unlocked_at_genesis": atto(team.unlocked_at_genesis),
            "monthly_step": atto(team.monthly_step),
            "epochs_per_month": team.epochs_per_month,
        },
        "mining_pool": atto(report.mining_pool),
        "miners": report.miners.iter().map(|m| json!({
            "id": m.id,
            "address": Address::Id(m.id).display(network).to_string(),
            "owner": account_json(&m.owner, network),
            "worker": account_json(&m.worker, network),
            "sector_size": m.sector_size,
            "sectors": m.sectors,
            "raw_power": m.raw_power.0.to_string(),
            "balance": atto(m.balance),
        })).collect::<Vec<_>>(),
        "power": {
            "total_raw_power": report.power.total_raw_power.0.to_string(),
            "total_eligible_power": report.power.total_eligible_power.0.to_string(),
            "miner_count": report.power.miner_count,
            "miners_above_min": report.power.miners_above_min,
        },
        "others": report.others.iter().map(|o| json!({
            "id": o.id,
            "code": o.code.name(),
            "balance": atto(o.balance),
        })).collect::<Vec<_>>(),
        "total": atto(report.total),
        "supply": atto(TokenAmount::TOTAL_SUPPLY),
        "total_matches_supply": report.total == TokenAmount::TOTAL_SUPPLY,
    })
}

fn print_report(report: &GenesisReport) {
    let network = report.network;
    let params = report.params();
    let team = &report.team;
    let super_nodes = &report.super_nodes;
    println!("genesis       {}", report.genesis_cid);
    println!("state root    {}", report.state_root());
    println!(
        "network       {} (genesis version {}, timestamp {}, {} blocks)",
        report.block.network_name, report.block.version, report.block.timestamp, report.blocks
    );
    println!(
        "params        {} s epochs, proving period {} epochs in {} deadlines, finality {} epochs",
        params.epoch_duration_secs, params.proving_period, params.deadlines, params.finality
    );
    println!(
        "premine       {}  {} (ID {})",
        report.premine.address.display(network),
        report.premine.amount,
        report.premine.id
    );
    match super_nodes.each() {
        Some(each) => println!(
            "super nodes   {} × {each} = {} (registry actor {})",
            super_nodes.members.len(),
            super_nodes.total,
            super_nodes.registry_id
        ),
        None => println!(
            "super nodes   {} accounts, {} in total (registry actor {})",
            super_nodes.members.len(),
            super_nodes.total,
            super_nodes.registry_id
        ),
    }
    println!(
        "team vesting  {} locked in actor {} for {} (ID {}); unlocked at genesis {}, then {} every {} epochs",
        team.total,
        team.actor_id,
        team.beneficiary.address.display(network),
        team.beneficiary.id,
        team.unlocked_at_genesis,
        team.monthly_step,
        team.epochs_per_month
    );
    println!(
        "mining pool   {} (reward actor balance)",
        report.mining_pool
    );
    for miner in &report.miners {
        println!(
            "miner         {} owner {} (ID {}), worker {} (ID {}): {} sectors of {} bytes, raw power {}",
            Address::Id(miner.id).display(network),
            miner.owner.address.display(network),
            miner.owner.id,
            miner.worker.address.display(network),
            miner.worker.id,
            miner.sectors,
            miner.sector_size,
            miner.raw_power
        );
    }
    let power = &report.power;
    println!(
        "power         {} raw in total, {} eligible to win (miners: {}, {} at or above the minimum)",
        power.total_raw_power,
        power.total_eligible_power,
        power.miner_count,
        power.miners_above_min
    );
    for other in &report.others {
        println!(
            "other actor   {} {}  {}",
            other.id,
            other.code.name(),
            other.balance
        );
    }
    println!(
        "total         {} = the fixed supply of {} (checked)",
        report.total,
        TokenAmount::TOTAL_SUPPLY
    );
}
