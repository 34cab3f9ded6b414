//! The Poseidon permutation: the plain rounds (the definition) and the optimized rounds (the
//! same function, fewer multiplications).
//!
//! Plain round r: add the round's constants to every element, apply x^5 to every element (full
//! round) or to state[0] only (partial round), multiply by the MDS matrix. R_F/2 full rounds,
//! R_P partial rounds, R_F/2 full rounds. The digest is state[1].

use std::ops::{AddAssign, Mul, MulAssign};

use super::constants::{HALF_FULL_ROUNDS, MontRounds, PoseidonConstants};
use super::field::{MontFr, dot_scaled};
use super::matrix;
use crate::fr::Fr;

/// x ← x^5.
///
/// Squares as multiplications: blst's Fr squaring measured ~40 ns against ~26 ns for a
/// multiplication on this machine (x86-64, ADX), which makes x^5 about 20 % faster.
#[inline(always)]
fn quintic(x: &mut Fr) {
    let x2 = x.mul(&*x);
    let x4 = x2.mul(&x2);
    x.mul_assign(&x4);
}

/// The permutation by its definition, on a state of any width (the reference the optimized
/// path is tested against).
pub(crate) fn permute_plain(state: &mut [Fr], constants: &PoseidonConstants) {
    let width = constants.width();
    let partial_end = HALF_FULL_ROUNDS.saturating_add(constants.partial_rounds());
    for (round, round_constants) in constants.round_constants().chunks_exact(width).enumerate() {
        state
            .iter_mut()
            .zip(round_constants)
            .for_each(|(x, c)| x.add_assign(c));
        let full = !(HALF_FULL_ROUNDS..partial_end).contains(&round);
        if full {
            state.iter_mut().for_each(quintic);
        } else if let Some(first) = state.first_mut() {
            quintic(first);
        }
        let mixed = matrix::mul_vec(constants.mds(), state);
        state.copy_from_slice(&mixed);
    }
}

/// The permutation with the optimized round structure, in [`MontFr`] arithmetic, on a state
/// of width `W`; falls back to the plain rounds if the constants have no optimized form or
/// another width (neither happens for the supported arities).
#[inline]
pub(crate) fn permute<const W: usize>(state: &mut [MontFr; W], constants: &PoseidonConstants) {
    match constants.rounds() {
        Some(rounds) if constants.width() == W => permute_optimized(state, rounds),
        _ => {
            let mut plain: Vec<Fr> = state.iter().map(MontFr::to_fr).collect();
            permute_plain(&mut plain, constants);
            for (x, p) in state.iter_mut().zip(&plain) {
                *x = MontFr::from_fr(p);
            }
        }
    }
}

fn permute_optimized<const W: usize>(state: &mut [MontFr; W], rounds: &MontRounds) {
    let first_full = rounds.first_full_constants.chunks_exact(W);
    let rounds_before_pre_sparse = HALF_FULL_ROUNDS.saturating_sub(1);
    for (round, round_constants) in first_full.enumerate() {
        add_constants_and_sbox(state, round_constants);
        if round < rounds_before_pre_sparse {
            mix_rows(state, &rounds.mds);
        } else {
            mix_rows(state, &rounds.pre_sparse);
        }
    }
    let sparse = rounds
        .sparse_rows
        .chunks_exact(W)
        .zip(rounds.sparse_columns.chunks_exact(W.saturating_sub(1)));
    for (c, (row, column)) in rounds.partial_constants.iter().zip(sparse) {
        if let Some(first) = state.first_mut() {
            *first = first.add(c).pow5();
        }
        mix_sparse(state, row, column);
    }
    for round_constants in rounds.last_full_constants.chunks_exact(W) {
        add_constants_and_sbox(state, round_constants);
        mix_rows(state, &rounds.mds);
    }
}

#[inline(always)]
fn add_constants_and_sbox<const W: usize>(state: &mut [MontFr; W], round_constants: &[MontFr]) {
    for (x, c) in state.iter_mut().zip(round_constants) {
        *x = x.add(c).pow5();
    }
}

/// state ← M · state, M given row-major with its entries scaled for [`dot_scaled`].
#[inline(always)]
fn mix_rows<const W: usize>(state: &mut [MontFr; W], scaled_rows: &[MontFr]) {
    let mut out = [MontFr::ZERO; W];
    for (o, row) in out.iter_mut().zip(scaled_rows.chunks_exact(W)) {
        *o = dot_scaled(row, state);
    }
    *state = out;
}

/// state ← A · state for A = identity except its first row (`scaled_row`, scaled for
/// [`dot_scaled`]) and first column (`column`, below the first entry).
#[inline(always)]
fn mix_sparse<const W: usize>(state: &mut [MontFr; W], scaled_row: &[MontFr], column: &[MontFr]) {
    let new0 = dot_scaled(scaled_row, state);
    let Some((x0, rest)) = state.split_first_mut() else {
        return;
    };
    for (x, c) in rest.iter_mut().zip(column) {
        *x = x.add(&c.mul(x0));
    }
    *x0 = new0;
}
