//! The HAMT's in-memory nodes, their DAG-CBOR form, and the key-hash bit reader.

use std::cell::OnceCell;
use std::fmt;

use cid::Cid;
use flowcoin_types::message::{Bytes, cbor_cid};
use serde::de::{self, DeserializeOwned, Deserializer, SeqAccess, Visitor};
use serde::ser::{self, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{BIT_WIDTH, HamtError, MAX_BUCKET, MAX_NODE_BYTES};
use flowcoin_dag::store::Blockstore;

/// Bits in a key hash (SHA-256).
const HASH_BITS: u32 = 256;

/// SHA-256 of a key, the hash the HAMT places it by.
pub(super) fn hash_key(key: &[u8]) -> [u8; 32] {
    Sha256::digest(key).into()
}

/// Reads a key hash [`BIT_WIDTH`] bits at a time, most significant bit first (go-hamt-ipld's
/// `hashBits`).
pub(super) struct HashBits<'a> {
    hash: &'a [u8; 32],
    consumed: u32,
}

impl<'a> HashBits<'a> {
    /// A reader at the start of `hash`.
    pub(super) fn new(hash: &'a [u8; 32]) -> Self {
        Self::at(hash, 0)
    }

    /// A reader that has already consumed `consumed` bits (when a bucket is split one level
    /// down, its keys continue where the parent stopped).
    pub(super) fn at(hash: &'a [u8; 32], consumed: u32) -> Self {
        Self { hash, consumed }
    }

    /// Bits consumed so far.
    pub(super) fn consumed(&self) -> u32 {
        self.consumed
    }

    /// The next slot index (0..32), or [`HamtError::MaxDepth`] once fewer than
    /// [`BIT_WIDTH`] bits remain.
    pub(super) fn next_index(&mut self) -> Result<u32, HamtError> {
        let end = self
            .consumed
            .checked_add(BIT_WIDTH)
            .filter(|&end| end <= HASH_BITS)
            .ok_or(HamtError::MaxDepth)?;
        let mut index = 0u32;
        for position in self.consumed..end {
            let byte = self
                .hash
                .get(usize::try_from(position / 8).unwrap_or(usize::MAX))
                .copied()
                .ok_or(HamtError::MaxDepth)?;
            let bit = byte.wrapping_shr(7u32.wrapping_sub(position % 8)) & 1;
            index = (index << 1) | u32::from(bit);
        }
        self.consumed = end;
        Ok(index)
    }
}

/// One key/value pair of a bucket.
#[derive(Debug, Clone)]
pub(super) struct Entry<V> {
    pub(super) key: Vec<u8>,
    pub(super) value: V,
}

/// What a node slot holds.
#[derive(Debug, Clone)]
pub(super) enum Pointer<V> {
    /// Up to [`MAX_BUCKET`] pairs, sorted by key bytes.
    Bucket(Vec<Entry<V>>),
    /// A stored child node, decoded on first use and kept.
    Link {
        /// The child's CID.
        cid: Cid,
        /// The decoded child, once read.
        cache: OnceCell<Box<Node<V>>>,
    },
    /// A child changed since the last flush (or new): not yet stored.
    Dirty(Box<Node<V>>),
}

/// A HAMT node: a 32-bit occupancy bitfield and one pointer per set bit, in bit order.
#[derive(Debug, Clone)]
pub(super) struct Node<V> {
    pub(super) bitfield: u32,
    pub(super) pointers: Vec<Pointer<V>>,
}

impl<V> Default for Node<V> {
    fn default() -> Self {
        Self {
            bitfield: 0,
            pointers: Vec::new(),
        }
    }
}

impl<V> Node<V> {
    /// Whether slot `index` is occupied.
    pub(super) fn has(&self, index: u32) -> bool {
        self.bitfield & bit(index) != 0
    }

    /// The position in `pointers` of slot `index`: the number of occupied slots below it.
    pub(super) fn position(&self, index: u32) -> usize {
        let below = bit(index).wrapping_sub(1);
        // At most 32: always fits.
        usize::try_from((self.bitfield & below).count_ones()).unwrap_or(usize::MAX)
    }

    /// Marks slot `index` occupied and puts `pointer` there.
    pub(super) fn insert(&mut self, index: u32, pointer: Pointer<V>) -> Result<(), HamtError> {
        let position = self.position(index);
        if self.has(index) || position > self.pointers.len() {
            return Err(HamtError::Inconsistent);
        }
        self.bitfield |= bit(index);
        self.pointers.insert(position, pointer);
        Ok(())
    }

