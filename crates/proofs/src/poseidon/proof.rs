//! Inclusion proofs of Poseidon trees and their verification.
//!
//! Layout (the same information, in the same order, as rust-fil-proofs' `MerkleProof`):
//! `path[k]` is the element of level k (k = 0 next to the leaves), one per level of the shape,
//! bottom up. Each element holds the `position` (0 ≤ position < arity of that level) of the
//! path's node among the children of its parent, and the other `arity − 1` children in
//! position order. rust-fil-proofs splits the same list into a base path (the base-arity
//! levels), a one-element sub path and a one-element top path (`MerkleProof::from_parts(leaf,
//! root, path)` takes exactly this list as `(siblings, position)` pairs), and inserts the path
//! node at `position` before hashing (`InclusionPath::root`), as [`InclusionProof::root`]
//! does. The leaf index is read from the positions in mixed radix: position_0 +
//! arity_0 · (position_1 + arity_1 · (…)), which in a compound tree is Filecoin's
//! (base-tree index, sub-tree index, top index) decomposition of the challenge.

use super::shape::{MAX_TREE_HEIGHT, TreeShape};
use crate::fr::{Fr, FrError, fr_from_node, node_from_fr};
use crate::hasher::Node;
use crate::poseidon;

/// One level of an inclusion path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PathElement {
    /// Position of the path's node among the `arity` children of its parent.
    pub position: u8,
    /// The other `arity − 1` children, in position order.
    pub siblings: Vec<Node>,
}

/// A leaf and its path to the root of a Poseidon tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InclusionProof {
    /// The proved leaf (a replica node for TreeR, a column hash for TreeC).
    pub leaf: Node,
    /// One element per level, from the leaves up.
    pub path: Vec<PathElement>,
}

/// Why an inclusion proof does not verify. Verification never panics, whatever the proof holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The path does not have one element per level of the tree.
    #[error("the path has {got} levels but the tree has {expected}")]
    PathLength {
        /// The tree's height.
        expected: usize,
        /// Elements in the path.
        got: usize,
    },
    /// A path element does not hold arity − 1 siblings.
    #[error("path level {level} holds {got} siblings; its arity is {arity}, so it needs {}", arity.saturating_sub(1))]
    SiblingCount {
        /// The level.
        level: usize,
        /// The level's arity.
        arity: usize,
        /// Siblings given.
        got: usize,
    },
    /// A position is not below the level's arity.
    #[error("path level {level} has position {position}, not below its arity {arity}")]
    Position {
        /// The level.
        level: usize,
        /// The position given.
        position: u8,
        /// The level's arity.
        arity: usize,
    },
    /// The leaf or a sibling is not a canonical field element.
    #[error("path level {level} (0 = the leaf and its siblings): {source}")]
    NonCanonical {
        /// The level of the offending node.
        level: usize,
        /// The decoding error.
        source: FrError,
    },
    /// The path proves another leaf than the one asked for.
    #[error("the path leads to leaf {proved}, not to leaf {expected}")]
    LeafIndex {
        /// The leaf that should have been proved.
        expected: u64,
        /// The leaf the positions designate.
        proved: u64,
    },
    /// The recomputed root differs from the expected one.
    #[error("the path does not lead to the expected root")]
    RootMismatch,
}

impl InclusionProof {
    /// The leaf index the positions designate, after checking the path's structure against
    /// `shape`.
    pub fn leaf_index(&self, shape: &TreeShape) -> Result<u64, ProofError> {
        self.check_structure(shape)?;
        let mut index = 0u64;
        let mut weight = 1u64;
        for (element, arity) in self.path.iter().zip(shape.arities()) {
            // The structure check bounds positions by the arities and the height by 64 levels
            // over at most 2^64 leaves, so none of this can overflow; checked anyway.
            let term = weight.checked_mul(u64::from(element.position));
            index = term
                .and_then(|t| index.checked_add(t))
                .ok_or(ProofError::PathLength {
                    expected: shape.height(),
                    got: self.path.len(),
                })?;
            weight = weight.saturating_mul(arity as u64);
        }
        Ok(index)
    }

    /// Recomputes the root from the leaf and the path, after checking the path's structure
    /// against `shape`.
    pub fn root(&self, shape: &TreeShape) -> Result<Node, ProofError> {
        self.check_structure(shape)?;
        let mut node = decode(0, &self.leaf)?;
        let mut children: Vec<Fr> = Vec::with_capacity(8);
        for (level, element) in self.path.iter().enumerate() {
            children.clear();
            for sibling in &element.siblings {
                children.push(decode(level, sibling)?);
            }
            let at = usize::from(element.position).min(children.len());
            children.insert(at, node);
            node = poseidon::hash(&children).map_err(|_| ProofError::SiblingCount {
                level,
                arity: shape.arity_at(level).unwrap_or(0),
                got: element.siblings.len(),
            })?;
        }
        Ok(node_from_fr(&node))
    }

    /// Checks that this proves leaf `leaf_index` of the tree of shape `shape` with root
    /// `root`. The caller checks separately that `self.leaf` is the value it expects (e.g. the
    /// column hash of the opened column).
    pub fn verify(
        &self,
        shape: &TreeShape,
        leaf_index: u64,
        root: &Node,
    ) -> Result<(), ProofError> {
        let proved = self.leaf_index(shape)?;
        if proved != leaf_index {
            return Err(ProofError::LeafIndex {
                expected: leaf_index,
                proved,
            });
        }
        if self.root(shape)? != *root {
            return Err(ProofError::RootMismatch);
        }
        Ok(())
    }

    /// Rejects paths whose length, sibling counts or positions do not fit `shape`; bounds the
    /// work verification does by the shape, not by the proof.
    fn check_structure(&self, shape: &TreeShape) -> Result<(), ProofError> {
        let expected = shape.height();
        if self.path.len() != expected || expected > MAX_TREE_HEIGHT {
            return Err(ProofError::PathLength {
                expected,
                got: self.path.len(),
            });
        }
        for (level, (element, arity)) in self.path.iter().zip(shape.arities()).enumerate() {
            if element.siblings.len().checked_add(1) != Some(arity) {
                return Err(ProofError::SiblingCount {
                    level,
                    arity,
                    got: element.siblings.len(),
                });
            }
            if usize::from(element.position) >= arity {
                return Err(ProofError::Position {
                    level,
                    position: element.position,
                    arity,
                });
            }
        }
        Ok(())
    }
}

fn decode(level: usize, node: &Node) -> Result<Fr, ProofError> {
    fr_from_node(node).map_err(|source| ProofError::NonCanonical { level, source })
}
