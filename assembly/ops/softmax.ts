// Fast kernels of the softmax family for float32 rows (contiguous, `n` elements, rows back to
// back). Three row primitives as XNNPACK: max; store e_i = e^(x_i − max)·2^100/G (float64, exact
// from the float32 exp's parts; G a row constant, see expPass) and sum; scale. The exp never
// rounds x − max (it reduces x itself, or x − max where that is exact), the sum runs in float64
// (for the log ops without the max's own terms, exactly 2^100 each), and the last pass multiplies
// in float64 and rounds once. Each row's max but the first is taken during the previous row's exp
// pass (expLoop's `next`).

import { dmadd, expPoly4, K_LN2_HI, K_LN2_LO, K_LOG2E, kc, madd, nmadd, SCALE } from '../math/expf';
import { logSoftmax4, logSumExp4, SMALL_N, softmax4 } from './softmaxRows4';

/** Lanes [0, rem) set, the others clear (rem < 4). */
// @ts-ignore: decorator
@inline
function laneMask(rem: i32): v128 {
  return i32x4.gt_s(i32x4.splat(rem), v128.load(IOTA));
}

const IOTA: usize = memory.data<i32>([0, 1, 2, 3], 16);

/**
 * Row max of the entries that are not NaN (−∞ when there are none). pmax is one instruction
 * (wasm's max is several, for its NaN rule) and skips a NaN in its second operand; the callers
 * find NaN afterwards, in the sum of the exp pass (NaN exactly when the row holds one) or with
 * hasNaN where the max is not finite. The last partial vector is read whole (rows are followed by
 * at least 12 readable bytes) and masked.
 */
export function rowMax(x: usize, n: i32): f32 {
  let m0 = f32x4.splat(-Infinity);
  let m1 = m0;
  let m2 = m0;
  let m3 = m0;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const p = x + (<usize>i << 2);
    m0 = f32x4.pmax(m0, v128.load(p));
    m1 = f32x4.pmax(m1, v128.load(p, 16));
    m2 = f32x4.pmax(m2, v128.load(p, 32));
    m3 = f32x4.pmax(m3, v128.load(p, 48));
  }
  return maxTail(x, n, i, f32x4.pmax(m0, m2), f32x4.pmax(m1, m3));
}

/**
 * rowMax's ending, shared with the max that expLoop takes of the next row on the way: entries
 * [i, n) into m0 four at a time (masked), then the lanes. The two visit the entries in different
 * orders, which can only matter for the sign of a zero max (pmax keeps the first of −0 and +0):
 * no output depends on it (a row with both has k ≥ 2 max entries, so log S ≥ log 2 ≠ 0, and
 * m − 149, round(m·log2e), G and x == m do not see the sign), so the bits do not depend on which
 * of the two found a row's max, nor on how rows fall to threads.
 */
// @ts-ignore: decorator
@inline
function maxTail(x: usize, n: i32, i: i32, m0: v128, m1: v128): f32 {
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    m0 = f32x4.pmax(m0, v128.load(p));
    m1 = f32x4.pmax(m1, v128.load(p, 16));
  }
  for (; i < n; i += 4) {
    const k = laneMask(n - i < 4 ? n - i : 4);
    m0 = f32x4.pmax(m0, v128.bitselect(v128.load(x + (<usize>i << 2)), f32x4.splat(-Infinity), k));
  }
  m0 = f32x4.pmax(m0, m1);
  return max(max(f32x4.extract_lane(m0, 0), f32x4.extract_lane(m0, 1)), max(f32x4.extract_lane(m0, 2), f32x4.extract_lane(m0, 3)));
}

/** The max of the row after the one the last exp pass ran on (its `next`), as rowMax gives it. */
export let NEXT_MAX: f32 = 0;

/** Whether any of the n float32s at x is NaN (for rows whose max is not finite: rare). */
export function hasNaN(x: usize, n: i32): bool {
  for (let i = 0; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v != v) return true;
  }
  return false;
}

/** How many entries of the last expSum row equal the max (each contributed exactly 2^100). */
export let MAX_COUNT: i32 = 0;

