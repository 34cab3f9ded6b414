//! The SDR parent graph (filecoin-spec §2.3): 6 base parents by bucket sampling of a DRG and 8
//! expander parents by a Feistel permutation, exactly as rust-fil-proofs orders them
//! (storage-proofs-core `drgraph.rs`, `crypto/feistel.rs`; storage-proofs-porep
//! `stacked/vanilla/graph.rs`).
//!
//! Base parents of node v lie in the same layer and, for v ≥ 2, are all < v (v − 1 among them);
//! expander parents lie in the previous layer and may be any node. Parents are `u32`, as in
//! Filecoin's parent cache, so a graph has at most 2^32 nodes (64 GiB sectors have 2^31).
//! The on-disk cache of all parents is in [`super::cache`].
//!
//! ```
//! use flowcoin_proofs::sdr::graph::SdrGraph;
//! use flowcoin_proofs::sdr::params::{RegisteredSealProof, SealProofVersion};
//! use flowcoin_types::SectorSize;
//!
//! let proof = RegisteredSealProof::new(SectorSize::Size2KiB, SealProofVersion::V1_1)?;
//! let graph = SdrGraph::for_proof(proof)?;
//! assert_eq!(graph.parents(2)?, [1, 1, 1, 0, 1, 0, 30, 28, 55, 63, 63, 36, 37, 36]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::cmp::{max, min};

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};

use super::label::{LabelError, ParentSource};
use super::params::{ApiVersion, RegisteredSealProof};

/// Base (DRG) parents per node; the predecessor v − 1 is one of them.
pub const BASE_DEGREE: usize = 6;

/// Expander parents per node, in the previous layer.
pub const EXP_DEGREE: usize = 8;

/// All parents per node: [`BASE_DEGREE`] then [`EXP_DEGREE`].
pub const DEGREE: usize = BASE_DEGREE + EXP_DEGREE;

/// The largest graph: node indices and parents are `u32`.
pub const MAX_NODES: u64 = 1 << 32;

/// Sampled base parents (the predecessor is the sixth).
const SAMPLED_PARENTS: usize = BASE_DEGREE - 1;

/// The DRG is sampled on a metagraph with `SAMPLED_PARENTS` nodes per graph node.
const METAGRAPH_FACTOR: u64 = SAMPLED_PARENTS as u64;

/// [`EXP_DEGREE`] in node-index arithmetic.
const EXP_DEGREE_U64: u64 = EXP_DEGREE as u64;

/// Rounds of the Feistel network.
const FEISTEL_ROUNDS: usize = 3;

/// Why a graph could not be built or queried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// The node count is zero or does not fit `u32` node indices.
    #[error("an SDR graph of {nodes} nodes is not supported (use 1 to 2^32 nodes)")]
    NodeCount {
        /// The rejected node count.
        nodes: u64,
    },
    /// The node is not in the graph.
    #[error("node {node} is outside the SDR graph of {nodes} nodes")]
    NodeOutOfRange {
        /// The requested node.
        node: u64,
        /// Nodes in the graph.
        nodes: u64,
    },
}

/// The stacked-DRG graph of one sector size and porep_id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdrGraph {
    nodes: u64,
    porep_id: [u8; 32],
    api_version: ApiVersion,
    drg_seed: [u8; 28],
    feistel: Feistel,
}

impl SdrGraph {
    /// The graph of `nodes` nodes for `porep_id`, laid out as `api_version` lays it out.
    pub fn new(
        nodes: u64,
        porep_id: &[u8; 32],
        api_version: ApiVersion,
    ) -> Result<Self, GraphError> {
        if nodes == 0 || nodes > MAX_NODES {
            return Err(GraphError::NodeCount { nodes });
        }
        let seed = Sha256::new()
            .chain_update(b"Filecoin_DRSample")
            .chain_update(porep_id)
            .finalize();
        let mut drg_seed = [0u8; 28];
        for (out, byte) in drg_seed.iter_mut().zip(seed) {
            *out = byte;
        }
        // nodes ≤ 2^32, so the expander domain 8·nodes ≤ 2^35.
        let domain = nodes.saturating_mul(EXP_DEGREE_U64);
        Ok(Self {
            nodes,
            porep_id: *porep_id,
            api_version,
            drg_seed,
            feistel: Feistel::new(porep_id, domain),
        })
    }

    /// The graph a registered seal proof uses (its sector's node count, porep_id with nonce 0 and
    /// its API version).
    pub fn for_proof(proof: RegisteredSealProof) -> Result<Self, GraphError> {
        Self::new(
            proof.sector_size().nodes(),
            &proof.porep_id(),
            proof.api_version(),
        )
    }

    /// Nodes per layer.
    pub const fn nodes(&self) -> u64 {
        self.nodes
    }

    /// The porep_id the graph is derived from.
    pub const fn porep_id(&self) -> &[u8; 32] {
        &self.porep_id
    }

