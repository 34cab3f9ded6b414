//! Known-answer tests for commP and piece CIDs: filecoin-spec §1.6 (zero pieces, 0xCC payloads,
//! FRC-0069 vectors) and `testdata/vectors/import-vectors.json` (published answers and every
//! generated vector, up to 100 MiB).

use flowcoin_proofs::merkle::zero_commitment;
use flowcoin_proofs::{
    PieceCid, PieceCommitment, comm_d, commp_of_bytes, commp_of_reader, parse_piece_cid,
};
use flowcoin_types::test_utils::{import_vectors, known_answer_content, vector_entry_reader};
use flowcoin_types::{PaddedPieceSize, SectorSize};
use serde_json::Value;

fn size(bytes: u64) -> PaddedPieceSize {
    PaddedPieceSize::new(bytes).unwrap()
}

/// Checks both CIDs of `commp` and that each decodes back to it.
fn assert_cids(commp: &PieceCommitment, v1: Option<&str>, v2: Option<&str>, what: &str) {
    if let Some(v1) = v1 {
        assert_eq!(commp.piece_cid_v1().to_string(), v1, "v1 of {what}");
        assert_eq!(
            parse_piece_cid(v1).unwrap(),
            PieceCid::V1 {
                root: *commp.root()
            },
            "decoding v1 of {what}"
        );
    }
    if let Some(v2) = v2 {
        assert_eq!(commp.piece_cid_v2().to_string(), v2, "v2 of {what}");
        assert_eq!(
            v2.parse::<PieceCommitment>().unwrap(),
            *commp,
            "decoding v2 of {what}"
        );
    }
}

/// filecoin-spec §1.6, zero pieces: padded size, root, piece CID v1.
const ZERO_PIECES: [(u64, &str, &str); 12] = [
    (
        128,
        "3731bb99ac689f66eef5973e4a94da188f4ddcae580724fc6f3fd60dfd488333",
        "baga6ea4seaqdomn3tgwgrh3g532zopskstnbrd2n3sxfqbze7rxt7vqn7veigmy",
    ),
    (
        256,
        "642a607ef886b004bf2c1978463ae1d4693ac0f410eb2d1b7a47fe205e5e750f",
        "baga6ea4seaqgiktap34inmaex4wbs6cghlq5i2j2yd2bb2zndn5ep7ralzphkdy",
    ),
    (
        512,
        "57a2381a28652bf47f6bef7aca679be4aede5871ab5cf3eb2c08114488cb8526",
        "baga6ea4seaqfpirydiugkk7up5v666wkm6n6jlw6lby2wxht5mwaqekerdfykjq",
    ),
    (
        1 << 10,
        "1f7ac9595510e09ea41c460b176430bb322cd6fb412ec57cb17d989a4310372f",
        "baga6ea4seaqb66wjlfkrbye6uqoemcyxmqylwmrm235uclwfpsyx3ge2imidoly",
    ),
    (
        2 << 10,
        "fc7e928296e516faade986b28f92d44a4f24b935485223376a799027bc18f833",
        "baga6ea4seaqpy7usqklokfx2vxuynmupslkeutzexe2uqurdg5vhtebhxqmpqmy",
    ),
    (
        4 << 10,
        "08c47b38ee13bc43f41b915c0eed9911a26086b3ed62401bf9d58b8d19dff624",
        "baga6ea4seaqarrd3hdxbhpcd6qnzcxao5wmrditaq2z62ysadp45lc4ndhp7mja",
    ),
    (
        1 << 20,
        "d99887b973573a96e11393645236c17b1f4c7034d723c7a99f709bb4da61162b",
        "baga6ea4seaqntgehxfzvoouw4ejzgzcsg3axwh2moa2noi6hvgpxbg5u3jqrmky",
    ),
    (
        8 << 20,
        "65f29e5d98d246c38b388cfc06db1f6b021303c5a289000bdce832a9c3ec421c",
        "baga6ea4seaqgl4u6lwmnerwdrm4iz7ag3mpwwaqtapc2fciabpooqmvjypweeha",
    ),
    (
        512 << 20,
        "39560e7b13a93b07a243fd2720ffa7cb3e1d2e505ab3629e79f46313512cda06",
        "baga6ea4seaqdsvqopmj2soyhujb72jza76t4wpq5fzifvm3ctz47iyytkewnubq",
    ),
    (
        1 << 30,
        "ccc3c012f5b05e811a2bbfdd0f6833b84275b47bf229c0052a82484f3c1a5b3d",
        "baga6ea4seaqmzq6acl23axubdiv37xipnaz3qqtvwr57ekoaauviescphqnfwpi",
    ),
    (
        32 << 30,
        "077e5fde35c50a9303a55009e3498a4ebedff39c42b710b730d8ec7ac7afa63e",
        "baga6ea4seaqao7s73y24kcutaosvacpdjgfe5pw76ooefnyqw4ynr3d2y6x2mpq",
    ),
    (
        64 << 30,
        "e64005a6bfe3777953b8ad6ef93f0fca1049b2041654f2a411f7702799cece02",
        "baga6ea4seaqomqafu276g53zko4k23xzh4h4uecjwicbmvhsuqi7o4bhthhm4aq",
    ),
];

