//! A persistent hash array mapped trie over the blockstore, in Filecoin's shape.
//!
//! The layout is that of go-hamt-ipld v3 / `fvm_ipld_hamt` v3 as Filecoin's state uses it:
//!
//! - keys are byte strings placed by their SHA-256, read [`BIT_WIDTH`] = 5 bits at a time from
//!   the most significant bit, so every node has 32 slots;
//! - a node is the DAG-CBOR array `[bitfield, [pointer…]]`: the bitfield is the set of occupied
//!   slots as a minimal big-endian byte string (bit *i* = slot *i*, empty when no slot is
//!   used), followed by one pointer per occupied slot in slot order;
//! - a pointer is either a link to a child node (a CID, CBOR tag 42) or a bucket: an array of at
//!   most [`MAX_BUCKET`] = 3 pairs `[key bytes, value]` sorted by key bytes;
//! - nodes are stored as DAG-CBOR blocks under CIDv1 with BLAKE2b-256
//!   ([`flowcoin_types::message::cbor_cid`]); the empty map is `[h'', []]`.
//!
//! **Canonical form.** A slot holds a bucket while at most 3 keys fall in it, and a child node
//! as soon as a 4th arrives (the bucket's pairs move one level down); deleting collapses a child
//! whose pairs fit in one bucket again (Filecoin's rule). So the shape, and the root CID, depend
//! only on the set of pairs, not on the order they were written or deleted in. The root is
//! always a node, even when empty.
//!
//! **Compatibility.** The layout follows go-hamt-ipld v3 as documented and as implemented by
//! `fvm_ipld_hamt`; the empty node's CID matches the one Filecoin's state uses for empty maps,
//! and the root CIDs of ref-fvm's own bit-width-5 test vectors (`set_delete_many`, `for_each`,
//! `clean_child_ordering`: hundreds of pairs, multi-level trees, deletions with collapse) are
//! reproduced exactly (tested). Determinism and order independence are tested.
//!
//! **Reading untrusted blocks.** Every node read is checked against its CID (BLAKE2b-256), its
//! size bounded ([`MAX_NODE_BYTES`]) and its shape validated; a missing, corrupt or malformed
//! node is an error naming its CID. Depth is bounded by the 256 hash bits (51 levels).
//!
//! Nodes read are cached in memory for the life of the `Hamt` (they are what it would have to
//! re-read otherwise), so its memory grows at most to the part of the tree it touched.
//!
//! ```
//! use flowcoin_dag::store::MemoryBlockstore;
//! use flowcoin_state::hamt::Hamt;
//!
//! let mut store = MemoryBlockstore::new();
//! let mut map: Hamt<u64> = Hamt::new();
//! map.set(&store, b"alice", 7)?;
//! map.set(&store, b"bob", 9)?;
//! let root = map.flush(&mut store)?;
//!
//! let loaded: Hamt<u64> = Hamt::load(&store, &root)?;
//! assert_eq!(loaded.get(&store, b"bob")?, Some(&9));
//! assert_eq!(loaded.get(&store, b"carol")?, None);
//! # Ok::<(), flowcoin_state::hamt::HamtError>(())
//! ```

mod node;

use std::cell::OnceCell;

use cid::Cid;
use flowcoin_dag::store::{BlockSink, Blockstore, StoreError};
use flowcoin_types::message::cbor_cid;
use serde::Serialize;
use serde::de::DeserializeOwned;

use node::{Entry, HashBits, Node, Pointer, decode_node, encode_node, hash_key, load_node};

/// Bits of the key hash consumed per level (32 slots per node).
pub const BIT_WIDTH: u32 = 5;
/// The most key/value pairs a bucket holds before it is split into a child node.
pub const MAX_BUCKET: usize = 3;
/// The largest node block accepted when reading.
pub const MAX_NODE_BYTES: usize = 1 << 20;

/// Why a HAMT operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HamtError {
    /// A node the operation needs is not in the blockstore.
    #[error(
        "HAMT node {cid} is not in the blockstore (the state is incomplete: fetch it or restore the store)"
    )]
    MissingNode {
        /// The missing node.
        cid: Box<Cid>,
    },
    /// The blockstore failed while reading a node.
    #[error("reading HAMT node {cid}: {source}")]
    Store {
        /// The node being read.
        cid: Box<Cid>,
        /// The store's error.
        #[source]
        source: Box<StoreError>,
    },
    /// The blockstore failed while writing a node.
    #[error("writing HAMT node {cid}: {source}")]
    Write {
        /// The node being written.
        cid: Box<Cid>,
        /// The store's error.
        #[source]
        source: Box<StoreError>,
    },
    /// A stored node's bytes do not hash to its CID.
    #[error("HAMT node {cid} is corrupt: its bytes do not hash to its CID")]
    HashMismatch {
        /// The node.
        cid: Box<Cid>,
    },
    /// A stored node is not a well-formed HAMT node.
    #[error("HAMT node {cid} is malformed: {reason}")]
    Malformed {
        /// The node.
        cid: Box<Cid>,
        /// What is wrong with it.
        reason: String,
    },
    /// A node or value could not be encoded.
    #[error("encoding a HAMT node: {0}")]
    Encode(String),
    /// More than 3 keys share all 256 bits of their hash (a SHA-256 collision), or a stored
    /// tree is deeper than any real one.
    #[error("HAMT path exceeds the 51 levels the 256-bit key hash allows")]
    MaxDepth,
    /// The in-memory tree broke its own invariant (a bug, never caused by input).
    #[error("HAMT internal inconsistency (bitfield and pointers disagree)")]
    Inconsistent,
}

