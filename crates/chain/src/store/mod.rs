//! The chain store: block headers, their messages, tipsets, the state each tipset leads to,
//! the head and the canonical chain.
//!
//! Objects (headers, message lists, signed messages, states, receipts) are DAG-CBOR blocks in
//! the node's blockstore, under their CIDs. A small redb database beside it holds what is not
//! content-addressed:
//!
//! | table | key | value |
//! |---|---|---|
//! | `tipsets` | tipset key (DAG-CBOR list of block CIDs) | [`TipsetMeta`]: height, weight, and once executed the state root and receipts it leads to and the gas its messages used |
//! | `canonical` | height | the key of the head chain's tipset at that height (null rounds have none) |
//! | `meta` | `"head"`, `"genesis"` | the head's key, the genesis block's CID |
//!
//! Blocks are written and made durable ([`ChainBlocks::persist`]) before the index
//! transaction that refers to them commits, so a crash leaves at most unreferenced blocks, never an index
//! entry whose objects are missing; the head moves in the same transaction as the canonical
//! index, so after a restart the node resumes from a head whose chain is complete.
//!
//! **The genesis tipset** is one synthetic header derived from the [`GenesisBlock`]
//! ([`genesis_header`]): height 0, miner `f00`, the genesis block's CID as its ticket (so
//! chain randomness at epoch 0 comes from the genesis), its state as the parent state.
//! Executing it changes nothing: the first blocks build on the genesis state.
//!
//! **Executing a tipset** T ([`ChainStore::execute`]) applies its blocks' messages to
//! `T.parent_state_root` with [`apply_epoch`] (null rounds since its parent first), giving the
//! state root and receipts that T's children must name. The base fee T's children carry is
//! [`next_base_fee`] of T's base fee and the gas T used per block.
//!
//! **Randomness** ([`ChainRandomness`]) is drawn from tickets: for epoch `e`, the ticket of the
//! smallest-ticket block of the tipset at `e` (or the last one before it, over null rounds) on
//! the chain that ends at an anchor tipset, through
//! [`draw_randomness`](flowcoin_crypto::randomness::draw_randomness) with the domain tag and
//! the round `e`. Rounds after the anchor (the epoch a block is being made for, and the null
//! rounds before it) draw from the anchor's ticket: with no beacon, the parent's ticket is the
//! freshest unpredictable value there is (a departure from Filecoin, which draws elections
//! from drand).

use std::path::Path;

use cid::Cid;
use flowcoin_crypto::randomness::{
    DomainSeparationTag, RANDOMNESS_LEN, RandomnessError, RandomnessSource, draw_randomness,
};
use flowcoin_dag::store::{BlockSink, Blockstore, StoreError};
use flowcoin_state::epoch::{BlockMessages, EpochError, EpochInput, apply_epoch};
use flowcoin_state::gas::{GasSchedule, next_base_fee};
use flowcoin_state::receipt::Receipt;
use flowcoin_state::state_tree::{StateError, StateTree};
use flowcoin_state::supply::{SupplyQueryError, circulating_supply};
use flowcoin_types::block::{BlockHeader, ChainWeight, ElectionProof, MessageList, Ticket};
use flowcoin_types::message::{Bytes, CborError, cbor_cid, from_cbor, to_cbor};
use flowcoin_types::tipset::{Tipset, TipsetError, TipsetKey};
use flowcoin_types::{Address, Message, NetworkParams, SignedMessage, StoragePower, TokenAmount};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use crate::genesis::GenesisBlock;

#[cfg(test)]
mod tests;

const TIPSETS: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("tipsets");
const CANONICAL: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("canonical");
const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");

pub use flowcoin_types::block::MAX_BLOCK_MESSAGES;
/// The largest tipset metadata or message list read back.
const MAX_INDEX_VALUE: usize = 1 << 20;

