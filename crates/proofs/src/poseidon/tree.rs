//! Poseidon Merkle trees (TreeC, TreeR): roots, stored levels and inclusion proofs.
//!
//! # How a tree is built, and what it costs in memory
//!
//! The leaves are never copied into the tree: they stay with their owner (the replica file
//! for TreeR, the label layers for TreeC) and are read through a [`LeafSource`], or pushed
//! into a [`TreeBuilder`] as they are produced.
//!
//! Leaves are cut into **chunks**: subtrees of at most 2^15 leaves (8^5 for arity 8, 1 MiB of
//! leaves). One task reads a chunk and hashes it up to its root on one core, in field-element
//! form; tasks run in **batches** of 16 chunks on every core (rayon). The levels from
//! [`TreeConfig::discard_rows`]` + 1` up are kept as 32-byte nodes; the root of each chunk is
//! kept too, and the levels above the chunks are hashed from those once all chunks are done.
//!
//! Memory while building: the kept levels (level 1 of an oct-tree is 1/8 of the leaves, all
//! levels above the leaves 1/7: 73 MiB for a 512 MiB sector, 9/64 of that with two rows
//! discarded), one batch (16 chunks of leaves in Fr form plus their levels, about 40 MiB, and
//! for a [`TreeBuilder`] up to 16 MiB of buffered leaves), and 32 bytes per chunk. Nothing
//! grows with the sector beyond the kept levels.
//!
//! Proofs read the leaves under one kept node again and rehash the discarded rows below it
//! (at most 2^15 leaves, 512 with two rows discarded, Filecoin's default for TreeR).

use rayon::prelude::*;

use super::leaves::{LeafSource, decode_nodes};
use super::proof::{InclusionProof, PathElement};
use super::shape::TreeShape;
pub use super::tree_error::TreeError;
use super::{PoseidonError, hash};
use crate::fr::{Fr, NodeHex, node_from_fr};
use crate::hasher::{NODE_SIZE, Node};

/// Most leaves under one chunk (hashed by one task) and under one kept node (rehashed by a
/// proof).
pub const MAX_CHUNK_LEAVES: u64 = 1 << 15;

/// Chunks hashed in parallel per batch.
const BATCH_CHUNKS: u64 = 16;

/// What a tree keeps besides its root.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TreeConfig {
    /// Levels directly above the leaves that are not kept (rust-fil-proofs `rows_to_discard`;
    /// it discards 2 rows of TreeR by default). Proofs rehash them from the leaves.
    pub discard_rows: usize,
}

/// A built Poseidon tree: its shape, its kept levels and its root.
#[derive(Debug, Clone)]
pub struct PoseidonTree {
    shape: TreeShape,
    config: TreeConfig,
    /// Levels `discard_rows + 1 ..= height`, each as consecutive 32-byte nodes.
    levels: Vec<Vec<u8>>,
    root: Node,
}

/// The root of the tree of shape `shape` over `leaves`, keeping no levels.
pub fn tree_root<L: LeafSource + ?Sized>(shape: &TreeShape, leaves: &L) -> Result<Node, TreeError> {
    let plan = Plan::new(*shape, shape.height());
    build_from_source(plan, leaves).map(|acc| acc.root)
}

impl PoseidonTree {
    /// Builds the tree of shape `shape` over `leaves` on every core.
    pub fn build<L: LeafSource + ?Sized>(
        shape: TreeShape,
        leaves: &L,
        config: TreeConfig,
    ) -> Result<Self, TreeError> {
        Self::build_with_plan(Plan::for_config(shape, config)?, config, leaves)
    }

    fn build_with_plan<L: LeafSource + ?Sized>(
        plan: Plan,
        config: TreeConfig,
        leaves: &L,
    ) -> Result<Self, TreeError> {
        let shape = plan.shape;
        let built = build_from_source(plan, leaves)?;
        Ok(Self {
            shape,
            config,
            levels: built.levels,
            root: built.root,
        })
    }

    /// A builder that takes the leaves as they are produced, in order.
    pub fn builder(shape: TreeShape, config: TreeConfig) -> Result<TreeBuilder, TreeError> {
        Plan::for_config(shape, config).map(|plan| TreeBuilder::new(plan, config))
    }

