//! `devnet up`: checks what was asked, builds the genesis, starts the nodes in the background
//! one after another and waits until each API answers.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use flowcoin_chain::genesis::{MAX_GENESIS_SECTORS_PER_MINER, genesis_miner_id};
use flowcoin_node::auth::Permission;
use flowcoin_node::node::{api_file, read_api_url};
use flowcoin_node::rpc::HeadInfo;
use flowcoin_types::{Address, Network, NetworkParams, SectorSize};

use super::down::remove_files;
use super::genesis::{self, GenesisPlan, MAX_FUNDED_MINERS, PREMINE_KEY, TEAM_KEY, unix_now};
use super::net::{self, NetConfig};
use super::record::{self, DevnetRecord, GenesisKeys, MinerRecord, NodeRecord, ProcessRecord};
use super::summary::{NodeSummary, UpSummary};
use super::{
    API_WAIT, DAEMON_LOG, GENESIS_CAR, MAX_NODES, STOP_GRACE, TEMPLATE, UpArgs, chain_head, mint,
    node_name, process, runtime,
};
use crate::util::print_json;

// Every miner needs a funded key of its own (genesis.rs), and there is at most one per node.
const _: () = assert!(MAX_NODES <= MAX_FUNDED_MINERS);

/// Refuses what a devnet cannot do, before anything is written.
fn check_up_args(args: &UpArgs) -> anyhow::Result<()> {
    let (nodes, miners) = (args.nodes(), args.miners());
    anyhow::ensure!(
        (1..=MAX_NODES).contains(&nodes),
        "--nodes {nodes}: a devnet runs 1 to {MAX_NODES} nodes"
    );
    anyhow::ensure!(
        miners >= 1,
        "--miners 0: a devnet needs at least one genesis miner, or no block is ever made"
    );
    anyhow::ensure!(
        miners <= nodes,
        "--miners {miners} with --nodes {nodes}: a miner runs on a node and a node mines for one miner, so a devnet has at most as many miners as nodes. Run `flowcoin devnet up --nodes {miners} --miners {miners}`"
    );
    let max = MAX_GENESIS_SECTORS_PER_MINER as u64;
    anyhow::ensure!(
        (1..=max).contains(&args.sectors()),
        "--sectors {}: a genesis miner starts with 1 to {max} sectors",
        args.sectors()
    );
    let devnet = NetworkParams::devnet();
    anyhow::ensure!(
        devnet.sector_sizes.contains(&args.sector_size()),
        "--sector-size {}: the devnet's sector sizes are {}",
        args.sector_size(),
        devnet
            .sector_sizes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// Refuses options that would make another devnet than the stopped one `up` restarts.
fn check_restart_args(args: &UpArgs, record: &DevnetRecord, flag: &str) -> anyhow::Result<()> {
    let first = record.miners.first();
    let recorded_block_time = record
        .block_time_secs
        .unwrap_or(NetworkParams::devnet().epoch_duration.secs());
    let mut differ = Vec::new();
    let mut compare = |option: &str, given: Option<String>, recorded: Option<String>| {
        if let Some(given) = given
            && Some(&given) != recorded.as_ref()
        {
            let recorded = recorded.unwrap_or_else(|| "none".to_owned());
            differ.push(format!("{option} {given} (it has {recorded})"));
        }
    };
    compare(
        "--nodes",
        args.nodes.map(|n| n.to_string()),
        Some(record.nodes.len().to_string()),
    );
    compare(
        "--miners",
        args.miners.map(|m| m.to_string()),
        Some(record.miners.len().to_string()),
    );
    compare(
        "--sector-size",
        args.sector_size.map(|s| s.to_string()),
        first.map(|m| {
            SectorSize::try_from(m.sector_size)
                .map_or_else(|_| format!("{} B", m.sector_size), |s| s.to_string())
        }),
    );
    compare(
        "--sectors",
        args.sectors.map(|s| s.to_string()),
        first.map(|m| m.sectors.len().to_string()),
    );
    compare(
        "--block-time",
        args.block_time.map(|b| format!("{}s", b.secs())),
        Some(format!("{recorded_block_time}s")),
    );
    if differ.is_empty() {
        return Ok(());
    }
    bail!(
        "the directory holds a stopped devnet made with other options: {}. `flowcoin devnet up{flag}` restarts it as it was; to make another, remove it first with `flowcoin devnet down --clean{flag}`",
        differ.join(", ")
    )
}

/// `devnet up`.
pub(super) fn up(args: &UpArgs) -> anyhow::Result<()> {
    check_up_args(args)?;
    let given = args.dir.path();
    let existed = std::fs::symlink_metadata(&given).is_ok();
    std::fs::create_dir_all(&given).with_context(|| format!("creating {}", given.display()))?;
    let dir = given
        .canonicalize()
        .with_context(|| format!("resolving {}", given.display()))?;
    let flag = args.dir.flag(&dir);
    if let Some(record) = refuse_existing(&dir, &flag, args.nodes())? {
        check_restart_args(args, &record, &flag)?;
        return restart(&dir, &flag, record, args.json);
    }

    // Every node's peer-to-peer port, before any node starts.
    let ports = net::free_ports(args.nodes())?;
    // The record first: whatever `up` leaves behind, `down --clean` finds it.
    let mut record = new_record(args, &ports)?;
    record.save(&dir)?;
    let miner_repos: Vec<PathBuf> = record
        .nodes
        .iter()
        .take(args.miners())
        .map(|node| dir.join(&node.repo))
        .collect();
    let mut params = NetworkParams::devnet();
    params.epoch_duration = args.block_time();
    let plan = GenesisPlan {
        miner_repos: &miner_repos,
        template: &dir.join(TEMPLATE),
        car: &dir.join(GENESIS_CAR),
        sector_size: args.sector_size(),
        sectors: args.sectors(),
        params: &params,
    };
    let built = match genesis::build(&plan) {
        Ok(built) => built,
        Err(e) => {
            // Nothing runs yet: leave the directory as it was found.
            let _ = remove_files(&dir, &record, !existed);
            return Err(e);
        }
    };
    let text = |address: Address| address.display(Network::Devnet).to_string();
    record.genesis_cid = Some(built.genesis_cid.to_string());
    for (miner, node) in built.miners.iter().zip(&record.nodes) {
        record.miners.push(MinerRecord {
            id: text(Address::Id(miner.id)),
            node: node.name.clone(),
            owner: text(miner.owner),
            worker: text(miner.worker),
            worker_key: genesis::WORKER_KEY.to_owned(),
            // The worker has no funds at genesis; the owner pays for the miner's messages.
            sender_key: miner.owner_key.to_owned(),
            sector_size: args.sector_size().bytes(),
            sectors: miner.sectors.clone(),
        });
    }
    record.save(&dir)?;

    let nodes = start_nodes(&dir, &flag, &mut record)?;
    let summary = UpSummary {
        dir: &dir,
        flag: &flag,
        nodes,
        premine: text(built.premine),
        premine_amount: built.premine_amount.to_string(),
        miners: &record.miners,
        genesis_cid: built.genesis_cid.to_string(),
        block_time_secs: args.block_time().secs(),
    };
    if args.json {
        print_json(&summary.to_json())
    } else {
        summary.print();
        Ok(())
    }
}

/// The record of a devnet with `args.nodes()` nodes listening on `ports`, node `i` mining for
/// miner `t0100i` if `i < args.miners()`; not built yet.
fn new_record(args: &UpArgs, ports: &[u16]) -> anyhow::Result<DevnetRecord> {
    let mut record = DevnetRecord::new(
        unix_now()?,
        GENESIS_CAR.into(),
        GenesisKeys {
            premine: PREMINE_KEY.to_owned(),
            team: TEAM_KEY.to_owned(),
        },
    );
    record.block_time_secs = Some(args.block_time().secs());
    for (index, port) in ports.iter().enumerate() {
        let miner = if index < args.miners() {
            let id = genesis_miner_id(index).context("too many genesis miners")?;
            Some(Address::Id(id).display(Network::Devnet).to_string())
        } else {
            None
        };
        record.nodes.push(NodeRecord {
            name: node_name(index),
            repo: node_name(index).into(),
            miner,
            p2p: Some(net::p2p_address(*port)),
            process: None,
        });
    }
    Ok(record)
}

/// Starts the record's nodes one after another, each once the one before answers; if one
/// fails, stops those started before it. What runs is recorded at every step.
fn start_nodes(
    dir: &Path,
    flag: &str,
    record: &mut DevnetRecord,
) -> anyhow::Result<Vec<NodeSummary>> {
    assign_missing_ports(record)?;
    record.save(dir)?;
    let runtime = runtime()?;
    let exe = std::env::current_exe().context("finding the flowcoin executable")?;
    let mut started: Vec<NodeSummary> = Vec::with_capacity(record.nodes.len());
    let mut already_running = Vec::new();
    for index in 0..record.nodes.len() {
        if let Some(node) = running_node(&runtime, dir, record, index)? {
            already_running.push(node.name.clone());
            started.push(node);
            continue;
        }
        match start_node(&runtime, &exe, dir, record, index) {
            Ok(node) => started.push(node),
            Err(e) => {
                let name = record
                    .nodes
                    .get(index)
                    .map_or_else(|| node_name(index), |n| n.name.clone());
                // Only what this run started is stopped again.
                started.retain(|n| !already_running.contains(&n.name));
                let stopped = stop_started(dir, record, &started);
                return Err(e.context(format!(
                    "{name} did not start{stopped}; the devnet's files are kept in {} (remove them with `flowcoin devnet down --clean{flag}`)",
                    dir.display()
                )));
            }
        }
    }
    Ok(started)
}

/// The summary of node `index` if its daemon still runs (a partly running devnet restarts
/// only its stopped nodes).
fn running_node(
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
    record: &DevnetRecord,
    index: usize,
) -> anyhow::Result<Option<NodeSummary>> {
    let Some(node) = record.nodes.get(index) else {
        return Ok(None);
    };
    let Some(process) = node.process.as_ref().filter(|p| process::is_running(p)) else {
        return Ok(None);
    };
    let repo = dir.join(&node.repo);
    let url = read_api_url(&repo)?.with_context(|| {
        format!(
            "{} runs (pid {}) but has no API file",
            node.name, process.pid
        )
    })?;
    let head = runtime.block_on(chain_head(&url, &repo))?;
    eprintln!("{} is running (pid {})", node.name, process.pid);
    Ok(Some(NodeSummary {
        name: node.name.clone(),
        token: mint(&repo, Permission::Admin)?,
        config: net::config_path(&repo),
        log: repo.join(DAEMON_LOG),
        repo,
        pid: process.pid,
        api: url,
        height: head.height,
        miner: node.miner.clone(),
        p2p: node.p2p.clone(),
    }))
}

/// Picks peer-to-peer ports for the nodes of a devnet recorded before the network.
fn assign_missing_ports(record: &mut DevnetRecord) -> anyhow::Result<()> {
    let missing = record.nodes.iter().filter(|n| n.p2p.is_none()).count();
    if missing == 0 {
        return Ok(());
    }
    let mut ports = net::free_ports(missing)?.into_iter();
    for node in record.nodes.iter_mut().filter(|n| n.p2p.is_none()) {
        node.p2p = ports.next().map(net::p2p_address);
    }
    Ok(())
}

/// Stops the nodes of `started` after a later one failed; what to add to the error.
fn stop_started(dir: &Path, record: &mut DevnetRecord, started: &[NodeSummary]) -> String {
    let mut names = Vec::with_capacity(started.len());
    for node in started {
        let process = record
            .nodes
            .iter()
            .find(|n| n.name == node.name)
            .and_then(|n| n.process.clone());
        let Some(process) = process else { continue };
        match process::stop(&process, STOP_GRACE) {
            Ok(_) => {
                let _ = std::fs::remove_file(api_file(&node.repo));
                set_process(record, &node.name, None);
                names.push(node.name.clone());
            }
            Err(e) => eprintln!("warning: could not stop {}: {e:#}", node.name),
        }
    }
    let _ = record.save(dir);
    if names.is_empty() {
        String::new()
    } else {
        format!(
            " (the nodes started before it were stopped: {})",
            names.join(", ")
        )
    }
}

/// Writes node `index`'s `config.toml` unless it has one (a restarted devnet keeps its own,
/// edits included), starts its daemon in the background (mining if the record says so) and
/// waits until its API answers.
fn start_node(
    runtime: &tokio::runtime::Runtime,
    exe: &Path,
    dir: &Path,
    record: &mut DevnetRecord,
    index: usize,
) -> anyhow::Result<NodeSummary> {
    let node = record
        .nodes
        .get(index)
        .cloned()
        .with_context(|| format!("the devnet record has no node {index}"))?;
    let repo = dir.join(&node.repo);
    if let Some(listen) = &node.p2p
        && !net::config_path(&repo).exists()
    {
        let bootstrap = record
            .nodes
            .iter()
            .filter(|other| other.name != node.name)
            .filter_map(|other| other.p2p.as_deref())
            .collect();
        net::write_config(&repo, &NetConfig { listen, bootstrap })?;
    }
    let mut daemon_args: Vec<OsString> = vec![
        "daemon".into(),
        "--genesis".into(),
        dir.join(&record.genesis).into(),
        "--api".into(),
        "127.0.0.1:0".into(),
    ];
    if let Some(id) = &node.miner {
        let miner = record
            .miners
            .iter()
            .find(|m| &m.id == id)
            .with_context(|| format!("the devnet record has no miner {id} (for {})", node.name))?;
        daemon_args.extend([
            "--miner".into(),
            id.into(),
            "--worker-key".into(),
            miner.worker_key.clone().into(),
            "--sender-key".into(),
            miner.sender_key.clone().into(),
        ]);
    }
    std::fs::create_dir_all(&repo).with_context(|| format!("creating {}", repo.display()))?;
    let log = repo.join(DAEMON_LOG);
    eprintln!("starting {} (log: {})", node.name, log.display());
    let mut child = process::spawn_daemon(exe, &daemon_args, &repo, &log)?;
    let pid = child.id();
    // Recorded before waiting: if `up` is interrupted now, `down` still finds the daemon.
    let mut process = ProcessRecord {
        pid,
        start_time: process::start_time(pid),
        started: unix_now()?,
        api: None,
    };
    set_process(record, &node.name, Some(process.clone()));
    record.save(dir)?;
    let (url, head) = match wait_for_api(runtime, &mut child, &repo, &log) {
        Ok(answer) => answer,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            set_process(record, &node.name, None);
            let _ = record.save(dir);
            return Err(e);
        }
    };
    process.api = Some(url.clone());
    set_process(record, &node.name, Some(process));
    record.save(dir)?;
    Ok(NodeSummary {
        name: node.name,
        token: mint(&repo, Permission::Admin)?,
        config: net::config_path(&repo),
        repo,
        log,
        pid,
        api: url,
        height: head.height,
        miner: node.miner,
        p2p: node.p2p,
    })
}

/// Starts the stopped devnet of `record` again: each daemon resumes from its stored head and
/// works through the epochs it missed one by one, proving each deadline as it comes.
fn restart(dir: &Path, flag: &str, mut record: DevnetRecord, json: bool) -> anyhow::Result<()> {
    anyhow::ensure!(
        !record.miners.is_empty(),
        "the devnet record names no miner: remove it with `flowcoin devnet down --clean{flag}`"
    );
    let premine = record
        .miners
        .first()
        .map(|m| m.owner.clone())
        .unwrap_or_default();
    let genesis_cid = record.genesis_cid.clone().unwrap_or_default();
    let block_time_secs = record
        .block_time_secs
        .unwrap_or(NetworkParams::devnet().epoch_duration.secs());
    let nodes = start_nodes(dir, flag, &mut record)?;
    let height = nodes.first().map_or(0, |n| n.height);
    let summary = UpSummary {
        dir,
        flag,
        nodes,
        premine,
        premine_amount: flowcoin_types::economics::GenesisAllocation::PREMINE.to_string(),
        miners: &record.miners,
        genesis_cid,
        block_time_secs,
    };
    if json {
        print_json(&summary.to_json())
    } else {
        eprintln!(
            "restarted the devnet in {} at height {height}",
            dir.display()
        );
        summary.print();
        Ok(())
    }
}

/// Refuses a directory that holds a running devnet, or files a devnet of `nodes` nodes would
/// overwrite; returns the record of a stopped devnet (to restart).
fn refuse_existing(dir: &Path, flag: &str, nodes: usize) -> anyhow::Result<Option<DevnetRecord>> {
    if let Some(record) = DevnetRecord::load(dir)? {
        // All running: nothing to do. Some running (one was killed or stopped by hand): the
        // stopped ones are started again and catch up from their peers.
        let running: Vec<_> = record
            .nodes
            .iter()
            .filter_map(|node| {
                node.process
                    .as_ref()
                    .filter(|p| process::is_running(p))
                    .map(|p| (node, p))
            })
            .collect();
        if running.len() == record.nodes.len()
            && let Some((node, p)) = running.first()
        {
            bail!(
                "a devnet is already running in {}: {} (pid {}, API {}). See it with `flowcoin devnet status{flag}`, stop it with `flowcoin devnet down{flag}`",
                dir.display(),
                node.name,
                p.pid,
                p.api.as_deref().unwrap_or("not answering yet")
            );
        }
        anyhow::ensure!(
            record.genesis_cid.is_some(),
            "{} holds a devnet whose genesis was never built: remove it with `flowcoin devnet down --clean{flag}`",
            dir.display()
        );
        return Ok(Some(record));
    }
    let names = (0..nodes)
        .map(node_name)
        .chain([GENESIS_CAR.to_owned(), TEMPLATE.to_owned()]);
    for name in names {
        let path = dir.join(name);
        anyhow::ensure!(
            std::fs::symlink_metadata(&path).is_err(),
            "{} exists, but {} has no {}: it is not a devnet directory. Choose another --dir",
            path.display(),
            dir.display(),
            record::RECORD_FILE
        );
    }
    Ok(None)
}

fn set_process(record: &mut DevnetRecord, node: &str, process: Option<ProcessRecord>) {
    if let Some(node) = record.node_mut(node) {
        node.process = process;
    }
}

/// Waits until the daemon `child` has written its API's URL and answers `ChainHead`.
fn wait_for_api(
    runtime: &tokio::runtime::Runtime,
    child: &mut Child,
    repo: &Path,
    log: &Path,
) -> anyhow::Result<(String, HeadInfo)> {
    let start = Instant::now();
    let mut last_error = None;
    loop {
        if let Some(status) = child.try_wait().context("watching the daemon")? {
            bail!(
                "the daemon exited ({status}) before its API answered. The end of {}:\n{}",
                log.display(),
                process::log_tail(log)
            );
        }
        // The daemon writes the URL once its token secret exists: only then mint a token.
        if let Some(url) = read_api_url(repo)? {
            match runtime.block_on(chain_head(&url, repo)) {
                Ok(head) => return Ok((url, head)),
                Err(e) => last_error = Some(format!("{e:#}")),
            }
        }
        if start.elapsed() >= API_WAIT {
            bail!(
                "the daemon's API did not answer within {} s ({}). The end of {}:\n{}",
                API_WAIT.as_secs(),
                last_error
                    .unwrap_or_else(|| format!("{} was never written", api_file(repo).display())),
                log.display(),
                process::log_tail(log)
            );
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    #[test]
    fn a_daemon_that_exits_before_answering_is_reported_with_its_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join(DAEMON_LOG);
        let script = "echo starting; echo cannot open the chain >&2; exit 3";
        let mut child = process::spawn_daemon(
            Path::new("sh"),
            &["-c".into(), script.into()],
            dir.path(),
            &log,
        )
        .unwrap();
        let err = wait_for_api(&runtime().unwrap(), &mut child, dir.path(), &log)
            .unwrap_err()
            .to_string();
        assert!(err.contains("exited"), "{err}");
        assert!(err.contains("starting\ncannot open the chain"), "{err}");
    }

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        up: UpArgs,
    }

    fn up_args(args: &[&str]) -> UpArgs {
        Cli::try_parse_from(std::iter::once("up").chain(args.iter().copied()))
            .unwrap()
            .up
    }

    #[test]
    fn miners_must_fit_on_the_nodes() {
        check_up_args(&up_args(&["--nodes", "4", "--miners", "3"])).unwrap();
        check_up_args(&up_args(&[])).unwrap();
        let err = |args: &[&str]| check_up_args(&up_args(args)).unwrap_err().to_string();
        assert!(err(&["--nodes", "2", "--miners", "3"]).contains("at most as many miners"));
        assert!(err(&["--miners", "0"]).contains("at least one genesis miner"));
        assert!(err(&["--nodes", "0"]).contains("1 to 16 nodes"));
        assert!(err(&["--nodes", "17"]).contains("1 to 16 nodes"));
        // Any whole number of seconds the schedule accepts: the genesis records it.
        check_up_args(&up_args(&["--block-time", "5s"])).unwrap();
    }

    #[test]
    fn a_restart_with_other_options_is_refused() {
        let args = up_args(&["--nodes", "3", "--miners", "2", "--block-time", "2s"]);
        let mut record = new_record(&args, &[4001, 4002, 4003]).unwrap();
        record.miners.push(MinerRecord {
            id: "t01000".into(),
            node: "node0".into(),
            owner: "t3a".into(),
            worker: "t3b".into(),
            worker_key: "worker".into(),
            sender_key: PREMINE_KEY.into(),
            sector_size: 2048,
            sectors: vec![0],
        });
        record.miners.push(record.miners[0].clone());
        check_restart_args(&args, &record, "").unwrap();
        check_restart_args(&up_args(&["--sectors", "1"]), &record, "").unwrap();
        let err = check_restart_args(&up_args(&["--nodes", "4", "--sectors", "2"]), &record, "")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--nodes 4 (it has 3), --sectors 2 (it has 1)"),
            "{err}"
        );
        assert_eq!(record.nodes[2].miner, None);
        assert_eq!(record.nodes[1].miner.as_deref(), Some("t01001"));
        assert_eq!(
            record.nodes[2].p2p.as_deref(),
            Some("/ip4/127.0.0.1/tcp/4003")
        );
    }

    #[test]
    fn nodes_recorded_before_the_network_get_a_port() {
        let mut record = new_record(&up_args(&["--nodes", "2"]), &[4001, 4002]).unwrap();
        record.nodes[1].p2p = None;
        assign_missing_ports(&mut record).unwrap();
        assert_eq!(
            record.nodes[0].p2p.as_deref(),
            Some("/ip4/127.0.0.1/tcp/4001")
        );
        let given = record.nodes[1].p2p.as_deref().unwrap();
        assert!(given.starts_with("/ip4/127.0.0.1/tcp/"), "{given}");
        assert_ne!(given, "/ip4/127.0.0.1/tcp/0");
    }
}
