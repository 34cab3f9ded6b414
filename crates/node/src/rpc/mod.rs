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
//! | `Flowcoin.ChainHead` | read | none | [`HeadInfo`] |
//! | `Flowcoin.ChainGetTipSetByHeight` | read | `[height]` | [`HeadInfo`] |
//! | `Flowcoin.ChainGetBlock` | read | `[cid]` | [`BlockInfo`] |
//! | `Flowcoin.ChainGetMessage` | read | `[cid]` | [`MessageInfo`] |
//! | `Flowcoin.ChainGetReceipt` | read | `[cid]` | [`ReceiptInfo`] or null |
//! | `Flowcoin.StateSearchMsg` | read | `[cid]` | [`MsgLookup`] or null |
//! | `Flowcoin.StateGetActor` | read | `[address]` | [`ActorInfo`] |
//! | `Flowcoin.StateLookupID` | read | `[address]` | the ID address |
//! | `Flowcoin.WalletBalance` | read | `[address]` | attoFLW (decimal string) |
//! | `Flowcoin.StatePower` | read | none | [`NetworkPower`] |
//! | `Flowcoin.StateMinerPower` | read | `[miner]` | [`MinerPowerInfo`] |
//! | `Flowcoin.StateMinerInfo` | read | `[miner]` | [`MinerInfo`] |
//! | `Flowcoin.StateMinerSectors` | read | `[miner]` | [`MinerSectors`] |
//! | `Flowcoin.StateMinerProvingDeadline` | read | `[miner]` | [`ProvingDeadline`] |
//! | `Flowcoin.StateCirculatingSupply` | read | none | [`SupplyInfo`] |
//! | `Flowcoin.MpoolGetNonce` | read | `[address]` | the sender's next nonce |
//! | `Flowcoin.MpoolPending` | read | none | [`MessageInfo`]s |
//! | `Flowcoin.MpoolPush` | write | `[hex of the signed message's DAG-CBOR]` | its CID |
//! | `Flowcoin.MinerAddress` | read | none | the node's miner, or null |
//! | `Flowcoin.MinerPledge` | write | none | the miner that will seal a sector |
//! | `Flowcoin.NetAddrsListen` | read | none | [`AddrInfo`]: our peer id and addresses |
//! | `Flowcoin.NetPeers` | read | none | [`PeerInfo`]s of the connected peers |
//! | `Flowcoin.NetConnect` | write | `[multiaddr]` | null (the dial started) |
//! | `Flowcoin.NetBlockAdd` | admin | `[peer id]` | null: disconnected, refused until removed |
//! | `Flowcoin.NetBlockRemove` | admin | `[peer id]` | null |
//! | `Flowcoin.SyncState` | read | none | [`SyncInfo`] |
//! | `Flowcoin.ClientImport` | admin | `[absolute path, ImportParams]` | [`ImportInfo`] |
//! | `Flowcoin.ClientRetrieve` | admin | `[cid or cid/path, absolute output path or null]` | [`FetchReport`] |
//!
//! Chain, state and pool methods fail with [`errors::UNAVAILABLE_CODE`] on a node without a
//! chain; the other codes are in [`errors`]. They run on a blocking thread: the chain service
//! is locked while the miner works on an epoch, and reading the store is disk I/O.

mod chain_api;
pub mod errors;
pub mod guard;
mod net_api;
mod state_api;
pub mod types;

use std::sync::Arc;

use jsonrpsee::core::{RpcResult, async_trait};
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::types::Extensions;
use jsonrpsee::types::error::INTERNAL_ERROR_CODE;
use serde::{Deserialize, Serialize};

use crate::auth::{self, Permission};
use crate::chain::ChainService;
use crate::node::NodeState;

pub use crate::fetch::FetchReport;
pub use chain_api::SEARCH_FINALITIES;
use errors::{internal, parse_address, parse_cid};
pub use flowcoin_net::{AddrInfo, PeerInfo};
use guard::Caller;
pub use net_api::{ImportInfo, ImportParams};
use state_api::HeadView;
pub use types::{
    ActorInfo, BlockInfo, HeadInfo, MessageInfo, MinerInfo, MinerPowerInfo, MinerSectors,
    MsgLookup, NetworkPower, PreCommitInfo, ProvingDeadline, ReceiptInfo, SectorInfo, SupplyInfo,
};

