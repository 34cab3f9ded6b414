//! The node's chain service: the chain store over the data directory's blockstore, the
//! message pool on the head, and moving the head.
//!
//! Storage: blocks (headers, messages, states, receipts) go to the repository's block store
//! (`<repo>/db`, the same store `flowcoin client` uses) through [`NodeBlocks`], which buffers
//! them and writes them in one batch, synced, whenever the chain store is about to commit its
//! index (`<repo>/chain.redb`): a crash never leaves the index naming a block that is not on
//! disk. The genesis CAR is imported and pinned once; the head is pinned as it moves, so
//! garbage collection keeps the whole chain (parents, states and messages are all linked
//! from the head's header).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cid::Cid;
use flowcoin_chain::genesis::{self, GenesisBlock};
use flowcoin_chain::mpool::{AddError, Added, HeadState, Mpool, MpoolConfig};
use flowcoin_chain::store::{ChainBlocks, ChainError, ChainStore, Executed, Weigher};
use flowcoin_consensus::validate::{
    BlockError, ContextError, ParentTipset, ValidationContext, validate_block,
};
use flowcoin_crypto::randomness::RandomnessSource;
use flowcoin_dag::store::{
    BlockSink, Blockstore, DiskStore, PinInfo, PinKind, StoreError, now_secs,
};
use flowcoin_state::gas::GasSchedule;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::block::ChainWeight;
use flowcoin_types::tipset::{Tipset, TipsetKey};
use flowcoin_types::{NetworkParams, SignedMessage, StoragePower};

/// The repository's block store, with the blocks not yet written.
pub struct NodeBlocks {
    disk: Arc<DiskStore>,
    pending: BTreeMap<Cid, Vec<u8>>,
    /// The head blocks to pin with the next write, replacing the previous head's pins.
    pin: Option<Vec<Cid>>,
    pinned: Vec<Cid>,
}

impl std::fmt::Debug for NodeBlocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeBlocks")
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl NodeBlocks {
    /// Buffers over `disk`.
    pub fn new(disk: Arc<DiskStore>) -> Self {
        Self {
            disk,
            pending: BTreeMap::new(),
            pin: None,
            pinned: Vec::new(),
        }
    }

    /// A read-only view of what is on disk (for states already persisted).
    pub fn disk(&self) -> DiskView {
        DiskView(self.disk.clone())
    }

    /// Pins the blocks of a new head with the next write (and unpins the previous head's).
    pub fn pin_head(&mut self, blocks: Vec<Cid>) {
        self.pin = Some(blocks);
    }
}

impl Blockstore for NodeBlocks {
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, StoreError> {
        match self.pending.get(cid) {
            Some(bytes) => Ok(Some(bytes.clone())),
            None => self.disk.get(cid),
        }
    }
}

impl BlockSink for NodeBlocks {
    fn put(&mut self, cid: &Cid, data: &[u8]) -> Result<(), StoreError> {
        self.pending.insert(*cid, data.to_vec());
        Ok(())
    }
}

impl ChainBlocks for NodeBlocks {
    fn persist(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() && self.pin.is_none() {
            return Ok(());
        }
        let mut batch = self.disk.batch()?;
        for (cid, bytes) in &self.pending {
            batch.put(cid, bytes)?;
        }
        for block in self.pin.iter().flatten() {
            batch.pin(
                *block,
                PinInfo {
                    name: "chain head".into(),
                    kind: PinKind::Dag,
                    size: 0,
                    dag_size: 0,
                    created: now_secs(),
                },
            );
        }
        batch.commit()?;
        self.pending.clear();
        if let Some(head) = self.pin.take() {
            for old in std::mem::replace(&mut self.pinned, head) {
                if !self.pinned.contains(&old) {
                    self.disk.unpin(&old)?;
                }
            }
        }
        Ok(())
    }
}

/// A shared, read-only handle on the repository's block store.
#[derive(Clone)]
pub struct DiskView(Arc<DiskStore>);

impl std::fmt::Debug for DiskView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DiskView")
    }
}

impl Blockstore for DiskView {
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.get(cid)
    }
}

/// Weighs tipsets with Expected Consensus's formula.
#[derive(Debug, Clone, Copy)]
pub struct EcWeigher {
    /// E, the expected leaders per epoch.
    pub expected_leaders: u64,
}

impl Weigher for EcWeigher {
    fn weight(&self, parent: ChainWeight, tipset: &Tipset, power: StoragePower) -> ChainWeight {
        flowcoin_consensus::weight::weight(
            parent,
            power,
            tipset.total_win_count(),
            self.expected_leaders,
        )
    }
}

