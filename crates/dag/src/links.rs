//! The links of a block, by codec: what DAG walks (CAR export, GC, completeness checks) follow.

use cid::Cid;

use crate::cbor;
use crate::dagpb::PbNode;
use crate::hash::{DAG_CBOR, DAG_PB, RAW};

/// Why a block's links could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinksError {
    /// The block does not decode under its codec.
    #[error("block {cid} is not valid {codec}: {reason}")]
    Decode {
        /// The block.
        cid: Cid,
        /// Codec name.
        codec: &'static str,
        /// The decoder's message.
        reason: String,
    },
    /// The codec is not one whose links this node can follow.
    #[error(
        "block {cid} has codec {codec:#x}, whose links flowcoin cannot follow (supported: raw, dag-pb, dag-cbor)"
    )]
    UnsupportedCodec {
        /// The block.
        cid: Cid,
        /// Its codec.
        codec: u64,
    },
}

/// The multicodec of an unsealed sector or piece commitment (CommD, CommP): a CID that names
/// a Merkle root, not a block anyone stores.
pub const FIL_COMMITMENT_UNSEALED: u64 = 0xf101;
/// The multicodec of a sealed sector commitment (CommR).
pub const FIL_COMMITMENT_SEALED: u64 = 0xf102;

/// Whether a CID found in a block names another block: sector and piece commitments
/// (`baga…`, `bagb…`) are Merkle roots of data outside the block store, so DAG walks do not
/// follow them (identity CIDs are followed: their block is their own digest).
pub fn names_a_block(cid: &Cid) -> bool {
    !matches!(cid.codec(), FIL_COMMITMENT_UNSEALED | FIL_COMMITMENT_SEALED)
}

/// The CIDs `data` (the block `cid`) links to, in order, leaving out commitments
/// ([`names_a_block`]). Raw blocks have none. Codecs this node cannot read links from
/// (dag-json, …) are an error rather than "no links": treating them as leaves would let
/// garbage collection delete what they link to.
pub fn links(cid: &Cid, data: &[u8]) -> Result<Vec<Cid>, LinksError> {
    let mut found = block_links(cid, data)?;
    found.retain(names_a_block);
    Ok(found)
}

fn block_links(cid: &Cid, data: &[u8]) -> Result<Vec<Cid>, LinksError> {
    match cid.codec() {
        DAG_PB => PbNode::decode_borrowed(data)
            .map(|(links, _)| links.into_iter().map(|l| l.cid).collect())
            .map_err(|e| LinksError::Decode {
                cid: *cid,
                codec: "dag-pb",
                reason: e.to_string(),
            }),
        DAG_CBOR => cbor::links(data).map_err(|e| LinksError::Decode {
            cid: *cid,
            codec: "dag-cbor",
            reason: e.to_string(),
        }),
        RAW => Ok(Vec::new()),
        codec => Err(LinksError::UnsupportedCodec { cid: *cid, codec }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::HashFn;

    /// DAG-CBOR for a CID link: tag 42 over the byte string `0x00 ‖ cid`.
    fn link(cid: &Cid) -> Vec<u8> {
        let bytes = cid.to_bytes();
        let mut out = vec![0xd8, 0x2a, 0x58, (bytes.len() + 1) as u8, 0x00];
        out.extend_from_slice(&bytes);
        out
    }

    #[test]
    fn commitments_are_not_followed_but_blocks_are() {
        let block = Cid::new_v1(DAG_CBOR, HashFn::Blake2b256.digest(b"child"));
        let comm_d = Cid::new_v1(FIL_COMMITMENT_UNSEALED, HashFn::Sha2_256.digest(b"d"));
        let comm_r = Cid::new_v1(FIL_COMMITMENT_SEALED, HashFn::Sha2_256.digest(b"r"));
        let mut data = vec![0x83];
        for cid in [&comm_d, &block, &comm_r] {
            data.extend(link(cid));
        }
        let parent = Cid::new_v1(DAG_CBOR, HashFn::Blake2b256.digest(&data));
        assert_eq!(cbor::links(&data).unwrap().len(), 3);
        assert_eq!(links(&parent, &data).unwrap(), vec![block]);
        assert!(!names_a_block(&comm_d) && !names_a_block(&comm_r) && names_a_block(&block));
    }
}
