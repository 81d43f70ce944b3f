// Fast kernels of the softmax family for float64 rows (contiguous, `n` elements, rows back to
// back), the float64 twins of softmax.ts: max; e^(x − max)·2^200 from expD2 with x − max exact
// (TwoSum), stored and summed as a double-double (Fast2Sum into accumulators that start at
// 2^200 ≥ every term; TwoSum for the sums without the max's terms); divide. Within 2 ulp of the exact result: up to 0.9 ulp from the exp,
// 0.5 from the rounded sum, 0.5 from the division (docs/math.md, "The fast path").

import { D_NINF, D_SCALE, D_ZERO, expD2, kdd, ROW_MD, SCALE_D, setRowD, shiftErrD2, shiftExpD2 } from '../math/expd';

/** Row max; NaN anywhere makes it NaN (pmax is one instruction, so NaN is tracked on the side). */
export function rowMaxD(x: usize, n: i32): f64 {
  let m0 = kdd(D_NINF);
  let m1 = m0;
  let nan = i64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const a = v128.load(x + (<usize>i << 3));
    const b = v128.load(x + (<usize>i << 3), 16);
    m0 = f64x2.pmax(m0, a);
    m1 = f64x2.pmax(m1, b);
    nan = v128.or(nan, v128.or(f64x2.ne(a, a), f64x2.ne(b, b)));
  }
  m0 = f64x2.pmax(m0, m1);
  let m = max(f64x2.extract_lane(m0, 0), f64x2.extract_lane(m0, 1));
  let bad = v128.any_true(nan);
  for (; i < n; i++) {
    const v = load<f64>(x + (<usize>i << 3));
    if (v != v) bad = true;
    else if (v > m) m = v;
  }
  return bad ? NaN : m;
}

/** How many entries of the last expPassD row (REST) equal the max; each contributed exactly 2^200. */
export let MAX_COUNT_D: i32 = 0;
/** The low part of the last expPassD sum (its high part is the return value). */
export let SUM_LO_D: f64 = 0;

/**
 * The exp pass of a row whose max was set by setRowD: e_i = e^(x_i − m)·2^200, stored as float64
 * at e when STORE (e may be x itself), and summed as a double-double (hi returned, lo in
 * SUM_LO_D); with REST the max's own terms are left out of the sum and counted in MAX_COUNT_D.
 */
