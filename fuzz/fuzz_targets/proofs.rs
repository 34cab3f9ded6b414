//! Vanilla proofs received from peers (seal commit, Winning and Window PoSt): decoding
//! arbitrary bytes must never panic, and whatever decodes must re-encode to the same bytes
//! (the encoding is canonical, so a proof has exactly one byte string).
#![no_main]

use flowcoin_proofs::sdr::post::PostProof;
use flowcoin_proofs::sdr::proof::SealProof;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(proof) = SealProof::decode(data) {
        assert_eq!(proof.encode(), data, "seal proof encoding is not canonical");
    }
    for window in [false, true] {
        if let Ok(proof) = PostProof::decode(data, window) {
            assert_eq!(proof.encode(window), data, "PoSt proof encoding is not canonical");
        }
    }
});
