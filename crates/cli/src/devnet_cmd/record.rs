//! `DIR/devnet.json`: what `devnet up` made and started, so that `status` and `down` find it.
//!
//! The format is described in docs/DEVNET.md. Paths inside are relative to the devnet's
//! directory, so the directory can be moved while the devnet is down.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

/// The file's name in the devnet's directory.
pub(super) const RECORD_FILE: &str = "devnet.json";
/// The version of the format this build writes and reads.
const FORMAT_VERSION: u32 = 1;
/// Largest `devnet.json` read (a real one is about a kilobyte).
const MAX_RECORD_BYTES: u64 = 1 << 20;

/// The contents of `devnet.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct DevnetRecord {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The network (always `devnet`).
    pub network: String,
    /// When `devnet up` made the devnet, seconds since the Unix epoch.
    pub created: u64,
    /// The genesis CAR, relative to the directory.
    pub genesis: PathBuf,
    /// The genesis block's CID (none while `up` is still building it).
    pub genesis_cid: Option<String>,
    /// The keystore names of the funded genesis keys (in the first node's keystore).
    pub keys: GenesisKeys,
    /// The nodes, in the order they were made.
    pub nodes: Vec<NodeRecord>,
    /// The genesis miners.
    pub miners: Vec<MinerRecord>,
    /// The epoch length the genesis was built with, in seconds (absent in records of devnets
    /// made before `--block-time`: those have the devnet preset's 2 s).
    #[serde(default)]
    pub block_time_secs: Option<u64>,
}

/// Keystore names of the genesis allocations' keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct GenesisKeys {
    /// The premine account's key (31,000,000 FLW).
    pub premine: String,
    /// The team vesting beneficiary's key.
    pub team: String,
}

/// One node: its repository and, while it runs, its process and API.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct NodeRecord {
    /// Its name (`node0`, `node1`, …).
    pub name: String,
    /// Its repository (`FLOWCOIN_PATH`), relative to the directory.
    pub repo: PathBuf,
    /// The miner it mines for, if any (`t01000`).
    pub miner: Option<String>,
    /// The peer-to-peer address it listens on (`/ip4/127.0.0.1/tcp/PORT`), chosen when the
    /// devnet was made; absent in records of devnets made before the network (`up` picks one
    /// when it restarts them).
    #[serde(default)]
    pub p2p: Option<String>,
    /// Its daemon, while it runs.
    pub process: Option<ProcessRecord>,
}

/// A running daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ProcessRecord {
    /// Its process ID.
    pub pid: u32,
    /// Its start time as the OS counts it (Linux: clock ticks after boot), so that a process
    /// that later got the same ID is not mistaken for it; none where the OS does not say.
    pub start_time: Option<u64>,
    /// When `devnet up` started it, seconds since the Unix epoch.
    pub started: u64,
    /// Its API's URL, once it answers.
    pub api: Option<String>,
}

/// A genesis miner.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct MinerRecord {
    /// Its ID address (`t01000`).
    pub id: String,
    /// The node that mines for it.
    pub node: String,
    /// The owner's address (the premine key's).
    pub owner: String,
    /// The worker's BLS address.
    pub worker: String,
    /// The worker key's name in the node's keystore.
    pub worker_key: String,
    /// The key that pays for the miner's messages.
    pub sender_key: String,
    /// Its sector size in bytes.
    pub sector_size: u64,
    /// The numbers of its pre-sealed sectors.
    pub sectors: Vec<u64>,
}

impl DevnetRecord {
    /// A record for a devnet being made now.
    pub fn new(created: u64, genesis: PathBuf, keys: GenesisKeys) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            network: "devnet".to_owned(),
            created,
            genesis,
            genesis_cid: None,
            keys,
            nodes: Vec::new(),
            miners: Vec::new(),
            block_time_secs: None,
        }
    }

    /// The record in `dir`, or `None` if there is none.
    pub fn load(dir: &Path) -> anyhow::Result<Option<Self>> {
        let path = dir.join(RECORD_FILE);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let mut text = String::new();
        file.take(MAX_RECORD_BYTES)
            .read_to_string(&mut text)
            .with_context(|| format!("reading {}", path.display()))?;
        let record: Self = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a devnet record (remove the directory by hand if it is a broken devnet)",
                path.display()
            )
        })?;
        anyhow::ensure!(
            record.format_version == FORMAT_VERSION,
            "{} has format version {}, this flowcoin reads version {FORMAT_VERSION} (stop and remove that devnet with the flowcoin that made it)",
            path.display(),
            record.format_version
        );
        Ok(Some(record))
    }

    /// Writes the record to `dir` (temporary file, fsync, rename).
    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join(RECORD_FILE);
        let tmp = dir.join(format!("{RECORD_FILE}.tmp-{}", std::process::id()));
        let mut json = serde_json::to_vec_pretty(self).context("encoding the devnet record")?;
        json.push(b'\n');
        let written = File::create(&tmp).and_then(|mut file| {
            file.write_all(&json)?;
            file.sync_all()
        });
        let renamed = written.and_then(|()| std::fs::rename(&tmp, &path));
        if renamed.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        renamed.with_context(|| format!("writing {}", path.display()))
    }

    /// The node named `name`.
    pub fn node_mut(&mut self, name: &str) -> Option<&mut NodeRecord> {
        self.nodes.iter_mut().find(|n| n.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_record_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        assert!(DevnetRecord::load(dir.path()).unwrap().is_none());
        let mut record = DevnetRecord::new(
            1_700_000_000,
            "genesis.car".into(),
            GenesisKeys {
                premine: "genesis-premine".into(),
                team: "genesis-team".into(),
            },
        );
        record.nodes.push(NodeRecord {
            name: "node0".into(),
            repo: "node0".into(),
            miner: Some("t01000".into()),
            p2p: Some("/ip4/127.0.0.1/tcp/4001".into()),
            process: Some(ProcessRecord {
                pid: 42,
                start_time: Some(7),
                started: 1_700_000_001,
                api: Some("http://127.0.0.1:1234/rpc/v0".into()),
            }),
        });
        record.save(dir.path()).unwrap();
        let loaded = DevnetRecord::load(dir.path()).unwrap().unwrap();
        assert_eq!(loaded.created, record.created);
        assert_eq!(loaded.nodes[0].process, record.nodes[0].process);
        assert_eq!(loaded.nodes[0].repo, Path::new("node0"));
        assert_eq!(loaded.nodes[0].p2p, record.nodes[0].p2p);
    }

    #[test]
    fn a_record_from_before_the_network_loads() {
        let dir = tempfile::tempdir().unwrap();
        let old = r#"{"format_version": 1, "network": "devnet", "created": 1, "genesis": "genesis.car",
            "genesis_cid": "bafy", "keys": {"premine": "genesis-premine", "team": "genesis-team"},
            "nodes": [{"name": "node0", "repo": "node0", "miner": "t01000", "process": null}],
            "miners": []}"#;
        std::fs::write(dir.path().join(RECORD_FILE), old).unwrap();
        let loaded = DevnetRecord::load(dir.path()).unwrap().unwrap();
        assert_eq!(loaded.nodes[0].p2p, None);
        assert_eq!(loaded.block_time_secs, None);
    }

    #[test]
    fn another_format_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let keys = GenesisKeys {
            premine: "p".into(),
            team: "t".into(),
        };
        let mut record = DevnetRecord::new(0, "genesis.car".into(), keys);
        record.format_version = 99;
        record.save(dir.path()).unwrap();
        let err = DevnetRecord::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("format version 99"), "{err}");
    }
}
