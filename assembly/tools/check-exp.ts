// Exhaustive check of the wasm kernels' float32 exp (assembly/math/expf.ts): the error of
// e^d·2^100 from expN4/expT4/expS4, in float32 ulps against float64 exp, for every float32 d in
// [lo, hi] (bit patterns of negatives), both as the kernels keep it (s + s·t exact in float64)
// and rounded once to float32. Compiled and run by scripts/check-exp.mjs, once with plain SIMD
// and once with relaxed SIMD (fused multiply-add).
import { expHi2, expLo2, expN4, expS4, expT4, madd } from '../math/expf';

/** Worst errors over [startBits, endBits]: out[0] kept in float64, out[1] rounded to float32. */
export function maxErr(startBits: u32, endBits: u32, out: usize): void {
  let worst64: f64 = load<f64>(out);
  let worst32: f64 = load<f64>(out, 8);
  for (let b = startBits; b <= endBits; b += 4) {
    const d = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(reinterpret<f32>(b)), 1, reinterpret<f32>(b + 1)), 2, reinterpret<f32>(b + 2)), 3, reinterpret<f32>(b + 3));
    const vn = expN4(d);
    const t = expT4(d, f32x4.splat(0), vn);
    const sc = expS4(vn);
    const e32 = madd(sc, t, sc);
    const lo = expLo2(sc, t);
    const hi = expHi2(sc, t);
    for (let k = 0; k < 4; k++) {
      if (b + k > endBits) break;
      const ref = Math.exp(<f64>reinterpret<f32>(b + k)) * 1.2676506002282294e30;
      const ex = (reinterpret<u32>(<f32>ref) >> 23) & 0xff;
      const ulp = reinterpret<f64>(<u64>(<i64>ex - 127 - 23 + 1023) << 52);
      const g64 = k == 0 ? f64x2.extract_lane(lo, 0) : k == 1 ? f64x2.extract_lane(lo, 1) : k == 2 ? f64x2.extract_lane(hi, 0) : f64x2.extract_lane(hi, 1);
      const g32 = <f64>(k == 0 ? f32x4.extract_lane(e32, 0) : k == 1 ? f32x4.extract_lane(e32, 1) : k == 2 ? f32x4.extract_lane(e32, 2) : f32x4.extract_lane(e32, 3));
      const e1 = abs(g64 - ref) / ulp;
      const e2 = abs(g32 - ref) / ulp;
      if (e1 > worst64) worst64 = e1;
      if (e2 > worst32) worst32 = e2;
    }
  }
  store<f64>(out, worst64);
  store<f64>(out, worst32, 8);
}
