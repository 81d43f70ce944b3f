// Mergeable softmax statistics (per row max m and Σ e^(x − m) as a double-double, from the
// backend's softmaxStats kernel), so that the log-sum-exp of a row split into slices is one
// associative, commutative reduction: the online log-sum-exp step of Milakov and Gimelshein
// (2018), evaluated in double-double. Math: docs/math.md#large-vocabularies.

import { fail, show } from '../core/errors.js';
import { booleanOption, checkOptions, numberOption } from '../core/options.js';
import { readArg } from '../core/tensor.js';
import { layoutOf, normalizeAxis, reducedShape } from '../core/shape.js';
import { type Target } from '../ops/crossEntropy.js';
import { readClassWeight, readIndices } from '../core/losses.js';
import { R, ddAdd, ddMul, expDD, logDD, twoSum } from '../reference/dd.js';
import { kernels } from '../backend/index.js';

/**
 * Per-row softmax statistics of a tensor along one axis (arrays of one entry per row, rows in
 * row-major order of `shape`).
 *
 * - `max`: the largest entry; −∞ for an empty row or one of all −∞; NaN when the row has a NaN.
 * - `sumExp` + `sumExpLo`: Σ e^(x − max) as a double-double (within about 2^−70 relative): at least 1
 *   for a row with a finite max, 0 when max is −∞, and the number of +∞ entries when max is +∞
 *   (each e^(∞ − ∞) taken as 1, so that logSumExp gives +∞ as PyTorch does). NaN rows give NaN.
 * - `targetLogit` (when targets were given): x at the row's target class if this slice holds
 *   it, else 0, so that merging slices adds up to the target's logit (ignored rows give 0).
 * - `gap` + `gapLo` and `gapWeight` + `gapWeightLo` (with `gap: true`): Σ_c w_c·(max − x_c) and
 *   Σ_c w_c, both double-doubles, the two sums label smoothing needs; w = `weight` or all ones.
 *   Σ w is kept exact (not a float64 running sum), so that slices merged in any order give the
 *   same rounded Σ w, hence bit-identical gradient coefficients (Y' contains (ε/C)·Σ w).
 *   A −∞ entry with w_c > 0 makes gap +∞; an all −∞ row has gap 0.
 */
export interface SoftmaxStats {
  readonly shape: readonly number[];
  readonly max: Float64Array;
  readonly sumExp: Float64Array;
  readonly sumExpLo: Float64Array;
  readonly targetLogit?: Float64Array;
  readonly gap?: Float64Array;
  readonly gapLo?: Float64Array;
  readonly gapWeight?: Float64Array;
  /** Low part of gapWeight (absent in statistics made by hand: read as 0). */
  readonly gapWeightLo?: Float64Array;
}

export interface SoftmaxStatsOptions {
  /** The class (vocabulary) axis; negative counts from the end. Default −1. */
  axis?: number;
  /** Class indices, one per row (global indices when `classOffset` is set): adds `targetLogit`. */
  target?: Target;
  /** Rows whose target equals this get targetLogit 0. Default −100. */
  ignoreIndex?: number;
  /** The global class index of this slice's first entry along `axis` (a vocabulary shard). Default 0. */
  classOffset?: number;
  /** Also compute `gap`, `gapLo` and `gapWeight` (for label smoothing). Default false. */
  gap?: boolean;
  /** Class weights of this slice (length = size of `axis`) used by `gap`. Default all ones. */
  weight?: Float64Array | Float32Array | readonly number[];
}

/** Empty statistics for `rows` rows: max −∞ and sumExp 0, the identity of mergeSoftmaxStats. */
export function emptySoftmaxStats(shape: readonly number[], parts: { target?: boolean; gap?: boolean } = {}): SoftmaxStats {
  let rows = 1;
  for (const d of shape) rows *= d;
  const max = new Float64Array(rows).fill(-Infinity);
  return {
    shape: [...shape],
    max,
    sumExp: new Float64Array(rows),
    sumExpLo: new Float64Array(rows),
    ...(parts.target ? { targetLogit: new Float64Array(rows) } : {}),
    ...(parts.gap ? { gap: new Float64Array(rows), gapLo: new Float64Array(rows), gapWeight: new Float64Array(rows), gapWeightLo: new Float64Array(rows) } : {}),
  };
}