    /// The root (CommC for TreeC, CommRLast for TreeR).
    pub fn root(&self) -> Node {
        self.root
    }

    /// The tree's shape.
    pub fn shape(&self) -> &TreeShape {
        &self.shape
    }

    /// What the tree keeps.
    pub fn config(&self) -> TreeConfig {
        self.config
    }

    /// The nodes of `level` as consecutive 32-byte nodes, if the level is kept (levels
    /// `discard_rows + 1` up to the root at `height`).
    pub fn level(&self, level: usize) -> Option<&[u8]> {
        let index = level.checked_sub(self.first_kept())?;
        self.levels.get(index).map(Vec::as_slice)
    }

    /// Bytes held by the kept levels.
    pub fn kept_bytes(&self) -> usize {
        self.levels.iter().map(Vec::len).sum()
    }

    fn first_kept(&self) -> usize {
        self.config.discard_rows.saturating_add(1)
    }

    /// The inclusion proof of leaf `leaf_index`. `leaves` must be the leaves the tree was
    /// built from: the discarded rows under the leaf are rehashed from them and checked against
    /// the kept level.
    pub fn prove<L: LeafSource + ?Sized>(
        &self,
        leaf_index: u64,
        leaves: &L,
    ) -> Result<InclusionProof, TreeError> {
        let total = self.shape.leaves();
        if leaf_index >= total {
            return Err(TreeError::LeafIndex {
                index: leaf_index,
                leaves: total,
            });
        }
        let first_kept = self.first_kept();
        let arities: Vec<usize> = self.shape.arities().collect();
        let span = self.shape.leaves_under(first_kept).unwrap_or(1).max(1);
        let mut index = leaf_index.checked_div(span).unwrap_or(0);
        let start = index.saturating_mul(span);

        // Rehash the discarded rows under the kept ancestor.
        let mut level_nodes = vec![Fr::from(0u64); usize::try_from(span).unwrap_or(0)];
        leaves.read_leaves(start, &mut level_nodes)?;
        let mut local = usize::try_from(leaf_index.saturating_sub(start)).unwrap_or(0);
        let leaf = level_nodes
            .get(local)
            .map(node_from_fr)
            .ok_or(TreeError::LeafIndex {
                index: leaf_index,
                leaves: total,
            })?;
        let mut path = Vec::with_capacity(arities.len());
        for &arity in arities.iter().take(first_kept) {
            let group = group_of(local, arity);
            let children: Vec<Node> = level_nodes
                .get(group.clone())
                .unwrap_or_default()
                .iter()
                .map(node_from_fr)
                .collect();
            path.push(element(&children, local.saturating_sub(group.start)));
            level_nodes = hash_level(&level_nodes, arity)?;
            local = local.checked_div(arity).unwrap_or(0);
        }
        let recomputed = level_nodes.first().map(node_from_fr).unwrap_or_default();
        let stored = self.node(first_kept, index).unwrap_or_default();
        if recomputed != stored {
            return Err(TreeError::LeavesChanged {
                level: first_kept,
                index,
                computed: NodeHex(&recomputed).to_string(),
                stored: NodeHex(&stored).to_string(),
            });
        }

        // The rest of the path comes from the kept levels.
        for (level, &arity) in arities.iter().enumerate().skip(first_kept) {
            let local = index
                .checked_rem(arity as u64)
                .and_then(|l| usize::try_from(l).ok())
                .unwrap_or(0);
            let group_start = index.saturating_sub(local as u64);
            let children: Vec<Node> = (0..arity as u64)
                .map(|k| {
                    self.node(level, group_start.saturating_add(k))
                        .unwrap_or_default()
                })
                .collect();
            path.push(element(&children, local));
            index = index.checked_div(arity as u64).unwrap_or(0);
        }
        Ok(InclusionProof { leaf, path })
    }

    /// Node `index` of kept level `level`.
    fn node(&self, level: usize, index: u64) -> Option<Node> {
        let start = usize::try_from(index).ok()?.checked_mul(NODE_SIZE)?;
        let bytes = self
            .level(level)?
            .get(start..start.checked_add(NODE_SIZE)?)?;
        Node::try_from(bytes).ok()
    }
}

