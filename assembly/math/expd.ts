// Fast kernel math for float64 lanes: e^(dh + dl)·2^200 for d = dh + dl ∈ [−800, 0] (dl tiny
// next to dh, the rounding error of x − max). rr2_p13: two-step Cody–Waite reduction
// d = n·ln2 + r (|r| ≤ ln2/2; n·LN2_HI exact), e^r − 1 = r + r²·q(r) with q the Taylor series to
// r^13 by Estrin's scheme (remainder below 2^-57 relative), dl folded in as e^(r + rl) ≈ e^r + rl·e^r, and
// e = s·(1 + t) with s = 2^(n + 200) built in the exponent bits. The 2^200 scale keeps e^-800
// normal, so a softmax dividing by a sum scaled the same way rounds subnormal results once.
// Measured within 0.87 ulp over 10^7 arguments (node --import tsx scripts/check-expd.ts; the
// analysis gives about 0.9 ulp: 0.5 in 1 + t, up to 0.35 in t, the rest in the polynomial).

/** log2(e) */
export const LOG2E_D: f64 = reinterpret<f64>(0x3ff71547652b82fe); // 1.4426950408889634
/** 1.5·2^52 + 1023 + 200: adding it rounds d·log2e to an integer n and leaves n + 1223 in the low bits. */
export const MAGIC_D: f64 = 6755399441056967.0;
/** ln2 high part (fdlibm), 32 significant bits so n·LN2_HI_D is exact for |n| < 2^21. */
export const LN2_HI_D: f64 = reinterpret<f64>(0x3fe62e42fee00000); // 6.93147180369123816490e-01
/** ln2 − LN2_HI_D (fdlibm) */
export const LN2_LO_D: f64 = reinterpret<f64>(0x3dea39ef35793c76); // 1.90821492927058770002e-10
/** The lowest d kept: e^-800·2^200 ≈ 2^-954 is still normal; e^-800 is far below every float64 result. */
export const D_MIN_D: f64 = -800.0;
/** 2^200, the scale of every result (the value of e^0). */
export const SCALE_D: f64 = 1.6069380442589903e60;
/** 200·ln2, to take the scale out of a logarithm. */
export const SCALE_LOG_D: f64 = 138.62943611198907;

// Vector constants, read with one splat-load where used (see expf.ts for why); offsets in bytes.
export const KD2: usize = memory.data<f64>([
  LOG2E_D, MAGIC_D, LN2_HI_D, LN2_LO_D, D_MIN_D, SCALE_D, 0.0, 1.0,
  // 1/k! for k = 13 down to 2
  1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0,
  1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5,
  -Infinity, Infinity,
], 16);
export const D_LOG2E: usize = 0;
export const D_MAGIC: usize = 8;
export const D_LN2_HI: usize = 16;
export const D_LN2_LO: usize = 24;
export const D_DMIN: usize = 32;
export const D_SCALE: usize = 40;
export const D_ZERO: usize = 48;
export const D_ONE: usize = 56;
const D_C13: usize = 64;
export const D_NINF: usize = 160;
export const D_INF: usize = 168;

/** The f64x2 splat of the constant at byte offset o of KD2. */
// @ts-ignore: decorator
@inline
export function kdd(o: usize): v128 {
  return v128.load64_splat(KD2 + o);
}

/** a·b + c, fused where the engine has relaxed SIMD, else two roundings. */
// @ts-ignore: decorator
@inline
function maddD(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(f64x2.mul(a, b), c);
}

/** c − a·b, fused as maddD. */
// @ts-ignore: decorator
@inline
function nmaddD(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_nmadd(a, b, c);
  return f64x2.sub(c, f64x2.mul(a, b));
}

/** The scale s = 2^(n + 200) of the last expTD2 (a global: V8 keeps it in a register-like slot). */
export let EXP_S: v128 = f64x2.splat(0);

/**
 * e^(d + dl)·2^200 per lane for d ∈ [D_MIN_D, 0] (callers clamp) and |dl| ≤ ulp(d): the value
 * s·(1 + t) with one rounding in 1 + t.
 */
// @ts-ignore: decorator
@inline
export function expD2(d: v128, dl: v128): v128 {
  const t = expTD2(d, dl);
  return f64x2.mul(EXP_S, f64x2.add(kdd(D_ONE), t));
}