/**
 * The factor G of the last exp pass: its e_i times G is e^(x_i − m)·2^100 (G = e^(n_m·ln2 − m) on
 * the shift-free path, 1 elsewhere; see expPass). A row's softmax does not need it (it cancels in
 * e_i/Σe); the sums without the max's terms are G·Σ'.
 */
export let ROW_G: f64 = 1;

// The row's values for expVec, in globals: V8 reads a global with one instruction and does not
// hoist splats out of loops; globals, unlike memory, are per thread.
let ROW_LOW: v128 = f32x4.splat(0); // m − 149
let ROW_M: v128 = f32x4.splat(0); // m
let ROW_MAGIC: v128 = f32x4.splat(0); // 1.5·2^23 + 1123 − n_m
let ROW_C: v128 = f64x2.splat(0);
let ROW_CNT: v128 = i32x4.splat(0); // the max's entries per lane, negated (expVec with STORE and REST)

/**
 * Rows with a max in [FREE_LO, FREE_HI] take the shift-free exp (every v in [m − 149, m] has
 * |v| < 354, so |N| < 512); the others have v − m exact (Sterbenz: v ∈ [m − 149, m] lies within
 * a factor 2 of m when m ≥ 298 or m ≤ −149).
 */
const FREE_LO: f32 = -200;
const FREE_HI: f32 = 350;

const LOG2E_D: f64 = 1.4426950408889634;
/** ln2 in two parts (fdlibm's): n·LN2_HI_D is exact for |n| < 2^11. */
const LN2_HI_D: f64 = 6.93147180369123816490e-01;
const LN2_LO_D: f64 = 1.90821492927058770002e-10;
/** 1.5·2^23 + 1123: adding it rounds to an integer N and leaves N + 1123 (N + 100 + 1023) in the low bits. */
const MAGIC_D: f64 = 12584035;

/**
 * The exp pass of a row: e_i, stored as float64 at e when STORE, and Σ e_i in float64; with REST
 * the max's own terms are left out of the sum (S' for log1p) and counted in MAX_COUNT. The sum
 * is NaN exactly when the row holds a NaN. m must be finite and the row's last rowMax. STORE and
 * REST are constants at every call, so each caller gets its own loops.
 *
 * The exp never rounds x − m. Rows with m ∈ [FREE_LO, FREE_HI] (nearly all) take the shift-free
 * exp: with n_m = round(m·log2e), e^(x − m) = 2^(N − n_m)·e^r · e^(n_m·ln2 − m) where
 * N = round(x·log2e) and r = x − N·ln2 is the range reduction of x itself (N·ln2_hi is exact for
 * |N| < 512, x − N·ln2_hi by Sterbenz). The other rows reduce d = x − m, which is exact there
 * (Sterbenz), the same way with n_m = 0. Both form e_i = 2^(N − n_m + 100)·(1 + t) exactly in
 * float64 from the float32 t = e^r − 1 and leave G = e^(n_m·ln2 − m) (float64) in ROW_G: e_i·G is
 * e^(x_i − m)·2^100 within [−0.751, 0.728]·2^-24 relative (plain SIMD; [−0.704, 0.694]·2^-24
 * with fused multiply-adds; every float32 reduced argument in [−349, 350], exhaustively). Rows
 * with |m| ≥ HUGE take a scalar float64 path.
 *
 * Softmax's bound (docs/math.md, "Budget"): with ε_i the relative error of e_i·G and ε̄ = Σ p_j ε_j
 * that of the sum, p_i is off by (ε_i − ε̄)(1 + …) before its one rounding, and since ε̄ gives
 * ε_i the weight p_i, |ε_i − ε̄| ≤ (1 − p_i)·1.479·2^-24 (+2^-38.8 from the float64 sum, division
 * and product): under 1.48 ulp of p_i, so the result is at most 2 float32 steps from the correctly
 * rounded p_i, and within ½ + 1.48 ulp of the exact value (+½ where p_i sits just below a power of
 * two and the error carries it over). Why e stays float64 in between: rounding e_i to float32
 * moves p_i = e_i·c by up to ½μ_c ulp of p_i (μ_c ∈ [1, 2) the significand of c = 1/S, since e_i's
 * ulp can be twice p_i's relatively), which on top of the above makes up to 2.98 ulp.
 */
