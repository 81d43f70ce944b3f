// Reference scalar functions in double-double: each takes x as hi + lo and leaves its result in R.
// Tails: σ(x) for x < 0 is e^x/(1 + e^x), never 1 - σ(-x); softplus adds t + log1p(e^-t) for
// t > 0 so neither term cancels. See docs/math.md for the derivations.

import { R, TAIL, TAIL_X, ddAdd, ddDiv, ddMul, expDD, log1pDD, twoSum } from './dd.js';

/**
 * σ(x) = 1/(1 + e^-x). With `tail` set, deep in the left tail (x < TAIL_X, where σ(x) = e^x to
 * within 1e-304 relative) it returns σ(x)·2^TAIL instead, keeping a subnormal result's digits.
 */
export function sigmoidDD(xh: number, xl: number, tail = false): void {
  if (xh !== xh) {
    R.hi = NaN;
    R.lo = 0;
    return;
  }
  if (tail && xh < TAIL_X) {
    expDD(xh, xl, TAIL);
    return;
  }
  const neg = xh < 0;
  // e = e^-|x|, so 1 + e never overflows and σ is 1/(1+e) (x >= 0) or e/(1+e) (x < 0).
  if (neg) expDD(xh, xl);
  else expDD(-xh, -xl);
  const eh = R.hi;
  const el = R.lo;
  twoSum(1, eh);
  const dh = R.hi;
  const dl = R.lo + el;
  if (neg) ddDiv(eh, el, dh, dl);
  else ddDiv(1, 0, dh, dl);
}

/**
 * σ(x)σ(-x) = e/(1 + e)^2 with e = e^-|x|: the derivative of σ without forming 1 - σ(x).
 * With `tail` set and |x| > −TAIL_X it returns e·2^TAIL (the slope equals e to 1e-304 relative).
 */
export function sigmoidSlopeDD(xh: number, xl: number, tail = false): void {
  if (xh !== xh) {
    R.hi = NaN;
    R.lo = 0;
    return;
  }
  if (tail && (xh < TAIL_X || xh > -TAIL_X)) {
    if (xh < 0) expDD(xh, xl, TAIL);
    else expDD(-xh, -xl, TAIL);
    return;
  }
  if (xh < 0) expDD(xh, xl);
  else expDD(-xh, -xl);
  const eh = R.hi;
  const el = R.lo;
  twoSum(1, eh);
  const dh = R.hi;
  const dl = R.lo + el;
  ddMul(dh, dl, dh, dl);
  ddDiv(eh, el, R.hi, R.lo);
}

/** softplus(t) = log(1 + e^t) for t = th + tl. */
export function softplusDD(th: number, tl: number): void {
  if (th > 0) {
    // log(1 + e^t) = t + log1p(e^-t): two non-negative terms, no cancellation, no overflow.
    expDD(-th, -tl);
    log1pDD(R.hi, R.lo);
    if (th === Infinity) {
      R.hi = Infinity;
      R.lo = 0;
      return;
    }
    ddAdd(th, tl, R.hi, R.lo);
  } else {
    // NaN lands here and stays NaN through expDD.
    expDD(th, tl);
    log1pDD(R.hi, R.lo);
  }
}

/** log σ(x) = -softplus(-x). */
export function logSigmoidDD(xh: number, xl: number): void {
  softplusDD(-xh, -xl);
  R.hi = -R.hi;
  R.lo = -R.lo;
}
