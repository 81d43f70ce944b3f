// Fast fused cross-entropy for float32 logits with class-index targets (rows contiguous):
// loss_r = w_t·(log Σ e^(z − m) − (z_t − m)) and grad = w_t·(p − onehot(t))·scale in one sweep
// per row (max; exp-and-sum into grad; scale). The target's p_t − 1 is −S'/S at the max.

import { SCALE } from '../math/expf';
import { expStoreRest, expSumRest, logSum, MAX_COUNT, NEXT_MAX, ROW_G, rowMax, scaleRow } from './softmax';
import { crossEntropy4, SMALL_N } from './softmaxRows4';
import { SCALE_D, setRowD } from '../math/expd';
import { expStoreRestD, expSumRestD, fillRowD, logSumD, MAX_COUNT_D, rowMaxD, scaleRowD } from './softmaxF64';

/** A row that is ignored (loss 0, gradient 0) or not finite (NaN for both). */
function finishRow(lossOut: usize, r: i32, gr: usize, n: i32, v: f64): void {
  store<f64>(lossOut + (<usize>r << 3), v);
  if (!gr) return;
  if (v == 0) memory.fill(gr, 0, <usize>n << 2);
  else for (let i = 0; i < n; i++) store<f32>(gr + (<usize>i << 2), <f32>v);
}

/**
 * Per row r: target t = targets[r] (i32; ignoreIndex skips the row), weight w_t from classWeight
 * (f64 array, or 0 for none), gradScales f64 per row (or 0); scratch: n·8 bytes (e as
 * float64), n·48 when n ≤ SMALL_N (those rows go four at a time, see softmaxRows4.ts).
 * When grad ≠ 0 it receives the gradient scaled by gradScale·(gradScales ? gradScales[r] : 1)/gradDivisor.
 * lossOut receives every row's loss as float64 (0 for ignored rows); the caller sums them in
 * row order, so the total is the same bits however the rows were split across threads.
 */
export function crossEntropyF32(
  x: usize, targets: usize, rows: i32, n: i32, classWeight: usize, ignoreIndex: i32,
  lossOut: usize, grad: usize, gradScale: f64, gradScales: usize, gradDivisor: f64, scratch: usize,
): void {
  let r = 0;
  if (n <= SMALL_N) {
    for (; r + 4 <= rows; r += 4) {
      const off = (<usize>r * <usize>n) << 2;
      if (crossEntropy4(x + off, targets + (<usize>r << 2), n, classWeight, ignoreIndex, lossOut + (<usize>r << 3), grad ? grad + off : 0, gradScale, gradScales ? gradScales + (<usize>r << 3) : 0, gradDivisor, scratch)) continue;
      for (let j = r; j < r + 4; j++) crossEntropyRow(x, targets, j, n, classWeight, ignoreIndex, lossOut, grad, gradScale, gradScales, gradDivisor, scratch, NaN, 0);
    }
  }
  // each row's exp pass takes the next row's max on the way (NaN: not known, rowMax finds it)
  let m: f32 = NaN;
  for (; r < rows; r++) {
    const next = r + 1 < rows ? x + ((<usize>(r + 1) * <usize>n) << 2) : 0;
    m = crossEntropyRow(x, targets, r, n, classWeight, ignoreIndex, lossOut, grad, gradScale, gradScales, gradDivisor, scratch, m, next);
  }
}

