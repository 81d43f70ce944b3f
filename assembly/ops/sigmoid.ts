// Fast elementwise sigmoid for float32: e = e^-|x|·2^100 = s + s·t from the float32 exp parts,
// formed exactly in float64, then σ = 1/(1 + e) or e/(1 + e) in float64 and one rounding.

import { exp1d, expN4, expS4, expT4, D_MIN, SCALE, K_ZERO, K_DMIN, kc, kd, KD_UNSCALE, KD_ONE } from '../math/expf';
import { D_DMIN, D_SCALE, D_ZERO, expD2, kdd } from '../math/expd';

export function sigmoidF32(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    // d = −|x|, clamped at D_MIN where σ is far below float32's smallest subnormal
    const d = f32x4.pmax(kc(K_DMIN), f32x4.neg(f32x4.abs(v)));
    const vn = expN4(d);
    const t = expT4(d, kc(K_ZERO), vn);
    const sc = expS4(vn);
    const slo = f64x2.mul(f64x2.promote_low_f32x4(sc), kd(KD_UNSCALE));
    const shi = f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(sc, sc, 2, 3, 0, 1)), kd(KD_UNSCALE));
    const elo = f64x2.add(slo, f64x2.mul(slo, f64x2.promote_low_f32x4(t)));
    const ehi = f64x2.add(shi, f64x2.mul(shi, f64x2.promote_low_f32x4(v128.shuffle<f32>(t, t, 2, 3, 0, 1))));
    const neg = f32x4.lt(v, kc(K_ZERO));
    // numerator: e where x < 0, else 1 (lane masks widened to 64 bits)
    const nlo = v128.bitselect(elo, kd(KD_ONE), i64x2.extend_low_i32x4_s(neg));
    const nhi = v128.bitselect(ehi, kd(KD_ONE), i64x2.extend_high_i32x4_s(neg));
    const rlo = f32x4.demote_f64x2_zero(f64x2.div(nlo, f64x2.add(kd(KD_ONE), elo)));
    const rhi = f32x4.demote_f64x2_zero(f64x2.div(nhi, f64x2.add(kd(KD_ONE), ehi)));
    const res = v128.shuffle<f32>(rlo, rhi, 0, 1, 4, 5);
    v128.store(out + (<usize>i << 2), v128.bitselect(res, v, f32x4.eq(v, v))); // NaN in, NaN out
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    let d = -abs(v);
    if (d < D_MIN) d = D_MIN;
    const e = exp1d(d, 0) / SCALE;
    store<f32>(out + (<usize>i << 2), <f32>((v < 0 ? e : 1.0) / (1.0 + e)));
  }
}

/**
 * sigmoid for float64: e = e^-|x|·2^200 (expD2), σ = num/(2^200 + e) with num = 2^200 (x ≥ 0)
 * or e (x < 0); the denominator's rounding error (Fast2Sum) is divided out too, so σ carries the
 * exp's error (≤ 0.9 ulp, less for x ≥ 0) and the division's.
 */
export function sigmoidF64(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) v128.store(out + (<usize>i << 3), sigmoidD2(v128.load(x + (<usize>i << 3))));
  if (i < n) store<f64>(out + (<usize>i << 3), f64x2.extract_lane(sigmoidD2(f64x2.splat(load<f64>(x + (<usize>i << 3)))), 0));
}

// @ts-ignore: decorator
@inline
function sigmoidD2(v: v128): v128 {
  const d = f64x2.pmax(kdd(D_DMIN), f64x2.neg(f64x2.abs(v)));
  const e = expD2(d, kdd(D_ZERO));
  const A = kdd(D_SCALE);
  const hs = f64x2.add(A, e);
  const ls = f64x2.sub(e, f64x2.sub(hs, A));
  const num = v128.bitselect(e, A, f64x2.lt(v, kdd(D_ZERO)));
  const q = f64x2.div(num, hs);
  // num/(hs + ls) = q·(1 − ls/hs) to first order (ls/hs ≤ 2^-53)
  const res = f64x2.sub(q, f64x2.mul(q, f64x2.div(ls, hs)));
  return v128.bitselect(res, v, f64x2.eq(v, v)); // NaN in, NaN out
}
