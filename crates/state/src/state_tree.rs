//! The state tree: every actor by ID in a [`Hamt`], the init actor's address map, and the
//! versioned state root.
//!
//! Layout (Filecoin's, as of its state tree v4):
//!
//! - the **state root** is the DAG-CBOR array `[version, actors]` ([`StateRoot`]); version
//!   [`STATE_TREE_VERSION`] has these two fields, and a later version may append more (the
//!   version decides the arity, so readers refuse what they do not know);
//! - **actors** is a HAMT keyed by the actor's ID address bytes ([`id_key`]: `0x00` and the ID
//!   as an unsigned varint) with [`ActorState`] values `[code, head, nonce, balance]`;
//! - the **init actor** (ID 1) holds [`InitState`] `[address_map, next_id, network_name]`; its
//!   address map is a HAMT from address bytes to ID.
//!
//! Changes stay in memory until [`StateTree::flush`], which writes the changed HAMT nodes and
//! actor states and returns the new root. The init actor's `head` is brought up to date by
//! `flush`: between a [`StateTree::register_new_address`] and the next flush,
//! [`StateTree::get_actor`]`(INIT_ACTOR_ID)` shows the previous head.

use std::cell::OnceCell;
use std::collections::BTreeMap;

use cid::Cid;
use flowcoin_dag::store::{BlockSink, Blockstore, StoreError};
use flowcoin_types::Address;
use flowcoin_types::message::{CborError, cbor_cid, from_cbor, to_cbor};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde::de::{Deserializer, SeqAccess, Visitor};

use flowcoin_types::cbor_tuple;

use crate::actor::{
    AccountState, ActorCode, ActorId, ActorState, BURNT_FUNDS_ACTOR_ID, FIRST_NON_SINGLETON_ID,
    INIT_ACTOR_ID, InitState, REWARD_ACTOR_ID, STORAGE_POWER_ACTOR_ID, SYSTEM_ACTOR_ID,
    SystemState, id_key,
};
use crate::hamt::{Hamt, HamtError};

/// The state tree version this crate writes and reads.
pub const STATE_TREE_VERSION: u64 = 1;
/// The largest actor-state block read (init, account, system states are far smaller).
const MAX_STATE_OBJECT_BYTES: usize = 1 << 20;

/// Why a state tree operation failed. All of these mean the node's state or store is
/// incomplete or damaged, or the caller misused the tree; messages never cause them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// A HAMT (actors or address map) could not be read or written.
    #[error(transparent)]
    Hamt(#[from] HamtError),
    /// A state object is not in the blockstore.
    #[error("{what} {cid} is not in the blockstore (the state is incomplete)")]
    MissingBlock {
        /// The object's CID.
        cid: Box<Cid>,
        /// What it is.
        what: &'static str,
    },
    /// The blockstore failed while reading a state object.
    #[error("reading {what} {cid}: {source}")]
    Store {
        /// The object's CID.
        cid: Box<Cid>,
        /// What it is.
        what: &'static str,
        /// The store's error.
        #[source]
        source: Box<StoreError>,
    },
    /// The blockstore failed while writing.
    #[error("writing block {cid}: {source}")]
    Write {
        /// The block's CID.
        cid: Box<Cid>,
        /// The store's error.
        #[source]
        source: Box<StoreError>,
    },
    /// A state object's bytes do not hash to its CID.
    #[error("{what} {cid} is corrupt: its bytes do not hash to its CID")]
    HashMismatch {
        /// The object's CID.
        cid: Box<Cid>,
        /// What it is.
        what: &'static str,
    },
    /// A state object does not decode.
    #[error("{what} {cid} is malformed: {source}")]
    Malformed {
        /// The object's CID.
        cid: Box<Cid>,
        /// What it is.
        what: &'static str,
        /// The decoder's error.
        #[source]
        source: CborError,
    },
    /// A state object could not be encoded.
    #[error("encoding state: {0}")]
    Encode(#[source] CborError),
    /// The state root has a version this build does not read.
    #[error(
        "state tree version {version} is not supported (this build reads version {STATE_TREE_VERSION}; upgrade the node)"
    )]
    UnsupportedVersion {
        /// The root's version.
        version: u64,
    },
    /// A singleton actor the operation needs is not in the tree.
    #[error("the {what} actor (ID {id}) is missing from the state tree")]
    MissingActor {
        /// Its ID.
        id: ActorId,
        /// Its role.
        what: &'static str,
    },
    /// An address to register is already mapped.
    #[error("address {address:?} is already mapped to actor {id}")]
    AddressAlreadyRegistered {
        /// The address.
        address: Address,
        /// Its ID.
        id: ActorId,
    },
    /// ID addresses are not registered in the address map (they are their own ID).
    #[error("{0:?} is an ID address: only key and actor addresses are registered")]
    IdAddress(Address),
    /// The init actor has handed out every ID.
    #[error("the init actor has assigned every actor ID")]
    IdSpaceExhausted,
    /// The init actor was replaced while address registrations were not yet flushed.
    #[error(
        "the init actor has unflushed address registrations: flush the state tree before replacing or deleting it"
    )]
    InitStateUnflushed,
    /// A transaction was begun inside another, or ended when none was open, or the tree was
    /// flushed inside one.
    #[error("state transaction misuse: {0}")]
    Transaction(&'static str),
}

