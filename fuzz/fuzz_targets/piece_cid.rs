//! Piece CIDs from deals and messages, binary and text: decoding must never panic, and a
//! decoded piece CID must come back unchanged from the CID we would write for it.
#![no_main]

use cid::Cid;
use cid::multihash::Multihash;
use flowcoin_proofs::{
    FIL_COMMITMENT_UNSEALED, PieceCid, SHA2_256_TRUNC254_PADDED, decode_piece_cid, parse_piece_cid,
};
use libfuzzer_sys::fuzz_target;

/// The CID a decoded piece CID stands for, as our encoders write it.
fn encode(piece: &PieceCid) -> Cid {
    match piece {
        PieceCid::V2(commitment) => commitment.piece_cid_v2(),
        PieceCid::V1 { root } => match Multihash::<64>::wrap(SHA2_256_TRUNC254_PADDED, root) {
            Ok(hash) => Cid::new_v1(FIL_COMMITMENT_UNSEALED, hash),
            Err(e) => panic!("a 32-byte root does not fit a multihash: {e}"),
        },
    }
}

fn check_round_trip(piece: &PieceCid) {
    let cid = encode(piece);
    assert_eq!(
        decode_piece_cid(&cid.to_bytes()).ok(),
        Some(*piece),
        "binary round trip"
    );
    assert_eq!(
        parse_piece_cid(&cid.to_string()).ok(),
        Some(*piece),
        "text round trip"
    );
}

fuzz_target!(|data: &[u8]| {
    if let Ok(piece) = decode_piece_cid(data) {
        check_round_trip(&piece);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(piece) = parse_piece_cid(text)
    {
        check_round_trip(&piece);
    }
});
