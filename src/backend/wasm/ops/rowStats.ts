// The wasm binding of sigmax/llm's row kernels (assembly/ops/rowStats.ts): the softmax statistics
// of rows along the last axis and the gradient rows of crossEntropyGradFromStats, each the
// reference's arithmetic operation for operation, so they return the reference's bits. Rows split
// across the threads whole (rows are independent, so the split changes nothing). Rows the kernel
// flags (NaN, +∞, all −∞, or out of its range with the gap) and calls with magnitudes beyond the
// kernels' range go to the reference. statsTile hands out float64 tiles living in the wasm memory,
// which these kernels and gemm (ops/gemm.ts) use in place, without copies.

import type { FloatArray } from '../../../core/tensor.js';
import type { Kernels, SoftmaxStatsArgs, StatsGradArgs } from '../../kernels.js';
import { jsKernels } from '../../js.js';
import { existingRuntime, getRuntime, type Runtime } from '../runtime.js';
import { part, runItems } from '../scheduler.js';

/** Bytes of one row's record in the kernels' per-row arrays (six float64). */
const REC = 48;
/** Elements per staged chunk of rows (when the input is not a tile in the wasm memory): 2 MB of float64. */
const CHUNK = 1 << 18;
/** |w| and |b| below this take the fast gradient (Dekker's split and the products stay finite); |a| below LIMIT_A. */
const LIMIT_W = 2 ** 450;
const LIMIT_A = 2 ** 900;
/** Class weights of the gap: below 2^500 in magnitude (assembly/ops/rowStats.ts' GAP_SPREAD). */
const LIMIT_GAP_W = 2 ** 500;

/** Buffers of the wasm memory that tiles were made on: a typed array viewing one of them lives in the wasm memory. */
const memoryBuffers = new WeakSet<ArrayBufferLike>();
/** Live tiles from statsTile and their byte offsets. */
const liveTiles = new WeakMap<Float64Array, number>();

/**
 * The byte offset of `a` in the wasm memory when it lives there (a statsTile tile or a subarray of
 * one, or a float32 array from sigmax/wasm's allocFloat32), else −1: gemm and the row kernels
 * then use it in place.
 */
export function wasmOffsetOf(a: FloatArray): number {
  if (memoryBuffers.has(a.buffer)) return a.byteOffset;
  const rt = existingRuntime();
  return rt !== null && rt.heap.holds(a) ? a.byteOffset : -1;
}

/** Where a call's rows are in the wasm memory: in place, or staged chunk by chunk. */
function inPlace(x: FloatArray): boolean {
  return wasmOffsetOf(x) >= 0;
}

/** Whether every weight is finite and below `limit` in magnitude. */
function bounded(w: ArrayLike<number>, from: number, to: number, limit: number): boolean {
  for (let i = from; i < to; i++) if (!(Math.abs(w[i]) < limit)) return false;
  return true;
}

/** Copies n float64 into the wasm memory at `at` (bytes). */
function putF64(rt: Runtime, at: number, src: ArrayLike<number>, from: number, n: number): void {
  const f = rt.heap.f64;
  const i = at / 8;
  if (src instanceof Float64Array) f.set(src.subarray(from, from + n), i);
  else for (let k = 0; k < n; k++) f[i + k] = src[from + k];
}

function softmaxStats(a: SoftmaxStatsArgs): void {
  const x = a.input;
  const { outer: rows, size: n, inner } = a.layout;
  const gap = a.gap !== null;
  const w = a.gapWeight;
  if (inner !== 1 || rows === 0 || n === 0 || (gap && w !== null && !bounded(w, 0, n, LIMIT_GAP_W))) {
    jsKernels.softmaxStats(a);
    return;
  }
  const rt = getRuntime();
  const f32 = x instanceof Float32Array;
  const bytes = f32 ? 4 : 8;
  const here = inPlace(x);
  const per = here ? rows : Math.max(1, Math.min(rows, Math.floor(CHUNK / n)));
  const blk = rt.heap.take([here ? 0 : per * n * bytes, per * REC, gap && w !== null ? n * 8 : 0]);
  try {
    const [xAt, oAt, wAt] = blk.offs;
    if (gap && w !== null) putF64(rt, wAt, w, 0, n);
    const f64 = rt.heap.f64;
    const flagged: number[] = [];
    for (let r0 = 0; r0 < rows; r0 += per) {
      const m = Math.min(per, rows - r0);
      let at = xAt;
      if (here) at = wasmOffsetOf(x) + r0 * n * bytes;
      else if (f32) rt.heap.f32.set((x as Float32Array).subarray(r0 * n, (r0 + m) * n), xAt / 4);
      else f64.set(x.subarray(r0 * n, (r0 + m) * n) as Float64Array, xAt / 8);
      runItems(rt, m, n, (first, count) => part('statsRowsF64', at + first * n * bytes, count, n, f32 ? 1 : 0, gap && w !== null ? wAt : 0, gap ? 1 : 0, oAt + first * REC));
      for (let r = 0, o = oAt / 8; r < m; r++, o += REC / 8) {
        const row = a.rowOffset + r0 + r;
        if (f64[o + 5] !== 0) {
          flagged.push(r0 + r);
          continue;
        }
        a.max[row] = f64[o];
        a.sumExp[row] = f64[o + 1];
        a.sumExpLo[row] = f64[o + 2];
        if (gap) {
          a.gap![row] = f64[o + 3];
          if (a.gapLo !== null) a.gapLo[row] = f64[o + 4];
        }
      }
    }
    for (const r of flagged) {
      jsKernels.softmaxStats({ ...a, input: x.subarray(r * n, (r + 1) * n), layout: { outer: 1, size: n, inner: 1 }, rowOffset: a.rowOffset + r });
    }
  } finally {
    rt.heap.give(blk);
  }
}