/// The state root object: `[version, actors]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateRoot {
    /// The state tree version ([`STATE_TREE_VERSION`]).
    pub version: u64,
    /// Root of the actors HAMT.
    pub actors: Cid,
}

cbor_tuple!(StateRoot {
    version: u64,
    actors: Cid,
});

/// The init actor's state while the tree works on it.
#[derive(Debug, Clone)]
struct InitCache {
    state: InitState,
    address_map: Hamt<ActorId>,
    /// Whether registrations happened since the init actor's head was last written.
    dirty: bool,
}

/// What an open transaction changed, to undo it.
#[derive(Debug, Default)]
struct Journal {
    /// Each actor's value before its first write in the transaction (`None`: it did not
    /// exist), in order of first write.
    actors: Vec<(ActorId, Option<ActorState>)>,
    /// Actors already recorded in `actors`.
    touched: std::collections::BTreeSet<ActorId>,
    /// Addresses registered in the transaction, in order.
    registered: Vec<Address>,
    /// The init cache's dirty flag when the transaction began.
    init_dirty: bool,
    /// The init cache, if the transaction dropped it by replacing the init actor.
    init_dropped: Option<OnceCell<InitCache>>,
    /// Pending objects first written in the transaction.
    new_objects: Vec<Cid>,
}

/// The actors of one state, over a blockstore `S`.
///
/// Reads go to `S`; writes stay in memory until [`flush`](Self::flush) (into `S` itself) or
/// [`flush_to`](Self::flush_to) (into another sink that feeds the same store, such as a disk
/// store's import batch).
///
/// Changes can be grouped in a transaction ([`begin`](Self::begin),
/// [`commit`](Self::commit), [`revert`](Self::revert)): reverting puts back every actor,
/// address registration and pending object the transaction wrote, so the root is exactly
/// what it was (the HAMTs are canonical). Message application runs each actor method in one,
/// so a method that fails midway leaves nothing behind.
#[derive(Debug)]
pub struct StateTree<S> {
    store: S,
    actors: Hamt<ActorState>,
    init: OnceCell<InitCache>,
    /// Actor-state blocks written since the last flush. Bounded by the changes of one batch
    /// of messages: flushing empties it.
    pending: BTreeMap<Cid, Vec<u8>>,
    /// The open transaction, if any.
    journal: Option<Journal>,
}

impl<S: Blockstore> StateTree<S> {
    /// A tree with no actors at all.
    pub fn new(store: S) -> Self {
        Self {
            store,
            actors: Hamt::new(),
            init: OnceCell::new(),
            pending: BTreeMap::new(),
            journal: None,
        }
    }

