// Long float32 rows (LONG_N elements and more) on many threads: each row is cut into blocks of
// BLOCK elements at fixed boundaries, the threads compute every block's max and Σ e^(x − max)
// (softmaxBlockStatsF32), this thread merges them in block order in double-double, and the threads
// write the outputs block by block. Only the shape picks this path, so any thread count (1 too)
// gives the same bits. Math: docs/math.md#long-rows-on-many-threads.

import { R, ddAdd, ddDiv, ddMul, expDD } from '../../../reference/dd.js';
import type { Runtime } from '../runtime.js';
import { part, runItems } from '../scheduler.js';

/** Elements per block: a block's x and e (192 KB) stay in a core's cache between its passes. */
export const BLOCK = 1 << 14;
/** Rows at least this long take the block path: below it, whole rows per thread split a call well enough. */
export const LONG_N = 1 << 16;

export const isLong = (n: number): boolean => n >= LONG_N;
export const blocksPerRow = (n: number): number => Math.ceil(n / BLOCK);

/** e^(x − max) is scaled by 2^100 in the kernels (assembly/math/expf.ts's SCALE). */
const SCALE = 2 ** 100;

/**
 * A merged row, written by mergeRow: its max m (NaN with a NaN, ±∞ as the row kernels), K (the
 * entries equal to m), rest = Σ e^(x − m)·2^100 over the others (double-double), and per block
 * its factor e^(m_b − m) (double-double, 0 for a block of all −∞) in `factor` and the kernel's
 * G_b (its stored e times G_b is e^(x − m_b)·2^100) in `g`.
 */
export const row = { m: 0, k: 0, restHi: 0, restLo: 0, factor: new Float64Array(0), g: new Float64Array(0) };

/** Merges blocks [b0, b0 + nb) of the statistics at f64 index `s` (4 per block) in block order. */
export function mergeRow(f64: Float64Array, s: number, b0: number, nb: number): void {
  if (row.factor.length < 2 * nb) {
    row.factor = new Float64Array(2 * nb);
    row.g = new Float64Array(nb);
  }
  const fac = row.factor;
  for (let b = 0; b < nb; b++) row.g[b] = f64[s + 4 * (b0 + b) + 3];
  let m = -Infinity;
  let nan = false;
  for (let b = 0; b < nb; b++) {
    const mb = f64[s + 4 * (b0 + b)];
    if (mb !== mb) nan = true;
    else if (mb > m) m = mb;
  }
  row.m = nan ? NaN : m;
  row.k = 0;
  row.restHi = 0;
  row.restLo = 0;
  if (nan || m === Infinity || m === -Infinity) return;
  let k = 0;
  let rh = 0;
  let rl = 0;
  for (let b = 0; b < nb; b++) {
    const i = s + 4 * (b0 + b);
    const mb = f64[i];
    const sp = f64[i + 1];
    const kb = f64[i + 2];
    if (mb === m) {
      k += kb;
      fac[2 * b] = 1;
      fac[2 * b + 1] = 0;
      ddAdd(rh, rl, sp, 0);
    } else if (mb === -Infinity) {
      fac[2 * b] = 0;
      fac[2 * b + 1] = 0;
      continue;
    } else {
      // the block's whole sum, its max terms included, moved from m_b to m: m_b − m is exact
      expDD(mb - m, 0);
      const fh = R.hi;
      const fl = R.lo;
      fac[2 * b] = fh;
      fac[2 * b + 1] = fl;
      ddAdd(kb * SCALE, 0, sp, 0);
      ddMul(R.hi, R.lo, fh, fl);
      ddAdd(rh, rl, R.hi, R.lo);
    }
    rh = R.hi;
    rl = R.lo;
  }
  row.k = k;
  row.restHi = rh;
  row.restLo = rl;
}

/** log Σ e^(x − m) of the merged row (finite m): log(K + rest·2^-100), via log1p when K = 1, as the row kernels. */
export function rowLogSum(): number {
  const rest = (row.restHi + row.restLo) / SCALE;
  return row.k === 1 ? Math.log1p(rest) : Math.log(row.k + rest);
}

/** Σ e^(x − m)·2^100 of the merged row as a double-double, into R. */
export function rowSum(): void {
  ddAdd(row.k * SCALE, 0, row.restHi, row.restLo);
}

/** Block b's factor e^(m_b − m)·G_b times `g`, divided by the row's total (hi, lo): the output pass's scale for the block's stored e. */
export function blockScale(b: number, g: number, sh: number, sl: number): number {
  const fh = row.factor[2 * b];
  if (fh === 0) return 0;
  ddMul(fh, row.factor[2 * b + 1], g * row.g[b], 0);
  ddDiv(R.hi, R.lo, sh, sl);
  return R.hi + R.lo;
}

/**
 * Runs the statistics pass over `items` blocks of rows of n at x (e ≠ 0: e stored there) into
 * stats; `whole` (softmax, with e): each block's sum over every entry with K = 0 (only the total is used).
 */
export function statsPass(rt: Runtime, x: number, e: number, stats: number, items: number, n: number, whole = false): void {
  const w = whole ? 1 : 0;
  runItems(rt, items, BLOCK, (f, c) => part('softmaxBlockStatsF32', x, e, stats, f, c, n, BLOCK, w));
}

/** Runs the output pass: softmaxBlockScaleF32 (e → out) or logSoftmaxBlockShiftF32 (x → out) with per-block params. */
export function outputPass(rt: Runtime, fn: 'softmaxBlockScaleF32' | 'logSoftmaxBlockShiftF32', src: number, out: number, params: number, items: number, n: number): void {
  runItems(rt, items, BLOCK, (f, c) => part(fn, src, out, params, f, c, n, BLOCK));
}
