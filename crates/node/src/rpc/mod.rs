//! The JSON-RPC API: the `Flowcoin.*` methods, the permission each one needs, and their
//! implementation over the node's state.
//!
//! Method names on the wire are `Flowcoin.<Name>` (jsonrpsee's `namespace_separator = "."`).
//! [`METHOD_PERMISSIONS`] is the one table of what each method needs; the [`guard`] refuses a
//! call whose caller lacks it, and any method that is not in the table, before the method
//! runs. A method added to the `FlowcoinApi` trait ([`FlowcoinApiServer`]) without a table
//! entry is refused (a unit test keeps the two in step).
//!
//! | method | needs | params | result |
//! |---|---|---|---|
//! | `Flowcoin.Version` | read | none | [`VersionInfo`] |
//! | `Flowcoin.AuthVerify` | read | none | the caller's permissions, e.g. `["read","write"]` |
//! | `Flowcoin.AuthNew` | admin | `["read"\|"write"\|"sign"\|"admin"]` | a new token (string) |

pub mod guard;

use std::sync::Arc;

use jsonrpsee::core::{RpcResult, async_trait};
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::types::Extensions;
use jsonrpsee::types::error::INTERNAL_ERROR_CODE;
use serde::{Deserialize, Serialize};

use crate::auth::{self, Permission};
use crate::node::NodeState;

use guard::Caller;

/// The API's version, reported by `Flowcoin.Version` (semver: a new minor adds methods, a new
/// major changes or removes some).
pub const API_VERSION: &str = "0.1.0";

/// The permission each method needs: the only place it is declared.
pub const METHOD_PERMISSIONS: &[(&str, Permission)] = &[
    ("Flowcoin.Version", Permission::Read),
    ("Flowcoin.AuthVerify", Permission::Read),
    ("Flowcoin.AuthNew", Permission::Admin),
    ("Flowcoin.ChainHead", Permission::Read),
];

/// The permission `method` needs, or `None` if there is no such method (refused).
pub fn required_permission(method: &str) -> Option<Permission> {
    METHOD_PERMISSIONS
        .iter()
        .find(|(name, _)| *name == method)
        .map(|(_, permission)| *permission)
}

/// What `Flowcoin.Version` returns (field names as Lotus's `Version`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersionInfo {
    /// The node software's version.
    pub version: String,
    /// [`API_VERSION`].
    #[serde(rename = "APIVersion")]
    pub api_version: String,
    /// The network the node is on (`devnet`, `mainnet`).
    pub network: String,
    /// Seconds per epoch.
    pub block_delay: u64,
}

/// The `Flowcoin.*` API. `FlowcoinApiServer` is implemented by [`FlowcoinRpc`];
/// `FlowcoinApiClient` is implemented for every jsonrpsee client, e.g.
/// [`ApiClient`](crate::client::ApiClient).
/// The head of the chain, as `Flowcoin.ChainHead` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HeadInfo {
    /// The head's epoch.
    pub height: u64,
    /// The CIDs of its blocks, in tipset order.
    pub cids: Vec<String>,
    /// Its weight (a decimal string: it may exceed 2^53).
    pub weight: String,
    /// The smallest timestamp of its blocks (seconds since the Unix epoch).
    pub timestamp: u64,
    /// The miners that made its blocks.
    pub miners: Vec<String>,
}

#[rpc(server, client, namespace = "Flowcoin", namespace_separator = ".")]
pub trait FlowcoinApi {
    /// The node's version, API version, network and epoch length (read).
    #[method(name = "Version")]
    async fn version(&self) -> RpcResult<VersionInfo>;

    /// The permissions the caller's token grants, lowest first (read).
    #[method(name = "AuthVerify", with_extensions)]
    async fn auth_verify(&self) -> RpcResult<Vec<Permission>>;

    /// A new token granting `permission` and everything below it (admin).
    #[method(name = "AuthNew")]
    async fn auth_new(&self, permission: Permission) -> RpcResult<String>;

    /// The head of the chain (an error when the node runs no chain).
    #[method(name = "ChainHead")]
    async fn chain_head(&self) -> RpcResult<HeadInfo>;
}

/// The API implementation: one per server, sharing the node's state.
#[derive(Debug, Clone)]
pub struct FlowcoinRpc {
    state: Arc<NodeState>,
}

impl FlowcoinRpc {
    /// The API over `state`.
    pub fn new(state: Arc<NodeState>) -> Self {
        Self { state }
    }
}

#[async_trait]
impl FlowcoinApiServer for FlowcoinRpc {
    async fn version(&self) -> RpcResult<VersionInfo> {
        let params = self.state.params();
        Ok(VersionInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            api_version: API_VERSION.to_owned(),
            network: params.network.to_string(),
            block_delay: params.epoch_duration.secs(),
        })
    }

    async fn auth_verify(&self, ext: &Extensions) -> RpcResult<Vec<Permission>> {
        // The guard let the call through, so the caller holds at least read.
        Ok(ext
            .get::<Caller>()
            .and_then(Caller::granted)
            .map(Permission::granted)
            .unwrap_or_default())
    }

    async fn auth_new(&self, permission: Permission) -> RpcResult<String> {
        auth::create_token(self.state.jwt_secret(), permission)
            .map_err(|e| ErrorObjectOwned::owned(INTERNAL_ERROR_CODE, e.to_string(), None::<()>))
    }

    async fn chain_head(&self) -> RpcResult<HeadInfo> {
        let internal = |e: String| ErrorObjectOwned::owned(INTERNAL_ERROR_CODE, e, None::<()>);
        let chain = self
            .state
            .chain()
            .ok_or_else(|| internal("this node runs no chain (started with --no-chain)".into()))?;
        let chain = chain
            .lock()
            .map_err(|_| internal("the chain service failed".into()))?;
        let head = chain.head().map_err(|e| internal(e.to_string()))?;
        let network = self.state.params().network;
        let weight = chain
            .store()
            .meta(head.key())
            .map_err(|e| internal(e.to_string()))?
            .map(|m| m.weight.to_string())
            .unwrap_or_default();
        Ok(HeadInfo {
            height: head.height(),
            cids: head.key().0.iter().map(ToString::to_string).collect(),
            weight,
            timestamp: head.min_timestamp(),
            miners: head
                .blocks()
                .iter()
                .map(|b| b.miner.display(network).to_string())
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::JwtSecret;
    use flowcoin_types::NetworkParams;

    #[test]
    fn every_method_has_exactly_one_permission_entry() {
        let state = Arc::new(NodeState::new(
            NetworkParams::devnet(),
            JwtSecret::from_bytes([7; 32]),
        ));
        let module = FlowcoinRpc::new(state).into_rpc();
        let mut registered: Vec<&str> = module.method_names().collect();
        registered.sort_unstable();
        let mut table: Vec<&str> = METHOD_PERMISSIONS.iter().map(|(m, _)| *m).collect();
        table.sort_unstable();
        assert_eq!(registered, table);
        assert_eq!(
            required_permission("Flowcoin.AuthNew"),
            Some(Permission::Admin)
        );
        assert_eq!(required_permission("Flowcoin.Nope"), None);
        assert_eq!(required_permission("Flowcoin_Version"), None);
    }
}
