//! Labeling (PC1): the strictly sequential SHA-256 chain that makes a replica expensive to
//! produce (filecoin-spec §2.4; rust-fil-proofs `create_label`).
//!
//! For layer `l` (from 1) and node `v`, the label is SHA-256 of
//! `replica_id ‖ u32_BE(l) ‖ u64_BE(v) ‖ 20 zero bytes ‖ P` with byte 31 masked by 0x3F, where
//! `P` is 37 parent labels: in layer 1 the 6 base parents (this layer) repeated; in later layers
//! the 6 base parents (this layer) and the 8 expander parents (previous layer) repeated (14, 14,
//! then the first 9). Node 0 has no parents and hashes the 64-byte prefix alone.
//!
//! The message is always 64 + 37·32 = 1248 bytes, so each label is exactly 20 SHA-256
//! compressions, run directly with `sha2::compress256` (SHA-NI when the CPU has it) on blocks
//! assembled from the parent labels, without buffering the message.

use sha2::digest::consts::U64;
use sha2::digest::generic_array::GenericArray;

use crate::hasher::{IV, NODE_SIZE, Node};

pub use super::graph::{BASE_DEGREE, DEGREE, EXP_DEGREE};
/// Parent labels hashed into every label (after the 64-byte prefix).
const PARENT_SLOTS: usize = 37;

/// The last block of every label with parents: the 37th parent label, then SHA-256 padding for
/// a 1248-byte message (`0x80`, zeros, 9984 bits as a big-endian u64).
const TAIL_PADDING: [u8; 32] = {
    let mut p = [0u8; 32];
    p[0] = 0x80;
    p[30] = 0x27;
    p
};

/// The padding block of a 64-byte message (node 0: the prefix alone).
const PREFIX_ONLY_PADDING: [u8; 64] = {
    let mut p = [0u8; 64];
    p[0] = 0x80;
    p[62] = 0x02;
    p
};

/// Why a layer could not be labeled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LabelError {
    /// A parent index points outside the layer (a corrupt graph or parent cache).
    #[error("node {node} has parent {parent}, outside a layer of {nodes} nodes")]
    ParentOutOfRange {
        /// The node being labeled.
        node: u64,
        /// The bad parent index.
        parent: u32,
        /// Nodes per layer.
        nodes: u64,
    },
    /// A base parent is not before the node it feeds (labels must already exist).
    #[error("node {node} has base parent {parent}, which is not before it")]
    ParentNotBefore {
        /// The node being labeled.
        node: u64,
        /// The bad parent index.
        parent: u32,
    },
    /// Layer buffers of the wrong size.
    #[error("layer buffer of {got} bytes, expected {expected}")]
    BufferSize {
        /// What was given.
        got: usize,
        /// What a layer of this many nodes needs.
        expected: usize,
    },
    /// The parent source failed.
    #[error("parent graph: {0}")]
    Parents(String),
}

/// Where a labeler gets each node's parents: 6 base then 8 expander indices, as in the parent
/// cache. Called for nodes 0, 1, 2, … in order, once per layer.
pub trait ParentSource {
    /// The 14 parents of node `v`.
    fn parents(&mut self, v: u64) -> Result<[u32; DEGREE], LabelError>;
    /// Called before each layer: the next call to `parents` asks for node 0 again.
    fn rewind(&mut self) -> Result<(), LabelError>;
}

/// The 64-byte first block: `replica_id ‖ u32_BE(layer) ‖ u64_BE(node) ‖ 20 zero bytes`.
fn prefix(replica_id: &Node, layer: u32, node: u64) -> [u8; 64] {
    let mut block = [0u8; 64];
    let (id, rest) = block.split_at_mut(NODE_SIZE);
    id.copy_from_slice(replica_id);
    let (l, rest) = rest.split_at_mut(4);
    l.copy_from_slice(&layer.to_be_bytes());
    let (n, _) = rest.split_at_mut(8);
    n.copy_from_slice(&node.to_be_bytes());
    block
}

fn finish(state: [u32; 8]) -> Node {
    let mut out = [0u8; NODE_SIZE];
    for (bytes, word) in out.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    if let Some(last) = out.last_mut() {
        *last &= 0x3f;
    }
    out
}

