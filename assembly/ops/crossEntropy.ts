// Fast fused cross-entropy for float32 logits with class-index targets (rows contiguous):
// loss_r = w_t·(log Σ e^(z − m) − (z_t − m)) and grad = w_t·(p − onehot(t))·scale in one sweep
// per row (max; exp-and-sum into grad; scale). The target's p_t − 1 is −S'/S at the max.

import { SCALE } from '../math/expf';
import { expSum, MAX_COUNT, rowMax, scaleRow } from './softmax';

/**
 * Per row r: target t = targets[r] (i32; ignoreIndex skips the row), weight w_t from classWeight
 * (f64 array, or 0 for none), gradScales f64 per row (or 0). scratch: n floats for the loss alone. Writes per-row losses to lossOut (f32, or 0 for none) and, when
 * grad ≠ 0, the gradient scaled by gradScale·(gradScales ? gradScales[r] : 1)/gradDivisor.
 * Returns the float64 sum of the losses of non-ignored rows (NaN for a non-finite row).
 */
export function crossEntropyF32(
  x: usize, targets: usize, rows: i32, n: i32, classWeight: usize, ignoreIndex: i32,
  lossOut: usize, grad: usize, gradScale: f64, gradScales: usize, gradDivisor: f64, scratch: usize,
): f64 {
  let total: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>n) << 2);
    const gr = grad + ((<usize>r * <usize>n) << 2);
    const t = load<i32>(targets + (<usize>r << 2));
    if (t == ignoreIndex) {
      if (lossOut) store<f32>(lossOut + (<usize>r << 2), 0);
      if (grad) memory.fill(gr, 0, <usize>n << 2);
      continue;
    }
    const wt: f64 = classWeight ? load<f64>(classWeight + (<usize>t << 3)) : 1.0;
    const m = rowMax(xr, n);
    if (m != m || m == Infinity || m == -Infinity) {
      if (lossOut) store<f32>(lossOut + (<usize>r << 2), NaN);
      if (grad) for (let i = 0; i < n; i++) store<f32>(gr + (<usize>i << 2), NaN);
      total = NaN;
      continue;
    }
    // e (scaled by 2^100) goes into the gradient's row, or into scratch for the loss alone
    const e = grad ? gr : scratch;
    const sp = expSum(xr, e, n, m, true);
    const k = <f64>MAX_COUNT;
    const rest = sp / SCALE;
    const l = k == 1 ? Math.log1p(rest) : Math.log(k + rest);
    const xt = <f64>load<f32>(xr + (<usize>t << 2));
    const loss = wt * (l - (xt - <f64>m));
    if (lossOut) store<f32>(lossOut + (<usize>r << 2), <f32>loss);
    total += loss;
    if (!grad) continue;
    const g = gradScale * (gradScales ? load<f64>(gradScales + (<usize>r << 3)) : 1.0) * wt / gradDivisor;
    const sTotal = k * SCALE + sp;
    const et = <f64>load<f32>(gr + (<usize>t << 2));
    // 1 − p_t without cancellation: the other terms' share (S − e_t)/S; for the only max, S'/S
    const oneMinusPt = et == SCALE && k == 1 ? sp / sTotal : 1.0 - et / sTotal;
    scaleRow(gr, gr, n, g / sTotal);
    store<f32>(gr + (<usize>t << 2), <f32>(-g * oneMinusPt));
  }
  return total;
}
