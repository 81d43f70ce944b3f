// e^x in plain float64 for the per-element loops of the large-vocabulary ops, where the inputs
// (logits from a float64 dot product) carry errors far above 2^-53 and the double-double expDD
// would only cost time. Same reduction as dd.ts (tables and constants from exp-table.ts):
// x = n·ln2/64 + r, e^x = 2^(n>>6) · 2^((n&63)/64) · e^r. Error ≤ 0.52 ulp for normal results.

import { EXP2_TABLE, INV_LN2_64, LN2_64_1, LN2_64_2, LN2_64_3 } from '../reference/exp-table.js';

/** 1.5·2^52: adding it rounds a double of magnitude below 2^51 to an integer (ties to even). */
const SHIFTER = 6755399441055744;
/** Largest x with e^x finite. */
const EXP_OVERFLOW = 709.782712893384;
/** Below this e^x < 2^-1075 rounds to zero. */
const EXP_UNDERFLOW = -745.2;

/** 2^k for k in [-1022, 1023]; smaller scales go through two steps so subnormals round once. */
const POW2 = (() => {
  const t = new Float64Array(2046);
  let v = 1;
  for (let k = 0; k <= 1023; k++, v *= 2) t[k + 1022] = v;
  v = 1;
  for (let k = 0; k >= -1022; k--, v /= 2) t[k + 1022] = v;
  return t;
})();

/**
 * e^x rounded to within 0.52 ulp (normal results; subnormal results are rounded once). NaN gives
 * NaN, −∞ gives 0, x > 709.78 gives +∞. r = x − n·ln2/64 is formed with the three-part Cody–Waite
 * constants (n·L1 and n·L2 exact), e^r − 1 by its Taylor series to r^6/720 (|r| ≤ 0.0055, the
 * truncation below 2^-62 relative), and 2^(j/64) as a double-double from EXP2_TABLE.
 */
export function expF64(x: number): number {
  if (!(x > EXP_UNDERFLOW)) return x !== x ? NaN : 0;
  if (x > EXP_OVERFLOW) return Infinity;
  const n = x * INV_LN2_64 + SHIFTER - SHIFTER;
  const r = x - n * LN2_64_1 - n * LN2_64_2 - n * LN2_64_3;
  const em1 = r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720))))));
  const ni = n | 0;
  const j = 2 * (ni & 63);
  const k = ni >> 6;
  const th = EXP2_TABLE[j];
  const v = th + (th * em1 + EXP2_TABLE[j + 1] * (1 + em1));
  if (k > 1023) return v * 2 * POW2[k - 1 + 1022];
  if (k >= -1022) return v * POW2[k + 1022];
  // Subnormal result: scale into range in two steps, the second one rounding once.
  return v * POW2[k + 600 + 1022] * POW2[-600 + 1022];
}
