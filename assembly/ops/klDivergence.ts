// Fast fused klDivergence for float32 (PyTorch's kl_div, pointwise loss and its gradient in one
// pass): float64 scalar log/exp from AssemblyScript's Math, losses kept in float64 for the caller's
// ordered sum, gradients rounded once to float32; non-finite arguments follow PyTorch's IEEE formula.

import { at, put } from '../math/scalar';

/**
 * Per element, x = input (log-probabilities), t = target:
 * loss = t·(log t − x) (0·log 0 = 0; non-finite x or t: xlogy(t, t) − t·x as PyTorch), or with
 * logTarget ≠ 0 e^t·(t − x) (0 where t = x; non-finite: exp(t)·(t − x)), into lossOut (f64);
 * and, when grad ≠ 0, the gradient −t (−e^t)·gradScale·gradScales[i]/gradDivisor.
 */
export function klDivergenceF32(
  x: usize, t: usize, logTarget: i32, lossOut: usize, grad: usize, n: i32,
  gradScale: f64, gradScales: usize, gradDivisor: f64,
): void {
  for (let i = 0; i < n; i++) {
    const v = at(x, i);
    const y = at(t, i);
    const finite = v - v == 0 && y - y == 0;
    let loss: f64;
    let dl: f64;
    if (logTarget) {
      const e = Math.exp(y);
      const d = y - v;
      loss = finite && d == 0 ? 0 : e * d;
      dl = -e;
    } else {
      loss = finite && y > 0 ? y * (Math.log(y) - v) : (y == 0 ? 0 : y * Math.log(y)) - y * v;
      dl = -y;
    }
    store<f64>(lossOut + (<usize>i << 3), loss);
    if (!grad) continue;
    const g = gradScale * (gradScales ? load<f64>(gradScales + (<usize>i << 3)) : 1.0) / gradDivisor;
    put(grad, i, dl * g);
  }
}
