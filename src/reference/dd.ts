// Reference arithmetic: double-double numbers (hi + lo, about 106 bits) built from error-free
// transformations, and exp/expm1/log1p that return double-doubles accurate to about 2^-70 relative.
// Every reference kernel evaluates in this arithmetic and rounds once at the end, so its results
// are correctly rounded except in rare near-halfway cases. Derivations: docs/math.md#how-sigmax-stays-exact.
//
// Results are written to the shared register `R` (no allocation): callers read R.hi and R.lo
// immediately after each call.

import { EXP2_TABLE, INV_LN2_64, LN2_64_1, LN2_64_2, LN2_64_3 } from './exp-table.js';

/** The result register of every double-double function in this module. */
export const R = { hi: 0, lo: 0 };

/** Veltkamp's splitter 2^27 + 1: splits a double into two 26-bit halves. */
const SPLITTER = 134217729;
/** Above this magnitude a * SPLITTER overflows; such operands are scaled by 2^-28 first. */
const SPLIT_MAX = 2 ** 996;

/** Knuth's TwoSum: R.hi + R.lo = a + b exactly (R.lo = 0 when the sum is not finite). */
export function twoSum(a: number, b: number): void {
  const s = a + b;
  const bb = s - a;
  const err = (a - (s - bb)) + (b - bb);
  R.hi = s;
  R.lo = s - s === 0 ? err : 0;
}

/** Dekker's FastTwoSum, valid when |a| >= |b| or a = 0: R.hi + R.lo = a + b exactly. */
export function fastTwoSum(a: number, b: number): void {
  const s = a + b;
  const err = b - (s - a);
  R.hi = s;
  R.lo = s - s === 0 ? err : 0;
}

/** Dekker's TwoProduct: R.hi + R.lo = a * b exactly (barring underflow; R.lo = 0 on overflow). */
export function twoProd(a: number, b: number): void {
  const p = a * b;
  if (!(p - p === 0)) {
    R.hi = p;
    R.lo = 0;
    return;
  }
  let as = a;
  let bs = b;
  let scale = 1;
  if (Math.abs(a) > SPLIT_MAX) {
    as = a * 2 ** -28;
    scale = 2 ** 28;
  }
  if (Math.abs(b) > SPLIT_MAX) {
    bs = b * 2 ** -28;
    scale *= 2 ** 28;
  }
  let t = SPLITTER * as;
  const ah = t - (t - as);
  const al = as - ah;
  t = SPLITTER * bs;
  const bh = t - (t - bs);
  const bl = bs - bh;
  const ps = as * bs;
  const err = ((ah * bh - ps) + ah * bl + al * bh) + al * bl;
  R.hi = p;
  R.lo = err * scale;
}

/** (ah + al) + (bh + bl), accurate to about 2^-104 relative unless the sum cancels. */
export function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  twoSum(ah, bh);
  const sh = R.hi;
  const sl = R.lo;
  twoSum(al, bl);
  const th = R.hi;
  const tl = R.lo;
  fastTwoSum(sh, sl + th);
  fastTwoSum(R.hi, R.lo + tl);
}

/** (ah + al) * (bh + bl); an infinite or NaN product is returned as it is, with lo = 0. */
export function ddMul(ah: number, al: number, bh: number, bl: number): void {
  twoProd(ah, bh);
  const ph = R.hi;
  if (!(ph - ph === 0)) return;
  fastTwoSum(ph, R.lo + (ah * bl + al * bh));
}

/** (ah + al) * b for a double b. */
export function ddMulD(ah: number, al: number, b: number): void {
  twoProd(ah, b);
  const ph = R.hi;
  if (!(ph - ph === 0)) return;
  fastTwoSum(ph, R.lo + al * b);
}

/** (ah + al) / (bh + bl): one long-division step with an exact remainder. */
export function ddDiv(ah: number, al: number, bh: number, bl: number): void {
  const q = ah / bh;
  if (!(q - q === 0) || bh === 0) {
    R.hi = q;
    R.lo = 0;
    return;
  }
  twoProd(q, bh);
  const rem = ((ah - R.hi) - R.lo + al) - q * bl;
  fastTwoSum(q, rem / bh);
}

