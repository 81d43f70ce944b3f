// Fast kernels of the softmax family for float32 rows (contiguous, `n` elements, rows back to
// back). Three row primitives as XNNPACK: max; store e^(x − max)·2^100 (as float64) and sum;
// scale. x − max is kept exact as a float32 pair (TwoSum), the sum runs in float64 (for the log
// ops without the max's own terms, exactly 2^100 each), and the last pass rounds once.

import { D_MIN, exp1d, expN4, expS4, expT4, SCALE } from '../math/expf';

/**
 * Row max; NaN anywhere makes it NaN. pmax is one instruction (wasm's max is several, for its
 * NaN rule), so NaN is tracked on the side.
 */
export function rowMax(x: usize, n: i32): f32 {
  let m0 = f32x4.splat(-Infinity);
  let m1 = m0;
  let nan = i32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const a = v128.load(x + (<usize>i << 2));
    const b = v128.load(x + (<usize>i << 2), 16);
    m0 = f32x4.pmax(m0, a);
    m1 = f32x4.pmax(m1, b);
    nan = v128.or(nan, v128.or(f32x4.ne(a, a), f32x4.ne(b, b)));
  }
  for (; i + 4 <= n; i += 4) {
    const a = v128.load(x + (<usize>i << 2));
    m0 = f32x4.pmax(m0, a);
    nan = v128.or(nan, f32x4.ne(a, a));
  }
  m0 = f32x4.pmax(m0, m1);
  let m = max(max(f32x4.extract_lane(m0, 0), f32x4.extract_lane(m0, 1)), max(f32x4.extract_lane(m0, 2), f32x4.extract_lane(m0, 3)));
  if (v128.any_true(nan)) m = NaN;
  for (; i < n; i++) m = max(m, load<f32>(x + (<usize>i << 2)));
  return m;
}

/** How many entries of the last expSum row equal the max (each contributed exactly 2^100). */
export let MAX_COUNT: i32 = 0;

/**
 * Computes e_i = e^(x_i − m)·2^100 as float64 (the float32 exp's s + s·t formed exactly, so the
 * only rounding is inside t), stores them at e (a float64 row, or 0 not to store) and returns
 * their sum; with `rest` the max's own terms (exactly 2^100 each) are left out of the sum
 * (S' for log1p) and counted in MAX_COUNT. m must be finite. Entries below m − 149 are raised
 * to about there first (no −∞ − m), and x − m is clamped at D_MIN (m − 149 rounds in float32).
 */
export function expSum(x: usize, e: usize, n: i32, m: f32, rest: bool): f64 {
  const low = m - 149;
  if (low == m) return expSumHuge(x, e, n, m, rest);
  const vlow = f32x4.splat(low);
  const vm = f32x4.splat(m);
  const nm = f32x4.splat(-m);
  const dmin = f32x4.splat(D_MIN);
  const zero = f32x4.splat(0);
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let cnt = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = f32x4.pmax(v128.load(x + (<usize>i << 2)), vlow);
    // TwoSum: s + err = v − m exactly
    const s = f32x4.sub(v, vm);
    const bb = f32x4.sub(s, v);
    const err = f32x4.add(f32x4.sub(v, f32x4.sub(s, bb)), f32x4.sub(nm, bb));
    const d = f32x4.pmax(s, dmin);
    const vn = expN4(d);
    const t = expT4(d, err, vn);
    const sc = expS4(vn);
    // e = sc + sc·t in float64, exact: sc is a power of two and t a float32
    const slo = f64x2.promote_low_f32x4(sc);
    const shi = f64x2.promote_low_f32x4(v128.shuffle<f32>(sc, sc, 2, 3, 0, 1));
    let elo = f64x2.add(slo, f64x2.mul(slo, f64x2.promote_low_f32x4(t)));
    let ehi = f64x2.add(shi, f64x2.mul(shi, f64x2.promote_low_f32x4(v128.shuffle<f32>(t, t, 2, 3, 0, 1))));
    if (e) {
      v128.store(e + (<usize>i << 3), elo);
      v128.store(e + (<usize>i << 3), ehi, 16);
    }
    if (rest) {
      const isMax = f32x4.eq(s, zero);
      cnt = i32x4.sub(cnt, isMax);
      elo = v128.andnot(elo, i64x2.extend_low_i32x4_s(isMax));
      ehi = v128.andnot(ehi, i64x2.extend_high_i32x4_s(isMax));
    }
    a0 = f64x2.add(a0, elo);
    a1 = f64x2.add(a1, ehi);
  }
  a0 = f64x2.add(a0, a1);
  let sum = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
  let count = i32x4.extract_lane(cnt, 0) + i32x4.extract_lane(cnt, 1) + i32x4.extract_lane(cnt, 2) + i32x4.extract_lane(cnt, 3);
  for (; i < n; i++) {
    let v = load<f32>(x + (<usize>i << 2));
    if (v < low) v = low;
    const s = v - m;
    const bb = s - v;
    const err = (v - (s - bb)) + (-m - bb);
    const ev = exp1d(s, err);
    if (e) store<f64>(e + (<usize>i << 3), ev);
    if (rest && s == 0) count++;
    else sum += ev;
  }
  MAX_COUNT = count;
  return sum;
}

