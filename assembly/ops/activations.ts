// Fast elementwise activations for float32 (and sigmoid for float64), forward beside backward.
// sigmoid: e = e^-|x|·2^100 = s + s·t from the float32 exp's parts, formed exactly in float64,
// then σ = 1/(1 + e) or e/(1 + e) in float64 and one rounding; sigmoidBackward dy·σ(x)σ(−x) =
// dy·e/(1 + e)². logSigmoid, softplus (β, threshold) and their backwards use float64 scalar math.

import { exp1d, expN4, expS4, expT4, D_MIN, SCALE, K_ZERO, K_DMIN, kc, kd, KD_UNSCALE, KD_ONE } from '../math/expf';
import { D_DMIN, D_ONE, D_SCALE, D_ZERO, EXP_S, expTD2, kdd } from '../math/expd';
import { at, put, sigmoid64, softplus64 } from '../math/scalar';


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

export function sigmoidBackwardF32(dy: usize, x: usize, out: usize, n: i32): void {
  const big = f32x4.splat(BIG);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    if (v128.any_true(v128.not(f32x4.lt(f32x4.abs(v), big)))) {
      // |x| ≥ 100 (or NaN) somewhere: dy may be large enough to lift e^-|x| back into range
      for (let k = 0; k < 4; k++) store<f32>(out + (<usize>(i + k) << 2), wide(load<f32>(dy + (<usize>(i + k) << 2)), load<f32>(x + (<usize>(i + k) << 2))));
      continue;
    }
    const g = v128.load(dy + (<usize>i << 2));
    const d = f32x4.pmax(kc(K_DMIN), f32x4.neg(f32x4.abs(v)));
    const vn = expN4(d);
    const t = expT4(d, kc(K_ZERO), vn);
    const sc = expS4(vn);
    const slo = f64x2.mul(f64x2.promote_low_f32x4(sc), kd(KD_UNSCALE));
    const shi = f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(sc, sc, 2, 3, 0, 1)), kd(KD_UNSCALE));
    const elo = f64x2.add(slo, f64x2.mul(slo, f64x2.promote_low_f32x4(t)));
    const ehi = f64x2.add(shi, f64x2.mul(shi, f64x2.promote_low_f32x4(v128.shuffle<f32>(t, t, 2, 3, 0, 1))));
    const dlo = f64x2.add(kd(KD_ONE), elo);
    const dhi = f64x2.add(kd(KD_ONE), ehi);
    const glo = f64x2.promote_low_f32x4(g);
    const ghi = f64x2.promote_low_f32x4(v128.shuffle<f32>(g, g, 2, 3, 0, 1));
    const rlo = f32x4.demote_f64x2_zero(f64x2.div(f64x2.mul(glo, elo), f64x2.mul(dlo, dlo)));
    const rhi = f32x4.demote_f64x2_zero(f64x2.div(f64x2.mul(ghi, ehi), f64x2.mul(dhi, dhi)));
    v128.store(out + (<usize>i << 2), v128.shuffle<f32>(rlo, rhi, 0, 1, 4, 5));
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), wide(load<f32>(dy + (<usize>i << 2)), load<f32>(x + (<usize>i << 2))));
}

/** Beyond this |x| the float32 exp's clamp would matter: such lanes take the float64 path. */
const BIG: f32 = 100;

/** dy·σ(x)σ(−x) in float64 for any x (e^-|x| down to 1e-308; ±∞ with dy = ±∞ gives NaN). */
function wide(dy: f32, x: f32): f32 {
  const e = Math.exp(-abs(<f64>x));
  const den = 1.0 + e;
  return <f32>((<f64>dy * e) / (den * den));
}

export function logSigmoidF32(x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) put(out, i, -softplus64(-at(x, i)));
}

/** PyTorch's cut-off: x itself where x·β > threshold (compared in float64). */
export function softplusF32(x: usize, out: usize, n: i32, beta: f64, threshold: f64): void {
  for (let i = 0; i < n; i++) {
    const v = at(x, i);
    const t = v * beta;
    // β·x beyond float64 (threshold ∞): softplus(βx)/β is x itself, or 0 below
    put(out, i, t > threshold || t == Infinity ? v : t == -Infinity ? 0 : softplus64(t) / beta);
  }
}

export function logSigmoidBackwardF32(dy: usize, x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) put(out, i, at(dy, i) * sigmoid64(-at(x, i)));
}

export function softplusBackwardF32(dy: usize, x: usize, out: usize, n: i32, beta: f64, threshold: f64): void {
  for (let i = 0; i < n; i++) {
    const v = at(x, i);
    put(out, i, v * beta > threshold ? at(dy, i) : at(dy, i) * sigmoid64(v * beta));
  }
}
