// Fast kernel math: e^(dh + dl) for float32 lanes, scaled by 2^100, for d = dh + dl ≤ 0.
// rr2_p6: two-step Cody–Waite range reduction d = n·ln2 + r (|r| ≤ ln2/2), then
// e^r = 1 + r + r²·q(r) with q of degree 4 fitted to relative error 2^-28 (scripts/fit-expf.py).
// The 2^100 scale keeps e^d for d down to −150 normal, so a softmax that divides by a sum
// scaled the same way gets subnormal results right; callers clamp d at D_MIN = −150
// (e^-150 ≈ 2^-216 of the row's max term, far below every float32 result).
// The kernels keep s = 2^(n+100) and t = e^r − 1 apart and form s + s·t exactly in float64, so
// the only roundings are inside t: within 0.551 ulp of float32 (0.518 with fused multiply-adds)
// over every float32 d ∈ [−150, 0]; rounded to float32 it would be 0.989 (1.019) ulp
// (node scripts/check-exp.mjs).

/** log2(e) */
export const LOG2E: f32 = reinterpret<f32>(0x3fb8aa3b);
/** ln2 high part, 15 significant bits so that n·LN2_HI is exact for |n| < 512. */
export const LN2_HI: f32 = reinterpret<f32>(0x3f317200); // 0.693145751953125
/** ln2 − LN2_HI */
export const LN2_LO: f32 = reinterpret<f32>(0x35bfbe8e); // 1.4286068e-6
/** 1.5·2^23 + 127 + 100: adding it rounds d·log2e to an integer n and leaves n + 227 in the low bits. */
export const MAGIC: f32 = reinterpret<f32>(0x4b4000e3); // 12583139
export const Q0: f32 = reinterpret<f32>(0x3efffffc); // 0.49999988
export const Q1: f32 = reinterpret<f32>(0x3e2aaa47); // 0.16666518
export const Q2: f32 = reinterpret<f32>(0x3d2aadac); // 0.041669533
export const Q3: f32 = reinterpret<f32>(0x3c091dc7); // 0.008368916
export const Q4: f32 = reinterpret<f32>(0x3ab43e11); // 0.0013751407
/** The lowest d kept: e^-150 · 2^100 ≈ 2^-116 is still a normal float32. */
export const D_MIN: f32 = -150.0;
/** 2^100, the scale of every result (the value of e^0). */
export const SCALE: f64 = 1.2676506002282294e30;
/** 100·ln2, to take the scale out of a logarithm. */
export const SCALE_LOG: f64 = 69.31471805599453;

// Vector constants live in memory and are read with one splat-load where they are used: V8 does
// not hoist constants out of loops, and rebuilds each v128.const with three instructions per use,
// which cost more than the exp itself. Offsets into K (4 bytes each). The memory is shared
// between threads, so per-call values (a row's max, …) go in globals, not here.
export const K: usize = memory.data<f32>([LOG2E, MAGIC, LN2_HI, LN2_LO, Q0, Q1, Q2, Q3, Q4, D_MIN, 0, 1], 16);
export const K_LOG2E: usize = 0;
export const K_MAGIC: usize = 4;
export const K_LN2_HI: usize = 8;
export const K_LN2_LO: usize = 12;
export const K_DMIN: usize = 36;
export const K_ZERO: usize = 40;
export const K_ONE: usize = 44;

/** float64 constants: 2^-100, 1. */
export const KD: usize = memory.data<f64>([1.0 / SCALE, 1.0], 16);
export const KD_UNSCALE: usize = 0;
export const KD_ONE: usize = 8;

/** The f64x2 splat of the constant at byte offset o of KD. */
// @ts-ignore: decorator
@inline
export function kd(o: usize): v128 {
  return v128.load64_splat(KD + o);
}

/** The f32x4 splat of the constant at byte offset o of K. */
// @ts-ignore: decorator
@inline
export function kc(o: usize): v128 {
  return v128.load32_splat(K + o);
}

/** a·b + c, fused where the engine has relaxed SIMD (this build's feature), else two roundings. */
// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** c − a·b, fused as madd. */
// @ts-ignore: decorator
@inline
export function nmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

/**
 * a·b + c for f64x2, fused where the engine has relaxed SIMD. Used only where a·b is exact (a
 * power of two times a float32), so fused or not the result is the same bits.
 */
// @ts-ignore: decorator
@inline
export function dmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(f64x2.mul(a, b), c);
}

/**
 * e = s + s·t exactly in float64, as two f64x2 (lanes 0, 1 and lanes 2, 3), from s = expS4(vn) and
 * t = expT4(…): s is a power of two and t a float32, so s·t is exact in float64 and so is the
 * sum unless |t| < 2^-29 (then it rounds, by 2^-53 relative at most).
 */
// @ts-ignore: decorator
@inline
export function expLo2(sc: v128, t: v128): v128 {
  const s = f64x2.promote_low_f32x4(sc);
  return dmadd(s, f64x2.promote_low_f32x4(t), s);
}

// @ts-ignore: decorator
@inline
export function expHi2(sc: v128, t: v128): v128 {
  const s = f64x2.promote_low_f32x4(v128.shuffle<f32>(sc, sc, 2, 3, 0, 1));
  return dmadd(s, f64x2.promote_low_f32x4(v128.shuffle<f32>(t, t, 2, 3, 0, 1)), s);
}

/** Step 1 of exp: d·log2e + MAGIC, whose low bits hold n + 227 (n = round(d·log2e)). */
// @ts-ignore: decorator
@inline
export function expN4(d: v128): v128 {
  return madd(d, kc(K_LOG2E), kc(K_MAGIC));
}

/** The scale s = 2^(n + 100) from expN4's result: n + 227 shifted into the exponent field. */
// @ts-ignore: decorator
@inline
export function expS4(vn: v128): v128 {
  return i32x4.shl(vn, 23);
}

/** t = e^r − 1 with r = d − n·ln2 + dl, so that e^(d + dl)·2^100 = s·(1 + t). */
// @ts-ignore: decorator
@inline
export function expT4(d: v128, dl: v128, vnMagic: v128): v128 {
  const vn = f32x4.sub(vnMagic, kc(K_MAGIC));
  let r = nmadd(vn, kc(K_LN2_HI), d);
  r = f32x4.add(nmadd(vn, kc(K_LN2_LO), r), dl);
  return expPoly4(r);
}

/** e^r − 1 = r + r²·q(r) for |r| ≤ ln2/2 (a little more is fine), q of degree 4. */
// @ts-ignore: decorator
@inline
export function expPoly4(r: v128): v128 {
  let q = madd(r, kc(32), kc(28));
  q = madd(r, q, kc(24));
  q = madd(r, q, kc(20));
  q = madd(r, q, kc(16));
  return madd(f32x4.mul(r, r), q, r);
}

/** The scalar twin of expN4/expT4/expS4, with s + s·t formed exactly in float64. */
// @ts-ignore: decorator
@inline
export function exp1d(dh: f32, dl: f32): f64 {
  const d = dh < D_MIN ? D_MIN : dh;
  let vn = d * LOG2E + MAGIC;
  const s = <f64>reinterpret<f32>(reinterpret<i32>(vn) << 23);
  vn = vn - MAGIC;
  let r = d - vn * LN2_HI;
  r = r - vn * LN2_LO + dl;
  let q = r * Q4 + Q3;
  q = r * q + Q2;
  q = r * q + Q1;
  q = r * q + Q0;
  const t = r + r * r * q;
  return s + s * <f64>t;
}