// @ts-ignore: decorator
@inline
function expPass(x: usize, e: usize, n: i32, m: f32, STORE: bool, REST: bool, next: usize = 0): f64 {
  ROW_G = 1;
  if (abs(m) >= HUGE) {
    if (next) NEXT_MAX = rowMax(next, n);
    return expSumHuge(x, e, n, m, STORE, REST);
  }
  ROW_LOW = f32x4.splat(m - 149);
  ROW_M = f32x4.splat(m);
  if (next) return expPassNext(x, e, n, m, STORE, REST, next);
  if (m >= FREE_LO && m <= FREE_HI) {
    const nm = Math.round(<f64>m * LOG2E_D);
    ROW_MAGIC = f32x4.splat(<f32>(MAGIC_D - nm));
    ROW_G = Math.exp((nm * LN2_HI_D - <f64>m) + nm * LN2_LO_D);
    return expLoop(x, e, n, STORE, REST, true, 0, false);
  }
  ROW_MAGIC = f32x4.splat(<f32>MAGIC_D);
  return expLoop(x, e, n, STORE, REST, false, 0, false);
}

/**
 * expPass with the max of the next row (`next`, n entries) taken on the way into NEXT_MAX: its
 * loads ride along the exp's arithmetic, and the row is in cache by the time its own pass comes.
 */
// @ts-ignore: decorator
@inline
function expPassNext(x: usize, e: usize, n: i32, m: f32, STORE: bool, REST: bool, next: usize): f64 {
  if (m >= FREE_LO && m <= FREE_HI) {
    const nm = Math.round(<f64>m * LOG2E_D);
    ROW_MAGIC = f32x4.splat(<f32>(MAGIC_D - nm));
    ROW_G = Math.exp((nm * LN2_HI_D - <f64>m) + nm * LN2_LO_D);
    return expLoop(x, e, n, STORE, REST, true, next, true);
  }
  ROW_MAGIC = f32x4.splat(<f32>MAGIC_D);
  return expLoop(x, e, n, STORE, REST, false, next, true);
}

/**
 * One vector of expLoop: e of x0 (lanes k only when TAIL), stored at p when STORE; returns the
 * lanes' e as a pairwise float64 sum (lanes 0 + 2, 1 + 3), the max's own terms left out with REST.
 * FREE: the shift-free exp, else the exp of x − m (exact).
 */
// @ts-ignore: decorator
@inline
function expVec(x0: v128, p: usize, k: v128, rem: i32, STORE: bool, REST: bool, FREE: bool, TAIL: bool): v128 {
  // v = max(x, m − 149): −∞ and far-below entries raised to m − 149 (exact below HUGE)
  let v = f32x4.pmax(x0, ROW_LOW);
  if (!FREE) v = f32x4.sub(v, ROW_M);
  // N + 1123 − n_m in vn's low bits (N = round(v·log2e)), N = vn − ROW_MAGIC, r = v − N·ln2
  let vn = madd(v, kc(K_LOG2E), ROW_MAGIC);
  const nf = f32x4.sub(vn, ROW_MAGIC);
  const t = expPoly4(nmadd(nf, kc(K_LN2_LO), nmadd(nf, kc(K_LN2_HI), v)));
  // with REST and nothing stored, the max's own terms are left out before the widening: vn = 0
  // gives s = +0 and e = 0 exactly (t is finite); so do the lanes past the row's end (TAIL, read as −∞)
  const maskIn = REST && !STORE;
  if (maskIn) vn = v128.andnot(vn, f32x4.eq(x0, ROW_M));
  if (TAIL) vn = v128.and(vn, k);
  // s = 2^(N − n_m + 100) as float64: vn's low 12 bits shifted into the exponent field; e = s + s·t
  const slo = i64x2.shl(i64x2.extend_low_i32x4_u(vn), 52);
  const shi = i64x2.shl(i64x2.extend_high_i32x4_u(vn), 52);
  let elo = dmadd(slo, f64x2.promote_low_f32x4(t), slo);
  let ehi = dmadd(shi, f64x2.promote_low_f32x4(v128.shuffle<f32>(t, t, 2, 3, 0, 1)), shi);
  if (STORE) {
    if (!TAIL) {
      v128.store(p, elo);
      v128.store(p, ehi, 16);
    } else {
      v128.store_lane<f64>(p, elo, 0);
      if (rem > 1) v128.store_lane<f64>(p, elo, 1, 8);
      if (rem > 2) v128.store_lane<f64>(p, ehi, 0, 16);
      if (rem > 3) v128.store_lane<f64>(p, ehi, 1, 24);
    }
  }
  if (REST && !maskIn) {
    // e is stored whole: the max's terms come out of the sum here, on a branch (they are rare)
    const isMax = f32x4.eq(x0, ROW_M);
    if (v128.any_true(isMax)) {
      elo = v128.andnot(elo, i64x2.extend_low_i32x4_s(isMax));
      ehi = v128.andnot(ehi, i64x2.extend_high_i32x4_s(isMax));
      ROW_CNT = i32x4.sub(ROW_CNT, isMax);
    }
  }
  return f64x2.add(elo, ehi);
}