/// The range of the `arity` nodes sharing a parent with node `i`.
fn group_of(i: usize, arity: usize) -> std::ops::Range<usize> {
    let start = i.saturating_sub(i.checked_rem(arity).unwrap_or(0));
    start..start.saturating_add(arity)
}

/// The path element for the child at `position` among `children`.
fn element(children: &[Node], position: usize) -> PathElement {
    PathElement {
        position: u8::try_from(position).unwrap_or(u8::MAX),
        siblings: children
            .iter()
            .enumerate()
            .filter(|(k, _)| *k != position)
            .map(|(_, n)| *n)
            .collect(),
    }
}

/// Takes a tree's leaves in order, in pieces of any size, and hashes them a batch at a time.
///
/// For building TreeR while the replica is being written, without reading it back. Memory:
/// the kept levels plus at most one batch of buffered leaves (see the module documentation).
#[derive(Debug)]
pub struct TreeBuilder {
    config: TreeConfig,
    accumulator: Accumulator,
    /// Leaves not yet hashed, less than one batch.
    pending: Vec<u8>,
    pushed_bytes: u64,
}

impl TreeBuilder {
    fn new(plan: Plan, config: TreeConfig) -> Self {
        Self {
            config,
            accumulator: Accumulator::new(plan),
            pending: Vec::new(),
            pushed_bytes: 0,
        }
    }

    /// Appends leaves (32-byte nodes; a node may be split across calls).
    pub fn push(&mut self, leaves: &[u8]) -> Result<(), TreeError> {
        let plan = &self.accumulator.plan;
        let total_bytes = plan.shape.leaves().saturating_mul(NODE_SIZE as u64);
        let pushed = self.pushed_bytes.saturating_add(leaves.len() as u64);
        if pushed > total_bytes {
            return Err(TreeError::LeafCount {
                expected: plan.shape.leaves(),
                got: pushed.checked_div(NODE_SIZE as u64).unwrap_or(0),
            });
        }
        self.pushed_bytes = pushed;
        let batch_bytes = plan.batch_bytes();
        let mut input = leaves;
        if !self.pending.is_empty() {
            let room = batch_bytes.saturating_sub(self.pending.len());
            let (head, rest) = input.split_at(room.min(input.len()));
            self.pending.extend_from_slice(head);
            input = rest;
            if self.pending.len() == batch_bytes {
                let batch = std::mem::take(&mut self.pending);
                self.hash_batch(&batch)?;
            }
        }
        while self.pending.is_empty() && input.len() >= batch_bytes {
            let (batch, rest) = input.split_at(batch_bytes);
            self.hash_batch(batch)?;
            input = rest;
        }
        self.pending.extend_from_slice(input);
        Ok(())
    }

    /// Hashes what is left and returns the tree; fails unless every leaf was pushed.
    pub fn finish(mut self) -> Result<PoseidonTree, TreeError> {
        let shape = self.accumulator.plan.shape;
        let total_bytes = shape.leaves().saturating_mul(NODE_SIZE as u64);
        if self.pushed_bytes != total_bytes {
            return Err(TreeError::LeafCount {
                expected: shape.leaves(),
                got: self.pushed_bytes.checked_div(NODE_SIZE as u64).unwrap_or(0),
            });
        }
        let batch = std::mem::take(&mut self.pending);
        if !batch.is_empty() {
            self.hash_batch(&batch)?;
        }
        let built = self.accumulator.finish()?;
        Ok(PoseidonTree {
            shape,
            config: self.config,
            levels: built.levels,
            root: built.root,
        })
    }

