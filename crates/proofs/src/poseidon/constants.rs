//! Poseidon parameters for one arity, derived exactly as neptune derives them.
//!
//! - Width t = arity + 1; S-box x^5; R_F = 8 full rounds; R_P partial rounds from neptune's
//!   `round_numbers` for 128-bit security (`Strength::Standard`).
//! - Round constants: (R_F + R_P)·t field elements from the Grain LFSR of the Poseidon
//!   reference script (`generate_parameters_grain.sage`) with field = 1 (prime field), S-box
//!   id = 1, field size = 255 bits: 80 bits of header, 160 discarded outputs, self-shrinking
//!   output; each candidate is 255 bits read big-endian, drawn again while ≥ r.
//! - MDS: the t × t Cauchy matrix `M[i][j] = 1 / (i + (t + j))`.
//! - Merkle-tree domain tag 2^arity − 1 in state[0] (neptune `HashType::MerkleTree`).
//!
//! From those, [`PoseidonConstants`] also precomputes the equivalent faster round structure
//! (the "optimized" Poseidon of the paper's appendix B, as neptune does in its default mode):
//! the round constants of the partial rounds are pushed forward through the linear layer so
//! that each partial round adds one constant, and each partial round's MDS matrix is factored
//! into a sparse matrix (dense first row and column, identity elsewhere) and a block-diagonal
//! part that commutes with the partial S-box and is folded into the previous round. A partial
//! round then costs 2t − 1 multiplications instead of t².

use std::ops::{Add, Mul, Sub};
use std::sync::OnceLock;

use ff::Field;

use super::field::MontFr;
use super::matrix::{self, Matrix};
use crate::fr::Fr;

/// Full rounds (R_F), half before and half after the partial rounds.
pub const FULL_ROUNDS: usize = 8;
pub(crate) const HALF_FULL_ROUNDS: usize = FULL_ROUNDS / 2;

/// Declares the supported arities once: their R_P (neptune `round_numbers`, `Strength::Standard`,
/// t = arity + 1), a lazily derived, process-wide copy of each arity's constants, and the lookups.
macro_rules! supported_arities {
    ($( $cached:ident: $arity:literal => $rp:literal ),* $(,)?) => {
        /// The arities this module hashes: 2, 4 and 8 (tree nodes), 11 (TreeC columns of
        /// 11-layer sectors), and neptune's other standard arities 16, 24 and 36.
        pub const SUPPORTED_ARITIES: &[usize] = &[$($arity),*];

        /// The partial-round count R_P for `arity`, if the arity is supported.
        pub fn partial_rounds(arity: usize) -> Option<usize> {
            match arity {
                $($arity => Some($rp),)*
                _ => None,
            }
        }

        /// The constants for `arity`, derived on first use and then shared, or `None` if the
        /// arity is not supported.
        pub fn constants(arity: usize) -> Option<&'static PoseidonConstants> {
            match arity {
                $($arity => Some($cached()),)*
                _ => None,
            }
        }

        $(
            pub(crate) fn $cached() -> &'static PoseidonConstants {
                static CONSTANTS: OnceLock<PoseidonConstants> = OnceLock::new();
                CONSTANTS.get_or_init(|| PoseidonConstants::derive($arity, $rp))
            }
        )*
    };
}

supported_arities!(
    arity2: 2 => 55,
    arity4: 4 => 56,
    arity8: 8 => 57,
    arity11: 11 => 57,
    arity16: 16 => 59,
    arity24: 24 => 59,
    arity36: 36 => 60,
);

/// Grain parameters fixed by neptune for BLS12-381: prime field, S-box id 1, 255-bit field.
const GRAIN_FIELD: u128 = 1;
const GRAIN_SBOX: u128 = 1;
const FIELD_BITS: u32 = 255;