/// The label of node `v` of `layer` given its parent labels, in parent order (6 for layer 1,
/// 14 for later layers; empty for node 0).
pub fn label_from_parents(replica_id: &Node, layer: u32, v: u64, parent_labels: &[&Node]) -> Node {
    let mut state = IV;
    let first = GenericArray::<u8, U64>::from(prefix(replica_id, layer, v));
    if parent_labels.is_empty() {
        sha2::compress256(
            &mut state,
            &[first, GenericArray::from(PREFIX_ONLY_PADDING)],
        );
        return finish(state);
    }
    // The 37 parent slots cycle through the parent labels.
    let zero = [0u8; NODE_SIZE];
    let slots: [&Node; PARENT_SLOTS] = core::array::from_fn(|i| {
        i.checked_rem(parent_labels.len())
            .and_then(|k| parent_labels.get(k).copied())
            .unwrap_or(&zero)
    });
    let mut blocks = [GenericArray::<u8, U64>::default(); 20];
    let mut iter = blocks.iter_mut();
    if let Some(b) = iter.next() {
        *b = first;
    }
    // Blocks 1..=18 hold slots (0,1) … (34,35); block 19 holds slot 36 and the padding.
    let mut pairs = slots.chunks(2);
    for block in iter {
        let (l, r) = block.as_mut_slice().split_at_mut(NODE_SIZE);
        match pairs.next() {
            Some([a, b]) => {
                l.copy_from_slice(*a);
                r.copy_from_slice(*b);
            }
            Some([last]) => {
                l.copy_from_slice(*last);
                r.copy_from_slice(&TAIL_PADDING);
            }
            _ => {}
        }
    }
    sha2::compress256(&mut state, &blocks);
    finish(state)
}

fn node_at(layer: &[u8], i: u32) -> Option<&Node> {
    let start = (i as usize).checked_mul(NODE_SIZE)?;
    layer
        .get(start..start.checked_add(NODE_SIZE)?)?
        .try_into()
        .ok()
}

/// Computes one whole layer into `out` (nodes × 32 bytes). `prev` is the previous layer, for
/// layers after the first (expander parents come from it). `progress` is called with the
/// number of nodes labeled so far, every 65 536 nodes and at the end.
pub fn label_layer(
    replica_id: &Node,
    layer: u32,
    parents: &mut dyn ParentSource,
    prev: Option<&[u8]>,
    out: &mut [u8],
    progress: &mut dyn FnMut(u64),
) -> Result<(), LabelError> {
    let nodes = (out.len() / NODE_SIZE) as u64;
    if !out.len().is_multiple_of(NODE_SIZE) || prev.is_some_and(|p| p.len() != out.len()) {
        return Err(LabelError::BufferSize {
            got: prev.map_or(out.len(), <[u8]>::len),
            expected: out.len(),
        });
    }
    parents.rewind()?;
    for v in 0..nodes {
        let p = parents.parents(v)?;
        let label = if v == 0 {
            label_from_parents(replica_id, layer, v, &[])
        } else {
            let mut labels: [&Node; DEGREE] = [&[0u8; NODE_SIZE]; DEGREE];
            let count = if prev.is_some() { DEGREE } else { BASE_DEGREE };
            for (k, (&parent, slot)) in p.iter().zip(labels.iter_mut()).take(count).enumerate() {
                let (source, is_base) = if k < BASE_DEGREE {
                    (&*out, true)
                } else {
                    (prev.unwrap_or_default(), false)
                };
                if u64::from(parent) >= nodes {
                    return Err(LabelError::ParentOutOfRange {
                        node: v,
                        parent,
                        nodes,
                    });
                }
                if is_base && u64::from(parent) >= v {
                    return Err(LabelError::ParentNotBefore { node: v, parent });
                }
                *slot = node_at(source, parent).ok_or(LabelError::ParentOutOfRange {
                    node: v,
                    parent,
                    nodes,
                })?;
            }
            label_from_parents(
                replica_id,
                layer,
                v,
                labels.get(..count).unwrap_or_default(),
            )
        };
        let start = (v as usize).saturating_mul(NODE_SIZE);
        if let Some(dst) = out.get_mut(start..start.saturating_add(NODE_SIZE)) {
            dst.copy_from_slice(&label);
        }
        if v & 0xffff == 0xffff {
            progress(v.saturating_add(1));
        }
    }
    progress(nodes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn reference(replica_id: &Node, layer: u32, v: u64, parents: &[&Node]) -> Node {
        let mut h = Sha256::new();
        h.update(replica_id);
        h.update(layer.to_be_bytes());
        h.update(v.to_be_bytes());
        h.update([0u8; 20]);
        for i in 0..if parents.is_empty() { 0 } else { PARENT_SLOTS } {
            h.update(parents[i % parents.len()]);
        }
        let mut out: Node = h.finalize().into();
        out[31] &= 0x3f;
        out
    }

    #[test]
    fn compressions_equal_plain_sha256_of_the_whole_message() {
        let id = [7u8; 32];
        let labels: Vec<Node> = (0..14u8).map(|i| [i.wrapping_mul(37); 32]).collect();
        let refs: Vec<&Node> = labels.iter().collect();
        for (count, layer) in [(0, 1), (6, 1), (14, 2), (14, 11)] {
            let got = label_from_parents(&id, layer, 12345, &refs[..count]);
            assert_eq!(
                got,
                reference(&id, layer, 12345, &refs[..count]),
                "{count} parents"
            );
        }
    }
}
