//! How many times a miner wins an epoch's election: Lotus's `ElectionProof.ComputeWinCount`
//! (`chain/types/electionproof.go`, the spec's "Option 5"), bit for bit.
//!
//! All values are fixed point in Q.256 (an integer `v` stands for `v / 2^256`), with Go's
//! `big.Int` semantics, which Lotus relies on: [`Div`](https://pkg.go.dev/math/big#Int.Div) is
//! Euclidean division and `Rsh` of a negative number rounds towards −∞.
//!
//! 1. λ = ⌊(p·E) · 2^256 / P⌋ ([`lambda`]): the expected number of wins of a miner with power
//!    `p` out of a network total `P`, `E` being the expected leaders per epoch.
//! 2. pmf₀ = e^−λ ([`expneg`]), from a rational approximation: two polynomials in λ (8
//!    numerator and 14 denominator coefficients, Horner's method, each product shifted back
//!    by 256 bits), divided in Q.256. Lotus documents the error as < 3.4·10⁻³⁰ on
//!    [0, 1.725) and < 4.6·10⁻¹⁵ on [0, 5).
//! 3. The inverse Poisson CDF ([`Poisson`]): icdf₀ = 1 − pmf₀, then for k = 1, 2, …:
//!    pmfₖ = ⌊⌊pmfₖ₋₁ / k⌋ · λ / 2^256⌋ and icdfₖ = icdfₖ₋₁ − pmfₖ, so icdfₖ = P(X > k) for
//!    X ~ Poisson(λ).
//! 4. x = BLAKE2b-256(VRF proof) read big-endian, a uniform value in [0, 1); the win count is
//!    the number of k with x < icdfₖ₋₁, stopping at `MaxWinCount = 3E` ([`win_count`]), i.e.
//!    `j = 0; while x < icdfⱼ and j < 3E: j += 1`.
//!
//! The mean win count is E·p/P, so the network expects E wins per epoch however the power is
//! split, and a miner's share of wins is its share of power.

use blake2::Blake2b;
use blake2::digest::Digest;
use blake2::digest::consts::U32;
use num_bigint::{BigInt, Sign};
use num_traits::{CheckedEuclid, Zero};

/// The fixed-point precision: values are Q.256.
pub const PRECISION: usize = 256;

/// Numerator coefficients of the e^−x approximation in Q.128, highest degree first (Lotus
/// `expNumCoef`). The constant term, 1.0 = 2^128, does not fit an `i128`: [`coefficients`]
/// appends it.
const EXP_NUM_Q128: [i128; 7] = [
    -648_770_010_757_830_093_818_553_637_600,
    67_469_480_939_593_786_226_847_644_286_976,
    -3_197_587_544_499_098_424_029_388_939_001_856,
    89_244_641_121_992_890_118_377_641_805_348_864,
    -1_579_656_163_641_440_567_800_982_336_819_953_664,
    17_685_496_037_279_256_458_459_817_590_917_169_152,
    -115_682_590_513_835_356_866_803_355_398_940_131_328,
];

/// Denominator coefficients in Q.128, highest degree first (Lotus `expDenoCoef`), without the
/// constant term 1.0.
const EXP_DEN_Q128: [u128; 13] = [
    1_225_524_182_432_722_209_606_361,
    114_095_592_300_906_098_243_859_450,
    5_665_570_424_063_336_070_530_214_243,
    194_450_132_448_609_991_765_137_938_448,
    5_068_267_641_632_683_791_026_134_915_072,
    104_716_890_604_972_796_896_895_427_629_056,
    1_748_338_658_439_454_459_487_681_798_864_896,
    23_704_654_329_841_312_470_660_182_937_960_448,
    259_380_097_567_996_910_282_699_886_670_381_056,
    2_250_336_698_853_390_384_720_606_936_038_375_424,
    14_978_272_436_876_548_034_486_263_159_246_028_800,
    72_144_088_983_913_131_323_343_765_784_380_833_792,
    224_599_776_407_103_106_596_571_252_037_123_047_424,
];

/// The most wins one election proof can draw: `3E` (Lotus `MaxWinCount`), saturating.
pub fn max_win_count(expected_leaders: u64) -> u64 {
    expected_leaders.saturating_mul(3)
}

