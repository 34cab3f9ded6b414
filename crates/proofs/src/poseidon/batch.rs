//! Many Poseidon hashes of one arity at once ([`hash_node_bytes_many`]).
//!
//! A tree level or a layer of TreeC columns is millions of independent hashes, and each hash is
//! a chain of field multiplications that the scalar path ([`super::field`]) performs one limb
//! product at a time. On x86-64 CPUs with AVX-512 IFMA the `ifma` submodule computes eight
//! hashes at once, one per 64-bit lane, with 52-bit limbs and the same optimized rounds and
//! constants as the scalar path, converting to and from canonical nodes only at the batch
//! boundary. The choice is made at run time ([`batch_path`]); elsewhere, and for the arities
//! the vector path does not cover (16, 24, 36), each group goes through
//! [`super::hash_nodes`]. Both paths give the same digests bit for bit.

#[cfg(target_arch = "x86_64")]
mod ifma;

use super::{PoseidonError, constants, hash_nodes};
use crate::fr::FrError;
use crate::hasher::{NODE_SIZE, Node};

/// Hashes `children.len() / (arity · 32)` consecutive groups of `arity` 32-byte nodes, writing
/// the digest of group i to `out[i]`: the same digests as [`super::hash_node_bytes`] on each
/// group, computed several at a time where the CPU allows (AVX-512 IFMA, arities 2, 4, 8 and
/// 11).
///
/// Errors if the arity is not supported, if `children` is not a whole number of groups, if
/// `out` does not have one slot per group, or if a node is not canonical; the last reports
/// the node's index in `children` (counted in nodes). On error `out` may be partly written.
///
/// ```
/// use flowcoin_proofs::fr::{Fr, node_from_fr};
/// use flowcoin_proofs::poseidon::{hash_node_bytes, hash_node_bytes_many};
///
/// let children: Vec<u8> = (0..16u64).flat_map(|i| node_from_fr(&Fr::from(i))).collect();
/// let mut parents = [[0u8; 32]; 2];
/// hash_node_bytes_many(8, &children, &mut parents)?;
/// assert_eq!(parents[1], hash_node_bytes(&children[8 * 32..])?);
/// # Ok::<(), flowcoin_proofs::poseidon::PoseidonError>(())
/// ```
pub fn hash_node_bytes_many(
    arity: usize,
    children: &[u8],
    out: &mut [Node],
) -> Result<(), PoseidonError> {
    hash_many_on(batch_path(arity), arity, children, out)
}

/// How [`hash_node_bytes_many`] computes the hashes of one arity on this CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BatchPath {
    /// Eight hashes at once with AVX-512 IFMA.
    Ifma,
    /// One hash at a time, [`super::hash_nodes`].
    Scalar,
}

/// The path [`hash_node_bytes_many`] takes for `arity` on this CPU.
pub(crate) fn batch_path(arity: usize) -> BatchPath {
    #[cfg(target_arch = "x86_64")]
    if ifma::supports(arity) && ifma_detected() {
        return BatchPath::Ifma;
    }
    let _ = arity;
    BatchPath::Scalar
}

#[cfg(target_arch = "x86_64")]
fn ifma_detected() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512ifma")
}

fn hash_many_on(
    path: BatchPath,
    arity: usize,
    children: &[u8],
    out: &mut [Node],
) -> Result<(), PoseidonError> {
    let unsupported = PoseidonError::UnsupportedArity { arity };
    constants(arity).ok_or(unsupported.clone())?;
    let group_bytes = arity.checked_mul(NODE_SIZE).ok_or(unsupported)?;
    let (groups, rest) = (
        children.len().checked_div(group_bytes).unwrap_or(0),
        children.len().checked_rem(group_bytes).unwrap_or(0),
    );
    if rest != 0 {
        return Err(PoseidonError::NotWholeGroups {
            len: children.len(),
            arity,
        });
    }
    if out.len() != groups {
        return Err(PoseidonError::OutputLength {
            groups,
            outputs: out.len(),
        });
    }
    let (nodes, _) = children.as_chunks::<NODE_SIZE>();
    match path {
        BatchPath::Ifma => match run_ifma(arity, nodes, out) {
            Some(result) => result,
            None => hash_scalar(arity, nodes, out),
        },
        BatchPath::Scalar => hash_scalar(arity, nodes, out),
    }
}