    /// Hashes whole chunks of leaves starting at the next chunk.
    fn hash_batch(&mut self, bytes: &[u8]) -> Result<(), TreeError> {
        let plan = &self.accumulator.plan;
        let chunk_bytes = plan.chunk_bytes();
        let first_chunk = self.accumulator.chunks_done;
        let outputs = bytes
            .par_chunks(chunk_bytes)
            .enumerate()
            .map(|(i, chunk)| {
                let first = first_chunk
                    .saturating_add(i as u64)
                    .saturating_mul(plan.chunk_leaves);
                let source = Offset {
                    bytes: chunk,
                    first,
                };
                plan.hash_chunk(&source, first)
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.accumulator.absorb(outputs);
        Ok(())
    }
}

/// A chunk of pushed bytes seen as the leaves from `first` on.
struct Offset<'a> {
    bytes: &'a [u8],
    first: u64,
}

impl LeafSource for Offset<'_> {
    fn leaf_count(&self) -> Result<u64, TreeError> {
        Ok(self
            .first
            .saturating_add((self.bytes.len() / NODE_SIZE) as u64))
    }

    fn read_leaves(&self, first: u64, out: &mut [Fr]) -> Result<(), TreeError> {
        let count = out.len();
        let start = first
            .checked_sub(self.first)
            .and_then(|s| usize::try_from(s).ok())
            .and_then(|s| s.checked_mul(NODE_SIZE))
            .ok_or(TreeError::LeafRange { first, count })?;
        let end = count
            .checked_mul(NODE_SIZE)
            .and_then(|len| start.checked_add(len))
            .ok_or(TreeError::LeafRange { first, count })?;
        let bytes = self
            .bytes
            .get(start..end)
            .ok_or(TreeError::LeafRange { first, count })?;
        decode_nodes(bytes, first, out)
    }
}

/// How a tree of one shape is cut into chunks and which levels it keeps.
#[derive(Debug, Clone)]
struct Plan {
    shape: TreeShape,
    /// Chunks hashed in parallel per batch.
    batch_chunks: u64,
    arities: Vec<usize>,
    /// Levels hashed inside a chunk.
    chunk_levels: usize,
    chunk_leaves: u64,
    chunks: u64,
    /// The lowest kept level; the root is always kept.
    first_kept: usize,
}

impl Plan {
    fn new(shape: TreeShape, first_kept: usize) -> Self {
        Self::with_limits(shape, first_kept, MAX_CHUNK_LEAVES, BATCH_CHUNKS)
    }

    /// A plan with chunks of at most `max_chunk_leaves` leaves (tests use tiny ones).
    fn with_limits(
        shape: TreeShape,
        first_kept: usize,
        max_chunk_leaves: u64,
        batch_chunks: u64,
    ) -> Self {
        let arities: Vec<usize> = shape.arities().collect();
        let chunk_levels = max_levels_under(&shape, max_chunk_leaves).max(1);
        let chunk_leaves = shape.leaves_under(chunk_levels).unwrap_or(1).max(1);
        Self {
            shape,
            batch_chunks: batch_chunks.max(1),
            chunks: shape.leaves().checked_div(chunk_leaves).unwrap_or(0),
            arities,
            chunk_levels,
            chunk_leaves,
            first_kept: first_kept.clamp(1, shape.height()),
        }
    }

    fn for_config(shape: TreeShape, config: TreeConfig) -> Result<Self, TreeError> {
        Self::for_config_with_limits(shape, config, MAX_CHUNK_LEAVES, BATCH_CHUNKS)
    }

    fn for_config_with_limits(
        shape: TreeShape,
        config: TreeConfig,
        max_chunk_leaves: u64,
        batch_chunks: u64,
    ) -> Result<Self, TreeError> {
        // A proof rehashes the leaves under the lowest kept level: at most one chunk's worth.
        let max = max_levels_under(&shape, max_chunk_leaves).saturating_sub(1);
        if config.discard_rows > max {
            return Err(TreeError::DiscardRows {
                discard_rows: config.discard_rows,
                height: shape.height(),
                max,
            });
        }
        let first_kept = config.discard_rows.saturating_add(1);
        Ok(Self::with_limits(
            shape,
            first_kept,
            max_chunk_leaves,
            batch_chunks,
        ))
    }

    fn chunk_bytes(&self) -> usize {
        usize::try_from(self.chunk_leaves)
            .unwrap_or(usize::MAX)
            .saturating_mul(NODE_SIZE)
    }

