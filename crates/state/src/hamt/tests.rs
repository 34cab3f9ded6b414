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
