//! `flowcoin key`: the node's keystore (`$FLOWCOIN_PATH/keystore`, docs/KEYSTORE.md).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use flowcoin_crypto::{KeyInfo, KeyType, Keystore};
use flowcoin_types::Network;

use crate::repo::Repo;

/// Key management.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate a key and store it (encrypted if a passphrase is given).
    New {
        /// Signature scheme.
        #[arg(long = "type", value_enum, default_value = "bls")]
        key_type: Scheme,
        /// A name for the key ([a-z0-9_-], at most 64); default: derived from the public key.
        #[arg(long)]
        name: Option<String>,
        /// Read a passphrase from this file (first line) and encrypt the key with it;
        /// `FLOWCOIN_PASSPHRASE` in the environment does the same.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
        /// Network whose address form to print.
        #[arg(long, value_enum, default_value = "devnet")]
        network: NetworkArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the stored keys with their addresses (no passphrase needed).
    List {
        /// Network whose address form to print.
        #[arg(long, value_enum, default_value = "devnet")]
        network: NetworkArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a stored key.
    Remove {
        /// The key's name (as `flowcoin key list` shows it).
        name: String,
    },
}

/// A signature scheme on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Scheme {
    /// BLS12-381 (Filecoin's; block producers and miner workers).
    Bls,
    /// Ed25519.
    Ed25519,
}

/// A network on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum NetworkArg {
    /// The local development network (`t` addresses).
    Devnet,
    /// The main network (`f` addresses).
    Mainnet,
}

impl From<NetworkArg> for Network {
    fn from(n: NetworkArg) -> Self {
        match n {
            NetworkArg::Devnet => Network::Devnet,
            NetworkArg::Mainnet => Network::Mainnet,
        }
    }
}

/// Runs a key command.
pub fn run(repo: &Repo, command: KeyCommand) -> anyhow::Result<()> {
    let dir = repo.root().join("keystore");
    let store = Keystore::open(&dir).with_context(|| format!("opening {}", dir.display()))?;
    match command {
        KeyCommand::New {
            key_type,
            name,
            passphrase_file,
            network,
            json,
        } => {
            let passphrase = passphrase(passphrase_file)?;
            let key_type = match key_type {
                Scheme::Bls => KeyType::Bls,
                Scheme::Ed25519 => KeyType::Ed25519,
            };
            let info = store.generate(key_type, name.as_deref(), passphrase.as_deref())?;
            print_keys(&[info], network.into(), json)
        }
        KeyCommand::List { network, json } => print_keys(&store.list()?, network.into(), json),
        KeyCommand::Remove { name } => {
            store.remove(&name)?;
            println!("removed key {name}");
            Ok(())
        }
    }
}

/// The passphrase from `--passphrase-file` or `FLOWCOIN_PASSPHRASE`, if any.
pub(crate) fn passphrase(file: Option<PathBuf>) -> anyhow::Result<Option<String>> {
    if let Some(file) = file {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("reading the passphrase from {}", file.display()))?;
        let line = text.lines().next().unwrap_or_default().to_owned();
        anyhow::ensure!(
            !line.is_empty(),
            "{} holds an empty passphrase",
            file.display()
        );
        return Ok(Some(line));
    }
    Ok(std::env::var("FLOWCOIN_PASSPHRASE")
        .ok()
        .filter(|p| !p.is_empty()))
}

fn print_keys(keys: &[KeyInfo], network: Network, json: bool) -> anyhow::Result<()> {
    if json {
        let list: Vec<_> = keys
            .iter()
            .map(|k| {
                serde_json::json!({
                    "name": k.name.to_string(),
                    "type": type_name(k.key_type()),
                    "address": k.public_key.address().display(network).to_string(),
                    "public_key": hex::encode(k.public_key.to_bytes()),
                    "encrypted": k.encrypted,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    for k in keys {
        println!(
            "{}  {}  {}{}",
            k.public_key.address().display(network),
            type_name(k.key_type()),
            k.name,
            if k.encrypted { "  (encrypted)" } else { "" }
        );
    }
    Ok(())
}

fn type_name(t: KeyType) -> &'static str {
    match t {
        KeyType::Bls => "bls",
        KeyType::Ed25519 => "ed25519",
    }
}
