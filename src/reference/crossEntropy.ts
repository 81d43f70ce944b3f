// Reference cross-entropy and nll kernels: per-row loss, gradient and the double-double sum of
// losses in one pass. Row r: logp_c = d_c − L with d_c = z_c − max and L = log1p(S'); the
// target's gradient p_t − 1 is −S'/S at the max, never 1 − (rounded p_t). The same loss from
// merged softmax statistics (sigmax/llm's vocabulary chunks) is crossEntropyFromStats below.

import type { FloatArray } from '../core/tensor.js';
import type { ClassLossArgs, DDSum, StatsGradArgs, StatsLossArgs, StatsLossSums } from '../backend/kernels.js';
import { R, TAIL, TINY, ddAdd, ddDiv, ddMul, ddMulD, expDD, log1pDD, logDD, roundF32, twoProd, twoSum } from './dd.js';
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

/**
 * The powers of two by which a soft row's y'_c (SHIFT.y) and w_c (SHIFT.w) are scaled down so that
 * neither w_c·y'_c, their sum Y nor a loss term (L − d_c)·w_c·y'_c overflows. Both 0 (no scaling,
 * the usual case) unless max|y'|·max|w|·C reaches 2^960; each factor is scaled on its own, so the
 * largest values keep all their digits.
 */
const SHIFT = { y: 0, w: 0 };
function softShift(probs: FloatArray | null, base: number, inner: number, n: number, w: Float64Array | null): number {
  let my = 1;
  if (probs !== null) for (let c = 0, k = base; c < n; c++, k += inner) my = Math.max(my, Math.abs(probs[k]));
  let mw = 1;
  if (w !== null) for (let c = 0; c < n; c++) mw = Math.max(mw, Math.abs(w[c]));
  SHIFT.y = 0;
  SHIFT.w = 0;
  if (!(my < Infinity && mw < Infinity)) return 0;
  const ey = Math.ceil(Math.log2(my));
  const ew = Math.ceil(Math.log2(mw)) + Math.ceil(Math.log2(n)) + 2;
  if (ey + ew < 960) return 0;
  SHIFT.y = ey;
  SHIFT.w = ew;
  return ey + ew;
}

/** Multiplies R by 2^e (e may exceed the exponent range of one double), exactly unless it over- or underflows. */
function scaleR(e: number): void {
  while (e !== 0) {
    const step = Math.max(-1000, Math.min(1000, e));
    R.hi *= 2 ** step;
    R.lo *= 2 ** step;
    e -= step;
  }
}