/// Why the chain service failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChainServiceError {
    /// The chain store failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The block store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The genesis file is unusable.
    #[error("genesis {path}: {reason}")]
    Genesis {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// No genesis is known: the node has never been started with `--genesis`.
    #[error(
        "this data directory has no chain yet: start the daemon once with --genesis FILE (made by `flowcoin genesis new`)"
    )]
    NoGenesis,
    /// The state could not be read.
    #[error(transparent)]
    State(#[from] flowcoin_state::state_tree::StateError),
    /// A block breaks a consensus rule.
    #[error("block {cid} is invalid: {source}")]
    InvalidBlock {
        /// The block.
        cid: String,
        /// The rule it breaks.
        #[source]
        source: Box<BlockError>,
    },
}

/// Block validation's view of the node's chain.
struct Validation<'a> {
    store: &'a ChainStore<NodeBlocks>,
    gas: &'a GasSchedule,
}

impl ValidationContext for Validation<'_> {
    fn params(&self) -> &NetworkParams {
        self.store.params()
    }

    fn gas(&self) -> &GasSchedule {
        self.gas
    }

    fn now(&self) -> u64 {
        now_secs()
    }

    fn blockstore(&self) -> &dyn Blockstore {
        self.store.blocks()
    }

    fn parent(&self, key: &TipsetKey) -> Result<Option<ParentTipset>, ContextError> {
        parent_tipset(self.store, key).map_err(|e| e.to_string().into())
    }

    fn lookback_state_root(&self, parent: &Tipset, height: u64) -> Result<Cid, ContextError> {
        self.store
            .lookback_state_root(parent, height)
            .map_err(|e| e.to_string().into())
    }

    fn randomness<'a>(
        &'a self,
        parent: &Tipset,
    ) -> Result<Box<dyn RandomnessSource + 'a>, ContextError> {
        Ok(Box::new(self.store.randomness(parent.clone())))
    }
}

/// The tipset of `key` with its weight and execution results, if known and executed.
pub fn parent_tipset(
    store: &ChainStore<NodeBlocks>,
    key: &TipsetKey,
) -> Result<Option<ParentTipset>, ChainError> {
    let Some(meta) = store.meta(key)? else {
        return Ok(None);
    };
    let Some(executed) = meta.executed else {
        return Ok(None);
    };
    Ok(Some(ParentTipset {
        tipset: store.load_tipset(key)?,
        weight: meta.weight,
        state_root: executed.state_root,
        receipts: executed.receipts,
        next_base_fee: executed.next_base_fee,
    }))
}

/// Where the chain index lives.
pub fn chain_index(repo: &Path) -> PathBuf {
    repo.join("chain.redb")
}

/// The file recording the genesis CID.
fn genesis_file(repo: &Path) -> PathBuf {
    repo.join("genesis")
}

/// The chain store, the message pool and the gas schedule.
pub struct ChainService {
    store: ChainStore<NodeBlocks>,
    mpool: Mpool<HeadState<DiskView>>,
    gas: GasSchedule,
    weigher: EcWeigher,
    announce: Option<Announcer>,
    /// Messages local senders pushed, oldest first, republished while they are pending.
    local: std::collections::VecDeque<Cid>,
}

/// Most local messages remembered for republishing.
const MAX_LOCAL_MESSAGES: usize = 4096;

/// Tells the network about a message this node's pool took from a local sender.
pub type Announcer = Box<dyn Fn(&SignedMessage) + Send>;

impl std::fmt::Debug for ChainService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainService").finish_non_exhaustive()
    }
}

