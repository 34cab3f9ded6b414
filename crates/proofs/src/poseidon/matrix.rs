//! Small dense matrices over Fr, used once per arity to derive the optimized round structure.
//!
//! Row-major `Vec<Vec<Fr>>`; sizes are at most 37 × 37. Functions return `None` instead of
//! panicking when shapes do not fit or a matrix is singular.

use std::ops::{Add, Mul, Sub};

use ff::Field;

use crate::fr::Fr;

pub(crate) type Matrix = Vec<Vec<Fr>>;

/// `m · v` (column vector).
pub(crate) fn mul_vec(m: &[Vec<Fr>], v: &[Fr]) -> Vec<Fr> {
    m.iter().map(|row| dot(row, v)).collect()
}

/// `a · b`, or `None` if the shapes do not fit.
pub(crate) fn mul(a: &Matrix, b: &Matrix) -> Option<Matrix> {
    let columns = b.first()?.len();
    if a.iter().any(|row| row.len() != b.len()) || b.iter().any(|row| row.len() != columns) {
        return None;
    }
    let product = a
        .iter()
        .map(|row| {
            (0..columns)
                .map(|j| {
                    row.iter().zip(b).fold(Fr::ZERO, |acc, (x, b_row)| {
                        acc.add(b_row.get(j).map_or(Fr::ZERO, |y| x.mul(y)))
                    })
                })
                .collect()
        })
        .collect();
    Some(product)
}

/// `Σ row[i] · v[i]`.
pub(crate) fn dot(row: &[Fr], v: &[Fr]) -> Fr {
    row.iter()
        .zip(v)
        .fold(Fr::ZERO, |acc, (a, b)| acc.add(a.mul(b)))
}

/// The matrix without its first row and first column.
pub(crate) fn minor00(m: &Matrix) -> Matrix {
    m.iter()
        .skip(1)
        .map(|row| row.iter().skip(1).copied().collect())
        .collect()
}

/// The inverse of a square matrix by Gauss–Jordan elimination, or `None` if it is singular or
/// not square.
pub(crate) fn invert(m: &Matrix) -> Option<Matrix> {
    let n = m.len();
    if m.iter().any(|row| row.len() != n) {
        return None;
    }
    // Each row is [m_i | e_i]; elimination turns the left half into the identity.
    let mut rows: Matrix = m
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut augmented = row.clone();
            augmented.extend((0..n).map(|j| if i == j { Fr::ONE } else { Fr::ZERO }));
            augmented
        })
        .collect();
    for col in 0..n {
        let pivot = rows
            .iter()
            .enumerate()
            .skip(col)
            .find(|(_, row)| row.get(col).is_some_and(|v| !bool::from(v.is_zero())))?
            .0;
        rows.swap(col, pivot);
        let inverse: Fr = Option::from(rows.get(col)?.get(col)?.invert())?;
        let pivot_row: Vec<Fr> = rows.get(col)?.iter().map(|v| v.mul(&inverse)).collect();
        for (i, row) in rows.iter_mut().enumerate() {
            if i == col {
                row.clone_from(&pivot_row);
                continue;
            }
            let factor = *row.get(col)?;
            for (x, p) in row.iter_mut().zip(&pivot_row) {
                *x = x.sub(factor.mul(p));
            }
        }
    }
    rows.into_iter()
        .map(|row| row.get(n..).map(<[Fr]>::to_vec))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(rows: &[&[u64]]) -> Matrix {
        rows.iter()
            .map(|r| r.iter().map(|&x| Fr::from(x)).collect())
            .collect()
    }

    #[test]
    fn inverse_times_matrix_is_identity() {
        let a = m(&[&[2, 3, 5], &[7, 11, 13], &[17, 19, 23]]);
        let inv = invert(&a).unwrap();
        assert_eq!(
            mul(&a, &inv).unwrap(),
            m(&[&[1, 0, 0], &[0, 1, 0], &[0, 0, 1]])
        );
        assert_eq!(
            mul(&inv, &a).unwrap(),
            m(&[&[1, 0, 0], &[0, 1, 0], &[0, 0, 1]])
        );
    }

    #[test]
    fn singular_and_misshapen_matrices_are_refused() {
        assert!(invert(&m(&[&[1, 2], &[2, 4]])).is_none());
        assert!(invert(&m(&[&[1, 2, 3], &[4, 5, 6]])).is_none());
        assert!(mul(&m(&[&[1, 2]]), &m(&[&[1, 2]])).is_none());
    }

    #[test]
    fn pivoting_handles_a_zero_corner() {
        let a = m(&[&[0, 1], &[1, 0]]);
        assert_eq!(invert(&a).unwrap(), a);
    }
}
