//! `devnet up`: checks what was asked, builds the genesis, starts the node in the background
//! and waits until its API answers.

use std::ffi::OsString;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use flowcoin_chain::genesis::{FIRST_GENESIS_MINER_ID, MAX_GENESIS_SECTORS_PER_MINER};
use flowcoin_node::auth::Permission;
use flowcoin_node::node::{api_file, read_api_url};
use flowcoin_node::rpc::HeadInfo;
use flowcoin_types::{Address, Network, NetworkParams, SectorSize};
use serde_json::json;

use super::down::remove_files;
use super::genesis::{self, GenesisPlan, PREMINE_KEY, TEAM_KEY, WORKER_KEY, unix_now};
use super::process;
use super::record::{self, DevnetRecord, GenesisKeys, MinerRecord, NodeRecord, ProcessRecord};
use super::{
    API_WAIT, DAEMON_LOG, GENESIS_CAR, NODE0, TEMPLATE, UpArgs, chain_head, mint, runtime,
    shell_word,
};
use crate::util::print_json;

/// Refuses what a devnet cannot do yet, before anything is written.
fn check_up_args(args: &UpArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.nodes >= 1 && args.miners >= 1,
        "a devnet needs at least one node (--nodes) and one miner (--miners)"
    );
    anyhow::ensure!(
        args.nodes == 1,
        "--nodes {}: a devnet runs one node for now; several nodes need the peer-to-peer network to sync, which is not built yet (it is the next step). Run `flowcoin devnet up --nodes 1`",
        args.nodes
    );
    anyhow::ensure!(
        args.miners == 1,
        "--miners {}: a node mines for one miner (`flowcoin daemon --miner`), so one node means one genesis miner; more miners need more nodes, which need the network. Run `flowcoin devnet up --miners 1`",
        args.miners
    );
    let max = MAX_GENESIS_SECTORS_PER_MINER as u64;
    anyhow::ensure!(
        (1..=max).contains(&args.sectors),
        "--sectors {}: a genesis miner starts with 1 to {max} sectors",
        args.sectors
    );
    let allowed = NetworkParams::devnet().sector_sizes;
    anyhow::ensure!(
        allowed.contains(&args.sector_size),
        "--sector-size {}: the devnet's sector sizes are {}",
        args.sector_size,
        allowed
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
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
    if let Some(record) = refuse_existing(&dir, &flag)? {
        return restart(&dir, &flag, record, args.json);
    }

    let miner = Address::Id(FIRST_GENESIS_MINER_ID)
        .display(Network::Devnet)
        .to_string();
    // The record first: whatever `up` leaves behind, `down --clean` finds it.
    let mut record = new_record(&miner)?;
    record.save(&dir)?;
    let repo = dir.join(NODE0);
    let plan = GenesisPlan {
        repo: &repo,
        template: &dir.join(TEMPLATE),
        car: &dir.join(GENESIS_CAR),
        sector_size: args.sector_size,
        sectors: args.sectors,
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
    record.miners.push(MinerRecord {
        id: miner.clone(),
        node: NODE0.to_owned(),
        owner: text(built.premine),
        worker: text(built.worker),
        worker_key: WORKER_KEY.to_owned(),
        sender_key: PREMINE_KEY.to_owned(),
        sector_size: args.sector_size.bytes(),
        sectors: built.sectors.clone(),
    });
    record.save(&dir)?;

    let started = start_node(&dir, &flag, &mut record, &miner)?;
    let token = mint(&repo, Permission::Admin)?;
    let summary = UpSummary {
        dir: &dir,
        flag: &flag,
        repo: &repo,
        log: &repo.join(DAEMON_LOG),
        pid: started.pid,
        url: &started.url,
        height: started.head.height,
        token: &token,
        premine: text(built.premine),
        premine_amount: built.premine_amount.to_string(),
        miners: &record.miners,
        genesis_cid: built.genesis_cid.to_string(),
    };
    if args.json {
        print_json(&summary.to_json())
    } else {
        summary.print();
        Ok(())
    }
}

/// The record of a devnet with one node mining for `miner`, not built yet.
fn new_record(miner: &str) -> anyhow::Result<DevnetRecord> {
    let mut record = DevnetRecord::new(
        unix_now()?,
        GENESIS_CAR.into(),
        GenesisKeys {
            premine: PREMINE_KEY.to_owned(),
            team: TEAM_KEY.to_owned(),
        },
    );
    record.nodes.push(NodeRecord {
        name: NODE0.to_owned(),
        repo: NODE0.into(),
        miner: Some(miner.to_owned()),
        process: None,
    });
    Ok(record)
}

/// A node that started and answers.
struct Started {
    pid: u32,
    url: String,
    head: HeadInfo,
}

/// Starts the daemon of [`NODE0`] in the background, mining for `miner`, and waits until its
/// API answers; the record says what runs at every step.
fn start_node(
    dir: &Path,
    flag: &str,
    record: &mut DevnetRecord,
    miner: &str,
) -> anyhow::Result<Started> {
    let repo = dir.join(NODE0);
    let daemon_args: Vec<OsString> = vec![
        "daemon".into(),
        "--genesis".into(),
        dir.join(GENESIS_CAR).into(),
        "--miner".into(),
        miner.into(),
        "--worker-key".into(),
        WORKER_KEY.into(),
        // The worker has no funds at genesis; the owner (the premine) pays for the miner's
        // messages.
        "--sender-key".into(),
        PREMINE_KEY.into(),
        "--api".into(),
        "127.0.0.1:0".into(),
    ];
    let log = repo.join(DAEMON_LOG);
    let exe = std::env::current_exe().context("finding the flowcoin executable")?;
    eprintln!("starting {NODE0} (log: {})", log.display());
    let runtime = runtime()?;
    let mut child = process::spawn_daemon(&exe, &daemon_args, &repo, &log)?;
    let pid = child.id();
    // Recorded before waiting: if `up` is interrupted now, `down` still finds the daemon.
    let mut process = ProcessRecord {
        pid,
        start_time: process::start_time(pid),
        started: unix_now()?,
        api: None,
    };
    set_process(record, NODE0, Some(process.clone()));
    record.save(dir)?;
    let (url, head) = match wait_for_api(&runtime, &mut child, &repo, &log) {
        Ok(answer) => answer,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            set_process(record, NODE0, None);
            let _ = record.save(dir);
            return Err(e.context(format!(
                "{NODE0} did not start; its files are kept in {} (remove them with `flowcoin devnet down --clean{flag}`)",
                dir.display()
            )));
        }
    };
    process.api = Some(url.clone());
    set_process(record, NODE0, Some(process));
    record.save(dir)?;
    Ok(Started { pid, url, head })
}