// @ts-ignore: decorator
@inline
function expLoop(x: usize, e: usize, n: i32, STORE: bool, REST: bool, FREE: bool, next: usize, NEXT: bool): f64 {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let n0 = f32x4.splat(-Infinity);
  let n1 = n0;
  let cnt = i32x4.splat(0);
  ROW_CNT = cnt;
  const all = i32x4.splat(-1);
  const countHere = REST && !STORE;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const q = e + (<usize>i << 3);
    const x0 = v128.load(p);
    const x1 = v128.load(p, 16);
    a0 = f64x2.add(a0, expVec(x0, q, all, 4, STORE, REST, FREE, false));
    a1 = f64x2.add(a1, expVec(x1, q + 32, all, 4, STORE, REST, FREE, false));
    if (countHere) cnt = i32x4.sub(i32x4.sub(cnt, f32x4.eq(x0, ROW_M)), f32x4.eq(x1, ROW_M));
    if (NEXT) {
      // the next row's max, as rowMax's main loop
      const pn = next + (<usize>i << 2);
      n0 = f32x4.pmax(n0, v128.load(pn));
      n1 = f32x4.pmax(n1, v128.load(pn, 16));
    }
  }
  if (NEXT) NEXT_MAX = maxTail(next, n, i, n0, n1);
  // the last 1–7 entries: whole vectors read (rows are followed by readable bytes), masked
  for (; i < n; i += 4) {
    const rem = n - i < 4 ? n - i : 4;
    const k = laneMask(rem);
    const x0 = v128.load(x + (<usize>i << 2));
    // a max entry beyond the row's end must not be left out: mask the comparison there too
    const xm = v128.bitselect(x0, f32x4.splat(-Infinity), k);
    a0 = f64x2.add(a0, expVec(xm, e + (<usize>i << 3), k, rem, STORE, REST, FREE, true));
    if (countHere) cnt = i32x4.sub(cnt, f32x4.eq(xm, ROW_M));
  }
  if (REST && STORE) cnt = ROW_CNT;
  a0 = f64x2.add(a0, a1);
  MAX_COUNT = i32x4.extract_lane(cnt, 0) + i32x4.extract_lane(cnt, 1) + i32x4.extract_lane(cnt, 2) + i32x4.extract_lane(cnt, 3);
  return f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
}

/** From this |max| on, m − 149 may not be exact in float32: rows take expSumHuge. */
const HUGE: f32 = 4194304; // 2^22

/**
 * expPass for rows whose max is at least HUGE in magnitude (rare): scalar, with x − m exact in
 * float64 (clamped at −149 as the vector paths) and float64's exp, so G = 1 and e is within
 * about 2^-52 relative.
 */