/** Row r, with its max m if known (NaN if not: rowMax never gives NaN); returns `next`'s max if it took it on the way, else NaN. */
function crossEntropyRow(
  x: usize, targets: usize, r: i32, n: i32, classWeight: usize, ignoreIndex: i32,
  lossOut: usize, grad: usize, gradScale: f64, gradScales: usize, gradDivisor: f64, scratch: usize,
  m: f32, next: usize,
): f32 {
  const xr = x + ((<usize>r * <usize>n) << 2);
  const gr = grad + ((<usize>r * <usize>n) << 2);
  const t = load<i32>(targets + (<usize>r << 2));
  if (t == ignoreIndex) {
    finishRow(lossOut, r, grad ? gr : 0, n, 0);
    return NaN;
  }
  const wt: f64 = classWeight ? load<f64>(classWeight + (<usize>t << 3)) : 1.0;
  if (m != m) m = rowMax(xr, n);
  // a row whose max is not finite is NaN (with +∞, a NaN, or all −∞); a NaN shows in the sum
  if (m == Infinity || m == -Infinity) {
    finishRow(lossOut, r, grad ? gr : 0, n, NaN);
    return NaN;
  }
  // e (float64, e·G = e^(x − m)·2^100) is kept in scratch when a gradient is wanted
  const rest = grad ? expStoreRest(xr, scratch, n, m, next) : expSumRest(xr, n, m, next);
  const mNext = next ? NEXT_MAX : NaN;
  if (rest != rest) {
    finishRow(lossOut, r, grad ? gr : 0, n, NaN);
    return mNext;
  }
  const k = <f64>MAX_COUNT;
  const G = ROW_G;
  const l = logSum(rest);
  const xt = <f64>load<f32>(xr + (<usize>t << 2));
  const loss = wt * (l - (xt - <f64>m));
  store<f64>(lossOut + (<usize>r << 3), loss);
  if (!grad) return mNext;
  const g = gradScale * (gradScales ? load<f64>(gradScales + (<usize>r << 3)) : 1.0) * wt / gradDivisor;
  const sp = rest * G;
  const sTotal = k * SCALE + sp;
  const et = load<f64>(scratch + (<usize>t << 3)) * G;
  // 1 − p_t without cancellation: the other terms' share (S − e_t)/S; for the only max, S'/S
  const oneMinusPt = xt == <f64>m && k == 1 ? sp / sTotal : 1.0 - et / sTotal;
  scaleRow(scratch, gr, n, (g * G) / sTotal);
  store<f32>(gr + (<usize>t << 2), <f32>(-g * oneMinusPt));
  return mNext;
}

/**
 * The soft-target form, for probability targets (probs ≠ 0, f32 rows like x) or class indices
 * with label smoothing ε: y' = (1 − ε)·y + ε/C, loss_r = Σ_c w_c y'_c (log S − (x_c − m)) and
 * grad = scale·(p·Σ_c w_c y'_c − w ⊙ y') in the split form p (Y − wy) − wy (1 − p), in float64; a zero target term adds
 * nothing even where x_c = −∞ (0·log 0 = 0). Arguments as crossEntropyF32.
 */
export function crossEntropySoftF32(
  x: usize, targets: usize, probs: usize, rows: i32, n: i32, classWeight: usize, ignoreIndex: i32, eps: f64,
  lossOut: usize, grad: usize, gradScale: f64, gradScales: usize, gradDivisor: f64, scratch: usize,
): void {
  const keep = 1.0 - eps;
  const spread = eps / <f64>n;
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>n) << 2;
    const xr = x + off;
    const gr = grad + off;
    const pr = probs + off;
    const t = probs ? -1 : load<i32>(targets + (<usize>r << 2));
    if (!probs && t == ignoreIndex) {
      finishRow(lossOut, r, grad ? gr : 0, n, 0);
      continue;
    }
    const m = rowMax(xr, n);
    if (m == Infinity || m == -Infinity) {
      finishRow(lossOut, r, grad ? gr : 0, n, NaN);
      continue;
    }
    const rest = grad ? expStoreRest(xr, scratch, n, m) : expSumRest(xr, n, m);
    if (rest != rest) {
      finishRow(lossOut, r, grad ? gr : 0, n, NaN);
      continue;
    }
    const k = <f64>MAX_COUNT;
    const G = ROW_G;
    const sp = rest * G;
    const l = logSum(rest);
    const md = <f64>m;
    let big: f64 = 0; // Y = Σ w_c y'_c
    let loss: f64 = 0;
    for (let c = 0; c < n; c++) {
      const y = probs ? <f64>load<f32>(pr + (<usize>c << 2)) * keep + spread : c == t ? keep + spread : spread;
      const wy = classWeight ? load<f64>(classWeight + (<usize>c << 3)) * y : y;
      big += wy;
      if (wy != 0) loss += wy * (l - (<f64>load<f32>(xr + (<usize>c << 2)) - md));
    }
    store<f64>(lossOut + (<usize>r << 3), loss);
    if (!grad) continue;
    const g = gradScale * (gradScales ? load<f64>(gradScales + (<usize>r << 3)) : 1.0) / gradDivisor;
    const sTotal = k * SCALE + sp;
    for (let c = 0; c < n; c++) {
      const y = probs ? <f64>load<f32>(pr + (<usize>c << 2)) * keep + spread : c == t ? keep + spread : spread;
      const wy = classWeight ? load<f64>(classWeight + (<usize>c << 3)) * y : y;
      const ec = load<f64>(scratch + (<usize>c << 3)) * G;
      // p_c·Y − wy_c = p_c (Y − wy_c) − wy_c (1 − p_c), with 1 − p = S'/S at the only max: a
      // one-hot y gives the class-index gradient, exact where p rounds to 1
      const p = ec / sTotal;
      const omp = k == 1 && load<f32>(xr + (<usize>c << 2)) == m ? sp / sTotal : 1.0 - p;
      store<f32>(gr + (<usize>c << 2), <f32>(g * (p * (big - wy) - wy * omp)));
    }
  }
}

