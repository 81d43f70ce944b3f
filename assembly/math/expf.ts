// Fast kernel math: e^(dh + dl) for float32 lanes, scaled by 2^100, for d = dh + dl ≤ 0.
// rr2_p6: two-step Cody–Waite range reduction d = n·ln2 + r (|r| ≤ ln2/2), then
// e^r = 1 + r + r²·q(r) with q of degree 4 fitted to relative error 2^-28 (scripts/fit-expf.py).
// The 2^100 scale keeps e^d for d down to −150 normal, so a softmax that divides by a sum
// scaled the same way gets subnormal results right; d is clamped at −150 (e^-150 ≈ 2^-216 is
// below every float32 relative to the row's max term, 2^100).
// Error: below 0.75 ulp of float32 (measured; the last step s + s·t rounds once).

/** log2(e) */
export const LOG2E: f32 = reinterpret<f32>(0x3fb8aa3b);
/** ln2 high part, 16 significant bits so that n·LN2_HI is exact for |n| < 256. */
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

/**
 * e^(dh + dl) · 2^100 for four lanes with D_MIN ≤ dh ≤ 0 (dl a small correction to dh; callers
 * clamp dh). The last step s + s·t rounds once, so the result is within about 0.7 ulp.
 */
// @ts-ignore: decorator
@inline
export function exp4(d: v128, dl: v128): v128 {
  let vn = f32x4.add(f32x4.mul(d, f32x4.splat(LOG2E)), f32x4.splat(MAGIC));
  const s = i32x4.shl(vn, 23);
  vn = f32x4.sub(vn, f32x4.splat(MAGIC));
  let r = f32x4.sub(d, f32x4.mul(vn, f32x4.splat(LN2_HI)));
  r = f32x4.add(f32x4.sub(r, f32x4.mul(vn, f32x4.splat(LN2_LO))), dl);
  let q = f32x4.add(f32x4.mul(r, f32x4.splat(Q4)), f32x4.splat(Q3));
  q = f32x4.add(f32x4.mul(r, q), f32x4.splat(Q2));
  q = f32x4.add(f32x4.mul(r, q), f32x4.splat(Q1));
  q = f32x4.add(f32x4.mul(r, q), f32x4.splat(Q0));
  const t = f32x4.add(r, f32x4.mul(f32x4.mul(r, r), q));
  return f32x4.add(s, f32x4.mul(s, t));
}

/** The scalar twin of exp4, bit for bit the same arithmetic (used for row tails). */
// @ts-ignore: decorator
@inline
export function exp1(dh: f32, dl: f32): f32 {
  const d = dh < D_MIN ? D_MIN : dh;
  let vn = d * LOG2E + MAGIC;
  const s = reinterpret<f32>(reinterpret<i32>(vn) << 23);
  vn = vn - MAGIC;
  let r = d - vn * LN2_HI;
  r = r - vn * LN2_LO + dl;
  let q = r * Q4 + Q3;
  q = r * q + Q2;
  q = r * q + Q1;
  q = r * q + Q0;
  const t = r + r * r * q;
  return s + s * t;
}