    /// A tree holding just the singletons every state needs: system (0), init (1, with an
    /// empty address map, next ID 100), reward (2), storage power (4, no miners) and burnt
    /// funds (99, an account), all with zero balance. The reward actor's state is a placeholder `[]` (it needs the epoch
    /// length): the genesis builder starts from this and sets it to an
    /// [`RewardState`](crate::actor::RewardState).
    pub fn with_singletons(store: S, network_name: &str) -> Result<Self, StateError> {
        let mut tree = Self::new(store);
        let empty_map = Hamt::<ActorId>::new().flush(&mut PendingSink(&mut tree.pending))?;
        let system_head = tree.put_state(&SystemState)?;
        let init_head = tree.put_state(&InitState {
            address_map: empty_map,
            next_id: FIRST_NON_SINGLETON_ID,
            network_name: network_name.to_owned(),
        })?;
        let burnt_head = tree.put_state(&AccountState {
            address: Address::Id(BURNT_FUNDS_ACTOR_ID),
        })?;
        let power = crate::actor::PowerState::new(&mut tree)?;
        let power_head = tree.put_state(&power)?;
        for (id, code, head) in [
            (SYSTEM_ACTOR_ID, ActorCode::System, system_head),
            (INIT_ACTOR_ID, ActorCode::Init, init_head),
            (REWARD_ACTOR_ID, ActorCode::Reward, system_head),
            (STORAGE_POWER_ACTOR_ID, ActorCode::Power, power_head),
            (BURNT_FUNDS_ACTOR_ID, ActorCode::Account, burnt_head),
        ] {
            tree.set_actor(id, ActorState::new(code, head))?;
        }
        Ok(tree)
    }

    /// The tree under state root `root`.
    pub fn load(store: S, root: &Cid) -> Result<Self, StateError> {
        let (version, actors) = read_root(&store, root)?;
        if version != STATE_TREE_VERSION {
            return Err(StateError::UnsupportedVersion { version });
        }
        let actors = Hamt::load(&store, &actors)?;
        Ok(Self {
            store,
            actors,
            init: OnceCell::new(),
            pending: BTreeMap::new(),
            journal: None,
        })
    }

    /// The blockstore.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Gives the blockstore back (unflushed changes are dropped).
    pub fn into_store(self) -> S {
        self.store
    }

    /// The actor with ID `id`, if it exists.
    pub fn get_actor(&self, id: ActorId) -> Result<Option<ActorState>, StateError> {
        Ok(self.actors.get(&self.store, &id_key(id))?.cloned())
    }

    /// Creates or replaces actor `id`.
    pub fn set_actor(&mut self, id: ActorId, actor: ActorState) -> Result<(), StateError> {
        if id == INIT_ACTOR_ID {
            self.forget_init()?;
        }
        self.record_actor(id)?;
        self.actors.set(&self.store, &id_key(id), actor)?;
        Ok(())
    }

    /// Removes actor `id`; returns it if it existed. (Its address-map entry, if any, stays:
    /// Filecoin never reuses IDs either.)
    pub fn delete_actor(&mut self, id: ActorId) -> Result<Option<ActorState>, StateError> {
        if id == INIT_ACTOR_ID {
            self.forget_init()?;
        }
        self.record_actor(id)?;
        Ok(self.actors.delete(&self.store, &id_key(id))?)
    }

    /// Opens a transaction: every change until [`commit`](Self::commit) or
    /// [`revert`](Self::revert) can be undone. Transactions do not nest.
    pub fn begin(&mut self) -> Result<(), StateError> {
        if self.journal.is_some() {
            return Err(StateError::Transaction("a transaction is already open"));
        }
        self.journal = Some(Journal {
            init_dirty: self.init.get().is_some_and(|init| init.dirty),
            ..Journal::default()
        });
        Ok(())
    }

    /// Keeps the open transaction's changes.
    pub fn commit(&mut self) -> Result<(), StateError> {
        self.journal
            .take()
            .map(|_| ())
            .ok_or(StateError::Transaction("commit without a transaction"))
    }

    /// Undoes every change of the open transaction.
    pub fn revert(&mut self) -> Result<(), StateError> {
        let journal = self
            .journal
            .take()
            .ok_or(StateError::Transaction("revert without a transaction"))?;
        for cid in journal.new_objects {
            self.pending.remove(&cid);
        }
        if let Some(init) = journal.init_dropped {
            // Replacing the init actor needs a clean cache, so nothing was registered before
            // the drop, and what was registered after it lives in the cache thrown away here.
            self.init = init;
        } else if let Some(init) = self.init.get_mut() {
            for address in journal.registered.iter().rev() {
                init.address_map.delete(&self.store, &address.to_bytes())?;
                init.state.next_id = init.state.next_id.saturating_sub(1);
            }
            init.dirty = journal.init_dirty;
        }
        for (id, before) in journal.actors.into_iter().rev() {
            let key = id_key(id);
            match before {
                Some(actor) => {
                    self.actors.set(&self.store, &key, actor)?;
                }
                None => {
                    self.actors.delete(&self.store, &key)?;
                }
            }
        }
        Ok(())
    }

