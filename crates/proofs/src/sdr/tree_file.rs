//! Merkle trees kept on disk, level by level, for sectors too large to hold their trees in
//! memory (TreeD, TreeC, TreeR).
//!
//! File layout (design note): the leaves are not stored (they are the unsealed sector, the
//! column hashes or the replica, which live in their own files); the tree file holds level 1,
//! then level 2, …, up to the root, each level as consecutive 32-byte nodes in index order.
//! Level `k` of a tree with `n` leaves and arity `a` has `n / a^k` nodes. A tree of 2^24 leaves
//! and arity 8 is about 2.3 M nodes (73 MiB); a binary tree over the same leaves 512 MiB.
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

/// How a tree combines `arity` children into their parent.
pub trait TreeHasher: Sync {
    /// Children per parent (2 or 8).
    fn arity(&self) -> usize;
    /// The parent of `children`, `arity` consecutive 32-byte nodes; `None` if they are not
    /// valid inputs (for Poseidon: not canonical field elements).
    fn hash(&self, children: &[u8]) -> Option<Node>;
    /// Hashes consecutive groups of `arity` nodes, one parent per group into `out`; `false` if
    /// a group is not valid input or the lengths disagree. Hashers with a batched form (Poseidon
    /// hashes several groups at once) override this.
    fn hash_many(&self, children: &[u8], out: &mut [Node]) -> bool {
        let groups = children.chunks_exact(self.arity().saturating_mul(NODE_SIZE));
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
    fn arity(&self) -> usize {
        2
    }
    fn hash(&self, children: &[u8]) -> Option<Node> {
        <&[u8; 64]>::try_from(children).ok().map(node_hash_pair)
    }
}

/// The 8-ary Poseidon tree of TreeC and TreeR (neptune's Merkle hash of arity 8).
#[derive(Debug, Clone, Copy, Default)]
pub struct PoseidonTree;

impl TreeHasher for PoseidonTree {
    fn arity(&self) -> usize {
        8
    }
    fn hash(&self, children: &[u8]) -> Option<Node> {
        if children.len() != 8 * NODE_SIZE {
            return None;
        }
        crate::poseidon::hash_node_bytes(children).ok()
    }
    fn hash_many(&self, children: &[u8], out: &mut [Node]) -> bool {
        crate::poseidon::hash_node_bytes_many(8, children, out).is_ok()
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
    /// The leaf count is not a power of the arity.
    #[error("{leaves} leaves cannot form a complete tree of arity {arity}")]
    Shape {
        /// Leaf count.
        leaves: u64,
        /// Arity.
        arity: usize,
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

/// The number of levels above the leaves of a complete tree, or an error.
fn height(leaves: u64, arity: usize) -> Result<u32, TreeError> {
    let shape = || TreeError::Shape { leaves, arity };
    let bits = arity.trailing_zeros();
    if !arity.is_power_of_two() || arity < 2 || !leaves.is_power_of_two() || leaves < arity as u64 {
        return Err(shape());
    }
    let total = leaves.trailing_zeros();
    if !total.is_multiple_of(bits) {
        return Err(shape());
    }
    total.checked_div(bits).ok_or_else(shape)
}

/// A built tree file: its shape and where each level starts.
#[derive(Debug, Clone)]
pub struct TreeFile {
    path: PathBuf,
    leaves: u64,
    arity: usize,
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
    /// Builds the tree over `leaves` (32-byte nodes read from `leaf_file`, `count` of them) into
    /// `out`, and returns it.
    pub fn build(
        leaf_file: &Path,
        count: u64,
        hasher: &dyn TreeHasher,
        out: &Path,
    ) -> Result<TreeFile, TreeError> {
        let arity = hasher.arity();
        let levels = height(count, arity)?;
        let leaves = File::open(leaf_file).map_err(|e| io_err(leaf_file, e))?;
        let tmp = out.with_extension("tmp");
        let file = OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&tmp)
            .map_err(|e| io_err(&tmp, e))?;
        let mut offsets = Vec::with_capacity(levels as usize);
        let mut written = 0u64;
        let mut below: (&File, u64, &Path) = (&leaves, 0, leaf_file);
        let mut width = count;
        let mut root = [0u8; NODE_SIZE];
        {
            let mut w = BufWriter::with_capacity(1 << 20, &file);
            for _ in 0..levels {
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
                        .all(|(children, parents)| hasher.hash_many(children, parents));
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
            leaves: count,
            arity,
            offsets,
            root,
        })
    }

    /// Opens a tree built earlier, checking its size, and reads its root.
    pub fn open(path: &Path, leaves: u64, arity: usize) -> Result<TreeFile, TreeError> {
        let levels = height(leaves, arity)?;
        let mut offsets = Vec::with_capacity(levels as usize);
        let mut size = 0u64;
        let mut width = leaves;
        for _ in 0..levels {
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
            leaves,
            arity,
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
        if index >= self.leaves {
            return Err(TreeError::Index {
                index,
                leaves: self.leaves,
            });
        }
        let tree = File::open(&self.path).map_err(|e| io_err(&self.path, e))?;
        let leaves = File::open(leaf_file).map_err(|e| io_err(leaf_file, e))?;
        let arity = self.arity as u64;
        let mut out = Vec::with_capacity(self.offsets.len());
        let mut i = index;
        for level in 0..self.offsets.len() {
            let (file, base, path) = match level.checked_sub(1).and_then(|l| self.offsets.get(l)) {
                None => (&leaves, 0, leaf_file),
                Some(&off) => (&tree, off, self.path.as_path()),
            };
            let position = i.checked_rem(arity).unwrap_or(0);
            let first = i.saturating_sub(position);
            let mut group = vec![0u8; self.arity.saturating_mul(NODE_SIZE)];
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
            i = i.checked_div(arity).unwrap_or(0);
        }
        Ok(out)
    }
}

/// Recomputes the root from a leaf and its path; `None` if the path is malformed (a position
/// outside the arity or a wrong number of siblings). Never panics.
pub fn root_from_path(leaf: &Node, path: &[PathLevel], hasher: &dyn TreeHasher) -> Option<Node> {
    let arity = hasher.arity();
    let mut node = *leaf;
    let mut group = vec![0u8; arity.checked_mul(NODE_SIZE)?];
    for level in path {
        let position = usize::from(level.position);
        if position >= arity || level.siblings.len() != arity.checked_sub(1)? {
            return None;
        }
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

/// The leaf index a path proves, from its positions.
pub fn path_index(path: &[PathLevel], arity: usize) -> Option<u64> {
    let mut index = 0u64;
    for level in path.iter().rev() {
        index = index
            .checked_mul(arity as u64)?
            .checked_add(u64::from(level.position))?;
    }
    Some(index)
}
