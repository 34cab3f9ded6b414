//! Eight Poseidon hashes at once with AVX-512 IFMA: one hash per 64-bit lane.
//!
//! # The field
//!
//! [`Fe8`] holds eight field elements, limb k of every lane in vector k: five limbs of 52 bits
//! (radix 2^52, 260 bits), in Montgomery form with R = 2^260, so that `vpmadd52luq` /
//! `vpmadd52huq` (the low and high 52 bits of a 52 × 52-bit product, added to a 64-bit
//! accumulator) compute every partial product. IFMA reads only the low 52 bits of its
//! multiplicands, so every [`Fe8`] keeps its limbs below 2^52 ("normalized"); accumulators have
//! 12 spare bits and take up to 2^12 terms before a carry must be propagated.
//!
//! Values are not kept canonical but below 2r, which saves the final subtraction of every
//! product: with R = 2^260 > 16r, Montgomery multiplication of a, b < 4r gives
//! `(a·b + m·r)/R < 16r²/R + r < 2r`. The bounds the rounds rely on:
//!
//! - a product or square of operands below 4r is below 2r ([`mul`], [`square`]);
//! - a state element plus a round constant is below 3r ([`add_unreduced`]), a valid operand;
//! - a sum of two values below 2r is brought back below 2r by one conditional subtraction of
//!   2r ([`add_reduced`]);
//! - a dot product of at most [`MAX_WIDTH`] canonical constants with values below 2r is summed
//!   unreduced (below 24r² < R·r) and reduced once, to below 2r ([`dot`]).
//!
//! Values enter as canonical nodes (checked here) and leave as canonical nodes; nothing in
//! between is visible outside this module.
//!
//! # Safety
//!
//! Every function here is compiled for `avx512f` and `avx512ifma`; calling [`run`]
//! requires the CPU to have both, which the caller checks at run time. The module has no
//! `unsafe` of its own: vectors are built with `_mm512_set_epi64` and read back lane by lane.

use std::arch::x86_64::{
    __m512i, _mm256_extract_epi64, _mm512_add_epi64, _mm512_and_si512, _mm512_cmplt_epi64_mask,
    _mm512_extracti64x4_epi64, _mm512_madd52hi_epu64, _mm512_madd52lo_epu64,
    _mm512_mask_blend_epi64, _mm512_set_epi64, _mm512_set1_epi64, _mm512_setzero_si512,
    _mm512_srai_epi64, _mm512_srli_epi64, _mm512_sub_epi64,
};
use std::ops::Mul;
use std::sync::OnceLock;

use ff::Field;

use super::super::PoseidonError;
use super::super::constants::{self, HALF_FULL_ROUNDS, MontRounds, PoseidonConstants};
use super::super::field::MontFr;
use super::non_canonical;
use crate::fr::Fr;
use crate::hasher::Node;

/// Hashes per batch: one per 64-bit lane of a 512-bit vector.
pub(super) const LANES: usize = 8;

/// The widest state this module hashes (arity 11). [`dot`]'s unreduced sums rely on it.
pub(crate) const MAX_WIDTH: usize = 12;

/// One field element as five 52-bit limbs, little-endian.
pub(crate) type Limbs = [u64; 5];

const LIMB_MASK: u64 = (1 << 52) - 1;

/// r as 64-bit words, little-endian.
const MODULUS_WORDS: [u64; 4] = [
    0xffff_ffff_0000_0001,
    0x53bd_a402_fffe_5bfe,
    0x3339_d808_09a1_d805,
    0x73ed_a753_299d_7d48,
];

/// r in radix 2^52.
pub(crate) const MODULUS: Limbs = limbs_from_words(&MODULUS_WORDS);

/// 2r in radix 2^52 (below 2^256, so its top limb is below 2^48).
const TWICE_MODULUS: Limbs = {
    let r = MODULUS;
    let d0 = r[0] << 1;
    let d1 = (r[1] << 1) | (d0 >> 52);
    let d2 = (r[2] << 1) | (d1 >> 52);
    let d3 = (r[3] << 1) | (d2 >> 52);
    let d4 = (r[4] << 1) | (d3 >> 52);
    [
        d0 & LIMB_MASK,
        d1 & LIMB_MASK,
        d2 & LIMB_MASK,
        d3 & LIMB_MASK,
        d4,
    ]
};