/// A persistent map from byte-string keys to `V`, stored as a HAMT in a blockstore.
///
/// Operations take the blockstore to read from as an argument, so the map borrows nothing and
/// the same store can be passed mutably to [`flush`](Self::flush).
#[derive(Debug, Clone)]
pub struct Hamt<V> {
    root: Node<V>,
    /// The root's CID while nothing changed since it was loaded or flushed.
    root_cid: Option<Cid>,
}

impl<V> Default for Hamt<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> Hamt<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self {
            root: Node::default(),
            root_cid: None,
        }
    }

    /// Whether the map changed since it was loaded or last flushed.
    pub fn is_dirty(&self) -> bool {
        self.root_cid.is_none()
    }
}

impl<V: Serialize + DeserializeOwned> Hamt<V> {
    /// The map stored under `root`. Reads the root node (an error if it is missing or
    /// malformed); the rest is read on demand.
    pub fn load(store: &impl Blockstore, root: &Cid) -> Result<Self, HamtError> {
        Ok(Self {
            root: load_node(store, root)?,
            root_cid: Some(*root),
        })
    }

    /// Like [`load`](Self::load), from the root node's bytes already at hand.
    pub fn from_root_block(root: &Cid, bytes: &[u8]) -> Result<Self, HamtError> {
        Ok(Self {
            root: decode_node(root, bytes)?,
            root_cid: Some(*root),
        })
    }

    /// The value under `key`, if any.
    pub fn get(&self, store: &impl Blockstore, key: &[u8]) -> Result<Option<&V>, HamtError> {
        let hash = hash_key(key);
        let mut bits = HashBits::new(&hash);
        let mut node = &self.root;
        loop {
            let index = bits.next_index()?;
            if !node.has(index) {
                return Ok(None);
            }
            let pointer = node
                .pointers
                .get(node.position(index))
                .ok_or(HamtError::Inconsistent)?;
            match pointer {
                Pointer::Bucket(entries) => {
                    return Ok(entries
                        .iter()
                        .find(|entry| entry.key == key)
                        .map(|entry| &entry.value));
                }
                Pointer::Link { .. } | Pointer::Dirty(_) => {
                    node = pointer.child(store)?.ok_or(HamtError::Inconsistent)?;
                }
            }
        }
    }

    /// Sets `key` to `value`; returns the value it replaces.
    pub fn set(
        &mut self,
        store: &impl Blockstore,
        key: &[u8],
        value: V,
    ) -> Result<Option<V>, HamtError> {
        self.root_cid = None;
        let hash = hash_key(key);
        let entry = Entry {
            key: key.to_vec(),
            value,
        };
        set_in(&mut self.root, store, &mut HashBits::new(&hash), entry)
    }

    /// Removes `key`; returns its value, or `None` (and changes nothing) if it was absent.
    pub fn delete(&mut self, store: &impl Blockstore, key: &[u8]) -> Result<Option<V>, HamtError> {
        if self.get(store, key)?.is_none() {
            return Ok(None);
        }
        self.root_cid = None;
        let hash = hash_key(key);
        delete_in(&mut self.root, store, &mut HashBits::new(&hash), key)
    }

    /// Calls `f` on every pair in tree order: by key hash 5 bits at a time, and within a
    /// bucket by key bytes. The order depends only on the set of keys.
    pub fn for_each<F>(&self, store: &impl Blockstore, mut f: F) -> Result<(), HamtError>
    where
        F: FnMut(&[u8], &V),
    {
        for_each_in(&self.root, store, &mut f)
    }

    /// Writes every node changed since the last flush to `sink` (children before parents) and
    /// returns the root CID. Unchanged subtrees are not rewritten; flushing an unchanged map
    /// writes nothing.
    pub fn flush(&mut self, sink: &mut impl BlockSink) -> Result<Cid, HamtError> {
        if let Some(cid) = self.root_cid {
            return Ok(cid);
        }
        let cid = flush_node(&mut self.root, sink)?;
        self.root_cid = Some(cid);
        Ok(cid)
    }
}

