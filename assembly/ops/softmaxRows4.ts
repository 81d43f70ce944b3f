// Short rows (n ≤ SMALL_N, e.g. 10 classes): four rows at a time, one row per SIMD lane, so the
// per-row work (max, exp, sum, one division, the log) is shared by four rows and no lane is
// wasted on a partial vector. Column c of the four rows is gathered into one vector; the math
// per lane is the same as the row kernels' (exact x − m by TwoSum, exp4, float64 sums, one
// rounding per output). A group with a non-finite or huge max (|m| ≥ 2^22) goes to the row
// kernels instead (the caller's fallback), so every special case keeps one code path.

import { expHi2, expLo2, expN4, expS4, expT4, SCALE } from '../math/expf';

/** Rows at most this long take the four-row kernels. */
export const SMALL_N: i32 = 32;

const HUGE: f32 = 4194304; // 2^22, as in softmax.ts

// Per-call values of the group (globals: per thread).
let G_M: v128 = f32x4.splat(0); // the four maxima
let G_S01: v128 = f64x2.splat(0); // Σ e (or Σ' e) of rows 0, 1
let G_S23: v128 = f64x2.splat(0); // … of rows 2, 3
let G_K: v128 = i32x4.splat(0); // how many entries equal the max, per row (REST only)

/** Column c of the four rows starting at x (row length n). */
// @ts-ignore: decorator
@inline
function gather(x: usize, c: i32, n: i32): v128 {
  const p = x + (<usize>c << 2);
  const s = <usize>n << 2;
  let v = v128.load32_zero(p);
  v = v128.load32_lane(p + s, v, 1);
  v = v128.load32_lane(p + 2 * s, v, 2);
  return v128.load32_lane(p + 3 * s, v, 3);
}

/** Writes the four lanes of v to column c of the four rows starting at out. */
// @ts-ignore: decorator
@inline
function scatter(out: usize, c: i32, n: i32, v: v128): void {
  const p = out + (<usize>c << 2);
  const s = <usize>n << 2;
  v128.store32_lane(p, v, 0);
  v128.store32_lane(p + s, v, 1);
  v128.store32_lane(p + 2 * s, v, 2);
  v128.store32_lane(p + 3 * s, v, 3);
}

