// The draw from a float32 row without materialising its probabilities: the inverse CDF over the
// candidates in increasing index order, target u·Σ e^z. Small rows take their exps in float64
// (Math.exp); long rows take one pass of the wasm logSumExp kernel over blocks of BLOCK entries,
// pick the block whose running mass exceeds the target, and compute exps inside that block only.
// Used by the chain's draw and by sample's original engine for unfiltered float32 rows.

import { kernels } from '../../backend/index.js';
import { DRAW, DRAW_BLOCK, drawBlocked } from './rowKernels.js';

/** Entries per block of the long-row draw: the kernel's per-row work stays on its short-row path and the final block costs ≤ BLOCK exps. */
export const BLOCK = 1024;
/** Rows up to this length are drawn with their exps in float64 directly (one exp per entry beats a kernel call). */
const SMALL = 2048;

/** drawF32's result registers: the probability of the drawn entry (for mirostat's update). */
export const DRAWN = { p: 0 };

let lse = new Float32Array(0);
let e = new Float64Array(BLOCK < SMALL ? SMALL : BLOCK);
let sums = new Float64Array(0);

/**
 * The index i < n drawn from softmax(z[0 : n)) with the uniform u ∈ [0, 1): the first i whose
 * running mass exceeds u·(total mass), −∞ entries skipped; the last positive entry if rounding
 * leaves the target unreached. Needs a finite max. Long rows: block b has mass
 * w_b = e^(L_b − max_b L), L_b the kernel's float32 log-sum-exp of the block (within 2 ulp);
 * the walk finds the block, then rescales the remaining target to that block's own float64 exps
 * and walks them, so only the block masses carry the kernel's rounding.
 */
export function drawF32(z: Float32Array, n: number, u: number): number {
  if (n <= SMALL) return drawExact(z, 0, n, u, 1, -1);
  const nb = Math.ceil(n / BLOCK);
  if (lse.length < nb) lse = new Float32Array(nb);
  const full = Math.floor(n / BLOCK);
  const k = kernels();
  if (full > 0) k.logSumExp(z.subarray(0, full * BLOCK), lse.subarray(0, full), { outer: full, size: BLOCK, inner: 1 });
  if (full < nb) k.logSumExp(z.subarray(full * BLOCK, n), lse.subarray(full, nb), { outer: 1, size: n - full * BLOCK, inner: 1 });
  let mL = -Infinity;
  for (let b = 0; b < nb; b++) if (lse[b] > mL) mL = lse[b];
  let sum = 0;
  let comp = 0;
  for (let b = 0; b < nb; b++) {
    const y = Math.exp(lse[b] - mL) - comp;
    const t = sum + y;
    comp = t - sum - y;
    sum = t;
  }
  const target = u * sum;
  let acc = 0;
  let last = -1;
  for (let b = 0; b < nb; b++) {
    const w = Math.exp(lse[b] - mL);
    if (w === 0) continue;
    last = b;
    if (acc + w > target) return drawBlock(z, b, n, (target - acc) / w, w / sum);
    acc += w;
  }
  return drawBlock(z, last, n, 1, Math.exp(lse[last] - mL) / sum);
}

/** Draws inside block b at the fraction f ∈ [0, 1] of its mass; `share` is the block's share of the row (for DRAWN.p). */
function drawBlock(z: Float32Array, b: number, n: number, f: number, share: number): number {
  const lo = b * BLOCK;
  return drawExact(z, lo, Math.min(n, lo + BLOCK), Math.min(f, 1), share, f >= 1 ? 1 : -1);
}

/**
 * The inverse CDF over z[lo : hi) in float64 exps (max shift, Kahan sum), target f·Σ; `atEnd` > 0
 * takes the last positive entry. DRAWN.p ← share · e_i/Σ.
 */
function drawExact(z: Float32Array, lo: number, hi: number, f: number, share: number, atEnd: number): number {
  let m = -Infinity;
  for (let i = lo; i < hi; i++) if (z[i] > m) m = z[i];
  let sum = 0;
  let comp = 0;
  for (let i = lo; i < hi; i++) {
    const v = Math.exp(z[i] - m);
    e[i - lo] = v;
    const y = v - comp;
    const t = sum + y;
    comp = t - sum - y;
    sum = t;
  }
  const target = f * sum;
  let acc = 0;
  let pick = -1;
  for (let i = lo; i < hi; i++) {
    const v = e[i - lo];
    if (v === 0) continue;
    acc += v;
    pick = i;
    if (atEnd < 0 && acc > target) break;
  }
  DRAWN.p = (share * e[pick - lo]) / sum;
  return pick;
}

/**
 * The index i < n drawn from probabilities (or any positive multiple of them) p[0 : n) with the
 * uniform u ∈ [0, 1), by the blocked inverse-CDF rule of rowKernels.ts (drawBlocked): the first i
 * whose running mass exceeds u·Σp, zeros skipped. DRAWN.p ← p_i/Σp. Serves the float64
 * probabilities of the exact path; float32 rows in a RowSpace take the same rule on the row kernels.
 */
export function drawP(p: Float32Array | Float64Array, n: number, u: number): number {
  const nb = Math.ceil(n / DRAW_BLOCK);
  if (sums.length < nb) sums = new Float64Array(nb);
  const pick = drawBlocked(p, n, u, sums);
  DRAWN.p = p[pick] / DRAW.sum;
  return pick;
}
