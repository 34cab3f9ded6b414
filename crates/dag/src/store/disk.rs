//! The persistent blockstore: block data in append-only pack files, the index, the link graph
//! and the pins in one redb database. See `docs/STORE.md` for the on-disk format and the crash
//! argument.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use cid::Cid;
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

use super::packs::{Appender, Loc, PACK_TARGET, Packs};

/// Tunables of a [`DiskStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// A pack file stops growing once it reaches this many bytes.
    pub pack_target: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            pack_target: PACK_TARGET,
        }
    }
}
use super::{BlockSink, Blockstore, StoreError};
use crate::hash::{IDENTITY, cid_from_prefix};
use crate::links::links;

/// multihash bytes → (pack, data offset, data length, record header length).
pub(crate) const BLOCKS: TableDefinition<'_, &[u8], Loc> = TableDefinition::new("blocks");
/// multihash bytes → the concatenated bytes of the CIDs the block links to (absent: no links).
pub(crate) const REFS: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("refs");
/// root CID bytes → JSON [`PinInfo`].
pub(crate) const PINS: TableDefinition<'_, &[u8], &[u8]> = TableDefinition::new("pins");
/// pack id → (committed length, live record bytes).
pub(crate) const PACKS: TableDefinition<'_, u32, (u64, u64)> = TableDefinition::new("packs");
/// (pack id, record offset) → record length: deleted records whose space is not yet returned.
pub(crate) const DEAD: TableDefinition<'_, (u32, u64), u64> = TableDefinition::new("dead");
/// Format version and counters.
pub(crate) const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");

/// On-disk format version written by this code.
const FORMAT_VERSION: u64 = 1;
/// Space kept in reserve so that garbage collection can run on a full disk.
pub(crate) const RESERVE_BYTES: u64 = 32 * 1024 * 1024;

/// What kind of root a pin holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PinKind {
    /// A UnixFS file.
    File,
    /// A UnixFS directory.
    Directory,
    /// A UnixFS symlink.
    Symlink,
    /// A root imported from a CAR that is not UnixFS (or not inspected).
    Dag,
}

/// What the store remembers about a pinned root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinInfo {
    /// A human name (file name, CAR file name).
    pub name: String,
    /// What the root is.
    pub kind: PinKind,
    /// Content bytes (file size, or sum of file sizes in a directory; DAG bytes otherwise).
    pub size: u64,
    /// Cumulative DAG size in bytes.
    pub dag_size: u64,
    /// Unix time of pinning, in seconds.
    pub created: u64,
}

/// Counts describing the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StoreStats {
    /// Distinct blocks indexed.
    pub blocks: u64,
    /// Pinned roots.
    pub pins: u64,
    /// Pack files.
    pub packs: u64,
    /// Bytes of live records in packs.
    pub live_bytes: u64,
    /// Bytes of deleted records not yet returned to the file system.
    pub dead_bytes: u64,
}

/// A crash-safe blockstore in a directory.
///
/// One process opens a store at a time (the database file is locked); within the process one
/// [`ImportBatch`] or garbage collection writes at a time, while any number of readers proceed.
#[derive(Debug)]
pub struct DiskStore {
    pub(crate) dir: PathBuf,
    pub(crate) db: Database,
    pub(crate) packs: Packs,
    pub(crate) writer: Mutex<()>,
    options: StoreOptions,
}

pub(crate) fn db_err(e: impl Into<redb::Error>) -> StoreError {
    match e.into() {
        redb::Error::Io(io) => {
            if io.raw_os_error() == Some(rustix::io::Errno::NOSPC.raw_os_error()) {
                StoreError::NoSpace {
                    path: "index.redb".into(),
                }
            } else {
                StoreError::Db(io.to_string())
            }
        }
        other => StoreError::Db(other.to_string()),
    }
}

/// The index key of a CID: its multihash, so CIDv0 and CIDv1 of one block share it (as in Kubo).
pub(crate) fn key(cid: &Cid) -> Vec<u8> {
    cid.hash().to_bytes()
}