/// Everything needed to hash with one arity.
#[derive(Debug, Clone)]
pub struct PoseidonConstants {
    arity: usize,
    width: usize,
    partial_rounds: usize,
    domain_tag: Fr,
    mont_domain_tag: MontFr,
    /// (R_F + R_P) rounds of `width` constants, in round order.
    round_constants: Vec<Fr>,
    /// The MDS matrix, row-major.
    mds: Matrix,
    /// The same permutation with sparse partial rounds, in the form the hash uses; `None` only
    /// if a matrix that must be invertible was not (never for the supported arities, which
    /// tests check), in which case hashing falls back to the plain rounds.
    rounds: Option<MontRounds>,
}

/// The optimized round structure (see the module documentation), as derived.
#[derive(Debug, Clone)]
struct Optimized {
    /// Constants of the first R_F/2 full rounds, `width` each (unchanged).
    first_full_constants: Vec<Fr>,
    /// The matrix of the last full round before the partial rounds, row-major `width²`.
    pre_sparse: Vec<Fr>,
    /// One constant per partial round, added to state[0] before its S-box.
    partial_constants: Vec<Fr>,
    /// One sparse matrix per partial round.
    sparse: Vec<SparseMatrix>,
    /// Constants of the last R_F/2 full rounds, `width` each; the first round absorbs what the
    /// partial rounds pushed forward.
    last_full_constants: Vec<Fr>,
}

/// [`Optimized`] converted once for [`super::field`]: every constant in Montgomery form, and
/// the operands of dot products (matrix rows) pre-scaled for [`super::field::dot_scaled`].
#[derive(Debug, Clone)]
pub(crate) struct MontRounds {
    pub(crate) first_full_constants: Vec<MontFr>,
    /// The MDS matrix, row-major, scaled.
    pub(crate) mds: Vec<MontFr>,
    /// [`Optimized::pre_sparse`], scaled.
    pub(crate) pre_sparse: Vec<MontFr>,
    pub(crate) partial_constants: Vec<MontFr>,
    /// The sparse matrices' first rows (scaled), `width` entries per round.
    pub(crate) sparse_rows: Vec<MontFr>,
    /// The sparse matrices' first columns without their first entry (not scaled), `width − 1`
    /// entries per round.
    pub(crate) sparse_columns: Vec<MontFr>,
    pub(crate) last_full_constants: Vec<MontFr>,
}

impl MontRounds {
    fn new(mds: &Matrix, optimized: &Optimized) -> Self {
        let plain = |v: &[Fr]| v.iter().map(MontFr::from_fr).collect::<Vec<_>>();
        let scaled = |v: &[Fr]| {
            v.iter()
                .map(|x| MontFr::from_fr(x).scaled_for_dot())
                .collect::<Vec<_>>()
        };
        let rows: Vec<Fr> = optimized
            .sparse
            .iter()
            .flat_map(|s| s.row.clone())
            .collect();
        let columns: Vec<Fr> = optimized
            .sparse
            .iter()
            .flat_map(|s| s.column.clone())
            .collect();
        Self {
            first_full_constants: plain(&optimized.first_full_constants),
            mds: scaled(&mds.concat()),
            pre_sparse: scaled(&optimized.pre_sparse),
            partial_constants: plain(&optimized.partial_constants),
            sparse_rows: scaled(&rows),
            sparse_columns: plain(&columns),
            last_full_constants: plain(&optimized.last_full_constants),
        }
    }
}

/// A matrix equal to the identity except for its first row and first column.
#[derive(Debug, Clone)]
struct SparseMatrix {
    /// The first row (`width` entries).
    row: Vec<Fr>,
    /// The first column without its first entry (`width − 1` entries).
    column: Vec<Fr>,
}

impl PoseidonConstants {
    /// Derives the constants for `arity`, or `None` if the arity is not one of
    /// [`SUPPORTED_ARITIES`].
    ///
    /// Derivation takes a few milliseconds; [`constants`] keeps one copy per arity.
    pub fn new(arity: usize) -> Option<Self> {
        partial_rounds(arity).map(|rp| Self::derive(arity, rp))
    }

