// Fast kernel math: e^(dh + dl) for float32 lanes, scaled by 2^100, for d = dh + dl ≤ 0.
// rr2_p6: two-step Cody–Waite range reduction d = n·ln2 + r (|r| ≤ ln2/2), then
// e^r = 1 + r + r²·q(r) with q of degree 4 fitted to relative error 2^-28 (scripts/fit-expf.py).
// The 2^100 scale keeps e^d for d down to −150 normal, so a softmax that divides by a sum
// scaled the same way gets subnormal results right; callers clamp d at D_MIN = −150
// (e^-150 ≈ 2^-216 of the row's max term, far below every float32 result).
// The kernels keep s = 2^(n+100) and t = e^r − 1 apart and form s + s·t exactly in float64, so
// the only roundings are inside t (rounded to float32 at the end, s + s·t is within 0.99 ulp,
// exhaustively over d ∈ [−150, 0]; kept in float64 it is well inside that).

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

/** Step 1 of exp: d·log2e + MAGIC, whose low bits hold n + 227 (n = round(d·log2e)). */
// @ts-ignore: decorator
@inline
export function expN4(d: v128): v128 {
  return f32x4.add(f32x4.mul(d, f32x4.splat(LOG2E)), f32x4.splat(MAGIC));
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
  const vn = f32x4.sub(vnMagic, f32x4.splat(MAGIC));
  let r = f32x4.sub(d, f32x4.mul(vn, f32x4.splat(LN2_HI)));
  r = f32x4.add(f32x4.sub(r, f32x4.mul(vn, f32x4.splat(LN2_LO))), dl);
  let q = f32x4.add(f32x4.mul(r, f32x4.splat(Q4)), f32x4.splat(Q3));
  q = f32x4.add(f32x4.mul(r, q), f32x4.splat(Q2));
  q = f32x4.add(f32x4.mul(r, q), f32x4.splat(Q1));
  q = f32x4.add(f32x4.mul(r, q), f32x4.splat(Q0));
  return f32x4.add(r, f32x4.mul(f32x4.mul(r, r), q));
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