/// −r⁻¹ mod 2^52. r ≡ 1 − 2^32 (mod 2^52), whose inverse is 1 + 2^32 since 2^64 ≡ 0.
pub(crate) const INV: u64 = (1 << 52) - 1 - (1 << 32);

/// The 256-bit value of four little-endian words, as five 52-bit limbs.
pub(crate) const fn limbs_from_words(w: &[u64; 4]) -> Limbs {
    [
        w[0] & LIMB_MASK,
        ((w[0] >> 52) | (w[1] << 12)) & LIMB_MASK,
        ((w[1] >> 40) | (w[2] << 24)) & LIMB_MASK,
        ((w[2] >> 28) | (w[3] << 36)) & LIMB_MASK,
        w[3] >> 16,
    ]
}

/// The inverse of [`limbs_from_words`], for values below 2^256 with normalized limbs.
pub(crate) const fn words_from_limbs(l: &Limbs) -> [u64; 4] {
    [
        l[0] | (l[1] << 52),
        (l[1] >> 12) | (l[2] << 40),
        (l[2] >> 24) | (l[3] << 28),
        (l[3] >> 36) | (l[4] << 16),
    ]
}

fn words_from_node(node: &Node) -> [u64; 4] {
    let (chunks, _) = node.as_chunks::<8>();
    let mut words = [0u64; 4];
    for (word, chunk) in words.iter_mut().zip(chunks) {
        *word = u64::from_le_bytes(*chunk);
    }
    words
}

fn node_from_words(words: &[u64; 4]) -> Node {
    let mut node = [0u8; 32];
    let (chunks, _) = node.as_chunks_mut::<8>();
    for (chunk, word) in chunks.iter_mut().zip(words) {
        *chunk = word.to_le_bytes();
    }
    node
}

/// `words − r` and whether it borrowed (`words < r`).
fn sub_modulus(words: &[u64; 4]) -> ([u64; 4], bool) {
    let mut out = [0u64; 4];
    let mut borrow = false;
    for ((o, w), m) in out.iter_mut().zip(words).zip(MODULUS_WORDS) {
        let (d, b1) = w.overflowing_sub(m);
        let (d, b2) = d.overflowing_sub(u64::from(borrow));
        *o = d;
        borrow = b1 | b2;
    }
    (out, borrow)
}

/// The limbs of a canonical node, or `None` if its value is not below r.
fn canonical_limbs(node: &Node) -> Option<Limbs> {
    let words = words_from_node(node);
    let (_, below) = sub_modulus(&words);
    below.then(|| limbs_from_words(&words))
}

/// The canonical node of a value at most r (one conditional subtraction).
fn node_from_limbs_at_most_r(limbs: &Limbs) -> Node {
    let words = words_from_limbs(limbs);
    let (reduced, below) = sub_modulus(&words);
    node_from_words(if below { &words } else { &reduced })
}

/// `x · 2^260 mod r` as limbs (a constant in this module's Montgomery form).
fn mont_limbs(x: &Fr) -> Limbs {
    let two_260 = Fr::from(2u64).pow_vartime([260]);
    limbs_from_words(&words_from_node(&x.mul(two_260).to_bytes_le()))
}

/// One arity's round constants in this module's form: [`MontRounds`] converted to radix 2^52
/// with R = 2^260, dot-product operands unscaled (the dot products here reduce by R).
pub(crate) struct BatchRounds {
    width: usize,
    domain_tag: Limbs,
    /// 2^520 mod r, plain: multiplying by it converts into Montgomery form.
    r_squared: Limbs,
    first_full: Vec<Limbs>,
    mds: Vec<Limbs>,
    pre_sparse: Vec<Limbs>,
    partial: Vec<Limbs>,
    sparse_rows: Vec<Limbs>,
    sparse_columns: Vec<Limbs>,
    last_full: Vec<Limbs>,
}

