//! The BLS12-381 scalar field in pure Rust, for the Poseidon rounds.
//!
//! [`Fr`] (`blstrs::Scalar`) calls into blst for every operation: a multiplication measured
//! ~38 ns on the reference machine (AMD EPYC, KVM), most of it call overhead that the compiler
//! cannot see through. [`MontFr`] is the same field with the same Montgomery representation
//! (R = 2^256, four 64-bit limbs), written so that the compiler inlines multiplications into
//! the rounds and overlaps independent ones. It is used only inside the hash: values enter
//! through [`MontFr::from_node`] / [`MontFr::from_fr`] and leave as canonical nodes or [`Fr`],
//! so nothing stored or exchanged changes.
//!
//! Every `MontFr` holds a canonical value (below r): constructors reject non-canonical input
//! and every operation reduces its result completely. Arithmetic is branch-free (no
//! data-dependent branches or indexing), like blst's.
//!
//! Multiplication is the "no-carry" CIOS Montgomery product (Koç et al., with the carry
//! elimination gnark-crypto uses when the modulus leaves the top bit of its top limb clear,
//! as r does). [`dot_scaled`] computes Σ cᵢ·xᵢ with one reduction instead of one per term:
//! the products are summed unreduced (at most 2^516 for 37 terms) and reduced by 2^320
//! instead of 2^256, which keeps the result below 2r whatever the number of terms; the
//! constants cᵢ are pre-multiplied by 2^64 to compensate ([`MontFr::scaled_for_dot`]).
//!
//! ```
//! use flowcoin_proofs::fr::Fr;
//! use flowcoin_proofs::poseidon::field::MontFr;
//!
//! let a = MontFr::from_fr(&Fr::from(6u64));
//! let b = MontFr::from_u64(7);
//! assert_eq!(a.mul(&b).to_fr(), Fr::from(42u64));
//! assert_eq!(a.add(&b).square().to_fr(), Fr::from(169u64));
//! assert!(MontFr::from_node(&[0xff; 32]).is_none()); // not below r
//! ```

use crate::fr::Fr;
use crate::hasher::Node;

/// r, little-endian limbs.
const MODULUS: [u64; 4] = [
    0xffff_ffff_0000_0001,
    0x53bd_a402_fffe_5bfe,
    0x3339_d808_09a1_d805,
    0x73ed_a753_299d_7d48,
];

/// −r⁻¹ mod 2^64.
const INV: u64 = 0xffff_fffe_ffff_ffff;

/// R = 2^256 mod r: one in Montgomery form.
const R: [u64; 4] = [
    0x0000_0001_ffff_fffe,
    0x5884_b7fa_0003_4802,
    0x998c_4fef_ecbc_4ff5,
    0x1824_b159_acc5_056f,
];

/// R² mod r: multiplying by it converts into Montgomery form.
const R2: [u64; 4] = [
    0xc999_e990_f3f2_9c6d,
    0x2b6c_edcb_8792_5c23,
    0x05d3_1496_7254_398f,
    0x0748_d9d9_9f59_ff11,
];

/// An element of the BLS12-381 scalar field in Montgomery form (`limbs = value·2^256 mod r`,
/// little-endian), always canonical.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MontFr([u64; 4]);

impl std::fmt::Debug for MontFr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MontFr({:?})", self.to_fr())
    }
}

impl MontFr {
    /// Zero.
    pub const ZERO: Self = Self([0; 4]);
    /// One.
    pub const ONE: Self = Self(R);

    /// The element with this small value.
    pub fn from_u64(value: u64) -> Self {
        Self(mont_mul(&[value, 0, 0, 0], &R2))
    }

    /// The element whose canonical little-endian encoding is `node`, or `None` if `node` is not
    /// below r (the same rule as [`crate::fr::fr_from_node`]).
    #[inline]
    pub fn from_node(node: &Node) -> Option<Self> {
        let (words, _) = node.as_chunks::<8>();
        let mut limbs = [0u64; 4];
        for (limb, word) in limbs.iter_mut().zip(words) {
            *limb = u64::from_le_bytes(*word);
        }
        let (_, borrow) = sub_with_borrow(&limbs, &MODULUS);
        // Canonical exactly when limbs − r borrows.
        borrow.then(|| Self(mont_mul(&limbs, &R2)))
    }