/** storeGrad for a scaled row: R · GRAD.mul / GRAD.div · 2^e, the power of two applied last. */
function storeShifted(grad: FloatArray, f32: boolean, k: number, e: number): void {
  if (GRAD.mul !== 1) ddMulD(R.hi, R.lo, GRAD.mul);
  if (GRAD.div !== 1) ddDiv(R.hi, R.lo, GRAD.div, 0);
  scaleR(e);
  grad[k] = f32 ? roundF32(R.hi, R.lo) : R.hi;
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
      let shift = 0;
      if (!soft) {
        const wt = w !== null ? w[t] : 1;
        ddAdd(lh, ll, -DH[t], -DL[t]);
        ddMulD(R.hi, R.lo, wt);
        lossH = R.hi;
        lossL = R.lo;
      } else {
        let sh = 0;
        let sl = 0;
        shift = softShift(probs, base, inner, n, w);
        const downY = 2 ** -SHIFT.y;
        const downW = 2 ** -SHIFT.w;
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
          if (shift !== 0) {
            // Exact unless a value falls below 2^-1022 (then far below the row's largest).
            R.hi *= downY;
            R.lo *= downY;
            if (w !== null) ddMulD(R.hi, R.lo, w[c] * downW);
            else {
              R.hi *= downW;
              R.lo *= downW;
            }
          } else if (w !== null) ddMulD(R.hi, R.lo, w[c]);
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
        R.hi = sh;
        R.lo = sl;
        if (shift !== 0) scaleR(shift);
        lossH = R.hi;
        lossL = R.lo;
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
          if (shift !== 0) storeShifted(grad, f32, k, shift - TAIL);
          else storeGrad(grad, f32, k, true);
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
        if (shift !== 0) storeShifted(grad, f32, k, shift);
        else storeGrad(grad, f32, k);
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

/** Cross-entropy of rows from their merged softmax statistics: see StatsKernels.crossEntropyFromStats. */
export function crossEntropyFromStats(a: StatsLossArgs): StatsLossSums {
  const { stats: st, index, classWeight: w, labelSmoothing: eps, zLoss: lam, lse, lossOut, zLossOut, coefs: co, f32 } = a;
  const smooth = eps > 0;
  // 1 − ε and ε/C as double-doubles.
  twoSum(1, -eps);
  const omeH = R.hi;
  const omeL = R.lo;
  ddDiv(eps, 0, a.classes, 0);
  const ecH = R.hi;
  const ecL = R.lo;
  let totH = 0;
  let totL = 0;
  let zTotH = 0;
  let zTotL = 0;
  for (let r = a.rowStart; r < a.rowEnd; r++) {
    const t = index[r];
    const m = st.max[r];
    const Sh = st.sumExp[r];
    const Sl = st.sumExpLo[r];
    // L = log S, through log1p when S is near 1.
    let Lh: number;
    let Ll: number;
    if (m - m === 0) {
      logDD(Sh, Sl);
      Lh = R.hi;
      Ll = R.lo;
      ddAdd(m, 0, Lh, Ll);
      lse[r] = R.hi;
    } else {
      Lh = NaN;
      Ll = 0;
      lse[r] = m === m && Sh === Sh ? m : NaN;
    }
    if (t === a.ignoreIndex) {
      if (lossOut !== null) lossOut[r] = 0;
      if (zLossOut !== null) zLossOut[r] = 0;
      if (co !== null) co.kind[r] = 0;
      continue;
    }
    if (!(m - m === 0)) {
      // NaN or +∞ among the logits, or all of them −∞: NaN loss and gradient row (as crossEntropy).
      if (lossOut !== null) lossOut[r] = NaN;
      if (zLossOut !== null) zLossOut[r] = NaN;
      totH = NaN;
      zTotH = NaN;
      if (co !== null) co.kind[r] = 2;
      continue;
    }
    const wt = w !== null ? w[t] : 1;
    const zt = st.targetLogit[r];
    // −log p_t = (max − z_t) + L: two non-negative terms.
    twoSum(m, -zt);
    ddAdd(R.hi, R.lo, Lh, Ll);
    const nllH = R.hi;
    const nllL = R.hi - R.hi === 0 ? R.lo : 0;
    let lh: number;
    let ll: number;
    if (!smooth) {
      ddMulD(nllH, nllL, wt);
      lh = R.hi;
      ll = R.lo;
    } else {
      // (1 − ε) w_t nll + (ε/C)(gap + W·L)
      ddMulD(omeH, omeL, wt);
      ddMul(R.hi, R.lo, nllH, nllL);
      const ah = R.hi;
      const al = R.lo;
      ddMulD(Lh, Ll, st.gapWeight![r]);
      ddAdd(st.gap![r], st.gapLo![r], R.hi, R.lo);
      ddMul(R.hi, R.lo, ecH, ecL);
      ddAdd(ah, al, R.hi, R.hi - R.hi === 0 ? R.lo : 0);
      lh = R.hi;
      ll = R.lo;
    }
    let zh = 0;
    let zl = 0;
    const lseH = lse[r];
    if (lam !== 0) {
      ddAdd(m, 0, Lh, Ll);
      const sh = R.hi;
      const sl = R.lo;
      ddMul(sh, sl, sh, sl);
      ddMulD(R.hi, R.lo, lam * wt);
      zh = R.hi;
      zl = R.lo;
      ddAdd(lh, ll, zh, zl);
      lh = R.hi;
      ll = R.lo;
    }
    if (!(lh - lh === 0)) ll = 0;
    if (lossOut !== null) lossOut[r] = f32 ? roundF32(lh, ll) : lh;
    if (zLossOut !== null) zLossOut[r] = f32 ? roundF32(zh, zl) : zh;
    ddAdd(totH, totL, lh, ll);
    totH = R.hi;
    totL = R.lo;
    ddAdd(zTotH, zTotL, zh, zl);
    zTotH = R.hi;
    zTotL = R.lo;
    if (co === null) continue;
    const scale = (a.gradScale * (a.gradScales !== null ? a.gradScales[r] : 1)) / a.gradDivisor;
    // Y' = (1 − ε) w_t + (ε/C) W + 2λ w_t lse
    let yh: number;
    let yl: number;
    if (smooth) {
      ddMulD(omeH, omeL, wt);
      const ah = R.hi;
      const al = R.lo;
      ddMulD(ecH, ecL, st.gapWeight![r]);
      ddAdd(ah, al, R.hi, R.lo);
      yh = R.hi;
      yl = R.lo;
    } else {
      yh = wt;
      yl = 0;
    }
    if (lam !== 0) {
      ddAdd(yh, yl, 2 * lam * wt * lseH, 0);
      yh = R.hi;
      yl = R.lo;
    }
    // wy_t = (1 − ε) w_t + (ε/C) w_t: the target's own share of Y'.
    let wyH = wt;
    let wyL = 0;
    if (smooth) {
      ddAdd(omeH, omeL, ecH, ecL);
      ddMulD(R.hi, R.lo, wt);
      wyH = R.hi;
      wyL = R.lo;
    }
    // At the target: p_t (Y' − wy_t) − wy_t (1 − p_t), with 1 − p_t = (S − e_t)/S exact where
    // p_t rounds to 1 (e_t = 1 exactly when z_t is the max, and S − 1 is S' exactly).
    twoSum(zt, -m);
    expDD(R.hi, R.lo);
    const eh = R.hi;
    const el = R.lo;
    ddDiv(eh, el, Sh, Sl);
    const pth = R.hi;
    const ptl = R.lo;
    ddAdd(Sh, Sl, -eh, -el);
    ddDiv(R.hi, R.lo, Sh, Sl);
    const qh = R.hi;
    const ql = R.lo;
    ddAdd(yh, yl, -wyH, -wyL);
    ddMul(R.hi, R.lo, pth, ptl);
    const uh = R.hi;
    const ul = R.lo;
    ddMul(qh, ql, wyH, wyL);
    ddAdd(uh, ul, -R.hi, -R.lo);
    ddMulD(R.hi, R.lo, scale);
    co.kind[r] = 1;
    co.max[r] = m;
    co.gt[r] = R.hi;
    ddDiv(yh, yl, Sh, Sl);
    ddMulD(R.hi, R.lo, scale);
    co.a[r] = R.hi;
    co.aLo[r] = R.lo;
    if (smooth) ddMulD(ecH, ecL, scale);
    else {
      R.hi = 0;
      R.lo = 0;
    }
    co.b[r] = R.hi;
    co.bLo[r] = R.lo;
  }
  return { loss: { hi: totH, lo: totH === totH ? totL : 0 }, zLoss: { hi: zTotH, lo: zTotH === zTotH ? zTotL : 0 } };
}

/** ∂loss/∂z of a tile of rows from crossEntropyFromStats' coefficients: see StatsKernels.crossEntropyGradFromStats. */
export function crossEntropyGradFromStats(a: StatsGradArgs): void {
  const { logits: g, rows, classes: vc, rowOffset, classOffset: c0, coefs: co, index, classWeight: w } = a;
  for (let i = 0; i < rows; i++) {
    const r = rowOffset + i;
    const off = i * vc;
    const kind = co.kind[r];
    if (kind !== 1) {
      g.fill(kind === 0 ? 0 : NaN, off, off + vc);
      continue;
    }
    const m = co.max[r];
    const ah = co.a[r];
    const al = co.aLo[r];
    const bh = co.b[r];
    const bl = co.bLo[r];
    for (let j = 0; j < vc; j++) {
      twoSum(g[off + j], -m);
      expDD(R.hi, R.lo);
      ddMul(R.hi, R.lo, ah, al);
      if (bh !== 0) {
        const ph = R.hi;
        const pl = R.lo;
        ddMulD(bh, bl, w === null ? 1 : w[c0 + j]);
        ddAdd(ph, pl, -R.hi, -R.lo);
      }
      g[off + j] = R.hi;
    }
    const t = index[r] - c0;
    if (t >= 0 && t < vc) g[off + t] = co.gt[r];
  }
}