/// Seconds since the Unix epoch (for pin records).
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl DiskStore {
    /// Opens (creating if needed) the store in `dir`, and recovers from any interrupted write.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(dir, StoreOptions::default())
    }

    /// [`DiskStore::open`] with non-default options.
    pub fn open_with(dir: impl AsRef<Path>, options: StoreOptions) -> Result<Self, StoreError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let db_path = dir.join("index.redb");
        let db = match Database::create(&db_path) {
            Ok(db) => db,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(StoreError::Locked(dir.display().to_string()));
            }
            Err(e) => return Err(db_err(e)),
        };
        let packs = Packs::open(dir.join("packs"))?;
        let store = DiskStore {
            dir,
            db,
            packs,
            writer: Mutex::new(()),
            options,
        };
        store.init_tables()?;
        store.recover()?;
        store.ensure_reserve();
        Ok(store)
    }

    /// The directory the store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn init_tables(&self) -> Result<(), StoreError> {
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            txn.open_table(BLOCKS).map_err(db_err)?;
            txn.open_table(REFS).map_err(db_err)?;
            txn.open_table(PINS).map_err(db_err)?;
            txn.open_table(PACKS).map_err(db_err)?;
            txn.open_table(DEAD).map_err(db_err)?;
            let mut meta = txn.open_table(META).map_err(db_err)?;
            let version = meta
                .get("format_version")
                .map_err(db_err)?
                .map(|v| v.value());
            match version {
                None => {
                    meta.insert("format_version", FORMAT_VERSION)
                        .map_err(db_err)?;
                }
                Some(FORMAT_VERSION) => {}
                Some(v) => {
                    return Err(StoreError::Corrupt(format!(
                        "store format version {v} is not supported by this flowcoin (which writes version {FORMAT_VERSION})"
                    )));
                }
            }
        }
        txn.commit().map_err(db_err)
    }

    /// Brings the pack files in line with the index after a crash: appends that were never
    /// committed are cut off, pack files the index does not know are removed, and pending dead
    /// ranges are punched again.
    fn recover(&self) -> Result<(), StoreError> {
        let _w = self.lock();
        let known: BTreeMap<u32, (u64, u64)> = {
            let txn = self.db.begin_read().map_err(db_err)?;
            let t = txn.open_table(PACKS).map_err(db_err)?;
            let mut m = BTreeMap::new();
            for row in t.iter().map_err(db_err)? {
                let (k, v) = row.map_err(db_err)?;
                m.insert(k.value(), v.value());
            }
            m
        };
        for id in self.packs.list()? {
            match known.get(&id) {
                None => self.packs.remove(id)?,
                Some(&(len, _)) => {
                    let path = self.packs.path(id);
                    let actual = std::fs::metadata(&path)
                        .map_err(|e| StoreError::io(&path, e))?
                        .len();
                    if actual > len {
                        self.packs.truncate(id, len)?;
                    } else if actual < len {
                        return Err(StoreError::Corrupt(format!(
                            "pack {} is {actual} bytes but the index committed {len}",
                            path.display()
                        )));
                    }
                }
            }
        }
        for (&id, &(_, live)) in &known {
            if live > 0 && !self.packs.path(id).exists() {
                return Err(StoreError::Corrupt(format!(
                    "pack {id} holding live blocks is missing"
                )));
            }
        }
        self.reclaim_dead()?;
        Ok(())
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, ()> {
        self.writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn reserve_path(&self) -> PathBuf {
        self.dir.join("reserve")
    }

    /// Size of the reserve file: 1 % of the file system, between 1 MiB and [`RESERVE_BYTES`].
    fn reserve_size(&self) -> u64 {
        let fs = rustix::fs::statvfs(&self.dir)
            .map(|s| s.f_blocks.saturating_mul(s.f_frsize))
            .unwrap_or(u64::MAX);
        (fs / 100).clamp(1 << 20, RESERVE_BYTES)
    }

    /// Keeps a reserve file allocated, to be released when the disk is full so that garbage
    /// collection can commit. Best effort: on a full disk it just stays missing.
    pub(crate) fn ensure_reserve(&self) {
        let path = self.reserve_path();
        let size = self.reserve_size();
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == size) {
            return;
        }
        let made = std::fs::File::create(&path).and_then(|f| {
            rustix::fs::fallocate(&f, rustix::fs::FallocateFlags::empty(), 0, size)
                .map_err(std::io::Error::from)?;
            f.sync_all()
        });
        if made.is_err() {
            let _ = std::fs::remove_file(&path);
        }
    }

    /// Frees the reserve if the disk is nearly full. Returns whether it did.
    pub(crate) fn release_reserve_if_low(&self) -> bool {
        let free = rustix::fs::statvfs(&self.dir)
            .map(|s| s.f_bavail.saturating_mul(s.f_frsize))
            .unwrap_or(u64::MAX);
        if free < self.reserve_size().saturating_mul(2) {
            return std::fs::remove_file(self.reserve_path()).is_ok();
        }
        false
    }

    /// Starts a write batch. Blocks and pins put into it become visible (and durable) together
    /// at [`ImportBatch::commit`]; dropping the batch discards them.
    pub fn batch(&self) -> Result<ImportBatch<'_>, StoreError> {
        let guard = self.lock();
        let txn = self.db.begin_read().map_err(db_err)?;
        let blocks = txn.open_table(BLOCKS).map_err(db_err)?;
        let packs = txn.open_table(PACKS).map_err(db_err)?;
        let meta = txn.open_table(META).map_err(db_err)?;
        let last = packs
            .last()
            .map_err(db_err)?
            .map(|(k, v)| (k.value(), v.value()));
        let next_id = meta
            .get("next_pack")
            .map_err(db_err)?
            .map_or(1, |v| v.value());
        let (active, len) = match last {
            Some((id, (len, _))) if len < self.options.pack_target => (id, len),
            _ => (
                u32::try_from(next_id)
                    .map_err(|_| StoreError::Corrupt("pack ids exhausted".into()))?,
                0,
            ),
        };
        Ok(ImportBatch {
            store: self,
            _guard: guard,
            index: blocks,
            next_pack: next_id.max(u64::from(active) + 1),
            appender: None,
            active: (active, len),
            finished: Vec::new(),
            pending: HashMap::new(),
            pins: Vec::new(),
            committed: false,
        })
    }

    /// Whether the store holds a block with `cid`'s multihash.
    pub fn contains(&self, cid: &Cid) -> Result<bool, StoreError> {
        if cid.hash().code() == IDENTITY {
            return Ok(true);
        }
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(BLOCKS).map_err(db_err)?;
        Ok(t.get(key(cid).as_slice()).map_err(db_err)?.is_some())
    }

    /// The length of a stored block's data, from the index; `None` if not stored.
    pub fn block_len(&self, cid: &Cid) -> Result<Option<u64>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(BLOCKS).map_err(db_err)?;
        Ok(t.get(key(cid).as_slice())
            .map_err(db_err)?
            .map(|v| u64::from(v.value().2)))
    }

    /// The links of a stored block, from the index (no block data is read); `None` if the block
    /// is not stored.
    pub fn stored_links(&self, cid: &Cid) -> Result<Option<Vec<Cid>>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let blocks = txn.open_table(BLOCKS).map_err(db_err)?;
        let k = key(cid);
        if blocks.get(k.as_slice()).map_err(db_err)?.is_none() {
            return Ok(None);
        }
        let refs = txn.open_table(REFS).map_err(db_err)?;
        let value = refs.get(k.as_slice()).map_err(db_err)?;
        value.map_or(Ok(Some(Vec::new())), |v| decode_refs(v.value()).map(Some))
    }

    /// Every pinned root, ordered by CID bytes.
    pub fn pins(&self) -> Result<Vec<(Cid, PinInfo)>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(PINS).map_err(db_err)?;
        let mut out = Vec::new();
        for row in t.iter().map_err(db_err)? {
            let (k, v) = row.map_err(db_err)?;
            let cid = crate::hash::cid_from_bytes(k.value())
                .map_err(|e| StoreError::Corrupt(format!("pin key: {e}")))?;
            let info = serde_json::from_slice(v.value())
                .map_err(|e| StoreError::Corrupt(format!("pin {cid}: {e}")))?;
            out.push((cid, info));
        }
        Ok(out)
    }

    /// The pin record of `cid`, if pinned.
    pub fn pin_info(&self, cid: &Cid) -> Result<Option<PinInfo>, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let t = txn.open_table(PINS).map_err(db_err)?;
        let v = t.get(cid.to_bytes().as_slice()).map_err(db_err)?;
        v.map(|v| {
            serde_json::from_slice(v.value())
                .map_err(|e| StoreError::Corrupt(format!("pin {cid}: {e}")))
        })
        .transpose()
    }

    /// Removes the pin of `cid` (blocks stay until [`DiskStore::gc`]). Returns whether it was
    /// pinned.
    pub fn unpin(&self, cid: &Cid) -> Result<bool, StoreError> {
        let _w = self.lock();
        // Unpinning is how space is made on a full disk: let its commit use the reserve.
        self.release_reserve_if_low();
        let txn = self.db.begin_write().map_err(db_err)?;
        let removed = {
            let mut t = txn.open_table(PINS).map_err(db_err)?;
            t.remove(cid.to_bytes().as_slice())
                .map_err(db_err)?
                .is_some()
        };
        txn.commit().map_err(db_err)?;
        Ok(removed)
    }

    /// Counts describing the store.
    pub fn stats(&self) -> Result<StoreStats, StoreError> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let blocks = txn
            .open_table(BLOCKS)
            .map_err(db_err)?
            .len()
            .map_err(db_err)?;
        let pins = txn
            .open_table(PINS)
            .map_err(db_err)?
            .len()
            .map_err(db_err)?;
        let packs_t = txn.open_table(PACKS).map_err(db_err)?;
        let mut packs = 0u64;
        let mut live = 0u64;
        for row in packs_t.iter().map_err(db_err)? {
            let (_, v) = row.map_err(db_err)?;
            packs = packs.saturating_add(1);
            live = live.saturating_add(v.value().1);
        }
        let mut dead = 0u64;
        for row in txn
            .open_table(DEAD)
            .map_err(db_err)?
            .iter()
            .map_err(db_err)?
        {
            let (_, v) = row.map_err(db_err)?;
            dead = dead.saturating_add(v.value());
        }
        Ok(StoreStats {
            blocks,
            pins,
            packs,
            live_bytes: live,
            dead_bytes: dead,
        })
    }
}

