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
        blake2b_512_head(right, key) & self.right_mask
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

/// BLAKE2b initialisation vector (RFC 7693 §2.6).
const BLAKE2B_IV: [u64; 8] = [
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
];

/// The first 8 bytes, read big-endian, of BLAKE2b-512(u64_BE(a) ‖ u64_BE(b)).
///
/// The Feistel network hashes 48 such 16-byte messages per node (3 rounds, 8 parents, about 2
/// encodings each), billions for a large sector. The message is a single zero-padded block, so
/// this runs one BLAKE2b compression on it directly and keeps only the first output word: about
/// twice as fast as the `blake2` crate's streaming API, and fast in unoptimised builds too.
/// `tests::blake2b_head_matches_blake2` checks it against that crate.
fn blake2b_512_head(a: u64, b: u64) -> u64 {
    // Message words are little-endian: u64_BE(a) read as LE is `a` byte-swapped.
    let (m0, m1) = (a.swap_bytes(), b.swap_bytes());
    let word = |index: u8| match index {
        0 => m0,
        1 => m1,
        _ => 0,
    };
    let [i0, i1, i2, i3, i4, i5, i6, i7] = BLAKE2B_IV;
    // Parameter block: digest length 64, no key, fanout 1, depth 1.
    let h0 = i0 ^ 0x0101_0040;
    let (mut v0, mut v1, mut v2, mut v3) = (h0, i1, i2, i3);
    let (mut v4, mut v5, mut v6, mut v7) = (i4, i5, i6, i7);
    let (mut v8, mut v9, mut v10, mut v11) = (i0, i1, i2, i3);
    // Byte counter 16 and the last-block flag.
    let (mut v12, mut v13, mut v14, mut v15) = (i4 ^ 16, i5, !i6, i7);
    macro_rules! g {
        ($a:ident, $b:ident, $c:ident, $d:ident, $x:expr, $y:expr) => {
            $a = $a.wrapping_add($b).wrapping_add($x);
            $d = ($d ^ $a).rotate_right(32);
            $c = $c.wrapping_add($d);
            $b = ($b ^ $c).rotate_right(24);
            $a = $a.wrapping_add($b).wrapping_add($y);
            $d = ($d ^ $a).rotate_right(16);
            $c = $c.wrapping_add($d);
            $b = ($b ^ $c).rotate_right(63);
        };
    }
    macro_rules! round {
        ($s0:literal, $s1:literal, $s2:literal, $s3:literal, $s4:literal, $s5:literal,
         $s6:literal, $s7:literal, $s8:literal, $s9:literal, $s10:literal, $s11:literal,
         $s12:literal, $s13:literal, $s14:literal, $s15:literal) => {
            g!(v0, v4, v8, v12, word($s0), word($s1));
            g!(v1, v5, v9, v13, word($s2), word($s3));
            g!(v2, v6, v10, v14, word($s4), word($s5));
            g!(v3, v7, v11, v15, word($s6), word($s7));
            g!(v0, v5, v10, v15, word($s8), word($s9));
            g!(v1, v6, v11, v12, word($s10), word($s11));
            g!(v2, v7, v8, v13, word($s12), word($s13));
            g!(v3, v4, v9, v14, word($s14), word($s15));
        };
    }
    // The 12 rounds, each with its row of the message schedule (RFC 7693 §2.7; rounds 10 and
    // 11 repeat rows 0 and 1). Unrolled so that the 14 zero message words fold away.
    round!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    round!(14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3);
    round!(11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4);
    round!(7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8);
    round!(9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13);
    round!(2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9);
    round!(12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11);
    round!(13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10);
    round!(6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5);
    round!(10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0);
    round!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    round!(14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3);
    // Only the first output word is needed; the others feed nothing.
    let _ = (v1, v2, v3, v4, v5, v6, v7, v9, v10, v11, v12, v13, v14, v15);
    // Output bytes are little-endian words; the caller reads the first 8 big-endian.
    (h0 ^ v0 ^ v8).swap_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-block BLAKE2b agrees with the `blake2` crate on edge and varied inputs.
    #[test]
    fn blake2b_head_matches_blake2() {
        use blake2::Blake2b512;
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut inputs = vec![(0, 0), (u64::MAX, u64::MAX), (1, 0), (0, 1)];
        for _ in 0..2000 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            inputs.push((x, x.rotate_left(17) ^ 0x5555));
        }
        for (a, b) in inputs {
            let digest = Blake2b512::new()
                .chain_update(a.to_be_bytes())
                .chain_update(b.to_be_bytes())
                .finalize();
            let head = u64::from_be_bytes(digest[..8].try_into().unwrap());
            assert_eq!(blake2b_512_head(a, b), head, "{a:#x} {b:#x}");
        }
    }

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