/** Four rows (a, b, c, d: 4 floats each) into four columns, or back: a 4×4 transpose. */
// @ts-ignore: decorator
@inline
function t4(a: v128, b: v128, c: v128, d: v128, k: i32): v128 {
  const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(c, d, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
  if (k == 0) return v128.shuffle<f32>(t0, t2, 0, 1, 4, 5);
  if (k == 1) return v128.shuffle<f32>(t0, t2, 2, 3, 6, 7);
  if (k == 2) return v128.shuffle<f32>(t1, t3, 0, 1, 4, 5);
  return v128.shuffle<f32>(t1, t3, 2, 3, 6, 7);
}

/** NaN seen by the last columnsIn, per lane (a mask). */
let COL_NAN: v128 = i32x4.splat(0);

/**
 * The four rows at x (length n) as n column vectors at e: 4×4 blocks transposed, the rest
 * gathered; returns the four rows' maxima (pmax, NaN noted in COL_NAN), found on the way.
 */
// @ts-ignore: decorator
@inline
function columnsIn(x: usize, n: i32, e: usize): v128 {
  const s = <usize>n << 2;
  let m = f32x4.splat(-Infinity);
  let nan = i32x4.splat(0);
  let c = 0;
  for (; c + 4 <= n; c += 4) {
    const p = x + (<usize>c << 2);
    const a = v128.load(p);
    const b = v128.load(p + s);
    const cc = v128.load(p + 2 * s);
    const d = v128.load(p + 3 * s);
    const q = e + (<usize>c << 4);
    const v0 = t4(a, b, cc, d, 0);
    const v1 = t4(a, b, cc, d, 1);
    const v2 = t4(a, b, cc, d, 2);
    const v3 = t4(a, b, cc, d, 3);
    v128.store(q, v0);
    v128.store(q, v1, 16);
    v128.store(q, v2, 32);
    v128.store(q, v3, 48);
    m = f32x4.pmax(f32x4.pmax(m, f32x4.pmax(v0, v1)), f32x4.pmax(v2, v3));
    nan = v128.or(nan, v128.or(v128.or(f32x4.ne(v0, v0), f32x4.ne(v1, v1)), v128.or(f32x4.ne(v2, v2), f32x4.ne(v3, v3))));
  }
  for (; c < n; c++) {
    const v = gather(x, c, n);
    v128.store(e + (<usize>c << 4), v);
    m = f32x4.pmax(m, v);
    nan = v128.or(nan, f32x4.ne(v, v));
  }
  COL_NAN = nan;
  return m;
}

/** Column vectors c..c+3 (v0..v3) written back as the four rows' entries c..c+3 at out. */
// @ts-ignore: decorator
@inline
function rowsOut(out: usize, c: i32, n: i32, v0: v128, v1: v128, v2: v128, v3: v128): void {
  const s = <usize>n << 2;
  const p = out + (<usize>c << 2);
  v128.store(p, t4(v0, v1, v2, v3, 0));
  v128.store(p + s, t4(v0, v1, v2, v3, 1));
  v128.store(p + 2 * s, t4(v0, v1, v2, v3, 2));
  v128.store(p + 3 * s, t4(v0, v1, v2, v3, 3));
}

/**
 * Passes 1 and 2 for four rows: their columns into scratch (n·16 bytes), the maxima (G_M), and
 * e = e^(x − m)·2^100 per column, exact in float64 from the float32 exp's parts, stored as two
 * f64x2 per column (rows 0, 1 and rows 2, 3) at scratch + n·16 (n·32 bytes) and summed per row
 * into G_S01/G_S23; with REST the max's own terms are left out and counted in G_K. Returns false
 * when a max is NaN, ±∞ or huge.
 */
// @ts-ignore: decorator
@inline
function expGroup(x: usize, scratch: usize, n: i32, REST: bool): bool {
  const m = columnsIn(x, n, scratch);
  if (v128.any_true(COL_NAN) || !i32x4.all_true(f32x4.lt(f32x4.abs(m), f32x4.splat(HUGE)))) return false;
  G_M = m;
  const low = f32x4.sub(m, f32x4.splat(149));
  const nm = f32x4.neg(m);
  const e = scratch + (<usize>n << 4);
  let s01 = f64x2.splat(0);
  let s23 = f64x2.splat(0);
  let k = i32x4.splat(0);
  for (let c = 0; c < n; c++) {
    const x0 = v128.load(scratch + (<usize>c << 4));
    const v = f32x4.pmax(x0, low);
    const s = f32x4.sub(v, m);
    const bb = f32x4.sub(s, v);
    const err = f32x4.add(f32x4.sub(v, f32x4.sub(s, bb)), f32x4.sub(nm, bb));
    const vn = expN4(s);
    const t = expT4(s, err, vn);
    const sc = expS4(vn);
    let e01 = expLo2(sc, t);
    let e23 = expHi2(sc, t);
    v128.store(e + (<usize>c << 5), e01);
    v128.store(e + (<usize>c << 5), e23, 16);
    if (REST) {
      const isMax = f32x4.eq(x0, m);
      k = i32x4.sub(k, isMax);
      e01 = v128.andnot(e01, i64x2.extend_low_i32x4_s(isMax));
      e23 = v128.andnot(e23, i64x2.extend_high_i32x4_s(isMax));
    }
    s01 = f64x2.add(s01, e01);
    s23 = f64x2.add(s23, e23);
  }
  G_S01 = s01;
  G_S23 = s23;
  G_K = k;
  return true;
}

/** One column of pass 3: e · c per row (e as two f64x2), rounded once. */
// @ts-ignore: decorator
@inline
function scaleCol(q: usize, c01: v128, c23: v128): v128 {
  const lo = f32x4.demote_f64x2_zero(f64x2.mul(v128.load(q), c01));
  const hi = f32x4.demote_f64x2_zero(f64x2.mul(v128.load(q, 16), c23));
  return v128.shuffle<f32>(lo, hi, 0, 1, 4, 5);
}

/** Pass 3: out = e · c per row (c01 for rows 0, 1; c23 for rows 2, 3), rounded once; e from expGroup. */
// @ts-ignore: decorator
@inline
function scaleGroup(scratch: usize, out: usize, n: i32, c01: v128, c23: v128): void {
  const e = scratch + (<usize>n << 4);
  let c = 0;
  for (; c + 4 <= n; c += 4) {
    const q = e + (<usize>c << 5);
    rowsOut(out, c, n, scaleCol(q, c01, c23), scaleCol(q + 32, c01, c23), scaleCol(q + 64, c01, c23), scaleCol(q + 96, c01, c23));
  }
  for (; c < n; c++) scatter(out, c, n, scaleCol(e + (<usize>c << 5), c01, c23));
}

/** softmax of the four rows at x into out; scratch: n·48 bytes. False: not done (see expGroup). */
export function softmax4(x: usize, out: usize, scratch: usize, n: i32): bool {
  if (!expGroup(x, scratch, n, false)) return false;
  const one = f64x2.splat(1.0);
  scaleGroup(scratch, out, n, f64x2.div(one, G_S01), f64x2.div(one, G_S23));
  return true;
}

// log for two float64 lanes: u = 2^e·f with f in [√½, √2), log f = 2·atanh(s) with
// s = (f − 1)/(f + 1), |s| ≤ 0.1716, by its series through s^21/21 (truncation below 2^-58
// relative); e·ln2 in two parts (the high part exact). About 1 ulp of float64.
const LN2_HI: f64 = 6.93147180369123816490e-1; // 32 trailing zero bits: e·LN2_HI is exact
const LN2_LO: f64 = 1.90821492927058770002e-10;

// logv's constants, read with one splat-load each (V8 rebuilds a v128.const at every use): the
// series' coefficients 1/21, 1/19, …, 1/3, then √2, 1, ½, ln2 high and low, 2^-100.
const KL: usize = memory.data<f64>([
  1.0 / 21, 1.0 / 19, 1.0 / 17, 1.0 / 15, 1.0 / 13, 1.0 / 11, 1.0 / 9, 1.0 / 7, 1.0 / 5, 1.0 / 3,
  1.4142135623730951, 1.0, 0.5, LN2_HI, LN2_LO, 1.0 / SCALE,
], 16);

// @ts-ignore: decorator
@inline
function kl(i: i32): v128 {
  return v128.load64_splat(KL + (<usize>i << 3));
}

// @ts-ignore: decorator
@inline
function logv(u: v128): v128 {
  const ei = i64x2.sub(i64x2.shr_u(u, 52), i64x2.splat(1023));
  let f = v128.or(v128.and(u, i64x2.splat(0x000fffffffffffff)), i64x2.splat(0x3ff0000000000000));
  const big = f64x2.gt(f, kl(10));
  f = v128.bitselect(f64x2.mul(f, kl(12)), f, big);
  const e = f64x2.add(f64x2.convert_low_i32x4_s(v128.shuffle<i32>(ei, ei, 0, 2, 0, 2)), v128.and(big, kl(11)));
  const s = f64x2.div(f64x2.sub(f, kl(11)), f64x2.add(f, kl(11)));
  const z = f64x2.mul(s, s);
  // p(z) = 1/3 + z/5 + … + z^9/21 by Estrin's scheme: the group's logs sit between its exp
  // pass and its output pass, so their latency (not their count) is what costs
  const q0 = f64x2.add(f64x2.mul(z, kl(8)), kl(9)); // 1/3 + z/5
  const q1 = f64x2.add(f64x2.mul(z, kl(6)), kl(7)); // 1/7 + z/9
  const q2 = f64x2.add(f64x2.mul(z, kl(4)), kl(5)); // 1/11 + z/13
  const q3 = f64x2.add(f64x2.mul(z, kl(2)), kl(3)); // 1/15 + z/17
  const q4 = f64x2.add(f64x2.mul(z, kl(0)), kl(1)); // 1/19 + z/21
  const z2 = f64x2.mul(z, z);
  const z4 = f64x2.mul(z2, z2);
  const r0 = f64x2.add(f64x2.mul(z2, q1), q0);
  const r1 = f64x2.add(f64x2.mul(z2, q3), q2);
  const p = f64x2.add(f64x2.add(f64x2.mul(z4, r1), r0), f64x2.mul(f64x2.mul(z4, z4), q4));
  const t = f64x2.add(s, f64x2.mul(f64x2.mul(s, z), p)); // atanh(s)
  return f64x2.add(f64x2.mul(e, kl(13)), f64x2.add(f64x2.mul(e, kl(14)), f64x2.add(t, t)));
}

/**
 * log(k + S'·2^-100) for two lanes (k ≥ 1 the count of max entries, S' the rest's scaled sum):
 * u = k + y rounded, plus the rounding's correction err/u, so log1p's accuracy is kept for tiny y.
 */
// @ts-ignore: decorator
@inline
function logKS(k: v128, sp: v128): v128 {
  const y = f64x2.mul(sp, kl(15));
  const u = f64x2.add(k, y);
  const bb = f64x2.sub(u, k);
  const err = f64x2.add(f64x2.sub(k, f64x2.sub(u, bb)), f64x2.sub(y, bb));
  return f64x2.add(logv(u), f64x2.div(err, u));
}

/** The four rows' log Σ e^(x − m), as lanes (rows 0, 1) and (rows 2, 3), into G_L01, G_L23. */
// @ts-ignore: decorator
@inline
function groupLogs(): void {
  const k = G_K;
  G_L01 = logKS(f64x2.convert_low_i32x4_s(k), G_S01);
  G_L23 = logKS(f64x2.convert_low_i32x4_s(v128.shuffle<i32>(k, k, 2, 3, 0, 1)), G_S23);
}

let G_L01: v128 = f64x2.splat(0);
let G_L23: v128 = f64x2.splat(0);


/** One column of log-softmax: (x − m) − l per row in float64, rounded once. */
// @ts-ignore: decorator
@inline
function shiftCol(v: v128, m01: v128, m23: v128, l01: v128, l23: v128): v128 {
  const lo = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.sub(f64x2.promote_low_f32x4(v), m01), l01));
  const hi = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)), m23), l23));
  return v128.shuffle<f32>(lo, hi, 0, 1, 4, 5);
}