    /// Frees slot `index` (which must be occupied).
    pub(super) fn remove(&mut self, index: u32) -> Result<(), HamtError> {
        let position = self.position(index);
        if !self.has(index) || position >= self.pointers.len() {
            return Err(HamtError::Inconsistent);
        }
        self.bitfield &= !bit(index);
        self.pointers.remove(position);
        Ok(())
    }

    /// If every slot is a bucket and they hold at most [`MAX_BUCKET`] pairs together, takes
    /// them out sorted by key: the node is then replaced by one bucket in its parent (the
    /// collapse that keeps the shape canonical).
    pub(super) fn take_if_collapsible(&mut self) -> Option<Vec<Entry<V>>> {
        let mut total = 0usize;
        for pointer in &self.pointers {
            match pointer {
                Pointer::Bucket(entries) => total = total.saturating_add(entries.len()),
                Pointer::Link { .. } | Pointer::Dirty(_) => return None,
            }
        }
        if total > MAX_BUCKET {
            return None;
        }
        let mut entries: Vec<Entry<V>> = std::mem::take(&mut self.pointers)
            .into_iter()
            .flat_map(|pointer| match pointer {
                Pointer::Bucket(entries) => entries,
                Pointer::Link { .. } | Pointer::Dirty(_) => Vec::new(),
            })
            .collect();
        self.bitfield = 0;
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        Some(entries)
    }
}

/// The bit of slot `index` (0..32).
fn bit(index: u32) -> u32 {
    1u32.checked_shl(index).unwrap_or(0)
}

impl<V: DeserializeOwned> Pointer<V> {
    /// The child node of a link or dirty pointer, read from `store` if not yet cached.
    pub(super) fn child(&self, store: &impl Blockstore) -> Result<Option<&Node<V>>, HamtError> {
        match self {
            Pointer::Bucket(_) => Ok(None),
            Pointer::Dirty(node) => Ok(Some(node)),
            Pointer::Link { cid, cache } => {
                if cache.get().is_none() {
                    let node = load_node(store, cid)?;
                    // Just checked empty; a failed set cannot happen and would be harmless.
                    let _ = cache.set(Box::new(node));
                }
                Ok(cache.get().map(|node| &**node))
            }
        }
    }

    /// Turns a link into a dirty pointer (reading the child if needed) and returns the child
    /// for modification; `None` for a bucket.
    pub(super) fn child_mut(
        &mut self,
        store: &impl Blockstore,
    ) -> Result<Option<&mut Node<V>>, HamtError> {
        if let Pointer::Link { cid, cache } = self {
            let node = match cache.take() {
                Some(node) => node,
                None => Box::new(load_node(store, cid)?),
            };
            *self = Pointer::Dirty(node);
        }
        match self {
            Pointer::Dirty(node) => Ok(Some(node)),
            Pointer::Bucket(_) | Pointer::Link { .. } => Ok(None),
        }
    }
}

/// Reads, hash-checks, decodes and validates the node `cid`.
pub(super) fn load_node<V: DeserializeOwned>(
    store: &impl Blockstore,
    cid: &Cid,
) -> Result<Node<V>, HamtError> {
    let bytes = store
        .get(cid)
        .map_err(|source| HamtError::Store {
            cid: Box::new(*cid),
            source: Box::new(source),
        })?
        .ok_or_else(|| HamtError::MissingNode {
            cid: Box::new(*cid),
        })?;
    decode_node(cid, &bytes)
}

/// Decodes the block `bytes` stored under `cid` as a node, checking that it hashes to `cid`
/// and is well formed.
pub(super) fn decode_node<V: DeserializeOwned>(
    cid: &Cid,
    bytes: &[u8],
) -> Result<Node<V>, HamtError> {
    let malformed = |reason: String| HamtError::Malformed {
        cid: Box::new(*cid),
        reason,
    };
    if bytes.len() > MAX_NODE_BYTES {
        return Err(malformed(format!(
            "{} bytes exceed the node size limit of {MAX_NODE_BYTES}",
            bytes.len()
        )));
    }
    if cbor_cid(bytes) != *cid {
        return Err(HamtError::HashMismatch {
            cid: Box::new(*cid),
        });
    }
    let NodeRepr(Bytes(bitfield), pointers) = serde_ipld_dagcbor::from_slice::<NodeRepr<V>>(bytes)
        .map_err(|error| malformed(error.to_string()))?;
    let bitfield = decode_bitfield(&bitfield).map_err(|reason| malformed(reason.into()))?;
    let node = Node { bitfield, pointers };
    validate(&node).map_err(|reason| malformed(reason.into()))?;
    Ok(node)
}