    fn batch_bytes(&self) -> usize {
        self.chunk_bytes()
            .saturating_mul(usize::try_from(self.batch_chunks).unwrap_or(1))
    }

    /// Reads the chunk whose first leaf is `first` and hashes it up to its root, returning the
    /// kept levels inside it and the root.
    fn hash_chunk<L: LeafSource + ?Sized>(
        &self,
        source: &L,
        first: u64,
    ) -> Result<ChunkOutput, TreeError> {
        let mut nodes = vec![Fr::from(0u64); usize::try_from(self.chunk_leaves).unwrap_or(0)];
        source.read_leaves(first, &mut nodes)?;
        let mut kept = Vec::new();
        for (level, &arity) in self.arities.iter().take(self.chunk_levels).enumerate() {
            nodes = hash_level(&nodes, arity)?;
            if level.saturating_add(1) >= self.first_kept {
                kept.push(to_bytes(&nodes));
            }
        }
        let root = nodes.first().copied().unwrap_or(Fr::from(0u64));
        Ok(ChunkOutput { kept, root })
    }
}

/// What one chunk contributes: its kept levels (lowest first) and its root.
struct ChunkOutput {
    kept: Vec<Vec<u8>>,
    root: Fr,
}

/// Collects chunk outputs in order and finishes the levels above the chunks.
#[derive(Debug)]
struct Accumulator {
    plan: Plan,
    levels: Vec<Vec<u8>>,
    chunk_roots: Vec<Fr>,
    chunks_done: u64,
}

/// The kept levels and the root of a finished tree.
struct Built {
    levels: Vec<Vec<u8>>,
    root: Node,
}

impl Accumulator {
    fn new(plan: Plan) -> Self {
        let levels = (plan.first_kept..=plan.chunk_levels)
            .map(|level| {
                let bytes = plan
                    .shape
                    .nodes_at(level)
                    .and_then(|n| usize::try_from(n).ok())
                    .unwrap_or(0)
                    .saturating_mul(NODE_SIZE);
                Vec::with_capacity(bytes)
            })
            .collect();
        Self {
            chunk_roots: Vec::with_capacity(usize::try_from(plan.chunks).unwrap_or(0)),
            plan,
            levels,
            chunks_done: 0,
        }
    }

    fn absorb(&mut self, outputs: Vec<ChunkOutput>) {
        for output in outputs {
            for (level, kept) in self.levels.iter_mut().zip(&output.kept) {
                level.extend_from_slice(kept);
            }
            self.chunk_roots.push(output.root);
            self.chunks_done = self.chunks_done.saturating_add(1);
        }
    }

    fn finish(mut self) -> Result<Built, TreeError> {
        if self.chunks_done != self.plan.chunks {
            return Err(TreeError::LeafCount {
                expected: self.plan.shape.leaves(),
                got: self.chunks_done.saturating_mul(self.plan.chunk_leaves),
            });
        }
        let mut nodes = std::mem::take(&mut self.chunk_roots);
        for (level, &arity) in self
            .plan
            .arities
            .iter()
            .enumerate()
            .skip(self.plan.chunk_levels)
        {
            nodes = hash_level_par(&nodes, arity)?;
            if level.saturating_add(1) >= self.plan.first_kept {
                self.levels.push(to_bytes(&nodes));
            }
        }
        let root = nodes.first().map(node_from_fr).unwrap_or_default();
        Ok(Built {
            levels: self.levels,
            root,
        })
    }
}

fn build_from_source<L: LeafSource + ?Sized>(plan: Plan, source: &L) -> Result<Built, TreeError> {
    let got = source.leaf_count()?;
    if got != plan.shape.leaves() {
        return Err(TreeError::LeafCount {
            expected: plan.shape.leaves(),
            got,
        });
    }
    let mut accumulator = Accumulator::new(plan);
    let chunks = accumulator.plan.chunks;
    let mut next = 0u64;
    while next < chunks {
        let end = next
            .saturating_add(accumulator.plan.batch_chunks)
            .min(chunks);
        let plan = &accumulator.plan;
        let outputs = (next..end)
            .into_par_iter()
            .map(|chunk| plan.hash_chunk(source, chunk.saturating_mul(plan.chunk_leaves)))
            .collect::<Result<Vec<_>, _>>()?;
        accumulator.absorb(outputs);
        next = end;
    }
    accumulator.finish()
}

