//! A dag-pb block from the network: decoding must never panic, and what decodes must survive
//! the canonical encoder unchanged: decode(encode(x)) == x, and encode is a fixed point.
#![no_main]

use flowcoin_dag::dagpb::PbNode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(node) = PbNode::decode(data) else {
        return;
    };
    let encoded = node.encode();
    assert_eq!(
        encoded.len(),
        node.encoded_len(),
        "encoded_len disagrees with encode"
    );
    let again = match PbNode::decode(&encoded) {
        Ok(n) => n,
        Err(e) => panic!("re-encoded node does not decode: {e}"),
    };
    assert_eq!(again, node, "decode(encode(x)) != x");
    assert_eq!(again.encode(), encoded, "encoding is not canonical");
});
