//! The chain fixture of `validate.rs`: two genesis miners with real sealed 2 KiB sectors, a
//! chain store over them, and `StoreContext` — `ValidationContext` over a `ChainStore`, what
//! the node writes — with `EcWeigher`, the `Weigher` newtype over EC's weight formula.
//!
//! The network is devnet with E = 1 expected leader per epoch instead of 5: with E = 5 the two
//! miners leave an epoch empty with probability e^−5, so a 20-epoch chain would have no null
//! round; with E = 1 it has several, and both miners win together about one epoch in six.

use std::sync::OnceLock;

use flowcoin_chain::genesis::{self, GenesisMinerTemplate, GenesisSectorTemplate, GenesisTemplate};
use flowcoin_chain::store::{ChainStore, Weigher};
use flowcoin_consensus::produce::{BlockInputs, ProduceError, WinningPostTask, produce_block};
use flowcoin_consensus::validate::{
    BlockError, ContextError, ParentTipset, ValidationContext, validate_block,
};
use flowcoin_consensus::weight::weight;
use flowcoin_crypto::message::sign_message;
use flowcoin_crypto::randomness::RandomnessSource;
use flowcoin_crypto::{SecretKey, bls, ed25519};
use flowcoin_dag::store::{Blockstore, MemoryBlockstore};
use flowcoin_proofs::sdr::post::{PrivateSector, prove_winning};
use flowcoin_proofs::{sealed_cid, unsealed_cid};
use flowcoin_state::actor::ActorId;
use flowcoin_state::gas::GasSchedule;
use flowcoin_state::state_tree::StateTree;
use flowcoin_types::block::{BlockHeader, ChainWeight};
use flowcoin_types::tipset::{Tipset, TipsetKey};
use flowcoin_types::{
    Address, Message, Network, NetworkParams, SignedMessage, StoragePower, TokenAmount,
};

use crate::support::{SIZE, seal_sector};

const GENESIS_TIME: u64 = 1_700_000_000;
const MINERS: [ActorId; 2] = [1000, 1001];
const SECTORS_PER_MINER: u64 = 2;

/// The miners' sectors, sealed once for every test of this binary.
struct Sealed {
    _dir: tempfile::TempDir,
    /// Per miner (in `MINERS` order): its sectors' template entries and private files.
    miners: Vec<Vec<(GenesisSectorTemplate, PrivateSector)>>,
}

fn sealed() -> &'static Sealed {
    static SEALED: OnceLock<Sealed> = OnceLock::new();
    SEALED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let miners = MINERS
            .iter()
            .map(|&miner| {
                (0..SECTORS_PER_MINER)
                    .map(|n| {
                        let (s, private) = seal_sector(dir.path(), miner, n);
                        let template = GenesisSectorTemplate {
                            sector_number: n,
                            comm_r: sealed_cid(&s.comm_r),
                            comm_d: unsealed_cid(&s.comm_d),
                            expiration: 10_000,
                        };
                        (template, private)
                    })
                    .collect()
            })
            .collect();
        Sealed { _dir: dir, miners }
    })
}

/// Devnet with E = 1 (see the module documentation).
fn params() -> NetworkParams {
    let mut params = NetworkParams::devnet();
    params.expected_leaders_per_epoch = 1;
    params
}

/// The worker key of the miner at `index` of `MINERS`.
pub fn worker(index: usize) -> bls::SecretKey {
    bls::SecretKey::from_seed(&[10 + index as u8; 32]).unwrap()
}

/// The premine account's key (it sends every message).
pub fn premine_key() -> SecretKey {
    SecretKey::Ed25519(ed25519::SecretKey::from_seed(&[42; 32]))
}

/// The genesis template, with the two miners or without any.
pub fn template(miners: bool) -> GenesisTemplate {
    let sealed = if miners { &sealed().miners[..] } else { &[] };
    GenesisTemplate {
        network: Network::Devnet,
        timestamp: GENESIS_TIME,
        premine: premine_key().public_key().address(),
        team: Address::from_ed25519_public_key(&[2; 32]),
        super_nodes: genesis::devnet_super_node_addresses().unwrap(),
        miners: MINERS
            .iter()
            .zip(sealed)
            .enumerate()
            .map(|(i, (&id, sectors))| GenesisMinerTemplate {
                id,
                owner: Address::from_ed25519_public_key(&[20 + i as u8; 32]),
                worker: Address::Bls(worker(i).public_key().to_bytes()),
                sector_size: SIZE,
                peer_id: Vec::new(),
                sectors: sectors.iter().map(|(t, _)| t.clone()).collect(),
            })
            .collect(),
    }
}

/// The weigher the node passes to `ChainStore::add_tipset`: EC's weight formula.
struct EcWeigher {
    expected_leaders: u64,
}

