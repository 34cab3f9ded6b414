//! DAG-CBOR (CAR headers, blocks): decode and links must never panic and must agree, and
//! every link found must survive the link encoder: links(write_link(c)) == [c].
#![no_main]

use flowcoin_dag::cbor::{self, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let decoded = cbor::decode(data);
    let links = cbor::links(data);
    assert_eq!(
        decoded.is_ok(),
        links.is_ok(),
        "decode and links disagree on validity"
    );
    for cid in links.unwrap_or_default() {
        let mut encoded = Vec::new();
        cbor::write_link(&cid, &mut encoded);
        assert_eq!(
            cbor::decode(&encoded),
            Ok(Value::Link(cid)),
            "write_link round trip"
        );
    }
});
