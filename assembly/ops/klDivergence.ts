// Fast fused klDivergence for float32 (PyTorch's kl_div, pointwise loss and its gradient in one
// pass): float64 scalar log/exp from AssemblyScript's Math, losses kept in float64 for the caller's
// ordered sum, gradients rounded once to float32; non-finite arguments follow PyTorch's IEEE formula.

import { at, put } from '../math/scalar';

/**
 * log t − x for t = 1 + u near 1 (|u| < 2^−5, u exact), where a float32 x can agree with log t
 * to 2^−46 relative (t = 1 − 2^−23, x = RN(log t)) and Math.log's 2^−53 would not do: the series
 * log1p(u) = u − u²/2 + u³·(1/3 − u/4 + …) with (u − x) and u²/2 exact for float32 arguments.
 */
// @ts-ignore: decorator
@inline
function logMinusNear1(u: f64, x: f64): f64 {
  let tail: f64 = 0;
  for (let k = 18; k >= 3; k--) tail = 1.0 / <f64>k - u * tail;
  return ((u - x) - u * u * 0.5) + u * u * u * tail;
}

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
      const u = y - 1.0;
      if (finite && y > 0) loss = y * (abs(u) < 0.03125 ? logMinusNear1(u, v) : Math.log(y) - v);
      else loss = (y == 0 ? 0 : y * Math.log(y)) - y * v;
      dl = -y;
    }
    store<f64>(lossOut + (<usize>i << 3), loss);
    if (!grad) continue;
    const g = gradScale * (gradScales ? load<f64>(gradScales + (<usize>i << 3)) : 1.0) / gradDivisor;
    put(grad, i, dl * g);
  }
}
