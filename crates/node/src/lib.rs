//! The Flowcoin node: configuration, service wiring, the JSON-RPC API and its auth tokens.
//!
//! What is here:
//! - [`auth`]: permissions (`read < write < sign < admin`), the node's token secret in the
//!   data directory, minting and verifying JWT tokens (Lotus's `{"Allow": [...]}` payload);
//! - [`rpc`]: the `Flowcoin.*` JSON-RPC methods, the one table of the permission each needs,
//!   and the middleware that refuses calls without it;
//! - [`server`]: JSON-RPC 2.0 over HTTP and WebSocket on `127.0.0.1:1234/rpc/v0` (axum with
//!   jsonrpsee inside), `/healthz`, graceful stop;
//! - [`client`]: [`ApiClient`], the typed client commands use;
//! - [`node`]: [`Node`], which owns the running services, and the
//!   [`NodeState`] the RPC methods read.
//!
//! What is not: consensus, chain and network logic live in their own crates; this crate wires
//! them together and exposes them. The API is described for users in `docs/API.md`.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use flowcoin_node::auth::{self, JwtSecret, Permission};
//! use flowcoin_node::client::ApiClient;
//! use flowcoin_node::node::NodeState;
//! use flowcoin_node::rpc::FlowcoinApiClient as _;
//! use flowcoin_node::server::{self, ApiConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let secret = JwtSecret::generate()?;
//! let token = auth::create_token(&secret, Permission::Read)?;
//! let state = Arc::new(NodeState::new(flowcoin_types::NetworkParams::devnet(), secret));
//! let config = ApiConfig { listen: "127.0.0.1:0".parse()?, ..ApiConfig::default() };
//! let server = server::serve(&config, state).await?;
//!
//! let client = ApiClient::connect(&server.http_url(), Some(&token))?;
//! assert_eq!(client.version().await?.network, "devnet");
//! assert!(client.auth_new(Permission::Admin).await.is_err()); // needs admin
//! server.stop().await?;
//! # Ok(()) }
//! ```

pub mod auth;
pub mod chain;
pub mod client;
pub mod fetch;
pub mod miner;
pub mod network;
pub mod node;
pub mod rpc;
pub mod server;
pub mod sync;

pub use client::ApiClient;
pub use node::{ChainConfig, NetSettings, Node, NodeConfig, NodeError, NodeState};
pub use server::{ApiConfig, ServeError, ServerHandle};