    /// The canonical little-endian encoding (as [`crate::fr::node_from_fr`] writes it).
    #[inline]
    pub fn to_node(&self) -> Node {
        let limbs = mont_mul(&self.0, &[1, 0, 0, 0]);
        let mut node = [0u8; 32];
        let (words, _) = node.as_chunks_mut::<8>();
        for (word, limb) in words.iter_mut().zip(limbs) {
            *word = limb.to_le_bytes();
        }
        node
    }

    /// The same element as a blstrs scalar.
    pub fn from_fr(fr: &Fr) -> Self {
        // A blstrs scalar always encodes canonically; the fallback is never taken.
        Self::from_node(&fr.to_bytes_le()).unwrap_or_default()
    }

    /// This element as a blstrs scalar.
    pub fn to_fr(&self) -> Fr {
        // `to_node` is canonical; the fallback is never taken.
        Option::from(Fr::from_bytes_le(&self.to_node())).unwrap_or(Fr::from(0u64))
    }

    /// `self + other`.
    #[inline(always)]
    #[must_use]
    pub fn add(&self, other: &Self) -> Self {
        // Both are below r < 2^255, so the sum fits in 256 bits.
        let (sum, _) = add_with_carry(&self.0, &other.0);
        Self(subtract_modulus_if_needed(sum))
    }

    /// `self · other`.
    #[inline(always)]
    #[must_use]
    pub fn mul(&self, other: &Self) -> Self {
        Self(mont_mul(&self.0, &other.0))
    }

    /// `self²`.
    #[inline(always)]
    #[must_use]
    pub fn square(&self) -> Self {
        Self(mont_square(&self.0))
    }

    /// `self^5`, the Poseidon S-box: two squarings and a multiplication.
    #[inline(always)]
    #[must_use]
    pub fn pow5(&self) -> Self {
        self.square().square().mul(self)
    }

    /// `self · 2^64`: the form in which [`dot_scaled`] takes its constants.
    #[must_use]
    pub fn scaled_for_dot(&self) -> Self {
        let two_32 = Self::from_u64(1 << 32);
        self.mul(&two_32.square())
    }
}

/// Σ `scaled[i] · xs[i]` over the common length, where each `scaled[i]` is a constant made
/// by [`MontFr::scaled_for_dot`]: the products are summed unreduced and reduced once. At most 37
/// terms (the widest Poseidon state); longer inputs are not supported and give a wrong result.
// Out of line: inlined into the rounds, its unrolled loops made the register allocator spill
// (the arity-8 hash measured 8 % slower).
#[inline(never)]
pub fn dot_scaled(scaled: &[MontFr], xs: &[MontFr]) -> MontFr {
    let mut acc = ColumnAccumulator::default();
    let mut t = [0u64; 9];
    // Product scanning: output limb k collects every aᵢ·bⱼ with i + j = k, over all terms.
    macro_rules! column {
        ($k:literal: $(($i:literal, $j:literal)),+) => {
            for (c, x) in scaled.iter().zip(xs) {
                $( acc.add_product(c.0[$i], x.0[$j]); )+
            }
            t[$k] = acc.shift();
        };
    }
    column!(0: (0, 0));
    column!(1: (0, 1), (1, 0));
    column!(2: (0, 2), (1, 1), (2, 0));
    column!(3: (0, 3), (1, 2), (2, 1), (3, 0));
    column!(4: (1, 3), (2, 2), (3, 1));
    column!(5: (2, 3), (3, 2));
    column!(6: (3, 3));
    t[7] = acc.shift();
    t[8] = acc.shift();
    MontFr(subtract_modulus_if_needed(reduce_320(t)))
}

