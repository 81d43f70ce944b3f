// e^x for x ≤ 0 in plain float64, for the per-element loops of the large-vocabulary ops: their
// arguments are always z − max ≤ 0, and their inputs (logits from a float64 dot product) carry
// errors far above 2^-53, where the double-double expDD would only cost time. Same reduction as
// dd.ts, with its tables (exp-table.ts): x = n·ln2/64 + r, e^x = 2^(n>>6) · 2^((n&63)/64) · e^r.

import { EXP2_TABLE, INV_LN2_64, LN2_64_1, LN2_64_2, LN2_64_3 } from '../reference/exp-table.js';

/** 1.5·2^52: adding it rounds a double of magnitude below 2^51 to an integer (ties to even). */
const SHIFTER = 6755399441055744;
/** Below this e^x < 2^-1075 rounds to zero. */
const EXP_UNDERFLOW = -745.2;

/** 2^(j/64) as [hi, lo] pairs: a module-local copy of EXP2_TABLE for the hot loop. */
const TABLE = Float64Array.from(EXP2_TABLE);

/** 2^k for k in [-1022, 0]; smaller scales go through two steps so that subnormals round once. */
const POW2 = (() => {
  const t = new Float64Array(1023);
  let v = 1;
  for (let k = 0; k >= -1022; k--, v /= 2) t[k + 1022] = v;
  return t;
})();

/**
 * e^x for x ≤ 0, within 0.52 ulp for normal results (subnormal results are rounded once);
 * NaN gives NaN and −∞ gives 0. Not for x > 0 (the scale table stops at 2^0). r = x − n·ln2/64
 * comes from the three-part Cody–Waite constants (n·L1 and n·L2 exact), e^r − 1 from its Taylor
 * series to r^6/720 (|r| ≤ 0.0055: truncation below 2^-62 relative), and 2^(j/64) is a
 * double-double from EXP2_TABLE.
 */
export function expNeg(x: number): number {
  if (!(x > EXP_UNDERFLOW)) return x !== x ? NaN : 0;
  const n = x * INV_LN2_64 + SHIFTER - SHIFTER;
  const r = x - n * LN2_64_1 - n * LN2_64_2 - n * LN2_64_3;
  const em1 = r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720))))));
  const ni = n | 0;
  const j = 2 * (ni & 63);
  const k = ni >> 6;
  const th = TABLE[j];
  const v = th + (th * em1 + TABLE[j + 1] * (1 + em1));
  if (k >= -1022) return v * POW2[k + 1022];
  return v * POW2[k + 600 + 1022] * POW2[-600 + 1022];
}