    /// The API version that fixes where the predecessor sits.
    pub const fn api_version(&self) -> ApiVersion {
        self.api_version
    }

    /// The 14 parents of `node`: 6 base parents (same layer) then 8 expander parents (previous
    /// layer), in rust-fil-proofs' order.
    pub fn parents(&self, node: u32) -> Result<[u32; DEGREE], GraphError> {
        let base = self.base_parents(node)?;
        let expander = self.expander_parents(node)?;
        let mut out = [0u32; DEGREE];
        for (slot, parent) in out.iter_mut().zip(base.into_iter().chain(expander)) {
            *slot = parent;
        }
        Ok(out)
    }

    /// The 6 base parents of `node` (filecoin-spec §2.3, `BucketGraph::parents`). Nodes 0 and
    /// 1 have parents all 0; every other node has v − 1 first (API ≥ 1.1) or last (1.0) and five
    /// sampled parents, all < v.
    pub fn base_parents(&self, node: u32) -> Result<[u32; BASE_DEGREE], GraphError> {
        self.check(node)?;
        if node < 2 {
            return Ok([0; BASE_DEGREE]);
        }
        let predecessor = node.saturating_sub(1);
        let sampled = self.sampled_parents(node);
        let mut out = [predecessor; BASE_DEGREE];
        // API ≥ 1.1 keeps slot 0 for the predecessor; 1.0 keeps slot 5.
        let first_sampled = usize::from(self.api_version.predecessor_first());
        for (slot, parent) in out.iter_mut().skip(first_sampled).zip(sampled) {
            *slot = parent;
        }
        Ok(out)
    }

    /// The 8 expander parents of `node`: permute(8v + i) / 8 for i in 0..8.
    pub fn expander_parents(&self, node: u32) -> Result<[u32; EXP_DEGREE], GraphError> {
        self.check(node)?;
        // node < nodes ≤ 2^32, so 8·node + 7 < 2^35 and every index is inside the domain.
        let first = u64::from(node).saturating_mul(EXP_DEGREE_U64);
        let mut out = [0u32; EXP_DEGREE];
        for (offset, slot) in (0u64..).zip(out.iter_mut()) {
            let permuted = self.feistel.permute(first.saturating_add(offset));
            // permuted < 8·nodes, so the quotient is < nodes ≤ 2^32.
            *slot = u32::try_from(permuted / EXP_DEGREE_U64).unwrap_or(u32::MAX);
        }
        Ok(out)
    }

    fn check(&self, node: u32) -> Result<(), GraphError> {
        if u64::from(node) < self.nodes {
            Ok(())
        } else {
            Err(GraphError::NodeOutOfRange {
                node: u64::from(node),
                nodes: self.nodes,
            })
        }
    }

    /// Bucket sampling for node ≥ 2: a ChaCha8 stream seeded by drg_seed ‖ u32_LE(node) draws,
    /// per parent, a bucket b and a distance in [max(2, 2^b/2), min(5v, 2^b)] on the metagraph.
    fn sampled_parents(&self, node: u32) -> [u32; SAMPLED_PARENTS] {
        let mut seed = [0u8; 32];
        for (out, byte) in seed
            .iter_mut()
            .zip(self.drg_seed.iter().chain(node.to_le_bytes().iter()))
        {
            *out = *byte;
        }
        let mut rng = ChaCha8Rng::from_seed(seed);
        // node < 2^32, so the metagraph node 5·node < 2^35; node ≥ 2, so it is ≥ 10.
        let meta = u64::from(node).saturating_mul(METAGRAPH_FACTOR);
        // ceil(log2(meta)); rust-fil-proofs computes it in f64, which is exact at these sizes
        // (meta is a multiple of 5, never a power of two, and < 2^35).
        let buckets = u64::from(u64::BITS.saturating_sub(meta.saturating_sub(1).leading_zeros()));
        let mut out = [0u32; SAMPLED_PARENTS];
        for slot in &mut out {
            let bucket = rng.next_u64().checked_rem(buckets).unwrap_or(0);
            // bucket + 1 ≤ 35, so the shift cannot overflow.
            let largest = min(meta, 1u64 << bucket.saturating_add(1));
            let smallest = max(2, largest >> 1);
            // 2 ≤ smallest ≤ largest ≤ meta.
            let distances = largest.saturating_sub(smallest).saturating_add(1);
            let distance =
                smallest.saturating_add(rng.next_u64().checked_rem(distances).unwrap_or(0));
            let mapped = meta.saturating_sub(distance) / METAGRAPH_FACTOR;
            // distance ≥ 2 makes mapped ≤ node − 1; the rule is kept as Filecoin states it.
            let mapped = u32::try_from(mapped).unwrap_or(0);
            *slot = if mapped == node {
                node.saturating_sub(1)
            } else {
                mapped
            };
        }
        out
    }
}