/// 1.0 in Q.256.
pub fn one() -> BigInt {
    shl(BigInt::from(1u8), PRECISION)
}

/// λ = ⌊(p·E) · 2^256 / P⌋ in Q.256 (Lotus `lambda`): the expected wins of a miner with
/// `miner_power` out of `total_power`. `None` when `total_power` is 0 (no election).
pub fn lambda(miner_power: u128, total_power: u128, expected_leaders: u64) -> Option<BigInt> {
    let scaled = shl(
        mul(&BigInt::from(miner_power), &BigInt::from(expected_leaders)),
        PRECISION,
    );
    go_div(&scaled, &BigInt::from(total_power))
}

/// e^−x in Q.256 for `x` in Q.256 (Lotus `expneg`): the quotient of the two polynomials,
/// `⌊num(x) · 2^256 / den(x)⌋` with Go's Euclidean division. `None` only when the denominator
/// is 0, which cannot happen for x ≥ 0 (every denominator coefficient is positive).
pub fn expneg(x: &BigInt) -> Option<BigInt> {
    let (num, den) = coefficients();
    let num = shl(polyval(&num, x), PRECISION);
    go_div(&num, &polyval(&den, x))
}

/// The Q.256 numerator and denominator coefficients, highest degree first.
fn coefficients() -> (Vec<BigInt>, Vec<BigInt>) {
    let q256 = |c: BigInt| shl(c, PRECISION.saturating_sub(128));
    let num = EXP_NUM_Q128
        .iter()
        .map(|&c| q256(BigInt::from(c)))
        .chain(std::iter::once(one()))
        .collect();
    let den = EXP_DEN_Q128
        .iter()
        .map(|&c| q256(BigInt::from(c)))
        .chain(std::iter::once(one()))
        .collect();
    (num, den)
}

/// Horner's method in Q.256 (Lotus `polyval`): `r = c₀; r = (r·x >> 256) + cᵢ`.
fn polyval(coefficients: &[BigInt], x: &BigInt) -> BigInt {
    let mut iter = coefficients.iter();
    let first = iter.next().cloned().unwrap_or_default();
    iter.fold(first, |r, c| add(&mul_q(&r, x), c))
}

/// The inverse Poisson CDF of a rate λ in Q.256, one k at a time (Lotus `poiss`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poisson {
    lambda: BigInt,
    pmf: BigInt,
    icdf: BigInt,
    k: u64,
}

impl Poisson {
    /// Starts at k = 0: pmf = e^−λ, icdf = 1 − e^−λ. `None` when [`expneg`] is.
    pub fn new(lambda: BigInt) -> Option<Self> {
        let pmf = expneg(&lambda)?;
        let icdf = sub(&one(), &pmf);
        Some(Self {
            lambda,
            pmf,
            icdf,
            k: 0,
        })
    }

    /// P(X > k) in Q.256 for the current k.
    pub fn icdf(&self) -> &BigInt {
        &self.icdf
    }

    /// The current k.
    pub fn k(&self) -> u64 {
        self.k
    }

    /// Steps to k + 1: pmf = ⌊⌊pmf / (k+1)⌋ · λ / 2^256⌋, icdf −= pmf. Returns the new icdf.
    /// Stays put once k reaches `u64::MAX` (billions of years of 3E-bounded steps away).
    pub fn advance(&mut self) -> &BigInt {
        let Some(k) = self.k.checked_add(1) else {
            return &self.icdf;
        };
        self.k = k;
        // pmf / k with k ≥ 1 never divides by zero.
        let divided = go_div(&self.pmf, &BigInt::from(k)).unwrap_or_default();
        self.pmf = mul_q(&divided, &self.lambda);
        self.icdf = sub(&self.icdf, &self.pmf);
        &self.icdf
    }

    /// Whether the remaining steps can no longer change the icdf: pmf is 0, and 0 / k · λ
    /// stays 0.
    fn is_exhausted(&self) -> bool {
        self.pmf.is_zero()
    }
}

/// The first `n` values of the icdf sequence for λ: icdf₀, icdf₁, …, icdfₙ₋₁ (Lotus's
/// `TestPoissonFunction` golden files hold icdf₀ and 15 steps). Empty when `n` is 0 or
/// [`Poisson::new`] fails.
pub fn poisson_icdf_sequence(lambda: &BigInt, n: usize) -> Vec<BigInt> {
    let Some(mut poisson) = Poisson::new(lambda.clone()) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(n.min(1 << 16));
    if n == 0 {
        return out;
    }
    out.push(poisson.icdf().clone());
    for _ in 1..n {
        out.push(poisson.advance().clone());
    }
    out
}

