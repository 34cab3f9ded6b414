//! Filecoin's Poseidon tree shapes: a base arity, an optional sub-tree arity and an optional
//! top-tree arity (rust-fil-proofs `LCTree<PoseidonHasher, Base, Sub, Top>`).

use flowcoin_types::SectorSize;

use super::tree::TreeError;

/// The most levels a tree may have (2^64 leaves of arity 2).
pub const MAX_TREE_HEIGHT: usize = 64;

/// The arities a tree level may have (rust-fil-proofs hashes tree nodes with arity 2, 4 or 8).
const TREE_ARITIES: [usize; 3] = [2, 4, 8];

/// The shape of a Poseidon Merkle tree as Filecoin builds it.
///
/// A tree of shape base-sub-top over `leaves` leaves is `sub · top` base trees (`top` = 1 and
/// `sub` = 1 when absent), each over a contiguous run of `leaves / (sub · top)` leaves, with
/// every level of arity `base`; their roots are combined `sub` at a time, and those `top` at a
/// time. Since the node hash ignores the height, the root is that of a single tree whose
/// levels have arities `[base; k]`, then `sub`, then `top`, which is how this module builds
/// it. Level 0 is the leaves; level [`TreeShape::height`] is the root.
///
/// | sector | leaves | shape |
/// |---|---|---|
/// | 2 KiB, 8 MiB, 512 MiB | 2^6, 2^18, 2^24 | 8-0-0 |
/// | 32 GiB | 2^30 | 8-8-0 |
/// | 64 GiB | 2^31 | 8-8-2 |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TreeShape {
    leaves: u64,
    base_arity: usize,
    sub_tree_arity: usize,
    top_tree_arity: usize,
    /// Levels of base arity.
    base_height: usize,
}

impl TreeShape {
    /// A tree of `leaves` leaves with the given arities (0 = no sub-tree or top-tree level).
    ///
    /// `base_arity` ∈ {2, 4, 8}; `sub_tree_arity`, `top_tree_arity` ∈ {0, 2, 4, 8}; a top tree
    /// needs a sub tree; `leaves` must be base^k · sub · top with k ≥ 1.
    pub fn new(
        leaves: u64,
        base_arity: usize,
        sub_tree_arity: usize,
        top_tree_arity: usize,
    ) -> Result<Self, TreeError> {
        let invalid = || TreeError::InvalidShape {
            leaves,
            base_arity,
            sub_tree_arity,
            top_tree_arity,
        };
        let optional_ok = |a: usize| a == 0 || TREE_ARITIES.contains(&a);
        if !TREE_ARITIES.contains(&base_arity)
            || !optional_ok(sub_tree_arity)
            || !optional_ok(top_tree_arity)
            || (top_tree_arity != 0 && sub_tree_arity == 0)
        {
            return Err(invalid());
        }
        let base_leaves = leaves
            .checked_div(sub_tree_arity.max(1) as u64)
            .and_then(|l| l.checked_div(top_tree_arity.max(1) as u64))
            .ok_or_else(invalid)?;
        let whole = base_leaves
            .checked_mul(sub_tree_arity.max(1) as u64)
            .and_then(|l| l.checked_mul(top_tree_arity.max(1) as u64));
        if whole != Some(leaves) {
            return Err(invalid());
        }
        let base_height = exact_log(base_leaves, base_arity as u64).ok_or_else(invalid)?;
        let shape = Self {
            leaves,
            base_arity,
            sub_tree_arity,
            top_tree_arity,
            base_height,
        };
        if base_height == 0 || shape.height() > MAX_TREE_HEIGHT {
            return Err(invalid());
        }
        Ok(shape)
    }

    /// The shape rust-fil-proofs uses for TreeC and TreeR of a sector of this size.
    pub fn for_sector(size: SectorSize) -> Result<Self, TreeError> {
        let leaves = size.bytes() / 32;
        match size {
            SectorSize::Size32GiB => Self::new(leaves, 8, 8, 0),
            SectorSize::Size64GiB => Self::new(leaves, 8, 8, 2),
            _ => Self::new(leaves, 8, 0, 0),
        }
    }

    /// Number of leaves.
    pub fn leaves(&self) -> u64 {
        self.leaves
    }

    /// Arity of the base trees' levels.
    pub fn base_arity(&self) -> usize {
        self.base_arity
    }

    /// Arity of the level joining base trees, 0 if there is none.
    pub fn sub_tree_arity(&self) -> usize {
        self.sub_tree_arity
    }

    /// Arity of the level joining sub trees, 0 if there is none.
    pub fn top_tree_arity(&self) -> usize {
        self.top_tree_arity
    }

    /// Levels of each base tree (its height).
    pub fn base_height(&self) -> usize {
        self.base_height
    }

    /// Levels above the leaves; also the number of elements of an inclusion path.
    pub fn height(&self) -> usize {
        let extra = [self.sub_tree_arity, self.top_tree_arity]
            .iter()
            .filter(|a| **a != 0)
            .count();
        self.base_height.saturating_add(extra)
    }

    /// The arity of each level, bottom up: element `k` is the number of level-`k` nodes hashed
    /// into one level-`k + 1` node.
    pub fn arities(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::repeat_n(self.base_arity, self.base_height)
            .chain([self.sub_tree_arity, self.top_tree_arity])
            .filter(|a| *a != 0)
    }

    /// The arity hashing level `level` into level `level + 1`.
    pub fn arity_at(&self, level: usize) -> Option<usize> {
        self.arities().nth(level)
    }

    /// Number of nodes on `level` (0 = leaves), or `None` above the root.
    pub fn nodes_at(&self, level: usize) -> Option<u64> {
        if level > self.height() {
            return None;
        }
        self.arities()
            .take(level)
            .try_fold(self.leaves, |n, a| n.checked_div(a as u64))
    }

    /// Leaves under one node of `level` (the product of the arities below it).
    pub fn leaves_under(&self, level: usize) -> Option<u64> {
        if level > self.height() {
            return None;
        }
        self.arities()
            .take(level)
            .try_fold(1u64, |n, a| n.checked_mul(a as u64))
    }
}

/// k with base^k = n, if there is one.
fn exact_log(n: u64, base: u64) -> Option<usize> {
    let mut k = 0usize;
    let mut power = 1u64;
    while power < n {
        power = power.checked_mul(base)?;
        k = k.checked_add(1)?;
    }
    (power == n).then_some(k)
}
