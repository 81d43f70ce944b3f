// Reference cross-entropy and nll kernels: per-row loss, gradient and the double-double sum of
// losses in one pass. Row r: logp_c = d_c − L with d_c = z_c − max and L = log1p(S'); the
// target's gradient p_t − 1 is −S'/S at the max, never 1 − (rounded p_t).

import type { FloatArray } from '../core/tensor.js';
import type { ClassLossArgs, DDSum } from '../backend/kernels.js';
import { R, TAIL, TINY, ddAdd, ddDiv, ddMul, ddMulD, expDD, log1pDD, roundF32, twoProd, twoSum } from './dd.js';
import { DH, DL, EH, EL, ROW_ARG, RowKind, SUM_H, SUM_L, rowExp, rowKind } from './softmax.js';
import { GRAD, storeGrad } from './lossGrad.js';

function fillRow(a: FloatArray, base: number, stride: number, n: number, v: number): void {
  for (let c = 0, k = base; c < n; c++, k += stride) a[k] = v;
}

/**
 * 1 − p_c for the current row without cancellation: S'/S at the argmax, where p rounds to 1;
 * elsewhere p_c ≤ 1/2 and the subtraction is exact enough. (sh, sl) = S.
 */
function oneMinusP(c: number, ph: number, pl: number, sh: number, sl: number): void {
  if (c === ROW_ARG) ddDiv(SUM_H, SUM_L, sh, sl);
  else {
    twoSum(1, -ph);
    R.lo -= pl;
  }
}

/** WY[c] = w_c y'_c of the current row as a double-double (soft targets), grown on demand. */
let WYH = new Float64Array(16);
let WYL = new Float64Array(16);