/// The VRF output as an election draw: BLAKE2b-256 of the proof bytes, big-endian, a value
/// in [0, 1) of Q.256.
pub fn election_draw(vrf_proof: &[u8]) -> BigInt {
    let digest = Blake2b::<U32>::digest(vrf_proof);
    BigInt::from_bytes_be(Sign::Plus, &digest)
}

/// How many times the election proof `vrf_proof` wins for a miner with `miner_power` out of
/// `total_power` with `expected_leaders` (E) winners expected per epoch: Lotus's
/// `ComputeWinCount`. 0 when either power is 0; at most [`max_win_count`]`(E)`.
///
/// `expected_leaders` is a network constant (5): the loop runs at most 3E times.
/// A `miner_power` above `total_power` is computed as Lotus does (λ > E, still at most 3E
/// steps); validators only elect eligible miners, whose power is part of the total.
pub fn win_count(
    vrf_proof: &[u8],
    miner_power: u128,
    total_power: u128,
    expected_leaders: u64,
) -> u64 {
    if miner_power == 0 || total_power == 0 {
        return 0;
    }
    let Some(poisson) = lambda(miner_power, total_power, expected_leaders).and_then(Poisson::new)
    else {
        return 0;
    };
    wins_of_draw(
        &election_draw(vrf_proof),
        poisson,
        max_win_count(expected_leaders),
    )
}

/// `j = 0; while draw < icdfⱼ and j < max: j += 1`.
fn wins_of_draw(draw: &BigInt, mut poisson: Poisson, max: u64) -> u64 {
    let mut wins = 0u64;
    while wins < max && draw < poisson.icdf() {
        if poisson.is_exhausted() {
            // The icdf no longer moves: every remaining step wins too.
            return max;
        }
        poisson.advance();
        wins = wins.saturating_add(1);
    }
    wins
}

/// Go's `big.Int.Div`: Euclidean division (the remainder is never negative). `None` for a
/// zero divisor.
pub fn go_div(a: &BigInt, b: &BigInt) -> Option<BigInt> {
    a.checked_div_euclid(b)
}

// Q.256 arithmetic on `BigInt`. Multiplication, addition, subtraction and shifts of big
// integers cannot overflow or panic (only division can, and it goes through `go_div`); the
// arithmetic lint cannot see that for a non-primitive type, so it is allowed here only.

/// `(a · b) >> 256` with an arithmetic (flooring) shift, as Go's `Rsh`.
#[allow(clippy::arithmetic_side_effects)]
fn mul_q(a: &BigInt, b: &BigInt) -> BigInt {
    (a * b) >> PRECISION
}

#[allow(clippy::arithmetic_side_effects)]
fn mul(a: &BigInt, b: &BigInt) -> BigInt {
    a * b
}

#[allow(clippy::arithmetic_side_effects)]
fn add(a: &BigInt, b: &BigInt) -> BigInt {
    a + b
}

#[allow(clippy::arithmetic_side_effects)]
fn sub(a: &BigInt, b: &BigInt) -> BigInt {
    a - b
}

