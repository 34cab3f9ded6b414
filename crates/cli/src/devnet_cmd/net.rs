//! The devnet's peer-to-peer wiring: a loopback port for each node, and the `config.toml`
//! that tells a node where to listen and whom to dial.
//!
//! The ports are picked before any node starts, by binding `127.0.0.1:0` once per node (all
//! at the same time, so they differ) and releasing them; they are recorded in `devnet.json`
//! and kept across restarts. Each node's `config.toml` is written before it starts:
//!
//! ```toml
//! # written by `flowcoin devnet up`
//! [net]
//! listen = ["/ip4/127.0.0.1/tcp/40001"]
//! bootstrap = ["/ip4/127.0.0.1/tcp/40002", "/ip4/127.0.0.1/tcp/40003"]
//! ```

use std::fs::File;
use std::io::Write as _;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// The node configuration file in a repository.
pub(super) const CONFIG_FILE: &str = "config.toml";

/// `count` distinct free TCP ports on 127.0.0.1, as the OS hands them out now.
///
/// Another program may take one before the node binds it; the node then fails to start and
/// `up` shows its log.
pub(super) fn free_ports(count: usize) -> anyhow::Result<Vec<u16>> {
    // All bound at once: the OS gives a bound port to no one else, so they are distinct.
    let listeners = (0..count)
        .map(|_| TcpListener::bind((Ipv4Addr::LOCALHOST, 0)))
        .collect::<Result<Vec<_>, _>>()
        .context("asking the OS for free ports on 127.0.0.1")?;
    listeners
        .iter()
        .map(|l| Ok(l.local_addr()?.port()))
        .collect::<std::io::Result<Vec<u16>>>()
        .context("reading the ports the OS chose")
}

/// The peer-to-peer multiaddress of a node listening on `port` of the loopback interface.
pub(super) fn p2p_address(port: u16) -> String {
    format!("/ip4/127.0.0.1/tcp/{port}")
}

/// What a node's `config.toml` says about the network.
pub(super) struct NetConfig<'a> {
    /// The address it listens on.
    pub listen: &'a str,
    /// The addresses of the other nodes, which it dials.
    pub bootstrap: Vec<&'a str>,
}

impl NetConfig<'_> {
    /// The file's text.
    fn to_toml(&self) -> String {
        let list = |items: &[&str]| {
            items
                .iter()
                .map(|item| toml_string(item))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "# written by `flowcoin devnet up`\n[net]\nlisten = [{}]\nbootstrap = [{}]\n",
            list(&[self.listen]),
            list(&self.bootstrap)
        )
    }
}

/// The path of the configuration file of the node in `repo`.
pub(super) fn config_path(repo: &Path) -> PathBuf {
    repo.join(CONFIG_FILE)
}

/// Writes `config` to `repo/config.toml` (temporary file, fsync, rename), creating `repo`.
pub(super) fn write_config(repo: &Path, config: &NetConfig<'_>) -> anyhow::Result<()> {
    std::fs::create_dir_all(repo).with_context(|| format!("creating {}", repo.display()))?;
    let path = config_path(repo);
    let tmp = repo.join(format!("{CONFIG_FILE}.tmp-{}", std::process::id()));
    let written = File::create(&tmp).and_then(|mut file| {
        file.write_all(config.to_toml().as_bytes())?;
        file.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&tmp, &path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    renamed.with_context(|| format!("writing {}", path.display()))
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len().saturating_add(2));
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_distinct_and_nonzero() {
        let ports = free_ports(4).unwrap();
        assert_eq!(ports.len(), 4);
        assert!(ports.iter().all(|p| *p != 0));
        let mut sorted = ports.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 4, "{ports:?}");
    }

    #[test]
    fn the_config_lists_the_listen_and_bootstrap_addresses() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("node1");
        let config = NetConfig {
            listen: "/ip4/127.0.0.1/tcp/4002",
            bootstrap: vec!["/ip4/127.0.0.1/tcp/4001", "/ip4/127.0.0.1/tcp/4003"],
        };
        write_config(&repo, &config).unwrap();
        assert_eq!(
            std::fs::read_to_string(repo.join(CONFIG_FILE)).unwrap(),
            "# written by `flowcoin devnet up`\n[net]\nlisten = [\"/ip4/127.0.0.1/tcp/4002\"]\n\
             bootstrap = [\"/ip4/127.0.0.1/tcp/4001\", \"/ip4/127.0.0.1/tcp/4003\"]\n"
        );
        let alone = NetConfig {
            listen: "/ip4/127.0.0.1/tcp/4002",
            bootstrap: Vec::new(),
        };
        assert!(alone.to_toml().ends_with("bootstrap = []\n"));
    }

    #[test]
    fn toml_strings_are_escaped() {
        assert_eq!(toml_string(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(toml_string("a\nb"), r#""a\u000Ab""#);
    }
}