    fn derive(arity: usize, partial_rounds: usize) -> Self {
        let width = arity.saturating_add(1);
        let rounds = FULL_ROUNDS.saturating_add(partial_rounds);
        let round_constants =
            grain_round_constants(width, partial_rounds, rounds.saturating_mul(width));
        let mds = cauchy_mds(width);
        let optimized = optimize(width, partial_rounds, &round_constants, &mds);
        let domain_tag = merkle_domain_tag(arity);
        let rounds = optimized.map(|o| MontRounds::new(&mds, &o));
        Self {
            arity,
            width,
            partial_rounds,
            domain_tag,
            mont_domain_tag: MontFr::from_fr(&domain_tag),
            round_constants,
            mds,
            rounds,
        }
    }

    /// Inputs per hash.
    pub fn arity(&self) -> usize {
        self.arity
    }

    /// State size t = arity + 1.
    pub fn width(&self) -> usize {
        self.width
    }

    /// R_P.
    pub fn partial_rounds(&self) -> usize {
        self.partial_rounds
    }

    /// The Merkle-tree domain tag 2^arity − 1 placed in `state[0]`.
    pub fn domain_tag(&self) -> Fr {
        self.domain_tag
    }

    pub(crate) fn mont_domain_tag(&self) -> MontFr {
        self.mont_domain_tag
    }

    /// All round constants, `width` per round, in round order.
    pub fn round_constants(&self) -> &[Fr] {
        &self.round_constants
    }

    /// The MDS matrix, row by row.
    pub fn mds(&self) -> &[Vec<Fr>] {
        &self.mds
    }

    /// Whether the faster round structure could be derived (always, for supported arities).
    pub fn is_optimized(&self) -> bool {
        self.rounds.is_some()
    }

    pub(crate) fn rounds(&self) -> Option<&MontRounds> {
        self.rounds.as_ref()
    }
}

/// 2^arity − 1, the tag neptune's `HashType::MerkleTree` puts in state[0].
fn merkle_domain_tag(arity: usize) -> Fr {
    Fr::from(2u64).pow_vartime([arity as u64]).sub(Fr::ONE)
}

/// The Grain LFSR of the Poseidon reference script, as an 80-bit shift register (bit i of
/// `state` is b_i; b_0 is the oldest bit).
struct Grain {
    state: u128,
}

const GRAIN_BITS: u32 = 80;
const GRAIN_MASK: u128 = (1u128 << GRAIN_BITS) - 1;

impl Grain {
    fn new(width: usize, partial_rounds: usize) -> Self {
        // The header, most significant bit of each field first: field (2 bits), S-box (4),
        // field size (12), t (12), R_F (10), R_P (10), then 30 ones.
        let fields: [(u128, u32); 7] = [
            (GRAIN_FIELD, 2),
            (GRAIN_SBOX, 4),
            (u128::from(FIELD_BITS), 12),
            (width as u128, 12),
            (FULL_ROUNDS as u128, 10),
            (partial_rounds as u128, 10),
            ((1u128 << 30) - 1, 30),
        ];
        let mut grain = Self { state: 0 };
        let mut position = 0u32;
        for (value, bits) in fields {
            for i in (0..bits).rev() {
                let bit = (value >> i) & 1;
                grain.state |= bit << position;
                position = position.saturating_add(1);
            }
        }
        for _ in 0..160 {
            grain.step();
        }
        grain
    }

    /// b_{i+80} = b_{i+62} ⊕ b_{i+51} ⊕ b_{i+38} ⊕ b_{i+23} ⊕ b_{i+13} ⊕ b_i; shifts it in.
    fn step(&mut self) -> bool {
        let s = self.state;
        let new = ((s >> 62) ^ (s >> 51) ^ (s >> 38) ^ (s >> 23) ^ (s >> 13) ^ s) & 1;
        self.state = ((s >> 1) | (new << (GRAIN_BITS - 1))) & GRAIN_MASK;
        new == 1
    }

    /// Self-shrinking output: bits come in pairs; a pair starting with 1 outputs its second
    /// bit, a pair starting with 0 is dropped.
    fn next_bit(&mut self) -> bool {
        while !self.step() {
            self.step();
        }
        self.step()
    }

