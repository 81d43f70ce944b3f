// Row math of the fused linear cross-entropy, over one tile of float64 logits: the soft cap, the
// statistics of a vocabulary slice merged into the running ones, the loss from merged statistics
// and the gradient of a slice. Every row pass runs through the backend contract (kernels()), so
// setBackend applies; the formulas live once, in src/reference (see StatsKernels).

import type { FloatArray } from '../core/tensor.js';
import { kernels } from '../backend/index.js';
import type { RowCoefs } from '../backend/kernels.js';
import { R, ddAdd } from '../reference/dd.js';
import { expNeg } from './expNeg.js';
import { type SoftmaxStats, mergeParts, storeMerged, weightSum } from './softmaxStats.js';

export type { RowCoefs } from '../backend/kernels.js';

/** What the loss of a row needs besides its statistics. */
export interface RowParams {
  readonly C: number;
  readonly target: ArrayLike<number>;
  readonly ignoreIndex: number;
  readonly classWeight: Float64Array | null;
  readonly eps: number;
  readonly zLoss: number;
  /** Gradient scale of row r: gradScale·(gradScales ? gradScales[r] : 1)/gradDivisor. */
  readonly gradScale: number;
  readonly gradScales: FloatArray | null;
  readonly gradDivisor: number;
  /** Whether per-row losses are rounded to float32. */
  readonly f32: boolean;
}

/** Sums over rows of the loss and the z-loss, as double-doubles. */
export interface RowTotals {
  lossH: number;
  lossL: number;
  zH: number;
  zL: number;
}

/** Bytes of the coefficients of N rows on one buffer (coefsOnBuffer). */
export const coefsBytes = (N: number): number => 49 * N;

/** Coefficient arrays of N rows on `buf` (six float64 arrays, then the kinds), or fresh ones. */
export function coefsOnBuffer(buf: ArrayBufferLike, N: number): RowCoefs {
  const at = (k: number) => new Float64Array(buf, 8 * k * N, N);
  return { max: at(0), a: at(1), aLo: at(2), b: at(3), bLo: at(4), gt: at(5), kind: new Uint8Array(buf, 48 * N, N) };
}

export function allocCoefs(N: number): RowCoefs {
  return coefsOnBuffer(new ArrayBuffer(coefsBytes(N)), N);
}

/**
 * Rows [r0, r1) from their final statistics: losses (into lossOut/zLossOut, summed into tot),
 * lse, and the gradient coefficients into co, by the backend's crossEntropyFromStats.
 */
export function lossRows(
  st: SoftmaxStats, p: RowParams, r0: number, r1: number,
  co: RowCoefs | null, tot: RowTotals, lse: Float64Array,
  lossOut: FloatArray | null, zLossOut: FloatArray | null,
): void {
  const s = kernels().crossEntropyFromStats({
    stats: {
      max: st.max, sumExp: st.sumExp, sumExpLo: st.sumExpLo, targetLogit: st.targetLogit!,
      gap: st.gap ?? null, gapLo: st.gapLo ?? null, gapWeight: st.gapWeight ?? null,
    },
    rowStart: r0, rowEnd: r1, classes: p.C, index: p.target, classWeight: p.classWeight,
    ignoreIndex: p.ignoreIndex, labelSmoothing: p.eps, zLoss: p.zLoss,
    lossOut, zLossOut, f32: p.f32, lse, coefs: co,
    gradScale: p.gradScale, gradScales: p.gradScales, gradDivisor: p.gradDivisor,
  });
  ddAdd(tot.lossH, tot.lossL, s.loss.hi, s.loss.lo);
  tot.lossH = R.hi;
  tot.lossL = R.hi === R.hi ? R.lo : 0;
  ddAdd(tot.zH, tot.zL, s.zLoss.hi, s.zLoss.lo);
  tot.zH = R.hi;
  tot.zL = R.hi === R.hi ? R.lo : 0;
}

/** z = c·tanh(u/c) over tile[0 : n), keeping u in raw[0 : n) for the gradient's sech² factor. */
export function capTile(tile: Float64Array, raw: Float64Array, n: number, c: number): void {
  for (let k = 0; k < n; k++) {
    const u = tile[k];
    raw[k] = u;
    tile[k] = c * Math.tanh(u / c);
  }
}