/// The API's version, reported by `Flowcoin.Version` (semver: a new minor adds methods, a new
/// major changes or removes some).
pub const API_VERSION: &str = "0.3.0";

/// The permission each method needs: the only place it is declared.
pub const METHOD_PERMISSIONS: &[(&str, Permission)] = &[
    ("Flowcoin.Version", Permission::Read),
    ("Flowcoin.AuthVerify", Permission::Read),
    ("Flowcoin.AuthNew", Permission::Admin),
    ("Flowcoin.ChainHead", Permission::Read),
    ("Flowcoin.ChainGetTipSetByHeight", Permission::Read),
    ("Flowcoin.ChainGetBlock", Permission::Read),
    ("Flowcoin.ChainGetMessage", Permission::Read),
    ("Flowcoin.ChainGetReceipt", Permission::Read),
    ("Flowcoin.StateSearchMsg", Permission::Read),
    ("Flowcoin.StateGetActor", Permission::Read),
    ("Flowcoin.StateLookupID", Permission::Read),
    ("Flowcoin.WalletBalance", Permission::Read),
    ("Flowcoin.StatePower", Permission::Read),
    ("Flowcoin.StateMinerPower", Permission::Read),
    ("Flowcoin.StateMinerInfo", Permission::Read),
    ("Flowcoin.StateMinerSectors", Permission::Read),
    ("Flowcoin.StateMinerProvingDeadline", Permission::Read),
    ("Flowcoin.StateCirculatingSupply", Permission::Read),
    ("Flowcoin.MpoolGetNonce", Permission::Read),
    ("Flowcoin.MpoolPending", Permission::Read),
    ("Flowcoin.MpoolPush", Permission::Write),
    ("Flowcoin.MinerAddress", Permission::Read),
    ("Flowcoin.MinerPledge", Permission::Write),
    ("Flowcoin.NetAddrsListen", Permission::Read),
    ("Flowcoin.NetPeers", Permission::Read),
    ("Flowcoin.NetConnect", Permission::Write),
    ("Flowcoin.NetBlockAdd", Permission::Admin),
    ("Flowcoin.NetBlockRemove", Permission::Admin),
    ("Flowcoin.SyncState", Permission::Read),
    // Both read or write files on the node's machine, as the node's user.
    ("Flowcoin.ClientImport", Permission::Admin),
    ("Flowcoin.ClientRetrieve", Permission::Admin),
];

