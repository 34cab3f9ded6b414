use flowcoin_dag::store::MemoryBlockstore;

use super::node::{HashBits, hash_key};
use super::*;

#[test]
fn hash_bits_read_five_bits_msb_first() {
    let mut hash = [0u8; 32];
    hash[0] = 0b1011_0110;
    hash[1] = 0b0100_0000;
    let mut bits = HashBits::new(&hash);
    assert_eq!(bits.next_index().unwrap(), 0b10110);
    assert_eq!(bits.next_index().unwrap(), 0b11001);
    assert_eq!(bits.consumed(), 10);
    let mut bits = HashBits::at(&hash, 250);
    assert!(bits.next_index().is_ok());
    assert!(matches!(bits.next_index(), Err(HamtError::MaxDepth)));
}

#[test]
fn empty_map_is_the_two_item_array_with_empty_bitfield() {
    let mut store = MemoryBlockstore::new();
    let mut map: Hamt<u64> = Hamt::new();
    let root = map.flush(&mut store).unwrap();
    assert_eq!(store.get(&root).unwrap().unwrap(), [0x82, 0x40, 0x80]);
    // The empty map CID of Filecoin's state (go-hamt-ipld v3, bit width 5).
    assert_eq!(
        root.to_string(),
        "bafy2bzaceamp42wmmgr2g2ymg46euououzfyck7szknvfacqscohrvaikwfay"
    );
}

#[test]
fn bucket_splits_at_the_fourth_key_in_a_slot_and_collapses_back() {
    // Find four keys whose hashes share the first 5 bits.
    let first_slot = |k: &[u8]| hash_key(k)[0] >> 3;
    let keys: Vec<Vec<u8>> = (0u32..)
        .map(|i| i.to_be_bytes().to_vec())
        .filter(|k| first_slot(k) == 7)
        .take(4)
        .collect();
    let store = MemoryBlockstore::new();
    let mut map: Hamt<u32> = Hamt::new();
    for (i, key) in keys.iter().take(3).enumerate() {
        map.set(&store, key, i as u32).unwrap();
    }
    assert!(matches!(map.root.pointers.as_slice(), [Pointer::Bucket(b)] if b.len() == 3));
    map.set(&store, &keys[3], 3).unwrap();
    assert!(matches!(map.root.pointers.as_slice(), [Pointer::Dirty(_)]));
    map.delete(&store, &keys[0]).unwrap();
    assert!(matches!(map.root.pointers.as_slice(), [Pointer::Bucket(b)] if b.len() == 3));
    for (i, key) in keys.iter().enumerate().skip(1) {
        assert_eq!(map.get(&store, key).unwrap(), Some(&(i as u32)));
    }
}

#[test]
fn set_returns_the_replaced_value_and_delete_of_absent_key_changes_nothing() {
    let mut store = MemoryBlockstore::new();
    let mut map: Hamt<String> = Hamt::new();
    assert_eq!(map.set(&store, b"k", "a".into()).unwrap(), None);
    assert_eq!(map.set(&store, b"k", "b".into()).unwrap(), Some("a".into()));
    let root = map.flush(&mut store).unwrap();
    assert!(!map.is_dirty());
    assert_eq!(map.delete(&store, b"absent").unwrap(), None);
    assert!(!map.is_dirty());
    assert_eq!(map.flush(&mut store).unwrap(), root);
}

// Known-answer vectors from ref-fvm's own HAMT test suite (`fvm_ipld_hamt`,
// github.com/filecoin-project/ref-fvm, file `ipld/hamt/tests/hamt_tests.rs`). Only the tests
// that build their HAMT with bit width 5 and the default SHA-256 key hash are usable here:
// fvm's `Config::default()` has bit width 8, so the vectors of `test_set_if_absent`,
// `delete`, `delete_case` (first CID) and `set_with_no_effect_does_not_put` (bit width 1)
// describe other layouts, and the `identity`-feature tests use another hash. go-hamt-ipld's
// `hamt_test.go` checks structure (`TestCleanChildOrdering`, `TestFillAndCollapse`, ...) but
// pins no root CIDs for the default configuration.
//
// fvm's keys are `BytesKey` (hashed and encoded as raw bytes); its `tstring(x)` helper is
// the bytes of `x.to_string()`, and its values of type `BytesKey` are CBOR byte strings, so
// the values below are `Bytes` (not `String`, which would be a CBOR text string).

use flowcoin_types::message::Bytes;

/// fvm's `tstring(i)`: the decimal digits of `i` as bytes.
fn tstring(i: impl std::fmt::Display) -> Vec<u8> {
    i.to_string().into_bytes()
}

/// Unsigned LEB128 varint of `i` (fvm's `unsigned_varint::encode::u64`, Go's `binary.PutUvarint`).
fn uvarint(mut i: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let low = (i & 0x7f) as u8;
        i >>= 7;
        if i == 0 {
            out.push(low);
            return out;
        }
        out.push(low | 0x80);
    }
}

#[test]
fn uvarint_matches_leb128() {
    assert_eq!(uvarint(0), [0x00]);
    assert_eq!(uvarint(100), [0x64]);
    assert_eq!(uvarint(127), [0x7f]);
    assert_eq!(uvarint(128), [0x80, 0x01]);
    assert_eq!(uvarint(194), [0xc2, 0x01]);
    assert_eq!(uvarint(300), [0xac, 0x02]);
}

/// The 200-pair map `tstring(i) -> tstring(i)` for `i` in `0..200` of fvm's `set_delete_many`
/// and `for_each`.
const FVM_200_PAIRS: &str = "bafy2bzaceczhz54xmmz3xqnbmvxfbaty3qprr6dq7xh5vzwqbirlsnbd36z7a";