impl Weigher for EcWeigher {
    fn weight(&self, parent: ChainWeight, tipset: &Tipset, power: StoragePower) -> ChainWeight {
        weight(
            parent,
            power,
            tipset.total_win_count(),
            self.expected_leaders,
        )
    }
}

fn ctx_err(e: impl std::fmt::Display) -> ContextError {
    e.to_string().into()
}

/// `ValidationContext` over the chain store, as the node implements it. The overrides let a
/// test doctor what the node would report (a state with fee debt, a lookback without miners).
pub struct StoreContext<'a> {
    store: &'a ChainStore<MemoryBlockstore>,
    /// The network's parameters (a test may change them).
    pub params: NetworkParams,
    gas: GasSchedule,
    now: u64,
    /// Report this as the parent's execution result instead of the store's.
    pub parent_state_override: Option<cid::Cid>,
    /// Report this as the lookback state instead of the store's.
    pub lookback_override: Option<cid::Cid>,
}

impl ValidationContext for StoreContext<'_> {
    fn params(&self) -> &NetworkParams {
        &self.params
    }

    fn gas(&self) -> &GasSchedule {
        &self.gas
    }

    fn now(&self) -> u64 {
        self.now
    }

    fn blockstore(&self) -> &dyn Blockstore {
        self.store.blocks()
    }

    fn parent(&self, key: &TipsetKey) -> Result<Option<ParentTipset>, ContextError> {
        let Some(meta) = self.store.meta(key).map_err(ctx_err)? else {
            return Ok(None);
        };
        let executed = meta.executed.ok_or("the parent is not executed yet")?;
        Ok(Some(ParentTipset {
            tipset: self.store.load_tipset(key).map_err(ctx_err)?,
            weight: meta.weight,
            state_root: self.parent_state_override.unwrap_or(executed.state_root),
            receipts: executed.receipts,
            next_base_fee: executed.next_base_fee,
        }))
    }

    fn lookback_state_root(&self, parent: &Tipset, height: u64) -> Result<cid::Cid, ContextError> {
        match self.lookback_override {
            Some(root) => Ok(root),
            None => self
                .store
                .lookback_state_root(parent, height)
                .map_err(ctx_err),
        }
    }

    fn randomness<'a>(
        &'a self,
        parent: &Tipset,
    ) -> Result<Box<dyn RandomnessSource + 'a>, ContextError> {
        Ok(Box::new(self.store.randomness(parent.clone())))
    }
}

/// A chain store on a genesis with the two miners.
pub struct Chain {
    /// The chain store (in-memory blocks and index).
    pub store: ChainStore<MemoryBlockstore>,
    /// The network's parameters.
    pub params: NetworkParams,
    /// The premine's key address.
    pub premine: Address,
    /// The premine's ID.
    pub premine_id: ActorId,
}

/// A chain store on a genesis with the two miners, at genesis.
pub fn chain() -> Chain {
    let params = params();
    let mut blocks = MemoryBlockstore::new();
    let built = genesis::build_genesis(&template(true), &params, &mut blocks).unwrap();
    assert_eq!(built.actors.miners, MINERS);
    let store = ChainStore::open(None, blocks, &built.block, &built.cid, params.clone()).unwrap();
    Chain {
        store,
        params,
        premine: premine_key().public_key().address(),
        premine_id: built.actors.premine,
    }
}

/// Proves a Winning PoSt task from the miner's sealed files.
fn prove(miner_index: usize, task: &WinningPostTask) -> Result<Vec<u8>, ContextError> {
    let private = sealed().miners[miner_index]
        .iter()
        .map(|(_, p)| p)
        .find(|p| p.sector_number == task.sector.sector_number)
        .ok_or("the challenged sector is not ours")?;
    let proof = prove_winning(
        task.proof_type,
        &task.prover_id,
        &task.randomness,
        std::slice::from_ref(private),
    )?;
    Ok(proof.encode(false))
}