impl BatchRounds {
    fn new(c: &PoseidonConstants, rounds: &MontRounds) -> Self {
        let plain = |v: &[MontFr]| v.iter().map(|x| mont_limbs(&x.to_fr())).collect();
        // The scaled operands hold c·2^64; dividing by 2^64 gives back c.
        let two_64_inverse = Fr::from(2u64)
            .pow_vartime([64])
            .invert()
            .unwrap_or(Fr::ZERO);
        let unscaled = |v: &[MontFr]| {
            v.iter()
                .map(|x| mont_limbs(&x.to_fr().mul(two_64_inverse)))
                .collect()
        };
        let r_squared = Fr::from(2u64).pow_vartime([520]);
        Self {
            width: c.width(),
            domain_tag: mont_limbs(&c.domain_tag()),
            r_squared: limbs_from_words(&words_from_node(&r_squared.to_bytes_le())),
            first_full: plain(&rounds.first_full_constants),
            mds: unscaled(&rounds.mds),
            pre_sparse: unscaled(&rounds.pre_sparse),
            partial: plain(&rounds.partial_constants),
            sparse_rows: unscaled(&rounds.sparse_rows),
            sparse_columns: plain(&rounds.sparse_columns),
            last_full: plain(&rounds.last_full_constants),
        }
    }
}

/// Whether [`hash_groups`] hashes this arity (the others go through the scalar path).
pub(super) fn supports(arity: usize) -> bool {
    matches!(arity, 2 | 4 | 8 | 11)
}

/// The converted constants of a supported arity, derived on first use.
fn batch_rounds(arity: usize) -> Option<&'static BatchRounds> {
    static CACHE: [OnceLock<Option<BatchRounds>>; 4] = [const { OnceLock::new() }; 4];
    let slot = match arity {
        2 => 0,
        4 => 1,
        8 => 2,
        11 => 3,
        _ => return None,
    };
    CACHE
        .get(slot)?
        .get_or_init(|| {
            let c = constants::constants(arity)?;
            Some(BatchRounds::new(c, c.rounds()?))
        })
        .as_ref()
}

/// Eight field elements, one per lane (see the module documentation for the form and bounds).
#[derive(Clone, Copy)]
struct Fe8([__m512i; 5]);