#[test]
fn spec_zero_pieces() {
    for (padded, root, v1) in ZERO_PIECES {
        let padded = size(padded);
        let level = padded.log2() - 5;
        assert_eq!(
            hex::encode(zero_commitment(level).unwrap()),
            root,
            "Z for {padded}"
        );
        let commp = PieceCommitment::new(
            *zero_commitment(level).unwrap(),
            padded,
            padded.unpadded().bytes(),
        )
        .unwrap();
        assert_cids(&commp, Some(v1), None, &format!("zero piece of {padded}"));
        // Hash the payload itself where that is cheap enough for a test.
        if padded.bytes() <= 8 << 20 {
            let payload = vec![0u8; padded.unpadded().bytes() as usize];
            assert_eq!(
                commp_of_bytes(&payload).unwrap(),
                commp,
                "hashed zero piece of {padded}"
            );
        }
        // An empty sector's CommD is the zero piece of the sector size.
        if let Ok(sector) = SectorSize::try_from(padded) {
            assert_eq!(
                hex::encode(comm_d(sector, &[]).unwrap()),
                root,
                "CommD of empty {sector}"
            );
        }
    }
}

#[test]
fn spec_0xcc_payloads() {
    let cases = [
        (
            96,
            128,
            "baga6ea4seaqhwcjhi4krhl3ht6dewnwevkpxbepxy7p7onwgz65t52typbsysby",
        ),
        (
            126,
            128,
            "baga6ea4seaqapbh46gdnszvb7fcinevsy5bzg3b4higkh7groptswf6zas6jamy",
        ),
        (
            127,
            128,
            "baga6ea4seaqmfldjtozgne6adk7eve2vdxte7vzlivae7nzsbrawobo546zkijq",
        ),
        (
            256,
            512,
            "baga6ea4seaqi7c3dnwkqysqh4lpkz5jaxz2d2f5bvo3ttu2hnfmdewhcoji56na",
        ),
        (
            1016,
            1024,
            "baga6ea4seaqjxgfdkdu37aryhg7bqqiwizj5f6ugasftgeocabwnj4cxkgisaoq",
        ),
        (
            1024,
            2048,
            "baga6ea4seaqdlpnhgsndrgjeu4p46hahlsr4lybg6du4d56ooppdpxhcofxeuoi",
        ),
    ];
    for (len, padded, v1) in cases {
        let commp = commp_of_bytes(&vec![0xcc; len]).unwrap();
        assert_eq!(commp.padded_size(), size(padded), "{len} × 0xCC");
        assert_cids(&commp, Some(v1), None, &format!("{len} × 0xCC"));
    }
    let root = |len| hex::encode(commp_of_bytes(&vec![0xcc; len]).unwrap().root());
    assert!(root(127).starts_with("c2ac699b") && root(127).ends_with("e7b2a426"));
    assert!(root(1024).starts_with("35bda734") && root(1024).ends_with("716e4a39"));
}

