// Reference fused loss kernels: per-row (or per-element) loss, gradient and the double-double sum
// of losses in one pass. Cross-entropy row r: logp_c = d_c − L with d_c = z_c − max and
// L = log1p(S'); the target's gradient p_t − 1 is −S'/S at the max, never 1 − (rounded p_t).

import type { FloatArray } from '../core/tensor.js';
import type { BinaryLossArgs, Broadcast, ClassLossArgs, DDSum } from '../backend/kernels.js';
import { R, TAIL, TAIL_X, TINY, ddAdd, ddDiv, ddMul, ddMulD, expDD, log1pDD, logDD, roundF32, twoProd, twoSum, unscaleTo } from './dd.js';
import { DH, DL, EH, EL, ROW_ARG, RowKind, SUM_H, SUM_L, rowExp, rowKind } from './softmax.js';

function fillRow(a: FloatArray, base: number, stride: number, n: number, v: number): void {
  for (let c = 0, k = base; c < n; c++, k += stride) a[k] = v;
}

// Per-row gradient factor scale·gradScales[r]/divisor is applied as double-double steps.
let G_MUL = 1;
let G_DIV = 1;

/** Stores R · G_MUL / G_DIV into grad[k], rounded once; `scaled`: R holds its value times 2^TAIL. */
function storeGrad(grad: FloatArray, f32: boolean, k: number, scaled = false): void {
  if (G_MUL !== 1) ddMulD(R.hi, R.lo, G_MUL);
  if (G_DIV !== 1) ddDiv(R.hi, R.lo, G_DIV, 0);
  grad[k] = scaled ? unscaleTo(f32) : f32 ? roundF32(R.hi, R.lo) : R.hi;
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
  G_DIV = a.gradDivisor;
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
      G_MUL = a.gradScale * (a.gradScales !== null ? a.gradScales[r] : 1);
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
  G_DIV = a.gradDivisor;
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
        G_MUL = a.gradScale * (a.gradScales !== null ? a.gradScales[r] : 1);
        R.hi = -wt;
        R.lo = 0;
        storeGrad(grad, f32, base + t * inner);
      }
    }
  }
  return { hi: totH, lo: totH === totH ? totL : 0 };
}

/** Index into a broadcast weight for element i of the input (row-major). */
export function broadcastIndex(b: Broadcast, i: number): number {
  const { shape, strides } = b;
  let j = 0;
  for (let d = shape.length - 1; d >= 0 && i > 0; d--) {
    const n = shape[d];
    const q = Math.floor(i / n);
    j += (i - q * n) * strides[d];
    i = q;
  }
  return j;
}

const weightAt = (b: Broadcast | null, i: number): number => (b === null ? 1 : b.data[broadcastIndex(b, i)]);

/** PyTorch's clamp of each log term of binary cross-entropy. */
const LOG_CLAMP = -100;

export function binaryCrossEntropy(a: BinaryLossArgs): DDSum {
  const { input: p, target: y, lossOut, grad } = a;
  const f32 = p instanceof Float32Array;
  let totH = 0;
  let totL = 0;
  G_DIV = a.gradDivisor;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i];
    const yi = y[i];
    const wi = weightAt(a.weight, i);
    // 1 − y exactly
    twoSum(1, -yi);
    const oyh = R.hi;
    const oyl = R.lo;
    // log p and log1p(−p), each clamped at −100
    logDD(pi, 0);
    let lph = R.hi;
    let lpl = R.lo;
    if (lph < LOG_CLAMP) {
      lph = LOG_CLAMP;
      lpl = 0;
    }
    log1pDD(-pi, 0);
    let lqh = R.hi;
    let lql = R.lo;
    if (lqh < LOG_CLAMP) {
      lqh = LOG_CLAMP;
      lql = 0;
    }
    ddMulD(lph, lpl, yi);
    const th = R.hi;
    const tl = R.lo;
    ddMul(lqh, lql, oyh, oyl);
    ddAdd(th, tl, R.hi, R.lo);
    ddMulD(R.hi, R.lo, -wi);
    if (lossOut !== null) lossOut[i] = f32 ? roundF32(R.hi, R.lo) : R.hi;
    ddAdd(totH, totL, R.hi, R.lo);
    totH = R.hi;
    totL = R.lo;
    if (grad === null) continue;
    // w ((1 − y)/(1 − p) − y/p), a term whose numerator is 0 counting as 0 even where 1/0 = ∞
    let uh = 0;
    let ul = 0;
    if (oyh !== 0) {
      twoSum(1, -pi);
      ddDiv(oyh, oyl, R.hi, R.lo);
      uh = R.hi;
      ul = R.lo;
    }
    if (yi !== 0) {
      ddDiv(yi, 0, pi, 0);
      ddAdd(uh, ul, -R.hi, -R.lo);
    } else {
      R.hi = uh;
      R.lo = ul;
    }
    if (yi !== yi || pi !== pi) R.hi = NaN;
    ddMulD(R.hi, R.lo, wi);
    G_MUL = a.gradScale * (a.gradScales !== null ? a.gradScales[i] : 1);
    storeGrad(grad, f32, i);
  }
  return { hi: totH, lo: totH === totH ? totL : 0 };
}

