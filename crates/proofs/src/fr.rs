//! Elements of the BLS12-381 scalar field ([`Fr`]) as 32-byte little-endian nodes.
//!
//! Every node of a Poseidon tree, every SDR label and every sealed replica node is a field
//! element stored as its canonical little-endian encoding, exactly as rust-fil-proofs stores
//! them (`Fr::to_repr`). Decoding an untrusted node goes through [`fr_from_node`], which rejects
//! non-canonical encodings (a value ≥ the modulus r) with a typed error where rust-fil-proofs
//! would panic (`from_repr_vartime(..).expect(..)`).
//!
//! sha256-trunc254 nodes (labels, TreeD nodes, Fr32 leaves) have their top two bits clear, so
//! their value is below 2^254 < r ≈ 1.81·2^254: they are always canonical, and rust-fil-proofs
//! reads them with the same `from_repr` (`bytes_into_fr`). [`fr_from_trunc254`] is the
//! infallible form for values known to be truncated; it clears the two bits first, like
//! `bytes_into_fr_repr_safe`.
//!
//! Sealing adds in the field: replica = data + key, unsealing subtracts: data = replica − key
//! (storage-proofs-porep `encode`/`decode`). [`fr_add`] and [`fr_sub`] do it on single nodes,
//! [`fr_add_assign_nodes`] and [`fr_sub_assign_nodes`] on whole buffers.
//!
//! ```
//! use flowcoin_proofs::fr::{fr_add, fr_from_node, fr_sub, node_from_fr, Fr};
//!
//! let data = node_from_fr(&Fr::from(5u64));
//! let key = node_from_fr(&-Fr::from(2u64)); // r − 2, the largest canonical values are fine
//! let replica = fr_add(&data, &key)?;
//! assert_eq!(fr_from_node(&replica)?, Fr::from(3u64));
//! assert_eq!(fr_sub(&replica, &key)?, data);
//! assert!(fr_from_node(&[0xff; 32]).is_err());
//! # Ok::<(), flowcoin_proofs::fr::FrError>(())
//! ```

use std::fmt;
// Field arithmetic goes through the operator traits' methods rather than `+`/`-`: values are
// reduced modulo r and cannot overflow, and clippy's `arithmetic_side_effects` (meant for machine
// integers) stays on for the rest of the crate.
use std::ops::{Add, Sub};

use crate::hasher::{NODE_SIZE, Node};

/// The BLS12-381 scalar field, as Filecoin uses it (`blstrs::Scalar`).
pub use blstrs::Scalar as Fr;

/// The field modulus r as a little-endian node: the smallest non-canonical encoding.
pub const MODULUS_LE: Node = [
    0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0x02, 0xa4, 0xbd, 0x53,
    0x05, 0xd8, 0xa1, 0x09, 0x08, 0xd8, 0x39, 0x33, 0x48, 0x7d, 0x9d, 0x29, 0x53, 0xa7, 0xed, 0x73,
];

/// Why 32-byte nodes could not be used as field elements.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrError {
    /// The node's little-endian value is not below the field modulus.
    #[error(
        "node {} is not a canonical BLS12-381 scalar (its little-endian value is ≥ the field \
         modulus r = 0x73eda753…00000001); field-element nodes are always < r, so the node is \
         corrupt or was not produced by a Poseidon hash, a trunc254 hash or Fr32 padding",
        NodeHex(node)
    )]
    NonCanonical {
        /// The rejected node.
        node: Node,
    },
    /// A node in a buffer is not canonical.
    #[error("node {index} of the buffer is not canonical: {}", NodeHex(node))]
    NonCanonicalAt {
        /// Index of the node (not the byte offset) in the buffer.
        index: usize,
        /// The rejected node.
        node: Node,
    },
    /// Two buffers that are combined node by node differ in length, or are not whole nodes.
    #[error(
        "node buffers of {left} and {right} bytes cannot be combined node by node (both must \
         be the same multiple of {NODE_SIZE} bytes)"
    )]
    BufferShape {
        /// Length of the first buffer in bytes.
        left: usize,
        /// Length of the second buffer in bytes.
        right: usize,
    },
}

/// Formats a node as lowercase hex in byte order, as the vectors print them.
pub(crate) struct NodeHex<'a>(pub(crate) &'a Node);