function crossEntropyGradFromStats(a: StatsGradArgs): void {
  const { logits: g, rows, classes: n, rowOffset, classOffset: c0, coefs: co, classWeight: w } = a;
  if (rows === 0 || n === 0) {
    jsKernels.crossEntropyGradFromStats(a);
    return;
  }
  // the kernel's range: |a| < 2^900 and |b|, |w| < 2^450 on the active rows, else the reference
  let anyB = false;
  for (let r = rowOffset; r < rowOffset + rows; r++) {
    if (co.kind[r] !== 1) continue;
    if (!(Math.abs(co.a[r]) < LIMIT_A) || !(Math.abs(co.b[r]) < LIMIT_W)) {
      jsKernels.crossEntropyGradFromStats(a);
      return;
    }
    if (co.b[r] !== 0) anyB = true;
  }
  const useW = anyB && w !== null;
  if (useW && !bounded(w, c0, c0 + n, LIMIT_W)) {
    jsKernels.crossEntropyGradFromStats(a);
    return;
  }
  const rt = getRuntime();
  const here = inPlace(g);
  const per = here ? rows : Math.max(1, Math.min(rows, Math.floor(CHUNK / n)));
  const blk = rt.heap.take([here ? 0 : per * n * 8, rows * REC, useW ? n * 8 : 0]);
  try {
    const [gAt, cAt, wAt] = blk.offs;
    const f64 = rt.heap.f64;
    for (let r = 0, o = cAt / 8; r < rows; r++, o += REC / 8) {
      const i = rowOffset + r;
      f64[o] = co.kind[i];
      f64[o + 1] = co.max[i];
      f64[o + 2] = co.a[i];
      f64[o + 3] = co.aLo[i];
      f64[o + 4] = co.b[i];
      f64[o + 5] = co.bLo[i];
    }
    if (useW) putF64(rt, wAt, w, c0, n);
    for (let r0 = 0; r0 < rows; r0 += per) {
      const m = Math.min(per, rows - r0);
      let at = gAt;
      if (here) at = wasmOffsetOf(g) + r0 * n * 8;
      else f64.set(g.subarray(r0 * n, (r0 + m) * n), gAt / 8);
      runItems(rt, m, n, (first, count) => part('gradRowsF64', at + first * n * 8, count, n, cAt + (r0 + first) * REC, useW ? wAt : 0));
      if (!here) g.set(f64.subarray(gAt / 8, gAt / 8 + m * n), r0 * n);
    }
  } finally {
    rt.heap.give(blk);
  }
  // the target's entry: the whole gradient there, cancellation-free (crossEntropyFromStats' gt)
  for (let r = 0; r < rows; r++) {
    const i = rowOffset + r;
    if (co.kind[i] !== 1) continue;
    const t = a.index[i] - c0;
    if (t >= 0 && t < n) g[r * n + t] = co.gt[i];
  }
}

/**
 * A float64 tile of `length` elements in the wasm memory (where it is shared: a growing memory
 * then never detaches it), else an ordinary array; the row kernels and gemm use it in place.
 */
function statsTile(length: number): Float64Array {
  const rt = getRuntime();
  if (!rt.heap.shared || length === 0) return new Float64Array(length);
  const at = rt.heap.alloc(length * 8, 'linearCrossEntropy');
  const t = new Float64Array(rt.heap.memory.buffer, at, length);
  memoryBuffers.add(t.buffer);
  liveTiles.set(t, at);
  return t;
}

function releaseStatsTile(t: Float64Array): void {
  const at = liveTiles.get(t);
  if (at === undefined) return;
  liveTiles.delete(t);
  getRuntime().heap.release(at, t.length * 8);
}

export const rowStatsFamily: Pick<Kernels, 'softmaxStats' | 'crossEntropyGradFromStats' | 'statsTile' | 'releaseStatsTile'> = {
  softmaxStats,
  crossEntropyGradFromStats,
  statsTile,
  releaseStatsTile,
};
