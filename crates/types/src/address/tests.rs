use proptest::prelude::*;
use proptest::test_runner::RngSeed;

use super::*;

fn text(address: Address) -> String {
    address.display(Network::Mainnet).to_string()
}

#[test]
fn id_text_and_bytes() {
    assert_eq!(text(Address::Id(0)), "f00");
    assert_eq!(text(Address::Id(150)), "f0150");
    assert_eq!(Address::Id(0).to_bytes(), [0, 0]);
    assert_eq!(Address::Id(150).to_bytes(), [0, 0x96, 0x01]);
    assert_eq!(
        Address::Id(u64::MAX).to_bytes(),
        [
            0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
        ]
    );
    assert_eq!(Address::Id(7).display(Network::Devnet).to_string(), "t07");
    assert_eq!(Address::Id(7).id(), Some(7));
    assert_eq!(Address::new_actor(b"x").id(), None);
}

#[test]
fn text_errors_say_what_is_wrong() {
    use AddressParseError::*;
    let parse = |s: &str| s.parse::<NetworkAddress>().unwrap_err();
    assert_eq!(parse(""), Empty);
    assert!(matches!(parse("x01"), UnknownNetwork { prefix: 'x', .. }));
    assert!(matches!(parse("é01"), UnknownNetwork { prefix: 'é', .. }));
    assert!(matches!(parse("f"), UnknownProtocol { .. }));
    assert!(matches!(parse("f5abc"), UnknownProtocol { .. }));
    assert!(matches!(parse("fé"), UnknownProtocol { .. }));
    assert!(matches!(parse("f0"), InvalidId { .. }));
    assert!(matches!(parse("f0-1"), InvalidId { .. }));
    assert!(matches!(parse("f0+1"), InvalidId { .. }));
    assert!(matches!(parse("f0 1"), InvalidId { .. }));
    assert!(matches!(parse("f000"), NonCanonicalId { .. }));
    assert!(matches!(parse("f0018"), NonCanonicalId { .. }));
    assert!(matches!(parse("f018446744073709551616"), IdOverflow { .. }));
    assert!(matches!(
        parse("f0999999999999999999999999"),
        IdOverflow { .. }
    ));
    assert!(matches!(
        parse("f1abc"),
        WrongLength {
            protocol: Protocol::Ed25519,
            expected: 39,
            found: 3,
            ..
        }
    ));
    let good = text(Address::new_actor(b"seed"));
    let letter = good.get(2..).unwrap().find(char::is_alphabetic).unwrap() + 2;
    let mut upper = good.clone();
    upper.replace_range(letter..=letter, &good[letter..=letter].to_uppercase());
    assert!(matches!(parse(&upper), InvalidCharacter { .. }));
    let err = Address::from_str_checked(&good.replacen('f', "t", 1), Network::Mainnet).unwrap_err();
    assert!(matches!(
        err,
        WrongNetwork {
            expected: Network::Mainnet,
            found: Network::Devnet,
            ..
        }
    ));
    assert!(
        err.to_string()
            .contains("is a devnet address, but this is mainnet"),
        "{err}"
    );
}

#[test]
fn checksum_mismatch_is_named() {
    let good = text(Address::new_actor(b"seed"));
    // Change one payload character.
    let bad_char = if &good[5..6] == "a" { "b" } else { "a" };
    let mut bad = good.clone();
    bad.replace_range(5..6, bad_char);
    let err = bad.parse::<NetworkAddress>().unwrap_err();
    assert!(matches!(err, AddressParseError::ChecksumMismatch { .. }));
    assert!(err.to_string().contains("checksum mismatch"), "{err}");
    // Same payload under another protocol: the checksum covers the protocol byte.
    let other = good.replacen("f2", "f1", 1);
    assert!(matches!(
        other.parse::<NetworkAddress>(),
        Err(AddressParseError::ChecksumMismatch { .. })
    ));
}

#[test]
fn trailing_bits_are_rejected() {
    // 39 symbols carry 195 bits for 24 bytes: the last symbol's 3 low bits must be zero,
    // so flipping its lowest bit leaves the payload alone but is not canonical.
    let good = text(Address::new_actor(b"seed"));
    let alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    let last = alphabet.find(good.chars().last().unwrap()).unwrap();
    let mut bad = good.clone();
    bad.replace_range(good.len() - 1.., &alphabet[(last ^ 1)..=(last ^ 1)]);
    assert!(matches!(
        bad.parse::<NetworkAddress>(),
        Err(AddressParseError::NonCanonicalEncoding { .. })
    ));
}