/** log-softmax of the four rows at x into out: (x − m) − log S per element in float64; scratch: n·48 bytes. */
export function logSoftmax4(x: usize, out: usize, scratch: usize, n: i32): bool {
  if (!expGroup(x, scratch, n, true)) return false;
  const m = G_M;
  const m01 = f64x2.promote_low_f32x4(m);
  const m23 = f64x2.promote_low_f32x4(v128.shuffle<f32>(m, m, 2, 3, 0, 1));
  groupLogs();
  const l01 = G_L01;
  const l23 = G_L23;
  const s = <usize>n << 2;
  let c = 0;
  for (; c + 4 <= n; c += 4) {
    // a block of four rows × four columns, turned into columns (one lane per row), shifted, turned back
    const p = x + (<usize>c << 2);
    const a = v128.load(p);
    const b = v128.load(p + s);
    const cc = v128.load(p + 2 * s);
    const d = v128.load(p + 3 * s);
    rowsOut(out, c, n,
      shiftCol(t4(a, b, cc, d, 0), m01, m23, l01, l23), shiftCol(t4(a, b, cc, d, 1), m01, m23, l01, l23),
      shiftCol(t4(a, b, cc, d, 2), m01, m23, l01, l23), shiftCol(t4(a, b, cc, d, 3), m01, m23, l01, l23));
  }
  for (; c < n; c++) scatter(out, c, n, shiftCol(gather(x, c, n), m01, m23, l01, l23));
  return true;
}