/// Starts the stopped devnet of `record` again: the daemon resumes from its stored head and
/// works through the epochs it missed one by one, proving each deadline as it comes.
fn restart(dir: &Path, flag: &str, mut record: DevnetRecord, json: bool) -> anyhow::Result<()> {
    let miner = record.miners.first().map(|m| m.id.clone()).context(
        "the devnet record names no miner: remove it with `flowcoin devnet down --clean`",
    )?;
    let premine = record
        .miners
        .first()
        .map(|m| m.owner.clone())
        .unwrap_or_default();
    let genesis_cid = record.genesis_cid.clone().unwrap_or_default();
    let started = start_node(dir, flag, &mut record, &miner)?;
    let repo = dir.join(NODE0);
    let token = mint(&repo, Permission::Admin)?;
    let summary = UpSummary {
        dir,
        flag,
        repo: &repo,
        log: &repo.join(DAEMON_LOG),
        pid: started.pid,
        url: &started.url,
        height: started.head.height,
        token: &token,
        premine,
        premine_amount: flowcoin_types::economics::GenesisAllocation::PREMINE.to_string(),
        miners: &record.miners,
        genesis_cid,
    };
    if json {
        print_json(&summary.to_json())
    } else {
        eprintln!(
            "restarted the devnet in {} at height {}",
            dir.display(),
            started.head.height
        );
        summary.print();
        Ok(())
    }
}

