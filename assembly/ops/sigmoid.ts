// Fast elementwise sigmoid for float32: e = e^-|x|·2^100 = s + s·t from the float32 exp parts,
// formed exactly in float64, then σ = 1/(1 + e) or e/(1 + e) in float64 and one rounding.

import { exp1d, expN4, expS4, expT4, D_MIN, SCALE, K_ZERO, K_DMIN, kc, kd, KD_UNSCALE, KD_ONE } from '../math/expf';
import { D_DMIN, D_ONE, D_SCALE, D_ZERO, EXP_S, expTD2, kdd } from '../math/expd';

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
 * sigmoid for float64: e = e^-|x|·2^200 = eh + el exactly from the exp's parts (eh = s·(1 + t)
 * rounded, el its rounding error by Fast2Sum), σ = num/den with num = 2^200 (x ≥ 0) or e
 * (x < 0) and den = 2^200 + e, both as double-doubles: q = nh/dh, σ = q + (nl − q·dl)/dh. So σ
 * carries only t's error (about 2^-54 relative) and the roundings of q and the sum: within 1.3
 * ulp measured (a rounded e would cost up to 1.6 ulp on its own, when σ sits at the top of its
 * binade and e at the bottom of its own).
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
  const t = expTD2(d, kdd(D_ZERO));
  const s = EXP_S;
  const u = f64x2.add(kdd(D_ONE), t);
  const eh = f64x2.mul(s, u);
  const el = f64x2.mul(s, f64x2.add(f64x2.sub(kdd(D_ONE), u), t)); // exact: |t| < 1, s a power of two
  const A = kdd(D_SCALE);
  const dh = f64x2.add(A, eh);
  const dl = f64x2.add(f64x2.sub(eh, f64x2.sub(dh, A)), el);
  const neg = f64x2.lt(v, kdd(D_ZERO));
  const nh = v128.bitselect(eh, A, neg);
  const nl = v128.and(el, neg);
  const q = f64x2.div(nh, dh);
  const res = f64x2.add(q, f64x2.div(f64x2.sub(nl, f64x2.mul(q, dl)), dh));
  return v128.bitselect(res, v, f64x2.eq(v, v)); // NaN in, NaN out
}