/// Why a chain store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The blockstore failed.
    #[error("blockstore: {0}")]
    Store(#[from] StoreError),
    /// The index database failed.
    #[error("chain index: {0}")]
    Index(String),
    /// An object could not be encoded or decoded.
    #[error(transparent)]
    Cbor(#[from] CborError),
    /// A block or object is not in the store.
    #[error("{what} {cid} is not in the store")]
    Missing {
        /// What.
        what: &'static str,
        /// Its CID.
        cid: Box<Cid>,
    },
    /// A stored object's bytes do not hash to its CID.
    #[error("{what} {cid} is corrupt (its bytes do not hash to its CID)")]
    Corrupt {
        /// What.
        what: &'static str,
        /// Its CID.
        cid: Box<Cid>,
    },
    /// A tipset is not known to the index.
    #[error("tipset {0} is not known")]
    UnknownTipset(String),
    /// Blocks do not form a tipset.
    #[error(transparent)]
    Tipset(#[from] TipsetError),
    /// A block's message list does not match its messages.
    #[error("block message list {listed} does not match the {count} messages given")]
    MessagesMismatch {
        /// The CID in the header.
        listed: Box<Cid>,
        /// How many messages were given.
        count: usize,
    },
    /// Too many messages in a block.
    #[error("a block lists {0} messages, at most {MAX_BLOCK_MESSAGES} are allowed")]
    TooManyMessages(usize),
    /// A tipset names a parent state other than the one its parent leads to.
    #[error(
        "tipset at height {height} names parent state {claimed}, but executing its parent gives {computed}"
    )]
    ParentStateMismatch {
        /// Its height.
        height: u64,
        /// The state it names.
        claimed: Box<Cid>,
        /// The state its parent leads to.
        computed: Box<Cid>,
    },
    /// The state could not be read or written.
    #[error(transparent)]
    State(#[from] StateError),
    /// Applying the tipset failed (a fault of the node's state).
    #[error(transparent)]
    Epoch(#[from] EpochError),
    /// The circulating supply could not be computed.
    #[error(transparent)]
    Supply(#[from] SupplyQueryError),
    /// The store holds another genesis than the one given.
    #[error("the chain store belongs to genesis {stored}, not {given}")]
    OtherGenesis {
        /// The stored genesis.
        stored: String,
        /// The given one.
        given: String,
    },
}

fn index_err(e: impl std::fmt::Display) -> ChainError {
    ChainError::Index(e.to_string())
}

/// What the index knows about a tipset: `[height, weight, executed]` where `executed` is
/// `[state_root, receipts, gas_used]` once the tipset has been executed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipsetMeta {
    /// Its height.
    pub height: u64,
    /// Its weight.
    pub weight: ChainWeight,
    /// What executing it gave, once it has been executed.
    pub executed: Option<Executed>,
}

flowcoin_types::cbor_tuple!(TipsetMeta {
    height: u64,
    weight: ChainWeight,
    executed: Option<Executed>,
});

/// What executing a tipset gave: `[state_root, receipts, gas_used, next_base_fee, penalties]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    /// The state its children build on.
    pub state_root: Cid,
    /// The CID of its receipts list (one per distinct message, in application order).
    pub receipts: Cid,
    /// Gas its applied messages used.
    pub gas_used: u64,
    /// The base fee its children carry.
    pub next_base_fee: TokenAmount,
    /// What deadline processing charged in it (null rounds included): fault and termination
    /// fees (burnt, or owed as fee debt) and forfeited pre-commit deposits.
    pub penalties: TokenAmount,
}

flowcoin_types::cbor_tuple!(Executed {
    state_root: Cid,
    receipts: Cid,
    gas_used: u64,
    next_base_fee: TokenAmount,
    penalties: TokenAmount,
});

/// A blockstore the chain store can make durable: before every index transaction the chain
/// store calls [`persist`](Self::persist), so the index never refers to blocks a crash could
/// lose. A store that writes through (or lives in memory) does nothing.
pub trait ChainBlocks: Blockstore + BlockSink {
    /// Makes every block put so far durable.
    fn persist(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}

impl ChainBlocks for flowcoin_dag::store::MemoryBlockstore {}

/// How heavy a tipset is; consensus supplies it (the chain store knows no formula).
pub trait Weigher {
    /// The weight of `tipset`, whose parent weighs `parent_weight`, built on a state where the
    /// network's raw power is `power`.
    fn weight(
        &self,
        parent_weight: ChainWeight,
        tipset: &Tipset,
        power: StoragePower,
    ) -> ChainWeight;
}

/// The synthetic header of the genesis tipset (see the module documentation).
pub fn genesis_header(
    genesis: &GenesisBlock,
    genesis_cid: &Cid,
    params: &NetworkParams,
) -> Result<BlockHeader, CborError> {
    let empty_list = cbor_cid(&to_cbor("message list", &MessageList::default())?);
    let empty_receipts = cbor_cid(&to_cbor("receipts", &Vec::<Receipt>::new())?);
    Ok(BlockHeader {
        miner: Address::Id(0),
        ticket: Ticket {
            vrf_proof: Bytes(genesis_cid.to_bytes()),
        },
        election_proof: ElectionProof {
            win_count: 0,
            vrf_proof: Bytes(Vec::new()),
        },
        win_post_proof: Bytes(Vec::new()),
        parents: Vec::new(),
        parent_weight: ChainWeight(0),
        height: 0,
        parent_state_root: genesis.state_root,
        parent_message_receipts: empty_receipts,
        messages: empty_list,
        timestamp: genesis.timestamp,
        parent_base_fee: params.initial_base_fee,
        block_sig: Bytes(Vec::new()),
    })
}

/// The chain: blocks in `S`, the index in a redb database.
pub struct ChainStore<S> {
    blocks: S,
    db: Database,
    genesis: Tipset,
    params: NetworkParams,
}

impl<S> std::fmt::Debug for ChainStore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainStore")
            .field("genesis", self.genesis.key())
            .finish_non_exhaustive()
    }
}