impl fmt::Display for NodeHex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// Whether `node` is the canonical encoding of a field element (its value is below r).
pub fn is_canonical(node: &Node) -> bool {
    bool::from(Fr::from_bytes_le(node).is_some())
}

/// Decodes a canonical little-endian node; the inverse of [`node_from_fr`].
pub fn fr_from_node(node: &Node) -> Result<Fr, FrError> {
    Option::from(Fr::from_bytes_le(node)).ok_or(FrError::NonCanonical { node: *node })
}

/// Encodes a field element as its canonical little-endian node.
pub fn node_from_fr(fr: &Fr) -> Node {
    fr.to_bytes_le()
}

/// Reads a sha256-trunc254 node (or any node whose top two bits may be ignored) as a field
/// element, clearing the two most significant bits first.
///
/// Cannot fail: a value below 2^254 is below r. On a node whose two bits are already clear this
/// is exactly [`fr_from_node`], which is how rust-fil-proofs reads labels and data nodes.
pub fn fr_from_trunc254(node: &Node) -> Fr {
    let mut masked = *node;
    if let Some(top) = masked.last_mut() {
        *top &= 0x3f;
    }
    // Every value below 2^254 is canonical (tested), so the fallback is never taken; it only
    // keeps this function free of a panic path.
    Option::from(Fr::from_bytes_le(&masked)).unwrap_or(Fr::from(0u64))
}

/// `a + b` in the field, on nodes: how a replica node is made from a data node and a key node.
pub fn fr_add(a: &Node, b: &Node) -> Result<Node, FrError> {
    let sum = fr_from_node(a)?.add(&fr_from_node(b)?);
    Ok(node_from_fr(&sum))
}

/// `a − b` in the field, on nodes: how a data node is recovered from a replica node and a key.
pub fn fr_sub(a: &Node, b: &Node) -> Result<Node, FrError> {
    let difference = fr_from_node(a)?.sub(&fr_from_node(b)?);
    Ok(node_from_fr(&difference))
}

/// `acc[i] += other[i]` in the field for every node of two equally long buffers (sealing a
/// sector or part of one in place: `acc` holds the data and becomes the replica).
///
/// On error `acc` may be partly updated: nodes before the reported index are already summed.
pub fn fr_add_assign_nodes(acc: &mut [u8], other: &[u8]) -> Result<(), FrError> {
    combine_nodes(acc, other, |a, b| a.add(b))
}

/// `acc[i] -= other[i]` in the field for every node of two equally long buffers (unsealing:
/// `acc` holds the replica and becomes the data).
///
/// On error `acc` may be partly updated, as with [`fr_add_assign_nodes`].
pub fn fr_sub_assign_nodes(acc: &mut [u8], other: &[u8]) -> Result<(), FrError> {
    combine_nodes(acc, other, |a, b| a.sub(b))
}

fn combine_nodes(acc: &mut [u8], other: &[u8], op: impl Fn(&Fr, &Fr) -> Fr) -> Result<(), FrError> {
    if acc.len() != other.len() || !acc.len().is_multiple_of(NODE_SIZE) {
        return Err(FrError::BufferShape {
            left: acc.len(),
            right: other.len(),
        });
    }
    let pairs = acc
        .chunks_exact_mut(NODE_SIZE)
        .zip(other.chunks_exact(NODE_SIZE));
    for (index, (a, b)) in pairs.enumerate() {
        let (Ok(a_node), Ok(b_node)) = (<&mut Node>::try_from(a), <&Node>::try_from(b)) else {
            continue; // chunks_exact yields whole nodes only
        };
        let fa = fr_from_node(a_node).map_err(|_| at(index, a_node))?;
        let fb = fr_from_node(b_node).map_err(|_| at(index, b_node))?;
        *a_node = node_from_fr(&op(&fa, &fb));
    }
    Ok(())
}

fn at(index: usize, node: &Node) -> FrError {
    FrError::NonCanonicalAt { index, node: *node }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_constant_is_r() {
        let minus_one = node_from_fr(&-Fr::from(1u64));
        let mut r = minus_one;
        r[0] += 1; // r − 1 ends in 0x00 in its lowest byte
        assert_eq!(r, MODULUS_LE);
        assert!(!is_canonical(&MODULUS_LE));
        assert!(is_canonical(&minus_one));
    }
}