/// Vectors of a double-width (ten-limb) product, accumulated unreduced.
type Wide = [__m512i; 10];

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn lo(acc: __m512i, a: __m512i, b: __m512i) -> __m512i {
    _mm512_madd52lo_epu64(acc, a, b)
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn hi(acc: __m512i, a: __m512i, b: __m512i) -> __m512i {
    _mm512_madd52hi_epu64(acc, a, b)
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn splat(limbs: &Limbs) -> Fe8 {
    Fe8(limbs.map(|l| _mm512_set1_epi64(l as i64)))
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn zero() -> Fe8 {
    Fe8([_mm512_setzero_si512(); 5])
}

/// Adds `a · b` to `t`, unreduced: 50 multiply-adds into columns `i + j` and `i + j + 1`.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn accumulate_product(t: &mut Wide, a: &[__m512i; 5], b: &[__m512i; 5]) {
    // One row per limb of b: limb j of a times b_i goes to columns i + j (low) and i + j + 1.
    macro_rules! row {
        ($bi:expr, $c0:literal, $c1:literal, $c2:literal, $c3:literal, $c4:literal, $c5:literal) => {
            t[$c0] = lo(t[$c0], a[0], $bi);
            t[$c1] = hi(t[$c1], a[0], $bi);
            t[$c1] = lo(t[$c1], a[1], $bi);
            t[$c2] = hi(t[$c2], a[1], $bi);
            t[$c2] = lo(t[$c2], a[2], $bi);
            t[$c3] = hi(t[$c3], a[2], $bi);
            t[$c3] = lo(t[$c3], a[3], $bi);
            t[$c4] = hi(t[$c4], a[3], $bi);
            t[$c4] = lo(t[$c4], a[4], $bi);
            t[$c5] = hi(t[$c5], a[4], $bi);
        };
    }
    row!(b[0], 0, 1, 2, 3, 4, 5);
    row!(b[1], 1, 2, 3, 4, 5, 6);
    row!(b[2], 2, 3, 4, 5, 6, 7);
    row!(b[3], 3, 4, 5, 6, 7, 8);
    row!(b[4], 4, 5, 6, 7, 8, 9);
}

/// `t · 2^−260 mod r` for `t < R·r` in unnormalized columns (each below 2^63): five Montgomery
/// steps, each clearing one column, then a carry propagation. The result is below
/// `t / R + r`, and normalized.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn reduce(mut t: Wide) -> Fe8 {
    let zero = _mm512_setzero_si512();
    let inv = _mm512_set1_epi64(INV as i64);
    let p = MODULUS.map(|l| _mm512_set1_epi64(l as i64));
    macro_rules! step {
        ($c0:literal, $c1:literal, $c2:literal, $c3:literal, $c4:literal, $c5:literal) => {
            // m = (t mod 2^52)·(−r⁻¹) mod 2^52 makes column c0 a multiple of 2^52.
            let m = lo(zero, t[$c0], inv);
            let low = lo(t[$c0], m, p[0]);
            t[$c1] = hi(t[$c1], m, p[0]);
            t[$c1] = lo(t[$c1], m, p[1]);
            t[$c2] = hi(t[$c2], m, p[1]);
            t[$c2] = lo(t[$c2], m, p[2]);
            t[$c3] = hi(t[$c3], m, p[2]);
            t[$c3] = lo(t[$c3], m, p[3]);
            t[$c4] = hi(t[$c4], m, p[3]);
            t[$c4] = lo(t[$c4], m, p[4]);
            t[$c5] = hi(t[$c5], m, p[4]);
            t[$c1] = _mm512_add_epi64(t[$c1], _mm512_srli_epi64::<52>(low));
        };
    }
    step!(0, 1, 2, 3, 4, 5);
    step!(1, 2, 3, 4, 5, 6);
    step!(2, 3, 4, 5, 6, 7);
    step!(3, 4, 5, 6, 7, 8);
    step!(4, 5, 6, 7, 8, 9);
    normalize([t[5], t[6], t[7], t[8], t[9]])
}

/// Propagates carries so that every limb is below 2^52 (the value must fit in 260 bits).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn normalize(mut a: [__m512i; 5]) -> Fe8 {
    let mask = _mm512_set1_epi64(LIMB_MASK as i64);
    macro_rules! carry {
        ($k:literal, $next:literal) => {
            a[$next] = _mm512_add_epi64(a[$next], _mm512_srli_epi64::<52>(a[$k]));
            a[$k] = _mm512_and_si512(a[$k], mask);
        };
    }
    carry!(0, 1);
    carry!(1, 2);
    carry!(2, 3);
    carry!(3, 4);
    Fe8(a)
}

/// `a · b`, below 2r for `a, b < 4r`.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn mul(a: &Fe8, b: &Fe8) -> Fe8 {
    let mut t = [_mm512_setzero_si512(); 10];
    accumulate_product(&mut t, &a.0, &b.0);
    reduce(t)
}

/// `a²`, below 2r for `a < 4r`: the ten products of distinct limbs once, doubled, then the five
/// squares (30 multiply-adds instead of 50).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn square(a: &Fe8) -> Fe8 {
    let a = &a.0;
    let mut t = [_mm512_setzero_si512(); 10];
    macro_rules! cross {
        ($i:literal, $j:literal, $c:literal, $d:literal) => {
            t[$c] = lo(t[$c], a[$i], a[$j]);
            t[$d] = hi(t[$d], a[$i], a[$j]);
        };
    }
    cross!(0, 1, 1, 2);
    cross!(0, 2, 2, 3);
    cross!(0, 3, 3, 4);
    cross!(0, 4, 4, 5);
    cross!(1, 2, 3, 4);
    cross!(1, 3, 4, 5);
    cross!(1, 4, 5, 6);
    cross!(2, 3, 5, 6);
    cross!(2, 4, 6, 7);
    cross!(3, 4, 7, 8);
    for x in t.iter_mut() {
        *x = _mm512_add_epi64(*x, *x);
    }
    cross!(0, 0, 0, 1);
    cross!(1, 1, 2, 3);
    cross!(2, 2, 4, 5);
    cross!(3, 3, 6, 7);
    cross!(4, 4, 8, 9);
    reduce(t)
}