// @ts-ignore: decorator
@inline
function expPassD(x: usize, e: usize, n: i32, STORE: bool, REST: bool): f64 {
  // with the max's terms (2^200 each) in the sum, accumulators that start at 2^200 are never
  // below a term, so Fast2Sum is exact; the REST sums start at 0 and take TwoSum
  const A = REST ? kdd(D_ZERO) : kdd(D_SCALE);
  let a0 = A;
  let a1 = A;
  let c0 = kdd(D_ZERO);
  let c1 = c0;
  let cnt = i64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const x0 = v128.load(x + (<usize>i << 3));
    const x1 = v128.load(x + (<usize>i << 3), 16);
    let e0 = shiftExpD2(x0);
    let e1 = shiftExpD2(x1);
    if (STORE) {
      v128.store(e + (<usize>i << 3), e0);
      v128.store(e + (<usize>i << 3), e1, 16);
    }
    if (REST) {
      const k0 = f64x2.eq(x0, ROW_MD);
      const k1 = f64x2.eq(x1, ROW_MD);
      e0 = v128.andnot(e0, k0);
      e1 = v128.andnot(e1, k1);
      cnt = i64x2.sub(i64x2.sub(cnt, k0), k1);
    }
    if (REST) {
      // TwoSum: without the max's terms the accumulators start at 0 and a term may exceed them
      const s0 = f64x2.add(a0, e0);
      const s1 = f64x2.add(a1, e1);
      const b0 = f64x2.sub(s0, a0);
      const b1 = f64x2.sub(s1, a1);
      c0 = f64x2.add(c0, f64x2.add(f64x2.sub(a0, f64x2.sub(s0, b0)), f64x2.sub(e0, b0)));
      c1 = f64x2.add(c1, f64x2.add(f64x2.sub(a1, f64x2.sub(s1, b1)), f64x2.sub(e1, b1)));
      a0 = s0;
      a1 = s1;
    } else {
      // Fast2Sum: a ≥ 2^200 ≥ e, so the rounding error of a + e is e − ((a + e) − a), exactly
      const s0 = f64x2.add(a0, e0);
      const s1 = f64x2.add(a1, e1);
      c0 = f64x2.add(c0, f64x2.sub(e0, f64x2.sub(s0, a0)));
      c1 = f64x2.add(c1, f64x2.sub(e1, f64x2.sub(s1, a1)));
      a0 = s0;
      a1 = s1;
    }
  }
  // the last 0–3 entries one lane at a time (lane 1 zeroed), by the same vector code
  for (; i < n; i++) {
    const x0 = f64x2.splat(load<f64>(x + (<usize>i << 3)));
    let e0 = f64x2.replace_lane(shiftExpD2(x0), 1, 0);
    if (STORE) store<f64>(e + (<usize>i << 3), f64x2.extract_lane(e0, 0));
    if (REST) {
      const k0 = f64x2.eq(x0, ROW_MD);
      e0 = v128.andnot(e0, k0);
      cnt = i64x2.sub(cnt, f64x2.replace_lane(k0, 1, 0));
    }
    const s0 = f64x2.add(a0, e0);
    const b0 = f64x2.sub(s0, a0);
    c0 = f64x2.add(c0, f64x2.add(f64x2.sub(a0, f64x2.sub(s0, b0)), f64x2.sub(e0, b0))); // TwoSum
    a0 = s0;
  }
  if (REST) MAX_COUNT_D = <i32>(i64x2.extract_lane(cnt, 0) + i64x2.extract_lane(cnt, 1));
  // each accumulator less its start is exact (a ≥ 2^200 is a multiple of 2^200's ulp; or 0)
  c0 = f64x2.add(c0, c1);
  a0 = f64x2.sub(a0, A);
  a1 = f64x2.sub(a1, A);
  let hi = f64x2.extract_lane(a0, 0);
  let lo = f64x2.extract_lane(c0, 0) + f64x2.extract_lane(c0, 1);
  hi = twoSumInto(hi, f64x2.extract_lane(a0, 1));
  lo += TS_ERR;
  hi = twoSumInto(hi, f64x2.extract_lane(a1, 0));
  lo += TS_ERR;
  hi = twoSumInto(hi, f64x2.extract_lane(a1, 1));
  lo += TS_ERR;
  const s = hi + lo;
  SUM_LO_D = lo - (s - hi);
  return s;
}

let TS_ERR: f64 = 0;

/** a + b rounded, its error in TS_ERR (TwoSum). */
// @ts-ignore: decorator
@inline
function twoSumInto(a: f64, b: f64): f64 {
  const s = a + b;
  const bb = s - a;
  TS_ERR = (a - (s - bb)) + (b - bb);
  return s;
}

/** Stores e_i (float64, may be in place over x) and returns Σ e_i (rounded; low part in SUM_LO_D). */
export function expStoreD(x: usize, e: usize, n: i32): f64 {
  return expPassD(x, e, n, true, false);
}

/** Stores e_i and returns Σ e_i over the entries below the max (MAX_COUNT_D of them equal it). */
export function expStoreRestD(x: usize, e: usize, n: i32): f64 {
  return expPassD(x, e, n, true, true);
}

/** Σ e_i over the entries below the max (MAX_COUNT_D of them equal it), nothing stored. */
export function expSumRestD(x: usize, n: i32): f64 {
  return expPassD(x, 0, n, false, true);
}

/** log Σ e^(x − m) for the last REST row: log(k + S'·2^-200), via log1p when k = 1. */
export function logSumD(sp: f64): f64 {
  const k = <f64>MAX_COUNT_D;
  const rest = sp / SCALE_D;
  return k == 1 ? Math.log1p(rest) : Math.log(k + rest);
}

