//! Merkle trees kept on disk, level by level, for sectors too large to hold their trees in
//! memory (TreeD, TreeC, TreeR).
//!
//! File layout (design note): the leaves are not stored (they are the unsealed sector, the
//! column hashes or the replica, which live in their own files); the tree file holds level 1,
//! then level 2, …, up to the root, each level as consecutive 32-byte nodes in index order.
//! Level `k` of a tree with `n` leaves and arity `a` has `n / a^k` nodes. A tree of 2^24 leaves
//! and arity 8 is about 2.3 M nodes (73 MiB); a binary tree over the same leaves 512 MiB.
//!
//! Each level has its own arity ([`Levels`]): Filecoin's compound shapes are such trees. 8-8-2
//! (64 GiB) joins 16 oct-trees with one level of arity 8 and a top of arity 2, which is the tree
//! whose levels have arities 8, …, 8, 8, 2; 8-8-0 (32 GiB) and 8-0-0 are plain oct-trees.
//!
//! Building reads the level below in chunks, hashes the chunk's groups on every core and
//! appends the parents; memory stays at one chunk whatever the tree size. The file is written to
//! a temporary name, fsynced and renamed.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::hasher::{NODE_SIZE, Node, node_hash_pair};

/// Child groups hashed per chunk while building (a multiple of every arity we use).
const CHUNK_NODES: usize = 1 << 16;

/// Parents computed per parallel task: a multiple of the 8 hashes a batched Poseidon computes
/// at once, small enough to balance the cores at the end of a chunk.
const TASK_PARENTS: usize = 256;

/// How a tree combines children into their parent.
pub trait TreeHasher: Sync {
    /// Whether this hasher combines `arity` children (Sha256Tree: 2; Poseidon: 2 and 8).
    fn supports(&self, arity: usize) -> bool;
    /// The parent of `children`, consecutive 32-byte nodes of a supported arity; `None` if they
    /// are not valid inputs (for Poseidon: not canonical field elements) or the arity is not
    /// supported.
    fn hash(&self, children: &[u8]) -> Option<Node>;
    /// Hashes consecutive groups of `arity` nodes, one parent per group into `out`; `false` if
    /// a group is not valid input or the lengths disagree. Hashers with a batched form (Poseidon
    /// hashes several groups at once) override this.
    fn hash_many(&self, arity: usize, children: &[u8], out: &mut [Node]) -> bool {
        if !self.supports(arity) {
            return false;
        }
        let groups = children.chunks_exact(arity.saturating_mul(NODE_SIZE));
        if groups.len() != out.len() || !groups.remainder().is_empty() {
            return false;
        }
        for (group, slot) in groups.zip(out.iter_mut()) {
            match self.hash(group) {
                Some(node) => *slot = node,
                None => return false,
            }
        }
        true
    }
}

/// The binary sha256-trunc254 tree of commP and TreeD.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sha256Tree;

impl TreeHasher for Sha256Tree {
    fn supports(&self, arity: usize) -> bool {
        arity == 2
    }
    fn hash(&self, children: &[u8]) -> Option<Node> {
        <&[u8; 64]>::try_from(children).ok().map(node_hash_pair)
    }
}

/// The Poseidon trees of TreeC and TreeR (neptune's Merkle hashes of arity 8, and 2 for the
/// top of 8-8-2 shapes).
#[derive(Debug, Clone, Copy, Default)]
pub struct PoseidonTree;

impl TreeHasher for PoseidonTree {
    fn supports(&self, arity: usize) -> bool {
        matches!(arity, 2 | 8)
    }
    fn hash(&self, children: &[u8]) -> Option<Node> {
        if children.len() != 8 * NODE_SIZE && children.len() != 2 * NODE_SIZE {
            return None;
        }
        crate::poseidon::hash_node_bytes(children).ok()
    }
    fn hash_many(&self, arity: usize, children: &[u8], out: &mut [Node]) -> bool {
        self.supports(arity) && crate::poseidon::hash_node_bytes_many(arity, children, out).is_ok()
    }
}