function expSumHuge(x: usize, e: usize, n: i32, m: f32, store_: bool, rest: bool): f64 {
  let sum: f64 = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    const d = <f64>v - <f64>m; // exact in float64 unless v is negligible next to m
    const ev = Math.exp(d < -149 ? -149 : d) * SCALE; // NaN stays NaN
    if (store_) store<f64>(e + (<usize>i << 3), ev);
    if (rest && d == 0) count++;
    else sum += ev;
  }
  MAX_COUNT = count;
  return sum;
}

// The exp passes. With `next` ≠ 0 (the row after x, n entries too), its max lands in NEXT_MAX.

/** Stores e_i (float64) at e and returns Σ e_i. */
export function expStore(x: usize, e: usize, n: i32, m: f32, next: usize = 0): f64 {
  return expPass(x, e, n, m, true, false, next);
}

/** Stores e_i (float64) at e and returns Σ e_i over the entries below the max (MAX_COUNT of them equal it). */
export function expStoreRest(x: usize, e: usize, n: i32, m: f32, next: usize = 0): f64 {
  return expPass(x, e, n, m, true, true, next);
}

/** Σ e_i over the entries below the max (MAX_COUNT of them equal it), nothing stored. */
export function expSumRest(x: usize, n: i32, m: f32, next: usize = 0): f64 {
  return expPass(x, 0, n, m, false, true, next);
}

/** The max of `next` (n entries) for a row whose exp pass did not run: rowMax, or 0 without one. */
// @ts-ignore: decorator
@inline
export function maxOf(next: usize, n: i32): f32 {
  return next ? rowMax(next, n) : 0;
}

/** log Σ e^(x − m) for the last expSum row (sp its Σ' e_i): log(k + G·S'·2^-100), via log1p when k = 1. */
// @ts-ignore: decorator
@inline
export function logSum(sp: f64): f64 {
  const k = <f64>MAX_COUNT;
  const rest = (sp * ROW_G) / SCALE;
  return k == 1 ? Math.log1p(rest) : Math.log(k + rest);
}

/** out_i = e_i · c for a float64 row e, rounded once to float32. */
export function scaleRow(e: usize, out: usize, n: i32, c: f64): void {
  ROW_C = f64x2.splat(c);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const q = e + (<usize>i << 3);
    const a = f32x4.demote_f64x2_zero(f64x2.mul(v128.load(q), ROW_C));
    const b = f32x4.demote_f64x2_zero(f64x2.mul(v128.load(q, 16), ROW_C));
    const c2 = f32x4.demote_f64x2_zero(f64x2.mul(v128.load(q, 32), ROW_C));
    const d = f32x4.demote_f64x2_zero(f64x2.mul(v128.load(q, 48), ROW_C));
    v128.store(out + (<usize>i << 2), v128.shuffle<f32>(a, b, 0, 1, 4, 5));
    v128.store(out + (<usize>i << 2), v128.shuffle<f32>(c2, d, 0, 1, 4, 5), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const lo = f32x4.demote_f64x2_zero(f64x2.mul(v128.load(e + (<usize>i << 3)), ROW_C));
    const hi = f32x4.demote_f64x2_zero(f64x2.mul(v128.load(e + (<usize>i << 3), 16), ROW_C));
    v128.store(out + (<usize>i << 2), v128.shuffle<f32>(lo, hi, 0, 1, 4, 5));
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), <f32>(load<f64>(e + (<usize>i << 3)) * c));
}

function fillRow(out: usize, n: i32, v: f32): void {
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), v);
}

/**
 * softmax over `rows` contiguous rows of n float32s; scratch: n·8 bytes (e as float64), n·48 when
 * n ≤ SMALL_N (the four-row kernels' columns and e); allMaskedZero: a row of all −∞ gives 0, else NaN.
 */