/// The most levels (counted from the leaves, at least 1) under which a node covers at most
/// `max_leaves` leaves.
fn max_levels_under(shape: &TreeShape, max_leaves: u64) -> usize {
    (1..=shape.height())
        .take_while(|&l| shape.leaves_under(l).is_some_and(|n| n <= max_leaves))
        .last()
        .unwrap_or(1)
}

/// One level up: each run of `arity` children hashed into its parent.
fn hash_level(children: &[Fr], arity: usize) -> Result<Vec<Fr>, PoseidonError> {
    children.chunks_exact(arity).map(hash).collect()
}

fn hash_level_par(children: &[Fr], arity: usize) -> Result<Vec<Fr>, PoseidonError> {
    children.par_chunks_exact(arity).map(hash).collect()
}

fn to_bytes(nodes: &[Fr]) -> Vec<u8> {
    nodes.iter().flat_map(|n| n.to_bytes_le()).collect()
}

#[cfg(test)]
mod tests {
    //! The chunk and batch logic with tiny chunks, so that small trees have many of them.

    use super::*;
    use crate::poseidon::hash_node_bytes;
    use rand_chacha::ChaCha8Rng;
    use rand_core::{RngCore, SeedableRng};

    fn leaves(count: u64, seed: u64) -> Vec<u8> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut bytes = vec![0u8; count as usize * 32];
        rng.fill_bytes(&mut bytes);
        bytes.chunks_exact_mut(32).for_each(|n| n[31] &= 0x3f);
        bytes
    }

    fn naive_root(shape: &TreeShape, leaves: &[u8]) -> Node {
        let mut level = leaves.to_vec();
        for arity in shape.arities() {
            level = level
                .chunks_exact(arity * 32)
                .flat_map(|children| hash_node_bytes(children).unwrap())
                .collect();
        }
        level.try_into().unwrap()
    }

    fn shapes() -> Vec<TreeShape> {
        [
            (512, 8, 0, 0),
            (1024, 8, 8, 2),
            (256, 4, 2, 2),
            (128, 2, 0, 0),
            (64, 8, 0, 0),
        ]
        .into_iter()
        .map(|(n, b, s, t)| TreeShape::new(n, b, s, t).unwrap())
        .collect()
    }

    #[test]
    fn many_small_chunks_and_batches_give_the_same_tree() {
        for (i, shape) in shapes().into_iter().enumerate() {
            let data = leaves(shape.leaves(), i as u64);
            let root = naive_root(&shape, &data);
            for (max_chunk, batch) in [(1, 1), (8, 1), (8, 3), (64, 2), (1 << 15, 16)] {
                for discard_rows in 0..shape.height() {
                    let config = TreeConfig { discard_rows };
                    let Ok(plan) = Plan::for_config_with_limits(shape, config, max_chunk, batch)
                    else {
                        continue;
                    };
                    let tree =
                        PoseidonTree::build_with_plan(plan.clone(), config, &data[..]).unwrap();
                    assert_eq!(tree.root(), root, "{shape:?} {max_chunk} {batch}");
                    // The builder, fed in uneven pieces, agrees level by level.
                    let mut builder = TreeBuilder::new(plan, config);
                    let mut rng = ChaCha8Rng::seed_from_u64(discard_rows as u64);
                    let mut at = 0;
                    while at < data.len() {
                        let end = (at + 1 + rng.next_u32() as usize % 3000).min(data.len());
                        builder.push(&data[at..end]).unwrap();
                        at = end;
                    }
                    let built = builder.finish().unwrap();
                    assert_eq!(built.root(), root);
                    for level in 0..=shape.height() + 1 {
                        assert_eq!(built.level(level), tree.level(level));
                    }
                    for leaf in [0, 1, shape.leaves() / 2 + 5, shape.leaves() - 1] {
                        let proof = tree.prove(leaf, &data[..]).unwrap();
                        proof.verify(&shape, leaf, &root).unwrap();
                    }
                }
            }
        }
    }
}
