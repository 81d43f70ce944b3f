// Reference row kernels of the softmax family. Shape: a row is `size` elements `inner` apart,
// starting at o·size·inner + i. Per row: m = max, d_c = (z_c - m)/T kept exact as a double-double,
// e_c = e^(d_c), S' = Σ_{c≠argmax} e_c (the max's own term is exactly 1), S = 1 + S'.
// log S is log1p(S'), so log-softmax at the max keeps its digits when the true value is -3e-9.

import type { FloatArray } from '../core/tensor.js';
import type { Layout } from '../core/shape.js';
import type { SoftmaxStatsArgs } from '../backend/kernels.js';
import { R, TAIL, TAIL_X, TINY, ddAdd, ddDiv, ddMul, ddMulD, expDD, fastTwoSum, log1pDD, roundF32, twoProd, twoSum, unscaleTo } from './dd.js';

/** How a row reads: finite max, or one of the non-finite cases with fixed results. */
export const RowKind = {
  Finite: 0,
  /** NaN somewhere in the row. */
  HasNaN: 1,
  /** +inf somewhere (and no NaN). */
  HasPosInf: 2,
  /** Every entry is -inf (or the row is empty). */
  AllNegInf: 3,
} as const;
export type RowKind = (typeof RowKind)[keyof typeof RowKind];

// Row state filled by rowStats (module scratch: kernels allocate nothing per call once grown).
export let ROW_MAX = 0;
export let ROW_ARG = 0;
/** S' = Σ_{c≠argmax} e_c as a double-double. */
export let SUM_H = 0;
export let SUM_L = 0;
/** d_c = (z_c - m)/T and e_c = e^(d_c) as double-doubles, indexed by position in the row. */
export let DH = new Float64Array(16);
export let DL = new Float64Array(16);
export let EH = new Float64Array(16);
export let EL = new Float64Array(16);

function ensure(n: number): void {
  if (DH.length >= n) return;
  const m = Math.max(n, 2 * DH.length);
  DH = new Float64Array(m);
  DL = new Float64Array(m);
  EH = new Float64Array(m);
  EL = new Float64Array(m);
}

/** Max, NaN and +inf scan of one row; sets ROW_MAX and ROW_ARG. */
export function rowKind(x: FloatArray, base: number, stride: number, n: number): RowKind {
  let m = -Infinity;
  let arg = -1;
  let nan = false;
  for (let c = 0, k = base; c < n; c++, k += stride) {
    const v = x[k];
    if (v > m) {
      m = v;
      arg = c;
    } else if (v !== v) nan = true;
  }
  ROW_MAX = m;
  ROW_ARG = arg;
  if (nan) return RowKind.HasNaN;
  if (m === Infinity) return RowKind.HasPosInf;
  if (arg < 0) return RowKind.AllNegInf;
  return RowKind.Finite;
}

/**
 * Fills DH/DL, EH/EL and S' for a row whose kind is Finite. (z - m) is exact by TwoSum and
 * (z - m)/T keeps its division remainder, so e^(d) carries no error from the shift.
 */
export function rowExp(x: FloatArray, base: number, stride: number, n: number, temperature: number): void {
  ensure(n);
  const m = ROW_MAX;
  const arg = ROW_ARG;
  let sh = 0;
  let sl = 0;
  for (let c = 0, k = base; c < n; c++, k += stride) {
    twoSum(x[k], -m);
    let dh = R.hi;
    let dl = R.lo;
    if (dh === -Infinity && temperature > 1 && x[k] !== -Infinity) {
      // z − m overflowed but (z − m)/T may not: divide first, then subtract.
      divDD(x[k], 0, temperature);
      const qh = R.hi;
      const ql = R.lo;
      divDD(m, 0, temperature);
      ddAdd(qh, ql, -R.hi, -R.lo);
      dh = R.hi;
      dl = R.lo;
    } else if (temperature !== 1 && dh !== 0) {
      const q = dh / temperature;
      if (q - q === 0) {
        twoProd(q, temperature);
        const rem = ((dh - R.hi) - R.lo + dl) / temperature;
        fastTwoSum(q, rem);
        dh = R.hi;
        dl = R.lo;
      } else {
        dh = q;
        dl = 0;
      }
    }
    DH[c] = dh;
    DL[c] = dl;
    expDD(dh, dl);
    EH[c] = R.hi;
    EL[c] = R.lo;
    if (c !== arg) {
      ddAdd(sh, sl, R.hi, R.lo);
      sh = R.hi;
      sl = R.lo;
    }
  }
  SUM_H = sh;
  SUM_L = sl;
}