impl ChainService {
    /// Opens the chain of the repository at `repo` over its block store, importing `genesis`
    /// (a CAR made by `flowcoin genesis new`) on first start.
    pub fn open(
        repo: &Path,
        disk: Arc<DiskStore>,
        genesis_car: Option<&Path>,
    ) -> Result<Self, ChainServiceError> {
        let known = std::fs::read_to_string(genesis_file(repo)).ok();
        let genesis_cid = match (genesis_car, known) {
            (Some(path), _) => {
                let invalid = |reason: String| ChainServiceError::Genesis {
                    path: path.to_path_buf(),
                    reason,
                };
                let report = genesis::inspect(path).map_err(|e| invalid(e.to_string()))?;
                let file = std::fs::File::open(path).map_err(|e| invalid(e.to_string()))?;
                flowcoin_dag::car::import_cars(&disk, vec![("genesis".to_string(), file)])
                    .map_err(|e| invalid(e.to_string()))?;
                report.genesis_cid
            }
            (None, Some(text)) => {
                text.trim()
                    .parse::<Cid>()
                    .map_err(|e| ChainServiceError::Genesis {
                        path: genesis_file(repo),
                        reason: e.to_string(),
                    })?
            }
            (None, None) => return Err(ChainServiceError::NoGenesis),
        };
        let block: GenesisBlock = {
            let bytes = disk
                .get(&genesis_cid)?
                .ok_or(ChainServiceError::NoGenesis)?;
            flowcoin_types::message::from_cbor(
                "genesis block",
                &bytes,
                genesis::MAX_GENESIS_BLOCK_BYTES,
            )
            .map_err(|e| ChainServiceError::Genesis {
                path: genesis_file(repo),
                reason: e.to_string(),
            })?
        };
        let network = if block.network_name.contains("main") {
            flowcoin_types::Network::Mainnet
        } else {
            flowcoin_types::Network::Devnet
        };
        // The network's preset, with the epoch length the genesis chose (`devnet up
        // --block-time`); any other difference means the genesis was made for parameters this
        // node does not run.
        let mut params = NetworkParams::for_network(network);
        let invalid = |reason: String| ChainServiceError::Genesis {
            path: genesis_file(repo),
            reason,
        };
        params.epoch_duration =
            flowcoin_types::economics::EpochDuration::from_secs(block.params.epoch_duration_secs)
                .map_err(|e| invalid(format!("epoch length: {e}")))?;
        if genesis::ParamsSummary::of(&params) != block.params {
            return Err(invalid(format!(
                "the genesis was made for other {network} parameters than this node runs: \
                 {:?}, expected {:?}",
                block.params,
                genesis::ParamsSummary::of(&params)
            )));
        }
        let blocks = NodeBlocks::new(disk);
        let store = ChainStore::open(
            Some(&chain_index(repo)),
            blocks,
            &block,
            &genesis_cid,
            params.clone(),
        )?;
        // Recorded only once the chain store accepted it: a wrong --genesis on a repository
        // with another chain leaves the record as it was.
        if genesis_car.is_some() {
            std::fs::write(genesis_file(repo), genesis_cid.to_string()).map_err(|e| {
                ChainServiceError::Genesis {
                    path: genesis_file(repo),
                    reason: e.to_string(),
                }
            })?;
        }
        let weigher = EcWeigher {
            expected_leaders: params.expected_leaders_per_epoch,
        };
        let gas = GasSchedule::default();
        let head_state = Self::head_state(&store)?;
        let mpool = Mpool::new(head_state, params, gas.clone(), MpoolConfig::default());
        Ok(Self {
            store,
            mpool,
            gas,
            weigher,
            announce: None,
            local: std::collections::VecDeque::new(),
        })
    }

    /// The pool's view of the current head.
    fn head_state(
        store: &ChainStore<NodeBlocks>,
    ) -> Result<HeadState<DiskView>, ChainServiceError> {
        let head = store.head()?;
        let executed = store
            .meta(head.key())?
            .and_then(|m| m.executed)
            .ok_or_else(|| ChainError::UnknownTipset("the head is not executed".into()))?;
        let tree = StateTree::load(store.blocks().disk(), &executed.state_root)?;
        Ok(HeadState::new(tree, executed.next_base_fee))
    }

    /// The network's parameters.
    pub fn params(&self) -> &NetworkParams {
        self.store.params()
    }

    /// The chain store.
    pub fn store(&self) -> &ChainStore<NodeBlocks> {
        &self.store
    }

    /// The message pool.
    pub fn mpool(&self) -> &Mpool<HeadState<DiskView>> {
        &self.mpool
    }

    /// The gas schedule.
    pub fn gas(&self) -> &GasSchedule {
        &self.gas
    }

    /// The head.
    pub fn head(&self) -> Result<Tipset, ChainServiceError> {
        Ok(self.store.head()?)
    }

    /// What executing the head gave (the state its children build on).
    pub fn head_executed(&self) -> Result<Executed, ChainServiceError> {
        let head = self.store.head()?;
        Ok(self
            .store
            .meta(head.key())?
            .and_then(|m| m.executed)
            .ok_or_else(|| ChainError::UnknownTipset("the head is not executed".into()))?)
    }

    /// Adds a message from a local sender (the API, the miner) to the pool and, when it is
    /// new there, announces it to the network.
    pub fn push_message(&mut self, message: SignedMessage) -> Result<Added, AddError> {
        let copy = self.announce.is_some().then(|| message.clone());
        let added = self.mpool.add(message)?;
        if let Added::Pending { cid, .. } = &added {
            if self.local.len() >= MAX_LOCAL_MESSAGES {
                self.local.pop_front();
            }
            self.local.push_back(*cid);
        }
        if let (Added::Pending { .. }, Some(announce), Some(message)) =
            (&added, &self.announce, copy)
        {
            announce(&message);
        }
        Ok(added)
    }

    /// Announces again the messages local senders pushed that are still pending (a peer that
    /// was not connected, or dropped the gossip, gets them now); forgets the rest. Returns how
    /// many were announced.
    pub fn republish(&mut self) -> usize {
        let mpool = &self.mpool;
        self.local.retain(|cid| mpool.contains(cid));
        let Some(announce) = &self.announce else {
            return 0;
        };
        let mut announced = 0;
        for cid in &self.local {
            if let Some(message) = self.mpool.get(cid) {
                announce(message);
                announced += 1;
            }
        }
        announced
    }

