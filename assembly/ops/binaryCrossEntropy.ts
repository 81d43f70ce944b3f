// Fast fused binaryCrossEntropyWithLogits for float32 (loss and gradient in one pass), built on
// float64 scalar math (assembly/math/scalar.ts) and rounded once to float32.

import { at, put, sigmoid64 } from '../math/scalar';

/**
 * binaryCrossEntropyWithLogits per element: loss = w·[pw·y·softplus(−x) + (1 − y)·softplus(x)]
 * (a zero coefficient adds nothing even against ∞) into lossOut (f64), and, when grad ≠ 0, the
 * gradient w·[(1 − y)·σ(x) − pw·y·σ(−x)]·scale. w and pw are f64 arrays already broadcast to n
 * (0 for none); gradScales f64 per element (or 0).
 */
export function bceWithLogitsF32(
  x: usize, y: usize, w: usize, pw: usize, lossOut: usize, grad: usize, n: i32,
  gradScale: f64, gradScales: usize, gradDivisor: f64,
): void {
  for (let i = 0; i < n; i++) {
    const v = at(x, i);
    const t = at(y, i);
    const wi = w ? load<f64>(w + (<usize>i << 3)) : 1.0;
    const p = pw ? load<f64>(pw + (<usize>i << 3)) : 1.0;
    const l = Math.log1p(Math.exp(-abs(v)));
    const pos = (v > 0 ? v : 0) + l; // softplus(x)
    const neg = (v < 0 ? -v : 0) + l; // softplus(−x)
    const py = p * t;
    const oy = 1.0 - t;
    let loss = (py != 0 ? py * neg : 0) + (oy != 0 ? oy * pos : 0);
    if (v != v) loss = NaN;
    store<f64>(lossOut + (<usize>i << 3), wi * loss);
    if (!grad) continue;
    const g = gradScale * (gradScales ? load<f64>(gradScales + (<usize>i << 3)) : 1.0) / gradDivisor;
    const s = sigmoid64(v);
    const sn = sigmoid64(-v);
    put(grad, i, wi * (oy * s - py * sn) * g);
  }
}