/// The DAG-CBOR bytes of a tipset key (the index's key).
fn key_bytes(key: &TipsetKey) -> Result<Vec<u8>, CborError> {
    to_cbor("tipset key", &key.0)
}

fn key_from_bytes(bytes: &[u8]) -> Result<TipsetKey, CborError> {
    from_cbor("tipset key", bytes, MAX_INDEX_VALUE).map(TipsetKey)
}

impl<S: ChainBlocks> ChainStore<S> {
    /// Opens the chain store whose index is the redb file `index` (created if missing, with
    /// the genesis tipset as head), or an in-memory index for `None`.
    pub fn open(
        index: Option<&Path>,
        mut blocks: S,
        genesis: &GenesisBlock,
        genesis_cid: &Cid,
        params: NetworkParams,
    ) -> Result<Self, ChainError> {
        let db = match index {
            Some(path) => Database::create(path).map_err(index_err)?,
            None => Database::builder()
                .create_with_backend(redb::backends::InMemoryBackend::new())
                .map_err(index_err)?,
        };
        let header = genesis_header(genesis, genesis_cid, &params)?;
        for value in [
            to_cbor("message list", &MessageList::default())?,
            to_cbor("receipts", &Vec::<Receipt>::new())?,
            header.to_cbor()?,
        ] {
            blocks.put(&cbor_cid(&value), &value)?;
        }
        blocks.persist()?;
        let genesis_ts = Tipset::new(vec![header])?;
        let store = Self {
            blocks,
            db,
            genesis: genesis_ts,
            params,
        };
        store.init_index(genesis_cid)?;
        Ok(store)
    }

    /// Writes the genesis tipset and head on first open; checks the genesis on later opens.
    fn init_index(&self, genesis_cid: &Cid) -> Result<(), ChainError> {
        let tx = self.db.begin_write().map_err(index_err)?;
        {
            let mut meta = tx.open_table(META).map_err(index_err)?;
            let stored = meta
                .get("genesis")
                .map_err(index_err)?
                .map(|v| v.value().to_vec());
            match stored {
                Some(bytes) if bytes != genesis_cid.to_bytes() => {
                    return Err(ChainError::OtherGenesis {
                        stored: Cid::try_from(bytes.as_slice())
                            .map(|c| c.to_string())
                            .unwrap_or_else(|_| "?".into()),
                        given: genesis_cid.to_string(),
                    });
                }
                Some(_) => {}
                None => {
                    let key = key_bytes(self.genesis.key())?;
                    meta.insert("genesis", genesis_cid.to_bytes().as_slice())
                        .map_err(index_err)?;
                    meta.insert("head", key.as_slice()).map_err(index_err)?;
                    let first = self.genesis.blocks().first().ok_or(TipsetError::Empty)?;
                    let executed = Executed {
                        state_root: first.parent_state_root,
                        receipts: first.parent_message_receipts,
                        gas_used: 0,
                        next_base_fee: self.params.initial_base_fee,
                        penalties: TokenAmount::ZERO,
                    };
                    let meta_value = to_cbor(
                        "tipset meta",
                        &TipsetMeta {
                            height: 0,
                            weight: ChainWeight(0),
                            executed: Some(executed),
                        },
                    )?;
                    let mut tipsets = tx.open_table(TIPSETS).map_err(index_err)?;
                    tipsets
                        .insert(key.as_slice(), meta_value.as_slice())
                        .map_err(index_err)?;
                    let mut canonical = tx.open_table(CANONICAL).map_err(index_err)?;
                    canonical.insert(0, key.as_slice()).map_err(index_err)?;
                }
            }
        }
        tx.commit().map_err(index_err)
    }