/// The IFMA path, or `None` if this CPU or arity does not have it.
#[cfg(target_arch = "x86_64")]
fn run_ifma(arity: usize, nodes: &[Node], out: &mut [Node]) -> Option<Result<(), PoseidonError>> {
    if !ifma::supports(arity) {
        return None;
    }
    run_task(ifma::Task::Hash { arity, nodes, out })
}

/// Runs an IFMA task, or returns `None` if this CPU lacks the features: the one call from
/// code compiled for any x86-64 into code compiled for AVX-512 IFMA.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
fn run_task(task: ifma::Task<'_>) -> Option<Result<(), PoseidonError>> {
    if !ifma_detected() {
        return None;
    }
    // SAFETY: `ifma::run` is compiled for avx512f and avx512ifma, which were detected on this
    // CPU just above; it has no other requirement.
    Some(unsafe { ifma::run(task) })
}

#[cfg(not(target_arch = "x86_64"))]
fn run_ifma(_: usize, _: &[Node], _: &mut [Node]) -> Option<Result<(), PoseidonError>> {
    None
}

fn hash_scalar(arity: usize, nodes: &[Node], out: &mut [Node]) -> Result<(), PoseidonError> {
    for (group_index, (group, digest)) in nodes.chunks_exact(arity).zip(out).enumerate() {
        *digest = hash_nodes(group).map_err(|e| match e {
            PoseidonError::NonCanonicalInput { index, source } => {
                PoseidonError::NonCanonicalInput {
                    index: group_index.saturating_mul(arity).saturating_add(index),
                    source,
                }
            }
            other => other,
        })?;
    }
    Ok(())
}