/**
 * The parts of expD2: returns t with e^(d + dl)·2^200 = s·(1 + t) (t within about 2^-54 of
 * the exact value), s in EXP_S. Callers that need more than a rounded e keep 1 + t unrounded.
 */
// @ts-ignore: decorator
@inline
export function expTD2(d: v128, dl: v128): v128 {
  const vm = maddD(d, kdd(D_LOG2E), kdd(D_MAGIC));
  EXP_S = i64x2.shl(vm, 52); // 2^(n + 200): n + 1223 shifted into the exponent field
  const vn = f64x2.sub(vm, kdd(D_MAGIC));
  const rh = nmaddD(vn, kdd(D_LN2_HI), d); // exact
  const c = f64x2.mul(vn, kdd(D_LN2_LO));
  const r = f64x2.sub(rh, c);
  // the reduction's rounding error (Fast2Sum, |rh| ≥ |c| but where both are negligible) plus dl
  const rl = f64x2.add(f64x2.sub(f64x2.sub(rh, r), c), dl);
  // q(r) = Σ_{j=0}^{11} r^j/(j + 2)! by Estrin's scheme (depth 5 instead of Horner's 11: the
  // loop is bound by this chain's latency, not by the multiply-adds' count)
  const o = KD2 + D_C13; // 1/13!, 1/12!, …, 1/2!
  const r2 = f64x2.mul(r, r);
  const b0 = maddD(r, v128.load64_splat(o, 80), v128.load64_splat(o, 88)); // 1/2! + r/3!
  const b1 = maddD(r, v128.load64_splat(o, 64), v128.load64_splat(o, 72));
  const b2 = maddD(r, v128.load64_splat(o, 48), v128.load64_splat(o, 56));
  const b3 = maddD(r, v128.load64_splat(o, 32), v128.load64_splat(o, 40));
  const b4 = maddD(r, v128.load64_splat(o, 16), v128.load64_splat(o, 24));
  const b5 = maddD(r, v128.load64_splat(o), v128.load64_splat(o, 8)); // 1/12! + r/13!
  const r4 = f64x2.mul(r2, r2);
  const c0 = maddD(r2, b1, b0);
  const c1 = maddD(r2, b3, b2);
  const c2 = maddD(r2, b5, b4);
  const q = maddD(f64x2.mul(r4, r4), c2, maddD(r4, c1, c0));
  const p = f64x2.mul(r2, q); // e^r − 1 − r
  // e^(r + rl) − 1 ≈ r + p + rl·(1 + r + p)
  return f64x2.add(r, f64x2.add(p, maddD(rl, f64x2.add(r, p), rl)));
}

// The row's max for the shift, in globals (per thread; V8 reads a global in one instruction).
export let ROW_MD: v128 = f64x2.splat(0);
export let ROW_NMD: v128 = f64x2.splat(0);

/** Sets the row max m (finite) for shiftExpD2 / shiftD2. */
// @ts-ignore: decorator
@inline
export function setRowD(m: f64): void {
  ROW_MD = f64x2.splat(m);
  ROW_NMD = f64x2.splat(-m);
}

/** The rounding error of x − m = s (TwoSum: exact, NaN where s is infinite). */
// @ts-ignore: decorator
@inline
export function shiftErrD2(x: v128, s: v128): v128 {
  const bb = f64x2.sub(s, x);
  return f64x2.add(f64x2.sub(x, f64x2.sub(s, bb)), f64x2.sub(ROW_NMD, bb));
}

/**
 * e^(x − m)·2^200 for lanes x of a row with finite max m (setRowD): x − m = s + err exactly by
 * TwoSum; 0 where x − m < D_MIN_D (x = −∞ included), where the true value is below 2^-1154 of the max's.
 */
// @ts-ignore: decorator
@inline
export function shiftExpD2(x: v128): v128 {
  const s = f64x2.sub(x, ROW_MD);
  const keep = f64x2.ge(s, kdd(D_DMIN));
  const err = v128.and(shiftErrD2(x, s), keep);
  // below the clamp e is 0, as the reference's (−∞ entries get exactly 0, also in a gradient)
  return v128.and(expD2(f64x2.pmax(kdd(D_DMIN), s), err), keep);
}