/** Powers of two 2^k for k in [-1074, 1023], exact (built by repeated doubling). */
const POW2 = (() => {
  const t = new Float64Array(1023 + 1074 + 1);
  let v = 1;
  for (let k = 0; k <= 1023; k++, v *= 2) t[k + 1074] = v;
  v = 1;
  for (let k = 0; k >= -1074; k--, v /= 2) t[k + 1074] = v;
  return t;
})();

/** Largest x with exp(x) finite in double: 709.782712893384. */
const EXP_OVERFLOW = 709.782712893384;
/** Below this, exp(x) < 2^-1075 rounds to zero. */
const EXP_UNDERFLOW = -745.2;

// State shared by expCore's callers: exp(x) = 2^K * 2^(J/64) * (1 + EM1H + EM1L).
let K = 0;
let J = 0;
let EM1H = 0;
let EM1L = 0;

/**
 * Range reduction and polynomial of exp(xh + xl) for finite |xh| < 746:
 * x = N ln2/64 + r with |r| <= ln2/128 (three-part Cody-Waite), e^r - 1 = r + r^2/2 + r^3 P(r).
 */
function expCore(xh: number, xl: number): void {
  const n = Math.round(xh * INV_LN2_64);
  J = n & 63;
  K = (n - J) / 64;
  // xh - n*L1 is exact (Sterbenz) and n*L2 is exact: L1, L2 carry 32 bits and |n| < 2^17.
  twoSum(xh - n * LN2_64_1, -(n * LN2_64_2));
  fastTwoSum(R.hi, R.lo + (xl - n * LN2_64_3));
  const rh = R.hi;
  const rl = R.lo;
  // r^2/2 exactly (plus the cross term), the rest of the series in plain double: its
  // magnitude is below 3e-8, so its rounding errors stay under 2^-77.
  twoProd(rh, rh);
  const h = R.hi * 0.5;
  const hl = (R.lo + 2 * rh * rl) * 0.5;
  const r3 = rh * rh * rh;
  const tail =
    r3 * (1 / 6 + rh * (1 / 24 + rh * (1 / 120 + rh * (1 / 720 + rh * (1 / 5040)))));
  twoSum(rh, h);
  fastTwoSum(R.hi, R.lo + rl + hl + tail);
  EM1H = R.hi;
  EM1L = R.lo;
}

/** Scales R by 2^K, exact unless the result is subnormal (then R.lo = 0). */
function scaleR(): void {
  const k = K;
  if (k >= -1022 && k <= 1023) {
    const s = POW2[k + 1074];
    R.hi *= s;
    R.lo *= s;
  } else if (k > 1023) {
    const s = POW2[k - 1 + 1074];
    R.hi = R.hi * s * 2;
    R.lo = R.lo * s * 2;
  } else {
    R.hi = R.hi * POW2[k + 600 + 1074] * POW2[-600 + 1074];
    R.lo = 0;
  }
}

/**
 * 2^TAIL: results that would be subnormal (e^x for x < −708, times a factor) are computed as
 * value·2^TAIL in the normal range and scaled back by unscaleTo once, at the final rounding, so
 * a factor applied in between does not magnify a subnormal's rounding error.
 */
export const TAIL = 600;
/** Arguments of exp below this take the scaled path (e^-700 ≈ 1e-304 < 2^-1000). */
export const TAIL_X = -700;
/** Results below this (2^-1000) that a factor may still magnify take the scaled path. */
export const TINY = 2 ** -1000;

/** Scales R down by 2^-TAIL and rounds once to the output dtype. */
export function unscaleTo(f32: boolean): number {
  const hi = R.hi * 2 ** -TAIL;
  return f32 ? roundF32(hi, R.lo * 2 ** -TAIL) : hi;
}

/** e^(xh + xl) · 2^scale as a double-double, relative error below about 2^-70 (scale: an integer, 0 or TAIL). */
export function expDD(xh: number, xl: number, scale = 0): void {
  if (!(xh > EXP_UNDERFLOW - scale * Math.LN2)) {
    R.hi = xh !== xh ? NaN : 0;
    R.lo = 0;
    return;
  }
  if (xh > EXP_OVERFLOW) {
    R.hi = Infinity;
    R.lo = 0;
    return;
  }
  expCore(xh, xl);
  const th = EXP2_TABLE[2 * J];
  const tl = EXP2_TABLE[2 * J + 1];
  // 2^(J/64) (1 + em1) = th + th*em1 + tl*(1 + em1)
  twoProd(th, EM1H);
  const ph = R.hi;
  const pl = R.lo;
  twoSum(th, ph);
  fastTwoSum(R.hi, R.lo + pl + tl + (th * EM1L + tl * EM1H));
  K += scale;
  scaleR();
}

