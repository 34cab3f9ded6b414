//! The sha256-trunc254 node hash shared by commP, CommD/TreeD and (later) SDR.
//!
//! `H(a, b) = SHA-256(a ‖ b)` with the two most significant bits of the result, read as a
//! little-endian field element, cleared (`digest[31] &= 0x3f`), so that every node is a
//! BLS12-381 scalar-field element below 2^254.
//!
//! A node message is always 64 bytes, so SHA-256 always runs exactly two compressions: the
//! message block, then a constant padding block (`0x80`, zeros, bit length 512). We call
//! `sha2::compress256` with that precomputed block instead of going through the `Digest` API,
//! which would buffer, pad and finalize on every call.

use rayon::prelude::*;
use sha2::digest::consts::U64;
use sha2::digest::generic_array::GenericArray;

/// The size of a tree node (and of an Fr32 leaf) in bytes.
pub const NODE_SIZE: usize = 32;

/// A tree node: 32 bytes, the two top bits of the last byte clear.
pub type Node = [u8; NODE_SIZE];

/// Layers with fewer pairs than this are hashed on the calling thread: spreading them over
/// threads costs more than it saves.
const PARALLEL_MIN_PAIRS: usize = 4096;

/// SHA-256 initial state (FIPS 180-4 §5.3.3).
pub(crate) const IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// The second SHA-256 block of every 64-byte message: `0x80`, zeros, then the message length
/// in bits (512) as a big-endian u64.
const PAD_BLOCK: [u8; 64] = {
    let mut block = [0u8; 64];
    block[0] = 0x80;
    block[62] = 0x02;
    block
};

/// Hashes two child nodes into their parent: `SHA-256(left ‖ right)` with the top two bits
/// cleared.
pub fn node_hash(left: &Node, right: &Node) -> Node {
    let mut message = [0u8; 64];
    let (l, r) = message.split_at_mut(NODE_SIZE);
    l.copy_from_slice(left);
    r.copy_from_slice(right);
    node_hash_pair(&message)
}

/// Hashes a 64-byte pair of sibling nodes (`left ‖ right`) into their parent.
pub fn node_hash_pair(pair: &[u8; 64]) -> Node {
    let blocks = [
        GenericArray::<u8, U64>::from(*pair),
        GenericArray::from(PAD_BLOCK),
    ];
    let mut state = IV;
    sha2::compress256(&mut state, &blocks);
    let mut out = [0u8; NODE_SIZE];
    for (bytes, word) in out.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    if let Some(last) = out.last_mut() {
        *last &= 0x3f;
    }
    out
}

/// Why a layer could not be hashed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayerError {
    /// The children are not a whole number of node pairs, or the output is not one node per
    /// pair.
    #[error(
        "a layer of {children_len} bytes cannot be hashed into {parents_len} bytes (the \
         children must be 64·n bytes and the parents 32·n bytes)"
    )]
    Shape {
        /// Length of the children in bytes.
        children_len: usize,
        /// Length of the parent buffer in bytes.
        parents_len: usize,
    },
}

/// Hashes one tree layer: `children` holds 2·n nodes, `parents` receives the n parents.
pub fn hash_layer(children: &[u8], parents: &mut [u8]) -> Result<(), LayerError> {
    check_layer_shape(children, parents)?;
    hash_pairs(children, parents);
    Ok(())
}

/// Like [`hash_layer`], on every core for large layers.
pub fn hash_layer_par(children: &[u8], parents: &mut [u8]) -> Result<(), LayerError> {
    check_layer_shape(children, parents)?;
    let step = PARALLEL_MIN_PAIRS;
    children
        .par_chunks(step.saturating_mul(2 * NODE_SIZE))
        .zip(parents.par_chunks_mut(step.saturating_mul(NODE_SIZE)))
        .for_each(|(c, p)| hash_pairs(c, p));
    Ok(())
}

fn check_layer_shape(children: &[u8], parents: &[u8]) -> Result<(), LayerError> {
    let shape_ok = children.len().is_multiple_of(2 * NODE_SIZE)
        && parents.len().checked_mul(2) == Some(children.len());
    if shape_ok {
        Ok(())
    } else {
        Err(LayerError::Shape {
            children_len: children.len(),
            parents_len: parents.len(),
        })
    }
}

/// Hashes consecutive 64-byte pairs of `children` into consecutive nodes of `parents`; extra
/// bytes on either side are ignored (callers check the shape).
pub(crate) fn hash_pairs(children: &[u8], parents: &mut [u8]) {
    for (pair, parent) in children
        .chunks_exact(2 * NODE_SIZE)
        .zip(parents.chunks_exact_mut(NODE_SIZE))
    {
        if let Ok(pair) = <&[u8; 64]>::try_from(pair) {
            parent.copy_from_slice(&node_hash_pair(pair));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn reference_hash(left: &[u8], right: &[u8]) -> Node {
        let mut digest: Node = Sha256::new()
            .chain_update(left)
            .chain_update(right)
            .finalize()
            .into();
        digest[31] &= 0x3f;
        digest
    }

    #[test]
    fn matches_sha256_with_the_top_bits_cleared() {
        let zero = [0u8; 32];
        let ones = [0xffu8; 32];
        let mut counting = [0u8; 32];
        for (i, b) in counting.iter_mut().enumerate() {
            *b = i as u8;
        }
        for (l, r) in [
            (zero, zero),
            (ones, ones),
            (counting, ones),
            (ones, counting),
        ] {
            assert_eq!(node_hash(&l, &r), reference_hash(&l, &r));
        }
        // Z_1, the first step of the zero-commitment ladder (filecoin-spec §1.3).
        assert_eq!(
            hex::encode(node_hash(&zero, &zero)),
            "f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb0b"
        );
    }

    #[test]
    fn layer_hashers_agree_and_check_the_shape() {
        let children: Vec<u8> = (0..64 * 10_000u32)
            .map(|i| (i * 7 + i / 251) as u8)
            .collect();
        let mut serial = vec![0u8; 32 * 10_000];
        let mut parallel = vec![0u8; 32 * 10_000];
        hash_layer(&children, &mut serial).unwrap();
        hash_layer_par(&children, &mut parallel).unwrap();
        assert_eq!(serial, parallel);
        for (i, parent) in serial.chunks_exact(32).enumerate() {
            let pair = &children[64 * i..64 * i + 64];
            assert_eq!(parent, reference_hash(&pair[..32], &pair[32..]));
        }
        let mut short = vec![0u8; 31];
        assert!(hash_layer(&children[..64], &mut short).is_err());
        assert!(hash_layer_par(&children[..63], &mut short).is_err());
        assert!(hash_layer(&[], &mut []).is_ok());
    }
}
