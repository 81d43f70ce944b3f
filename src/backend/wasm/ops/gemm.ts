// The wasm binding of gemm: C is cut into blocks (and K into chunks of whole k-blocks) whose
// operands are staged compactly in the wasm memory, each block's C split across the threads by
// whole output tiles. Operands and C that already live in the wasm memory (the row kernels'
// statsTile tiles, ops/rowStats.ts) are used in place, strides and all, without copies. Every
// element of C gets the same arithmetic for any block or thread split (see assembly/ops/gemm.ts),
// so results do not depend on the thread count or on where the operands live.

import type { FloatArray } from '../../../core/tensor.js';
import type { GemmArgs, Kernels, MatView } from '../../kernels.js';
import type { Part } from '../pool.js';
import { getRuntime, type Runtime } from '../runtime.js';
import { part } from '../scheduler.js';
import { wasmOffsetOf } from './rowStats.js';

/** Elements per staged region (A block, B block, C block): 4 MB of float64 each, so staging stays far below a logits matrix. */
const BUDGET = 1 << 19;
/** The kernels' k-block (KC in assembly/ops/gemm.ts). */
const KC = 256;
/** Depth of a K chunk: whole k-blocks, so chunking K changes no sum. */
const KCHUNK = 4 * KC;
/** Rows of C a thread's part covers at least (a multiple of the micro-tile's 4 rows). */
const ROW_TILE = 16;
/** Columns likewise (a multiple of both micro-tiles' 8 and 4 columns). */
const COL_TILE = 64;
/** Below this many multiply-adds per block a call stays on one thread (waking workers costs more). */
const THREAD_MIN = 1 << 18;

const isF32 = (a: FloatArray): a is Float32Array => a instanceof Float32Array;

/** Where a staged operand block lives and its strides (elements) there. */
interface Staged {
  at: number;
  rs: number;
  cs: number;
}

/**
 * Copies rows [r0, r0+rows) × columns [c0, c0+cols) of a view into the wasm memory at byte
 * offset `at`, in its own element type: whole contiguous runs at once (rows of a row-major view,
 * columns of a transposed one), element by element otherwise.
 */
function stage(rt: Runtime, v: MatView, r0: number, rows: number, c0: number, cols: number, at: number): Staged {
  const d = v.data;
  const home = wasmOffsetOf(d);
  if (home >= 0) return { at: home + (v.offset + r0 * v.rowStride + c0 * v.colStride) * (isF32(d) ? 4 : 8), rs: v.rowStride, cs: v.colStride };
  const dst = isF32(d) ? rt.heap.f32 : rt.heap.f64;
  const i = at / (isF32(d) ? 4 : 8);
  const base = v.offset + r0 * v.rowStride + c0 * v.colStride;
  if (v.colStride === 1) {
    if (v.rowStride === cols || rows === 1) dst.set(d.subarray(base, base + (rows - 1) * v.rowStride + cols), i);
    else for (let r = 0; r < rows; r++) dst.set(d.subarray(base + r * v.rowStride, base + r * v.rowStride + cols), i + r * cols);
    return { at, rs: cols, cs: 1 };
  }
  if (v.rowStride === 1) {
    for (let c = 0; c < cols; c++) dst.set(d.subarray(base + c * v.colStride, base + c * v.colStride + rows), i + c * rows);
    return { at, rs: 1, cs: rows };
  }
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[i + r * cols + c] = d[base + r * v.rowStride + c * v.colStride];
  return { at, rs: cols, cs: 1 };
}

/** Splits an m×n block of C into per-thread rectangles of whole tiles: [i0, rows, j0, cols]. */
function tiles(m: number, n: number, k: number, threads: number): [number, number, number, number][] {
  const byCols = n >= m;
  const len = byCols ? n : m;
  const unit = byCols ? COL_TILE : ROW_TILE;
  const t = Math.max(1, Math.min(threads, Math.ceil(len / unit), Math.floor((m * n * k) / THREAD_MIN)));
  const units = Math.ceil(len / unit);
  const out: [number, number, number, number][] = [];
  for (let p = 0; p < t; p++) {
    const a = Math.min(len, unit * Math.floor((units * p) / t));
    const b = p === t - 1 ? len : Math.min(len, unit * Math.floor((units * (p + 1)) / t));
    if (b <= a) continue;
    out.push(byCols ? [0, m, a, b - a] : [a, b - a, 0, n]);
  }
  return out;
}