    /// Adds a message a peer gossiped to the pool (not announced again: gossip forwards it).
    pub fn add_gossiped_message(&mut self, message: SignedMessage) -> Result<Added, AddError> {
        self.mpool.add(message)
    }

    /// Sets what [`push_message`](Self::push_message) announces new messages with.
    pub fn set_announcer(&mut self, announce: Announcer) {
        self.announce = Some(announce);
    }

    /// Whether the block `cid` is stored (it was validated when it was).
    pub fn has_block(&self, cid: &Cid) -> Result<bool, ChainServiceError> {
        Ok(self.store.blocks().has(cid)?)
    }

    /// Checks `header` and its `messages` against every consensus rule on this node's chain
    /// (its parent must be known and executed).
    pub fn validate(
        &self,
        header: &flowcoin_types::block::BlockHeader,
        messages: &[SignedMessage],
    ) -> Result<(), ChainServiceError> {
        let validation = Validation {
            store: &self.store,
            gas: &self.gas,
        };
        validate_block(header, messages, &validation).map_err(|source| {
            ChainServiceError::InvalidBlock {
                cid: header
                    .cid()
                    .map(|c| c.to_string())
                    .unwrap_or_else(|_| "?".into()),
                source: Box::new(source),
            }
        })
    }

    /// Validates `blocks` (each with its messages), stores them, records and executes their
    /// tipset as given and, when they are siblings of the head's blocks (same epoch, same
    /// parents), also the tipset of both; the heavier of those becomes the head if it is
    /// heavier than the current one. Returns whether the head moved.
    pub fn accept(
        &mut self,
        blocks: &[(flowcoin_types::block::BlockHeader, Vec<SignedMessage>)],
    ) -> Result<bool, ChainServiceError> {
        // Every block is checked against the consensus rules before anything is stored.
        for (header, messages) in blocks {
            self.validate(header, messages)?;
        }
        for (header, messages) in blocks {
            self.store.put_block(header, messages)?;
        }
        let given: Vec<_> = blocks.iter().map(|(h, _)| h.clone()).collect();
        // The tipset as given is always recorded: a syncing node's next tipset names exactly
        // it as its parent.
        let exact = Tipset::new(given.clone()).map_err(ChainError::from)?;
        let mut meta = self.store.add_tipset(&exact, &self.weigher)?;
        self.store.execute(&exact, &self.gas)?;
        let mut tipset = exact;
        // Blocks of the head's epoch on the head's parents also join the head's tipset
        // (several miners winning the same epoch make one, heavier, tipset).
        let head = self.store.head()?;
        if let Some(first) = given.first()
            && first.height == head.height()
            && first.parents == head.parents().0
            && head.blocks().iter().any(|b| !given.contains(b))
        {
            let mut members = given;
            for sibling in head.blocks() {
                if !members.contains(sibling) {
                    members.push(sibling.clone());
                }
            }
            let merged = Tipset::new(members).map_err(ChainError::from)?;
            let merged_meta = self.store.add_tipset(&merged, &self.weigher)?;
            self.store.execute(&merged, &self.gas)?;
            if merged_meta.weight >= meta.weight {
                meta = merged_meta;
                tipset = merged;
            }
        }
        let head_weight = self
            .store
            .meta(head.key())?
            .map(|m| m.weight)
            .unwrap_or_default();
        let heavier = meta.weight > head_weight
            || (meta.weight == head_weight
                && tipset.min_ticket_digest() < head.min_ticket_digest()
                && tipset.key() != head.key());
        if !heavier {
            return Ok(false);
        }
        self.store.blocks_mut().pin_head(tipset.key().0.clone());
        let change = self.store.set_head(&tipset)?;
        let messages = |tipsets: &[Tipset]| -> Result<Vec<SignedMessage>, ChainServiceError> {
            let mut out = Vec::new();
            for ts in tipsets {
                for block in ts.blocks() {
                    out.extend(self.store.block_messages(block)?);
                }
            }
            Ok(out)
        };
        let reverted = messages(&change.reverted)?;
        let applied = messages(&change.applied)?;
        *self.mpool.state_mut() = Self::head_state(&self.store)?;
        self.mpool.head_change(&reverted, &applied);
        // Messages of the abandoned branch are pending again: announce them, for the other
        // pools may never have seen them (they came in blocks of a partitioned side), and a
        // sender's later messages wait behind them.
        if let Some(announce) = &self.announce {
            for message in &reverted {
                if message.cid().is_ok_and(|cid| self.mpool.contains(&cid)) {
                    announce(message);
                }
            }
        }
        Ok(true)
    }
}
