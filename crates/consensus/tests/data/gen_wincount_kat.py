#!/usr/bin/env python3
"""Generates the known answers of crates/consensus/tests/wincount_kat.rs from the independent
Python port of Lotus's ElectionProof.ComputeWinCount, shared/reference/kat/kat_ec_wincount.py.

Run from the workspace root (or pass the path of kat_ec_wincount.py):

    python3 crates/consensus/tests/data/gen_wincount_kat.py [../shared/reference/kat/kat_ec_wincount.py]

It prints Rust constants (marked `#[rustfmt::skip]` so that they stay as printed); the test
file holds a copy of its output."""
import importlib.util
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
default = os.path.join(here, '..', '..', '..', '..', '..', 'shared', 'reference', 'kat',
                       'kat_ec_wincount.py')
path = sys.argv[1] if len(sys.argv) > 1 else default
spec = importlib.util.spec_from_file_location('kat_ec_wincount', path)
kat = importlib.util.module_from_spec(spec)
spec.loader.exec_module(kat)
P = kat.P

# --- λ (Q.256) = gdiv((power * E) << 256, total) -------------------------------------------
LAMBDAS = [(1, 5, 1), (1, 1, 5), (1, 3, 5), (2, 1, 5), ((1 << 128) - 1, (1 << 128) - 1, 5),
           (1, (1 << 127) + 12345, 5)]
print('/// (miner power, total power, E, λ in Q.256) from kat_ec_wincount.py `gdiv((p·E) << 256, P)`.')
print('#[rustfmt::skip]')
print('const LAMBDA: &[(u128, u128, u64, &str)] = &[')
for p, t, e in LAMBDAS:
    print(f'    ({p}, {t}, {e}, "{kat.gdiv((p * e) << P, t)}"),')
print('];')

# --- e^-x (Q.256) ---------------------------------------------------------------------------
# x given as numerator/denominator: x = gdiv(n << 256, d).
EXPNEG = [(0, 1), (1, 10), (1, 5), (1, 2), (1, 1), (69, 40), (5, 2), (5, 1), (10, 1)]
print('/// (x numerator, x denominator, e^-x in Q.256) with x = (n << 256) / d, from kat_ec_wincount.py `expneg`.')
print('#[rustfmt::skip]')
print('const EXPNEG: &[(u64, u64, &str)] = &[')
for n, d in EXPNEG:
    print(f'    ({n}, {d}, "{kat.expneg(kat.gdiv(n << P, d))}"),')
print('];')

# --- inverse Poisson CDF sequences: icdf(0) and 15 steps, as Lotus's golden files ------------
SEQS = [
    ('LAMBDA_0_2', 'λ = 0.2 = (1 << 256) / 5', kat.gdiv(1 << P, 5)),
    ('LAMBDA_0_2_LOTUS', 'λ = 209714 · 2^236 ≈ 0.19999885 (Lotus lam-209714-20)', 209714 << (P - 20)),
    ('LAMBDA_1', 'λ = 1', 1 << P),
    ('LAMBDA_2_5', 'λ = 2.5 = (5 << 256) / 2', kat.gdiv(5 << P, 2)),
]
for name, doc, lam in SEQS:
    print(f'/// icdf sequence for {doc}, from kat_ec_wincount.py `icdf_seq(λ, 16)`.')
    print('#[rustfmt::skip]')
    print(f'const ICDF_{name}: [&str; 16] = [')
    for v in kat.icdf_seq(lam, 16):
        print(f'    "{v}",')
    print('];')

# --- win counts -------------------------------------------------------------------------------
INPUTS = [
    ('zeros', b'\0' * 96),
    ('counting', bytes(range(96))),
    ('ones', b'\xff' * 96),
    ('x5a', b'\x5a' * 96),
    ('empty', b''),
    ('reversed', bytes(range(95, -1, -1))),
    ('high', bytes(range(96, 192))),
]
POWERS = [(1, 1, 5), (1, 5, 5), (1, 100, 5), (20, 100, 5), (3, 7, 5), (2, 1, 5), (0, 1, 5),
          (1, 1 << 127, 5), (1 << 100, 1 << 101, 5), ((1 << 128) - 1, (1 << 128) - 1, 5),
          (1, 2, 1), (1, 1, 1), (7, 10, 10)]
print('/// (input name, miner power, total power, E, win count) from kat_ec_wincount.py `win_count`.')
print('#[rustfmt::skip]')
print('const WIN_COUNT: &[(&str, u128, u128, u64, u64)] = &[')
for name, data in INPUTS:
    for p, t, e in POWERS:
        print(f'    ("{name}", {p}, {t}, {e}, {kat.win_count(data, p, t, e)}),')
print('];')

# --- 2000 elections at p/P = 1/5, E = 5: VRF proof = u64_LE(i) --------------------------------
hist = [0] * 16
for i in range(2000):
    hist[kat.win_count(i.to_bytes(8, 'little'), 1, 5, 5)] += 1
print('/// Histogram of win counts of 2000 elections (VRF proof = u64_LE(i), p/P = 1/5, E = 5),')
print(f'/// from kat_ec_wincount.py `win_count`; total wins {sum(j * n for j, n in enumerate(hist))}.')
print('#[rustfmt::skip]')
print(f'const HISTOGRAM_2000: [u64; 16] = {hist};')