#[test]
fn spec_frc0069_vectors() {
    let four_quads: Vec<u8> = (0..4u8).flat_map(|b| [b; 127]).collect();
    let with_zeros = |n: usize| [four_quads.clone(), vec![0; n]].concat();
    let cases: [(Vec<u8>, Option<&str>, &str); 7] = [
        (
            four_quads.clone(),
            Some("baga6ea4seaqes3nobte6ezpp4wqan2age2s5yxcatzotcvobhgcmv5wi2xh5mbi"),
            "bafkzcibcaaces3nobte6ezpp4wqan2age2s5yxcatzotcvobhgcmv5wi2xh5mbi",
        ),
        (
            Vec::new(),
            None,
            "bafkzcibcp4bdomn3tgwgrh3g532zopskstnbrd2n3sxfqbze7rxt7vqn7veigmy",
        ),
        (
            vec![0; 127],
            None,
            "bafkzcibcaabdomn3tgwgrh3g532zopskstnbrd2n3sxfqbze7rxt7vqn7veigmy",
        ),
        (
            vec![0; 128],
            None,
            "bafkzcibcpybwiktap34inmaex4wbs6cghlq5i2j2yd2bb2zndn5ep7ralzphkdy",
        ),
        (
            with_zeros(4),
            Some("baga6ea4seaqn42av3szurbbscwuu3zjssvfwbpsvbjf6y3tukvlgl2nf5rha6pa"),
            "bafkzcibd7abqlxticxolgseegik2stpfgkkuwyf6kufex3doorkvmzpjuxwe4dz4",
        ),
        (
            with_zeros(5),
            Some("baga6ea4seaqn42av3szurbbscwuu3zjssvfwbpsvbjf6y3tukvlgl2nf5rha6pa"),
            "bafkzcibd64bqlxticxolgseegik2stpfgkkuwyf6kufex3doorkvmzpjuxwe4dz4",
        ),
        // Not in FRC-0069: 127 × 0xCC (a go-fil-commp-hashhash v1 vector) as v2, from
        // reference/kat/kat_commp.py.
        (
            vec![0xcc; 127],
            Some("baga6ea4seaqmfldjtozgne6adk7eve2vdxte7vzlivae7nzsbrawobo546zkijq"),
            "bafkzcibcaabmfldjtozgne6adk7eve2vdxte7vzlivae7nzsbrawobo546zkijq",
        ),
    ];
    for (data, v1, v2) in cases {
        let commp = commp_of_bytes(&data).unwrap();
        assert_cids(&commp, v1, Some(v2), &format!("{} bytes", data.len()));
    }
    let hex_v2 = hex::encode(
        commp_of_bytes(&four_quads)
            .unwrap()
            .piece_cid_v2()
            .to_bytes(),
    );
    assert!(
        hex_v2.starts_with("01559120220004496dae") && hex_v2.ends_with("d605"),
        "{hex_v2}"
    );
    let with_four = commp_of_bytes(&with_zeros(4)).unwrap();
    assert_eq!((with_four.padding(), with_four.height()), (504, 5));
    assert!(hex::encode(with_four.root()).starts_with("de6815dc"));
    // The zero 32 GiB and 64 GiB pieces, from the zero table.
    for (bytes, v2) in [
        (
            32u64 << 30,
            "bafkzcibcaapao7s73y24kcutaosvacpdjgfe5pw76ooefnyqw4ynr3d2y6x2mpq",
        ),
        (
            64 << 30,
            "bafkzcibcaap6mqafu276g53zko4k23xzh4h4uecjwicbmvhsuqi7o4bhthhm4aq",
        ),
    ] {
        let padded = size(bytes);
        let root = *zero_commitment(padded.log2() - 5).unwrap();
        let commp = PieceCommitment::new(root, padded, padded.unpadded().bytes()).unwrap();
        assert_cids(&commp, None, Some(v2), &format!("zero {padded}"));
    }
}

