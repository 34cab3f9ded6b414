//! Errors of Poseidon tree building and proving.

use super::PoseidonError;
use crate::fr::FrError;
use crate::hasher::NODE_SIZE;

/// Why a tree could not be built or a proof made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TreeError {
    /// The leaf count does not fit the arities.
    #[error(
        "{leaves} leaves do not make a {base_arity}-{sub_tree_arity}-{top_tree_arity} tree (a \
         base-sub-top tree needs base^k · sub · top leaves with k ≥ 1, base in 2, 4, 8, sub and \
         top in 0 (none), 2, 4, 8, and a top level only with a sub level)"
    )]
    InvalidShape {
        /// The leaf count.
        leaves: u64,
        /// The base arity.
        base_arity: usize,
        /// The sub-tree arity (0 = none).
        sub_tree_arity: usize,
        /// The top-tree arity (0 = none).
        top_tree_arity: usize,
    },
    /// The rows to discard leave nothing, or too much to rehash per proof.
    #[error(
        "cannot discard {discard_rows} rows of a tree of height {height}: at most {max} rows can \
         be discarded (the root is always kept and a proof rehashes at most 2^15 leaves)"
    )]
    DiscardRows {
        /// The rows asked to be discarded.
        discard_rows: usize,
        /// The tree's height.
        height: usize,
        /// The most that can be discarded for this shape.
        max: usize,
    },
    /// The leaf source or the pushed leaves do not hold the shape's number of leaves.
    #[error("the tree needs {expected} leaves but got {got}")]
    LeafCount {
        /// Leaves of the shape.
        expected: u64,
        /// Leaves supplied.
        got: u64,
    },
    /// A leaf source cannot supply the leaves asked for.
    #[error("leaves {first}..+{count} are outside the leaf source")]
    LeafRange {
        /// First leaf asked for.
        first: u64,
        /// Number of leaves asked for.
        count: usize,
    },
    /// A byte buffer of leaves is not a whole number of 32-byte nodes.
    #[error("{len} bytes are not a whole number of {NODE_SIZE}-byte leaves")]
    NotWholeNodes {
        /// Its length in bytes.
        len: usize,
    },
    /// A leaf is not a canonical field element (the leaf data is corrupt).
    #[error("leaf {index}: {source}")]
    NonCanonicalLeaf {
        /// The leaf index.
        index: u64,
        /// The decoding error.
        source: FrError,
    },
    /// A TreeC label is not a canonical field element.
    #[error("label of node {node} in layer {layer}: {source}")]
    NonCanonicalLabel {
        /// The layer (1-based, as SDR numbers them).
        layer: usize,
        /// The node.
        node: u64,
        /// The decoding error.
        source: FrError,
    },
    /// The label layers cannot be hashed into columns.
    #[error("{layers} label layers cannot form TreeC columns: {reason}")]
    Columns {
        /// The number of layers given.
        layers: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The leaf index is not in the tree.
    #[error("leaf {index} is not in a tree of {leaves} leaves")]
    LeafIndex {
        /// The index asked for.
        index: u64,
        /// The tree's leaf count.
        leaves: u64,
    },
    /// Leaves given to a proof hash to another node than the tree holds: they are not the
    /// leaves the tree was built from.
    #[error(
        "the leaves under node {index} of level {level} hash to {computed}, but the tree holds \
         {stored}: they are not the leaves the tree was built from"
    )]
    LeavesChanged {
        /// The level of the kept node.
        level: usize,
        /// Its index on the level.
        index: u64,
        /// The node recomputed from the leaves, as hex.
        computed: String,
        /// The node in the tree, as hex.
        stored: String,
    },
    /// Reading leaves from a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A Poseidon hash failed (an arity the shape should have excluded).
    #[error(transparent)]
    Poseidon(#[from] PoseidonError),
}
