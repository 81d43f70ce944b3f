// Reference binary cross-entropy kernels (on probabilities and on logits): per-element loss,
// gradient and the double-double sum of losses in one pass, with PyTorch's clamp of the log terms.

import type { BinaryLossArgs, Broadcast, DDSum } from '../backend/kernels.js';
import { R, TAIL, TAIL_X, ddAdd, ddDiv, ddMul, ddMulD, expDD, log1pDD, logDD, roundF32, twoProd, twoSum } from './dd.js';
import { GRAD, storeGrad } from './lossGrad.js';

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
  GRAD.div = a.gradDivisor;
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
    GRAD.mul = a.gradScale * (a.gradScales !== null ? a.gradScales[i] : 1);
    storeGrad(grad, f32, i);
  }
  return { hi: totH, lo: totH === totH ? totL : 0 };
}

export function binaryCrossEntropyWithLogits(a: BinaryLossArgs): DDSum {
  const { input: x, target: y, lossOut, grad } = a;
  const f32 = x instanceof Float32Array;
  let totH = 0;
  let totL = 0;
  GRAD.div = a.gradDivisor;
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
    GRAD.mul = a.gradScale * (a.gradScales !== null ? a.gradScales[i] : 1);
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