/// Refuses a directory that holds a running devnet, or files a devnet would overwrite;
/// returns the record of a stopped devnet (to restart).
fn refuse_existing(dir: &Path, flag: &str) -> anyhow::Result<Option<DevnetRecord>> {
    if let Some(record) = DevnetRecord::load(dir)? {
        let running = record.nodes.iter().find_map(|node| {
            node.process
                .as_ref()
                .filter(|p| process::is_running(p))
                .map(|p| (node, p))
        });
        if let Some((node, p)) = running {
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
    for name in [NODE0, GENESIS_CAR, TEMPLATE] {
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

/// What `up` reports.
struct UpSummary<'a> {
    dir: &'a Path,
    flag: &'a str,
    repo: &'a Path,
    log: &'a Path,
    pid: u32,
    url: &'a str,
    height: u64,
    token: &'a str,
    premine: String,
    premine_amount: String,
    miners: &'a [MinerRecord],
    genesis_cid: String,
}

impl UpSummary<'_> {
    fn to_json(&self) -> serde_json::Value {
        json!({
            "dir": self.dir.display().to_string(),
            "nodes": [{
                "name": NODE0,
                "repo": self.repo.display().to_string(),
                "api": self.url,
                "pid": self.pid,
                "height": self.height,
                "log": self.log.display().to_string(),
            }],
            "token": self.token,
            "permission": Permission::Admin,
            "premine": {"key": PREMINE_KEY, "address": self.premine, "amount": self.premine_amount},
            "miners": self.miners.iter().map(|m| json!({
                "id": m.id,
                "node": m.node,
                "worker": m.worker,
                "sector_size": m.sector_size,
                "sectors": m.sectors,
            })).collect::<Vec<_>>(),
            "genesis": {
                "cid": self.genesis_cid,
                "car": self.dir.join(GENESIS_CAR).display().to_string(),
            },
        })
    }

    fn print(&self) {
        let repo = shell_word(self.repo);
        println!("devnet running in {}", self.dir.display());
        println!(
            "  {NODE0}     pid {}, API {}, height {}",
            self.pid, self.url, self.height
        );
        for m in self.miners {
            let size = SectorSize::try_from(m.sector_size)
                .map_or_else(|_| format!("{} B", m.sector_size), |s| s.to_string());
            println!(
                "  miner     {} (worker {}), {} sectors of {size}, mined by {}",
                m.id,
                m.worker,
                m.sectors.len(),
                m.node
            );
        }
        println!(
            "  premine   key {PREMINE_KEY} in {NODE0}'s keystore: {} holds {}",
            self.premine, self.premine_amount
        );
        println!(
            "  genesis   {} ({})",
            self.genesis_cid,
            self.dir.join(GENESIS_CAR).display()
        );
        println!("  log       {}", self.log.display());
        println!();
        println!("Admin token for the API (send it as `Authorization: Bearer TOKEN`):");
        println!("{}", self.token);
        println!();
        println!("Use the node from the command line (a new block every 2 s):");
        println!("  export FLOWCOIN_PATH={repo}");
        println!("  flowcoin chain head");
        println!("  flowcoin wallet send --from {PREMINE_KEY} ADDRESS \"1 FLW\"");
        println!("or call the API directly:");
        println!(
            "  curl -H \"Authorization: Bearer $(FLOWCOIN_PATH={repo} flowcoin auth create-token --perm read)\" \\"
        );
        println!(
            "    -d '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"Flowcoin.ChainHead\",\"params\":[]}}' {}",
            self.url
        );
        println!("Watch it:  flowcoin devnet status{}", self.flag);
        println!("Stop it:   flowcoin devnet down{} [--clean]", self.flag);
    }
}

#[cfg(test)]
mod tests {
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
}