/// `x^5` for `x < 4r`, below 2r.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn pow5(x: &Fe8) -> Fe8 {
    let x4 = square(&square(x));
    mul(&x4, x)
}

/// `a + b` without modular reduction (below 3r for `a < 2r`, `b < r`), normalized.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn add_unreduced(a: &Fe8, b: &Fe8) -> Fe8 {
    let mut s = a.0;
    for (s, b) in s.iter_mut().zip(b.0) {
        *s = _mm512_add_epi64(*s, b);
    }
    normalize(s)
}

/// `a + b` for `a, b < 2r`, brought back below 2r by subtracting 2r where the sum reaches it.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn add_reduced(a: &Fe8, b: &Fe8) -> Fe8 {
    let twice_r = splat(&TWICE_MODULUS);
    let mut sum = a.0;
    for (s, b) in sum.iter_mut().zip(b.0) {
        *s = _mm512_add_epi64(*s, b);
    }
    let mut difference = sum;
    for (d, r) in difference.iter_mut().zip(twice_r.0) {
        *d = _mm512_sub_epi64(*d, r);
    }
    // Signed carries: the top limb of the difference is negative exactly when sum < 2r.
    let mask = _mm512_set1_epi64(LIMB_MASK as i64);
    macro_rules! borrow {
        ($k:literal, $next:literal) => {
            difference[$next] =
                _mm512_add_epi64(difference[$next], _mm512_srai_epi64::<52>(difference[$k]));
            difference[$k] = _mm512_and_si512(difference[$k], mask);
        };
    }
    borrow!(0, 1);
    borrow!(1, 2);
    borrow!(2, 3);
    borrow!(3, 4);
    let sum = normalize(sum).0;
    let below = _mm512_cmplt_epi64_mask(difference[4], _mm512_setzero_si512());
    let mut out = difference;
    for (o, s) in out.iter_mut().zip(sum) {
        *o = _mm512_mask_blend_epi64(below, *o, s);
    }
    Fe8(out)
}

/// Σ `cs[i] · xs[i]` over the common length (at most [`MAX_WIDTH`] terms), with canonical
/// constants `cs` and `xs` below 2r: the products are summed unreduced (each column below
/// 2^60, the value below 24r² < R·r) and reduced once, to below 2r.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn dot(cs: &[Limbs], xs: &[Fe8]) -> Fe8 {
    let mut t = [_mm512_setzero_si512(); 10];
    for (c, x) in cs.iter().zip(xs).take(MAX_WIDTH) {
        accumulate_product(&mut t, &splat(c).0, &x.0);
    }
    reduce(t)
}

/// The permutation with the optimized round structure of the scalar path
/// ([`super::super::permutation`]), on eight states of width `W` at once.
#[target_feature(enable = "avx512f,avx512ifma")]
fn permute<const W: usize>(state: &mut [Fe8; W], k: &BatchRounds) {
    let rounds_before_pre_sparse = HALF_FULL_ROUNDS.saturating_sub(1);
    for (round, round_constants) in k.first_full.chunks_exact(W).enumerate() {
        add_constants_and_sbox(state, round_constants);
        if round < rounds_before_pre_sparse {
            mix_rows(state, &k.mds);
        } else {
            mix_rows(state, &k.pre_sparse);
        }
    }
    let sparse = k
        .sparse_rows
        .chunks_exact(W)
        .zip(k.sparse_columns.chunks_exact(W.saturating_sub(1)));
    for (c, (row, column)) in k.partial.iter().zip(sparse) {
        if let Some(first) = state.first_mut() {
            *first = pow5(&add_unreduced(first, &splat(c)));
        }
        mix_sparse(state, row, column);
    }
    for round_constants in k.last_full.chunks_exact(W) {
        add_constants_and_sbox(state, round_constants);
        mix_rows(state, &k.mds);
    }
}

