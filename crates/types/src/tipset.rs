//! Tipsets: the blocks of one epoch that share their parents, in Filecoin's canonical order.
//!
//! A [`Tipset`] holds at least one block; all its blocks have the same height, parents,
//! parent weight, parent state root and parent receipts. Blocks are ordered by the BLAKE2b-256
//! digest of their ticket's VRF proof, ties broken by CID bytes; the [`TipsetKey`] is the list
//! of block CIDs in that order, and the tipset's messages are applied in that order.

use blake2::Blake2b;
use blake2::digest::Digest;
use blake2::digest::consts::U32;
use cid::Cid;

use crate::block::{BlockHeader, ChainWeight};
use crate::message::CborError;

/// A tipset's identity: its blocks' CIDs in tipset order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TipsetKey(pub Vec<Cid>);

/// Why blocks do not form a tipset.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TipsetError {
    /// No blocks.
    #[error("a tipset needs at least one block")]
    Empty,
    /// Two blocks disagree on a field all blocks of a tipset share.
    #[error("block {cid} has another {field} than the tipset's first block")]
    Mismatch {
        /// The block.
        cid: Box<Cid>,
        /// The field (`height`, `parents`, …).
        field: &'static str,
    },
    /// The same block twice.
    #[error("block {0} appears twice")]
    Duplicate(Box<Cid>),
    /// A block could not be encoded for its CID.
    #[error(transparent)]
    Encode(#[from] CborError),
}

/// The blocks of one epoch with the same parents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tipset {
    blocks: Vec<BlockHeader>,
    key: TipsetKey,
}

/// The BLAKE2b-256 digest of a ticket's VRF proof: what orders blocks in a tipset.
pub fn ticket_digest(block: &BlockHeader) -> [u8; 32] {
    Blake2b::<U32>::digest(&block.ticket.vrf_proof.0).into()
}

