//! Binary sha256-trunc254 trees over Fr32 leaves: zero-subtree commitments, roots of
//! in-memory subtrees, and the frontier that folds subtree roots left to right.
//!
//! A subtree at *level* `l` covers `2^l` leaves, i.e. `32·2^l` padded bytes; a piece of padded
//! size `s` has its root at level `log2(s/32)` (the FRC-0069 "height").

use std::sync::OnceLock;

use crate::hasher::{NODE_SIZE, Node, hash_pairs, node_hash};

/// The highest level with a zero commitment: a subtree of 2^63 padded bytes, the largest
/// [`flowcoin_types::PaddedPieceSize`].
pub const MAX_LEVEL: u32 = 58;

/// `Z_level`: the root of an all-zero subtree at `level` (`Z_0` is 32 zero bytes,
/// `Z_{i+1} = H(Z_i, Z_i)`), or `None` above [`MAX_LEVEL`]. The table is computed once.
pub fn zero_commitment(level: u32) -> Option<&'static Node> {
    static TABLE: OnceLock<[Node; MAX_LEVEL as usize + 1]> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut table = [[0u8; NODE_SIZE]; MAX_LEVEL as usize + 1];
        let mut z = [0u8; NODE_SIZE];
        for entry in &mut table {
            *entry = z;
            z = node_hash(&z, &z);
        }
        table
    });
    table.get(usize::try_from(level).ok()?)
}

/// Reduces a power-of-two number of nodes, in place, to their root. `nodes` must hold `2^k`
/// 32-byte nodes (`k ≥ 0`); it is used as scratch. Returns `None` for any other length.
pub fn root_in_place(nodes: &mut [u8]) -> Option<Node> {
    let count = nodes.len() / NODE_SIZE;
    if !count.is_power_of_two() || !nodes.len().is_multiple_of(NODE_SIZE) {
        return None;
    }
    // Each pass hashes node pairs into the first half: the parent of pair i lands at node i,
    // which only overwrites pairs already read (i ≤ 2i), so one buffer suffices.
    let mut len = nodes.len();
    while len > NODE_SIZE {
        let half = len / 2;
        let (head, _) = nodes.split_at_mut_checked(len)?;
        hash_layer_in_place(head);
        len = half;
    }
    nodes.first_chunk::<NODE_SIZE>().copied()
}

/// Hashes pairs of `layer` into its first half, in place.
fn hash_layer_in_place(layer: &mut [u8]) {
    // Hash the first pairs block by block into a small buffer, so writes never run ahead of
    // the reads of the same block.
    const BLOCK_PAIRS: usize = 64;
    let mut parents = [0u8; BLOCK_PAIRS * NODE_SIZE];
    let pairs = layer.len() / (2 * NODE_SIZE);
    let mut done = 0usize;
    while done < pairs {
        let n = BLOCK_PAIRS.min(pairs.saturating_sub(done));
        let from = done.saturating_mul(2 * NODE_SIZE);
        let to = from.saturating_add(n.saturating_mul(2 * NODE_SIZE));
        let out_len = n.saturating_mul(NODE_SIZE);
        if let (Some(children), Some(out)) = (layer.get(from..to), parents.get_mut(..out_len)) {
            hash_pairs(children, out);
        }
        let at = done.saturating_mul(NODE_SIZE);
        if let (Some(dst), Some(src)) = (
            layer.get_mut(at..at.saturating_add(out_len)),
            parents.get(..out_len),
        ) {
            dst.copy_from_slice(src);
        }
        done = done.saturating_add(n);
    }
}

/// The right edge of a tree being built left to right: completed subtree roots with strictly
/// decreasing levels, like the bits of a binary counter. It never holds more than
/// `MAX_LEVEL + 1` entries, because pushing a second root at an existing level merges them.
#[derive(Debug, Default, Clone)]
pub(crate) struct Frontier {
    entries: Vec<(u32, Node)>,
}

/// A frontier operation would build a tree above [`MAX_LEVEL`], or fold to a level below what
/// is already built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrontierOverflow;

impl Frontier {
    /// The level of the rightmost subtree, if any.
    pub(crate) fn top_level(&self) -> Option<u32> {
        self.entries.last().map(|&(level, _)| level)
    }

