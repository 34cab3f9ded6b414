//! `flowcoin devnet`: `up` builds a genesis with pre-sealed miners and starts mining nodes in
//! the background, `status` shows their chains growing, `down` stops them; what a devnet
//! cannot do is refused with a message that says why.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{fails, json, ok, s};
use rustix::process::{Pid, Signal, kill_process, test_kill_process};
use serde_json::Value;

/// How long the chain may take to grow (generous: the machine may be busy).
const GROWTH_TIMEOUT: Duration = Duration::from_secs(300);

/// Whether process `pid` runs (an exited one waiting to be reaped does not).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next());
            !matches!(state, Some("Z" | "X") | None)
        }
        Err(_) if Path::new("/proc/self/stat").exists() => false,
        Err(_) => test_kill_process(pid_of(pid)).is_ok(),
    }
}

fn pid_of(pid: u32) -> Pid {
    Pid::from_raw(i32::try_from(pid).unwrap()).unwrap()
}

/// Kills the devnet's daemon if the test fails before `devnet down` stops it.
struct DaemonGuard(u32);

impl Drop for DaemonGuard {
    fn drop(&mut self) {
        if alive(self.0) {
            let _ = kill_process(pid_of(self.0), Signal::KILL);
        }
    }
}

/// `devnet status --json`'s nodes.
fn statuses(repo: &Path, dir: &Path) -> Vec<Value> {
    let status = json(repo, &["devnet", "status", "--dir", s(dir), "--json"]);
    status["nodes"].as_array().expect("a nodes list").clone()
}

