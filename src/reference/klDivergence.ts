// Reference KL divergence kernel (PyTorch's kl_div, pointwise): per-element loss, gradient wrt the
// log-probability input and the double-double sum of losses in one pass. Finite arguments are
// evaluated in double-double and rounded once; non-finite ones follow PyTorch's IEEE formula.

import type { DDSum, KlDivergenceArgs } from '../backend/kernels.js';
import { R, TAIL, TAIL_X, TINY, ddAdd, ddMul, ddMulD, expDD, logDD, roundF32, twoSum } from './dd.js';
import { GRAD, storeGrad } from './lossGrad.js';

/**
 * t·(log t − x) into R for probability targets; returns true when R holds the value times 2^TAIL. Finite t > 0 and finite x: exact in double-double;
 * anything else PyTorch's xlogy(t, t) − t·x in IEEE arithmetic, so t = ±0 gives 0 for finite x
 * (0·log 0 = 0) and NaN for x = ±∞ or NaN, t < 0 gives NaN, t = +∞ gives +∞ or NaN.
 */
function probTerm(x: number, t: number): boolean {
  if (t > 0 && t < Infinity && x - x === 0) {
    logDD(t, 0);
    ddAdd(R.hi, R.lo, -x, 0);
    // a t below 2^−1000 is scaled by 2^TAIL, so the product's error term is not lost to underflow
    const scaled = t < TINY;
    ddMulD(R.hi, R.lo, scaled ? t * 2 ** TAIL : t);
    if (!(R.hi - R.hi === 0)) R.lo = 0;
    return scaled;
  }
  R.hi = (t === 0 ? 0 : t * Math.log(t)) - t * x;
  R.lo = 0;
  return false;
}

/**
 * e^t·(t − x) into R for log-probability targets; returns true when R holds the value times
 * 2^TAIL (e^t below 1e−304). Finite t and x: exact in double-double, and 0 where t = x even when
 * e^t overflows (PyTorch: ∞·0 = NaN). Anything else PyTorch's exp(t)·(t − x) in IEEE arithmetic:
 * t = −∞ gives 0·(−∞) = NaN, t = +∞ gives +∞ (NaN for x = +∞), NaN propagates.
 */
function logTerm(x: number, t: number): boolean {
  if (!(t - t === 0 && x - x === 0)) {
    R.hi = Math.exp(t) * (t - x);
    R.lo = 0;
    return false;
  }
  twoSum(t, -x);
  const dh = R.hi;
  const dl = R.lo;
  if (dh === 0 || !(dh - dh === 0)) {
    // t = x exactly, or t − x beyond the float64 range (PyTorch's product then)
    R.hi = dh === 0 ? 0 : Math.exp(t) * dh;
    R.lo = 0;
    return false;
  }
  const scaled = t < TAIL_X;
  expDD(t, 0, scaled ? TAIL : 0);
  if (R.hi === Infinity) {
    R.hi = dh > 0 ? Infinity : -Infinity;
    R.lo = 0;
    return false;
  }
  ddMul(R.hi, R.lo, dh, dl);
  if (!(R.hi - R.hi === 0)) R.lo = 0;
  return scaled;
}

/**
 * (hi + lo)·2^−TAIL rounded once to float64: hi·2^−TAIL alone rounds twice where hi falls on a
 * midpoint of the subnormal grid, and then the sign of lo decides.
 */
function unscaleHi(hi: number, lo: number): number {
  const r = hi * 2 ** -TAIL;
  const d = hi - r * 2 ** TAIL;
  if (lo === 0 || Math.abs(d) !== 2 ** (-1075 + TAIL)) return r;
  return (lo > 0) === (d > 0) ? r + Math.sign(d) * 2 ** -1074 : r;
}

export function klDivergence(a: KlDivergenceArgs): DDSum {
  const { input: x, target: t, logTarget, lossOut, grad } = a;
  const f32 = x instanceof Float32Array;
  let totH = 0;
  let totL = 0;
  GRAD.div = a.gradDivisor;
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    const ti = t[i];
    const scaled = logTarget ? logTerm(xi, ti) : probTerm(xi, ti);
    const lh = scaled ? unscaleHi(R.hi, R.lo) : R.hi;
    const ll = scaled ? R.lo * 2 ** -TAIL : R.lo;
    if (lossOut !== null) lossOut[i] = f32 ? roundF32(lh, ll) : lh;
    ddAdd(totH, totL, lh, ll);
    totH = R.hi;
    totL = R.lo;
    if (grad === null) continue;
    // ∂/∂x = −t, or −e^t for log targets (e^t below 1e−304 kept scaled by 2^TAIL until the end)
    GRAD.mul = a.gradScale * (a.gradScales !== null ? a.gradScales[i] : 1);
    if (!logTarget) {
      R.hi = -ti;
      R.lo = 0;
      storeGrad(grad, f32, i);
      continue;
    }
    const deep = ti < TAIL_X;
    expDD(ti, 0, deep ? TAIL : 0);
    R.hi = -R.hi;
    R.lo = -R.lo;
    storeGrad(grad, f32, i, deep);
  }
  return { hi: totH, lo: totH - totH === 0 ? totL : 0 };
}