/// A 192-bit column sum for product scanning.
#[derive(Default)]
struct ColumnAccumulator {
    low: u128,
    high: u64,
}

impl ColumnAccumulator {
    #[inline(always)]
    fn add_product(&mut self, a: u64, b: u64) {
        let product = u128::from(a).wrapping_mul(u128::from(b));
        let (sum, carry) = self.low.overflowing_add(product);
        self.low = sum;
        self.high = self.high.wrapping_add(u64::from(carry));
    }

    /// Takes the low 64 bits and shifts the rest down.
    #[inline(always)]
    fn shift(&mut self) -> u64 {
        let out = self.low as u64;
        self.low = (self.low >> 64) | (u128::from(self.high) << 64);
        self.high = 0;
        out
    }
}

/// `t · 2^−320 mod r`, below 2r, for `t < 2^516` given as nine limbs: five Montgomery
/// reduction steps (the result is `(t + m·r) / 2^320 < t / 2^320 + r < 2^196 + r`).
#[inline(always)]
fn reduce_320(t: [u64; 9]) -> [u64; 4] {
    let [t0, t1, t2, t3, t4, t5, t6, t7, t8] = t;
    let (t1, t2, t3, t4, t5, c) = reduce_step(t0, t1, t2, t3, t4, t5, 0);
    let (t2, t3, t4, t5, t6, c) = reduce_step(t1, t2, t3, t4, t5, t6, c);
    let (t3, t4, t5, t6, t7, c) = reduce_step(t2, t3, t4, t5, t6, t7, c);
    let (t4, t5, t6, t7, t8, c) = reduce_step(t3, t4, t5, t6, t7, t8, c);
    let (t5, t6, t7, t8, _, _) = reduce_step(t4, t5, t6, t7, t8, 0, c);
    [t5, t6, t7, t8]
}

/// One Montgomery step: adds m·r to limbs `t0..t4` with m chosen to clear `t0`, and the
/// carry left over from the previous step to `t5`. Returns `t1..t5` and the carry out of `t5`.
#[inline(always)]
fn reduce_step(
    t0: u64,
    t1: u64,
    t2: u64,
    t3: u64,
    t4: u64,
    t5: u64,
    carry_in: u64,
) -> (u64, u64, u64, u64, u64, u64) {
    let m = t0.wrapping_mul(INV);
    let c = low_limb_carry(t0, m);
    let (t1, c) = mac(t1, m, MODULUS[1], c);
    let (t2, c) = mac(t2, m, MODULUS[2], c);
    let (t3, c) = mac(t3, m, MODULUS[3], c);
    let (t4, c2) = adc(t4, c, 0);
    let (t5, c3) = adc(t5, carry_in, c2);
    (t1, t2, t3, t4, t5, c3)
}

/// `a·b·2^−256 mod r` for canonical `a`, `b`: CIOS without the carry words, valid because
/// r's top limb is below 2^63 − 1; the loop leaves a value below 2r.
#[inline(always)]
fn mont_mul(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
    let t = cios_row([0; 4], a, b[0]);
    let t = cios_row(t, a, b[1]);
    let t = cios_row(t, a, b[2]);
    let t = cios_row(t, a, b[3]);
    subtract_modulus_if_needed(t)
}

/// `a²·2^−256 mod r`: the ten distinct limb products (the six off-diagonal ones once, then
/// doubled) instead of sixteen, then a Montgomery reduction.
#[inline(always)]
fn mont_square(a: &[u64; 4]) -> [u64; 4] {
    let (r1, c) = mac(0, a[0], a[1], 0);
    let (r2, c) = mac(0, a[0], a[2], c);
    let (r3, r4) = mac(0, a[0], a[3], c);
    let (r3, c) = mac(r3, a[1], a[2], 0);
    let (r4, r5) = mac(r4, a[1], a[3], c);
    let (r5, r6) = mac(r5, a[2], a[3], 0);
    let r7 = r6 >> 63;
    let r6 = (r6 << 1) | (r5 >> 63);
    let r5 = (r5 << 1) | (r4 >> 63);
    let r4 = (r4 << 1) | (r3 >> 63);
    let r3 = (r3 << 1) | (r2 >> 63);
    let r2 = (r2 << 1) | (r1 >> 63);
    let r1 = r1 << 1;
    let (r0, c) = mac(0, a[0], a[0], 0);
    let (r1, c) = adc(r1, 0, c);
    let (r2, c) = mac(r2, a[1], a[1], c);
    let (r3, c) = adc(r3, 0, c);
    let (r4, c) = mac(r4, a[2], a[2], c);
    let (r5, c) = adc(r5, 0, c);
    let (r6, c) = mac(r6, a[3], a[3], c);
    let (r7, _) = adc(r7, 0, c);
    let t = reduce_256([r0, r1, r2, r3, r4, r5, r6, r7]);
    subtract_modulus_if_needed(t)
}