/// Parents computed on demand, without a cache: for small sectors and for checking a cache.
impl ParentSource for SdrGraph {
    fn parents(&mut self, v: u64) -> Result<[u32; DEGREE], LabelError> {
        u32::try_from(v)
            .map_err(|_| GraphError::NodeOutOfRange {
                node: v,
                nodes: self.nodes,
            })
            .and_then(|node| SdrGraph::parents(self, node))
            .map_err(|e| LabelError::Parents(e.to_string()))
    }

    fn rewind(&mut self) -> Result<(), LabelError> {
        Ok(())
    }
}

/// The 3-round Feistel permutation over [0, 4^L) with cycle walking into [0, domain).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Feistel {
    keys: [u64; FEISTEL_ROUNDS],
    domain: u64,
    half_bits: u32,
    right_mask: u64,
}

impl Feistel {
    fn new(porep_id: &[u8; 32], domain: u64) -> Self {
        let digest = Sha256::new()
            .chain_update(b"Filecoin_Feistel")
            .chain_update(porep_id)
            .finalize();
        let mut keys = [0u64; FEISTEL_ROUNDS];
        for (key, bytes) in keys.iter_mut().zip(digest.chunks_exact(8)) {
            let mut word = [0u8; 8];
            word.copy_from_slice(bytes);
            *key = u64::from_le_bytes(word);
        }
        // The smallest L ≥ 1 with 4^L ≥ domain; domain ≤ 2^35 keeps L ≤ 18.
        let mut half_bits = 1u32;
        while 4u64.checked_pow(half_bits).is_some_and(|p| p < domain) {
            half_bits = half_bits.saturating_add(1);
        }
        Self {
            keys,
            domain,
            half_bits,
            right_mask: (1u64 << half_bits).saturating_sub(1),
        }
    }

    /// One pass through the network: (l, r) ← (r, l ⊕ F(r, key)) for each key.
    fn encode(&self, index: u64) -> u64 {
        let mut left = (index >> self.half_bits) & self.right_mask;
        let mut right = index & self.right_mask;
        for &key in &self.keys {
            let next = left ^ self.round(right, key);
            left = right;
            right = next;
        }
        (left << self.half_bits) | right
    }

    /// F(r, k) = the first 8 bytes, big-endian, of BLAKE2b-512(u64_BE(r) ‖ u64_BE(k)), masked.
    fn round(&self, right: u64, key: u64) -> u64 {
        use blake2::{Blake2b512, Digest};
        let digest = Blake2b512::new()
            .chain_update(right.to_be_bytes())
            .chain_update(key.to_be_bytes())
            .finalize();
        let mut head = [0u8; 8];
        for (out, byte) in head.iter_mut().zip(digest) {
            *out = byte;
        }
        u64::from_be_bytes(head) & self.right_mask
    }

    /// Encodes `index` (< domain), re-encoding while the result is outside the domain. The walk
    /// ends because the permutation's cycle through `index` returns to it, and it is inside.
    fn permute(&self, index: u64) -> u64 {
        let mut value = self.encode(index);
        while value >= self.domain {
            value = self.encode(value);
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Feistel network is a permutation of [0, 4^L) and cycle walking keeps it one of
    /// [0, domain), also when domain is not a power of four.
    #[test]
    fn feistel_permutes_its_domain() {
        for domain in [8u64, 64, 100, 512] {
            let feistel = Feistel::new(&[7; 32], domain);
            let mut seen = vec![false; domain as usize];
            for index in 0..domain {
                let value = feistel.permute(index);
                assert!(value < domain);
                assert!(!seen[value as usize], "{value} twice in domain {domain}");
                seen[value as usize] = true;
            }
        }
    }

    #[test]
    fn feistel_half_width() {
        assert_eq!(Feistel::new(&[0; 32], 4).half_bits, 1);
        assert_eq!(Feistel::new(&[0; 32], 5).half_bits, 2);
        assert_eq!(Feistel::new(&[0; 32], 512).half_bits, 5);
        assert_eq!(Feistel::new(&[0; 32], 1 << 35).half_bits, 18);
    }

    #[test]
    fn graph_bounds() {
        assert_eq!(
            SdrGraph::new(0, &[0; 32], ApiVersion::V1_1_0),
            Err(GraphError::NodeCount { nodes: 0 })
        );
        assert!(SdrGraph::new(MAX_NODES + 1, &[0; 32], ApiVersion::V1_1_0).is_err());
        let graph = SdrGraph::new(64, &[0; 32], ApiVersion::V1_1_0).unwrap();
        assert_eq!(
            graph.parents(64),
            Err(GraphError::NodeOutOfRange {
                node: 64,
                nodes: 64
            })
        );
        let last = SdrGraph::new(MAX_NODES, &[0; 32], ApiVersion::V1_1_0).unwrap();
        let parents = last.parents(u32::MAX).unwrap();
        assert_eq!(parents[0], u32::MAX - 1);
    }
}
