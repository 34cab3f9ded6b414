//! Known-answer tests for addresses.
//!
//! The expected values are independent of this crate's code: the Filecoin spec's published
//! address test vectors (spec.filecoin.io, appendix "Address", test vectors), and Flowcoin's own
//! vectors computed by `tests/kat/address_kat.py` with Python's standard library only
//! (`hashlib.blake2b`, `base64.b32encode`). That script is the independent check: it also
//! re-derives every Filecoin vector, so both lists agree with a second implementation.

use flowcoin_types::{Address, Network, NetworkAddress};

/// Filecoin spec test vectors: text form, on-chain bytes (hex). Filecoin's protocol 1 is
/// secp256k1 where ours is ed25519, but the text and byte forms of the 20-byte payload are the
/// same, so the vectors apply unchanged.
const FILECOIN_SPEC: [(&str, &str); 20] = [
    ("f00", "0000"),
    ("f0150", "009601"),
    ("f01024", "008008"),
    ("f01729", "00c10d"),
    ("f018446744073709551615", "00ffffffffffffffffff01"),
    (
        "f17uoq6tp427uzv7fztkbsnn64iwotfrristwpryy",
        "01fd1d0f4dfcd7e99afcb99a8326b7dc459d32c628",
    ),
    (
        "f1xcbgdhkgkwht3hrrnui3jdopeejsoatkzmoltqy",
        "01b882619d46558f3d9e316d11b48dcf211327026a",
    ),
    (
        "f1xtwapqc6nh4si2hcwpr3656iotzmlwumogqbuaa",
        "01bcec07c05e69f92468e2b3e3bf77c874f2c5da8c",
    ),
    (
        "f1wbxhu3ypkuo6eyp6hjx6davuelxaxrvwb2kuwva",
        "01b06e7a6f0f551de261fe3a6fe182b422ee0bc6b6",
    ),
    (
        "f12fiakbhe2gwd5cnmrenekasyn6v5tnaxaqizq6a",
        "01d1500504e4d1ac3e89ac891a4502586fabd9b417",
    ),
    (
        "f24vg6ut43yw2h2jqydgbg2xq7x6f4kub3bg6as6i",
        "02e54dea4f9bc5b47d261819826d5e1fbf8bc5503b",
    ),
    (
        "f25nml2cfbljvn4goqtclhifepvfnicv6g7mfmmvq",
        "02eb58bd08a15a6ade19d0989674148fa95a8157c6",
    ),
    (
        "f2nuqrg7vuysaue2pistjjnt3fadsdzvyuatqtfei",
        "026d21137eb4c4814269e894d296cf6500e43cd714",
    ),
    (
        "f24dd4ox4c2vpf5vk5wkadgyyn6qtuvgcpxxon64a",
        "02e0c7c75f82d55e5ed55db28033630df4274a984f",
    ),
    (
        "f2gfvuyh7v2sx3patm5k23wdzmhyhtmqctasbr23y",
        "02316b4c1ff5d4afb7826ceab5bb0f2c3e0f364053",
    ),
    (
        "f3vvmn62lofvhjd2ugzca6sof2j2ubwok6cj4xxbfzz4yuxfkgobpihhd2thlanmsh3w2ptld2gqkn2jvlss4a",
        "03ad58df696e2d4e91ea86c881e938ba4ea81b395e12797b84b9cf314b9546705e839c7a99d606b247ddb4f9ac7a3414dd",
    ),
    (
        "f3wmuu6crofhqmm3v4enos73okk2l366ck6yc4owxwbdtkmpk42ohkqxfitcpa57pjdcftql4tojda2poeruwa",
        "03b3294f0a2e29e0c66ebc235d2fedca5697bf784af605c75af608e6a63d5cd38ea85ca8989e0efde9188b382f9372460d",
    ),
    (
        "f3s2q2hzhkpiknjgmf4zq3ejab2rh62qbndueslmsdzervrhapxr7dftie4kpnpdiv2n6tvkr743ndhrsw6d3a",
        "0396a1a3e4ea7a14d49985e661b22401d44fed402d1d0925b243c923589c0fbc7e32cd04e29ed78d15d37d3aaa3fe6da33",
    ),
    (
        "f3q22fijmmlckhl56rn5nkyamkph3mcfu5ed6dheq53c244hfmnq2i7efdma3cj5voxenwiummf2ajlsbxc65a",
        "0386b454258c589475f7d16f5aac018a79f6c1169d20fc33921dd8b5ce1cac6c348f90a3603624f6aeb91b64518c2e8095",
    ),
    (
        "f3u5zgwa4ael3vuocgc5mfgygo4yuqocrntuuhcklf4xzg5tcaqwbyfabxetwtj4tsam3pbhnwghyhijr5mixa",
        "03a7726b038022f75a384617585360cee629070a2d9d28712965e5f26ecc40858382803724ed34f2720336f09db631f074",
    ),
];

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Text and bytes agree both ways with `expected_text` / `expected_hex`.
fn check(address: Address, network: Network, expected_text: &str, expected_hex: &str) {
    assert_eq!(address.display(network).to_string(), expected_text);
    assert_eq!(address.to_bytes(), hex(expected_hex), "{expected_text}");
    assert_eq!(
        expected_text.parse::<NetworkAddress>(),
        Ok(NetworkAddress { network, address })
    );
    assert_eq!(Address::from_bytes(&hex(expected_hex)), Ok(address));
}