/// Why a tree file could not be built or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TreeError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The leaf count is not the product of the level arities, or an arity is not supported.
    #[error("{leaves} leaves cannot form a complete tree with level arities {arities:?}")]
    Shape {
        /// Leaf count.
        leaves: u64,
        /// Arity of each level, bottom up.
        arities: Vec<usize>,
    },
    /// A leaf index outside the tree.
    #[error("leaf {index} is outside a tree of {leaves} leaves")]
    Index {
        /// The index asked for.
        index: u64,
        /// Leaf count.
        leaves: u64,
    },
    /// A group of nodes that the tree's hash refuses (a corrupt leaf file).
    #[error("{path}: nodes {first}.. are not valid inputs to the tree hash")]
    BadNodes {
        /// The file holding them.
        path: String,
        /// Index of the first node of the chunk.
        first: u64,
    },
    /// The tree file is shorter than its shape requires.
    #[error("tree file {path} is {got} bytes, expected {expected} (rebuild the sector cache)")]
    Truncated {
        /// The file.
        path: String,
        /// Its size.
        got: u64,
        /// The size the shape requires.
        expected: u64,
    },
}

fn io_err(path: &Path, source: std::io::Error) -> TreeError {
    TreeError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The arity of each level of a tree, bottom up (the first combines leaves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Levels {
    leaves: u64,
    arities: Vec<usize>,
}

impl Levels {
    /// A tree over `leaves` whose levels have `arities` (bottom up); an error unless each arity
    /// is at least 2 and their product is `leaves`.
    pub fn new(leaves: u64, arities: Vec<usize>) -> Result<Self, TreeError> {
        let product = arities.iter().try_fold(1u64, |p, &a| {
            (a >= 2).then_some(())?;
            p.checked_mul(u64::try_from(a).ok()?)
        });
        if arities.is_empty() || product != Some(leaves) {
            return Err(TreeError::Shape { leaves, arities });
        }
        Ok(Self { leaves, arities })
    }

    /// The complete tree of one arity over `leaves` (a power of it).
    pub fn uniform(leaves: u64, arity: usize) -> Result<Self, TreeError> {
        let shape = || TreeError::Shape {
            leaves,
            arities: vec![arity],
        };
        let bits = arity.trailing_zeros();
        if !arity.is_power_of_two() || arity < 2 || !leaves.is_power_of_two() {
            return Err(shape());
        }
        let total = leaves.trailing_zeros();
        if !total.is_multiple_of(bits) {
            return Err(shape());
        }
        let height = total.checked_div(bits).ok_or_else(shape)?;
        Self::new(leaves, vec![arity; height as usize])
    }

    /// The leaf count.
    pub fn leaves(&self) -> u64 {
        self.leaves
    }

    /// The arities, bottom up.
    pub fn arities(&self) -> &[usize] {
        &self.arities
    }

    /// The number of levels above the leaves (the length of an inclusion path).
    pub fn height(&self) -> usize {
        self.arities.len()
    }
}

/// A built tree file: its shape and where each level starts.
#[derive(Debug, Clone)]
pub struct TreeFile {
    path: PathBuf,
    levels: Levels,
    /// Byte offset of each level (index 0 = level 1) in the file.
    offsets: Vec<u64>,
    root: Node,
}

/// One level of an inclusion path: the leaf's position among its siblings, and the siblings
/// (arity − 1 nodes, in order, the path node left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathLevel {
    /// Position of the path node among its `arity` siblings.
    pub position: u8,
    /// The other children of the parent, in order.
    pub siblings: Vec<Node>,
}

impl TreeFile {
    /// Builds the tree of shape `levels` over its leaves (32-byte nodes read from `leaf_file`)
    /// into `out`, and returns it.
    pub fn build(
        leaf_file: &Path,
        levels: &Levels,
        hasher: &dyn TreeHasher,
        out: &Path,
    ) -> Result<TreeFile, TreeError> {
        if let Some(&arity) = levels.arities.iter().find(|&&a| !hasher.supports(a)) {
            return Err(TreeError::Shape {
                leaves: levels.leaves,
                arities: vec![arity],
            });
        }
        let leaves = File::open(leaf_file).map_err(|e| io_err(leaf_file, e))?;
        let tmp = out.with_extension("tmp");
        let file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&tmp)
            .map_err(|e| io_err(&tmp, e))?;
        let mut offsets = Vec::with_capacity(levels.height());
        let mut written = 0u64;
        let mut below: (&File, u64, &Path) = (&leaves, 0, leaf_file);
        let mut width = levels.leaves;
        let mut root = [0u8; NODE_SIZE];
        {
            let mut w = BufWriter::with_capacity(1 << 20, &file);
            for &arity in &levels.arities {
                let parents = width.checked_div(arity as u64).unwrap_or(0);
                offsets.push(written);
                let mut buf = vec![0u8; CHUNK_NODES.saturating_mul(NODE_SIZE)];
                let mut done = 0u64;
                while done < width {
                    let n = width.saturating_sub(done).min(CHUNK_NODES as u64) as usize;
                    let chunk = buf
                        .get_mut(..n.saturating_mul(NODE_SIZE))
                        .unwrap_or_default();
                    let at = below
                        .1
                        .saturating_add(done.saturating_mul(NODE_SIZE as u64));
                    w.flush().map_err(|e| io_err(&tmp, e))?;
                    below
                        .0
                        .read_exact_at(chunk, at)
                        .map_err(|e| io_err(below.2, e))?;
                    let mut hashed = vec![[0u8; NODE_SIZE]; n.checked_div(arity).unwrap_or(0)];
                    let valid = chunk
                        .par_chunks(TASK_PARENTS.saturating_mul(arity).saturating_mul(NODE_SIZE))
                        .zip(hashed.par_chunks_mut(TASK_PARENTS))
                        .all(|(children, parents)| hasher.hash_many(arity, children, parents));
                    if !valid {
                        return Err(TreeError::BadNodes {
                            path: below.2.display().to_string(),
                            first: done,
                        });
                    }
                    for node in &hashed {
                        w.write_all(node).map_err(|e| io_err(&tmp, e))?;
                    }
                    if let (1, Some(r)) = (parents, hashed.first()) {
                        root = *r;
                    }
                    done = done.saturating_add(n as u64);
                }
                w.flush().map_err(|e| io_err(&tmp, e))?;
                let level_start = written;
                written = written.saturating_add(parents.saturating_mul(NODE_SIZE as u64));
                below = (&file, level_start, &tmp);
                width = parents;
            }
        }
        file.sync_all().map_err(|e| io_err(&tmp, e))?;
        drop(file);
        std::fs::rename(&tmp, out).map_err(|e| io_err(out, e))?;
        Ok(TreeFile {
            path: out.to_path_buf(),
            levels: levels.clone(),
            offsets,
            root,
        })
    }

    /// Opens a tree of shape `levels` built earlier, checking its size, and reads its root.
    pub fn open(path: &Path, levels: &Levels) -> Result<TreeFile, TreeError> {
        let mut offsets = Vec::with_capacity(levels.height());
        let mut size = 0u64;
        let mut width = levels.leaves;
        for &arity in &levels.arities {
            offsets.push(size);
            width = width.checked_div(arity as u64).unwrap_or(0);
            size = size.saturating_add(width.saturating_mul(NODE_SIZE as u64));
        }
        let file = File::open(path).map_err(|e| io_err(path, e))?;
        let got = file.metadata().map_err(|e| io_err(path, e))?.len();
        if got != size {
            return Err(TreeError::Truncated {
                path: path.display().to_string(),
                got,
                expected: size,
            });
        }
        let mut root = [0u8; NODE_SIZE];
        file.read_exact_at(&mut root, size.saturating_sub(NODE_SIZE as u64))
            .map_err(|e| io_err(path, e))?;
        Ok(TreeFile {
            path: path.to_path_buf(),
            levels: levels.clone(),
            offsets,
            root,
        })
    }

    /// The root.
    pub fn root(&self) -> Node {
        self.root
    }

    /// The inclusion path of leaf `index`, bottom-up. Siblings on level 0 come from the leaf
    /// file (`leaf_file`), the others from this tree.
    pub fn path(&self, leaf_file: &Path, index: u64) -> Result<Vec<PathLevel>, TreeError> {
        if index >= self.levels.leaves {
            return Err(TreeError::Index {
                index,
                leaves: self.levels.leaves,
            });
        }
        let tree = File::open(&self.path).map_err(|e| io_err(&self.path, e))?;
        let leaves = File::open(leaf_file).map_err(|e| io_err(leaf_file, e))?;
        let mut out = Vec::with_capacity(self.offsets.len());
        let mut i = index;
        for (level, &arity) in self.levels.arities.iter().enumerate() {
            let (file, base, path) = match level.checked_sub(1).and_then(|l| self.offsets.get(l)) {
                None => (&leaves, 0, leaf_file),
                Some(&off) => (&tree, off, self.path.as_path()),
            };
            let position = i.checked_rem(arity as u64).unwrap_or(0);
            let first = i.saturating_sub(position);
            let mut group = vec![0u8; arity.saturating_mul(NODE_SIZE)];
            file.read_exact_at(
                &mut group,
                base.saturating_add(first.saturating_mul(NODE_SIZE as u64)),
            )
            .map_err(|e| io_err(path, e))?;
            let position = position as u8;
            let siblings = group
                .chunks_exact(NODE_SIZE)
                .enumerate()
                .filter(|(k, _)| *k != usize::from(position))
                .filter_map(|(_, n)| Node::try_from(n).ok())
                .collect();
            out.push(PathLevel { position, siblings });
            i = i.checked_div(arity as u64).unwrap_or(0);
        }
        Ok(out)
    }
}