    /// The genesis tipset.
    pub fn genesis(&self) -> &Tipset {
        &self.genesis
    }

    /// The network's parameters.
    pub fn params(&self) -> &NetworkParams {
        &self.params
    }

    /// The blockstore.
    pub fn blocks(&self) -> &S {
        &self.blocks
    }

    /// Gives the blockstore back.
    pub fn into_blocks(self) -> S {
        self.blocks
    }

    /// The blockstore, to write state into.
    pub fn blocks_mut(&mut self) -> &mut S {
        &mut self.blocks
    }

    /// Reads and checks an object.
    fn read(&self, what: &'static str, cid: &Cid) -> Result<Vec<u8>, ChainError> {
        let bytes = self.blocks.get(cid)?.ok_or_else(|| ChainError::Missing {
            what,
            cid: Box::new(*cid),
        })?;
        if cbor_cid(&bytes) != *cid {
            return Err(ChainError::Corrupt {
                what,
                cid: Box::new(*cid),
            });
        }
        Ok(bytes)
    }

    /// Stores a block header with its messages (checking the header's message list names
    /// exactly these messages, in order) and returns the block's CID.
    pub fn put_block(
        &mut self,
        header: &BlockHeader,
        messages: &[SignedMessage],
    ) -> Result<Cid, ChainError> {
        if messages.len() > MAX_BLOCK_MESSAGES {
            return Err(ChainError::TooManyMessages(messages.len()));
        }
        let mut encoded = Vec::with_capacity(messages.len());
        for m in messages {
            let bytes = m.to_cbor()?;
            encoded.push((cbor_cid(&bytes), bytes));
        }
        let list = MessageList {
            messages: encoded.iter().map(|(cid, _)| *cid).collect(),
        };
        let list_bytes = to_cbor("message list", &list)?;
        if cbor_cid(&list_bytes) != header.messages {
            return Err(ChainError::MessagesMismatch {
                listed: Box::new(header.messages),
                count: messages.len(),
            });
        }
        for (cid, bytes) in &encoded {
            self.blocks.put(cid, bytes)?;
        }
        self.blocks.put(&header.messages, &list_bytes)?;
        let header_bytes = header.to_cbor()?;
        let cid = cbor_cid(&header_bytes);
        self.blocks.put(&cid, &header_bytes)?;
        Ok(cid)
    }

    /// A block header.
    pub fn block(&self, cid: &Cid) -> Result<BlockHeader, ChainError> {
        Ok(BlockHeader::from_cbor(&self.read("block header", cid)?)?)
    }

    /// A block's messages, in order.
    pub fn block_messages(&self, header: &BlockHeader) -> Result<Vec<SignedMessage>, ChainError> {
        let list: MessageList = from_cbor(
            "message list",
            &self.read("message list", &header.messages)?,
            MAX_INDEX_VALUE,
        )?;
        list.messages
            .iter()
            .map(|cid| {
                Ok(SignedMessage::from_cbor(
                    &self.read("signed message", cid)?,
                )?)
            })
            .collect()
    }

    /// A signed message by CID.
    pub fn message(&self, cid: &Cid) -> Result<SignedMessage, ChainError> {
        Ok(SignedMessage::from_cbor(
            &self.read("signed message", cid)?,
        )?)
    }

    /// The tipset of `key`, from its stored headers.
    pub fn load_tipset(&self, key: &TipsetKey) -> Result<Tipset, ChainError> {
        let blocks = key
            .0
            .iter()
            .map(|cid| self.block(cid))
            .collect::<Result<Vec<_>, _>>()?;
        let tipset = Tipset::new(blocks)?;
        if tipset.key() != key {
            return Err(ChainError::UnknownTipset(format!(
                "{key:?} is not in tipset order"
            )));
        }
        Ok(tipset)
    }

    /// The index entry of a tipset, if known.
    pub fn meta(&self, key: &TipsetKey) -> Result<Option<TipsetMeta>, ChainError> {
        let tx = self.db.begin_read().map_err(index_err)?;
        let table = match tx.open_table(TIPSETS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(index_err(e)),
        };
        let value = table
            .get(key_bytes(key)?.as_slice())
            .map_err(index_err)?
            .map(|v| v.value().to_vec());
        value
            .map(|bytes| {
                from_cbor("tipset meta", &bytes, MAX_INDEX_VALUE).map_err(ChainError::from)
            })
            .transpose()
    }

