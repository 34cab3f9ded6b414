//! Block headers, tickets, election proofs and tipset keys: the chain objects Expected
//! Consensus works on, as DAG-CBOR tuples with CIDv1 BLAKE2b-256 (Filecoin's layout, without
//! the drand beacon entries: Flowcoin's randomness comes from the chain's tickets).
//!
//! | object | encoding |
//! |---|---|
//! | block header | `[miner, ticket, election_proof, win_post_proof, parents, parent_weight, height, parent_state_root, parent_message_receipts, messages, timestamp, parent_base_fee, block_sig]` |
//! | ticket | `[vrf_proof]` |
//! | election proof | `[win_count, vrf_proof]` |
//! | message list (`messages`) | `[[signed message CID…]]` |
//!
//! The block signature is the worker's BLS signature over the CID of the header encoded with
//! an empty `block_sig` ([`BlockHeader::signing_cid`]).

use cid::Cid;

use crate::address::Address;
use crate::cbor_tuple;
use crate::message::{Bytes, CborError, cbor_cid, from_cbor, to_cbor};
use crate::token::TokenAmount;

/// The largest encoded block header read from outside (a header with a Winning PoSt of one
/// 32 GiB sector's 66 openings stays far below).
pub const MAX_BLOCK_HEADER_BYTES: usize = 1 << 20;

/// The most messages a block may list (Filecoin's `BlockMessageLimit`).
pub const MAX_BLOCK_MESSAGES: usize = 10_000;

/// A chain weight: an unsigned big integer on chain (the byte form of [`TokenAmount`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChainWeight(pub u128);

impl std::fmt::Display for ChainWeight {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl serde::Serialize for ChainWeight {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        TokenAmount::from_atto(self.0).serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for ChainWeight {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        TokenAmount::deserialize(deserializer).map(|amount| Self(amount.atto()))
    }
}

/// A ticket: the block producer's VRF over the chain randomness of the previous epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The VRF proof (a 96-byte BLS signature by the worker key).
    pub vrf_proof: Bytes,
}

cbor_tuple!(Ticket { vrf_proof: Bytes });

/// The proof that a miner won the election of an epoch, and how many times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectionProof {
    /// How many winning tickets the VRF output draws (≥ 1 in a valid block).
    pub win_count: u64,
    /// The VRF proof (a 96-byte BLS signature by the worker key).
    pub vrf_proof: Bytes,
}

cbor_tuple!(ElectionProof {
    win_count: u64,
    vrf_proof: Bytes,
});

/// The messages a block includes, by CID, in order: `[[cid…]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageList {
    /// The signed messages' CIDs.
    pub messages: Vec<Cid>,
}

cbor_tuple!(MessageList {
    messages: Vec<Cid>
});

/// A block header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockHeader {
    /// The producing miner's ID address.
    pub miner: Address,
    /// The producer's ticket for this epoch.
    pub ticket: Ticket,
    /// The election proof.
    pub election_proof: ElectionProof,
    /// The Winning PoSt (vanilla proof bytes).
    pub win_post_proof: Bytes,
    /// The parent tipset's block CIDs, in tipset order.
    pub parents: Vec<Cid>,
    /// The parent tipset's weight.
    pub parent_weight: ChainWeight,
    /// The epoch.
    pub height: u64,
    /// The state root after applying the parent tipset.
    pub parent_state_root: Cid,
    /// The root of the receipts of the parent tipset's messages.
    pub parent_message_receipts: Cid,
    /// The CID of this block's [`MessageList`].
    pub messages: Cid,
    /// Seconds since the Unix epoch (genesis timestamp + height × epoch length).
    pub timestamp: u64,
    /// The base fee of this epoch (computed from the parent tipset's gas use).
    pub parent_base_fee: TokenAmount,
    /// The worker's BLS signature over [`signing_cid`](Self::signing_cid); empty while unsigned.
    pub block_sig: Bytes,
}

cbor_tuple!(BlockHeader {
    miner: Address,
    ticket: Ticket,
    election_proof: ElectionProof,
    win_post_proof: Bytes,
    parents: Vec<Cid>,
    parent_weight: ChainWeight,
    height: u64,
    parent_state_root: Cid,
    parent_message_receipts: Cid,
    messages: Cid,
    timestamp: u64,
    parent_base_fee: TokenAmount,
    block_sig: Bytes,
});

impl BlockHeader {
    /// The header's DAG-CBOR bytes.
    pub fn to_cbor(&self) -> Result<Vec<u8>, CborError> {
        to_cbor("block header", self)
    }

    /// Reads a header (canonical DAG-CBOR only, at most [`MAX_BLOCK_HEADER_BYTES`]).
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, CborError> {
        from_cbor("block header", bytes, MAX_BLOCK_HEADER_BYTES)
    }

    /// The block's CID.
    pub fn cid(&self) -> Result<Cid, CborError> {
        self.to_cbor().map(|bytes| cbor_cid(&bytes))
    }

    /// What the worker signs: the CID of the header with an empty signature.
    pub fn signing_cid(&self) -> Result<Cid, CborError> {
        let unsigned = Self {
            block_sig: Bytes(Vec::new()),
            ..self.clone()
        };
        unsigned.cid()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> BlockHeader {
        BlockHeader {
            miner: Address::Id(1000),
            ticket: Ticket {
                vrf_proof: Bytes(vec![1; 96]),
            },
            election_proof: ElectionProof {
                win_count: 2,
                vrf_proof: Bytes(vec![2; 96]),
            },
            win_post_proof: Bytes(vec![3; 10]),
            parents: vec![cbor_cid(b"parent")],
            parent_weight: ChainWeight(12_345),
            height: 7,
            parent_state_root: cbor_cid(b"state"),
            parent_message_receipts: cbor_cid(b"receipts"),
            messages: cbor_cid(b"messages"),
            timestamp: 1_700_000_000,
            parent_base_fee: TokenAmount::from_atto(100),
            block_sig: Bytes(vec![4; 96]),
        }
    }

    #[test]
    fn headers_round_trip_as_a_13_tuple() {
        let h = header();
        let bytes = h.to_cbor().unwrap();
        assert_eq!(bytes[0], 0x8d);
        assert_eq!(BlockHeader::from_cbor(&bytes).unwrap(), h);
        assert_eq!(h.cid().unwrap(), cbor_cid(&bytes));
        for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
            assert!(BlockHeader::from_cbor(&bytes[..cut]).is_err());
        }
    }

    #[test]
    fn the_signing_cid_ignores_the_signature_only() {
        let h = header();
        let mut other_sig = h.clone();
        other_sig.block_sig = Bytes(vec![9; 96]);
        assert_eq!(h.signing_cid().unwrap(), other_sig.signing_cid().unwrap());
        assert_ne!(h.cid().unwrap(), other_sig.cid().unwrap());
        let mut other_height = h.clone();
        other_height.height = 8;
        assert_ne!(
            h.signing_cid().unwrap(),
            other_height.signing_cid().unwrap()
        );
    }
}