/** finishRow for float64 gradients. */
function finishRowD(lossOut: usize, r: i32, gr: usize, n: i32, v: f64): void {
  store<f64>(lossOut + (<usize>r << 3), v);
  if (gr) fillRowD(gr, n, v);
}

/**
 * crossEntropyF32's float64 twin (class-index targets; arguments as there, rows of f64): e is
 * stored straight into the gradient row and scaled there, so no scratch is needed. The loss is
 * w_t·(l − (x_t − m)) with x_t − m exact (TwoSum) and l = log Σ e^(x − m) from the rest sum.
 */
export function crossEntropyF64(
  x: usize, targets: usize, rows: i32, n: i32, classWeight: usize, ignoreIndex: i32,
  lossOut: usize, grad: usize, gradScale: f64, gradScales: usize, gradDivisor: f64,
): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>n) << 3);
    const gr = grad ? grad + ((<usize>r * <usize>n) << 3) : 0;
    const t = load<i32>(targets + (<usize>r << 2));
    if (t == ignoreIndex) {
      finishRowD(lossOut, r, gr, n, 0);
      continue;
    }
    const wt: f64 = classWeight ? load<f64>(classWeight + (<usize>t << 3)) : 1.0;
    const m = rowMaxD(xr, n);
    if (m != m || m == Infinity || m == -Infinity) {
      finishRowD(lossOut, r, gr, n, NaN);
      continue;
    }
    setRowD(m);
    const xt = load<f64>(xr + (<usize>t << 3));
    const sp = gr ? expStoreRestD(xr, gr, n) : expSumRestD(xr, n);
    const k = <f64>MAX_COUNT_D;
    const l = logSumD(sp);
    // x_t − m = dh + dl exactly; an x_t so far below m that dh is −∞ gives an infinite loss
    const dh = xt - m;
    const bb = dh - xt;
    const dl = (xt - (dh - bb)) + (-m - bb);
    const loss = wt * (dh == -Infinity ? Infinity : (l - dh) - dl);
    store<f64>(lossOut + (<usize>r << 3), loss);
    if (!gr) continue;
    const g = gradScale * (gradScales ? load<f64>(gradScales + (<usize>r << 3)) : 1.0) * wt / gradDivisor;
    const sTotal = k * SCALE_D + sp;
    const et = load<f64>(gr + (<usize>t << 3));
    // 1 − p_t without cancellation: the other terms' share S'/S at the only max
    const oneMinusPt = et == SCALE_D && k == 1 ? sp / sTotal : 1.0 - et / sTotal;
    scaleRowD(gr, gr, n, g / sTotal);
    store<f64>(gr + (<usize>t << 3), -g * oneMinusPt);
  }
}