    fn put_meta(&mut self, key: &TipsetKey, meta: &TipsetMeta) -> Result<(), ChainError> {
        self.blocks.persist()?;
        let value = to_cbor("tipset meta", meta)?;
        let tx = self.db.begin_write().map_err(index_err)?;
        {
            let mut table = tx.open_table(TIPSETS).map_err(index_err)?;
            table
                .insert(key_bytes(key)?.as_slice(), value.as_slice())
                .map_err(index_err)?;
        }
        tx.commit().map_err(index_err)
    }

    /// Records a tipset whose blocks are stored (its parent must be known): computes its
    /// weight with `weigher` from the power at its parent state. Returns its entry.
    pub fn add_tipset(
        &mut self,
        tipset: &Tipset,
        weigher: &dyn Weigher,
    ) -> Result<TipsetMeta, ChainError> {
        if let Some(meta) = self.meta(tipset.key())? {
            return Ok(meta);
        }
        let parent = self
            .meta(&tipset.parents())?
            .ok_or_else(|| ChainError::UnknownTipset(format!("parent {:?}", tipset.parents())))?;
        let state_root = tipset.parent_state_root().ok_or(TipsetError::Empty)?;
        let tree = StateTree::load(&self.blocks, &state_root)?;
        let power = flowcoin_state::actor::power::power_state(&tree)?.total_raw_power;
        let meta = TipsetMeta {
            height: tipset.height(),
            weight: weigher.weight(parent.weight, tipset, power),
            executed: None,
        };
        self.put_meta(tipset.key(), &meta)?;
        Ok(meta)
    }

    /// Executes `tipset` (see the module documentation), once: later calls return the
    /// recorded result. The tipset must have been added and its parent executed.
    pub fn execute(&mut self, tipset: &Tipset, gas: &GasSchedule) -> Result<Executed, ChainError> {
        let mut meta = self
            .meta(tipset.key())?
            .ok_or_else(|| ChainError::UnknownTipset(format!("{:?}", tipset.key())))?;
        if let Some(executed) = &meta.executed {
            return Ok(executed.clone());
        }
        let parent_key = tipset.parents();
        let parent = self.load_tipset(&parent_key)?;
        let parent_meta = self
            .meta(&parent_key)?
            .ok_or_else(|| ChainError::UnknownTipset(format!("parent {parent_key:?}")))?;
        let parent_done = parent_meta.executed.ok_or_else(|| {
            ChainError::UnknownTipset(format!("parent {parent_key:?} is not executed yet"))
        })?;
        let state_root = tipset.parent_state_root().ok_or(TipsetError::Empty)?;
        if state_root != parent_done.state_root {
            return Err(ChainError::ParentStateMismatch {
                height: tipset.height(),
                claimed: Box::new(state_root),
                computed: Box::new(parent_done.state_root),
            });
        }
        let mut messages: Vec<Vec<Message>> = Vec::new();
        let mut producers = Vec::new();
        for block in tipset.blocks() {
            let list = self
                .block_messages(block)?
                .into_iter()
                .map(|m| m.message)
                .collect();
            messages.push(list);
            producers.push((
                block.miner.id().unwrap_or(0),
                block.election_proof.win_count,
            ));
        }
        let blocks: Vec<BlockMessages<'_>> = messages
            .iter()
            .zip(&producers)
            .map(|(list, (producer, win_count))| BlockMessages {
                producer: *producer,
                win_count: *win_count,
                messages: list,
            })
            .collect();
        let randomness = ChainRandomness {
            store: self,
            anchor: parent.clone(),
        };
        let base_fee = tipset
            .blocks()
            .first()
            .map_or(self.params.initial_base_fee, |b| b.parent_base_fee);
        let mut tree = StateTree::load(&self.blocks, &state_root)?;
        let circulating = circulating_supply(&tree, tipset.height())?;
        let outcome = apply_epoch(
            &mut tree,
            &EpochInput {
                parent_epoch: parent.height(),
                epoch: tipset.height(),
                base_fee,
                blocks: &blocks,
                params: &self.params,
                gas,
                randomness: &randomness,
                circulating_supply: circulating,
            },
        )?;
        let mut sink = PendingWrites::default();
        let new_root = tree.flush_to(&mut sink)?;
        drop(tree);
        for (cid, bytes) in sink.0 {
            self.blocks.put(&cid, &bytes)?;
        }
        let receipts: Vec<Receipt> = outcome
            .receipts
            .into_iter()
            .map(|(_, r)| r.receipt)
            .collect();
        let receipts_bytes = to_cbor("receipts", &receipts)?;
        let receipts_cid = cbor_cid(&receipts_bytes);
        self.blocks.put(&receipts_cid, &receipts_bytes)?;
        let blocks_count = tipset.blocks().len().max(1) as u64;
        let penalties = outcome
            .deadlines
            .iter()
            .flat_map(|r| [r.fees, r.deposits_burnt])
            .try_fold(TokenAmount::ZERO, |sum, fee| sum.checked_add(fee))
            .ok_or_else(|| ChainError::Index("penalties overflow".into()))?;
        let executed = Executed {
            state_root: new_root,
            receipts: receipts_cid,
            gas_used: outcome.gas_used,
            next_base_fee: next_base_fee(
                base_fee,
                outcome.gas_used.checked_div(blocks_count).unwrap_or(0),
                &self.params,
            ),
            penalties,
        };
        meta.executed = Some(executed.clone());
        self.put_meta(tipset.key(), &meta)?;
        Ok(executed)
    }