export function softmaxF32(x: usize, out: usize, scratch: usize, rows: i32, n: i32, allMaskedZero: bool): void {
  let r = 0;
  if (n <= SMALL_N) {
    for (; r + 4 <= rows; r += 4) {
      const off = (<usize>r * <usize>n) << 2;
      if (softmax4(x + off, out + off, scratch, n)) continue;
      for (let j = 0; j < 4; j++) {
        const xr = x + off + ((<usize>j * <usize>n) << 2);
        softmaxRow(xr, out + off + ((<usize>j * <usize>n) << 2), scratch, n, allMaskedZero, rowMax(xr, n), 0);
      }
    }
  }
  // each row's exp pass takes the next row's max on the way (the first row's has its own pass)
  let m = r < rows ? rowMax(x + ((<usize>r * <usize>n) << 2), n) : 0;
  for (; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>n) << 2);
    m = softmaxRow(xr, out + ((<usize>r * <usize>n) << 2), scratch, n, allMaskedZero, m, r + 1 < rows ? xr + (<usize>n << 2) : 0);
  }
}

/** One row with its max m; returns the max of `next` (0 without one). */
function softmaxRow(xr: usize, or: usize, scratch: usize, n: i32, allMaskedZero: bool, m: f32, next: usize): f32 {
  if (m == Infinity) fillRow(or, n, NaN);
  else if (m == -Infinity) fillRow(or, n, allMaskedZero && !hasNaN(xr, n) ? 0 : NaN);
  else {
    const s = expStore(xr, scratch, n, m, next);
    if (s != s) fillRow(or, n, NaN);
    else scaleRow(scratch, or, n, 1.0 / s);
    return next ? NEXT_MAX : 0;
  }
  return maxOf(next, n);
}

/** log-softmax: (x − m) − log Σ e^(x − m), in float64 per element, rounded once; scratch: n·48 bytes when n ≤ SMALL_N (the four-row kernels), else none. */
export function logSoftmaxF32(x: usize, out: usize, scratch: usize, rows: i32, n: i32, allMaskedZero: bool): void {
  let r = 0;
  if (n <= SMALL_N) {
    for (; r + 4 <= rows; r += 4) {
      const off = (<usize>r * <usize>n) << 2;
      if (logSoftmax4(x + off, out + off, scratch, n)) continue;
      for (let j = 0; j < 4; j++) {
        const xr = x + off + ((<usize>j * <usize>n) << 2);
        logSoftmaxRow(xr, out + off + ((<usize>j * <usize>n) << 2), n, allMaskedZero, rowMax(xr, n), 0);
      }
    }
  }
  let m = r < rows ? rowMax(x + ((<usize>r * <usize>n) << 2), n) : 0;
  for (; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>n) << 2);
    m = logSoftmaxRow(xr, out + ((<usize>r * <usize>n) << 2), n, allMaskedZero, m, r + 1 < rows ? xr + (<usize>n << 2) : 0);
  }
}

/** One row with its max m; returns the max of `next` (0 without one). */
function logSoftmaxRow(xr: usize, or: usize, n: i32, allMaskedZero: bool, m: f32, next: usize): f32 {
  if (m == Infinity) fillRow(or, n, NaN);
  else if (m == -Infinity) fillRow(or, n, allMaskedZero && !hasNaN(xr, n) ? -Infinity : NaN);
  else {
    const l = logSum(expSumRest(xr, n, m, next));
    if (l != l) fillRow(or, n, NaN);
    else shiftRow(xr, or, n, <f64>m, l);
    return next ? NEXT_MAX : 0;
  }
  return maxOf(next, n);
}

/** out_i = (x_i − m) − l in float64, rounded once to float32 (x_i − m is exact in float64). */
function shiftRow(x: usize, out: usize, n: i32, m: f64, l: f64): void {
  const vm = f64x2.splat(m);
  const vl = f64x2.splat(l);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    // two 8-byte loads and stores instead of shuffles: the shuffle port is the busy one here
    const p = x + (<usize>i << 2);
    const lo = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(p)), vm), vl));
    const hi = f32x4.demote_f64x2_zero(f64x2.sub(f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(p, 8)), vm), vl));
    v128.store_lane<i64>(out + (<usize>i << 2), lo, 0);
    v128.store_lane<i64>(out + (<usize>i << 2), hi, 0, 8);
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), <f32>((<f64>load<f32>(x + (<usize>i << 2)) - m) - l));
}