    /// The next `FIELD_BITS`-bit candidate as a little-endian node.
    fn next_candidate(&mut self) -> [u8; 32] {
        let mut big_endian = [0u8; 32];
        let mut bits_left = FIELD_BITS;
        for (i, byte) in big_endian.iter_mut().enumerate() {
            // The first byte takes the bits that do not fill a whole byte (255 = 7 + 31·8).
            let bits = if i == 0 { FIELD_BITS % 8 } else { 8 };
            for _ in 0..bits.min(bits_left) {
                *byte = (*byte << 1) | u8::from(self.next_bit());
            }
            bits_left = bits_left.saturating_sub(bits);
        }
        big_endian.reverse();
        big_endian
    }
}

/// `count` round constants from the Grain LFSR for this width and R_P.
fn grain_round_constants(width: usize, partial_rounds: usize, count: usize) -> Vec<Fr> {
    let mut grain = Grain::new(width, partial_rounds);
    (0..count)
        .map(|_| {
            loop {
                if let Some(fr) = Option::from(Fr::from_bytes_le(&grain.next_candidate())) {
                    break fr;
                }
            }
        })
        .collect()
}

/// The Cauchy matrix `1 / (x_i + y_j)` with x_i = i and y_j = t + j (symmetric).
fn cauchy_mds(width: usize) -> Matrix {
    (0..width as u64)
        .map(|i| {
            (0..width as u64)
                .map(|j| {
                    let sum = Fr::from(i).add(Fr::from(width as u64).add(Fr::from(j)));
                    // i + t + j is between t and 3t − 2, never 0 mod r.
                    Option::from(sum.invert()).unwrap_or(Fr::ZERO)
                })
                .collect()
        })
        .collect()
}

/// Derives the optimized round structure; `None` if some factorization is impossible.
fn optimize(
    width: usize,
    partial_rounds: usize,
    constants: &[Fr],
    mds: &Matrix,
) -> Option<Optimized> {
    let rounds: Vec<&[Fr]> = constants.chunks_exact(width).collect();
    let (first_full, rest) = rounds.split_at_checked(HALF_FULL_ROUNDS)?;
    let (partial, last_full) = rest.split_at_checked(partial_rounds)?;
    if last_full.len() != HALF_FULL_ROUNDS {
        return None;
    }

    // Push each partial round's constants, except the one for state[0], past its S-box (which
    // leaves the other elements alone) and through its MDS matrix into the next round.
    let mut carry = vec![Fr::ZERO; width];
    let mut partial_constants = Vec::with_capacity(partial_rounds);
    for round in partial {
        let mut total: Vec<Fr> = round.iter().zip(&carry).map(|(c, k)| c.add(k)).collect();
        let first = total.first_mut()?;
        partial_constants.push(*first);
        *first = Fr::ZERO;
        carry = matrix::mul_vec(mds, &total);
    }
    let mut last_full_constants: Vec<Fr> = last_full.concat();
    for (c, k) in last_full_constants.iter_mut().zip(&carry) {
        *c = c.add(k);
    }

    // Factor the partial rounds' matrices from the last one backwards: N = A · B with A sparse
    // and B = diag(1, N̂); B commutes with the partial round before it, so it is folded into
    // that round's matrix, N_prev = B · M. What is left at the start multiplies the last full
    // round of the first half.
    let mut sparse = Vec::with_capacity(partial_rounds);
    let mut current = mds.clone();
    for _ in 0..partial_rounds {
        let (a, b_hat) = factor_sparse(&current)?;
        sparse.push(a);
        current = block_diag_times(&b_hat, mds)?;
    }
    sparse.reverse();

    Some(Optimized {
        first_full_constants: first_full.concat(),
        pre_sparse: current.concat(),
        partial_constants,
        sparse,
        last_full_constants,
    })
}

