//! What peers send about the chain (`flowcoin_chain::wire`): hellos, chain-exchange requests
//! and answers, gossiped blocks. Decoding arbitrary bytes must never panic, and whatever
//! decodes must re-encode to the same bytes.
#![no_main]

use flowcoin_chain::wire::{GossipBlock, Hello, XchgRequest, XchgResponse, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = Hello::decode(data) {
        assert_eq!(encode("hello", &h).unwrap(), data, "hello not canonical");
    }
    if let Ok(r) = XchgRequest::decode(data) {
        assert_eq!(encode("request", &r).unwrap(), data, "request not canonical");
    }
    if let Ok(a) = XchgResponse::decode(data) {
        assert_eq!(encode("answer", &a).unwrap(), data, "answer not canonical");
        for blocks in &a.0 {
            let _ = flowcoin_types::tipset::Tipset::new(blocks.iter().map(|(h, _)| h.clone()).collect());
        }
    }
    if let Ok(b) = GossipBlock::decode(data) {
        assert_eq!(encode("block", &b).unwrap(), data, "gossip block not canonical");
        let _ = b.0.cid();
    }
});
