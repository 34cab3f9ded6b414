//! The Poseidon permutation: the plain rounds (the definition) and the optimized rounds (the
//! same function, fewer multiplications).
//!
//! Plain round r: add the round's constants to every element, apply x^5 to every element (full
//! round) or to state[0] only (partial round), multiply by the MDS matrix. R_F/2 full rounds,
//! R_P partial rounds, R_F/2 full rounds. The digest is state[1].

use std::ops::{AddAssign, Mul, MulAssign};

use ff::Field;

use super::constants::{HALF_FULL_ROUNDS, Optimized, PoseidonConstants, SparseMatrix};
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

/// The permutation with the optimized round structure, on a state of width `W`; falls back to
/// the plain rounds if the constants have no optimized form or another width.
#[inline]
pub(crate) fn permute<const W: usize>(state: &mut [Fr; W], constants: &PoseidonConstants) {
    match constants.optimized() {
        Some(optimized) if constants.width() == W => permute_optimized(state, constants, optimized),
        _ => permute_plain(state, constants),
    }
}

fn permute_optimized<const W: usize>(
    state: &mut [Fr; W],
    constants: &PoseidonConstants,
    optimized: &Optimized,
) {
    let mds = constants.mds();
    let first_full = optimized.first_full_constants.chunks_exact(W);
    let rounds_before_pre_sparse = HALF_FULL_ROUNDS.saturating_sub(1);
    for (round, round_constants) in first_full.enumerate() {
        add_constants_and_sbox(state, round_constants);
        if round < rounds_before_pre_sparse {
            mix_rows(state, mds.iter().map(Vec::as_slice));
        } else {
            mix_rows(state, optimized.pre_sparse.chunks_exact(W));
        }
    }
    for (c, sparse) in optimized.partial_constants.iter().zip(&optimized.sparse) {
        if let Some(first) = state.first_mut() {
            first.add_assign(c);
            quintic(first);
        }
        mix_sparse(state, sparse);
    }
    for round_constants in optimized.last_full_constants.chunks_exact(W) {
        add_constants_and_sbox(state, round_constants);
        mix_rows(state, mds.iter().map(Vec::as_slice));
    }
}

#[inline(always)]
fn add_constants_and_sbox<const W: usize>(state: &mut [Fr; W], round_constants: &[Fr]) {
    for (x, c) in state.iter_mut().zip(round_constants) {
        x.add_assign(c);
        quintic(x);
    }
}

/// state ← M · state, M given by its rows.
#[inline(always)]
fn mix_rows<'a, const W: usize>(state: &mut [Fr; W], rows: impl Iterator<Item = &'a [Fr]>) {
    let mut out = [Fr::ZERO; W];
    for (o, row) in out.iter_mut().zip(rows) {
        for (m, x) in row.iter().zip(state.iter()) {
            o.add_assign(m.mul(x));
        }
    }
    *state = out;
}

/// state ← A · state for A = identity except its first row and column.
#[inline(always)]
fn mix_sparse<const W: usize>(state: &mut [Fr; W], sparse: &SparseMatrix) {
    let Some((x0, rest)) = state.split_first_mut() else {
        return;
    };
    let old0 = *x0;
    let mut new0 = old0.mul(sparse.row.first().unwrap_or(&Fr::ZERO));
    for (m, x) in sparse.row.iter().skip(1).zip(rest.iter()) {
        new0.add_assign(m.mul(x));
    }
    for (x, c) in rest.iter_mut().zip(&sparse.column) {
        x.add_assign(c.mul(&old0));
    }
    *x0 = new0;
}
