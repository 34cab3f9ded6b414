//! What nodes say to each other about the chain, as bytes on the wire (the network carries
//! them; `flowcoin_node::network` acts on them): DAG-CBOR tuples, canonical encoding only,
//! each decoded with a size bound before anything else is done with it.
//!
//! | message | protocol | shape |
//! |---|---|---|
//! | [`Hello`] | `/flowcoin/<net>/hello/1` | `[genesis CID, [head block CIDs], height, weight]` |
//! | [`XchgRequest`] | `/flowcoin/<net>/chain-xchg/1` | `[[start block CIDs], count]` |
//! | [`XchgResponse`] | answer to it | `[[[header, [signed messages]], …], …]`, newest tipset first |
//! | [`GossipBlock`] | gossip `/flowcoin/<net>/blocks` | `[header, [signed messages]]` |

use cid::Cid;
use flowcoin_types::SignedMessage;
use flowcoin_types::block::{BlockHeader, ChainWeight, MAX_BLOCK_MESSAGES};
use flowcoin_types::message::{CborError, from_cbor, to_cbor};
use serde::{Deserialize, Serialize};

/// Largest hello.
pub const MAX_HELLO_BYTES: usize = 4096;
/// Largest chain-exchange request.
pub const MAX_XCHG_REQUEST_BYTES: usize = 4096;
/// Largest chain-exchange answer.
pub const MAX_XCHG_RESPONSE_BYTES: usize = 32 << 20;
/// Largest gossiped block (header and messages).
pub const MAX_GOSSIP_BLOCK_BYTES: usize = 4 << 20;
/// Most tipsets a chain-exchange answer holds.
pub const MAX_XCHG_TIPSETS: u64 = 64;

/// What peers tell each other when they connect: genesis, head key, height, weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello(pub Cid, pub Vec<Cid>, pub u64, pub ChainWeight);

/// A chain-exchange request: `count` tipsets from `start` back along parents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct XchgRequest(pub Vec<Cid>, pub u64);

/// A chain-exchange answer: the tipsets asked for, newest first (empty: not known).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct XchgResponse(pub Vec<Vec<(BlockHeader, Vec<SignedMessage>)>>);

/// A gossiped block with its messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GossipBlock(pub BlockHeader, pub Vec<SignedMessage>);

/// Why a wire message was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Not canonical DAG-CBOR of the expected shape, or too large.
    #[error(transparent)]
    Cbor(#[from] CborError),
    /// Decodes, but breaks a bound.
    #[error("{0}")]
    Bound(String),
}

impl Hello {
    /// Decodes a hello.
    ///
    /// # Errors
    /// [`WireError`].
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let hello: Self = from_cbor("hello", bytes, MAX_HELLO_BYTES)?;
        if hello.1.is_empty() {
            return Err(WireError::Bound("a hello with an empty head".into()));
        }
        Ok(hello)
    }
}

impl XchgRequest {
    /// Decodes a request.
    ///
    /// # Errors
    /// [`WireError`]: also for an empty start or a count of 0.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let request: Self = from_cbor("chain exchange request", bytes, MAX_XCHG_REQUEST_BYTES)?;
        if request.0.is_empty() || request.1 == 0 {
            return Err(WireError::Bound(
                "a chain exchange request for nothing".into(),
            ));
        }
        Ok(request)
    }
}

impl XchgResponse {
    /// Decodes an answer.
    ///
    /// # Errors
    /// [`WireError`]: also for more than [`MAX_XCHG_TIPSETS`] tipsets, or a block with more
    /// than `MAX_BLOCK_MESSAGES` messages.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let answer: Self = from_cbor("chain exchange", bytes, MAX_XCHG_RESPONSE_BYTES)?;
        if answer.0.len() as u64 > MAX_XCHG_TIPSETS {
            return Err(WireError::Bound(format!(
                "{} tipsets in one answer (at most {MAX_XCHG_TIPSETS})",
                answer.0.len()
            )));
        }
        if answer
            .0
            .iter()
            .flatten()
            .any(|(_, messages)| messages.len() > MAX_BLOCK_MESSAGES)
        {
            return Err(WireError::Bound(format!(
                "a block with more than {MAX_BLOCK_MESSAGES} messages"
            )));
        }
        Ok(answer)
    }
}

impl GossipBlock {
    /// Decodes a gossiped block.
    ///
    /// # Errors
    /// [`WireError`]: also for more than `MAX_BLOCK_MESSAGES` messages.
    pub fn decode(bytes: &[u8]) -> Result<Self, WireError> {
        let block: Self = from_cbor("gossip block", bytes, MAX_GOSSIP_BLOCK_BYTES)?;
        if block.1.len() > MAX_BLOCK_MESSAGES {
            return Err(WireError::Bound(format!(
                "a block with {} messages (at most {MAX_BLOCK_MESSAGES})",
                block.1.len()
            )));
        }
        Ok(block)
    }
}

/// Encodes any wire message.
///
/// # Errors
/// The encoder failed (it does not for these types).
pub fn encode<T: Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>, CborError> {
    to_cbor(what, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowcoin_types::message::cbor_cid;

    #[test]
    fn each_message_round_trips_and_bad_ones_are_refused() {
        let cid = cbor_cid(b"x");
        let hello = Hello(cid, vec![cid], 7, ChainWeight(99));
        let bytes = encode("hello", &hello).unwrap();
        assert_eq!(Hello::decode(&bytes).unwrap(), hello);
        // Not canonical: a trailing byte.
        let mut longer = bytes;
        longer.push(0);
        assert!(Hello::decode(&longer).is_err());
        let empty = encode("hello", &Hello(cid, vec![], 0, ChainWeight(0))).unwrap();
        assert!(
            Hello::decode(&empty)
                .unwrap_err()
                .to_string()
                .contains("empty head")
        );

        let request = XchgRequest(vec![cid], 64);
        let bytes = encode("r", &request).unwrap();
        assert_eq!(XchgRequest::decode(&bytes).unwrap(), request);
        let nothing = encode("r", &XchgRequest(vec![cid], 0)).unwrap();
        assert!(XchgRequest::decode(&nothing).is_err());
        assert!(XchgRequest::decode(&vec![0x80; MAX_XCHG_REQUEST_BYTES + 1]).is_err());

        let answer = XchgResponse(vec![]);
        assert_eq!(
            XchgResponse::decode(&encode("a", &answer).unwrap()).unwrap(),
            answer
        );
        let too_many = XchgResponse(vec![vec![]; MAX_XCHG_TIPSETS as usize + 1]);
        assert!(XchgResponse::decode(&encode("a", &too_many).unwrap()).is_err());
        assert!(GossipBlock::decode(b"\x82").is_err());
    }
}
