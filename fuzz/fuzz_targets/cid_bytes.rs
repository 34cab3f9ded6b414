//! Binary CIDs (in CAR sections, dag-pb links, CBOR tag 42): parsing must never panic, and a
//! CID must be read from exactly one byte string, its own encoding; otherwise two blocks'
//! bytes could name the same CID differently.
#![no_main]

use flowcoin_dag::hash::{cid_from_bytes, cid_from_prefix, parse_cid};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((cid, used)) = cid_from_prefix(data) {
        let prefix = data.get(..used);
        assert_eq!(
            Some(cid.to_bytes().as_slice()),
            prefix,
            "CID bytes not canonical"
        );
        assert_eq!(
            cid_from_bytes(&cid.to_bytes()),
            Ok(cid),
            "binary round trip"
        );
        assert_eq!(parse_cid(&cid.to_string()), Ok(cid), "text round trip");
    }
    if let Ok(cid) = cid_from_bytes(data) {
        assert_eq!(cid.to_bytes(), data, "CID bytes not canonical");
    }
});
