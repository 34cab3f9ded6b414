//! The links of a block by its codec (what DAG walks, GC and CAR export follow). The first
//! byte picks the codec (raw, dag-pb, DAG-CBOR, or one we do not interpret), the rest is the
//! block. links() must never panic, must agree with the codec's own decoder (less the sector
//! and piece commitments, which name no block), and must refuse codecs it cannot read links
//! from.
#![no_main]

use cid::Cid;
use flowcoin_dag::cbor;
use flowcoin_dag::dagpb::PbNode;
use flowcoin_dag::hash::{DAG_CBOR, DAG_PB, HashFn, RAW};
use flowcoin_dag::links::{links, names_a_block};
use libfuzzer_sys::fuzz_target;

/// dag-json: a real codec whose links `links` cannot read (so it must refuse it).
const DAG_JSON: u64 = 0x0129;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, block)) = data.split_first() else {
        return;
    };
    let codec = match selector % 4 {
        0 => RAW,
        1 => DAG_PB,
        2 => DAG_CBOR,
        _ => DAG_JSON,
    };
    let cid = Cid::new_v1(codec, HashFn::Sha2_256.digest(block));
    let found = links(&cid, block).ok();
    let expected: Option<Vec<Cid>> = match codec {
        DAG_PB => PbNode::decode(block)
            .ok()
            .map(|n| n.links.into_iter().map(|l| l.cid).collect()),
        DAG_CBOR => cbor::links(block).ok(),
        RAW => Some(Vec::new()),
        _ => None,
    }
    .map(|all| all.into_iter().filter(names_a_block).collect());
    assert_eq!(
        found, expected,
        "links() disagrees with the codec's decoder"
    );
});