/// `t · 2^−256 mod r`, below 2r, for `t < r·2^256`: four Montgomery steps.
#[inline(always)]
fn reduce_256(t: [u64; 8]) -> [u64; 4] {
    let [t0, t1, t2, t3, t4, t5, t6, t7] = t;
    let (t1, t2, t3, t4, t5, c) = reduce_step(t0, t1, t2, t3, t4, t5, 0);
    let (t2, t3, t4, t5, t6, c) = reduce_step(t1, t2, t3, t4, t5, t6, c);
    let (t3, t4, t5, t6, t7, c) = reduce_step(t2, t3, t4, t5, t6, t7, c);
    let (t4, t5, t6, t7, _, _) = reduce_step(t3, t4, t5, t6, t7, 0, c);
    [t4, t5, t6, t7]
}

/// One CIOS row: `(t + a·bᵢ + m·r) / 2^64` with m chosen to make the division exact.
#[inline(always)]
fn cios_row(t: [u64; 4], a: &[u64; 4], bi: u64) -> [u64; 4] {
    let (t0, ca) = mac(t[0], a[0], bi, 0);
    let m = t0.wrapping_mul(INV);
    let cm = low_limb_carry(t0, m);
    let (t1, ca) = mac(t[1], a[1], bi, ca);
    let (n0, cm) = mac(t1, m, MODULUS[1], cm);
    let (t2, ca) = mac(t[2], a[2], bi, ca);
    let (n1, cm) = mac(t2, m, MODULUS[2], cm);
    let (t3, ca) = mac(t[3], a[3], bi, ca);
    let (n2, cm) = mac(t3, m, MODULUS[3], cm);
    [n0, n1, n2, cm.wrapping_add(ca)]
}

/// The high limb of `t0 + m·r₀` (its low limb is zero by the choice of m), without a
/// multiplication: r₀ = 2^64 − 2^32 + 1, so `t0 + m·r₀ = (m − ⌊m/2^32⌋)·2^64 + t0 + m − (m mod
/// 2^32)·2^32`, and the last three terms, zero modulo 2^64 and below 2^65, add one limb exactly
/// when `t0 + m` carries.
#[inline(always)]
fn low_limb_carry(t0: u64, m: u64) -> u64 {
    let (_, carry) = t0.overflowing_add(m);
    m.wrapping_sub(m >> 32).wrapping_add(u64::from(carry))
}

/// `a + b·c + carry` as (low, high); cannot overflow 128 bits.
#[inline(always)]
fn mac(a: u64, b: u64, c: u64, carry: u64) -> (u64, u64) {
    let t = u128::from(a)
        .wrapping_add(u128::from(b).wrapping_mul(u128::from(c)))
        .wrapping_add(u128::from(carry));
    (t as u64, (t >> 64) as u64)
}

/// `a + b + carry` as (sum, carry out).
#[inline(always)]
fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = u128::from(a)
        .wrapping_add(u128::from(b))
        .wrapping_add(u128::from(carry));
    (t as u64, (t >> 64) as u64)
}