#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn add_constants_and_sbox<const W: usize>(state: &mut [Fe8; W], round_constants: &[Limbs]) {
    for (x, c) in state.iter_mut().zip(round_constants) {
        *x = pow5(&add_unreduced(x, &splat(c)));
    }
}

/// state ← M · state, M row-major.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn mix_rows<const W: usize>(state: &mut [Fe8; W], rows: &[Limbs]) {
    let mut out = [zero(); W];
    for (o, row) in out.iter_mut().zip(rows.chunks_exact(W)) {
        *o = dot(row, state);
    }
    *state = out;
}

/// state ← A · state for A = identity except its first row and first column (below the
/// first entry).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn mix_sparse<const W: usize>(state: &mut [Fe8; W], row: &[Limbs], column: &[Limbs]) {
    let new0 = dot(row, state);
    let Some((x0, rest)) = state.split_first_mut() else {
        return;
    };
    for (x, c) in rest.iter_mut().zip(column) {
        *x = add_reduced(x, &mul(&splat(c), x0));
    }
    *x0 = new0;
}

/// The eight values of a vector, lane 0 first.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn lanes_of(v: __m512i) -> [u64; LANES] {
    let low = _mm512_extracti64x4_epi64::<0>(v);
    let high = _mm512_extracti64x4_epi64::<1>(v);
    [
        _mm256_extract_epi64::<0>(low) as u64,
        _mm256_extract_epi64::<1>(low) as u64,
        _mm256_extract_epi64::<2>(low) as u64,
        _mm256_extract_epi64::<3>(low) as u64,
        _mm256_extract_epi64::<0>(high) as u64,
        _mm256_extract_epi64::<1>(high) as u64,
        _mm256_extract_epi64::<2>(high) as u64,
        _mm256_extract_epi64::<3>(high) as u64,
    ]
}

/// The vector of eight values, lane 0 first.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn vector_of(l: &[u64; LANES]) -> __m512i {
    let [l0, l1, l2, l3, l4, l5, l6, l7] = l.map(|x| x as i64);
    _mm512_set_epi64(l7, l6, l5, l4, l3, l2, l1, l0)
}

/// Eight plain values (limb-major, lane-minor), converted into Montgomery form.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn to_montgomery(plain: &[[u64; LANES]; 5], r_squared: &Fe8) -> Fe8 {
    mul(&Fe8(plain.map(|l| vector_of(&l))), r_squared)
}

/// Eight values below 2r, out of Montgomery form, as canonical nodes.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn to_nodes(x: &Fe8) -> [Node; LANES] {
    let zero = _mm512_setzero_si512();
    let [x0, x1, x2, x3, x4] = x.0;
    // (x + m·r)/R ≤ r for x < 2r: one conditional subtraction remains.
    let plain = reduce([x0, x1, x2, x3, x4, zero, zero, zero, zero, zero]);
    let limbs = plain.0.map(|v| lanes_of(v));
    let mut nodes = [[0u8; 32]; LANES];
    for (lane, node) in nodes.iter_mut().enumerate() {
        let value = limbs.map(|l| l.get(lane).copied().unwrap_or(0));
        *node = node_from_limbs_at_most_r(&value);
    }
    nodes
}