impl Blockstore for DiskStore {
    fn get(&self, cid: &Cid) -> Result<Option<Vec<u8>>, StoreError> {
        if cid.hash().code() == IDENTITY {
            return Ok(Some(cid.hash().digest().to_vec()));
        }
        let loc = {
            let txn = self.db.begin_read().map_err(db_err)?;
            let t = txn.open_table(BLOCKS).map_err(db_err)?;
            t.get(key(cid).as_slice())
                .map_err(db_err)?
                .map(|v| v.value())
        };
        loc.map(|l| self.packs.read(l)).transpose()
    }

    fn has(&self, cid: &Cid) -> Result<bool, StoreError> {
        self.contains(cid)
    }
}

/// Concatenated CID bytes → CIDs.
pub(crate) fn decode_refs(mut bytes: &[u8]) -> Result<Vec<Cid>, StoreError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (cid, n) =
            cid_from_prefix(bytes).map_err(|e| StoreError::Corrupt(format!("link index: {e}")))?;
        out.push(cid);
        bytes = bytes.get(n..).unwrap_or_default();
    }
    Ok(out)
}

/// A block written in this batch but not yet committed.
#[derive(Debug)]
struct Pending {
    loc: Loc,
    record_len: u64,
    refs: Vec<u8>,
}

/// An atomic write to a [`DiskStore`]: blocks and pins become durable and visible together at
/// [`ImportBatch::commit`], or not at all.
pub struct ImportBatch<'s> {
    store: &'s DiskStore,
    _guard: MutexGuard<'s, ()>,
    index: redb::ReadOnlyTable<&'static [u8], Loc>,
    next_pack: u64,
    appender: Option<Appender>,
    /// (pack id, committed length) to append to next.
    active: (u32, u64),
    /// Appenders filled up during this batch.
    finished: Vec<Appender>,
    pending: HashMap<Vec<u8>, Pending>,
    pins: Vec<(Cid, PinInfo)>,
    committed: bool,
}

