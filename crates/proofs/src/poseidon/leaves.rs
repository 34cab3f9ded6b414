//! Where a tree's leaves come from: bytes in memory, a file read piece by piece, or the SDR
//! label layers hashed into TreeC columns on the fly.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::tree::TreeError;
use crate::fr::{Fr, fr_from_node};
use crate::hasher::{NODE_SIZE, Node};
use crate::poseidon;

/// A random-access supply of leaves as field elements.
///
/// Tree building asks for one chunk of leaves per task, from several threads at once; proofs
/// ask for the few leaves under one node.
pub trait LeafSource: Sync {
    /// Number of leaves.
    fn leaf_count(&self) -> Result<u64, TreeError>;

    /// Leaves `first .. first + out.len()`, into `out`.
    fn read_leaves(&self, first: u64, out: &mut [Fr]) -> Result<(), TreeError>;
}

/// Leaves packed as consecutive 32-byte little-endian nodes (a replica, or a level held in
/// memory or memory-mapped).
impl LeafSource for [u8] {
    fn leaf_count(&self) -> Result<u64, TreeError> {
        whole_nodes(self.len())
    }

    fn read_leaves(&self, first: u64, out: &mut [Fr]) -> Result<(), TreeError> {
        let bytes = byte_range(first, out.len())
            .and_then(|(start, end)| self.get(start..end))
            .ok_or(TreeError::LeafRange {
                first,
                count: out.len(),
            })?;
        decode_nodes(bytes, first, out)
    }
}

/// Leaves read from a file of 32-byte nodes (e.g. the sealed replica) with positioned reads,
/// so that memory holds only the chunks being hashed.
#[derive(Debug)]
pub struct FileLeaves {
    file: File,
    path: PathBuf,
    leaves: u64,
}

impl FileLeaves {
    /// Opens `path`, whose length must be a whole number of nodes.
    pub fn open(path: &Path) -> Result<Self, TreeError> {
        let io = |source| TreeError::Io {
            path: path.display().to_string(),
            source,
        };
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let leaves = usize::try_from(len)
            .map_err(|_| TreeError::NotWholeNodes { len: usize::MAX })
            .and_then(whole_nodes)?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
            leaves,
        })
    }
}

impl LeafSource for FileLeaves {
    fn leaf_count(&self) -> Result<u64, TreeError> {
        Ok(self.leaves)
    }

    fn read_leaves(&self, first: u64, out: &mut [Fr]) -> Result<(), TreeError> {
        let range_error = TreeError::LeafRange {
            first,
            count: out.len(),
        };
        let end = first.checked_add(out.len() as u64);
        if end.is_none_or(|end| end > self.leaves) {
            return Err(range_error);
        }
        let len = out.len().checked_mul(NODE_SIZE).ok_or(range_error)?;
        let mut bytes = vec![0u8; len];
        let offset = first.saturating_mul(NODE_SIZE as u64);
        self.file
            .read_exact_at(&mut bytes, offset)
            .map_err(|source| TreeError::Io {
                path: self.path.display().to_string(),
                source,
            })?;
        decode_nodes(&bytes, first, out)
    }
}

/// TreeC's leaves: leaf `v` is the Poseidon hash of node `v`'s labels in every layer (arity =
/// number of layers), computed when the leaf is read.
#[derive(Debug, Clone)]
pub struct ColumnLeaves<'a> {
    layers: Vec<&'a [u8]>,
    nodes: u64,
}

impl<'a> ColumnLeaves<'a> {
    /// Columns over `layers` (layer 1 first), each the labels of every node as 32-byte nodes.
    /// The number of layers must be a supported Poseidon arity (2 and 11 for Filecoin's sector
    /// sizes) and the layers equally long.
    pub fn new(layers: &[&'a [u8]]) -> Result<Self, TreeError> {
        let count = layers.len();
        if poseidon::constants(count).is_none() {
            return Err(TreeError::Columns {
                layers: count,
                reason: "the number of layers must be a supported Poseidon arity (2, 4, 8, 11, 16, 24 or 36)",
            });
        }
        let len = layers.first().map_or(0, |l| l.len());
        if layers.iter().any(|l| l.len() != len) {
            return Err(TreeError::Columns {
                layers: count,
                reason: "the layers differ in length",
            });
        }
        let nodes = whole_nodes(len)?;
        Ok(Self {
            layers: layers.to_vec(),
            nodes,
        })
    }
}

impl LeafSource for ColumnLeaves<'_> {
    fn leaf_count(&self) -> Result<u64, TreeError> {
        Ok(self.nodes)
    }

    fn read_leaves(&self, first: u64, out: &mut [Fr]) -> Result<(), TreeError> {
        let (start, end) = byte_range(first, out.len()).ok_or(TreeError::LeafRange {
            first,
            count: out.len(),
        })?;
        let rows: Vec<&[u8]> = self
            .layers
            .iter()
            .map(|layer| layer.get(start..end))
            .collect::<Option<_>>()
            .ok_or(TreeError::LeafRange {
                first,
                count: out.len(),
            })?;
        let count = out.len();
        let mut column = vec![Fr::from(0u64); self.layers.len()];
        for (i, leaf) in out.iter_mut().enumerate() {
            let index = first.saturating_add(i as u64);
            let offset = i.saturating_mul(NODE_SIZE);
            for (layer, (row, slot)) in rows.iter().zip(column.iter_mut()).enumerate() {
                let label = row
                    .get(offset..offset.saturating_add(NODE_SIZE))
                    .and_then(|b| <&Node>::try_from(b).ok())
                    .ok_or(TreeError::LeafRange { first, count })?;
                *slot = fr_from_node(label).map_err(|source| TreeError::NonCanonicalLabel {
                    layer: layer.saturating_add(1),
                    node: index,
                    source,
                })?;
            }
            *leaf = poseidon::hash(&column)?;
        }
        Ok(())
    }
}

/// Byte range of `count` nodes starting at node `first`.
fn byte_range(first: u64, count: usize) -> Option<(usize, usize)> {
    let start = usize::try_from(first).ok()?.checked_mul(NODE_SIZE)?;
    let end = start.checked_add(count.checked_mul(NODE_SIZE)?)?;
    Some((start, end))
}

fn whole_nodes(len: usize) -> Result<u64, TreeError> {
    if len.is_multiple_of(NODE_SIZE) {
        Ok((len / NODE_SIZE) as u64)
    } else {
        Err(TreeError::NotWholeNodes { len })
    }
}

/// Decodes consecutive nodes into `out`; leaf indices in errors start at `first`.
pub(crate) fn decode_nodes(bytes: &[u8], first: u64, out: &mut [Fr]) -> Result<(), TreeError> {
    for (i, (chunk, fr)) in bytes
        .chunks_exact(NODE_SIZE)
        .zip(out.iter_mut())
        .enumerate()
    {
        let index = first.saturating_add(i as u64);
        let node =
            <&Node>::try_from(chunk).map_err(|_| TreeError::NotWholeNodes { len: bytes.len() })?;
        *fr = fr_from_node(node).map_err(|source| TreeError::NonCanonicalLeaf { index, source })?;
    }
    Ok(())
}
