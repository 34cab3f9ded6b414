//! The node's miner service: at every epoch, the miner's duties on the chain service.
//!
//! For each epoch `h` from the head's next up to the one wall-clock time has reached
//! (`(now − genesis time) / epoch length`) — one per wake in steady state, several in a row
//! when catching up after the node was stopped, so deadlines are proven instead of skipped:
//!
//! 1. the Window PoSt scheduler and the sealing pipeline look at the head's state; the
//!    messages they need are signed by the miner's sending key and put in the pool;
//! 2. the block producer runs the election for `h` on the head (null rounds in between if
//!    epochs passed without a block) and, on a win, the block is accepted as the new head.
//!
//! Proving is CPU-bound: the service runs it on a blocking thread while it holds the chain
//! service's lock, so API reads wait at most one epoch's work. Sealing a pledged sector takes
//! far longer (95 s for 512 MiB): its number and ticket are taken on the chain, then it is
//! sealed on a thread of its own, without any lock, and pre-committed once sealed.

use std::collections::BTreeSet;
use std::sync::{Arc, Condvar, Mutex};

use flowcoin_consensus::produce::{BlockInputs, ProduceError};
use flowcoin_crypto::message::sign_message;
use flowcoin_crypto::{SecretKey, bls};
use flowcoin_miner::pipeline::{Pipeline, PipelineAction};
use flowcoin_miner::producer::produce_block;
use flowcoin_miner::scheduler::{Action, PostScheduler};
use flowcoin_miner::sectors::{PledgeJob, SectorStore};
use flowcoin_state::actor::ActorId;
use flowcoin_state::actor::miner::{
    METHOD_DECLARE_FAULTS, METHOD_DECLARE_FAULTS_RECOVERED, METHOD_PRE_COMMIT_SECTOR,
    METHOD_PROVE_COMMIT_SECTOR, METHOD_SUBMIT_WINDOWED_POST,
};
use flowcoin_state::state_tree::StateTree;
use flowcoin_state::supply::circulating_supply;
use flowcoin_types::block::BlockHeader;
use flowcoin_types::message::to_cbor;
use flowcoin_types::{Address, Message, SignedMessage, TokenAmount};

use crate::chain::ChainService;

/// The tip the miner's own messages pay per unit of gas.
const PREMIUM: TokenAmount = TokenAmount::from_atto(100_000);

/// Who the node mines as.
#[derive(Debug, Clone)]
pub struct MinerConfig {
    /// The miner actor.
    pub id: ActorId,
    /// The worker's BLS key (tickets, elections, block signatures).
    pub worker: Arc<bls::SecretKey>,
    /// The key that sends the miner's messages and pays their gas (the owner or the worker).
    pub sender: Arc<SecretKey>,
}

/// The miner's sectors live under `<repo>/sectors`, parent caches under `<repo>/cache/parents`.
pub fn sector_store(repo: &std::path::Path) -> SectorStore {
    SectorStore::new(repo.join("sectors"), repo.join("cache").join("parents"))
}

/// What one epoch of mining did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpochReport {
    /// The epoch worked on.
    pub height: u64,
    /// Messages put in the pool.
    pub messages: usize,
    /// Whether a block was made and became the head.
    pub block: bool,
    /// The block made (with its messages), accepted by this node, for the network.
    pub produced: Option<(BlockHeader, Vec<SignedMessage>)>,
}

/// Seals pledged sectors on a thread of its own, so sealing (95 s for 512 MiB) never holds
/// the chain: the pipeline finds a sector once its `sector.json` is written.
struct Sealer {
    jobs: std::sync::mpsc::Sender<PledgeJob>,
    /// Sectors handed to the thread and not sealed yet, with a signal when one finishes.
    in_flight: Arc<(Mutex<BTreeSet<u64>>, Condvar)>,
}

impl Sealer {
    fn start(store: SectorStore) -> Self {
        let (jobs, queue) = std::sync::mpsc::channel::<PledgeJob>();
        let in_flight = Arc::new((Mutex::new(BTreeSet::new()), Condvar::new()));
        let done = Arc::clone(&in_flight);
        std::thread::spawn(move || {
            // Ends when the service (and its sender) is dropped.
            while let Ok(job) = queue.recv() {
                match store.seal(&job) {
                    Ok(_) => tracing::info!(sector = job.number, "sealed a pledged sector"),
                    Err(e) => tracing::warn!(sector = job.number, "sealing failed: {e}"),
                }
                let (set, signal) = &*done;
                if let Ok(mut set) = set.lock() {
                    set.remove(&job.number);
                }
                signal.notify_all();
            }
        });
        Self { jobs, in_flight }
    }