/// The error for the non-canonical node at `index` (counted in nodes from the first input).
fn non_canonical(index: usize, node: &Node) -> PoseidonError {
    PoseidonError::NonCanonicalInput {
        index,
        source: FrError::NonCanonical { node: *node },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fr::{Fr, MODULUS_LE, node_from_fr};
    use crate::poseidon::hash_node_bytes;
    use ff::Field;
    use rand_chacha::ChaCha8Rng;
    use rand_core::{RngCore, SeedableRng};

    /// 0, 1, r − 1, r − 2, 2^255-ish values below r, 2^254 ± 1, 2^64 − 1.
    fn edge_nodes() -> Vec<Node> {
        let r1 = node_from_fr(&-Fr::ONE);
        let r2 = node_from_fr(&-Fr::from(2u64));
        let mut near_top = MODULUS_LE;
        near_top[0] = 0;
        near_top[4] = 0; // high limbs equal to r's
        let mut two_254 = [0u8; 32];
        two_254[31] = 0x40;
        let mut below_254 = [0xffu8; 32];
        below_254[31] = 0x3f;
        let mut two_254_plus_1 = two_254;
        two_254_plus_1[0] = 1;
        vec![
            [0; 32],
            node_from_fr(&Fr::ONE),
            r1,
            r2,
            near_top,
            two_254,
            below_254,
            two_254_plus_1,
            node_from_fr(&Fr::from(u64::MAX)),
            node_from_fr(&Fr::from(2u64).invert().unwrap()),
        ]
    }

    /// `count` canonical nodes, a seeded mix of random values below 2^255 (redrawn until
    /// canonical) and edge values.
    fn canonical_nodes(count: usize, seed: u64) -> Vec<u8> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let edges = edge_nodes();
        (0..count)
            .flat_map(|_| {
                if rng.next_u32() % 4 == 0 {
                    return edges[rng.next_u32() as usize % edges.len()];
                }
                loop {
                    let mut node = [0u8; 32];
                    rng.fill_bytes(&mut node);
                    node[31] &= 0x7f;
                    if crate::fr::is_canonical(&node) {
                        break node;
                    }
                }
            })
            .collect()
    }

    fn paths() -> Vec<BatchPath> {
        match batch_path(2) {
            BatchPath::Ifma => vec![BatchPath::Ifma, BatchPath::Scalar],
            BatchPath::Scalar => vec![BatchPath::Scalar],
        }
    }

    #[test]
    fn the_ifma_path_is_taken_where_the_cpu_has_it() {
        #[cfg(target_arch = "x86_64")]
        let expected = if ifma_detected() {
            BatchPath::Ifma
        } else {
            BatchPath::Scalar
        };
        #[cfg(not(target_arch = "x86_64"))]
        let expected = BatchPath::Scalar;
        for arity in [2, 4, 8, 11] {
            assert_eq!(batch_path(arity), expected, "arity {arity}");
        }
        for arity in [16, 24, 36, 3] {
            assert_eq!(batch_path(arity), BatchPath::Scalar, "arity {arity}");
        }
        eprintln!("batch path on this CPU: {expected:?}");
    }

    #[test]
    fn batches_equal_one_hash_at_a_time() {
        for (arity, seed) in [(2usize, 1u64), (4, 2), (8, 3), (11, 4), (16, 5)] {
            for groups in [0usize, 1, 7, 8, 9, 17, 100] {
                let children = canonical_nodes(groups * arity, seed ^ (groups as u64) << 8);
                let expected: Vec<Node> = children
                    .chunks(arity * 32)
                    .map(|c| hash_node_bytes(c).unwrap())
                    .collect();
                for path in paths() {
                    let mut out = vec![[0xaa; 32]; groups];
                    hash_many_on(path, arity, &children, &mut out).unwrap();
                    assert_eq!(out, expected, "arity {arity}, {groups} groups, {path:?}");
                }
                let mut out = vec![[0; 32]; groups];
                hash_node_bytes_many(arity, &children, &mut out).unwrap();
                assert_eq!(out, expected, "arity {arity}, {groups} groups");
            }
        }
    }

    #[test]
    fn every_edge_value_in_every_lane_and_position() {
        for arity in [2usize, 8, 11] {
            let edges = edge_nodes();
            let count = edges.len();
            // Group g, input p holds edge value (g + p) mod len: every value in every lane
            // and position.
            let groups = edges.len() * 2;
            let children: Vec<u8> = (0..groups)
                .flat_map(|g| (0..arity).map(move |p| (g + p) % count))
                .flat_map(|i| edges[i])
                .collect();
            let mut same = vec![[0u8; 32]; groups];
            for (g, s) in same.iter_mut().enumerate() {
                *s = hash_node_bytes(&children[g * arity * 32..(g + 1) * arity * 32]).unwrap();
            }
            for path in paths() {
                let mut out = vec![[0; 32]; groups];
                hash_many_on(path, arity, &children, &mut out).unwrap();
                assert_eq!(out, same, "arity {arity}, {path:?}");
            }
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        for path in paths() {
            for arity in [2usize, 8, 11] {
                for bad in [MODULUS_LE, [0xff; 32], {
                    let mut n = MODULUS_LE;
                    n[0] = 2;
                    n
                }] {
                    // The bad node in lane 5 of the second batch, position 1.
                    let groups = 17;
                    let mut children = canonical_nodes(groups * arity, 9);
                    let index = (8 + 5) * arity + 1;
                    children[index * 32..(index + 1) * 32].copy_from_slice(&bad);
                    let mut out = vec![[0; 32]; groups];
                    match hash_many_on(path, arity, &children, &mut out) {
                        Err(PoseidonError::NonCanonicalInput { index: i, .. }) => {
                            assert_eq!(i, index, "arity {arity}, {path:?}")
                        }
                        other => panic!("arity {arity}, {path:?}: {other:?}"),
                    }
                }
                let children = canonical_nodes(3 * arity, 10);
                let mut out = vec![[0; 32]; 2];
                assert_eq!(
                    hash_many_on(path, arity, &children, &mut out),
                    Err(PoseidonError::OutputLength {
                        groups: 3,
                        outputs: 2
                    })
                );
                let mut out = vec![[0; 32]; 3];
                assert_eq!(
                    hash_many_on(path, arity, &children[..children.len() - 32], &mut out),
                    Err(PoseidonError::NotWholeGroups {
                        len: 3 * arity * 32 - 32,
                        arity
                    })
                );
            }
            for arity in [0usize, 1, 3, 9, 37] {
                assert_eq!(
                    hash_many_on(path, arity, &[], &mut []),
                    Err(PoseidonError::UnsupportedArity { arity })
                );
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    mod ifma_field {
        use super::super::ifma::{self, LANES, Limbs};
        use super::*;
        use proptest::prelude::*;

        fn limbs(fr: &Fr) -> Limbs {
            let node = node_from_fr(fr);
            let words: [u64; 4] =
                std::array::from_fn(|i| u64::from_le_bytes(node[i * 8..][..8].try_into().unwrap()));
            ifma::limbs_from_words(&words)
        }

        fn fr(limbs: &Limbs) -> Fr {
            assert!(limbs.iter().all(|l| *l < 1 << 52), "normalized");
            let words = ifma::words_from_limbs(limbs);
            let node: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            // Below 2r: subtract r once if needed.
            let node: Node = node.try_into().unwrap();
            match Option::<Fr>::from(Fr::from_bytes_le(&node)) {
                Some(x) => x,
                None => {
                    let mut words = words;
                    let mut borrow = 0u64;
                    for (w, m) in words.iter_mut().zip(ifma::words_from_limbs(&ifma::MODULUS)) {
                        let (d, b1) = w.overflowing_sub(m);
                        let (d, b2) = d.overflowing_sub(borrow);
                        *w = d;
                        borrow = u64::from(b1 | b2);
                    }
                    let node: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
                    Option::from(Fr::from_bytes_le(&node.try_into().unwrap())).expect("below 2r")
                }
            }
        }

        #[test]
        fn constants_are_what_they_claim() {
            let modulus: Vec<u8> = ifma::words_from_limbs(&ifma::MODULUS)
                .iter()
                .flat_map(|w| w.to_le_bytes())
                .collect();
            assert_eq!(modulus, MODULUS_LE);
            assert_eq!(
                ifma::MODULUS[0].wrapping_mul(ifma::INV) & ((1 << 52) - 1),
                (1 << 52) - 1
            );
        }

        /// Multiplies eight pairs in the lanes and checks a·b·2^−260 against blstrs.
        fn check_lanes(a: [Fr; LANES], b: [Fr; LANES]) -> Result<(), TestCaseError> {
            if !ifma_detected() {
                return Ok(());
            }
            let mut product = [[0u64; 5]; LANES];
            let task = ifma::Task::Mul {
                a: &a.map(|x| limbs(&x)),
                b: &b.map(|x| limbs(&x)),
                product: &mut product,
            };
            // Through the one unsafe call site, with a multiplication instead of hashes.
            assert_eq!(run_task(task), Some(Ok(())));
            let r_inverse = Fr::from(2u64).pow_vartime([260]).invert().unwrap();
            for lane in 0..LANES {
                prop_assert_eq!(fr(&product[lane]), a[lane] * b[lane] * r_inverse);
            }
            Ok(())
        }

        #[test]
        fn mul_of_edge_values_matches_blstrs() {
            let edges: Vec<Fr> = edge_nodes()
                .iter()
                .map(|n| crate::fr::fr_from_node(n).unwrap())
                .collect();
            for a in &edges {
                let b: [Fr; LANES] = std::array::from_fn(|i| edges[i % edges.len()]);
                check_lanes([*a; LANES], b).unwrap();
            }
        }

        fn any_fr() -> impl Strategy<Value = Fr> {
            prop_oneof![
                any::<[u8; 32]>().prop_map(|mut b| {
                    b[31] &= 0x7f;
                    Option::from(Fr::from_bytes_le(&b)).unwrap_or(-Fr::ONE)
                }),
                any::<u64>().prop_map(|x| -Fr::ONE - Fr::from(x)),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(500))]

            #[test]
            fn mul_matches_blstrs(a in prop::array::uniform8(any_fr()), b in prop::array::uniform8(any_fr())) {
                check_lanes(a, b)?;
            }
        }
    }
}
