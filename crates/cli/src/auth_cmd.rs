//! `flowcoin auth`: API tokens for the node's JSON-RPC API (docs/API.md).
//!
//! Tokens are minted locally from the secret in the data directory
//! (`<repo>/keystore/jwt-secret`, created on first use), so no daemon needs to run; a running
//! daemon accepts them, as does one started later with the same data directory.

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use flowcoin_node::auth::{self, JwtSecret, Permission, secret_path};
use flowcoin_node::node;

use crate::repo::Repo;

/// API token commands.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum AuthCommand {
    /// Mint an API token and print it.
    CreateToken {
        /// What the token allows; each permission includes the ones before it.
        #[arg(long, value_enum)]
        perm: PermArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print `FLOWCOIN_API_INFO=<token>:<url>` for the running daemon's API.
    ApiInfo {
        /// What the token allows; each permission includes the ones before it.
        #[arg(long, value_enum)]
        perm: PermArg,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// A permission on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PermArg {
    /// Query the node.
    Read,
    /// Change the node's state (and read).
    Write,
    /// Sign with the node's keys (and write, read).
    Sign,
    /// Manage the node (and everything else).
    Admin,
}

impl From<PermArg> for Permission {
    fn from(p: PermArg) -> Self {
        match p {
            PermArg::Read => Permission::Read,
            PermArg::Write => Permission::Write,
            PermArg::Sign => Permission::Sign,
            PermArg::Admin => Permission::Admin,
        }
    }
}

/// Runs an auth command.
pub fn run(repo: &Repo, command: AuthCommand) -> anyhow::Result<()> {
    match command {
        AuthCommand::CreateToken { perm, json } => {
            let permission = Permission::from(perm);
            let token = mint(repo, permission)?;
            if json {
                let out = serde_json::json!({ "token": token, "permission": permission });
                println!("{out}");
            } else {
                println!("{token}");
            }
        }
        AuthCommand::ApiInfo { perm, json } => {
            let url = node::read_api_url(repo.root())?.with_context(|| {
                format!(
                    "no running daemon: {} does not exist (start one with `flowcoin daemon`)",
                    node::api_file(repo.root()).display()
                )
            })?;
            let permission = Permission::from(perm);
            let token = mint(repo, permission)?;
            if json {
                let out =
                    serde_json::json!({ "url": url, "token": token, "permission": permission });
                println!("{out}");
            } else {
                println!("FLOWCOIN_API_INFO={token}:{url}");
            }
        }
    }
    Ok(())
}

fn mint(repo: &Repo, permission: Permission) -> anyhow::Result<String> {
    let path = secret_path(repo.root());
    let secret = JwtSecret::load_or_create(&path)
        .with_context(|| format!("loading the API secret {}", path.display()))?;
    Ok(auth::create_token(&secret, permission)?)
}
