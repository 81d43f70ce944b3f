// Fast VJPs for float32: sigmoidBackward dy·σ(x)σ(−x) = dy·e/(1 + e)² with e = e^-|x| (the
// float32 exp's parts joined in float64; |x| ≥ 100 in float64 scalar code), and softmaxBackward y ⊙ (dy − Σ dy·y) with the dot product summed in float64.
// Each output is formed in float64 and rounded once.

import { expN4, expS4, expT4, D_MIN, SCALE, K_ZERO, K_DMIN, kc, kd, KD_UNSCALE, KD_ONE } from '../math/expf';

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