    /// Records actor `id`'s value before its first write in the open transaction.
    fn record_actor(&mut self, id: ActorId) -> Result<(), StateError> {
        let first_write = self
            .journal
            .as_ref()
            .is_some_and(|journal| !journal.touched.contains(&id));
        if first_write {
            let before = self.get_actor(id)?;
            if let Some(journal) = self.journal.as_mut() {
                journal.touched.insert(id);
                journal.actors.push((id, before));
            }
        }
        Ok(())
    }

    /// Calls `f` on every actor, in the actors HAMT's order (deterministic). Keys that are
    /// not ID addresses cannot be written through this API and are skipped.
    pub fn for_each_actor<F: FnMut(ActorId, &ActorState)>(
        &self,
        mut f: F,
    ) -> Result<(), StateError> {
        self.actors.for_each(&self.store, |key, actor| {
            if let Ok(Address::Id(id)) = Address::from_bytes(key) {
                f(id, actor);
            }
        })?;
        Ok(())
    }

    /// The ID of `address`: an ID address is its own ID (whether or not the actor exists);
    /// key and actor addresses go through the init actor's address map.
    pub fn lookup_id(&self, address: &Address) -> Result<Option<ActorId>, StateError> {
        if let Address::Id(id) = address {
            return Ok(Some(*id));
        }
        let init = self.init()?;
        Ok(init
            .address_map
            .get(&self.store, &address.to_bytes())?
            .copied())
    }

    /// Assigns the next ID to `address` in the init actor's address map and returns it. Does
    /// not create the actor: the caller sets it with [`set_actor`](Self::set_actor).
    pub fn register_new_address(&mut self, address: &Address) -> Result<ActorId, StateError> {
        if address.id().is_some() {
            return Err(StateError::IdAddress(*address));
        }
        if let Some(id) = self.lookup_id(address)? {
            return Err(StateError::AddressAlreadyRegistered {
                address: *address,
                id,
            });
        }
        self.init()?;
        let Some(init) = self.init.get_mut() else {
            return Err(missing_init());
        };
        let id = init.state.next_id;
        init.state.next_id = id.checked_add(1).ok_or(StateError::IdSpaceExhausted)?;
        init.address_map.set(&self.store, &address.to_bytes(), id)?;
        init.dirty = true;
        if let Some(journal) = self.journal.as_mut() {
            journal.registered.push(*address);
        }
        Ok(id)
    }

    /// Stores an actor-state object (written at the next flush) and returns its CID.
    pub fn put_state<T: Serialize>(&mut self, value: &T) -> Result<Cid, StateError> {
        let bytes = to_cbor("actor state", value).map_err(StateError::Encode)?;
        let cid = cbor_cid(&bytes);
        if self.pending.insert(cid, bytes).is_none()
            && let Some(journal) = self.journal.as_mut()
        {
            journal.new_objects.push(cid);
        }
        Ok(cid)
    }

    /// Reads an actor-state object written by [`put_state`](Self::put_state) or found in the
    /// store, checking its hash and canonical encoding.
    pub fn get_state<T: Serialize + DeserializeOwned>(
        &self,
        what: &'static str,
        cid: &Cid,
    ) -> Result<T, StateError> {
        if let Some(bytes) = self.pending.get(cid) {
            return decode_object(what, cid, bytes);
        }
        read_object(&self.store, what, cid)
    }