impl std::fmt::Debug for ImportBatch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportBatch")
            .field("pending", &self.pending.len())
            .field("pins", &self.pins.len())
            .finish()
    }
}

impl ImportBatch<'_> {
    /// Whether the block is in this batch or already in the store.
    pub fn contains(&self, cid: &Cid) -> Result<bool, StoreError> {
        if cid.hash().code() == IDENTITY {
            return Ok(true);
        }
        let k = key(cid);
        Ok(
            self.pending.contains_key(&k)
                || self.index.get(k.as_slice()).map_err(db_err)?.is_some(),
        )
    }

    /// The links of a block in this batch or in the store; `None` if neither has it.
    pub fn links_of(&self, cid: &Cid) -> Result<Option<Vec<Cid>>, StoreError> {
        if cid.hash().code() == IDENTITY {
            return links(cid, cid.hash().digest())
                .map(Some)
                .map_err(|e| StoreError::Invalid(e.to_string()));
        }
        match self.pending.get(&key(cid)) {
            Some(p) => decode_refs(&p.refs).map(Some),
            None => self.store.stored_links(cid),
        }
    }

    /// Number of new blocks written by this batch.
    pub fn new_blocks(&self) -> usize {
        self.pending.len()
    }

    /// Pins `cid` when the batch commits (replacing an existing pin record of it).
    pub fn pin(&mut self, cid: Cid, info: PinInfo) {
        self.pins.push((cid, info));
    }

    /// The appender for the next record, starting a new pack when the current one is full.
    fn appender(&mut self) -> Result<&mut Appender, StoreError> {
        if self
            .appender
            .as_ref()
            .is_some_and(|a| a.len >= self.store.options.pack_target)
            && let Some(full) = self.appender.take()
        {
            // Pack ids only grow: `next_pack` is above every id ever used.
            let id = u32::try_from(self.next_pack)
                .map_err(|_| StoreError::Corrupt("pack ids exhausted".into()))?;
            self.active = (id, 0);
            self.finished.push(full);
        }
        if self.appender.is_none() {
            let (id, len) = self.active;
            self.next_pack = self.next_pack.max(u64::from(id).saturating_add(1));
            self.appender = Some(Appender::open(&self.store.packs, id, len)?);
        }
        self.appender
            .as_mut()
            .ok_or_else(|| StoreError::Db("no pack appender".into()))
    }

    /// Makes everything in the batch durable and visible, atomically.
    pub fn commit(mut self) -> Result<(), StoreError> {
        let mut appenders: Vec<&mut Appender> = self.finished.iter_mut().collect();
        if let Some(a) = self.appender.as_mut() {
            appenders.push(a);
        }
        let mut created = false;
        for a in &mut appenders {
            a.sync()?;
            created |= a.created;
        }
        if created {
            self.store.packs.sync_dir()?;
        }
        let mut pack_updates: BTreeMap<u32, (u64, u64)> = BTreeMap::new();
        for a in &appenders {
            pack_updates.insert(a.id, (a.len, 0));
        }
        for p in self.pending.values() {
            if let Some(u) = pack_updates.get_mut(&p.loc.0) {
                u.1 = u.1.saturating_add(p.record_len);
            }
        }
        let txn = self.store.db.begin_write().map_err(db_err)?;
        {
            let mut blocks = txn.open_table(BLOCKS).map_err(db_err)?;
            let mut refs = txn.open_table(REFS).map_err(db_err)?;
            for (k, p) in &self.pending {
                blocks.insert(k.as_slice(), p.loc).map_err(db_err)?;
                if !p.refs.is_empty() {
                    refs.insert(k.as_slice(), p.refs.as_slice())
                        .map_err(db_err)?;
                }
            }
            let mut packs = txn.open_table(PACKS).map_err(db_err)?;
            for (id, (len, added)) in pack_updates {
                let live = packs.get(id).map_err(db_err)?.map_or(0, |v| v.value().1);
                packs
                    .insert(id, (len, live.saturating_add(added)))
                    .map_err(db_err)?;
            }
            let mut meta = txn.open_table(META).map_err(db_err)?;
            meta.insert("next_pack", self.next_pack).map_err(db_err)?;
            let mut pins = txn.open_table(PINS).map_err(db_err)?;
            for (cid, info) in &self.pins {
                let json = serde_json::to_vec(info).map_err(|e| StoreError::Db(e.to_string()))?;
                pins.insert(cid.to_bytes().as_slice(), json.as_slice())
                    .map_err(db_err)?;
            }
        }
        txn.commit().map_err(db_err)?;
        self.committed = true;
        Ok(())
    }

    fn rollback(&mut self) {
        let appenders = self.finished.drain(..).chain(self.appender.take());
        for a in appenders {
            let (id, start, created) = (a.id, a.start_len, a.created);
            drop(a);
            // Best effort: recovery at the next open cuts off anything left behind.
            if created {
                let _ = self.store.packs.remove(id);
            } else {
                let _ = self.store.packs.truncate(id, start);
            }
        }
    }
}