/** (ah + al)/b with its remainder, for a finite double b ≥ 1. */
function divDD(ah: number, al: number, b: number): void {
  if (Math.abs(ah) > 2 ** 1000) {
    // q·b could round past the largest double: divide a quarter and scale back (exact).
    divDD(ah * 0.25, al * 0.25, b);
    R.hi *= 4;
    R.lo *= 4;
    return;
  }
  const q = ah / b;
  twoProd(q, b);
  fastTwoSum(q, ((ah - R.hi) - R.lo + al) / b);
}

function fill(out: FloatArray, base: number, stride: number, n: number, v: number): void {
  for (let c = 0, k = base; c < n; c++, k += stride) out[k] = v;
}

export function softmax(x: FloatArray, out: FloatArray, l: Layout, temperature: number, allMaskedZero: boolean): void {
  const f32 = out instanceof Float32Array;
  const { outer, size: n, inner } = l;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const kind = rowKind(x, base, inner, n);
      if (kind !== RowKind.Finite) {
        fill(out, base, inner, n, kind === RowKind.AllNegInf && allMaskedZero ? 0 : NaN);
        continue;
      }
      rowExp(x, base, inner, n, temperature);
      twoSum(1, SUM_H);
      const sh = R.hi;
      const sl = R.lo + SUM_L;
      for (let c = 0, k = base; c < n; c++, k += inner) {
        ddDiv(EH[c], EL[c], sh, sl);
        out[k] = f32 ? roundF32(R.hi, R.lo) : R.hi;
      }
    }
  }
}

export function logSoftmax(x: FloatArray, out: FloatArray, l: Layout, temperature: number, allMaskedZero: boolean): void {
  const f32 = out instanceof Float32Array;
  const { outer, size: n, inner } = l;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const kind = rowKind(x, base, inner, n);
      if (kind !== RowKind.Finite) {
        fill(out, base, inner, n, kind === RowKind.AllNegInf && allMaskedZero ? -Infinity : NaN);
        continue;
      }
      rowExp(x, base, inner, n, temperature);
      log1pDD(SUM_H, SUM_L);
      const lh = -R.hi;
      const ll = -R.lo;
      for (let c = 0, k = base; c < n; c++, k += inner) {
        ddAdd(DH[c], DL[c], lh, ll);
        out[k] = f32 ? roundF32(R.hi, R.lo) : R.hi;
      }
    }
  }
}

/** log Σ e^z per row; a row with +inf gives +inf and an all -inf (or empty) row -inf, as PyTorch. */
export function logSumExp(x: FloatArray, out: FloatArray, l: Layout): void {
  const f32 = out instanceof Float32Array;
  const { outer, size: n, inner } = l;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const r = o * inner + i;
      const kind = rowKind(x, base, inner, n);
      if (kind !== RowKind.Finite) {
        out[r] = kind === RowKind.HasNaN ? NaN : kind === RowKind.HasPosInf ? Infinity : -Infinity;
        continue;
      }
      rowExp(x, base, inner, n, 1);
      log1pDD(SUM_H, SUM_L);
      ddAdd(ROW_MAX, 0, R.hi, R.lo);
      out[r] = f32 ? roundF32(R.hi, R.lo) : R.hi;
    }
  }
}

/** VJP of softmax: y ⊙ (dy − Σ dy·y), with the dot product summed exactly enough in double-double. */
export function softmaxBackward(dy: FloatArray, y: FloatArray, out: FloatArray, l: Layout): void {
  const f32 = out instanceof Float32Array;
  const { outer, size: n, inner } = l;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      // dy_c − Σ dy·y = (dy_c − r) − [Σ y_j (dy_j − r) − r (1 − Σ y_j)] with r = dy at the
      // largest y: a constant dy cancels exactly and one-hot dy keeps 1 − y_max exact.
      const r = dy[base + pivot(y, base, inner, n) * inner];
      let sh = 0;
      let sl = 0;
      let yh = 0;
      let yl = 0;
      for (let c = 0, k = base; c < n; c++, k += inner) {
        twoSum(dy[k], -r);
        ddMulD(R.hi, R.lo, y[k]);
        ddAdd(sh, sl, R.hi, R.lo);
        sh = R.hi;
        sl = R.lo;
        ddAdd(yh, yl, y[k], 0);
        yh = R.hi;
        yl = R.lo;
      }
      if (r !== 0) {
        twoSum(1, -yh);
        ddMulD(R.hi, R.lo - yl, r);
        ddAdd(sh, sl, -R.hi, -R.lo);
        sh = R.hi;
        sl = R.lo;
      }
      for (let c = 0, k = base; c < n; c++, k += inner) {
        const yk = y[k];
        twoSum(dy[k], -r);
        ddAdd(R.hi, R.lo, -sh, -sl);
        ddMulD(R.hi, R.lo, yk);
        out[k] = f32 ? roundF32(R.hi, R.lo) : R.hi;
      }
    }
  }
}