#[inline(always)]
fn add_with_carry(a: &[u64; 4], b: &[u64; 4]) -> ([u64; 4], bool) {
    let (s0, c) = adc(a[0], b[0], 0);
    let (s1, c) = adc(a[1], b[1], c);
    let (s2, c) = adc(a[2], b[2], c);
    let (s3, c) = adc(a[3], b[3], c);
    ([s0, s1, s2, s3], c != 0)
}

/// `a − b` and whether it borrowed (a < b).
#[inline(always)]
fn sub_with_borrow(a: &[u64; 4], b: &[u64; 4]) -> ([u64; 4], bool) {
    let (d0, b0) = sbb(a[0], b[0], 0);
    let (d1, b1) = sbb(a[1], b[1], b0);
    let (d2, b2) = sbb(a[2], b[2], b1);
    let (d3, b3) = sbb(a[3], b[3], b2);
    ([d0, d1, d2, d3], b3 != 0)
}

/// `a − b − borrow` as (difference, borrow out ∈ {0, 1}).
#[inline(always)]
fn sbb(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let (d, b1) = a.overflowing_sub(b);
    let (d, b2) = d.overflowing_sub(borrow);
    (d, u64::from(b1 | b2))
}

/// `t` reduced from [0, 2r) to [0, r), without branching on `t`.
#[inline(always)]
fn subtract_modulus_if_needed(t: [u64; 4]) -> [u64; 4] {
    let (d, borrow) = sub_with_borrow(&t, &MODULUS);
    // keep = all ones when t < r.
    let keep = u64::from(borrow).wrapping_neg();
    [
        (t[0] & keep) | (d[0] & !keep),
        (t[1] & keep) | (d[1] & !keep),
        (t[2] & keep) | (d[2] & !keep),
        (t[3] & keep) | (d[3] & !keep),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fr::{MODULUS_LE, node_from_fr};
    use ff::Field;
    use proptest::prelude::*;
    use std::ops::{Add, Mul, Neg};

    fn fr_from_le(bytes: [u8; 32]) -> Fr {
        Option::from(Fr::from_bytes_le(&bytes)).unwrap()
    }

    /// 0, 1, 2, r − 1, r − 2, (r ± 1)/2, 2^64 − 1, 2^64 + 1, 2^128, 2^254 − 1, 2^254,
    /// 2^254 + 1, and a value sharing r's three high limbs.
    fn edge_values() -> Vec<Fr> {
        let mut v = vec![
            Fr::ZERO,
            Fr::ONE,
            Fr::from(2u64),
            Fr::ONE.neg(),
            Fr::from(2u64).neg(),
            Fr::from(2u64).invert().unwrap().neg(), // (r − 1)/2
            Fr::from(2u64).invert().unwrap(),       // (r + 1)/2
            Fr::from(u64::MAX),
            Fr::from(u64::MAX).add(Fr::from(2u64)),
            Fr::from(2u64).pow_vartime([128]),
        ];
        let mut b = [0xffu8; 32];
        b[31] = 0x3f;
        v.push(fr_from_le(b)); // 2^254 − 1
        let mut b = [0u8; 32];
        b[31] = 0x40;
        v.push(fr_from_le(b)); // 2^254
        b[0] = 1;
        v.push(fr_from_le(b)); // 2^254 + 1
        let mut b = MODULUS_LE;
        b[0] = 0; // r − 1
        b[4] = 0; // well below r, high limbs equal to r's
        v.push(fr_from_le(b));
        v
    }

    #[test]
    fn constants_are_what_they_claim() {
        let two = Fr::from(2u64);
        assert_eq!(MontFr::ONE.to_fr(), Fr::ONE);
        assert_eq!(MontFr(R2).to_fr(), two.pow_vartime([256]));
        let scaled = MontFr::from_u64(3).scaled_for_dot().to_fr();
        assert_eq!(scaled, Fr::from(3u64).mul(two.pow_vartime([64])));
        assert_eq!(MODULUS[0].wrapping_mul(INV), u64::MAX); // r·INV ≡ −1
        let modulus: Vec<u8> = MODULUS.iter().flat_map(|l| l.to_le_bytes()).collect();
        assert_eq!(modulus, MODULUS_LE);
    }

    #[test]
    fn conversions_round_trip_and_reject_non_canonical_nodes() {
        for fr in edge_values() {
            let m = MontFr::from_fr(&fr);
            assert_eq!(m.to_fr(), fr);
            assert_eq!(m.to_node(), node_from_fr(&fr));
            assert_eq!(MontFr::from_node(&node_from_fr(&fr)), Some(m));
        }
        assert_eq!(MontFr::from_node(&MODULUS_LE), None);
        assert_eq!(MontFr::from_node(&[0xff; 32]), None);
        let mut above = MODULUS_LE;
        above[0] = 2;
        assert_eq!(MontFr::from_node(&above), None);
        assert_eq!(MontFr::from_u64(12345).to_fr(), Fr::from(12345u64));
    }

    #[test]
    fn arithmetic_on_edge_values_matches_blstrs() {
        let values = edge_values();
        for a in &values {
            for b in &values {
                let (ma, mb) = (MontFr::from_fr(a), MontFr::from_fr(b));
                assert_eq!(ma.mul(&mb).to_fr(), a.mul(b), "{a:?} · {b:?}");
                assert_eq!(ma.add(&mb).to_fr(), a.add(b), "{a:?} + {b:?}");
            }
            let ma = MontFr::from_fr(a);
            assert_eq!(ma.square().to_fr(), a.square());
            assert_eq!(ma.pow5().to_fr(), a.pow_vartime([5]));
        }
    }

    #[test]
    fn dot_of_the_largest_values_matches_blstrs() {
        // 37 terms of (r − 1)·(r − 1): the largest unreduced sum dot_scaled must handle.
        let max = Fr::ONE.neg();
        for len in [1usize, 2, 3, 9, 12, 37] {
            let cs = vec![MontFr::from_fr(&max).scaled_for_dot(); len];
            let xs = vec![MontFr::from_fr(&max); len];
            let expected = (0..len).fold(Fr::ZERO, |acc, _| acc.add(max.mul(max)));
            assert_eq!(dot_scaled(&cs, &xs).to_fr(), expected, "{len} terms");
        }
    }

    fn any_fr() -> impl Strategy<Value = Fr> {
        prop_oneof![
            any::<[u8; 32]>().prop_map(|mut b| {
                b[31] &= 0x7f;
                Option::from(Fr::from_bytes_le(&b)).unwrap_or(Fr::ONE.neg())
            }),
            any::<u64>().prop_map(|x| Fr::ONE.neg().add(Fr::from(x).neg())),
            prop::sample::select(edge_values()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn mul_add_square_match_blstrs(a in any_fr(), b in any_fr()) {
            let (ma, mb) = (MontFr::from_fr(&a), MontFr::from_fr(&b));
            prop_assert_eq!(ma.mul(&mb).to_fr(), a.mul(b));
            prop_assert_eq!(ma.add(&mb).to_fr(), a.add(b));
            prop_assert_eq!(ma.square().to_fr(), a.square());
            prop_assert_eq!(ma.to_node(), node_from_fr(&a));
        }

        #[test]
        fn node_decoding_matches_blstrs(node in any::<[u8; 32]>()) {
            let fr: Option<Fr> = Fr::from_bytes_le(&node).into();
            prop_assert_eq!(MontFr::from_node(&node).map(|m| m.to_fr()), fr);
        }

        #[test]
        fn dot_matches_blstrs(terms in proptest::collection::vec((any_fr(), any_fr()), 1..38)) {
            let cs: Vec<MontFr> = terms.iter().map(|(c, _)| MontFr::from_fr(c).scaled_for_dot()).collect();
            let xs: Vec<MontFr> = terms.iter().map(|(_, x)| MontFr::from_fr(x)).collect();
            let expected = terms.iter().fold(Fr::ZERO, |acc, (c, x)| acc.add(c.mul(x)));
            prop_assert_eq!(dot_scaled(&cs, &xs).to_fr(), expected);
        }
    }
}