    /// The receipts of an executed tipset's messages.
    pub fn receipts(&self, executed: &Executed) -> Result<Vec<Receipt>, ChainError> {
        Ok(from_cbor(
            "receipts",
            &self.read("receipts", &executed.receipts)?,
            usize::MAX,
        )?)
    }

    /// The head tipset.
    pub fn head(&self) -> Result<Tipset, ChainError> {
        let tx = self.db.begin_read().map_err(index_err)?;
        let meta = tx.open_table(META).map_err(index_err)?;
        let key = meta
            .get("head")
            .map_err(index_err)?
            .map(|v| v.value().to_vec())
            .ok_or_else(|| ChainError::Index("no head recorded".into()))?;
        self.load_tipset(&key_from_bytes(&key)?)
    }

    /// Makes `tipset` (added, executed) the head and the chain to it canonical. Returns the
    /// tipsets that left the canonical chain and those that joined it (oldest first), for the
    /// message pool.
    pub fn set_head(&mut self, tipset: &Tipset) -> Result<HeadChange, ChainError> {
        // Walk back from the new head to a tipset that is already canonical.
        let mut applied = Vec::new();
        let mut cursor = tipset.clone();
        let ancestor_height = loop {
            if self.canonical_at(cursor.height())?.as_ref() == Some(cursor.key()) {
                break cursor.height();
            }
            let parent = self.load_tipset(&cursor.parents())?;
            applied.push(cursor);
            cursor = parent;
        };
        applied.reverse();
        let old_head = self.head()?;
        let mut reverted = Vec::new();
        let mut walk = old_head;
        while walk.height() > ancestor_height {
            let parent = self.load_tipset(&walk.parents())?;
            reverted.push(walk);
            walk = parent;
        }
        self.blocks.persist()?;
        let tx = self.db.begin_write().map_err(index_err)?;
        {
            let mut canonical = tx.open_table(CANONICAL).map_err(index_err)?;
            let stale: Vec<u64> = canonical
                .range(ancestor_height.saturating_add(1)..)
                .map_err(index_err)?
                .filter_map(|entry| entry.ok().map(|(k, _)| k.value()))
                .collect();
            for height in stale {
                canonical.remove(height).map_err(index_err)?;
            }
            for ts in &applied {
                canonical
                    .insert(ts.height(), key_bytes(ts.key())?.as_slice())
                    .map_err(index_err)?;
            }
            let mut meta = tx.open_table(META).map_err(index_err)?;
            meta.insert("head", key_bytes(tipset.key())?.as_slice())
                .map_err(index_err)?;
        }
        tx.commit().map_err(index_err)?;
        Ok(HeadChange { reverted, applied })
    }

    /// The canonical tipset key at exactly `height`, if any.
    pub fn canonical_at(&self, height: u64) -> Result<Option<TipsetKey>, ChainError> {
        let tx = self.db.begin_read().map_err(index_err)?;
        let table = tx.open_table(CANONICAL).map_err(index_err)?;
        let value = table
            .get(height)
            .map_err(index_err)?
            .map(|v| v.value().to_vec());
        value.map(|bytes| Ok(key_from_bytes(&bytes)?)).transpose()
    }