/// What `Flowcoin.SyncState` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncInfo {
    /// A sync is running.
    pub syncing: bool,
    /// The head's height.
    pub height: u64,
    /// Connected peers.
    pub peers: usize,
}

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

    /// The head of the chain, with the base fee its children pay (read).
    #[method(name = "ChainHead")]
    async fn chain_head(&self) -> RpcResult<HeadInfo>;

    /// The head chain's tipset at `height`, or the last one before it when `height` is a
    /// null round; an error above the head (read).
    #[method(name = "ChainGetTipSetByHeight")]
    async fn chain_get_tipset_by_height(&self, height: u64) -> RpcResult<HeadInfo>;

    /// A block header by CID (read).
    #[method(name = "ChainGetBlock")]
    async fn chain_get_block(&self, cid: String) -> RpcResult<BlockInfo>;

    /// A signed message by CID, from the chain or the pool (read).
    #[method(name = "ChainGetMessage")]
    async fn chain_get_message(&self, cid: String) -> RpcResult<MessageInfo>;

    /// The receipt of an executed message, or null if it is not (yet) on the head's chain
    /// within the search bound (read).
    #[method(name = "ChainGetReceipt")]
    async fn chain_get_receipt(&self, cid: String) -> RpcResult<Option<ReceiptInfo>>;

    /// Where a message was executed and its receipt, or null if it is not (yet) on the
    /// head's chain within `finality × SEARCH_FINALITIES` epochs of the head (read).
    #[method(name = "StateSearchMsg")]
    async fn state_search_msg(&self, cid: String) -> RpcResult<Option<MsgLookup>>;

    /// An actor in the head's state (read).
    #[method(name = "StateGetActor")]
    async fn state_get_actor(&self, address: String) -> RpcResult<ActorInfo>;

    /// The ID address an address resolves to in the head's state (read).
    #[method(name = "StateLookupID")]
    async fn state_lookup_id(&self, address: String) -> RpcResult<String>;

    /// The balance of an address in attoFLW; `"0"` for one the state does not know (read).
    #[method(name = "WalletBalance")]
    async fn wallet_balance(&self, address: String) -> RpcResult<String>;

    /// The network's power totals (read).
    #[method(name = "StatePower")]
    async fn state_power(&self) -> RpcResult<NetworkPower>;

    /// A miner's power and the network's totals (read).
    #[method(name = "StateMinerPower")]
    async fn state_miner_power(&self, miner: String) -> RpcResult<MinerPowerInfo>;

    /// A miner's keys, sector size and balances (read).
    #[method(name = "StateMinerInfo")]
    async fn state_miner_info(&self, miner: String) -> RpcResult<MinerInfo>;

    /// A miner's live and pre-committed sectors (read).
    #[method(name = "StateMinerSectors")]
    async fn state_miner_sectors(&self, miner: String) -> RpcResult<MinerSectors>;

    /// The miner's deadline open at the head's epoch (read).
    #[method(name = "StateMinerProvingDeadline")]
    async fn state_miner_proving_deadline(&self, miner: String) -> RpcResult<ProvingDeadline>;

    /// The circulating supply and what is outside it (read).
    #[method(name = "StateCirculatingSupply")]
    async fn state_circulating_supply(&self) -> RpcResult<SupplyInfo>;

    /// The nonce the sender's next message should have: its nonce on chain plus its pending
    /// messages (read).
    #[method(name = "MpoolGetNonce")]
    async fn mpool_get_nonce(&self, address: String) -> RpcResult<u64>;

    /// Adds a signed message, given as the hex of its DAG-CBOR, to the pool; returns its CID
    /// (write).
    #[method(name = "MpoolPush")]
    async fn mpool_push(&self, signed_message: String) -> RpcResult<String>;

    /// Every message in the pool, by sender, then nonce (read).
    #[method(name = "MpoolPending")]
    async fn mpool_pending(&self) -> RpcResult<Vec<MessageInfo>>;

    /// The miner this node mines as, or null (read).
    #[method(name = "MinerAddress")]
    async fn miner_address(&self) -> RpcResult<Option<String>>;

    /// Asks the node's miner to seal one more committed-capacity sector at the next epoch;
    /// returns the miner's address (write).
    #[method(name = "MinerPledge")]
    async fn miner_pledge(&self) -> RpcResult<String>;

    /// Our peer id and listen addresses (read).
    #[method(name = "NetAddrsListen")]
    async fn net_addrs_listen(&self) -> RpcResult<AddrInfo>;

    /// The connected peers (read).
    #[method(name = "NetPeers")]
    async fn net_peers(&self) -> RpcResult<Vec<PeerInfo>>;

    /// Dials a peer by multiaddr (write).
    #[method(name = "NetConnect")]
    async fn net_connect(&self, addr: String) -> RpcResult<()>;

    /// Disconnects a peer and refuses it until `NetBlockRemove` (admin).
    #[method(name = "NetBlockAdd")]
    async fn net_block_add(&self, peer: String) -> RpcResult<()>;

    /// Lifts `NetBlockAdd` and dials the peer again (admin).
    #[method(name = "NetBlockRemove")]
    async fn net_block_remove(&self, peer: String) -> RpcResult<()>;

    /// Whether the node is syncing, its height and peer count (read).
    #[method(name = "SyncState")]
    async fn sync_state(&self) -> RpcResult<SyncInfo>;

    /// Imports a file or directory on the node's machine into its store, pins it and
    /// announces it in the DHT (admin).
    #[method(name = "ClientImport")]
    async fn client_import(
        &self,
        path: String,
        params: Option<ImportParams>,
    ) -> RpcResult<ImportInfo>;

    /// Fetches a DAG from the network (DHT, then bitswap) into the store, pins it, and writes
    /// it to `output` on the node's machine if given (admin).
    #[method(name = "ClientRetrieve")]
    async fn client_retrieve(
        &self,
        target: String,
        output: Option<String>,
    ) -> RpcResult<FetchReport>;
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

    /// Runs `work` on the chain service, locked, on a blocking thread.
    async fn on_chain<T, F>(&self, work: F) -> RpcResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut ChainService) -> RpcResult<T> + Send + 'static,
    {
        let chain = Arc::clone(self.state.chain().ok_or_else(errors::no_chain)?);
        tokio::task::spawn_blocking(move || {
            let mut chain = chain.lock().map_err(|_| {
                internal("the chain service failed (a thread panicked while holding it)")
            })?;
            work(&mut chain)
        })
        .await
        .map_err(internal)?
    }

    /// Runs `work` on the head's state on a blocking thread; the chain service is locked
    /// only while the head is read.
    async fn on_state<T, F>(&self, work: F) -> RpcResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&HeadView) -> RpcResult<T> + Send + 'static,
    {
        let view = self.on_chain(|chain| state_api::head_view(chain)).await?;
        tokio::task::spawn_blocking(move || work(&view))
            .await
            .map_err(internal)?
    }

    /// Runs a state query about the actor at `address` (text form, this network's).
    async fn on_address<T: Send + 'static>(
        &self,
        address: String,
        work: fn(&HeadView, &flowcoin_types::Address) -> RpcResult<T>,
    ) -> RpcResult<T> {
        self.on_state(move |view| work(view, &parse_address(&address, view.params.network)?))
            .await
    }

    /// Runs `work` on the chain service with the CID `cid`.
    async fn on_cid<T: Send + 'static>(
        &self,
        cid: String,
        work: fn(&ChainService, &cid::Cid) -> RpcResult<T>,
    ) -> RpcResult<T> {
        let cid = parse_cid(&cid)?;
        self.on_chain(move |chain| work(chain, &cid)).await
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
        self.on_chain(|chain| chain_api::chain_head(chain)).await
    }

    async fn chain_get_tipset_by_height(&self, height: u64) -> RpcResult<HeadInfo> {
        self.on_chain(move |chain| chain_api::tipset_by_height(chain, height))
            .await
    }

    async fn chain_get_block(&self, cid: String) -> RpcResult<BlockInfo> {
        self.on_cid(cid, chain_api::get_block).await
    }

    async fn chain_get_message(&self, cid: String) -> RpcResult<MessageInfo> {
        self.on_cid(cid, chain_api::get_message).await
    }

    async fn chain_get_receipt(&self, cid: String) -> RpcResult<Option<ReceiptInfo>> {
        let found = self.on_cid(cid, chain_api::search_message).await?;
        Ok(found.map(|lookup| lookup.receipt))
    }

    async fn state_search_msg(&self, cid: String) -> RpcResult<Option<MsgLookup>> {
        self.on_cid(cid, chain_api::search_message).await
    }

    async fn state_get_actor(&self, address: String) -> RpcResult<ActorInfo> {
        self.on_address(address, state_api::get_actor).await
    }

    async fn state_lookup_id(&self, address: String) -> RpcResult<String> {
        self.on_address(address, state_api::lookup_id).await
    }

    async fn wallet_balance(&self, address: String) -> RpcResult<String> {
        self.on_address(address, state_api::balance).await
    }

    async fn state_power(&self) -> RpcResult<NetworkPower> {
        self.on_state(state_api::network_power).await
    }

    async fn state_miner_power(&self, miner: String) -> RpcResult<MinerPowerInfo> {
        self.on_address(miner, state_api::miner_power).await
    }

    async fn state_miner_info(&self, miner: String) -> RpcResult<MinerInfo> {
        self.on_address(miner, state_api::miner_info).await
    }

    async fn state_miner_sectors(&self, miner: String) -> RpcResult<MinerSectors> {
        self.on_address(miner, state_api::miner_sectors).await
    }

    async fn state_miner_proving_deadline(&self, miner: String) -> RpcResult<ProvingDeadline> {
        self.on_address(miner, state_api::proving_deadline).await
    }

    async fn state_circulating_supply(&self) -> RpcResult<SupplyInfo> {
        self.on_state(state_api::supply).await
    }

    async fn mpool_get_nonce(&self, address: String) -> RpcResult<u64> {
        self.on_chain(move |chain| {
            let address = parse_address(&address, chain.params().network)?;
            chain_api::next_nonce(chain, &address)
        })
        .await
    }

    async fn mpool_push(&self, signed_message: String) -> RpcResult<String> {
        self.on_chain(move |chain| chain_api::push(chain, &signed_message))
            .await
    }

    async fn mpool_pending(&self) -> RpcResult<Vec<MessageInfo>> {
        self.on_chain(|chain| chain_api::pending(chain)).await
    }

    async fn miner_address(&self) -> RpcResult<Option<String>> {
        match self.state.miner() {
            None => Ok(None),
            Some(miner) => self.with_miner(miner, |_| ()).await.map(Some),
        }
    }

    async fn miner_pledge(&self) -> RpcResult<String> {
        let miner = self.state.miner().ok_or_else(errors::no_miner)?;
        self.with_miner(miner, crate::miner::MinerService::pledge)
            .await
    }

    async fn net_addrs_listen(&self) -> RpcResult<AddrInfo> {
        net_api::addrs(&self.state).await
    }

    async fn net_peers(&self) -> RpcResult<Vec<PeerInfo>> {
        net_api::peers(&self.state).await
    }

    async fn net_connect(&self, addr: String) -> RpcResult<()> {
        net_api::connect(&self.state, &addr).await
    }

    async fn net_block_add(&self, peer: String) -> RpcResult<()> {
        net_api::block(&self.state, &peer, true).await
    }

    async fn net_block_remove(&self, peer: String) -> RpcResult<()> {
        net_api::block(&self.state, &peer, false).await
    }

    async fn sync_state(&self) -> RpcResult<SyncInfo> {
        let height = self
            .on_chain(|chain| chain.head().map(|h| h.height()).map_err(internal))
            .await?;
        let (syncing, peers) = match self.state.net() {
            Some(net) => (
                net.status.syncing.load(std::sync::atomic::Ordering::SeqCst),
                net.handle.peers().await.map(|p| p.len()).unwrap_or(0),
            ),
            None => (false, 0),
        };
        Ok(SyncInfo {
            syncing,
            height,
            peers,
        })
    }

    async fn client_import(
        &self,
        path: String,
        params: Option<ImportParams>,
    ) -> RpcResult<ImportInfo> {
        net_api::import(&self.state, path, params.unwrap_or_default()).await
    }

    async fn client_retrieve(
        &self,
        target: String,
        output: Option<String>,
    ) -> RpcResult<FetchReport> {
        net_api::retrieve(&self.state, target, output).await
    }
}

impl FlowcoinRpc {
    /// Runs `work` on the miner service on a blocking thread (the miner holds its lock for
    /// an epoch's work); returns the miner's address.
    async fn with_miner(
        &self,
        miner: &Arc<std::sync::Mutex<crate::miner::MinerService>>,
        work: fn(&mut crate::miner::MinerService),
    ) -> RpcResult<String> {
        let miner = Arc::clone(miner);
        let network = self.state.params().network;
        tokio::task::spawn_blocking(move || {
            let mut miner = miner.lock().map_err(|_| {
                internal("the miner service failed (a thread panicked while holding it)")
            })?;
            work(&mut miner);
            Ok(flowcoin_types::Address::Id(miner.id())
                .display(network)
                .to_string())
        })
        .await
        .map_err(internal)?
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