export function binaryCrossEntropyWithLogits(a: BinaryLossArgs): DDSum {
  const { input: x, target: y, lossOut, grad } = a;
  const f32 = x instanceof Float32Array;
  let totH = 0;
  let totL = 0;
  G_DIV = a.gradDivisor;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const yi = y[i];
    const wi = weightAt(a.weight, i);
    const pw = weightAt(a.posWeight, i);
    const ax = Math.abs(xi);
    // l = log1p(e^−|x|); softplus(x) = max(x, 0) + l and softplus(−x) = max(−x, 0) + l
    expDD(-ax, 0);
    const eh = R.hi;
    const el = R.lo;
    log1pDD(eh, el);
    const lh = R.hi;
    const ll = R.lo;
    ddAdd(xi > 0 ? xi : 0, 0, lh, ll);
    const sph = xi === Infinity ? Infinity : R.hi; // softplus(x)
    const spl = xi === Infinity ? 0 : R.lo;
    ddAdd(xi < 0 ? -xi : 0, 0, lh, ll);
    const snh = xi === -Infinity ? Infinity : R.hi; // softplus(−x)
    const snl = xi === -Infinity ? 0 : R.lo;
    twoSum(1, -yi);
    const oyh = R.hi;
    const oyl = R.lo;
    twoProd(pw, yi);
    const pyh = R.hi;
    const pyl = R.lo;
    // w [pw y softplus(−x) + (1 − y) softplus(x)]; a zero coefficient contributes 0 even against ∞
    let th = 0;
    let tl = 0;
    if (pyh !== 0) {
      ddMul(snh, snl, pyh, pyl);
      th = R.hi;
      tl = R.lo;
    }
    if (oyh !== 0) {
      ddMul(sph, spl, oyh, oyl);
      ddAdd(th, tl, R.hi, R.lo);
      th = R.hi;
      tl = R.lo;
    }
    if (xi !== xi) th = NaN;
    ddMulD(th, tl, wi);
    if (lossOut !== null) lossOut[i] = f32 ? roundF32(R.hi, R.lo) : R.hi;
    ddAdd(totH, totL, R.hi, R.lo);
    totH = R.hi;
    totL = R.lo;
    if (grad === null) continue;
    // w [(1 − y) σ(x) − pw y σ(−x)], the cancellation-free split of w [(pw y + 1 − y) σ(x) − pw y]
    twoSum(1, eh);
    const dh = R.hi;
    const dl = R.lo + el;
    ddDiv(1, 0, dh, dl);
    const bigH = R.hi; // σ(|x|)
    const bigL = R.lo;
    ddDiv(eh, el, dh, dl);
    const smallH = R.hi; // σ(−|x|)
    const smallL = R.lo;
    const pos = xi >= 0;
    G_MUL = a.gradScale * (a.gradScales !== null ? a.gradScales[i] : 1);
    if (ax > -TAIL_X && (pos ? oyh === 0 : pyh === 0)) {
      // Only the term with σ(−|x|) < 1e-304 remains: keep it scaled by 2^TAIL until the end.
      expDD(-ax, 0, TAIL);
      if (pos) ddMul(R.hi, R.lo, -pyh, -pyl);
      else ddMul(R.hi, R.lo, oyh, oyl);
      ddMulD(R.hi, R.lo, wi);
      storeGrad(grad, f32, i, true);
      continue;
    }
    ddMul(pos ? bigH : smallH, pos ? bigL : smallL, oyh, oyl);
    const ah = R.hi;
    const al = R.lo;
    ddMul(pos ? smallH : bigH, pos ? smallL : bigL, pyh, pyl);
    ddAdd(ah, al, -R.hi, -R.lo);
    if (xi !== xi) R.hi = NaN;
    ddMulD(R.hi, R.lo, wi);
    storeGrad(grad, f32, i);
  }
  return { hi: totH, lo: totH === totH ? totL : 0 };
}