/**
 * Per-row softmax statistics `{ max, sumExp, sumExpLo }` of `x` along `axis` (and `targetLogit`
 * with `target`, `gap`/`gapLo`/`gapWeight` with `gap: true`); see {@link SoftmaxStats}.
 * log Σ_c e^(x_c) = max + log(sumExp + sumExpLo). Each e^(x − max) is the double-double exp of
 * the exact difference and the sum is accumulated in double-double, so the statistics are exact
 * to about 2^−70 relative (the double-double exp); float32 and float64 inputs give float64 statistics. Statistics of
 * slices of a row combine with {@link mergeSoftmaxStats} into the statistics of the whole row.
 * Targets equal to `ignoreIndex` give targetLogit 0; other targets must be integers ≥ 0 (they
 * may lie outside this slice: its targetLogit is then 0). NaN and ±∞ follow SoftmaxStats.
 */
export function softmaxStats(x: unknown, opts?: SoftmaxStatsOptions): SoftmaxStats {
  const fn = 'softmaxStats';
  checkOptions(fn, opts, ['axis', 'target', 'ignoreIndex', 'classOffset', 'gap', 'weight']);
  const a = readArg(fn, 'x', x);
  if (a.shape.length === 0) fail(fn, 'SHAPE_MISMATCH', 'x must have a class axis (rank ≥ 1), got a 0-d tensor');
  const axis = normalizeAxis(fn, opts?.axis ?? -1, a.shape.length);
  const { outer, size: n, inner } = layoutOf(a.shape, axis);
  const shape = reducedShape(a.shape, axis);
  const ignoreIndex = numberOption(fn, 'ignoreIndex', opts?.ignoreIndex, -100, Number.isInteger, 'an integer');
  const offset = numberOption(fn, 'classOffset', opts?.classOffset, 0, (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0');
  const withGap = booleanOption(fn, 'gap', opts?.gap, false);
  const w = readClassWeight(fn, opts?.weight, n);
  if (w !== null && !withGap) fail(fn, 'INVALID_OPTION', 'weight is only used by gap; pass gap: true with it');
  const rows = outer * inner;
  const index = opts?.target === undefined ? null : readTargets(fn, opts.target, rows, ignoreIndex);
  const s = emptySoftmaxStats(shape, { target: index !== null, gap: withGap });
  if (withGap) {
    weightSum(w, 0, n);
    s.gapWeight!.fill(R.hi);
    s.gapWeightLo!.fill(R.lo);
  }
  if (index !== null) {
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const r = o * inner + i;
        const t = index[r] - offset;
        s.targetLogit![r] = index[r] !== ignoreIndex && t >= 0 && t < n ? a.data[o * n * inner + i + t * inner] : 0;
      }
    }
  }
  kernels().softmaxStats({
    input: a.data, layout: { outer, size: n, inner }, rowOffset: 0,
    max: s.max, sumExp: s.sumExp, sumExpLo: s.sumExpLo,
    gap: s.gap ?? null, gapLo: s.gapLo ?? null, gapWeight: w,
  });
  return s;
}

/** Class indices in every form readIndices takes (BigInt64Array token ids included); no upper bound, as a shard sees only its own classes. */
function readTargets(fn: string, target: unknown, rows: number, ignoreIndex: number): ArrayLike<number> {
  const t = readIndices(fn, 'target', target, Infinity, ignoreIndex);
  const index = t.index;
  if (t.length !== rows) fail(fn, 'SHAPE_MISMATCH', `target has ${t.length} elements, expected ${rows} (one class index per row)`);
  for (let r = 0; r < rows; r++) {
    const v = index[r];
    if (v === ignoreIndex) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      fail(fn, 'INVALID_TARGET', `target[${r}] = ${show(v)} is not a class index (an integer ≥ 0, or ignoreIndex = ${ignoreIndex})`);
    }
  }
  return index;
}

/**
 * Σ_{c in [c0, c1)} w_c (w null: c1 − c0) as a double-double in R. Class weights are float64
 * values of similar size, so the double-double sum is their exact sum, whatever the order.
 */
export function weightSum(w: Float64Array | Float32Array | readonly number[] | null, c0: number, c1: number): void {
  if (w === null) {
    R.hi = c1 - c0;
    R.lo = 0;
    return;
  }
  let h = 0;
  let l = 0;
  for (let c = c0; c < c1; c++) {
    ddAdd(h, l, w[c], 0);
    h = R.hi;
    l = R.lo;
  }
  R.hi = h;
  R.lo = l;
}

/** Result registers of {@link mergeParts}: max, sumExp (hi, lo), gap (hi, lo) and Σ w (hi, lo). */
export const MERGED = { max: 0, sh: 0, sl: 0, gh: 0, gl: 0, wh: 0, wl: 0 };