/// Waits until every node runs with the same head, at least at `min_height`, connected to
/// `nodes - 1` peers; returns the statuses.
fn wait_agreement(repo: &Path, dir: &Path, min_height: u64, nodes: u64) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let now = statuses(repo, dir);
        let first = &now[0];
        let agree = now.iter().all(|n| {
            n["running"] == true
                && n["head"] == first["head"]
                && n["height"].as_u64().unwrap_or(0) >= min_height
                && n["peers"].as_u64() == Some(nodes - 1)
        });
        if agree {
            return now;
        }
        assert!(
            start.elapsed() < GROWTH_TIMEOUT,
            "the nodes did not agree in {GROWTH_TIMEOUT:?}: {now:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// `devnet status --json`'s only node.
fn node_status(repo: &Path, dir: &Path) -> Value {
    let nodes = statuses(repo, dir);
    assert_eq!(nodes.len(), 1, "{nodes:?}");
    nodes[0].clone()
}

/// Whether `peers` is what a node reports without other nodes: null from a daemon without
/// the network (no `Flowcoin.NetPeers`), 0 from one with it.
fn no_peers(peers: &Value) -> bool {
    peers.is_null() || peers == 0
}

#[test]
fn devnet_up_mines_until_down() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devnet");
    // FLOWCOIN_PATH points here: the devnet must not use it.
    let repo = tmp.path().join("unused-repo");

    let up = json(&repo, &["devnet", "up", "--dir", s(&dir), "--json"]);
    let pid = u32::try_from(up["nodes"][0]["pid"].as_u64().expect("a pid")).unwrap();
    let _guard = DaemonGuard(pid);
    assert!(alive(pid), "the daemon runs after `up` returned: {up}");
    let api = up["nodes"][0]["api"].as_str().unwrap();
    assert!(api.starts_with("http://127.0.0.1:"), "{api}");
    assert_eq!(up["nodes"][0]["repo"], s(&dir.join("node0")));
    assert!(!up["token"].as_str().unwrap().is_empty());
    assert_eq!(up["premine"]["key"], "genesis-premine");
    assert_eq!(up["miners"][0]["id"], "t01000");
    assert_eq!(up["miners"][0]["sectors"], serde_json::json!([0, 1]));
    assert!(dir.join("node0/sectors/f01000/1/sector.json").exists());
    assert!(dir.join("genesis.car").exists());
    assert!(!repo.exists(), "the devnet wrote to FLOWCOIN_PATH");

    let first = node_status(&repo, &dir);
    assert_eq!(first["running"], true, "{first}");
    assert_eq!(first["pid"], pid);
    assert_eq!(first["api"], api);
    assert!(no_peers(&first["peers"]), "{first}");
    let first_height = first["height"].as_u64().expect("a height");
    let start = Instant::now();
    let grown = loop {
        let now = node_status(&repo, &dir);
        if now["height"].as_u64().is_some_and(|h| h > first_height) {
            break now;
        }
        assert!(
            start.elapsed() < GROWTH_TIMEOUT,
            "the chain did not grow past {first_height} in {GROWTH_TIMEOUT:?}: {now}\n{}",
            std::fs::read_to_string(dir.join("node0/daemon.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(grown["running"], true);
    assert_eq!(grown["miners"], serde_json::json!(["t01000"]), "{grown}");
    assert!(
        grown["head"][0].as_str().unwrap().starts_with("bafy"),
        "{grown}"
    );

    let again = fails(&repo, &["devnet", "up", "--dir", s(&dir)]);
    assert!(again.contains("already running"), "{again}");
    assert!(again.contains(&format!("pid {pid}")), "{again}");

    let down = ok(&repo, &["devnet", "down", "--dir", s(&dir)]);
    assert!(
        down.contains(&format!("stopped node0 (pid {pid})")),
        "{down}"
    );
    assert!(!alive(pid), "the daemon still runs after `down`");
    assert!(
        !dir.join("node0/api").exists(),
        "the daemon left its api file"
    );
    let stopped = node_status(&repo, &dir);
    assert_eq!(stopped["running"], false, "{stopped}");
    assert_eq!(stopped["pid"], Value::Null);
    assert_eq!(stopped["height"], Value::Null);

    let nothing = ok(&repo, &["devnet", "down", "--dir", s(&dir)]);
    assert!(
        nothing.contains("not running: nothing to stop"),
        "{nothing}"
    );
    // `up` again restarts the stopped devnet from its stored head.
    let grown_height = grown["height"].as_u64().unwrap();
    let restarted = json(&repo, &["devnet", "up", "--dir", s(&dir), "--json"]);
    let pid = u32::try_from(restarted["nodes"][0]["pid"].as_u64().expect("a pid")).unwrap();
    let _guard = DaemonGuard(pid);
    let again = node_status(&repo, &dir);
    assert_eq!(again["running"], true, "{again}");
    assert!(
        again["height"].as_u64().is_some_and(|h| h >= grown_height),
        "the restarted chain lost blocks: {again}"
    );
    ok(&repo, &["devnet", "down", "--dir", s(&dir)]);
    assert!(!alive(pid), "the restarted daemon still runs after `down`");

    ok(&repo, &["devnet", "down", "--dir", s(&dir), "--clean"]);
    assert!(!dir.exists(), "--clean left {}", dir.display());
    let gone = fails(&repo, &["devnet", "down", "--dir", s(&dir)]);
    assert!(gone.contains("no devnet in"), "{gone}");
}

#[test]
fn what_a_devnet_cannot_do_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devnet");
    let repo = tmp.path().join("repo");

    let nodes = fails(&repo, &["devnet", "up", "--dir", s(&dir), "--nodes", "17"]);
    assert!(
        nodes.contains("--nodes 17: a devnet runs 1 to 16 nodes"),
        "{nodes}"
    );
    let miners = fails(&repo, &["devnet", "up", "--dir", s(&dir), "--miners", "3"]);
    assert!(
        miners.contains("--miners 3 with --nodes 1") && miners.contains("at most as many miners"),
        "{miners}"
    );
    let more = fails(
        &repo,
        &[
            "devnet",
            "up",
            "--dir",
            s(&dir),
            "--nodes",
            "2",
            "--miners",
            "3",
        ],
    );
    assert!(more.contains("--miners 3 with --nodes 2"), "{more}");
    let none = fails(&repo, &["devnet", "up", "--dir", s(&dir), "--miners", "0"]);
    assert!(none.contains("--miners 0"), "{none}");
    for (block_time, why) in [
        ("0s", "a block time of 0"),
        ("500ms", "epochs are whole seconds"),
        ("2h", "unknown unit"),
        ("10m", "more than 60 s"),
        ("fast", "not a duration"),
    ] {
        let err = fails(
            &repo,
            &["devnet", "up", "--dir", s(&dir), "--block-time", block_time],
        );
        assert!(err.contains(why), "--block-time {block_time}: {err}");
    }
    let size = fails(
        &repo,
        &["devnet", "up", "--dir", s(&dir), "--sector-size", "32GiB"],
    );
    assert!(size.contains("the devnet's sector sizes are"), "{size}");
    let sectors = fails(&repo, &["devnet", "up", "--dir", s(&dir), "--sectors", "0"]);
    assert!(sectors.contains("--sectors 0"), "{sectors}");
    assert!(!dir.exists(), "a refused `up` created {}", dir.display());

    for command in ["status", "down"] {
        let err = fails(&repo, &["devnet", command, "--dir", s(&dir)]);
        assert!(err.contains("no devnet in"), "{command}: {err}");
        assert!(err.contains("flowcoin devnet up"), "{command}: {err}");
    }

    std::fs::create_dir_all(dir.join("node0")).unwrap();
    let foreign = fails(&repo, &["devnet", "up", "--dir", s(&dir)]);
    assert!(foreign.contains("not a devnet directory"), "{foreign}");
    assert!(dir.join("node0").exists());
}

/// Waits until the devnet's node reports a height of at least `target`; returns it.
fn wait_for_height(repo: &Path, dir: &Path, target: u64) -> u64 {
    let start = Instant::now();
    loop {
        let now = node_status(repo, dir);
        if let Some(h) = now["height"].as_u64().filter(|h| *h >= target) {
            return h;
        }
        assert!(
            start.elapsed() < GROWTH_TIMEOUT,
            "the chain did not reach {target}: {now}\n{}",
            std::fs::read_to_string(dir.join("node0/daemon.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn a_killed_node_restarts_from_its_head_and_keeps_mining() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devnet");
    let repo = tmp.path().join("unused-repo");
    let up = json(&repo, &["devnet", "up", "--dir", s(&dir), "--json"]);
    let pid = u32::try_from(up["nodes"][0]["pid"].as_u64().unwrap()).unwrap();
    let guard = DaemonGuard(pid);
    let before = wait_for_height(&repo, &dir, 4);

    // kill -9: nothing committed may be lost.
    kill_process(pid_of(pid), Signal::KILL).unwrap();
    let start = Instant::now();
    while alive(pid) {
        assert!(
            start.elapsed() < GROWTH_TIMEOUT,
            "the daemon survived SIGKILL"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(guard);
    let restarted = json(&repo, &["devnet", "up", "--dir", s(&dir), "--json"]);
    let pid = u32::try_from(restarted["nodes"][0]["pid"].as_u64().unwrap()).unwrap();
    let _guard = DaemonGuard(pid);
    let resumed = node_status(&repo, &dir)["height"].as_u64().unwrap();
    assert!(
        resumed >= before,
        "the head went back from {before} to {resumed}"
    );
    // And it keeps mining on top.
    wait_for_height(&repo, &dir, resumed + 2);
    ok(&repo, &["devnet", "down", "--dir", s(&dir), "--clean"]);
}

/// The node named `name` in `status --json`'s list.
fn named<'a>(nodes: &'a [Value], name: &str) -> &'a Value {
    nodes
        .iter()
        .find(|n| n["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {nodes:?}"))
}

#[test]
fn three_nodes_with_two_miners_agree_move_files_and_survive_a_killed_node() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("devnet");
    let repo = tmp.path().join("unused-repo");
    let up = json(
        &repo,
        &[
            "devnet",
            "up",
            "--dir",
            s(&dir),
            "--nodes",
            "3",
            "--miners",
            "2",
            "--sectors",
            "1",
            "--block-time",
            "1s",
            "--json",
        ],
    );
    let nodes = up["nodes"].as_array().expect("a nodes list").clone();
    assert_eq!(nodes.len(), 3, "{up}");
    let pids: Vec<u32> = nodes
        .iter()
        .map(|n| u32::try_from(n["pid"].as_u64().expect("a pid")).unwrap())
        .collect();
    let _guards: Vec<DaemonGuard> = pids.iter().map(|pid| DaemonGuard(*pid)).collect();
    assert!(pids.iter().all(|pid| alive(*pid)), "{up}");
    assert_eq!(up["block_time_secs"], 1);

    // Node i mines for t0100i, node 2 for nobody; each has a token and a p2p address.
    let p2p: Vec<&str> = nodes.iter().map(|n| n["p2p"].as_str().unwrap()).collect();
    for (index, node) in nodes.iter().enumerate() {
        assert_eq!(node["name"], format!("node{index}"), "{up}");
        assert_eq!(node["repo"], s(&dir.join(format!("node{index}"))));
        assert!(!node["token"].as_str().unwrap().is_empty(), "{node}");
        assert!(p2p[index].starts_with("/ip4/127.0.0.1/tcp/"), "{node}");
    }
    assert_eq!(nodes[0]["miner"], "t01000");
    assert_eq!(nodes[1]["miner"], "t01001");
    assert_eq!(nodes[2]["miner"], Value::Null);
    assert_eq!(up["token"], nodes[0]["token"]);
    let mut distinct = p2p.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "ports shared: {p2p:?}");

    // Each node listens on its address and dials the two others.
    for (index, listen) in p2p.iter().enumerate() {
        let others: Vec<String> = (0..3)
            .filter(|j| *j != index)
            .map(|j| format!("\"{}\"", p2p[j]))
            .collect();
        let config = std::fs::read_to_string(dir.join(format!("node{index}/config.toml"))).unwrap();
        assert!(config.contains("[net]"), "{config}");
        assert!(
            config.contains(&format!("listen = [\"{listen}\"]\n")),
            "node{index}: {config}"
        );
        assert!(
            config.contains(&format!("bootstrap = [{}]\n", others.join(", "))),
            "node{index}: {config}"
        );
    }

    // Miner i's keys and sectors are on node i only; the funded keys on node0.
    let miners = up["miners"].as_array().unwrap();
    assert_eq!(miners.len(), 2, "{up}");
    assert_eq!(miners[0]["id"], "t01000");
    assert_eq!(miners[0]["node"], "node0");
    assert_eq!(miners[0]["owner_key"], "genesis-premine");
    assert_eq!(miners[1]["id"], "t01001");
    assert_eq!(miners[1]["node"], "node1");
    assert_eq!(miners[1]["owner_key"], "owner");
    assert_ne!(miners[0]["worker"], miners[1]["worker"]);
    assert_ne!(miners[0]["owner"], miners[1]["owner"]);
    assert!(dir.join("node0/sectors/f01000/0/sector.json").exists());
    assert!(dir.join("node1/sectors/f01001/0/sector.json").exists());
    assert!(!dir.join("node0/sectors/f01001").exists());
    assert!(dir.join("node0/keystore/genesis-premine.json").exists());
    assert!(dir.join("node1/keystore/owner.json").exists());
    assert!(dir.join("node1/keystore/worker.json").exists());
    assert!(!dir.join("node1/keystore/genesis-premine.json").exists());
    assert!(!dir.join("node2/keystore/worker.json").exists());

    // Both miners' chains grow (each its own until the nodes sync); node2 runs and mines nothing.
    let start = Instant::now();
    let grown = loop {
        let now = statuses(&repo, &dir);
        assert_eq!(now.len(), 3, "{now:?}");
        let height = |name: &str| named(&now, name)["height"].as_u64().unwrap_or(0);
        if height("node0") >= 2 && height("node1") >= 2 {
            break now;
        }
        assert!(
            start.elapsed() < GROWTH_TIMEOUT,
            "the miners' chains did not grow in {GROWTH_TIMEOUT:?}: {now:?}\n{}\n{}",
            std::fs::read_to_string(dir.join("node0/daemon.log")).unwrap_or_default(),
            std::fs::read_to_string(dir.join("node1/daemon.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    for (index, node) in ["node0", "node1", "node2"].iter().enumerate() {
        let status = named(&grown, node);
        assert_eq!(status["running"], true, "{status}");
        assert_eq!(status["pid"], pids[index], "{status}");
        assert_eq!(status["p2p"], p2p[index], "{status}");
        assert_eq!(status["error"], Value::Null, "{status}");
        let peers = &status["peers"];
        assert!(peers.is_null() || peers.as_u64().is_some(), "{status}");
    }
    assert_eq!(named(&grown, "node2")["miner"], Value::Null);
    // The network joins them: one chain, every node connected to the two others.
    let agreed = wait_agreement(&repo, &dir, 3, 3);
    for name in ["node0", "node1"] {
        let miners = named(&agreed, name)["miners"].as_array().unwrap().clone();
        assert!(
            !miners.is_empty() && miners.iter().all(|m| m == "t01000" || m == "t01001"),
            "{name}: {miners:?}"
        );
    }

    // An operator cuts node1 off node0 and lets it back (`net block` / `net unblock`).
    let node0_repo = dir.join("node0");
    let node1_id = json(&dir.join("node1"), &["net", "id", "--json"])["peer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(&node0_repo, &["net", "block", &node1_id]);
    let start = Instant::now();
    loop {
        let peers = json(&node0_repo, &["net", "peers", "--json"]);
        if peers
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["peer_id"] != node1_id.as_str())
        {
            break;
        }
        assert!(
            start.elapsed() < GROWTH_TIMEOUT,
            "node1 still connected: {peers}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    ok(&node0_repo, &["net", "unblock", &node1_id]);
    wait_agreement(&repo, &dir, 3, 3);

    // A file imported on node0 is fetched by CID on node2 (DHT, then bitswap).
    let file = common::write_vector(&tmp.path().join("file"), 7, 3 << 20);
    let node0 = dir.join("node0");
    let node2 = dir.join("node2");
    let cid = ok(
        &node0,
        &["client", "import", s(&file), "--cid-version", "1", "-q"],
    );
    let out = tmp.path().join("fetched");
    ok(&node2, &["client", "get", cid.trim(), "-o", s(&out)]);
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(&file).unwrap());

    // A miner killed with SIGKILL is started again by `up` (the others keep running) and
    // catches up with them.
    kill_process(pid_of(pids[1]), Signal::KILL).unwrap();
    let start = Instant::now();
    while alive(pids[1]) {
        assert!(
            start.elapsed() < GROWTH_TIMEOUT,
            "SIGKILL did not stop node1"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let before = named(&statuses(&repo, &dir), "node0")["height"]
        .as_u64()
        .unwrap();
    let again = json(&repo, &["devnet", "up", "--dir", s(&dir), "--json"]);
    let restarted: Vec<u32> = again["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| u32::try_from(n["pid"].as_u64().unwrap()).unwrap())
        .collect();
    let _guard = DaemonGuard(restarted[1]);
    assert_eq!(restarted[0], pids[0], "node0 was restarted: {again}");
    assert_eq!(restarted[2], pids[2], "node2 was restarted: {again}");
    assert_ne!(restarted[1], pids[1], "{again}");
    wait_agreement(&repo, &dir, before + 2, 3);
    let pids = restarted;

    let down = ok(&repo, &["devnet", "down", "--dir", s(&dir), "--clean"]);
    for (index, pid) in pids.iter().enumerate() {
        assert!(
            down.contains(&format!("stopped node{index} (pid {pid})")),
            "{down}"
        );
        assert!(!alive(*pid), "node{index} still runs after `down`");
    }
    assert!(!dir.exists(), "--clean left {}", dir.display());
}