    /// The objects the tree can read: pending ones first, then the store. Actor HAMTs are
    /// read through it, since their nodes written in this batch are not in the store yet.
    pub fn objects(&self) -> TreeObjects<'_, S> {
        TreeObjects {
            pending: &self.pending,
            store: &self.store,
        }
    }

    /// Loads an actor's HAMT (its nodes read through [`objects`](Self::objects)).
    pub fn load_hamt<V: Serialize + DeserializeOwned>(
        &self,
        root: &Cid,
    ) -> Result<Hamt<V>, StateError> {
        Ok(Hamt::load(&self.objects(), root)?)
    }

    /// Writes an actor's changed HAMT nodes as pending objects and returns its root.
    pub fn flush_hamt<V: Serialize + DeserializeOwned>(
        &mut self,
        hamt: &mut Hamt<V>,
    ) -> Result<Cid, StateError> {
        let mut sink = JournalSink {
            pending: &mut self.pending,
            journal: self.journal.as_mut(),
        };
        Ok(hamt.flush(&mut sink)?)
    }

    /// Makes the init actor assign IDs from `next_id` on, if it has not got that far yet
    /// (genesis uses this to give its miners the IDs their pre-sealed sectors were made for).
    /// Returns the init actor's next ID afterwards.
    pub fn skip_ids_to(&mut self, next_id: ActorId) -> Result<ActorId, StateError> {
        self.init()?;
        let Some(init) = self.init.get_mut() else {
            return Err(missing_init());
        };
        if init.state.next_id < next_id {
            if self.journal.is_some() {
                return Err(StateError::Transaction(
                    "IDs cannot be skipped inside a transaction",
                ));
            }
            init.state.next_id = next_id;
            init.dirty = true;
        }
        Ok(init.state.next_id)
    }

    /// Writes every change to `sink` and returns the new state root. The tree keeps working
    /// on the flushed state; reads of what was written go through memory, so `sink` should
    /// feed the tree's own store (for example a disk store's import batch).
    pub fn flush_to(&mut self, sink: &mut impl BlockSink) -> Result<Cid, StateError> {
        self.no_transaction()?;
        self.prepare_flush()?;
        write_out(&mut self.actors, &mut self.pending, sink)
    }

    /// The init actor's state, read on first use.
    fn init(&self) -> Result<&InitCache, StateError> {
        if let Some(init) = self.init.get() {
            return Ok(init);
        }
        let actor = self.get_actor(INIT_ACTOR_ID)?.ok_or_else(missing_init)?;
        let state: InitState = self.get_state("init actor state", &actor.head)?;
        let address_map = match self.pending.get(&state.address_map) {
            Some(bytes) => Hamt::from_root_block(&state.address_map, bytes)?,
            None => Hamt::load(&self.store, &state.address_map)?,
        };
        let _ = self.init.set(InitCache {
            state,
            address_map,
            dirty: false,
        });
        self.init.get().ok_or_else(missing_init)
    }

    /// Drops the cached init state before the init actor is replaced, refusing if it holds
    /// registrations not yet written.
    fn forget_init(&mut self) -> Result<(), StateError> {
        if self.init.get().is_some_and(|init| init.dirty) {
            return Err(StateError::InitStateUnflushed);
        }
        let dropped = std::mem::take(&mut self.init);
        if let Some(journal) = self.journal.as_mut()
            && journal.init_dropped.is_none()
        {
            journal.init_dropped = Some(dropped);
        }
        Ok(())
    }

    /// Refuses to flush inside a transaction (its changes could no longer be undone).
    fn no_transaction(&self) -> Result<(), StateError> {
        match self.journal {
            Some(_) => Err(StateError::Transaction(
                "flush inside a transaction: commit or revert it first",
            )),
            None => Ok(()),
        }
    }

    /// Writes the init actor's changed state and points its head at it.
    fn prepare_flush(&mut self) -> Result<(), StateError> {
        let Some(init) = self.init.get_mut().filter(|init| init.dirty) else {
            return Ok(());
        };
        init.state.address_map = init
            .address_map
            .flush(&mut PendingSink(&mut self.pending))?;
        init.dirty = false;
        let state = init.state.clone();
        let head = self.put_state(&state)?;
        let mut actor = self.get_actor(INIT_ACTOR_ID)?.ok_or_else(missing_init)?;
        actor.head = head;
        self.actors
            .set(&self.store, &id_key(INIT_ACTOR_ID), actor)?;
        Ok(())
    }
}

impl<S: Blockstore + BlockSink> StateTree<S> {
    /// Writes every change into the tree's own store and returns the new state root.
    pub fn flush(&mut self) -> Result<Cid, StateError> {
        self.no_transaction()?;
        self.prepare_flush()?;
        write_out(&mut self.actors, &mut self.pending, &mut self.store)
    }
}

/// Writes the pending objects, the actors HAMT and the root object to `sink`.
fn write_out(
    actors: &mut Hamt<ActorState>,
    pending: &mut BTreeMap<Cid, Vec<u8>>,
    sink: &mut impl BlockSink,
) -> Result<Cid, StateError> {
    for (cid, bytes) in std::mem::take(pending) {
        sink.put(&cid, &bytes).map_err(|source| StateError::Write {
            cid: Box::new(cid),
            source: Box::new(source),
        })?;
    }
    let root = StateRoot {
        version: STATE_TREE_VERSION,
        actors: actors.flush(sink)?,
    };
    let bytes = to_cbor("state root", &root).map_err(StateError::Encode)?;
    let cid = cbor_cid(&bytes);
    sink.put(&cid, &bytes).map_err(|source| StateError::Write {
        cid: Box::new(cid),
        source: Box::new(source),
    })?;
    Ok(cid)
}

