//! Bitswap messages as any peer may send them (`flowcoin_net::bitswap::message`): decoding
//! arbitrary bytes must never panic; whatever decodes must re-encode to bytes that decode to
//! the same message with the length `encoded_len` predicts; every block's CID is computed
//! without panicking.
//!
//! The codec module is compiled in by path: it depends only on `cid`, `flowcoin-dag` and
//! `thiserror`, and taking it this way keeps libp2p out of the fuzz build.
#![no_main]

#[path = "../../crates/net/src/bitswap/message.rs"]
#[allow(dead_code, missing_docs)]
mod message;

use libfuzzer_sys::fuzz_target;
use message::{Message, block_cid};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Message::decode(data) {
        let bytes = m.encode();
        assert_eq!(bytes.len(), m.encoded_len(), "encoded_len is wrong");
        assert_eq!(Message::decode(&bytes).as_ref(), Ok(&m), "re-encoding changed the message");
        for b in &m.blocks {
            let _ = block_cid(b);
        }
    }
});
