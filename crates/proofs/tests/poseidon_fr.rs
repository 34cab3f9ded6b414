//! Field-element nodes: canonical decoding, trunc254 nodes, sealing arithmetic.

use flowcoin_proofs::fr::{
    Fr, FrError, MODULUS_LE, fr_add, fr_add_assign_nodes, fr_from_node, fr_from_trunc254, fr_sub,
    fr_sub_assign_nodes, is_canonical, node_from_fr,
};
use proptest::prelude::*;

fn le_from_be_hex(s: &str) -> [u8; 32] {
    let mut v: [u8; 32] = hex::decode(s).unwrap().try_into().unwrap();
    v.reverse();
    v
}

#[test]
fn modulus_is_r_and_bounds_are_where_they_should_be() {
    assert_eq!(
        MODULUS_LE,
        le_from_be_hex("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001")
    );
    assert!(!is_canonical(&MODULUS_LE));
    assert!(matches!(
        fr_from_node(&MODULUS_LE),
        Err(FrError::NonCanonical { node }) if node == MODULUS_LE
    ));
    let r_minus_1 = node_from_fr(&-Fr::from(1u64));
    assert!(is_canonical(&r_minus_1));
    assert!(!is_canonical(&[0xff; 32]));
    assert!(is_canonical(&[0; 32]));
}

/// rust-fil-proofs reads a sha256-trunc254 node with `Fr::from_repr` (`bytes_into_fr`): the
/// largest such node, 2^254 − 1, is below r, so every trunc254 node is canonical and maps to
/// its own value; no reduction or rejection ever happens.
#[test]
fn every_trunc254_node_is_canonical() {
    let mut max = [0xff; 32];
    max[31] = 0x3f;
    assert!(is_canonical(&max));
    assert_eq!(node_from_fr(&fr_from_node(&max).unwrap()), max);
    assert_eq!(fr_from_trunc254(&max), fr_from_node(&max).unwrap());
    // 2^254 itself (not a trunc254 value) is also below r.
    let mut two_254 = [0u8; 32];
    two_254[31] = 0x40;
    assert!(is_canonical(&two_254));
    // The masking drops exactly the two top bits.
    assert_eq!(fr_from_trunc254(&[0xff; 32]), fr_from_node(&max).unwrap());
}

#[test]
fn sealing_arithmetic_wraps_modulo_r() {
    let minus_one = node_from_fr(&-Fr::from(1u64));
    let one = node_from_fr(&Fr::from(1u64));
    assert_eq!(fr_add(&minus_one, &one).unwrap(), [0u8; 32]);
    assert_eq!(fr_sub(&[0u8; 32], &one).unwrap(), minus_one);
    assert!(matches!(
        fr_add(&MODULUS_LE, &one),
        Err(FrError::NonCanonical { .. })
    ));
    assert!(matches!(
        fr_sub(&one, &[0xff; 32]),
        Err(FrError::NonCanonical { .. })
    ));
}

#[test]
fn buffer_arithmetic_reports_shape_and_position() {
    let mut data = [0u8; 64];
    assert!(matches!(
        fr_add_assign_nodes(&mut data, &[0u8; 32]),
        Err(FrError::BufferShape {
            left: 64,
            right: 32
        })
    ));
    assert!(matches!(
        fr_add_assign_nodes(&mut data[..33], &[0u8; 33]),
        Err(FrError::BufferShape { .. })
    ));
    let mut key = [0u8; 64];
    key[32..].copy_from_slice(&MODULUS_LE);
    assert!(matches!(
        fr_sub_assign_nodes(&mut data, &key),
        Err(FrError::NonCanonicalAt { index: 1, .. })
    ));
}

fn canonical_node() -> impl Strategy<Value = [u8; 32]> {
    any::<[u8; 32]>().prop_map(|mut n| {
        n[31] &= 0x3f;
        n
    })
}

proptest! {
    #[test]
    fn canonical_nodes_round_trip(node in canonical_node()) {
        let fr = fr_from_node(&node).unwrap();
        prop_assert_eq!(node_from_fr(&fr), node);
        prop_assert_eq!(fr_from_trunc254(&node), fr);
    }

    #[test]
    fn decoding_accepts_exactly_the_values_below_r(node in any::<[u8; 32]>()) {
        let below_r = node.iter().rev().cmp(MODULUS_LE.iter().rev()).is_lt();
        prop_assert_eq!(is_canonical(&node), below_r);
        prop_assert_eq!(fr_from_node(&node).is_ok(), below_r);
        if let Ok(fr) = fr_from_node(&node) {
            prop_assert_eq!(node_from_fr(&fr), node);
        }
    }

    #[test]
    fn unsealing_inverts_sealing(data in canonical_node(), key in canonical_node()) {
        let replica = fr_add(&data, &key).unwrap();
        prop_assert!(is_canonical(&replica));
        prop_assert_eq!(fr_sub(&replica, &key).unwrap(), data);
    }

    #[test]
    fn buffer_arithmetic_matches_node_arithmetic(
        data in prop::collection::vec(canonical_node(), 0..8),
        key_seed in canonical_node(),
    ) {
        let key: Vec<[u8; 32]> = (0..data.len()).map(|i| { let mut k = key_seed; k[0] ^= i as u8; k }).collect();
        let mut buf = data.concat();
        fr_add_assign_nodes(&mut buf, &key.concat()).unwrap();
        for (i, chunk) in buf.chunks_exact(32).enumerate() {
            prop_assert_eq!(chunk, &fr_add(&data[i], &key[i]).unwrap()[..]);
        }
        fr_sub_assign_nodes(&mut buf, &key.concat()).unwrap();
        prop_assert_eq!(buf, data.concat());
    }
}