#[test]
fn filecoin_spec_vectors() {
    for (text, bytes) in FILECOIN_SPEC {
        let address = Address::from_bytes(&hex(bytes)).unwrap();
        check(address, Network::Mainnet, text, bytes);
        // The same address on the devnet differs only in the prefix (the checksum does not
        // cover the network).
        let devnet = text.replacen('f', "t", 1);
        assert_eq!(address.display(Network::Devnet).to_string(), devnet);
        assert_eq!(
            Address::from_str_checked(&devnet, Network::Devnet),
            Ok(address)
        );
        assert!(Address::from_str_checked(&devnet, Network::Mainnet).is_err());
    }
    assert_eq!(Address::from_bytes(&hex("00c10d")), Ok(Address::Id(1729)));
}

/// Output of `python3 tests/kat/address_kat.py` (the `flowcoin_vectors` part).
#[test]
fn flowcoin_vectors_from_the_python_script() {
    let ed25519_key: [u8; 32] = std::array::from_fn(|i| i as u8);
    let bls_key: [u8; 48] = std::array::from_fn(|i| i as u8);
    let ed25519 = Address::from_ed25519_public_key(&ed25519_key);
    check(Address::Id(0), Network::Devnet, "t00", "0000");
    check(Address::Id(127), Network::Mainnet, "f0127", "007f");
    check(Address::Id(128), Network::Mainnet, "f0128", "008001");
    check(
        Address::Id(1 << 63),
        Network::Devnet,
        "t09223372036854775808",
        "0080808080808080808001",
    );
    check(
        ed25519,
        Network::Mainnet,
        "f1wgythom7kfxgzawo3kes55npkd5ewttrrzhzdvi",
        "01b1b133b99f516e6c82ceda892ef5af50fa4b4e71",
    );
    check(
        ed25519,
        Network::Devnet,
        "t1wgythom7kfxgzawo3kes55npkd5ewttrrzhzdvi",
        "01b1b133b99f516e6c82ceda892ef5af50fa4b4e71",
    );
    check(
        Address::new_actor(b"flowcoin"),
        Network::Mainnet,
        "f2iqj2blpggr6wdlo3vkpjkfgm3doxddp35cbdduq",
        "024413a0ade6347d61addbaa9e9514ccd8dd718dfb",
    );
    check(
        Address::new_actor(b""),
        Network::Devnet,
        "t2gncvesv7no7bqckesisllfzmif4qw3hs6fyf3iy",
        "023345524abf6bbe1809449224b5972c41790b6cf2",
    );
    check(
        Address::from_bls_public_key(bls_key),
        Network::Mainnet,
        "f3aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dypsaijcemsckjrhfausukzmfuxc7xayzmkq",
        "03000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f",
    );
}