impl Drop for ImportBatch<'_> {
    fn drop(&mut self) {
        if !self.committed {
            self.rollback();
        }
    }
}

impl ImportBatch<'_> {
    /// Appends a block's record and remembers it (with its links) for the commit.
    fn append(&mut self, cid: &Cid, parts: &[&[u8]], children: &[Cid]) -> Result<(), StoreError> {
        let mut refs = Vec::new();
        for c in children {
            refs.extend_from_slice(&c.to_bytes());
        }
        let loc = self.appender()?.append(cid, parts)?;
        let record_len = u64::from(loc.3).saturating_add(u64::from(loc.2));
        self.pending.insert(
            key(cid),
            Pending {
                loc,
                record_len,
                refs,
            },
        );
        Ok(())
    }
}

impl BlockSink for ImportBatch<'_> {
    fn put(&mut self, cid: &Cid, data: &[u8]) -> Result<(), StoreError> {
        if self.contains(cid)? {
            return Ok(());
        }
        let children = links(cid, data).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.append(cid, &[data], &children)
    }

    fn put_parts(
        &mut self,
        cid: &Cid,
        parts: &[&[u8]],
        links: Option<&[Cid]>,
    ) -> Result<(), StoreError> {
        match links {
            None => self.put(cid, &parts.concat()),
            Some(children) => {
                if self.contains(cid)? {
                    return Ok(());
                }
                self.append(cid, parts, children)
            }
        }
    }
}