/**
 * Fused cross-entropy (class indices) of the four rows r0..r0+3 at x, arguments as
 * crossEntropyF32 (x, targets, lossOut, grad and gradScales already at row r0); scratch: n·48
 * bytes. The same per-row formulas as crossEntropyF32. False: not done (see expGroup).
 */
export function crossEntropy4(
  x: usize, targets: usize, n: i32, classWeight: usize, ignoreIndex: i32,
  lossOut: usize, grad: usize, gradScale: f64, gradScales: usize, gradDivisor: f64, scratch: usize,
): bool {
  if (!expGroup(x, scratch, n, true)) return false;
  groupLogs();
  // The per-row scalars of the four rows as two f64x2 (rows 0, 1 and rows 2, 3), by the same
  // formulas and in the same order as crossEntropyRow, so each row's bits match the row kernel's.
  const t0 = load<i32>(targets);
  const t1 = load<i32>(targets, 4);
  const t2 = load<i32>(targets, 8);
  const t3 = load<i32>(targets, 12);
  // an ignored row reads entry 0 (its results are zeroed below)
  const u0 = t0 == ignoreIndex ? 0 : t0;
  const u1 = t1 == ignoreIndex ? 0 : t1;
  const u2 = t2 == ignoreIndex ? 0 : t2;
  const u3 = t3 == ignoreIndex ? 0 : t3;
  const keep01 = i64x2.replace_lane(i64x2.splat(t0 == ignoreIndex ? 0 : -1), 1, t1 == ignoreIndex ? 0 : -1);
  const keep23 = i64x2.replace_lane(i64x2.splat(t2 == ignoreIndex ? 0 : -1), 1, t3 == ignoreIndex ? 0 : -1);
  const wt01 = classWeight ? f64x2.replace_lane(f64x2.splat(load<f64>(classWeight + (<usize>u0 << 3))), 1, load<f64>(classWeight + (<usize>u1 << 3))) : f64x2.splat(1);
  const wt23 = classWeight ? f64x2.replace_lane(f64x2.splat(load<f64>(classWeight + (<usize>u2 << 3))), 1, load<f64>(classWeight + (<usize>u3 << 3))) : f64x2.splat(1);
  const s = <usize>n << 2;
  const xt01 = f64x2.replace_lane(f64x2.splat(<f64>load<f32>(x + (<usize>u0 << 2))), 1, <f64>load<f32>(x + s + (<usize>u1 << 2)));
  const xt23 = f64x2.replace_lane(f64x2.splat(<f64>load<f32>(x + 2 * s + (<usize>u2 << 2))), 1, <f64>load<f32>(x + 3 * s + (<usize>u3 << 2)));
  const gm = G_M;
  const m01 = f64x2.promote_low_f32x4(gm);
  const m23 = f64x2.promote_low_f32x4(v128.shuffle<f32>(gm, gm, 2, 3, 0, 1));
  // loss = w_t·(l − (x_t − m)), 0 for an ignored row
  v128.store(lossOut, v128.and(f64x2.mul(wt01, f64x2.sub(G_L01, f64x2.sub(xt01, m01))), keep01));
  v128.store(lossOut, v128.and(f64x2.mul(wt23, f64x2.sub(G_L23, f64x2.sub(xt23, m23))), keep23), 16);
  if (!grad) return true;
  const gk = G_K;
  const k01 = f64x2.convert_low_i32x4_s(gk);
  const k23 = f64x2.convert_low_i32x4_s(v128.shuffle<i32>(gk, gk, 2, 3, 0, 1));
  const gs01 = gradScales ? v128.load(gradScales) : f64x2.splat(1);
  const gs23 = gradScales ? v128.load(gradScales, 16) : f64x2.splat(1);
  const g01 = f64x2.div(f64x2.mul(f64x2.mul(f64x2.splat(gradScale), gs01), wt01), f64x2.splat(gradDivisor));
  const g23 = f64x2.div(f64x2.mul(f64x2.mul(f64x2.splat(gradScale), gs23), wt23), f64x2.splat(gradDivisor));
  const st01 = f64x2.add(f64x2.mul(k01, f64x2.splat(SCALE)), G_S01);
  const st23 = f64x2.add(f64x2.mul(k23, f64x2.splat(SCALE)), G_S23);
  // e_t is lane j of column t (rows 0, 1 then rows 2, 3, float64)
  const e = scratch + (<usize>n << 4);
  const et01 = f64x2.replace_lane(f64x2.splat(load<f64>(e + (<usize>u0 << 5))), 1, load<f64>(e + (<usize>u1 << 5) + 8));
  const et23 = f64x2.replace_lane(f64x2.splat(load<f64>(e + (<usize>u2 << 5) + 16)), 1, load<f64>(e + (<usize>u3 << 5) + 24));
  // 1 − p_t without cancellation: S'/S where t is the only max
  const only01 = v128.and(f64x2.eq(et01, f64x2.splat(SCALE)), f64x2.eq(k01, f64x2.splat(1)));
  const only23 = v128.and(f64x2.eq(et23, f64x2.splat(SCALE)), f64x2.eq(k23, f64x2.splat(1)));
  const omp01 = v128.bitselect(f64x2.div(G_S01, st01), f64x2.sub(f64x2.splat(1), f64x2.div(et01, st01)), only01);
  const omp23 = v128.bitselect(f64x2.div(G_S23, st23), f64x2.sub(f64x2.splat(1), f64x2.div(et23, st23)), only23);
  const c01 = v128.and(f64x2.div(g01, st01), keep01);
  const c23 = v128.and(f64x2.div(g23, st23), keep23);
  const tg01 = f64x2.mul(f64x2.neg(g01), omp01);
  const tg23 = f64x2.mul(f64x2.neg(g23), omp23);
  const tg0 = f64x2.extract_lane(tg01, 0);
  const tg1 = f64x2.extract_lane(tg01, 1);
  const tg2 = f64x2.extract_lane(tg23, 0);
  const tg3 = f64x2.extract_lane(tg23, 1);
  scaleGroup(scratch, grad, n, c01, c23);
  for (let j = 0; j < 4; j++) {
    const t = load<i32>(targets + (<usize>j << 2));
    const gr = grad + ((<usize>j * <usize>n) << 2);
    if (t == ignoreIndex) memory.fill(gr, 0, <usize>n << 2);
    else store<f32>(gr + (<usize>t << 2), <f32>(j == 0 ? tg0 : j == 1 ? tg1 : j == 2 ? tg2 : tg3));
  }
  return true;
}

/** logSumExp of the four rows at x into out[0..3] (float32): m + log S per row; scratch: n·48 bytes. False: not done (see expGroup). */
export function logSumExp4(x: usize, out: usize, scratch: usize, n: i32): bool {
  if (!expGroup(x, scratch, n, true)) return false;
  groupLogs();
  const m = G_M;
  const lo = f32x4.demote_f64x2_zero(f64x2.add(f64x2.promote_low_f32x4(m), G_L01));
  const hi = f32x4.demote_f64x2_zero(f64x2.add(f64x2.promote_low_f32x4(v128.shuffle<f32>(m, m, 2, 3, 0, 1)), G_L23));
  v128.store(out, v128.shuffle<f32>(lo, hi, 0, 1, 4, 5));
  return true;
}