/** VJP of log-softmax: dy − e^y · Σ dy. */
export function logSoftmaxBackward(dy: FloatArray, y: FloatArray, out: FloatArray, l: Layout, allMaskedZero: boolean): void {
  const f32 = out instanceof Float32Array;
  const { outer, size: n, inner } = l;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      if (allMaskedZero && rowKind(y, base, inner, n) === RowKind.AllNegInf) {
        fill(out, base, inner, n, 0);
        continue;
      }
      let sh = 0;
      let sl = 0;
      for (let c = 0, k = base; c < n; c++, k += inner) {
        ddAdd(sh, sl, dy[k], 0);
        sh = R.hi;
        sl = R.lo;
      }
      for (let c = 0, k = base; c < n; c++, k += inner) {
        const g = dy[k];
        if (y[k] < TAIL_X && Math.abs(g) < 2 ** 400) {
          // e^y < 1e-304: form (dy − e^y Σ dy)·2^TAIL so that Σ dy does not magnify a subnormal
          expDD(y[k], 0, TAIL);
          ddMul(R.hi, R.lo, sh, sl);
          ddAdd(g * 2 ** TAIL, 0, -R.hi, -R.lo);
          out[k] = unscaleTo(f32);
          continue;
        }
        expDD(y[k], 0);
        ddMul(R.hi, R.lo, sh, sl);
        ddAdd(g, 0, -R.hi, -R.lo);
        out[k] = f32 ? roundF32(R.hi, R.lo) : R.hi;
      }
    }
  }
}

/** Position of the largest entry of a row (the first one; 0 for a row without a number). */
function pivot(y: FloatArray, base: number, stride: number, n: number): number {
  let best = 0;
  let m = -Infinity;
  for (let c = 0, k = base; c < n; c++, k += stride) {
    if (y[k] > m) {
      m = y[k];
      best = c;
    }
  }
  return best;
}

/** p_c = e_c / S for the current row, as double-doubles in EH/EL (overwrites e). */
function rowProbs(n: number): void {
  twoSum(1, SUM_H);
  const sh = R.hi;
  const sl = R.lo + SUM_L;
  for (let c = 0; c < n; c++) {
    ddDiv(EH[c], EL[c], sh, sl);
    EH[c] = R.hi;
    EL[c] = R.lo;
  }
}

/** JVP of softmax: p ⊙ (v − Σ p·v). */
export function softmaxJvp(x: FloatArray, v: FloatArray, out: FloatArray, l: Layout, allMaskedZero: boolean): void {
  const f32 = out instanceof Float32Array;
  const { outer, size: n, inner } = l;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const kind = rowKind(x, base, inner, n);
      if (kind !== RowKind.Finite) {
        fill(out, base, inner, n, kind === RowKind.AllNegInf && allMaskedZero ? 0 : NaN);
        continue;
      }
      rowExp(x, base, inner, n, 1);
      rowProbs(n);
      // v_c − Σ p·v = (v_c − r) − Σ p_j (v_j − r) since Σ p = 1, with r = v at the max of p:
      // a constant v gives exactly 0 and a one-hot v at the max keeps 1 − p_max exact.
      const r = v[base + ROW_ARG * inner];
      let sh = 0;
      let sl = 0;
      for (let c = 0, k = base; c < n; c++, k += inner) {
        twoSum(v[k], -r);
        ddMul(R.hi, R.lo, EH[c], EL[c]);
        ddAdd(sh, sl, R.hi, R.lo);
        sh = R.hi;
        sl = R.lo;
      }
      twoSum(1, SUM_H);
      const Sh = R.hi;
      const Sl = R.lo + SUM_L;
      for (let c = 0, k = base; c < n; c++, k += inner) {
        twoSum(v[k], -r);
        ddAdd(R.hi, R.lo, -sh, -sl);
        const uh = R.hi;
        const ul = R.lo;
        if (EH[c] < TINY) {
          // p_c < 2^-1000: form p_c·2^TAIL so the factor does not magnify a subnormal's rounding.
          expDD(DH[c], DL[c], TAIL);
          ddDiv(R.hi, R.lo, Sh, Sl);
          ddMul(R.hi, R.lo, uh, ul);
          out[k] = unscaleTo(f32);
          continue;
        }
        ddMul(uh, ul, EH[c], EL[c]);
        out[k] = f32 ? roundF32(R.hi, R.lo) : R.hi;
      }
    }
  }
}