impl Tipset {
    /// Forms a tipset from `blocks` (any order), checking they agree.
    pub fn new(blocks: Vec<BlockHeader>) -> Result<Self, TipsetError> {
        let mut keyed = blocks
            .into_iter()
            .map(|b| Ok((ticket_digest(&b), b.cid()?, b)))
            .collect::<Result<Vec<_>, CborError>>()?;
        keyed.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.to_bytes().cmp(&b.1.to_bytes()))
        });
        let Some((_, _, first)) = keyed.first() else {
            return Err(TipsetError::Empty);
        };
        for pair in keyed.windows(2) {
            if let [(_, a, _), (_, b, _)] = pair
                && a == b
            {
                return Err(TipsetError::Duplicate(Box::new(*b)));
            }
        }
        for (_, cid, block) in &keyed {
            let field = if block.height != first.height {
                Some("height")
            } else if block.parents != first.parents {
                Some("parents")
            } else if block.parent_weight != first.parent_weight {
                Some("parent weight")
            } else if block.parent_state_root != first.parent_state_root {
                Some("parent state root")
            } else if block.parent_message_receipts != first.parent_message_receipts {
                Some("parent receipts")
            } else if block.parent_base_fee != first.parent_base_fee {
                Some("parent base fee")
            } else {
                None
            };
            if let Some(field) = field {
                return Err(TipsetError::Mismatch {
                    cid: Box::new(*cid),
                    field,
                });
            }
        }
        let key = TipsetKey(keyed.iter().map(|(_, cid, _)| *cid).collect());
        let blocks = keyed.into_iter().map(|(_, _, b)| b).collect();
        Ok(Self { blocks, key })
    }

    /// The blocks, in tipset order (never empty).
    pub fn blocks(&self) -> &[BlockHeader] {
        &self.blocks
    }

    /// The key.
    pub fn key(&self) -> &TipsetKey {
        &self.key
    }

    /// The first block (every shared field is read from it).
    fn first(&self) -> Option<&BlockHeader> {
        self.blocks.first()
    }

    /// The epoch.
    pub fn height(&self) -> u64 {
        self.first().map_or(0, |b| b.height)
    }

    /// The parents' key.
    pub fn parents(&self) -> TipsetKey {
        TipsetKey(self.first().map(|b| b.parents.clone()).unwrap_or_default())
    }

    /// The parent tipset's weight.
    pub fn parent_weight(&self) -> ChainWeight {
        self.first().map(|b| b.parent_weight).unwrap_or_default()
    }

    /// The state root after the parent tipset.
    pub fn parent_state_root(&self) -> Option<Cid> {
        self.first().map(|b| b.parent_state_root)
    }

    /// The smallest timestamp of its blocks.
    pub fn min_timestamp(&self) -> u64 {
        self.blocks.iter().map(|b| b.timestamp).min().unwrap_or(0)
    }

    /// The smallest ticket digest (the fork-choice tie breaker).
    pub fn min_ticket_digest(&self) -> [u8; 32] {
        self.first().map(ticket_digest).unwrap_or([0xff; 32])
    }

    /// The sum of its blocks' win counts.
    pub fn total_win_count(&self) -> u64 {
        self.blocks.iter().fold(0u64, |sum, b| {
            sum.saturating_add(b.election_proof.win_count)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Address;
    use crate::block::{ElectionProof, Ticket};
    use crate::message::{Bytes, cbor_cid};
    use crate::token::TokenAmount;

    fn block(miner: u64, ticket: u8) -> BlockHeader {
        BlockHeader {
            miner: Address::Id(miner),
            ticket: Ticket {
                vrf_proof: Bytes(vec![ticket; 96]),
            },
            election_proof: ElectionProof {
                win_count: 1,
                vrf_proof: Bytes(vec![ticket; 96]),
            },
            win_post_proof: Bytes(Vec::new()),
            parents: vec![cbor_cid(b"p")],
            parent_weight: ChainWeight(10),
            height: 3,
            parent_state_root: cbor_cid(b"s"),
            parent_message_receipts: cbor_cid(b"r"),
            messages: cbor_cid(b"m"),
            timestamp: 100 + u64::from(ticket),
            parent_base_fee: TokenAmount::from_atto(100),
            block_sig: Bytes(Vec::new()),
        }
    }

    #[test]
    fn blocks_are_ordered_by_ticket_digest_whatever_the_input_order() {
        let blocks: Vec<_> = (0..5).map(|t| block(1000 + u64::from(t), t)).collect();
        let a = Tipset::new(blocks.clone()).unwrap();
        let mut reversed = blocks;
        reversed.reverse();
        let b = Tipset::new(reversed).unwrap();
        assert_eq!(a, b);
        let digests: Vec<_> = a.blocks().iter().map(ticket_digest).collect();
        let mut sorted = digests.clone();
        sorted.sort();
        assert_eq!(digests, sorted);
        assert_eq!(a.key().0.len(), 5);
        assert_eq!(a.total_win_count(), 5);
        assert_eq!(a.min_timestamp(), 100);
        assert_eq!(a.height(), 3);
    }

    #[test]
    fn disagreeing_duplicate_and_empty_block_sets_are_refused() {
        assert!(matches!(Tipset::new(Vec::new()), Err(TipsetError::Empty)));
        let mut other = block(1001, 2);
        other.height = 4;
        assert!(matches!(
            Tipset::new(vec![block(1000, 1), other]),
            Err(TipsetError::Mismatch {
                field: "height",
                ..
            })
        ));
        let mut other = block(1001, 2);
        other.parent_state_root = cbor_cid(b"other");
        assert!(matches!(
            Tipset::new(vec![block(1000, 1), other]),
            Err(TipsetError::Mismatch {
                field: "parent state root",
                ..
            })
        ));
        assert!(matches!(
            Tipset::new(vec![block(1000, 1), block(1000, 1)]),
            Err(TipsetError::Duplicate(_))
        ));
    }
}