export function crossEntropy(a: ClassLossArgs): DDSum {
  const { input: x, index, probs, classWeight: w, ignoreIndex, labelSmoothing: eps, lossOut, grad } = a;
  const { outer, size: n, inner } = a.layout;
  const f32 = x instanceof Float32Array;
  const soft = probs !== null || eps > 0;
  // 1 − ε and ε/C as double-doubles.
  twoSum(1, -eps);
  const omeH = R.hi;
  const omeL = R.lo;
  ddDiv(eps, 0, n, 0);
  const ecH = R.hi;
  const ecL = R.lo;
  if (soft && WYH.length < n) {
    WYH = new Float64Array(n);
    WYL = new Float64Array(n);
  }
  let totH = 0;
  let totL = 0;
  GRAD.div = a.gradDivisor;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const r = o * inner + i;
      const base = o * n * inner + i;
      let t = -1;
      if (index !== null) {
        t = index[r];
        if (t === ignoreIndex) {
          if (lossOut !== null) lossOut[r] = 0;
          if (grad !== null) fillRow(grad, base, inner, n, 0);
          continue;
        }
      }
      GRAD.mul = a.gradScale * (a.gradScales !== null ? a.gradScales[r] : 1);
      const kind = rowKind(x, base, inner, n);
      if (kind !== RowKind.Finite) {
        if (lossOut !== null) lossOut[r] = NaN;
        if (grad !== null) fillRow(grad, base, inner, n, NaN);
        totH = NaN;
        continue;
      }
      rowExp(x, base, inner, n, 1);
      log1pDD(SUM_H, SUM_L);
      const lh = R.hi;
      const ll = R.lo;
      // Loss.
      let yh = 0; // Y = Σ_c w_c y'_c (soft targets)
      let yl = 0;
      let lossH: number;
      let lossL: number;
      if (!soft) {
        const wt = w !== null ? w[t] : 1;
        ddAdd(lh, ll, -DH[t], -DL[t]);
        ddMulD(R.hi, R.lo, wt);
        lossH = R.hi;
        lossL = R.lo;
      } else {
        let sh = 0;
        let sl = 0;
        for (let c = 0, k = base; c < n; c++, k += inner) {
          // y'_c = (1 − ε) y_c + ε/C, with y_c = [c = t] for class indices
          if (probs !== null) {
            ddMulD(omeH, omeL, probs[k]);
            ddAdd(R.hi, R.lo, ecH, ecL);
          } else if (c === t) ddAdd(omeH, omeL, ecH, ecL);
          else {
            R.hi = ecH;
            R.lo = ecL;
          }
          if (w !== null) ddMulD(R.hi, R.lo, w[c]);
          const wyh = R.hi;
          const wyl = R.lo;
          WYH[c] = wyh;
          WYL[c] = wyl;
          ddAdd(yh, yl, wyh, wyl);
          yh = R.hi;
          yl = R.lo;
          if (wyh !== 0) {
            ddAdd(lh, ll, -DH[c], -DL[c]);
            ddMul(R.hi, R.lo, wyh, wyl);
            ddAdd(sh, sl, R.hi, R.lo);
            sh = R.hi;
            sl = R.lo;
          }
        }
        lossH = sh;
        lossL = sl;
      }
      if (lossOut !== null) lossOut[r] = f32 ? roundF32(lossH, lossL) : lossH;
      ddAdd(totH, totL, lossH, lossL);
      totH = R.hi;
      totL = R.lo;
      if (grad === null) continue;
      // Gradient.
      twoSum(1, SUM_H);
      const sh = R.hi;
      const sl = R.lo + SUM_L;
      const wt = !soft && w !== null ? w[t] : 1;
      for (let c = 0, k = base; c < n; c++, k += inner) {
        if (EH[c] < TINY * sh && (soft ? WYH[c] === 0 : c !== t)) {
          // p_c is below 2^-1000 and its gradient is p_c times a factor: keep p_c·2^TAIL
          // in the normal range so the factor does not magnify a subnormal's rounding.
          expDD(DH[c], DL[c], TAIL);
          ddDiv(R.hi, R.lo, sh, sl);
          if (soft) ddMul(R.hi, R.lo, yh, yl);
          else ddMulD(R.hi, R.lo, wt);
          storeGrad(grad, f32, k, true);
          continue;
        }
        ddDiv(EH[c], EL[c], sh, sl);
        const ph = R.hi;
        const pl = R.lo;
        if (!soft) {
          // w_t (p_c − δ_ct); at the target p_t − 1 = −(1 − p_t).
          if (c === t) {
            oneMinusP(c, ph, pl, sh, sl);
            ddMulD(R.hi, R.lo, -wt);
          } else ddMulD(ph, pl, wt);
        } else {
          // p_c Y − wy_c = p_c (Y − wy_c) − wy_c (1 − p_c): for a one-hot y both terms vanish
          // exactly where p rounds to 1, so hard and one-hot targets give the same gradient.
          const wyh = WYH[c];
          const wyl = WYL[c];
          ddAdd(yh, yl, -wyh, -wyl);
          ddMul(R.hi, R.lo, ph, pl);
          const uh = R.hi;
          const ul = R.lo;
          oneMinusP(c, ph, pl, sh, sl);
          ddMul(R.hi, R.lo, wyh, wyl);
          ddAdd(uh, ul, -R.hi, -R.lo);
        }
        storeGrad(grad, f32, k);
      }
    }
  }
  return { hi: totH, lo: totH === totH ? totL : 0 };
}

export function nllLoss(a: ClassLossArgs): DDSum {
  const { input: x, index, classWeight: w, ignoreIndex, lossOut, grad } = a;
  const { outer, size: n, inner } = a.layout;
  const f32 = x instanceof Float32Array;
  const idx = index as ArrayLike<number>;
  let totH = 0;
  let totL = 0;
  GRAD.div = a.gradDivisor;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const r = o * inner + i;
      const base = o * n * inner + i;
      const t = idx[r];
      if (grad !== null) fillRow(grad, base, inner, n, 0);
      if (t === ignoreIndex) {
        if (lossOut !== null) lossOut[r] = 0;
        continue;
      }
      const wt = w !== null ? w[t] : 1;
      twoProd(-wt, x[base + t * inner]);
      if (lossOut !== null) lossOut[r] = f32 ? roundF32(R.hi, R.lo) : R.hi;
      ddAdd(totH, totL, R.hi, R.lo);
      totH = R.hi;
      totL = R.lo;
      if (grad !== null) {
        GRAD.mul = a.gradScale * (a.gradScales !== null ? a.gradScales[r] : 1);
        R.hi = -wt;
        R.lo = 0;
        storeGrad(grad, f32, base + t * inner);
      }
    }
  }
  return { hi: totH, lo: totH === totH ? totL : 0 };
}
