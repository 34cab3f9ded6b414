//! The UnixFS `Data` message inside a dag-pb node: decoding must never panic, and what
//! decodes must survive the encoder: decode(encode(x)) == x, and encode is a fixed point.
#![no_main]

use flowcoin_dag::unixfs::UnixFsData;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = UnixFsData::decode(data) else {
        return;
    };
    let encoded = message.encode();
    let again = match UnixFsData::decode(&encoded) {
        Ok(m) => m,
        Err(e) => panic!("re-encoded UnixFS data does not decode: {e}"),
    };
    assert_eq!(again, message, "decode(encode(x)) != x");
    assert_eq!(again.encode(), encoded, "encoding is not canonical");
});