    /// The numbers still being sealed.
    fn reserved(&self) -> BTreeSet<u64> {
        self.in_flight
            .0
            .lock()
            .map(|set| set.clone())
            .unwrap_or_default()
    }

    fn submit(&self, job: PledgeJob) -> Result<(), MinerError> {
        if let Ok(mut set) = self.in_flight.0.lock() {
            set.insert(job.number);
        }
        self.jobs
            .send(job)
            .map_err(|_| MinerError::Message("the sealing thread stopped".into()))
    }

    fn wait(&self) {
        let (set, signal) = &*self.in_flight;
        let Ok(mut guard) = set.lock() else { return };
        while !guard.is_empty() {
            guard = match signal.wait(guard) {
                Ok(guard) => guard,
                Err(_) => return,
            };
        }
    }
}

/// The miner's state between epochs.
pub struct MinerService {
    config: MinerConfig,
    sectors: SectorStore,
    scheduler: PostScheduler,
    pipeline: Pipeline,
    /// Sectors asked for by `pledge`, handed to the sealer at the next epoch.
    pledges: usize,
    sealer: Sealer,
}

impl std::fmt::Debug for MinerService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MinerService")
            .field("miner", &self.config.id)
            .finish_non_exhaustive()
    }
}

/// Why an epoch's work failed (logged; the next epoch tries again).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MinerError {
    /// The chain failed.
    #[error(transparent)]
    Chain(#[from] crate::chain::ChainServiceError),
    /// The chain store failed.
    #[error(transparent)]
    Store(#[from] flowcoin_chain::store::ChainError),
    /// The state failed.
    #[error(transparent)]
    State(#[from] flowcoin_state::state_tree::StateError),
    /// The circulating supply could not be read.
    #[error(transparent)]
    Supply(#[from] flowcoin_state::supply::SupplyQueryError),
    /// The PoSt scheduler failed.
    #[error(transparent)]
    Scheduler(#[from] flowcoin_miner::scheduler::SchedulerError),
    /// The pipeline failed.
    #[error(transparent)]
    Pipeline(#[from] flowcoin_miner::pipeline::PipelineError),
    /// The producer failed.
    #[error(transparent)]
    Produce(#[from] ProduceError),
    /// A message could not be made or was refused by the pool.
    #[error("message: {0}")]
    Message(String),
}

impl MinerService {
    /// The service of `config.id` over the sectors of the repository at `repo`.
    pub fn new(config: MinerConfig, repo: &std::path::Path) -> Self {
        let sectors = sector_store(repo);
        Self {
            scheduler: PostScheduler::new(config.id, sectors.clone()),
            pipeline: Pipeline::new(config.id, sectors.clone()),
            sealer: Sealer::start(sectors.clone()),
            config,
            sectors,
            pledges: 0,
        }
    }

    /// Blocks until every pledged sector handed to the sealing thread is sealed (tests use it
    /// to make the pipeline's next step deterministic).
    pub fn wait_sealed(&self) {
        self.sealer.wait();
    }

    /// The miner's ID.
    pub fn id(&self) -> ActorId {
        self.config.id
    }

    /// Asks for one more committed-capacity sector: its number and ticket are taken at the
    /// next epoch, then it is sealed in the background and pre-committed once sealed.
    pub fn pledge(&mut self) {
        self.pledges = self.pledges.saturating_add(1);
    }

    fn send(
        &self,
        chain: &mut ChainService,
        method: u64,
        params: Vec<u8>,
        value: TokenAmount,
    ) -> Result<(), MinerError> {
        let from = self.config.sender.public_key().address();
        let nonce = chain.mpool().next_nonce(&from).ok_or_else(|| {
            MinerError::Message(format!("the sending key {from:?} has no account"))
        })?;
        let message = Message {
            from,
            to: Address::Id(self.config.id),
            nonce,
            value,
            method,
            params,
            gas_limit: 1_000_000_000,
            // Room for the base fee to rise for a few epochs, plus the tip.
            gas_fee_cap: chain
                .head_executed()?
                .next_base_fee
                .checked_mul(4)
                .and_then(|fee| fee.checked_add(PREMIUM))
                .unwrap_or(TokenAmount::MAX),
            gas_premium: PREMIUM,
            ..Message::default()
        };
        let signed = sign_message(&self.config.sender, &message)
            .map_err(|e| MinerError::Message(e.to_string()))?;
        chain
            .push_message(signed)
            .map_err(|e| MinerError::Message(e.to_string()))?;
        Ok(())
    }

    /// Does the miner's work for epoch `height` on `chain`'s head: its messages, then its
    /// block. If the head is already of epoch `height` (another miner's block arrived first)
    /// and holds no block of this miner, the block is made on the head's parent and joins
    /// the head's tipset; for an older epoch nothing is done.
    pub fn work(
        &mut self,
        chain: &mut ChainService,
        height: u64,
    ) -> Result<EpochReport, MinerError> {
        let mut report = EpochReport {
            height,
            ..EpochReport::default()
        };
        let head = chain.head()?;
        let me = Address::Id(self.config.id);
        let base = if height > head.height() {
            head
        } else if height == head.height()
            && height > 0
            && !head.blocks().iter().any(|b| b.miner == me)
        {
            // Another miner's block of this epoch arrived first: this miner may have won the
            // epoch too, on the same parent; its block would join the same tipset.
            chain.store().load_tipset(&head.parents())?
        } else {
            return Ok(report);
        };
        report.messages = self.duties(chain, height)?;
        let block = self.produce_on(chain, &base, height)?;
        if let Some(block) = block {
            report.block = chain.accept(std::slice::from_ref(&block))?;
            report.produced = Some(block);
        }
        Ok(report)
    }

    /// The miner's duties for messages landing at `height` on `chain`'s head: the Window PoSt
    /// scheduler's and the sealing pipeline's messages, signed and put in the pool. Returns
    /// how many were sent.
    pub fn duties(&mut self, chain: &mut ChainService, height: u64) -> Result<usize, MinerError> {
        let mut sent = 0usize;
        let head = chain.head()?;
        let params = chain.params().clone();
        let executed = chain.head_executed()?;
        let disk = chain.store().blocks().disk();
        let head_tree = StateTree::load(disk, &executed.state_root)?;
        let circulating = circulating_supply(&head_tree, height)?;
        let mut sends = Vec::new();
        {
            let randomness = chain.store().randomness(head);
            for _ in 0..std::mem::take(&mut self.pledges) {
                let job = self.pipeline.plan_pledge(
                    &head_tree,
                    height,
                    &randomness,
                    &self.sealer.reserved(),
                )?;
                self.sealer.submit(job)?;
            }
            for action in self
                .scheduler
                .on_epoch(&head_tree, &params, height, &randomness)?
            {
                let (method, params) = match action {
                    Action::SubmitPost(p) => (METHOD_SUBMIT_WINDOWED_POST, to_cbor("p", &p)),
                    Action::DeclareFaults(p, _) => (METHOD_DECLARE_FAULTS, to_cbor("p", &p)),
                    Action::DeclareRecoveries(p) => {
                        (METHOD_DECLARE_FAULTS_RECOVERED, to_cbor("p", &p))
                    }
                };
                sends.push((method, params, TokenAmount::ZERO));
            }
            for action in
                self.pipeline
                    .on_epoch(&head_tree, &params, height, circulating, &randomness)?
            {
                let (method, params, value) = match action {
                    PipelineAction::PreCommit(p, v) => {
                        (METHOD_PRE_COMMIT_SECTOR, to_cbor("p", &p), v)
                    }
                    PipelineAction::ProveCommit(p, v) => {
                        (METHOD_PROVE_COMMIT_SECTOR, to_cbor("p", &p), v)
                    }
                };
                sends.push((method, params, value));
            }
        }
        for (method, params, value) in sends {
            let params = params.map_err(|e| MinerError::Message(e.to_string()))?;
            self.send(chain, method, params, value)?;
            sent = sent.saturating_add(1);
        }
        Ok(sent)
    }
}

impl MinerService {
    /// The miner's block at `height` on `head` (the chain's head or a sibling's parent), or
    /// `None` when it does not win or is not eligible. Nothing is accepted.
    pub fn produce_on(
        &self,
        chain: &ChainService,
        head: &flowcoin_types::tipset::Tipset,
        height: u64,
    ) -> Result<Option<(BlockHeader, Vec<SignedMessage>)>, MinerError> {
        let params = chain.params().clone();
        let store = chain.store();
        let parent = crate::chain::parent_tipset(store, head.key())?
            .ok_or_else(|| MinerError::Message("the parent is not executed".into()))?;
        let disk = store.blocks().disk();
        let randomness = store.randomness(head.clone());
        let lookback_root = store.lookback_state_root(head, height)?;
        let lookback = StateTree::load(disk.clone(), &lookback_root)?;
        let parent_state = StateTree::load(disk, &parent.state_root)?;
        let messages = chain
            .mpool()
            .select(params.block_gas_limit, parent.next_base_fee);
        let inputs = BlockInputs {
            params: &params,
            parent: &parent,
            parent_state: &parent_state,
            lookback_state: &lookback,
            randomness: &randomness,
            miner: self.config.id,
            worker: &self.config.worker,
            height,
        };
        match produce_block(&inputs, &self.sectors, messages) {
            Ok(block) => Ok(block),
            // Not eligible (power below the minimum, fee debt): no block, not an error.
            Err(ProduceError::Ineligible { .. }) => Ok(None),
            // The challenged sector cannot be read (the fault detector declares it before its
            // deadline): this epoch's win is lost, the miner goes on.
            Err(ProduceError::Prove(e)) => {
                tracing::warn!(height, "won the election but could not prove: {e}");
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The epoch wall-clock time `now` (seconds) falls in, for a chain that started at
/// `genesis_time` with epochs of `epoch_secs`.
pub fn epoch_at(now: u64, genesis_time: u64, epoch_secs: u64) -> u64 {
    now.saturating_sub(genesis_time)
        .checked_div(epoch_secs)
        .unwrap_or(0)
}

/// The most epochs one wake works through (catching up after a stop).
const CATCH_UP_PER_WAKE: u64 = 50;

/// Runs `miner` on `chain` until `stop` fires: wakes at each epoch boundary and works every
/// epoch from the head's to the wall clock's.
///
/// With a network, the blocks it makes are gossiped, and no epoch is worked while the node
/// syncs (mining on a stale head would only fork).
pub async fn run(
    chain: Arc<Mutex<ChainService>>,
    miner: Arc<Mutex<MinerService>>,
    net: Option<crate::network::Network>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let (genesis_time, epoch_secs) = match chain.lock() {
        Ok(c) => (
            c.store().genesis().min_timestamp(),
            c.params().epoch_duration.secs(),
        ),
        Err(_) => return,
    };
    // Epochs up to the stored head are not worked again after a restart (no late siblings).
    let mut last_tried = match chain.lock() {
        Ok(c) => c.head().map(|h| h.height()).unwrap_or(0),
        Err(_) => return,
    };
    loop {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let height = epoch_at(now, genesis_time, epoch_secs);
        let syncing = net
            .as_ref()
            .is_some_and(|n| n.status.syncing.load(std::sync::atomic::Ordering::SeqCst));
        if syncing {
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_millis(200)) => continue,
                _ = stop.changed() => return,
            }
        }
        let chain2 = Arc::clone(&chain);
        let miner2 = Arc::clone(&miner);
        let tried = last_tried;
        let result = tokio::task::spawn_blocking(move || {
            let mut chain = chain2
                .lock()
                .map_err(|_| "chain lock poisoned".to_string())?;
            let mut miner = miner2
                .lock()
                .map_err(|_| "miner lock poisoned".to_string())?;
            // Every epoch since the head is worked in turn (after a stop, the chain catches up
            // epoch by epoch, proving each deadline as it comes instead of skipping them as
            // null rounds), at most CATCH_UP_PER_WAKE before the lock is released.
            // From the first epoch not yet tried: the head's own epoch too when another
            // miner's block made it the head before this miner tried it.
            let head = chain.head().map_err(|e| e.to_string())?.height();
            let from = head.saturating_sub(1).max(tried).saturating_add(1);
            let to = height.min(from.saturating_add(CATCH_UP_PER_WAKE));
            let mut reports = Vec::new();
            for h in from..=to {
                reports.push(miner.work(&mut chain, h).map_err(|e| e.to_string())?);
            }
            Ok::<_, String>((reports, to.max(tried)))
        })
        .await;
        match result {
            Ok(Ok((reports, tried))) => {
                last_tried = tried;
                for report in &reports {
                    if let Some((header, messages)) = &report.produced {
                        tracing::info!(
                            height = report.height,
                            messages = report.messages,
                            head = report.block,
                            "mined a block"
                        );
                        if let Some(net) = &net {
                            net.announce_block(header, messages);
                        }
                    }
                }
            }
            Ok(Err(e)) => tracing::warn!(height, "mining: {e}"),
            Err(e) => tracing::warn!(height, "mining task failed: {e}"),
        }
        let next = genesis_time.saturating_add(height.saturating_add(1).saturating_mul(epoch_secs));
        let wait = next.saturating_sub(now).max(1);
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(wait)) => {}
            _ = stop.changed() => return,
        }
    }
}