/// Reads the root object's version and, for a version-1 root, its actors CID. The version is
/// read first so that a newer root (with more fields) is refused as unsupported, not as
/// malformed.
fn read_root(store: &impl Blockstore, root: &Cid) -> Result<(u64, Cid), StateError> {
    let bytes = read_block(store, "state root", root)?;
    let mut decoder = serde_ipld_dagcbor::de::Deserializer::from_slice(&bytes);
    if let Ok(Some(version)) = decoder.deserialize_seq(FirstItem)
        && version != STATE_TREE_VERSION
    {
        return Err(StateError::UnsupportedVersion { version });
    }
    let decoded: StateRoot = decode_object("state root", root, &bytes)?;
    Ok((decoded.version, decoded.actors))
}

/// Reads the first item of an array as a `u64`, ignoring the rest.
struct FirstItem;

impl<'de> Visitor<'de> for FirstItem {
    type Value = Option<u64>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array starting with a version number")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let first = seq.next_element::<u64>()?;
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(first)
    }
}

/// Reads and decodes a state object from the store.
fn read_object<T: Serialize + DeserializeOwned>(
    store: &impl Blockstore,
    what: &'static str,
    cid: &Cid,
) -> Result<T, StateError> {
    let bytes = read_block(store, what, cid)?;
    decode_object(what, cid, &bytes)
}

/// Reads a block's bytes from the store.
fn read_block(
    store: &impl Blockstore,
    what: &'static str,
    cid: &Cid,
) -> Result<Vec<u8>, StateError> {
    store
        .get(cid)
        .map_err(|source| StateError::Store {
            cid: Box::new(*cid),
            what,
            source: Box::new(source),
        })?
        .ok_or_else(|| StateError::MissingBlock {
            cid: Box::new(*cid),
            what,
        })
}

/// Checks a block against its CID and decodes it (canonical encoding only).
fn decode_object<T: Serialize + DeserializeOwned>(
    what: &'static str,
    cid: &Cid,
    bytes: &[u8],
) -> Result<T, StateError> {
    if cbor_cid(bytes) != *cid {
        return Err(StateError::HashMismatch {
            cid: Box::new(*cid),
            what,
        });
    }
    from_cbor(what, bytes, MAX_STATE_OBJECT_BYTES).map_err(|source| StateError::Malformed {
        cid: Box::new(*cid),
        what,
        source,
    })
}

/// The error for a tree without an init actor.
fn missing_init() -> StateError {
    StateError::MissingActor {
        id: INIT_ACTOR_ID,
        what: "init",
    }
}

/// What [`StateTree::objects`] returns: the tree's pending objects over its store.
#[derive(Debug)]
pub struct TreeObjects<'a, S> {
    pending: &'a BTreeMap<Cid, Vec<u8>>,
    store: &'a S,
}

impl<S: Blockstore> Blockstore for TreeObjects<'_, S> {
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, StoreError> {
        match self.pending.get(cid) {
            Some(bytes) => Ok(Some(bytes.clone())),
            None => self.store.get(cid),
        }
    }
}

/// A sink into the pending objects that records new ones in the open transaction.
struct JournalSink<'a> {
    pending: &'a mut BTreeMap<Cid, Vec<u8>>,
    journal: Option<&'a mut Journal>,
}

impl BlockSink for JournalSink<'_> {
    fn put(&mut self, cid: &Cid, data: &[u8]) -> Result<(), StoreError> {
        if self.pending.insert(*cid, data.to_vec()).is_none()
            && let Some(journal) = self.journal.as_mut()
        {
            journal.new_objects.push(*cid);
        }
        Ok(())
    }
}

/// A sink into the tree's pending objects (blocks written at the next flush).
struct PendingSink<'a>(&'a mut BTreeMap<Cid, Vec<u8>>);

impl BlockSink for PendingSink<'_> {
    fn put(&mut self, cid: &Cid, data: &[u8]) -> Result<(), StoreError> {
        self.0.insert(*cid, data.to_vec());
        Ok(())
    }
}

#[cfg(test)]
mod tests;
