//! Chain objects received from peers (block headers, messages, signed messages), addresses and
//! token amounts:
//! decoding arbitrary bytes must never panic, and whatever decodes must re-encode to the same
//! bytes (decoders accept only the canonical encoding, so a CID names one byte string).
#![no_main]

use flowcoin_types::block::BlockHeader;
use flowcoin_types::{Address, Message, SignedMessage, TokenAmount};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = BlockHeader::from_cbor(data) {
        assert_eq!(
            h.to_cbor().unwrap(),
            data,
            "block header encoding is not canonical"
        );
        let _ = h.signing_cid();
        let _ = flowcoin_types::tipset::Tipset::new(vec![h]);
    }
    if let Ok(m) = Message::from_cbor(data) {
        assert_eq!(
            m.to_cbor().unwrap(),
            data,
            "message encoding is not canonical"
        );
    }
    if let Ok(m) = SignedMessage::from_cbor(data) {
        assert_eq!(
            m.to_cbor().unwrap(),
            data,
            "signed message encoding is not canonical"
        );
    }
    if let Ok(a) = Address::from_bytes(data) {
        assert_eq!(a.to_bytes(), data, "address bytes are not canonical");
    }
    if let Ok(t) = TokenAmount::from_be_bytes(data) {
        assert_eq!(
            t.to_be_bytes_minimal(),
            data,
            "amount bytes are not canonical"
        );
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(a) = text.parse::<flowcoin_types::NetworkAddress>() {
            assert_eq!(a.to_string(), text, "address text is not canonical");
        }
        let _ = text.parse::<TokenAmount>();
    }
});