    /// Appends the subtree `root` at `level` right after what is already there, merging equal
    /// levels. The caller keeps the tree aligned: `level` is not above the top level.
    pub(crate) fn push(&mut self, level: u32, root: Node) -> Result<(), FrontierOverflow> {
        let (mut level, mut root) = (level, root);
        while let Some(&(top_level, top)) = self.entries.last() {
            if top_level != level {
                break;
            }
            self.entries.pop();
            root = node_hash(&top, &root);
            level = level
                .checked_add(1)
                .filter(|&l| l <= MAX_LEVEL)
                .ok_or(FrontierOverflow)?;
        }
        self.entries.push((level, root));
        Ok(())
    }

    /// Appends zero subtrees until the next free position is aligned for a subtree at
    /// `level`, then appends `root` there (filecoin-spec §1.4).
    pub(crate) fn push_aligned(&mut self, level: u32, root: Node) -> Result<(), FrontierOverflow> {
        while let Some(top) = self.top_level().filter(|&top| top < level) {
            self.push_zero(top)?;
        }
        self.push(level, root)
    }

    fn push_zero(&mut self, level: u32) -> Result<(), FrontierOverflow> {
        let zero = zero_commitment(level).ok_or(FrontierOverflow)?;
        self.push(level, *zero)
    }

    /// Fills the rest of a tree of `level` with zero subtrees and returns its root. An empty
    /// frontier gives `Z_level`; a frontier already above `level` is an error.
    pub(crate) fn finish(mut self, level: u32) -> Result<Node, FrontierOverflow> {
        loop {
            match self.entries.as_slice() {
                [] => return zero_commitment(level).copied().ok_or(FrontierOverflow),
                [(top, root)] if *top == level => return Ok(*root),
                [.., (top, _)] if *top < level => self.push_zero(*top)?,
                _ => return Err(FrontierOverflow),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_table_matches_the_ladder() {
        let mut z = [0u8; 32];
        for level in 0..=MAX_LEVEL {
            assert_eq!(zero_commitment(level), Some(&z));
            z = node_hash(&z, &z);
        }
        assert_eq!(zero_commitment(MAX_LEVEL + 1), None);
        // 128 B, 2 KiB and 32 GiB zero pieces (filecoin-spec §1.6).
        let hex = |level| hex::encode(zero_commitment(level).unwrap());
        assert_eq!(
            hex(2),
            "3731bb99ac689f66eef5973e4a94da188f4ddcae580724fc6f3fd60dfd488333"
        );
        assert_eq!(
            hex(6),
            "fc7e928296e516faade986b28f92d44a4f24b935485223376a799027bc18f833"
        );
        assert_eq!(
            hex(30),
            "077e5fde35c50a9303a55009e3498a4ebedff39c42b710b730d8ec7ac7afa63e"
        );
    }

    fn naive_root(nodes: &[u8]) -> Node {
        let mut layer: Vec<Node> = nodes.chunks(32).map(|c| c.try_into().unwrap()).collect();
        while layer.len() > 1 {
            layer = layer.chunks(2).map(|p| node_hash(&p[0], &p[1])).collect();
        }
        layer[0]
    }

    #[test]
    fn in_place_root_matches_the_naive_tree() {
        for count in [1usize, 2, 4, 8, 128, 256, 1024] {
            let nodes: Vec<u8> = (0..count * 32)
                .map(|i| (i * 13 % 251) as u8 & 0x3f)
                .collect();
            let mut scratch = nodes.clone();
            assert_eq!(
                root_in_place(&mut scratch),
                Some(naive_root(&nodes)),
                "{count}"
            );
        }
        assert_eq!(root_in_place(&mut [0u8; 96]), None);
        assert_eq!(root_in_place(&mut [0u8; 33]), None);
        assert_eq!(root_in_place(&mut []), None);
    }

    #[test]
    fn frontier_folds_like_the_naive_tree() {
        let leaves: Vec<Node> = (0..5u8).map(|i| [i + 1; 32]).collect();
        let mut all = Vec::new();
        let mut frontier = Frontier::default();
        for leaf in &leaves {
            frontier.push(0, *leaf).unwrap();
            all.extend_from_slice(leaf);
        }
        all.resize(8 * 32, 0);
        assert_eq!(frontier.clone().finish(3), Ok(naive_root(&all)));
        assert_eq!(frontier.finish(2), Err(FrontierOverflow));
        assert_eq!(
            Frontier::default().finish(4),
            Ok(*zero_commitment(4).unwrap())
        );
    }
}