/**
 * The online log-sum-exp step on scalars: merges (m_a, S_a, G_a, W_a) and (m_b, S_b, G_b, W_b)
 * into MERGED. With m = max(m_a, m_b) and the other max m', S = S_big + S_small·e^(m' − m),
 * G = G_big + G_small + (m − m')·W_small and W = W_a + W_b, every term a double-double and
 * e^(m' − m) the double-double exp of the exact difference. Equal maxes (also ±∞) add the sums. Commutative bit
 * for bit: the side with the larger max is always the first operand, and ties add symmetrically.
 */
export function mergeParts(
  ma: number, sah: number, sal: number, gah: number, gal: number, gwa: number, gwaLo: number,
  mb: number, sbh: number, sbl: number, gbh: number, gbl: number, gwb: number, gwbLo: number,
): void {
  ddAdd(gwa, gwaLo, gwb, gwbLo);
  MERGED.wh = R.hi;
  MERGED.wl = R.hi - R.hi === 0 ? R.lo : 0;
  if (ma !== ma || mb !== mb) {
    MERGED.max = NaN;
    MERGED.sh = NaN;
    MERGED.sl = 0;
    MERGED.gh = NaN;
    MERGED.gl = 0;
    return;
  }
  const aBig = ma >= mb;
  const m = aBig ? ma : mb;
  const ms = aBig ? mb : ma;
  let sh = aBig ? sbh : sah;
  let sl = aBig ? sbl : sal;
  let gh = aBig ? gbh : gah;
  let gl = aBig ? gbl : gal;
  const gws = aBig ? gwb : gwa;
  const gwsLo = aBig ? gwbLo : gwaLo;
  if (ms !== m) {
    if (ms === -Infinity) {
      // The smaller side's entries are all −∞: e^(−∞) = 0, and each adds w·(m − (−∞)) = +∞ to
      // the gap when its weight is positive.
      sh = 0;
      sl = 0;
      gh = gws > 0 ? Infinity : 0;
      gl = 0;
    } else {
      twoSum(ms, -m);
      const dh = R.hi;
      const dl = R.lo;
      expDD(dh, dl);
      ddMul(sh, sl, R.hi, R.lo);
      sh = R.hi;
      sl = R.lo;
      if (gws !== 0) {
        ddMul(-dh, -dl, gws, gwsLo);
        ddAdd(gh, gl, R.hi, R.lo);
        gh = R.hi;
        gl = R.lo;
      }
    }
  }
  ddAdd(aBig ? sah : sbh, aBig ? sal : sbl, sh, sl);
  MERGED.max = m;
  MERGED.sh = R.hi;
  MERGED.sl = R.hi - R.hi === 0 ? R.lo : 0;
  ddAdd(aBig ? gah : gbh, aBig ? gal : gbl, gh, gl);
  MERGED.gh = R.hi;
  MERGED.gl = R.hi - R.hi === 0 ? R.lo : 0;
}

/** Merges row r of `b` into row r of `out` (from row r of `a`; `out` may be `a`). */
export function mergeRow(out: SoftmaxStats, a: SoftmaxStats, b: SoftmaxStats, r: number): void {
  const gap = out.gap !== undefined && a.gap !== undefined && b.gap !== undefined;
  if (a.targetLogit !== undefined && b.targetLogit !== undefined && out.targetLogit !== undefined) {
    out.targetLogit[r] = a.targetLogit[r] + b.targetLogit[r];
  }
  mergeParts(
    a.max[r], a.sumExp[r], a.sumExpLo[r], gap ? a.gap![r] : 0, gap ? a.gapLo![r] : 0, gap ? a.gapWeight![r] : 0, gap ? a.gapWeightLo?.[r] ?? 0 : 0,
    b.max[r], b.sumExp[r], b.sumExpLo[r], gap ? b.gap![r] : 0, gap ? b.gapLo![r] : 0, gap ? b.gapWeight![r] : 0, gap ? b.gapWeightLo?.[r] ?? 0 : 0,
  );
  storeMerged(out, r, gap);
}

/** Stores the last mergeParts result (MERGED) as row r of `out`; `gap`: the label-smoothing sums too. */
export function storeMerged(out: SoftmaxStats, r: number, gap: boolean): void {
  out.max[r] = MERGED.max;
  out.sumExp[r] = MERGED.sh;
  out.sumExpLo[r] = MERGED.sl;
  if (gap) {
    out.gap![r] = MERGED.gh;
    out.gapLo![r] = MERGED.gl;
    out.gapWeight![r] = MERGED.wh;
    if (out.gapWeightLo !== undefined) out.gapWeightLo[r] = MERGED.wl;
  }
}