/**
 * Jacobian per row, J_ab = p_a δ_ab − p_a p_b, written as [outer, inner, size, size]. The diagonal
 * p_a (1 − p_a) takes 1 − p_max = S'/S, which stays exact where p_max rounds to 1.
 */
export function softmaxJacobian(x: FloatArray, out: FloatArray, l: Layout, allMaskedZero: boolean): void {
  const f32 = out instanceof Float32Array;
  const { outer, size: n, inner } = l;
  const block = n * n;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      const ob = (o * inner + i) * block;
      const kind = rowKind(x, base, inner, n);
      if (kind !== RowKind.Finite) {
        out.fill(kind === RowKind.AllNegInf && allMaskedZero ? 0 : NaN, ob, ob + block);
        continue;
      }
      rowExp(x, base, inner, n, 1);
      twoSum(1, SUM_H);
      const sh = R.hi;
      const sl = R.lo + SUM_L;
      ddDiv(SUM_H, SUM_L, sh, sl);
      const qh = R.hi; // 1 − p_argmax
      const ql = R.lo;
      const arg = ROW_ARG;
      rowProbs(n);
      for (let a = 0; a < n; a++) {
        const ph = EH[a];
        const pl = EL[a];
        for (let b = 0; b < n; b++) {
          if (a === b) {
            // p_a ≤ 1/2 for every a but the argmax, so 1 − p_a needs no care there.
            if (a === arg) ddMul(ph, pl, qh, ql);
            else {
              twoSum(1, -ph);
              ddMul(ph, pl, R.hi, R.lo - pl);
            }
          } else {
            ddMul(ph, pl, -EH[b], -EL[b]);
          }
          out[ob + a * n + b] = f32 ? roundF32(R.hi, R.lo) : R.hi;
        }
      }
    }
  }
}

/** Per-row softmax statistics (max, Σ e^(x − max) and the weighted gap, double-double): see StatsKernels.softmaxStats. */
export function softmaxStats(a: SoftmaxStatsArgs): void {
  const { input: x, rowOffset, max, sumExp, sumExpLo, gap, gapLo, gapWeight: w } = a;
  const { outer, size: n, inner } = a.layout;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const r = rowOffset + o * inner + i;
      const base = o * n * inner + i;
      const kind = rowKind(x, base, inner, n);
      sumExpLo[r] = 0;
      if (gapLo !== null) gapLo[r] = 0;
      if (kind !== RowKind.Finite) {
        let count = 0;
        if (kind === RowKind.HasPosInf) for (let c = 0, k = base; c < n; c++, k += inner) if (x[k] === Infinity) count++;
        max[r] = kind === RowKind.HasNaN ? NaN : kind === RowKind.HasPosInf ? Infinity : -Infinity;
        sumExp[r] = kind === RowKind.HasNaN ? NaN : count;
        if (gap !== null) gap[r] = kind === RowKind.AllNegInf ? 0 : NaN;
        continue;
      }
      rowExp(x, base, inner, n, 1);
      max[r] = ROW_MAX;
      ddAdd(1, 0, SUM_H, SUM_L);
      sumExp[r] = R.hi;
      sumExpLo[r] = R.lo;
      if (gap === null) continue;
      // Σ w_c (max − x_c) = Σ w_c·(−d_c) with d_c = x_c − max exact (DH, DL).
      let gh = 0;
      let gl = 0;
      for (let c = 0; c < n; c++) {
        const wc = w === null ? 1 : w[c];
        if (wc === 0) continue;
        ddMulD(-DH[c], -DL[c], wc);
        ddAdd(gh, gl, R.hi, R.lo);
        gh = R.hi;
        gl = R.lo;
      }
      gap[r] = gh;
      if (gapLo !== null) gapLo[r] = gh - gh === 0 ? gl : 0;
    }
  }
}
