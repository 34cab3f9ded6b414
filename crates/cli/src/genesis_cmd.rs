//! `flowcoin genesis`: build a genesis file and inspect one (docs/GENESIS.md).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use clap::Subcommand;
use flowcoin_chain::genesis::{
    self, AccountAllocation, GenesisReport, GenesisTemplate, build_genesis, write_car,
};
use flowcoin_crypto::{KeyName, KeyType, Keystore};
use flowcoin_dag::store::MemoryBlockstore;
use flowcoin_types::{Address, Network, NetworkParams, TokenAmount};
use serde::Deserialize;
use serde_json::json;

use crate::key_cmd::NetworkArg;
use crate::repo::Repo;
use crate::util::print_json;

/// The keystore names of the keys `genesis new` generates on the devnet.
const PREMINE_KEY: &str = "genesis-premine";
/// See [`PREMINE_KEY`].
const TEAM_KEY: &str = "genesis-team";
/// Largest template file read.
const MAX_TEMPLATE_BYTES: u64 = 1 << 20;

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
        /// A JSON template: {"network", "timestamp", "premine", "team", "super_nodes": [50]},
        /// addresses in text form.
        #[arg(long, value_name = "FILE.json")]
        template: Option<PathBuf>,
        /// Genesis time in Unix seconds when there is no template (default: now).
        #[arg(long)]
        timestamp: Option<u64>,
        /// Print JSON (amounts as attoFLW decimal strings).
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
            (read_template(path, network)?, false)
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

/// A template file: the addresses in text form for its network.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateFile {
    network: String,
    timestamp: u64,
    premine: String,
    team: String,
    super_nodes: Vec<String>,
}

fn read_template(path: &Path, network: Network) -> anyhow::Result<GenesisTemplate> {
    use std::io::Read as _;
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_TEMPLATE_BYTES).read_to_string(&mut text))
        .with_context(|| format!("reading the template {}", path.display()))?;
    let file: TemplateFile = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a genesis template", path.display()))?;
    anyhow::ensure!(
        file.network == network.to_string(),
        "the template {} is for network {:?}, not {network} (pass --network {} or use a {network} template)",
        path.display(),
        file.network,
        file.network
    );
    let parse = |what: &str, text: &str| {
        Address::from_str_checked(text, network)
            .with_context(|| format!("the template's {what} address {text:?}"))
    };
    let super_nodes = file
        .super_nodes
        .iter()
        .enumerate()
        .map(|(n, text)| parse(&format!("super node {n}"), text))
        .collect::<anyhow::Result<_>>()?;
    Ok(GenesisTemplate {
        network,
        timestamp: file.timestamp,
        premine: parse("premine", &file.premine)?,
        team: parse("team", &file.team)?,
        super_nodes,
    })
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
    let timestamp = match timestamp {
        Some(t) => t,
        None => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("the system clock is before 1970")?
            .as_secs(),
    };
    Ok(GenesisTemplate {
        network,
        timestamp,
        premine,
        team,
        super_nodes: genesis::devnet_super_node_addresses()?,
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
