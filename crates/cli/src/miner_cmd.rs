//! `flowcoin miner`: a miner's keys, power, sectors and proving deadline as the running
//! daemon's head sees them, and pledging a sector to the daemon's own miner.

use clap::{Args, Subcommand};
use flowcoin_node::auth::Permission;
use flowcoin_node::rpc::FlowcoinApiClient as _;

use crate::node_api::{Api, flw, miner_or_node, power, print_json};
use crate::repo::Repo;

/// Miner commands.
#[derive(Debug, Subcommand)]
pub enum MinerCommand {
    /// Owner, worker, sector size and balances.
    Info(MinerArgs),
    /// Raw power and the network's totals.
    Power(MinerArgs),
    /// Live and pre-committed sectors.
    Sectors(MinerArgs),
    /// The deadline open now: its window, challenge and partitions.
    Proving(MinerArgs),
    /// Ask the daemon's miner to seal one more committed-capacity sector (sealed, then
    /// pre-committed and proven over the next epochs).
    Pledge {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Which miner, and how to print.
#[derive(Debug, Args)]
pub struct MinerArgs {
    /// The miner (e.g. t01000); default: the one the daemon mines as.
    #[arg(long)]
    miner: Option<String>,
    /// Print JSON (the API's result).
    #[arg(long)]
    json: bool,
}

/// Runs a miner command.
pub fn run(repo: &Repo, command: MinerCommand) -> anyhow::Result<()> {
    match command {
        MinerCommand::Info(args) => query(repo, &args, info),
        MinerCommand::Power(args) => query(repo, &args, miner_power),
        MinerCommand::Sectors(args) => query(repo, &args, sectors),
        MinerCommand::Proving(args) => query(repo, &args, proving),
        MinerCommand::Pledge { json } => {
            let api = Api::connect(repo, Permission::Write)?;
            let miner = api.call(|c| c.miner_pledge())?;
            if json {
                return print_json(&serde_json::json!({ "miner": miner, "pledged": 1 }));
            }
            println!("{miner} will seal one committed-capacity sector from the next epoch");
            Ok(())
        }
    }
}

/// Connects, picks the miner, and runs `show` on it.
fn query(
    repo: &Repo,
    args: &MinerArgs,
    show: fn(&Api, String, bool) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let api = Api::connect(repo, Permission::Read)?;
    let miner = miner_or_node(&api, args.miner.as_deref())?;
    show(&api, miner, args.json)
}

fn info(api: &Api, miner: String, json: bool) -> anyhow::Result<()> {
    let i = api.call(|c| c.state_miner_info(miner))?;
    if json {
        return print_json(&i);
    }
    println!("miner               {}", i.miner);
    println!("owner               {}", i.owner);
    println!("worker              {} ({})", i.worker, i.worker_key);
    println!("sector size         {}", power(&i.sector_size.to_string()));
    println!("balance             {}", flw(&i.balance));
    println!("available           {}", flw(&i.available_balance));
    println!("initial pledge      {}", flw(&i.initial_pledge));
    println!("pre-commit deposit  {}", flw(&i.pre_commit_deposits));
    println!("fee debt            {}", flw(&i.fee_debt));
    println!("next sector number  {}", i.next_sector_number);
    Ok(())
}

fn miner_power(api: &Api, miner: String, json: bool) -> anyhow::Result<()> {
    let p = api.call(|c| c.state_miner_power(miner))?;
    if json {
        return print_json(&p);
    }
    println!("miner           {}", p.miner);
    println!("raw power       {}", power(&p.raw_power));
    println!("network power   {}", power(&p.total_raw_power));
    println!(
        "may win blocks  {}",
        if p.has_min_power { "yes" } else { "no" }
    );
    Ok(())
}

fn sectors(api: &Api, miner: String, json: bool) -> anyhow::Result<()> {
    let s = api.call(|c| c.state_miner_sectors(miner))?;
    if json {
        return print_json(&s);
    }
    println!(
        "{} live sectors, {} pre-committed",
        s.sectors.len(),
        s.pre_commits.len()
    );
    for sector in &s.sectors {
        let state = match sector.faulty_since {
            Some(epoch) => format!("faulty since {epoch}"),
            None => "active".to_owned(),
        };
        println!(
            "  {:>6}  deadline {:>2} partition {:>3}  expires {:>8}  {}  {}",
            sector.sector_number,
            sector.deadline,
            sector.partition,
            sector.expiration,
            state,
            sector.sealed_cid
        );
    }
    for p in &s.pre_commits {
        println!(
            "  {:>6}  pre-committed at {}  deposit {}  {}",
            p.sector_number,
            p.pre_commit_epoch,
            flw(&p.deposit),
            p.sealed_cid
        );
    }
    Ok(())
}

fn proving(api: &Api, miner: String, json: bool) -> anyhow::Result<()> {
    let d = api.call(|c| c.state_miner_proving_deadline(miner))?;
    if json {
        return print_json(&d);
    }
    println!("current epoch    {}", d.current_epoch);
    println!(
        "deadline         {} of {} (proving period {} epochs)",
        d.index, d.deadlines, d.proving_period
    );
    println!(
        "window           opens at epoch {}, closes at {}",
        d.open, d.close
    );
    println!("challenge epoch  {}", d.challenge);
    println!("fault cutoff     {}", d.fault_cutoff);
    println!(
        "partitions       {} ({} proven this window)",
        d.partitions,
        d.proven_partitions.len()
    );
    println!(
        "sectors          {} live, {} faulty",
        d.live_sectors, d.faulty_sectors
    );
    Ok(())
}
