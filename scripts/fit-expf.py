#!/usr/bin/env python3
"""Fits the polynomial of the fast float32 exp (assembly/math/expf.ts).

e^r = 1 + r + r^2 (Q0 + Q1 r + Q2 r^2 + Q3 r^3 + Q4 r^4) on |r| <= ln2/2: least squares of the
relative error on 400 Chebyshev nodes (near-minimax), coefficients rounded to float32, then the
relative error of the rounded polynomial is measured on 20001 points against mpmath.
Run: python3 scripts/fit-expf.py
"""
import mpmath
import numpy as np
from mpmath import mp, mpf

mp.dps = 50
a = float(mpmath.log(2) / 2)
N = 400
r = a * np.cos(np.pi * (np.arange(N) + 0.5) / N)
target = np.array([float((mpmath.exp(mpf(x)) - 1 - mpf(x)) / mpf(x) ** 2) for x in r])
w = r ** 2 / np.exp(r)  # turns the error of q into the relative error of e^r
A = np.vstack([r ** k for k in range(5)]).T
c, *_ = np.linalg.lstsq(A * w[:, None], target * w, rcond=None)
c32 = [float(np.float32(x)) for x in c]
xs = np.linspace(-a, a, 20001)
p = 1 + xs + xs ** 2 * (c32[0] + xs * (c32[1] + xs * (c32[2] + xs * (c32[3] + xs * c32[4]))))
exact = np.array([float(mpmath.exp(mpf(x))) for x in xs])
err = np.max(np.abs(p / exact - 1))
print(f"max relative error {err:.3e} (2^{np.log2(err):.2f})")
for k, x in enumerate(c32):
    print(f"Q{k} = {x!r}  (0x{np.float32(x).view(np.uint32):08x})")