/** e^(xh + xl) - 1 as a double-double, accurate relative to the result (also for tiny x). */
export function expm1DD(xh: number, xl: number): void {
  if (!(xh > -40)) {
    // e^x < 2^-57: e^x - 1 = -1 + e^x, and NaN stays NaN.
    if (xh !== xh) {
      R.hi = NaN;
      R.lo = 0;
      return;
    }
    expDD(xh, xl);
    fastTwoSum(-1, R.hi);
    return;
  }
  if (xh > EXP_OVERFLOW) {
    R.hi = Infinity;
    R.lo = 0;
    return;
  }
  expCore(xh, xl);
  if (K === 0 && J === 0) {
    // |x| <= ln2/128: the polynomial itself is e^x - 1, with no cancellation.
    R.hi = EM1H;
    R.lo = EM1L;
    return;
  }
  // |x| > ln2/128, so e^x - 1 loses at most 8 bits of the 2^-70 accuracy of e^x.
  expDD(xh, xl);
  const eh = R.hi;
  const el = R.lo;
  twoSum(eh, -1);
  fastTwoSum(R.hi, R.lo + el);
}

/** log(1 + xh + xl) for xh + xl > -1, from Math.log1p plus one Newton step through expm1DD. */
export function log1pDD(xh: number, xl: number): void {
  if (!(xh > -1)) {
    R.hi = xh === -1 ? -Infinity : NaN;
    R.lo = 0;
    return;
  }
  if (xh === Infinity) {
    R.hi = Infinity;
    R.lo = 0;
    return;
  }
  const y0 = Math.log1p(xh);
  expm1DD(y0, 0);
  const eh = R.hi;
  const el = R.lo;
  if (!(eh - eh === 0)) {
    R.hi = y0;
    R.lo = 0;
    return;
  }
  // log1p(x) = y0 + log(1 + (x - E)/(1 + E)) with E = e^y0 - 1; (x - E)/(1 + E) is about
  // one ulp of y0, so its square is far below the target accuracy.
  twoSum(xh, -eh);
  const c = (R.hi + (R.lo + (xl - el))) / (1 + eh);
  fastTwoSum(y0, c);
}

/** log(xh + xl) for xh + xl >= 0; near 1 it goes through log1p so that the result keeps its digits. */
export function logDD(xh: number, xl: number): void {
  if (xh >= 0.5 && xh <= 2) {
    // xh - 1 is exact here (Sterbenz).
    log1pDD(xh - 1, xl);
    return;
  }
  if (!(xh > 0)) {
    R.hi = xh === 0 ? -Infinity : NaN;
    R.lo = 0;
    return;
  }
  if (xh === Infinity) {
    R.hi = Infinity;
    R.lo = 0;
    return;
  }
  let y0 = Math.log(xh);
  let xs = xh;
  let xls = xl;
  if (xh < 2 ** -1000) {
    // e^y0 would be subnormal and lose its low part: work on x * 2^200 instead.
    xs = xh * 2 ** 200;
    xls = xl * 2 ** 200;
    y0 = Math.log(xs);
  }
  expDD(y0, 0);
  const eh = R.hi;
  const el = R.lo;
  twoSum(xs, -eh);
  const c = (R.hi + (R.lo + (xls - el))) / eh;
  fastTwoSum(y0, c);
  if (xs !== xh) {
    // subtract 200 ln2 as a double-double
    ddAdd(R.hi, R.lo, -138.62943611198907, 3.3555121496085278e-15);
  }
}

/**
 * Rounds hi + lo to the nearest float32. Math.fround(hi) alone can round twice wrongly when hi
 * falls exactly halfway between two floats; then the sign of lo decides.
 */
export function roundF32(hi: number, lo: number): number {
  const f = Math.fround(hi);
  if (f === hi || lo === 0) return f;
  const d = hi - f;
  const other = f + 2 * d;
  if (Math.fround(other) !== other) return f;
  // hi is a midpoint between f and other: the exact value lies on lo's side of it.
  return (lo > 0) === (d > 0) ? other : f;
}