/// Inserts `entry` below `node`, whose slot index is read from `bits`.
fn set_in<V: DeserializeOwned>(
    node: &mut Node<V>,
    store: &impl Blockstore,
    bits: &mut HashBits<'_>,
    entry: Entry<V>,
) -> Result<Option<V>, HamtError> {
    let index = bits.next_index()?;
    if !node.has(index) {
        node.insert(index, Pointer::Bucket(vec![entry]))?;
        return Ok(None);
    }
    let position = node.position(index);
    let pointer = node
        .pointers
        .get_mut(position)
        .ok_or(HamtError::Inconsistent)?;
    if let Pointer::Bucket(entries) = pointer {
        match entries.binary_search_by(|e| e.key.as_slice().cmp(&entry.key)) {
            Ok(found) => {
                let slot = entries.get_mut(found).ok_or(HamtError::Inconsistent)?;
                return Ok(Some(std::mem::replace(&mut slot.value, entry.value)));
            }
            Err(at) if entries.len() < MAX_BUCKET => {
                entries.insert(at, entry);
                return Ok(None);
            }
            Err(_) => {
                // A 4th key: the bucket becomes a child node one level down.
                let consumed = bits.consumed();
                let mut child = Node::default();
                for moved in std::mem::take(entries).into_iter().chain([entry]) {
                    let hash = hash_key(&moved.key);
                    set_in(&mut child, store, &mut HashBits::at(&hash, consumed), moved)?;
                }
                *pointer = Pointer::Dirty(Box::new(child));
                return Ok(None);
            }
        }
    }
    let child = pointer.child_mut(store)?.ok_or(HamtError::Inconsistent)?;
    set_in(child, store, bits, entry)
}

/// Removes `key` below `node`, collapsing children that fit in a bucket again.
fn delete_in<V: DeserializeOwned>(
    node: &mut Node<V>,
    store: &impl Blockstore,
    bits: &mut HashBits<'_>,
    key: &[u8],
) -> Result<Option<V>, HamtError> {
    let index = bits.next_index()?;
    if !node.has(index) {
        return Ok(None);
    }
    let position = node.position(index);
    let pointer = node
        .pointers
        .get_mut(position)
        .ok_or(HamtError::Inconsistent)?;
    let (removed, emptied) = match pointer {
        Pointer::Bucket(entries) => match entries.binary_search_by(|e| e.key.as_slice().cmp(key)) {
            Ok(found) if found < entries.len() => {
                let entry = entries.remove(found);
                (Some(entry.value), entries.is_empty())
            }
            Ok(_) | Err(_) => (None, false),
        },
        Pointer::Link { .. } | Pointer::Dirty(_) => {
            let child = pointer.child_mut(store)?.ok_or(HamtError::Inconsistent)?;
            let removed = delete_in(child, store, bits, key)?;
            let mut emptied = false;
            if removed.is_some()
                && let Some(entries) = child.take_if_collapsible()
            {
                // Only a non-canonical stored tree can leave a child with no pairs.
                emptied = entries.is_empty();
                *pointer = Pointer::Bucket(entries);
            }
            (removed, emptied)
        }
    };
    if emptied {
        node.remove(index)?;
    }
    Ok(removed)
}

/// Visits the pairs under `node` in slot order.
fn for_each_in<V: DeserializeOwned, F: FnMut(&[u8], &V)>(
    node: &Node<V>,
    store: &impl Blockstore,
    f: &mut F,
) -> Result<(), HamtError> {
    for pointer in &node.pointers {
        match pointer {
            Pointer::Bucket(entries) => {
                for entry in entries {
                    f(&entry.key, &entry.value);
                }
            }
            Pointer::Link { .. } | Pointer::Dirty(_) => {
                let child = pointer.child(store)?.ok_or(HamtError::Inconsistent)?;
                for_each_in(child, store, f)?;
            }
        }
    }
    Ok(())
}

/// Stores the dirty children of `node`, then `node` itself; returns its CID.
fn flush_node<V: Serialize>(
    node: &mut Node<V>,
    sink: &mut impl BlockSink,
) -> Result<Cid, HamtError> {
    for pointer in &mut node.pointers {
        if let Pointer::Dirty(child) = pointer {
            let cid = flush_node(child, sink)?;
            if let Pointer::Dirty(child) = std::mem::replace(pointer, Pointer::Bucket(Vec::new())) {
                *pointer = Pointer::Link {
                    cid,
                    cache: OnceCell::from(child),
                };
            }
        }
    }
    let bytes = encode_node(node)?;
    let cid = cbor_cid(&bytes);
    sink.put(&cid, &bytes).map_err(|source| HamtError::Write {
        cid: Box::new(cid),
        source: Box::new(source),
    })?;
    Ok(cid)
}

#[cfg(test)]
mod tests;