/// Recomputes the root from a leaf and its path in a tree of shape `levels`; `None` if the path
/// does not fit the shape (its length, a position outside its level's arity, a wrong number of
/// siblings) or the hasher refuses a group. Never panics.
pub fn root_from_path(
    leaf: &Node,
    path: &[PathLevel],
    levels: &Levels,
    hasher: &dyn TreeHasher,
) -> Option<Node> {
    if path.len() != levels.height() {
        return None;
    }
    let mut node = *leaf;
    for (level, &arity) in path.iter().zip(&levels.arities) {
        let position = usize::from(level.position);
        if position >= arity || level.siblings.len() != arity.checked_sub(1)? {
            return None;
        }
        let mut group = vec![0u8; arity.checked_mul(NODE_SIZE)?];
        let mut siblings = level.siblings.iter();
        for (k, slot) in group.chunks_exact_mut(NODE_SIZE).enumerate() {
            let src = if k == position {
                &node
            } else {
                siblings.next()?
            };
            slot.copy_from_slice(src);
        }
        node = hasher.hash(&group)?;
    }
    Some(node)
}

/// The leaf index a path proves in a tree of shape `levels`, from its positions; `None` if the
/// path does not have one level per tree level.
pub fn path_index(path: &[PathLevel], levels: &Levels) -> Option<u64> {
    if path.len() != levels.height() {
        return None;
    }
    let mut index = 0u64;
    for (level, &arity) in path.iter().zip(&levels.arities).rev() {
        index = index
            .checked_mul(u64::try_from(arity).ok()?)?
            .checked_add(u64::from(level.position))?;
    }
    Some(index)
}