/// ref-fvm `ipld/hamt/tests/hamt_tests.rs`, `set_delete_many` (bit width 5): set
/// `tstring(i) -> tstring(i)` for `0..200`, flush; set `200..400`, flush; delete `200..400`,
/// flush — the last root equals the first.
#[test]
fn fvm_vector_set_delete_many() {
    let mut store = MemoryBlockstore::new();
    let mut map: Hamt<Bytes> = Hamt::new();
    for i in 0..200 {
        map.set(&store, &tstring(i), Bytes(tstring(i))).unwrap();
    }
    let c1 = map.flush(&mut store).unwrap();
    assert_eq!(c1.to_string(), FVM_200_PAIRS);

    for i in 200..400 {
        map.set(&store, &tstring(i), Bytes(tstring(i))).unwrap();
    }
    let cid_all = map.flush(&mut store).unwrap();
    assert_eq!(
        cid_all.to_string(),
        "bafy2bzacecxcp736xkl2mcyjlors3tug6vdlbispbzxvb75xlrhthiw2xwxvw"
    );

    for i in 200..400 {
        assert!(map.delete(&store, &tstring(i)).unwrap().is_some());
    }
    for i in 0..200 {
        assert_eq!(
            map.get(&store, &tstring(i)).unwrap(),
            Some(&Bytes(tstring(i)))
        );
    }
    let cid_d = map.flush(&mut store).unwrap();
    assert_eq!(cid_d.to_string(), FVM_200_PAIRS);
}

/// ref-fvm `ipld/hamt/tests/hamt_tests.rs`, `for_each` (bit width 5): the same 200 pairs,
/// iterated before the flush, flushed, reloaded, iterated twice and flushed again unchanged.
#[test]
fn fvm_vector_for_each() {
    let mut store = MemoryBlockstore::new();
    let mut map: Hamt<Bytes> = Hamt::new();
    for i in 0..200 {
        map.set(&store, &tstring(i), Bytes(tstring(i))).unwrap();
    }
    let count_pairs = |map: &Hamt<Bytes>, store: &MemoryBlockstore| {
        let mut count = 0;
        map.for_each(store, |k, v| {
            assert_eq!(k, v.0.as_slice());
            count += 1;
        })
        .unwrap();
        count
    };
    assert_eq!(count_pairs(&map, &store), 200);
    let c = map.flush(&mut store).unwrap();
    assert_eq!(c.to_string(), FVM_200_PAIRS);

    let mut loaded: Hamt<Bytes> = Hamt::load(&store, &c).unwrap();
    assert_eq!(count_pairs(&loaded, &store), 200);
    assert_eq!(count_pairs(&loaded, &store), 200);
    assert_eq!(loaded.flush(&mut store).unwrap().to_string(), FVM_200_PAIRS);
}

/// ref-fvm `ipld/hamt/tests/hamt_tests.rs`, `clean_child_ordering` (bit width 5; the same
/// sequence as go-hamt-ipld's `TestCleanChildOrdering`, which pins no CID): keys are the
/// varints of `100..195`, every value the CBOR integer 42; flush, reload, delete the keys of
/// 104 and 108 (a child collapses into a bucket that must be re-sorted by key), flush.
#[test]
fn fvm_vector_clean_child_ordering() {
    let mut store = MemoryBlockstore::new();
    let mut map: Hamt<u8> = Hamt::new();
    for i in 100..195 {
        map.set(&store, &uvarint(i), 42).unwrap();
    }
    let root = map.flush(&mut store).unwrap();
    assert_eq!(
        root.to_string(),
        "bafy2bzacebqox3gtng4ytexyacr6zmaliyins3llnhbnfbcrqmhzuhmuuawqk"
    );

    let mut map: Hamt<u8> = Hamt::load(&store, &root).unwrap();
    assert_eq!(map.delete(&store, &uvarint(104)).unwrap(), Some(42));
    assert_eq!(map.delete(&store, &uvarint(108)).unwrap(), Some(42));
    let root = map.flush(&mut store).unwrap();
    let reloaded: Hamt<u8> = Hamt::load(&store, &root).unwrap();
    assert_eq!(reloaded.get(&store, &uvarint(105)).unwrap(), Some(&42));
    assert_eq!(
        root.to_string(),
        "bafy2bzacedlyeuub3mo4aweqs7zyxrbldsq2u4a2taswubudgupglu2j4eru6"
    );
}

/// ref-fvm `ipld/hamt/tests/hamt_tests.rs`, `delete_case`: one pair `[0] -> b"Test data"`,
/// then deleted. fvm's first CID there is for bit width 8 (its default) and is not checked;
/// the second, the empty map after the delete, does not depend on the bit width.
#[test]
fn fvm_vector_delete_case_returns_to_the_empty_map() {
    let mut store = MemoryBlockstore::new();
    let mut map: Hamt<Bytes> = Hamt::new();
    map.set(&store, &[0], Bytes(b"Test data".to_vec())).unwrap();
    let c = map.flush(&mut store).unwrap();

    let mut map: Hamt<Bytes> = Hamt::load(&store, &c).unwrap();
    assert!(map.delete(&store, &[0]).unwrap().is_some());
    assert_eq!(map.get(&store, &[0]).unwrap(), None);
    assert_eq!(
        map.flush(&mut store).unwrap().to_string(),
        "bafy2bzaceamp42wmmgr2g2ymg46euououzfyck7szknvfacqscohrvaikwfay"
    );
}
