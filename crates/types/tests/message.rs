//! Messages: Filecoin's ten-item DAG-CBOR array, CIDv1 BLAKE2b-256, canonical decoding only,
//! clear errors for malformed input, and no panics on arbitrary bytes.

use flowcoin_types::message::{CborError, MAX_PARAMS_BYTES, METHOD_SEND};
use flowcoin_types::{Address, Message, SignedMessage, TokenAmount};
use proptest::prelude::*;

fn transfer() -> Message {
    Message {
        to: Address::Id(1001),
        from: Address::Id(1000),
        nonce: 0,
        value: "2.5 FLW".parse().unwrap(),
        method: METHOD_SEND,
        ..Message::default()
    }
}

/// The expected bytes and CID were written out by hand from the CBOR rules (array of 10,
/// byte-string addresses with LEB128 IDs, big-integer amounts with a 0x00 sign byte) and the
/// CID computed by an independent Python snippet (hashlib.blake2b, digest_size=32; CIDv1 varints;
/// base32 lower, no padding), not by this crate.
#[test]
fn a_transfer_encodes_to_the_hand_computed_bytes_and_cid() {
    let msg = transfer();
    let bytes = msg.to_cbor().unwrap();
    assert_eq!(
        hex::encode(&bytes),
        "8a004300e9074300e80700490022b1c8c1227a00000040400040"
    );
    assert_eq!(
        msg.cid().unwrap().to_string(),
        "bafy2bzacebtsxznwf3vwttn7frqfvlhf7voi5peik3hztxtt7zwhavis5hqr4"
    );
    assert_eq!(Message::from_cbor(&bytes).unwrap(), msg);
}

#[test]
fn signed_messages_round_trip_and_have_their_own_cid() {
    let signed = SignedMessage {
        message: transfer(),
        signature: [vec![1u8], vec![7u8; 96]].concat(),
    };
    let bytes = signed.to_cbor().unwrap();
    assert_eq!(bytes[0], 0x82, "a two-item array");
    assert_eq!(SignedMessage::from_cbor(&bytes).unwrap(), signed);
    assert_ne!(signed.cid().unwrap(), signed.message.cid().unwrap());
}

fn err(bytes: &[u8]) -> String {
    Message::from_cbor(bytes).unwrap_err().to_string()
}

#[test]
fn malformed_and_non_canonical_encodings_are_refused_with_a_reason() {
    let good = transfer().to_cbor().unwrap();
    // nonce 0 written as a one-byte-argument integer (0x18 0x00): same value, other bytes.
    let mut non_minimal = good[..10].to_vec();
    non_minimal.extend([0x18, 0x00]);
    non_minimal.extend(&good[11..]);
    let e = Message::from_cbor(&non_minimal).unwrap_err();
    assert!(
        matches!(
            e,
            CborError::NonCanonical { .. } | CborError::Malformed { .. }
        ),
        "{e}"
    );
    // Trailing bytes.
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(Message::from_cbor(&trailing).is_err());
    // Truncated.
    assert!(err(&good[..good.len() - 1]).contains("malformed message"));
    // Nine items.
    let mut short = good.clone();
    short[0] = 0x89;
    short.pop();
    assert!(Message::from_cbor(&short).is_err());
    // Version 1.
    let mut v1 = good.clone();
    v1[1] = 0x01;
    assert!(err(&v1).contains("version 1"), "{}", err(&v1));
    // A negative amount (sign byte 0x01).
    let mut negative = good.clone();
    negative[12] = 0x01;
    assert!(Message::from_cbor(&negative).is_err());
    // An address of an unknown protocol (9).
    let mut bad_address = good.clone();
    bad_address[3] = 0x09;
    assert!(
        err(&bad_address).contains("protocol"),
        "{}",
        err(&bad_address)
    );
    // Params above the limit.
    let big = Message {
        params: vec![0; MAX_PARAMS_BYTES + 1],
        ..transfer()
    };
    let bytes = big.to_cbor().unwrap();
    assert!(Message::from_cbor(&bytes).is_err());
}

#[test]
fn required_funds_is_value_plus_the_gas_bound_and_overflow_is_none() {
    let msg = Message {
        gas_limit: 1000,
        gas_fee_cap: TokenAmount::from_atto(3),
        ..transfer()
    };
    assert_eq!(
        msg.required_funds(),
        transfer().value.checked_add(TokenAmount::from_atto(3000))
    );
    let huge = Message {
        gas_limit: u64::MAX,
        gas_fee_cap: TokenAmount::MAX,
        ..transfer()
    };
    assert_eq!(huge.required_funds(), None);
}

fn any_address() -> impl Strategy<Value = Address> {
    prop_oneof![
        any::<u64>().prop_map(Address::Id),
        any::<[u8; 32]>().prop_map(|k| Address::from_ed25519_public_key(&k)),
        any::<[u8; 16]>().prop_map(|s| Address::new_actor(&s)),
    ]
}

fn any_amount() -> impl Strategy<Value = TokenAmount> {
    any::<u128>().prop_map(TokenAmount::from_atto)
}

proptest! {
    #![proptest_config(ProptestConfig { rng_seed: proptest::test_runner::RngSeed::Fixed(2026), ..ProptestConfig::default() })]

    #[test]
    fn any_message_round_trips_exactly(
        to in any_address(), from in any_address(), nonce in any::<u64>(), value in any_amount(),
        gas_limit in any::<u64>(), fee_cap in any_amount(), premium in any_amount(),
        method in any::<u64>(), params in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let msg = Message { version: 0, to, from, nonce, value, gas_limit, gas_fee_cap: fee_cap,
            gas_premium: premium, method, params };
        let bytes = msg.to_cbor().unwrap();
        prop_assert_eq!(&Message::from_cbor(&bytes).unwrap(), &msg);
        prop_assert_eq!(msg.cid().unwrap(), flowcoin_types::message::cbor_cid(&bytes));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Message::from_cbor(&bytes);
        let _ = SignedMessage::from_cbor(&bytes);
    }

    #[test]
    fn mutations_of_a_valid_message_never_panic(at in 0usize..26, byte in any::<u8>()) {
        let mut bytes = transfer().to_cbor().unwrap();
        let i = at % bytes.len();
        bytes[i] = byte;
        if let Ok(m) = Message::from_cbor(&bytes) {
            // Whatever decodes re-encodes to the same bytes (canonical).
            prop_assert_eq!(m.to_cbor().unwrap(), bytes);
        }
    }
}