/// Splits N into A · diag(1, N̂): A has N's first column, first row (n00, n_row · N̂⁻¹) and the
/// identity elsewhere.
fn factor_sparse(n: &Matrix) -> Option<(SparseMatrix, Matrix)> {
    let (first_row, _) = n.split_first()?;
    let (n00, row_rest) = first_row.split_first()?;
    let column: Vec<Fr> = n
        .iter()
        .skip(1)
        .map(|row| row.first().copied())
        .collect::<Option<_>>()?;
    let n_hat = matrix::minor00(n);
    let n_hat_inv = matrix::invert(&n_hat)?;
    // w_j = Σ_i row_rest[i] · N̂⁻¹[i][j]
    let w = (0..row_rest.len()).map(|j| {
        row_rest
            .iter()
            .zip(&n_hat_inv)
            .fold(Fr::ZERO, |acc, (r, inv_row)| {
                acc.add(inv_row.get(j).map_or(Fr::ZERO, |x| r.mul(x)))
            })
    });
    let row = std::iter::once(*n00).chain(w).collect();
    Some((SparseMatrix { row, column }, n_hat))
}

/// diag(1, b_hat) · m.
fn block_diag_times(b_hat: &Matrix, m: &Matrix) -> Option<Matrix> {
    let (first, rest) = m.split_first()?;
    let rest = matrix::mul(b_hat, &rest.to_vec())?;
    Some(std::iter::once(first.clone()).chain(rest).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_be(fr: &Fr) -> String {
        fr.to_bytes_be()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// neptune's parameters/round_constants-1-1-255-9-8-57-….txt, the output of the Poseidon
    /// reference script for t = 9: 585 constants, first two and last shown.
    #[test]
    fn grain_matches_the_reference_script_for_width_9() {
        let rc = grain_round_constants(9, 57, 65 * 9);
        assert_eq!(rc.len(), 585);
        assert_eq!(
            hex_be(&rc[0]),
            "6ce90d12c4045fe08c3caddb776dd84ac52b4ae7e48cd49443984154f2f4c2f9"
        );
        assert_eq!(
            hex_be(&rc[1]),
            "0ccd9b480c84022b25a75b52c8e89d80b4fa6378d32e58f3a175504940bcec39"
        );
        assert_eq!(
            hex_be(&rc[2]),
            "513ad11016ab7bb8c7ce9ae51256040e062487edf7168d206ba1b86dfe963629"
        );
    }

    #[test]
    fn mds_is_symmetric_and_invertible() {
        for arity in SUPPORTED_ARITIES {
            let c = PoseidonConstants::new(*arity).unwrap();
            let m = c.mds();
            for (i, row) in m.iter().enumerate() {
                for (j, v) in row.iter().enumerate() {
                    assert_eq!(*v, m[j][i]);
                }
            }
            assert!(matrix::invert(&m.to_vec()).is_some());
            assert!(c.is_optimized(), "arity {arity}");
        }
    }

    #[test]
    fn sparse_factorization_reproduces_the_matrix() {
        let c = PoseidonConstants::new(4).unwrap();
        let m = c.mds().to_vec();
        let (a, b_hat) = factor_sparse(&m).unwrap();
        // Rebuild A densely and check A · diag(1, B̂) = M.
        let w = m.len();
        let dense_a: Matrix = (0..w)
            .map(|i| {
                (0..w)
                    .map(|j| match (i, j) {
                        (0, j) => a.row[j],
                        (i, 0) => a.column[i - 1],
                        (i, j) if i == j => Fr::ONE,
                        _ => Fr::ZERO,
                    })
                    .collect()
            })
            .collect();
        let identity: Matrix = (0..w)
            .map(|i| {
                (0..w)
                    .map(|j| if i == j { Fr::ONE } else { Fr::ZERO })
                    .collect()
            })
            .collect();
        let b = block_diag_times(&b_hat, &identity).unwrap();
        // block_diag_times(b_hat, I) is diag(1, B̂) itself.
        assert_eq!(matrix::mul(&dense_a, &b).unwrap(), m);
    }

    #[test]
    fn unsupported_arities_have_no_constants() {
        for arity in [0, 1, 3, 5, 12, 37, usize::MAX] {
            assert!(PoseidonConstants::new(arity).is_none(), "arity {arity}");
        }
    }
}