#[test]
fn byte_errors() {
    use AddressBytesError::*;
    assert_eq!(Address::from_bytes(&[]), Err(Empty));
    assert_eq!(
        Address::from_bytes(&[4, 1]),
        Err(UnknownProtocol { byte: 4 })
    );
    assert_eq!(Address::from_bytes(&[0]), Err(TruncatedId));
    assert_eq!(Address::from_bytes(&[0, 0x80]), Err(TruncatedId));
    assert_eq!(Address::from_bytes(&[0, 0x80, 0x00]), Err(NonMinimalId));
    assert_eq!(Address::from_bytes(&[0, 0x81, 0x00]), Err(NonMinimalId));
    assert_eq!(
        Address::from_bytes(&[0, 0x01, 0x02]),
        Err(TrailingBytes { extra: 1 })
    );
    let mut too_big = vec![0];
    too_big.extend([0xff; 9]);
    too_big.push(0x02);
    assert_eq!(Address::from_bytes(&too_big), Err(IdOverflow));
    let mut eleven = vec![0];
    eleven.extend([0x80; 10]);
    eleven.push(0x01);
    assert_eq!(Address::from_bytes(&eleven), Err(IdOverflow));
    assert_eq!(
        Address::from_bytes(&[1; 20]),
        Err(WrongPayloadLength {
            protocol: Protocol::Ed25519,
            expected: 20,
            found: 19
        })
    );
    assert_eq!(
        Address::from_bytes(&[3; 48]).unwrap_err().to_string(),
        "BLS (protocol 3) address payload has 47 bytes; it must have 48"
    );
}

fn any_address() -> impl Strategy<Value = Address> {
    prop_oneof![
        any::<u64>().prop_map(Address::Id),
        any::<[u8; 20]>().prop_map(Address::Ed25519),
        any::<[u8; 20]>().prop_map(Address::Actor),
        proptest::collection::vec(any::<u8>(), 48)
            .prop_map(|key| Address::Bls(key.try_into().unwrap())),
    ]
}

fn any_network() -> impl Strategy<Value = Network> {
    prop_oneof![Just(Network::Mainnet), Just(Network::Devnet)]
}

proptest! {
    #![proptest_config(ProptestConfig {
        rng_seed: RngSeed::Fixed(0x0add_2e55),
        ..ProptestConfig::default()
    })]

    #[test]
    fn text_round_trip(address in any_address(), network in any_network()) {
        let text = address.display(network).to_string();
        prop_assert_eq!(text.parse(), Ok(NetworkAddress { network, address }));
        prop_assert_eq!(Address::from_str_checked(&text, network), Ok(address));
    }

    #[test]
    fn bytes_round_trip(address in any_address()) {
        prop_assert_eq!(Address::from_bytes(&address.to_bytes()), Ok(address));
    }

    #[test]
    fn decoding_bytes_never_panics_and_is_canonical(
        bytes in proptest::collection::vec(any::<u8>(), 0..60),
    ) {
        if let Ok(address) = Address::from_bytes(&bytes) {
            prop_assert_eq!(address.to_bytes(), bytes);
        }
    }

    #[test]
    fn id_varints_decode_canonically(
        protocol in 0u8..2,
        bytes in proptest::collection::vec(prop_oneof![Just(0x80u8), Just(0u8), any::<u8>()], 0..12),
    ) {
        let mut input = vec![protocol];
        input.extend(bytes);
        if let Ok(address) = Address::from_bytes(&input) {
            prop_assert_eq!(address.to_bytes(), input);
        }
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in "\\PC{0,100}") {
        let _ = text.parse::<NetworkAddress>();
    }

    #[test]
    fn parsing_address_like_text_is_canonical(text in "[ftx][0-4][a-z2-7A-Z0-9=]{0,90}") {
        if let Ok(parsed) = text.parse::<NetworkAddress>() {
            prop_assert_eq!(parsed.to_string(), text);
        }
    }

    #[test]
    fn one_changed_character_is_caught(
        address in any_address().prop_filter("hashed", |a| a.id().is_none()),
        position in 2usize..39,
        replacement in 0usize..32,
    ) {
        let text = address.display(Network::Mainnet).to_string();
        let alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        let mut changed = text.clone();
        changed.replace_range(position..=position, &alphabet[replacement..=replacement]);
        if changed != text {
            prop_assert!(changed.parse::<NetworkAddress>().is_err());
        }
    }
}