#[allow(clippy::arithmetic_side_effects)]
fn shl(a: BigInt, bits: usize) -> BigInt {
    a << bits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big(s: &str) -> BigInt {
        s.parse().unwrap()
    }

    #[test]
    fn coefficients_are_lotus_strings() {
        // expNumCoef / expDenoCoef exactly as in lotus chain/types/electionproof.go.
        let num = [
            "-648770010757830093818553637600",
            "67469480939593786226847644286976",
            "-3197587544499098424029388939001856",
            "89244641121992890118377641805348864",
            "-1579656163641440567800982336819953664",
            "17685496037279256458459817590917169152",
            "-115682590513835356866803355398940131328",
            "340282366920938463463374607431768211456",
        ];
        let den = [
            "1225524182432722209606361",
            "114095592300906098243859450",
            "5665570424063336070530214243",
            "194450132448609991765137938448",
            "5068267641632683791026134915072",
            "104716890604972796896895427629056",
            "1748338658439454459487681798864896",
            "23704654329841312470660182937960448",
            "259380097567996910282699886670381056",
            "2250336698853390384720606936038375424",
            "14978272436876548034486263159246028800",
            "72144088983913131323343765784380833792",
            "224599776407103106596571252037123047424",
            "340282366920938463463374607431768211456",
        ];
        let (n, d) = coefficients();
        let q256 = |s: &&str| big(s) << 128;
        assert_eq!(n, num.iter().map(q256).collect::<Vec<_>>());
        assert_eq!(d, den.iter().map(q256).collect::<Vec<_>>());
    }

    #[test]
    fn go_semantics_euclidean_division_and_flooring_shift() {
        // Go: new(big.Int).Div(-7, 2) = -4 (remainder 1); Div(7, -2) = -3 (remainder 1);
        // Div(-7, -2) = 4 (remainder 1).
        assert_eq!(go_div(&big("-7"), &big("2")), Some(big("-4")));
        assert_eq!(go_div(&big("7"), &big("-2")), Some(big("-3")));
        assert_eq!(go_div(&big("-7"), &big("-2")), Some(big("4")));
        assert_eq!(go_div(&big("7"), &big("2")), Some(big("3")));
        assert_eq!(go_div(&big("7"), &BigInt::zero()), None);
        // Go: Rsh(-3, 1) = -2, Rsh(-1, 256) = -1.
        assert_eq!(big("-3") >> 1usize, big("-2"));
        assert_eq!(mul_q(&big("-1"), &big("1")), big("-1"));
    }

    #[test]
    fn expneg_of_zero_is_one_and_lambda_scales() {
        assert_eq!(expneg(&BigInt::zero()), Some(one()));
        assert_eq!(lambda(1, 5, 5), Some(one()));
        assert_eq!(lambda(1, 0, 5), None);
        assert_eq!(lambda(0, 7, 5), Some(BigInt::zero()));
    }

    #[test]
    fn zero_power_never_wins() {
        for proof in [&[][..], &[0u8; 96][..], &[0xff; 96][..]] {
            assert_eq!(win_count(proof, 0, 100, 5), 0);
            assert_eq!(win_count(proof, 100, 0, 5), 0);
            assert_eq!(win_count(proof, 1, 1, 0), 0);
        }
    }

    #[test]
    fn lotus_lambda_5_golden_prefix() {
        // lotus chain/types/testdata/TestPoissonFunction/lam-5-0.golden, first 4 values (as
        // quoted in shared/reference/kat/kat_ec_wincount.py).
        let seq = poisson_icdf_sequence(&(BigInt::from(5u8) << PRECISION), 4);
        let golden = [
            "115011888277122352219705460287186602222085188670665840381425306072442950421456",
            "111110883476153136200377836679680074066161208695792222091263916395092054329056",
            "101358371473730096152058777660913753676351258758608176365860442201714814098056",
            "85104184803025029404860345962969886360001342196634766823521318546086080379726",
        ];
        assert_eq!(seq, golden.iter().map(|s| big(s)).collect::<Vec<_>>());
        assert!(poisson_icdf_sequence(&one(), 0).is_empty());
    }

    #[test]
    fn self_computed_examples_from_the_reference() {
        // shared/reference/kat/kat_ec_wincount.py: VRF proof = 96 zero bytes, E = 5.
        let proof = [0u8; 96];
        let got: Vec<u64> = [(1, 1), (1, 5), (1, 100), (20, 100)]
            .iter()
            .map(|&(p, t)| win_count(&proof, p, t, 5))
            .collect();
        assert_eq!(got, [7, 2, 0, 2]);
    }

    #[test]
    fn an_exhausted_pmf_wins_every_remaining_step() {
        // λ = 0: pmf₀ = 1, icdf₀ = 0, and a draw of −1 (below every icdf) then wins 3E.
        let poisson = Poisson::new(BigInt::zero()).unwrap();
        assert_eq!(poisson.icdf(), &BigInt::zero());
        let mut stepped = poisson.clone();
        assert!(!stepped.is_exhausted());
        stepped.advance();
        assert_eq!(stepped.k(), 1);
        assert!(stepped.is_exhausted());
        assert_eq!(wins_of_draw(&big("-1"), poisson, 15), 15);
    }
}