function checkStats(fn: string, name: string, s: unknown): SoftmaxStats {
  const st = s as SoftmaxStats;
  if (typeof s !== 'object' || s === null || !(st.max instanceof Float64Array) || !(st.sumExp instanceof Float64Array) || !(st.sumExpLo instanceof Float64Array)) {
    fail(fn, 'INVALID_INPUT', `${name} must be softmax statistics { max, sumExp, sumExpLo } of Float64Arrays`);
  }
  if (st.sumExp.length !== st.max.length || st.sumExpLo.length !== st.max.length) {
    fail(fn, 'SHAPE_MISMATCH', `${name}.sumExp has ${st.sumExp.length} rows but ${name}.max has ${st.max.length}`);
  }
  return st;
}

/**
 * Combines the statistics of two slices of the same rows (for example two halves of a
 * vocabulary) into the statistics of their union: max = max(m_a, m_b) and
 * sumExp = sumExp_a·e^(m_a − max) + sumExp_b·e^(m_b − max) in double-double; targetLogit adds,
 * and gapWeight + gapWeightLo add in double-double; gap = gap_a + gap_b + (max − m_a)·W_a + (max − m_b)·W_b. Commutative bit for
 * bit and associative to about 2^−70 relative, so any reduction tree (workers, all-reduce)
 * gives the same logSumExp after rounding. Empty statistics (max −∞, sumExp 0) are the identity;
 * NaN in either gives NaN. `targetLogit` and `gap` appear in the result when both have them.
 * With `out` (statistics of the same rows, possibly `a` or `b`) nothing is allocated.
 */
export function mergeSoftmaxStats(a: SoftmaxStats, b: SoftmaxStats, opts?: { out?: SoftmaxStats }): SoftmaxStats {
  const fn = 'mergeSoftmaxStats';
  checkOptions(fn, opts, ['out']);
  const sa = checkStats(fn, 'a', a);
  const sb = checkStats(fn, 'b', b);
  if (sa.max.length !== sb.max.length) fail(fn, 'SHAPE_MISMATCH', `a has ${sa.max.length} rows but b has ${sb.max.length}`);
  const rows = sa.max.length;
  const withTarget = sa.targetLogit !== undefined && sb.targetLogit !== undefined;
  const withGap = sa.gap !== undefined && sb.gap !== undefined && sa.gapWeight !== undefined && sb.gapWeight !== undefined;
  let out: SoftmaxStats;
  if (opts?.out !== undefined) {
    out = checkStats(fn, 'out', opts.out);
    if (out.max.length !== rows) fail(fn, 'SHAPE_MISMATCH', `out has ${out.max.length} rows, expected ${rows}`);
    if (withTarget && out.targetLogit === undefined) fail(fn, 'INVALID_OPTION', 'out needs targetLogit, since a and b have it');
    if (withGap && out.gap === undefined) fail(fn, 'INVALID_OPTION', 'out needs gap, gapLo and gapWeight, since a and b have them');
  } else {
    out = emptySoftmaxStats(sa.shape ?? [rows], { target: withTarget, gap: withGap });
  }
  for (let r = 0; r < rows; r++) mergeRow(out, sa, sb, r);
  return out;
}

/** max + log(sumExp) of row r as a double-double in R (the row's log-sum-exp). */
export function lseRow(s: SoftmaxStats, r: number): void {
  const m = s.max[r];
  if (!(m - m === 0)) {
    // NaN stays NaN; +∞ gives +∞; −∞ (sumExp 0) gives −∞.
    R.hi = m === m && !(s.sumExp[r] !== s.sumExp[r]) ? m : NaN;
    R.lo = 0;
    return;
  }
  logDD(s.sumExp[r], s.sumExpLo[r]);
  ddAdd(m, 0, R.hi, R.lo);
}

/**
 * log Σ_c e^(x_c) per row from softmax statistics: max + log(sumExp), the log taken in
 * double-double (through log1p when sumExp is near 1, so tiny S − 1 keeps its digits) and
 * rounded once. As logSumExp: NaN rows give NaN, +∞ rows +∞, empty or all −∞ rows −∞.
 */
export function logSumExpFromStats(stats: SoftmaxStats, opts?: { out?: Float64Array }): Float64Array {
  const fn = 'logSumExpFromStats';
  checkOptions(fn, opts, ['out']);
  const s = checkStats(fn, 'stats', stats);
  const rows = s.max.length;
  const out = opts?.out ?? new Float64Array(rows);
  if (!(out instanceof Float64Array) || out.length !== rows) {
    fail(fn, 'SHAPE_MISMATCH', `out must be a Float64Array of ${rows} elements`);
  }
  for (let r = 0; r < rows; r++) {
    lseRow(s, r);
    out[r] = R.hi;
  }
  return out;
}
