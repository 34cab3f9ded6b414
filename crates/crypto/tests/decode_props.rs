//! Property tests: decoders never panic on arbitrary bytes, and encode/decode round-trips.

use flowcoin_crypto::keystore::KeyName;
use flowcoin_crypto::signature::{KeyType, PublicKey, SecretKey, Signature};
use flowcoin_crypto::vrf::VrfProof;
use flowcoin_crypto::{bls, ed25519};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = bls::PublicKey::from_bytes(&bytes);
        let _ = bls::Signature::from_bytes(&bytes);
        let _ = bls::SecretKey::from_bytes(&bytes);
        let _ = ed25519::PublicKey::from_bytes(&bytes);
        let _ = ed25519::Signature::from_bytes(&bytes);
        let _ = ed25519::SecretKey::from_bytes(&bytes);
        let _ = Signature::from_bytes(&bytes);
        let _ = VrfProof::from_bytes(&bytes);
        for key_type in KeyType::ALL {
            let _ = PublicKey::from_parts(key_type, &bytes);
            let _ = SecretKey::from_parts(key_type, &bytes);
        }
        let _ = KeyName::parse(&String::from_utf8_lossy(&bytes));
    }

    /// Exact-length inputs reach the point decoders (random lengths mostly stop at the length
    /// check). Compressed-flag set, so blst actually tries to decompress.
    #[test]
    fn point_decoders_never_panic_on_right_lengths(
        pk in proptest::array::uniform32(any::<u8>()),
        pk_tail in proptest::array::uniform16(any::<u8>()),
        sig in proptest::collection::vec(any::<u8>(), 96),
        flags in 0u8..8,
    ) {
        let mut pk48 = pk.to_vec();
        pk48.extend_from_slice(&pk_tail);
        pk48[0] = (pk48[0] & 0x1f) | (flags << 5);
        let mut sig96 = sig.clone();
        sig96[0] = (sig96[0] & 0x1f) | (flags << 5);
        if let Ok(k) = bls::PublicKey::from_bytes(&pk48) {
            prop_assert_eq!(k.to_bytes().to_vec(), pk48);
        }
        if let Ok(s) = bls::Signature::from_bytes(&sig96) {
            prop_assert_eq!(s.to_bytes().to_vec(), sig96);
        }
        if let Ok(k) = ed25519::PublicKey::from_bytes(&pk) {
            // Ed25519 accepts some non-canonical y encodings; the key re-encodes canonically.
            let _ = k.to_bytes();
        }
        let mut ed_sig = sig;
        ed_sig.truncate(64);
        let _ = ed25519::Signature::from_bytes(&ed_sig);
    }

}

proptest! {
    // Signing is the slow part (Ed25519 is unoptimised in dev builds): fewer cases.
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn signatures_round_trip(seed in proptest::array::uniform32(any::<u8>()), msg in proptest::collection::vec(any::<u8>(), 0..64)) {
        for sk in [
            SecretKey::Bls(bls::SecretKey::from_seed(&seed).unwrap()),
            SecretKey::Ed25519(ed25519::SecretKey::from_seed(&seed)),
        ] {
            let sig = sk.sign(&msg);
            let decoded = Signature::from_bytes(&sig.to_bytes()).unwrap();
            prop_assert_eq!(decoded, sig);
            prop_assert!(decoded.verify(&msg, &sk.public_key()).is_ok());
            let pk = PublicKey::from_parts(sk.key_type(), &sk.public_key().to_bytes()).unwrap();
            prop_assert_eq!(pk, sk.public_key());
            let sk2 = SecretKey::from_parts(sk.key_type(), &sk.to_bytes()).unwrap();
            prop_assert_eq!(sk2.public_key(), sk.public_key());
        }
    }
}