/** logSumExp per row into out[r]: NaN for a NaN row, +∞ with +∞, −∞ for all −∞ (PyTorch). */
export function logSumExpF32(x: usize, out: usize, scratch: usize, rows: i32, n: i32): void {
  let r = 0;
  if (n <= SMALL_N) {
    for (; r + 4 <= rows; r += 4) {
      const xr = x + ((<usize>r * <usize>n) << 2);
      if (logSumExp4(xr, out + (<usize>r << 2), scratch, n)) continue;
      for (let j = r; j < r + 4; j++) {
        const xj = x + ((<usize>j * <usize>n) << 2);
        logSumExpRow(xj, out + (<usize>j << 2), n, rowMax(xj, n), 0);
      }
    }
  }
  let m = r < rows ? rowMax(x + ((<usize>r * <usize>n) << 2), n) : 0;
  for (; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>n) << 2);
    m = logSumExpRow(xr, out + (<usize>r << 2), n, m, r + 1 < rows ? xr + (<usize>n << 2) : 0);
  }
}

/** One row with its max m; returns the max of `next` (0 without one). */
function logSumExpRow(xr: usize, o: usize, n: i32, m: f32, next: usize): f32 {
  if (m == Infinity || m == -Infinity) {
    store<f32>(o, hasNaN(xr, n) ? NaN : m);
    return maxOf(next, n);
  }
  store<f32>(o, <f32>(<f64>m + logSum(expSumRest(xr, n, m, next)))); // NaN with a NaN in the row
  return next ? NEXT_MAX : 0;
}

/**
 * softmaxBackward over `rows` contiguous rows of n: out = y ⊙ (dy − Σ dy·y), as in the reference
 * with a pivot r = dy at the largest y: dy_c − Σ dy·y = (dy_c − r) − Σ y_j (dy_j − r) + r (1 − Σ y_j),
 * where Σ y_j is summed with Neumaier's compensation. A constant dy then cancels exactly and a
 * one-hot dy at p ≈ 1 keeps its tiny result.
 */
export function softmaxBackwardF32(dy: usize, y: usize, out: usize, rows: i32, n: i32): void {
  for (let r = 0; r < rows; r++) {
    const off = (<usize>r * <usize>n) << 2;
    let best = 0;
    let ymax: f32 = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = load<f32>(y + off + (<usize>i << 2));
      if (v > ymax) {
        ymax = v;
        best = i;
      }
    }
    const piv = <f64>load<f32>(dy + off + (<usize>best << 2));
    let s1: f64 = 0;
    let sy: f64 = 0;
    let comp: f64 = 0;
    for (let i = 0; i < n; i++) {
      const k = off + (<usize>i << 2);
      const yi = <f64>load<f32>(y + k);
      s1 += yi * (<f64>load<f32>(dy + k) - piv);
      const t = sy + yi;
      comp += abs(sy) >= abs(yi) ? (sy - t) + yi : (yi - t) + sy;
      sy = t;
    }
    const shift = piv * ((1.0 - sy) - comp) - s1;
    for (let i = 0; i < n; i++) {
      const k = off + (<usize>i << 2);
      store<f32>(out + k, <f32>(<f64>load<f32>(y + k) * ((<f64>load<f32>(dy + k) - piv) + shift)));
    }
  }
}

// Long rows on many threads: a row of n is cut into blocks of `block` elements (the last one
// shorter) at boundaries that do not depend on the thread count. Item i of a call is block
// i % nb of row i / nb (nb = ⌈n / block⌉), so rows back to back form one list of items that the
// threads share out; the calling thread merges the items' statistics in block order.

/** The start (element offset in the rows) and the length of item `i`'s block. */
// @ts-ignore: decorator
@inline
function blockAt(i: i32, n: i32, block: i32): i64 {
  const nb = (n + block - 1) / block;
  const r = i / nb;
  const b = i - r * nb;
  const start = <i64>r * <i64>n + <i64>b * <i64>block;
  const len = min(block, n - b * block);
  return (start << 32) | <i64>len;
}