    /// The tipset at `height` on the chain ending at `anchor`, or the last one before it when
    /// `height` is a null round (`None` above the anchor).
    pub fn tipset_at_or_before(
        &self,
        anchor: &Tipset,
        height: u64,
    ) -> Result<Option<Tipset>, ChainError> {
        if height > anchor.height() {
            return Ok(None);
        }
        let mut cursor = anchor.clone();
        loop {
            if cursor.height() <= height {
                return Ok(Some(cursor));
            }
            // On the canonical chain the index jumps straight there.
            if self.canonical_at(cursor.height())?.as_ref() == Some(cursor.key()) {
                let tx = self.db.begin_read().map_err(index_err)?;
                let table = tx.open_table(CANONICAL).map_err(index_err)?;
                let found = table
                    .range(..=height)
                    .map_err(index_err)?
                    .next_back()
                    .transpose()
                    .map_err(index_err)?
                    .map(|(_, v)| v.value().to_vec());
                if let Some(bytes) = found {
                    return Ok(Some(self.load_tipset(&key_from_bytes(&bytes)?)?));
                }
            }
            cursor = self.load_tipset(&cursor.parents())?;
        }
    }

    /// The state the election and the Winning PoSt sector set of a block at `height` on
    /// `parent` are read from: the state after executing the tipset at (or, over null rounds,
    /// the last before) `height − power_lookback` on `parent`'s chain (the genesis state near
    /// the start).
    pub fn lookback_state_root(&self, parent: &Tipset, height: u64) -> Result<Cid, ChainError> {
        let target = height.saturating_sub(self.params.power_lookback);
        let tipset = self
            .tipset_at_or_before(parent, target.min(parent.height()))?
            .unwrap_or_else(|| self.genesis.clone());
        self.meta(tipset.key())?
            .and_then(|m| m.executed)
            .map(|e| e.state_root)
            .ok_or_else(|| {
                ChainError::UnknownTipset(format!(
                    "the lookback tipset at height {} is not executed",
                    tipset.height()
                ))
            })
    }

    /// Randomness drawn from the chain ending at `anchor`.
    pub fn randomness(&self, anchor: Tipset) -> ChainRandomness<'_, S> {
        ChainRandomness {
            store: self,
            anchor,
        }
    }
}

/// What [`ChainStore::set_head`] changed.
#[derive(Debug, Clone, Default)]
pub struct HeadChange {
    /// Tipsets no longer on the canonical chain, newest first.
    pub reverted: Vec<Tipset>,
    /// Tipsets now on it, oldest first.
    pub applied: Vec<Tipset>,
}

/// Randomness from the tickets of the chain ending at an anchor tipset.
pub struct ChainRandomness<'a, S> {
    store: &'a ChainStore<S>,
    anchor: Tipset,
}

impl<S: ChainBlocks> RandomnessSource for ChainRandomness<'_, S> {
    fn randomness(
        &self,
        tag: DomainSeparationTag,
        epoch: i64,
        entropy: &[u8],
    ) -> Result<[u8; RANDOMNESS_LEN], RandomnessError> {
        let height = u64::try_from(epoch).map_err(|_| RandomnessError::NegativeEpoch { epoch })?;
        let unavailable = |reason: String| RandomnessError::Unavailable { epoch, reason };
        // Rounds after the anchor (the epoch a block is being made for, and null rounds
        // before it) draw from the anchor's own ticket, mixed with the round.
        let tipset = self
            .store
            .tipset_at_or_before(&self.anchor, height.min(self.anchor.height()))
            .map_err(|e| unavailable(e.to_string()))?
            .unwrap_or_else(|| self.anchor.clone());
        let ticket = tipset
            .blocks()
            .first()
            .map(|b| b.ticket.vrf_proof.0.clone())
            .unwrap_or_default();
        Ok(draw_randomness(&ticket, tag, epoch, entropy))
    }
}

/// State blocks written by a flush, put into the store afterwards.
#[derive(Default)]
struct PendingWrites(Vec<(Cid, Vec<u8>)>);

impl BlockSink for PendingWrites {
    fn put(&mut self, cid: &Cid, data: &[u8]) -> Result<(), StoreError> {
        self.0.push((*cid, data.to_vec()));
        Ok(())
    }
}