#[test]
fn import_vectors_external_known_answers() {
    let vectors = import_vectors();
    let known = &vectors["external_known_answers"];
    let commp_cases = known["commp"].as_array().unwrap();
    assert!(!commp_cases.is_empty());
    for case in commp_cases {
        let data = known_answer_content(&case["content"]);
        let commp = commp_of_bytes(&data).unwrap();
        let what = format!("{} ({})", case["content"], case["source"]);
        assert_eq!(
            commp.padded_size().bytes(),
            case["padded_piece_size"].as_u64().unwrap()
        );
        assert_cids(&commp, case["piece_cid_v1"].as_str(), None, &what);
    }
    let v2_cases = known["commp_v2"].as_array().unwrap();
    assert!(!v2_cases.is_empty());
    for case in v2_cases {
        let data = known_answer_content(&case["content"]);
        let commp = commp_of_bytes(&data).unwrap();
        assert_cids(
            &commp,
            None,
            case["piece_cid_v2"].as_str(),
            &case["source"].to_string(),
        );
    }
    let zero_roots = known["zero_piece_root_hex"].as_array().unwrap();
    assert!(!zero_roots.is_empty());
    for case in zero_roots {
        let padded = size(case["padded_piece_size"].as_u64().unwrap());
        let payload = vec![0u8; padded.unpadded().bytes() as usize];
        let root = hex::encode(commp_of_bytes(&payload).unwrap().root());
        assert_eq!(
            root,
            case["root"].as_str().unwrap(),
            "zero piece of {padded}"
        );
        assert_eq!(
            hex::encode(zero_commitment(padded.log2() - 5).unwrap()),
            root
        );
    }
}

/// The `commp` object of every generated vector, computed from the regenerated file content.
/// Vectors are split by size so the test harness can run the groups on both cores.
fn check_generated_vectors(keep: impl Fn(u64) -> bool) -> usize {
    let vectors = import_vectors();
    let mut checked = 0;
    for entry in vectors["vectors"].as_array().unwrap() {
        let len = entry["size"].as_u64().unwrap();
        if !keep(len) {
            continue;
        }
        let expected: &Value = &entry["commp"];
        let commp = commp_of_reader(vector_entry_reader(entry)).unwrap();
        let what = entry["name"].to_string();
        assert_eq!(commp.payload_size(), len, "{what}");
        assert_eq!(
            commp.padded_size().bytes(),
            expected["padded_piece_size"].as_u64().unwrap(),
            "padded size of {what}"
        );
        assert_eq!(
            commp.unpadded_size().bytes(),
            expected["unpadded_piece_size"].as_u64().unwrap(),
            "unpadded size of {what}"
        );
        assert_cids(
            &commp,
            Some(expected["piece_cid_v1"].as_str().unwrap()),
            Some(expected["piece_cid_v2"].as_str().unwrap()),
            &what,
        );
        checked += 1;
    }
    checked
}

#[test]
fn import_vectors_up_to_16_mib() {
    assert!(check_generated_vectors(|len| len <= 16 << 20) >= 30);
}

#[test]
fn import_vectors_of_100_mib() {
    assert!(check_generated_vectors(|len| len > 16 << 20) >= 5);
}

#[test]
fn every_vector_entry_is_checked() {
    let vectors = import_vectors();
    let total = vectors["vectors"].as_array().unwrap().len();
    let sizes: Vec<u64> = vectors["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["size"].as_u64().unwrap())
        .collect();
    let split = sizes.iter().filter(|&&s| s <= 16 << 20).count()
        + sizes.iter().filter(|&&s| s > 16 << 20).count();
    assert_eq!(split, total);
    assert!(
        sizes.contains(&(100 << 20)),
        "the 100 MiB vectors are part of the set"
    );
}
