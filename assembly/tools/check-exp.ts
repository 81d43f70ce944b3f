// Exhaustive check of the wasm kernels' float32 exp (assembly/math/expf.ts exp4): the error of e^d·2^100
// rounded to float32, in ulps, against float64 exp, for every float32 d in [−150, −0]. Compiled
// and run by scripts/check-exp.mjs, once with plain SIMD and once with relaxed SIMD (fused multiply-add).
import { exp4 } from '../math/expf';
// max ulp error of exp4 (lane 0) over float32 d in [lo, hi] given as bit patterns of negatives
export function maxErr(startBits: u32, endBits: u32): f64 {
  let worst: f64 = 0;
  for (let b = startBits; b <= endBits; b += 4) {
    const d = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(reinterpret<f32>(b)), 1, reinterpret<f32>(b + 1)), 2, reinterpret<f32>(b + 2)), 3, reinterpret<f32>(b + 3));
    const e = exp4(d, f32x4.splat(0));
    for (let k = 0; k < 4; k++) {
      const dv = <f64>reinterpret<f32>(b + k);
      if (b + k > endBits) break;
      const ref = Math.exp(dv) * 1.2676506002282294e30;
      const r32 = <f32>ref;
      const ex = (reinterpret<u32>(r32) >> 23) & 0xff;
      const ulp = reinterpret<f64>(<u64>(<i64>ex - 127 - 23 + 1023) << 52);
      const got = <f64>(k == 0 ? f32x4.extract_lane(e, 0) : k == 1 ? f32x4.extract_lane(e, 1) : k == 2 ? f32x4.extract_lane(e, 2) : f32x4.extract_lane(e, 3));
      const err = abs(got - ref) / <f64>ulp;
      if (err > worst) worst = err;
    }
  }
  return worst;
}
