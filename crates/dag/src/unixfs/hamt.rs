//! HAMT-sharded directories (UnixFS `HAMTShard`), as boxo's `hamt` package writes them.
//!
//! Each shard node has up to 256 slots indexed by successive bytes of the 64-bit murmur3 hash of
//! the entry name. A slot holds one entry (link named `XX` + entry name, `XX` the slot index in
//! two upper-case hex digits) or, when several names share the slot, a child shard (link named
//! `XX`). For an insert-only build the result depends only on the set of names, so we build it
//! recursively from the sorted entry list. The node's data is the UnixFS message
//! `{Type: HAMTShard, Data: bitfield, hashType: 0x22, fanout: 256}` where the bitfield is the
//! big-endian integer with bit i set for each occupied slot i, without leading zero bytes.

use super::data::{DataType, HAMT_HASH_MURMUR3, UnixFsData};
use super::murmur3::hamt_hash;
use super::options::HAMT_FANOUT;
use super::{ImportError, ImportOptions, put_pb};
use crate::dagpb::{PbLink, PbNode};
use crate::store::BlockSink;

use super::dir::DirEntry;

/// Hash bytes available for slot indices (64-bit hash, 8 bits per level).
const MAX_DEPTH: usize = 8;

/// Builds the shard tree for `entries`, stores every shard node, and returns the root as a link
/// target: (cid, cumulative size).
pub(crate) fn build<S: BlockSink + ?Sized>(
    dir_path: &str,
    entries: &[DirEntry],
    opts: &ImportOptions,
    sink: &mut S,
) -> Result<(cid::Cid, u64), ImportError> {
    let mut hashed: Vec<(&DirEntry, [u8; 8])> = entries
        .iter()
        .map(|e| (e, hamt_hash(e.name.as_bytes())))
        .collect();
    hashed.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.name.cmp(&b.0.name)));
    shard(dir_path, &hashed, 0, opts, sink)
}

fn shard<S: BlockSink + ?Sized>(
    dir_path: &str,
    entries: &[(&DirEntry, [u8; 8])],
    depth: usize,
    opts: &ImportOptions,
    sink: &mut S,
) -> Result<(cid::Cid, u64), ImportError> {
    let mut links = Vec::new();
    let mut bitfield = [0u8; HAMT_FANOUT / 8];
    let mut children_tsize: u64 = 0;
    // Entries are sorted by hash, so each slot's entries are contiguous.
    let mut rest = entries;
    while let Some((first, hash)) = rest.first() {
        let slot = hash.get(depth).copied().unwrap_or(0);
        let n = rest
            .iter()
            .take_while(|(_, h)| h.get(depth) == Some(&slot))
            .count();
        let (group, tail) = rest.split_at(n);
        rest = tail;
        set_bit(&mut bitfield, slot);
        let (name, cid, tsize) = if let [(entry, _)] = group {
            (format!("{slot:02X}{}", entry.name), entry.cid, entry.tsize)
        } else {
            let child_depth = depth.saturating_add(1);
            if child_depth >= MAX_DEPTH {
                let b = group
                    .get(1)
                    .map_or_else(String::new, |(e, _)| e.name.clone());
                return Err(ImportError::HamtCollision {
                    path: dir_path.to_owned(),
                    a: first.name.clone(),
                    b,
                });
            }
            let (cid, tsize) = shard(dir_path, group, child_depth, opts, sink)?;
            (format!("{slot:02X}"), cid, tsize)
        };
        children_tsize = children_tsize.saturating_add(tsize);
        links.push(PbLink {
            cid,
            name: Some(name),
            tsize: Some(tsize),
        });
    }
    let first_set = bitfield
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bitfield.len());
    let mut data = UnixFsData::new(DataType::HamtShard);
    data.data = Some(bitfield.get(first_set..).unwrap_or_default().to_vec());
    data.hash_type = Some(HAMT_HASH_MURMUR3);
    data.fanout = Some(HAMT_FANOUT as u64);
    let node = PbNode {
        links,
        data: Some(data.encode()),
    };
    let bytes = node.encode();
    let cid = put_pb(opts, sink, &bytes)?;
    Ok((cid, children_tsize.saturating_add(bytes.len() as u64)))
}

/// Sets bit `slot` of a big-endian bitfield.
fn set_bit(bitfield: &mut [u8; HAMT_FANOUT / 8], slot: u8) {
    let byte = bitfield
        .len()
        .saturating_sub(1)
        .saturating_sub(usize::from(slot / 8));
    if let Some(b) = bitfield.get_mut(byte) {
        *b |= 1 << (slot % 8);
    }
}

/// Whether bit `slot` is set in a (possibly shortened) big-endian bitfield.
pub(crate) fn bit_is_set(bitfield: &[u8], slot: u8) -> bool {
    let from_end = usize::from(slot / 8);
    bitfield
        .len()
        .checked_sub(from_end + 1)
        .and_then(|i| bitfield.get(i))
        .is_some_and(|b| b & (1 << (slot % 8)) != 0)
}

/// The slot of `name` in a shard at `depth`.
pub(crate) fn slot_of(name: &str, depth: usize) -> Option<u8> {
    hamt_hash(name.as_bytes()).get(depth).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitfield_bits_round_trip() {
        let mut bf = [0u8; 32];
        set_bit(&mut bf, 0);
        set_bit(&mut bf, 9);
        set_bit(&mut bf, 255);
        assert_eq!(bf[31], 1);
        assert_eq!(bf[30], 2);
        assert_eq!(bf[0], 0x80);
        assert!(bit_is_set(&bf, 9) && bit_is_set(&bf, 255) && !bit_is_set(&bf, 8));
        // Shortened (leading zeros stripped) bitfields read the same.
        let short = [0x02, 0x01];
        assert!(bit_is_set(&short, 0) && bit_is_set(&short, 9) && !bit_is_set(&short, 200));
    }
}