/** sech²(x) = 1 − tanh²(x) = 4e/(1 + e)² with e = e^(−2|x|): no cancellation where tanh is near ±1. */
function sech2(x: number): number {
  const e = expNeg(-2 * Math.abs(x));
  const d = 1 + e;
  return (4 * e) / (d * d);
}

/** Chain rule through the soft cap: g_k ← g_k·sech²(u_k/c) over tile[0 : n). */
export function uncapGrad(tile: Float64Array, raw: Float64Array, n: number, c: number): void {
  for (let k = 0; k < n; k++) tile[k] *= sech2(raw[k] / c);
}

/** Per-tile statistics, grown on demand (one entry per token of a tile). */
export class TileStats {
  max = new Float64Array(0);
  sumExp = new Float64Array(0);
  sumExpLo = new Float64Array(0);
  gap = new Float64Array(0);
  gapLo = new Float64Array(0);

  grow(rows: number): void {
    if (this.max.length >= rows) return;
    this.max = new Float64Array(rows);
    this.sumExp = new Float64Array(rows);
    this.sumExpLo = new Float64Array(rows);
    this.gap = new Float64Array(rows);
    this.gapLo = new Float64Array(rows);
  }
}

/** Classes of one slice of the vocabulary, as the row passes see them. */
export interface Slice {
  /** Global index of the slice's first class. */
  readonly c0: number;
  readonly vc: number;
  readonly classWeight: Float64Array | null;
  readonly target: ArrayLike<number>;
  readonly ignoreIndex: number;
  readonly smooth: boolean;
}

/**
 * Statistics of tile rows i < tn (logits z at tile[i·vc : (i+1)·vc), classes c0…) by the backend's
 * softmaxStats, merged into rows n0 + i of `st` with the online log-sum-exp step; the target's
 * logit is taken where this slice holds it, and Σ w over the slice is added to gapWeight (+ gapWeightLo).
 */
export function mergeTileStats(tile: Float64Array, tn: number, sl: Slice, n0: number, ts: TileStats, st: SoftmaxStats): void {
  const { c0, vc, classWeight: w } = sl;
  ts.grow(tn);
  kernels().softmaxStats({
    input: tile.subarray(0, tn * vc), layout: { outer: tn, size: vc, inner: 1 }, rowOffset: 0,
    max: ts.max, sumExp: ts.sumExp, sumExpLo: ts.sumExpLo,
    gap: sl.smooth ? ts.gap : null, gapLo: sl.smooth ? ts.gapLo : null,
    gapWeight: sl.smooth && w !== null ? w.subarray(c0, c0 + vc) : null,
  });
  // Σ w over the slice exactly (double-double): the merged Σ w then rounds the same way
  // whichever slices and merge order made it, and so do the gradient coefficients built on it.
  let gw = 0;
  let gwLo = 0;
  if (sl.smooth) {
    weightSum(w, c0, c0 + vc);
    gw = R.hi;
    gwLo = R.lo;
  }
  const gap = st.gap !== undefined;
  for (let i = 0; i < tn; i++) {
    const r = n0 + i;
    const t = sl.target[r] - c0;
    if (st.targetLogit !== undefined && sl.target[r] !== sl.ignoreIndex && t >= 0 && t < vc) st.targetLogit[r] = tile[i * vc + t];
    mergeParts(
      st.max[r], st.sumExp[r], st.sumExpLo[r], gap ? st.gap![r] : 0, gap ? st.gapLo![r] : 0, gap ? st.gapWeight![r] : 0, gap ? st.gapWeightLo?.[r] ?? 0 : 0,
      ts.max[i], ts.sumExp[i], ts.sumExpLo[i], sl.smooth ? ts.gap[i] : 0, sl.smooth ? ts.gapLo[i] : 0, gw, gwLo,
    );
    storeMerged(st, r, gap);
  }
}

/** Overwrites tile rows i < tn (rows n0 + i, classes c0…) with ∂loss/∂z by the backend's crossEntropyGradFromStats. */
export function gradTile(tile: Float64Array, tn: number, sl: Slice, n0: number, co: RowCoefs): void {
  kernels().crossEntropyGradFromStats({
    logits: tile, rows: tn, classes: sl.vc, rowOffset: n0, classOffset: sl.c0,
    coefs: co, index: sl.target, classWeight: sl.classWeight,
  });
}