/**
 * Statistics of blocks [first, first + count) of rows of n float32s at x (shape: rows × n, cut
 * into blocks as above): at stats + 32·i the f64s [m_b, S'_b, k_b, G_b] with m_b the block's max
 * (NaN with a NaN, else ±∞ when the block has no finite max), S'_b = Σ e^(x − m_b)·2^100 over
 * the entries below m_b, k_b the count of entries equal to m_b (both 0 unless m_b is finite),
 * and G_b the block's ROW_G. When e ≠ 0, every entry's e_i of a finite block is stored as
 * float64 at e (n per row, same element offsets): e_i·G_b = e^(x_i − m_b)·2^100. `whole` (with
 * e ≠ 0, for softmax, which needs only the total): S'_b is the sum over every entry and k_b = 0,
 * which saves the exp pass the masking of the max's terms.
 */
export function softmaxBlockStatsF32(x: usize, e: usize, stats: usize, first: i32, count: i32, n: i32, block: i32, whole: bool): void {
  // each block's exp pass takes the next block's max on the way when the two have the same length
  // (blocks are back to back, across rows too); NaN: not known yet
  let mNext: f32 = NaN;
  for (let i = first; i < first + count; i++) {
    const at = blockAt(i, n, block);
    const start = <usize>(at >>> 32);
    const len = <i32>(at & 0xffffffff);
    const xb = x + (start << 2);
    let m = mNext == mNext ? mNext : rowMax(xb, len);
    const next = i + 1 < first + count && <i32>(blockAt(i + 1, n, block) & 0xffffffff) == len ? xb + (<usize>len << 2) : 0;
    mNext = NaN;
    let sp: f64 = 0;
    let k: f64 = 0;
    let g: f64 = 1;
    if (abs(m) != Infinity) {
      sp = whole ? expStore(xb, e + (start << 3), len, m, next) : e ? expStoreRest(xb, e + (start << 3), len, m, next) : expSumRest(xb, len, m, next);
      if (next) mNext = NEXT_MAX;
      if (sp != sp) {
        m = NaN;
        sp = 0;
      } else {
        k = whole ? 0 : <f64>MAX_COUNT;
        g = ROW_G;
        sp *= g;
      }
    } else if (hasNaN(xb, len)) m = NaN;
    const s = stats + (<usize>i << 5);
    store<f64>(s, <f64>m);
    store<f64>(s, sp, 8);
    store<f64>(s, k, 16);
    store<f64>(s, g, 24);
  }
}

/**
 * The output pass of softmax (and of a cross-entropy gradient) over blocks [first, first + count)
 * (shape as softmaxBlockStatsF32): with the f64 pair [c, v] at params + 16·i, out = e·c rounded
 * once to float32, or every entry v when c is NaN (a row or block with no finite e).
 */
export function softmaxBlockScaleF32(e: usize, out: usize, params: usize, first: i32, count: i32, n: i32, block: i32): void {
  for (let i = first; i < first + count; i++) {
    const at = blockAt(i, n, block);
    const start = <usize>(at >>> 32);
    const len = <i32>(at & 0xffffffff);
    const c = load<f64>(params + (<usize>i << 4));
    if (c != c) fillRow(out + (start << 2), len, <f32>load<f64>(params + (<usize>i << 4), 8));
    else scaleRow(e + (start << 3), out + (start << 2), len, c);
  }
}

/**
 * The output pass of log-softmax over blocks [first, first + count) (shape as
 * softmaxBlockStatsF32): with the f64 pair [m, l] at params + 16·i, out = (x − m) − l in float64
 * rounded once, or every entry l when m is NaN (a row whose max is not finite).
 */
export function logSoftmaxBlockShiftF32(x: usize, out: usize, params: usize, first: i32, count: i32, n: i32, block: i32): void {
  for (let i = first; i < first + count; i++) {
    const at = blockAt(i, n, block);
    const start = <usize>(at >>> 32);
    const len = <i32>(at & 0xffffffff);
    const m = load<f64>(params + (<usize>i << 4));
    const l = load<f64>(params + (<usize>i << 4), 8);
    if (m != m) fillRow(out + (start << 2), len, <f32>l);
    else shiftRow(x + (start << 2), out + (start << 2), len, m, l);
  }
}