export const gemmFamily: Pick<Kernels, 'gemm'> = {
  gemm(g: GemmArgs): void {
    const { M, N, K, a, b, c, cOff, ldc } = g;
    if (M === 0 || N === 0) return;
    const f32 = g.precision === 'f32' && isF32(a.data) && isF32(b.data) && isF32(c);
    const rt = getRuntime();
    const scratchBytes = rt.exports.gemmScratch(f32 ? 0 : 1);
    // a float32 C of a float64-summed product with K in one k-block is read and written as float32
    // by the kernel (each element's sum, plus its previous value, rounded once, as a float64 C
    // copied out would be): copies of C are then plain float32 copies, half the bytes
    const cF32 = f32 || (isF32(c) && K <= KC);
    const cBytes = cF32 ? 4 : 8;
    const aBytes = isF32(a.data) ? 4 : 8;
    const bBytes = isF32(b.data) ? 4 : 8;
    const types = (isF32(a.data) ? 1 : 0) | (isF32(b.data) ? 2 : 0) | (cF32 && !f32 ? 4 : 0);
    // K in chunks of whole k-blocks (K itself up to KCHUNK), then C in blocks of whole rows of
    // the chunk (nb columns first, so that a narrow B is staged once) within BUDGET each
    const kChunk = K <= KCHUNK ? Math.max(K, 1) : KCHUNK;
    const nb = Math.min(N, Math.max(COL_TILE, COL_TILE * Math.floor(BUDGET / kChunk / COL_TILE)));
    const mb = Math.min(M, Math.max(ROW_TILE, ROW_TILE * Math.floor(BUDGET / Math.max(kChunk, nb) / ROW_TILE)));
    const threads = rt.threads;
    // operands and C that live in the wasm memory (statsTile's tiles) are used in place
    const aHome = wasmOffsetOf(a.data) >= 0;
    const bHome = wasmOffsetOf(b.data) >= 0;
    const cHome = wasmOffsetOf(c) >= 0 && (cF32 ? isF32(c) : c instanceof Float64Array) ? wasmOffsetOf(c) : -1;
    const blk = rt.heap.take([aHome ? 0 : mb * kChunk * aBytes, bHome ? 0 : kChunk * nb * bBytes, cHome >= 0 ? 0 : mb * nb * cBytes, scratchBytes * threads]);
    try {
      const [aAt, bAt, cStage, sAt] = blk.offs;
      for (let j0 = 0; j0 < N; j0 += nb) {
        const n = Math.min(nb, N - j0);
        for (let i0 = 0; i0 < M; i0 += mb) {
          const m = Math.min(mb, M - i0);
          // C's block: in place (leading dimension ldc), or staged row-major (m × n) and copied in
          // when the product adds to it
          const cAt = cHome >= 0 ? cHome + (cOff + i0 * ldc + j0) * cBytes : cStage;
          const cld = cHome >= 0 ? ldc : n;
          const cv = cF32 ? rt.heap.f32 : rt.heap.f64;
          const ci = cAt / cBytes;
          const needIn = g.accumulate;
          if (needIn && cHome < 0) for (let r = 0; r < m; r++) {
            const o = cOff + (i0 + r) * ldc + j0;
            cv.set(c.subarray(o, o + n), ci + r * n);
          }
          for (let p0 = 0; p0 < Math.max(K, 1); p0 += kChunk) {
            const k = Math.min(kChunk, K - p0);
            const sa = k > 0 ? stage(rt, a, i0, m, p0, k, aAt) : { at: aAt, rs: 1, cs: 1 };
            const sb = k > 0 ? stage(rt, b, p0, k, j0, n, bAt) : { at: bAt, rs: 1, cs: 1 };
            const acc = needIn || p0 > 0 ? 1 : 0;
            const parts: Part[] = [];
            for (const [pi, pm, pj, pn] of tiles(m, n, k, threads)) {
              const pa = sa.at + pi * sa.rs * aBytes;
              const pb = sb.at + pj * sb.cs * bBytes;
              const pc = cAt + (pi * cld + pj) * cBytes;
              const scratch = sAt + parts.length * scratchBytes;
              parts.push(f32
                ? part('gemmF32', pm, pn, k, pa, sa.rs, sa.cs, pb, sb.rs, sb.cs, pc, cld, acc, scratch)
                : part('gemmF64', pm, pn, k, pa, sa.rs, sa.cs, pb, sb.rs, sb.cs, pc, cld, acc, scratch, types));
            }
            rt.run(parts);
          }
          if (cHome >= 0) continue;
          const out = cF32 ? rt.heap.f32 : rt.heap.f64;
          for (let r = 0; r < m; r++) {
            const o = cOff + (i0 + r) * ldc + j0;
            c.set(out.subarray(ci + r * n, ci + r * n + n), o);
          }
        }
      }
    } finally {
      rt.heap.give(blk);
    }
  },
};