/** expSum for rows whose max is so large (|m| > 2^31) that m − 149 rounds to m: scalar, in float64. */
function expSumHuge(x: usize, e: usize, n: i32, m: f32, rest: bool): f64 {
  let sum: f64 = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    const d = <f64>v - <f64>m; // exact in float64 unless v is negligible next to m
    const low = d < -149;
    const dh = low ? <f32>-149 : <f32>d;
    const ev = exp1d(dh, low ? 0 : <f32>(d - <f64>dh));
    if (e) store<f64>(e + (<usize>i << 3), ev);
    if (rest && d == 0) count++;
    else sum += ev;
  }
  MAX_COUNT = count;
  return sum;
}

/** log Σ e^(x − m) for the last expSum row: log(k + S'·2^-100), via log1p when k = 1. */
// @ts-ignore: decorator
@inline
export function logSum(sp: f64): f64 {
  const k = <f64>MAX_COUNT;
  const rest = sp / SCALE;
  return k == 1 ? Math.log1p(rest) : Math.log(k + rest);
}

/** out_i = e_i · c for a float64 row e, rounded once to float32. */
export function scaleRow(e: usize, out: usize, n: i32, c: f64): void {
  const vc = f64x2.splat(c);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const lo = f32x4.demote_f64x2_zero(f64x2.mul(v128.load(e + (<usize>i << 3)), vc));
    const hi = f32x4.demote_f64x2_zero(f64x2.mul(v128.load(e + (<usize>i << 3), 16), vc));
    v128.store(out + (<usize>i << 2), v128.shuffle<f32>(lo, hi, 0, 1, 4, 5));
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), <f32>(load<f64>(e + (<usize>i << 3)) * c));
}

function fillRow(out: usize, n: i32, v: f32): void {
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), v);
}

/**
 * softmax over `rows` contiguous rows of n float32s; scratch holds n float64s; allMaskedZero: a
 * row of all −∞ gives 0, else NaN.
 */
export function softmaxF32(x: usize, out: usize, scratch: usize, rows: i32, n: i32, allMaskedZero: bool): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>n) << 2);
    const or = out + ((<usize>r * <usize>n) << 2);
    const m = rowMax(xr, n);
    if (m != m || m == Infinity) {
      fillRow(or, n, NaN);
      continue;
    }
    if (m == -Infinity) {
      fillRow(or, n, allMaskedZero ? 0 : NaN);
      continue;
    }
    scaleRow(scratch, or, n, 1.0 / expSum(xr, scratch, n, m, false));
  }
}

/** log-softmax: (x − m) − log Σ e^(x − m), in float64 per element, rounded once. */
export function logSoftmaxF32(x: usize, out: usize, rows: i32, n: i32, allMaskedZero: bool): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>n) << 2);
    const or = out + ((<usize>r * <usize>n) << 2);
    const m = rowMax(xr, n);
    if (m != m || m == Infinity) {
      fillRow(or, n, NaN);
      continue;
    }
    if (m == -Infinity) {
      fillRow(or, n, allMaskedZero ? -Infinity : NaN);
      continue;
    }
    const l = logSum(expSum(xr, 0, n, m, true));
    shiftRow(xr, or, n, <f64>m, l);
  }
}

/** out_i = (x_i − m) − l in float64, rounded once to float32 (x_i − m is exact in float64). */
function shiftRow(x: usize, out: usize, n: i32, m: f64, l: f64): void {
  const vm = f64x2.splat(m);
  const vl = f64x2.splat(l);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const lo = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.sub(f64x2.promote_low_f32x4(v), vm), vl));
    const hi = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)), vm), vl));
    v128.store(out + (<usize>i << 2), v128.shuffle<f32>(lo, hi, 0, 1, 4, 5));
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), <f32>((<f64>load<f32>(x + (<usize>i << 2)) - m) - l));
}

/** logSumExp per row into out[r]: NaN for a NaN row, +∞ with +∞, −∞ for all −∞ (PyTorch). */
export function logSumExpF32(x: usize, out: usize, rows: i32, n: i32): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>n) << 2);
    const m = rowMax(xr, n);
    let v: f32;
    if (m != m || m == Infinity || m == -Infinity) v = m;
    else v = <f32>(<f64>m + logSum(expSum(xr, 0, n, m, true)));
    store<f32>(out + (<usize>r << 2), v);
  }
}

