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

/// The CIDs `data` (the block `cid`) links to, in order. Raw blocks have none. Codecs this
/// node cannot read links from (dag-json, …) are an error rather than "no links": treating
/// them as leaves would let garbage collection delete what they link to.
pub fn links(cid: &Cid, data: &[u8]) -> Result<Vec<Cid>, LinksError> {
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