/** out_i = e_i / s (one rounding each); e may be out. */
function divRow(e: usize, out: usize, n: i32, s: f64): void {
  const vs = f64x2.splat(s);
  let i = 0;
  for (; i + 2 <= n; i += 2) v128.store(out + (<usize>i << 3), f64x2.div(v128.load(e + (<usize>i << 3)), vs));
  if (i < n) store<f64>(out + (<usize>i << 3), load<f64>(e + (<usize>i << 3)) / s);
}

/** out_i = e_i · c (one rounding each); e may be out. */
export function scaleRowD(e: usize, out: usize, n: i32, c: f64): void {
  const vc = f64x2.splat(c);
  let i = 0;
  for (; i + 2 <= n; i += 2) v128.store(out + (<usize>i << 3), f64x2.mul(v128.load(e + (<usize>i << 3)), vc));
  if (i < n) store<f64>(out + (<usize>i << 3), load<f64>(e + (<usize>i << 3)) * c);
}

export function fillRowD(out: usize, n: i32, v: f64): void {
  for (let i = 0; i < n; i++) store<f64>(out + (<usize>i << 3), v);
}

/** softmax over `rows` contiguous rows of n float64s (out may be x); a row of all −∞ gives 0 with allMaskedZero, else NaN. */
export function softmaxF64(x: usize, out: usize, rows: i32, n: i32, allMaskedZero: bool): void {
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>n) << 3;
    const xr = x + off;
    const or = out + off;
    const m = rowMaxD(xr, n);
    if (m != m || m == Infinity) fillRowD(or, n, NaN);
    else if (m == -Infinity) fillRowD(or, n, allMaskedZero ? 0 : NaN);
    else {
      setRowD(m);
      divRow(or, or, n, expStoreD(xr, or, n));
    }
  }
}

/** log-softmax: (x − m) − log Σ e^(x − m) with x − m = s + err exact, as s + (err − l). */
export function logSoftmaxF64(x: usize, out: usize, rows: i32, n: i32, allMaskedZero: bool): void {
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>n) << 3;
    const xr = x + off;
    const or = out + off;
    const m = rowMaxD(xr, n);
    if (m != m || m == Infinity) fillRowD(or, n, NaN);
    else if (m == -Infinity) fillRowD(or, n, allMaskedZero ? -Infinity : NaN);
    else {
      setRowD(m);
      shiftRowD(xr, or, n, logSumD(expSumRestD(xr, n)));
    }
  }
}

function shiftRowD(x: usize, out: usize, n: i32, l: f64): void {
  const vl = f64x2.splat(l);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const v = v128.load(x + (<usize>i << 3));
    const s = f64x2.sub(v, ROW_MD);
    let err = shiftErrD2(v, s);
    err = v128.and(err, f64x2.eq(err, err)); // NaN where s = −∞: nothing to add
    v128.store(out + (<usize>i << 3), f64x2.add(s, f64x2.sub(err, vl)));
  }
  if (i < n) {
    const v = f64x2.splat(load<f64>(x + (<usize>i << 3)));
    const s = f64x2.sub(v, ROW_MD);
    let err = shiftErrD2(v, s);
    err = v128.and(err, f64x2.eq(err, err));
    store<f64>(out + (<usize>i << 3), f64x2.extract_lane(f64x2.add(s, f64x2.sub(err, vl)), 0));
  }
}

/** logSumExp per row into out[r]: NaN for a NaN row, +∞ with +∞, −∞ for all −∞ (PyTorch). */
export function logSumExpF64(x: usize, out: usize, rows: i32, n: i32): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>n) << 3);
    const m = rowMaxD(xr, n);
    let v = m;
    if (m == m && m != Infinity && m != -Infinity) {
      setRowD(m);
      v = m + logSumD(expSumRestD(xr, n));
    }
    store<f64>(out + (<usize>r << 3), v);
  }
}