/// Hashes `nodes.len() / arity` groups of `arity` nodes into `out` (one node per group; `out`
/// must have exactly that length), eight at a time, a partial last batch in padded lanes.
/// A non-canonical node is reported with its index in `nodes`. `arity` must satisfy
/// [`supports`]; others are reported as unsupported.
///
/// The CPU must support `avx512f` and `avx512ifma`.
#[target_feature(enable = "avx512f,avx512ifma")]
fn hash_groups(arity: usize, nodes: &[Node], out: &mut [Node]) -> Result<(), PoseidonError> {
    let unsupported = PoseidonError::UnsupportedArity { arity };
    let k = batch_rounds(arity).ok_or(unsupported.clone())?;
    match arity {
        2 => hash_groups_of_width::<3>(nodes, out, k),
        4 => hash_groups_of_width::<5>(nodes, out, k),
        8 => hash_groups_of_width::<9>(nodes, out, k),
        11 => hash_groups_of_width::<12>(nodes, out, k),
        _ => Err(unsupported),
    }
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn hash_groups_of_width<const W: usize>(
    nodes: &[Node],
    out: &mut [Node],
    k: &BatchRounds,
) -> Result<(), PoseidonError> {
    let arity = W.saturating_sub(1);
    if k.width != W || W > MAX_WIDTH || arity == 0 {
        return Err(PoseidonError::UnsupportedArity { arity });
    }
    let batch_nodes = arity.saturating_mul(LANES);
    let r_squared = splat(&k.r_squared);
    for (batch_index, (batch, digests)) in nodes
        .chunks(batch_nodes)
        .zip(out.chunks_mut(LANES))
        .enumerate()
    {
        // Inputs limb-major and lane-minor; absent lanes (a partial batch) hash zeros.
        let mut plain = [[[0u64; LANES]; 5]; W];
        let first_node = batch_index.saturating_mul(batch_nodes);
        for (lane, group) in batch.chunks_exact(arity).enumerate() {
            for (position, (slot, node)) in plain.iter_mut().skip(1).zip(group).enumerate() {
                let Some(limbs) = canonical_limbs(node) else {
                    let index = first_node
                        .saturating_add(lane.saturating_mul(arity))
                        .saturating_add(position);
                    return Err(non_canonical(index, node));
                };
                for (limb_lanes, limb) in slot.iter_mut().zip(limbs) {
                    if let Some(l) = limb_lanes.get_mut(lane) {
                        *l = limb;
                    }
                }
            }
        }
        let mut state = [splat(&k.domain_tag); W];
        for (x, p) in state.iter_mut().zip(&plain).skip(1) {
            *x = to_montgomery(p, &r_squared);
        }
        permute(&mut state, k);
        if let Some(digest) = state.get(1) {
            for (o, d) in digests.iter_mut().zip(to_nodes(digest)) {
                *o = d;
            }
        }
    }
    Ok(())
}

/// What [`run`] does: hash groups, or (for the tests) multiply field elements.
pub(super) enum Task<'a> {
    /// [`hash_groups`].
    Hash {
        arity: usize,
        nodes: &'a [Node],
        out: &'a mut [Node],
    },
    /// `a · b · 2^−260 mod r` (below 2r) on plain limbs, in every lane.
    #[cfg(test)]
    Mul {
        a: &'a [Limbs; LANES],
        b: &'a [Limbs; LANES],
        product: &'a mut [Limbs; LANES],
    },
}

/// Runs a task; the one entry point from code not compiled for IFMA.
///
/// The CPU must support `avx512f` and `avx512ifma`.
#[target_feature(enable = "avx512f,avx512ifma")]
pub(super) fn run(task: Task<'_>) -> Result<(), PoseidonError> {
    match task {
        Task::Hash { arity, nodes, out } => hash_groups(arity, nodes, out),
        #[cfg(test)]
        Task::Mul { a, b, product } => {
            let pack = |x: &[Limbs; LANES]| {
                let mut limbs = [[0u64; LANES]; 5];
                for (lane, value) in x.iter().enumerate() {
                    for (k, limb) in value.iter().enumerate() {
                        limbs[k][lane] = *limb;
                    }
                }
                Fe8(limbs.map(|l| vector_of(&l)))
            };
            let lanes = mul(&pack(a), &pack(b)).0.map(|v| lanes_of(v));
            *product = std::array::from_fn(|lane| lanes.map(|l| l[lane]));
            Ok(())
        }
    }
}
