//! Message signatures: both schemes sign the message CID; any change to the message, the
//! signature or the claimed sender is caught; malformed signature bytes are errors, not panics.

use flowcoin_crypto::message::{MessageSignatureError, sign_message, verify_message};
use flowcoin_crypto::{SecretKey, bls, ed25519};
use flowcoin_types::{Address, Message, SignedMessage};
use proptest::prelude::*;

fn keys() -> [SecretKey; 2] {
    [
        SecretKey::Bls(bls::SecretKey::from_seed(&[1; 32]).unwrap()),
        SecretKey::Ed25519(ed25519::SecretKey::from_seed(&[2; 32])),
    ]
}

fn message(from: Address) -> Message {
    Message {
        from,
        to: Address::Id(1001),
        nonce: 7,
        value: "1 FLW".parse().unwrap(),
        gas_limit: 1_000_000,
        ..Message::default()
    }
}

#[test]
fn signed_messages_verify_for_their_sender_only() {
    let [a, b] = keys();
    for (key, other) in [(&a, &b), (&b, &a)] {
        let from = key.public_key().address();
        let signed = sign_message(key, &message(from)).unwrap();
        verify_message(&signed, &from).unwrap();
        // The signature survives the wire.
        let decoded = SignedMessage::from_cbor(&signed.to_cbor().unwrap()).unwrap();
        verify_message(&decoded, &from).unwrap();

        // Another message with the same signature.
        let mut changed = signed.clone();
        changed.message.nonce += 1;
        assert!(verify_message(&changed, &from).is_err());
        let mut changed = signed.clone();
        changed.message.value = "1.000000000000000001 FLW".parse().unwrap();
        assert!(verify_message(&changed, &from).is_err());

        // Another sender.
        let other_from = other.public_key().address();
        assert!(matches!(
            verify_message(&signed, &other_from),
            Err(MessageSignatureError::SchemeMismatch { .. })
        ));
        let same_scheme = match key {
            SecretKey::Bls(_) => SecretKey::Bls(bls::SecretKey::from_seed(&[9; 32]).unwrap()),
            SecretKey::Ed25519(_) => SecretKey::Ed25519(ed25519::SecretKey::from_seed(&[9; 32])),
        };
        let err = verify_message(&signed, &same_scheme.public_key().address()).unwrap_err();
        assert!(
            matches!(
                err,
                MessageSignatureError::KeyMismatch(_) | MessageSignatureError::Signature(_)
            ),
            "{err}"
        );

        // An ID address must be resolved first.
        assert!(matches!(
            verify_message(&signed, &Address::Id(1000)),
            Err(MessageSignatureError::NotKeyAddress(_))
        ));

        // Every flipped bit of the signature bytes is caught.
        for bit in 0..signed.signature.len() * 8 {
            let mut bad = signed.clone();
            bad.signature[bit / 8] ^= 1 << (bit % 8);
            assert!(verify_message(&bad, &from).is_err(), "bit {bit}");
        }
        // Truncations are errors.
        for len in 0..signed.signature.len() {
            let mut bad = signed.clone();
            bad.signature.truncate(len);
            assert!(verify_message(&bad, &from).is_err(), "length {len}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, rng_seed: proptest::test_runner::RngSeed::Fixed(11), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_signature_bytes_never_verify_or_panic(sig in proptest::collection::vec(any::<u8>(), 0..200)) {
        for key in keys() {
            let from = key.public_key().address();
            let signed = SignedMessage { message: message(from), signature: sig.clone() };
            prop_assert!(verify_message(&signed, &from).is_err());
        }
    }
}