impl Chain {
    /// The node's context, its clock at `now`.
    pub fn context(&self, now: u64) -> StoreContext<'_> {
        StoreContext {
            store: &self.store,
            params: self.params.clone(),
            gas: GasSchedule::default(),
            now,
            parent_state_override: None,
            lookback_override: None,
        }
    }

    /// Validates with the clock at the block's own timestamp.
    pub fn validate(
        &self,
        header: &BlockHeader,
        messages: &[SignedMessage],
    ) -> Result<(), BlockError> {
        validate_block(header, messages, &self.context(header.timestamp))
    }

    /// Miner `MINERS[index]`'s block on `parent` at `height`, if it wins.
    pub fn produce(
        &self,
        parent: &Tipset,
        height: u64,
        index: usize,
        messages: Vec<SignedMessage>,
    ) -> Option<(BlockHeader, Vec<SignedMessage>)> {
        self.try_produce(
            parent,
            height,
            index,
            &worker(index),
            &self.params,
            messages,
        )
        .unwrap()
    }

    /// [`produce`](Self::produce) with the worker key `key` and parameters `params`.
    pub fn try_produce(
        &self,
        parent: &Tipset,
        height: u64,
        index: usize,
        key: &bls::SecretKey,
        params: &NetworkParams,
        messages: Vec<SignedMessage>,
    ) -> Result<Option<(BlockHeader, Vec<SignedMessage>)>, ProduceError> {
        let ctx = self.context(u64::MAX);
        let parent_info = ctx.parent(parent.key()).unwrap().unwrap();
        let blocks = self.store.blocks();
        let parent_state = StateTree::load(blocks, &parent_info.state_root).unwrap();
        let lookback_root = ctx.lookback_state_root(parent, height).unwrap();
        let lookback_state = StateTree::load(blocks, &lookback_root).unwrap();
        let randomness = ctx.randomness(parent).unwrap();
        let inputs = BlockInputs {
            params,
            parent: &parent_info,
            parent_state: &parent_state,
            lookback_state: &lookback_state,
            randomness: randomness.as_ref(),
            miner: MINERS[index],
            worker: key,
            height,
        };
        produce_block(&inputs, messages, |task| prove(index, task))
    }

    /// Stores the blocks, forms their tipset, weighs and executes it.
    pub fn extend(&mut self, blocks: &[(BlockHeader, Vec<SignedMessage>)]) -> Tipset {
        for (header, messages) in blocks {
            self.store.put_block(header, messages).unwrap();
        }
        let tipset = Tipset::new(blocks.iter().map(|(h, _)| h.clone()).collect()).unwrap();
        let weigher = EcWeigher {
            expected_leaders: self.params.expected_leaders_per_epoch,
        };
        self.store.add_tipset(&tipset, &weigher).unwrap();
        self.store
            .execute(&tipset, &GasSchedule::default())
            .unwrap();
        tipset
    }

    /// The tipset's weight in the index.
    pub fn weight_of(&self, tipset: &Tipset) -> ChainWeight {
        self.store.meta(tipset.key()).unwrap().unwrap().weight
    }

    /// The state executing the tipset gave.
    pub fn state_root_of(&self, tipset: &Tipset) -> cid::Cid {
        let meta = self.store.meta(tipset.key()).unwrap().unwrap();
        meta.executed.unwrap().state_root
    }

    /// The premine's nonce after `tipset`.
    pub fn premine_nonce(&self, tipset: &Tipset) -> u64 {
        let tree = StateTree::load(self.store.blocks(), &self.state_root_of(tipset)).unwrap();
        tree.get_actor(self.premine_id).unwrap().unwrap().nonce
    }

    /// A transfer of 1 FLW from the premine with `nonce`, naming it by ID address when
    /// `by_id`.
    pub fn transfer(&self, nonce: u64, by_id: bool) -> SignedMessage {
        let message = Message {
            from: if by_id {
                Address::Id(self.premine_id)
            } else {
                self.premine
            },
            to: bob(),
            nonce,
            value: TokenAmount::from_flw(1),
            gas_limit: 3_000_000,
            gas_fee_cap: TokenAmount::from_atto(1_000_000_000),
            gas_premium: TokenAmount::from_atto(1_000),
            ..Message::default()
        };
        sign_message(&premine_key(), &message).unwrap()
    }

    /// Every miner's block on `parent` at `height` (those that win), each validated.
    pub fn epoch(
        &self,
        parent: &Tipset,
        height: u64,
        miners: &[usize],
        messages: &[SignedMessage],
    ) -> Vec<(BlockHeader, Vec<SignedMessage>)> {
        let blocks: Vec<_> = miners
            .iter()
            .filter_map(|&i| self.produce(parent, height, i, messages.to_vec()))
            .collect();
        for (header, messages) in &blocks {
            self.validate(header, messages)
                .unwrap_or_else(|e| panic!("block of {:?} at {height}: {e}", header.miner));
        }
        blocks
    }

    /// Extends `from` over `heights` with the blocks of `miners`; returns the tipsets made.
    pub fn grow(
        &mut self,
        from: &Tipset,
        heights: std::ops::RangeInclusive<u64>,
        miners: &[usize],
    ) -> Vec<Tipset> {
        let mut head = from.clone();
        let mut made = Vec::new();
        for height in heights {
            let blocks = self.epoch(&head, height, miners, &[]);
            if !blocks.is_empty() {
                head = self.extend(&blocks);
                made.push(head.clone());
            }
        }
        made
    }
}

/// Where the transfers go.
pub fn bob() -> Address {
    Address::from_ed25519_public_key(&[7; 32])
}

/// `address`'s balance after `tipset`.
pub fn balance(chain: &Chain, tipset: &Tipset, address: &Address) -> TokenAmount {
    let tree = StateTree::load(chain.store.blocks(), &chain.state_root_of(tipset)).unwrap();
    let id = tree.lookup_id(address).unwrap().unwrap();
    tree.get_actor(id).unwrap().unwrap().balance
}