/// Reads the bitfield: a minimal big-endian integer of at most 32 bits.
fn decode_bitfield(bytes: &[u8]) -> Result<u32, &'static str> {
    if bytes.len() > 4 {
        return Err("bitfield longer than 4 bytes");
    }
    if bytes.first() == Some(&0) {
        return Err("bitfield has a leading zero byte");
    }
    Ok(bytes
        .iter()
        .fold(0u32, |value, &byte| (value << 8) | u32::from(byte)))
}

/// The bitfield as a minimal big-endian integer (empty for zero), as go-hamt-ipld writes it.
fn encode_bitfield(bitfield: u32) -> Vec<u8> {
    let bytes = bitfield.to_be_bytes();
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.iter().skip(first).copied().collect()
}

/// Structural checks on a decoded node: one pointer per set bit, buckets non-empty, at most
/// [`MAX_BUCKET`] long and strictly sorted by key.
fn validate<V>(node: &Node<V>) -> Result<(), &'static str> {
    let expected = usize::try_from(node.bitfield.count_ones()).unwrap_or(usize::MAX);
    if node.pointers.len() != expected {
        return Err("pointer count differs from the bitfield's population count");
    }
    for pointer in &node.pointers {
        if let Pointer::Bucket(entries) = pointer {
            if entries.is_empty() {
                return Err("empty bucket");
            }
            if entries.len() > MAX_BUCKET {
                return Err("bucket holds more than 3 pairs");
            }
            if entries.windows(2).any(|pair| match pair {
                [a, b] => a.key >= b.key,
                _ => false,
            }) {
                return Err("bucket keys are not strictly ascending");
            }
        }
    }
    Ok(())
}

/// Encodes a node whose children are all stored (no [`Pointer::Dirty`] left).
pub(super) fn encode_node<V: Serialize>(node: &Node<V>) -> Result<Vec<u8>, HamtError> {
    serde_ipld_dagcbor::to_vec(&NodeRef(node)).map_err(|e| HamtError::Encode(e.to_string()))
}

/// The wire form of a node for decoding: `[bitfield bytes, [pointer…]]`.
#[derive(Deserialize)]
#[serde(bound = "V: DeserializeOwned")]
struct NodeRepr<V>(Bytes, Vec<Pointer<V>>);

/// The wire form of a node for encoding.
struct NodeRef<'a, V>(&'a Node<V>);

impl<V: Serialize> Serialize for NodeRef<'_, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(2))?;
        seq.serialize_element(&BytesRef(&encode_bitfield(self.0.bitfield)))?;
        seq.serialize_element(&self.0.pointers)?;
        seq.end()
    }
}

/// Borrowed bytes written as a CBOR byte string.
struct BytesRef<'a>(&'a [u8]);

impl Serialize for BytesRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

impl<V: Serialize> Serialize for Pointer<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Pointer::Link { cid, .. } => cid.serialize(serializer),
            Pointer::Bucket(entries) => {
                let mut seq = serializer.serialize_seq(Some(entries.len()))?;
                for entry in entries {
                    seq.serialize_element(&(BytesRef(&entry.key), &entry.value))?;
                }
                seq.end()
            }
            Pointer::Dirty(_) => Err(ser::Error::custom(
                "a dirty child must be stored before its parent is encoded",
            )),
        }
    }
}

impl<'de, V: DeserializeOwned> Deserialize<'de> for Pointer<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PointerVisitor(std::marker::PhantomData))
    }
}

/// Tells a link (CBOR tag 42) from a bucket (an array).
struct PointerVisitor<V>(std::marker::PhantomData<V>);

impl<'de, V: DeserializeOwned> Visitor<'de> for PointerVisitor<V> {
    type Value = Pointer<V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a HAMT pointer: a CID link or a bucket array of [key, value] pairs")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        // The DAG-CBOR decoder hands a tag-42 link over as a newtype holding the CID bytes.
        Ok(Pointer::Link {
            cid: d.deserialize_bytes(CidBytesVisitor)?,
            cache: OnceCell::new(),
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::with_capacity(MAX_BUCKET);
        while let Some(EntryRepr(Bytes(key), value)) = seq.next_element::<EntryRepr<V>>()? {
            if entries.len() >= MAX_BUCKET {
                return Err(de::Error::custom("bucket holds more than 3 pairs"));
            }
            entries.push(Entry { key, value });
        }
        Ok(Pointer::Bucket(entries))
    }
}

/// Reads a CID from its binary form.
struct CidBytesVisitor;

impl Visitor<'_> for CidBytesVisitor {
    type Value = Cid;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a binary CID")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Cid, E> {
        Cid::try_from(v).map_err(E::custom)
    }
}

/// The wire form of a bucket entry: `[key bytes, value]`.
#[derive(Deserialize)]
#[serde(bound = "V: DeserializeOwned")]
struct EntryRepr<V>(Bytes, V);
