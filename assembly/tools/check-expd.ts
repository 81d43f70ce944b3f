// The float64 exp of the fast float64 kernels (assembly/math/expd.ts) as a scalar export for
// scripts/check-expd.ts, which compiles this file on its own; not part of the shipped builds.

import { expD2 } from '../math/expd';

/** expD2 for the checker: e^(d + dl)·2^200 of lane 0. */
export function expD(d: f64, dl: f64): f64 {
  return f64x2.extract_lane(expD2(f64x2.splat(d), f64x2.splat(dl)), 0);
}
