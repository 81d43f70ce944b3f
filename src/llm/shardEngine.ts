// The shard engine of the fused linear cross-entropy: chunks a shard (all tokens × a slice of the
// vocabulary) into tiles [tokens × classes] of float64 logits, runs the row math of rowMath.ts on
// each tile, and multiplies gradient tiles straight into the gradients. Never holds more than one
// tile of logits; the single-process op has one shard, the vocabulary-parallel pool one per worker.

import type { FloatArray } from '../core/tensor.js';
import { kernels } from '../backend/index.js';
import type { MatView } from '../backend/kernels.js';
import type { SoftmaxStats } from './softmaxStats.js';
import {
  type RowCoefs, type RowParams, type RowTotals, type Slice,
  TileStats, capTile, gradTile, lossRows, mergeTileStats, uncapGrad,
} from './rowMath.js';

/** Logits per whole-row tile (float64 elements): 32 MB. */
export const TILE_BUDGET = 1 << 22;
/** Logits per tile when the vocabulary is chunked (two passes): 8 MB, next to the accumulators. */
const CHUNKED_TILE_BUDGET = 1 << 20;
/**
 * Fewest tokens a whole-row tile may hold (unless it holds all of them) before the vocabulary is
 * chunked instead. One pass adds gradWeight's update (V×D read and written) and stages the weight
 * twice per token block, so with few tokens per block that traffic outweighs the two-pass mode's
 * second product: at V = 151936, D = 1024 (24 tokens per block) one pass took 35 s of CPU, two
 * passes 28 s; at V = 32000 (120 tokens) one pass is the faster.
 */
const MIN_TOKENS = 64;
/** Bound on the float64 [chunk × D] weight-gradient accumulator of the two-pass mode (elements): 16 MB. */
const DW_BUDGET = 1 << 21;

/**
 * One shard of the problem: rows [classOffset, classOffset + V) of the weight, all N tokens.
 * The single-process op has one shard; the vocabulary-parallel pool one per worker.
 */
export interface Shard {
  readonly N: number;
  readonly D: number;
  /** N×D, row-major. */
  readonly hidden: FloatArray;
  /** The shard's V×D rows start at element wOff. */
  readonly weight: FloatArray;
  readonly wOff: number;
  readonly V: number;
  readonly classOffset: number;
  /** Classes in all shards together. */
  readonly C: number;
  /** Indexed by global class; null for none. */
  readonly bias: Float64Array | null;
  readonly classWeight: Float64Array | null;
  readonly target: ArrayLike<number>;
  readonly ignoreIndex: number;
  readonly eps: number;
  readonly softcap: number;
  readonly chunk: number;
  readonly tokenChunk: number;
}

/** Tile sizes: explicit options, else whole rows when at least MIN_TOKENS of them (or all N) fit the tile. */
export function chooseChunks(N: number, D: number, V: number, chunk: number | undefined, tokenChunk: number | undefined): { chunk: number; tokenChunk: number } {
  let vc: number;
  if (chunk !== undefined) vc = Math.min(chunk, Math.max(V, 1));
  else if (TILE_BUDGET / Math.max(V, 1) >= Math.min(MIN_TOKENS, Math.max(N, 1))) vc = Math.max(V, 1);
  else vc = Math.max(256, Math.min(8192, Math.floor(DW_BUDGET / Math.max(D, 1))));
  let tn: number;
  if (tokenChunk !== undefined) tn = tokenChunk;
  else {
    tn = Math.max(1, Math.floor((vc >= V ? TILE_BUDGET : CHUNKED_TILE_BUDGET) / vc));
    if (tn >= 12) tn -= tn % 12;
  }
  return { chunk: vc, tokenChunk: Math.max(1, Math.min(tn, Math.max(N, 1))) };
}

/**
 * A shard's scratch: the logits/gradient tile (the backend's statsTile: on 'wasm' it lives in the
 * kernels' memory, where gemm and the row kernels use it in place), the raw logits under a soft
 * cap, a float64 copy of the hidden block and the tile's statistics. Made per call, so that
 * nothing tens of MB large outlives it and concurrent shards (workers) never share a tile; the
 * caller gives the tile back with release().
 */
class Scratch {
  readonly tile: Float64Array;
  readonly raw: Float64Array;
  readonly hblk: Float64Array;
  readonly stats = new TileStats();

  constructor(s: Shard, classes: number) {
    this.tile = kernels().statsTile(s.tokenChunk * classes);
    this.raw = new Float64Array(s.softcap > 0 ? s.tokenChunk * classes : 0);
    this.hblk = new Float64Array(kernels().name === 'js' ? s.tokenChunk * s.D : 0);
  }

  release(): void {
    kernels().releaseStatsTile(this.tile);
  }
}

/**
 * C (+)= A·B through the backend's gemm, every sum in float64 (float32 products are exact there):
 * the wasm kernels on the 'wasm' backend, the JavaScript reference on 'js'.
 */
function gemm(M: number, N: number, K: number, a: MatView, b: MatView, c: FloatArray, cOff: number, ldc: number, accumulate: boolean): void {
  kernels().gemm({ M, N, K, a, b, c, cOff, ldc, accumulate, precision: 'f64' });
}

function slice(s: Shard, v0: number, vc: number): Slice {
  return { c0: s.classOffset + v0, vc, classWeight: s.classWeight, target: s.target, ignoreIndex: s.ignoreIndex, smooth: s.eps > 0 };
}

/**
 * z = cap(hidden[n0 : n0+tn] · weight[v0 : v0+vc]ᵀ + bias) into the tile (tn × vc, float64), the
 * uncapped values kept in raw under a soft cap. For the JavaScript reference the hidden block is
 * copied to float64 first, so that its micro-kernel reads one array type per operand; the wasm
 * kernels promote float32 operands themselves when they pack them.
 */
function tileLogits(s: Shard, x: Scratch, n0: number, tn: number, v0: number, vc: number): void {
  const D = s.D;
  const h = s.hidden;
  const tile = x.tile;
  let hv: MatView = { data: h, offset: n0 * D, rowStride: D, colStride: 1 };
  if (kernels().name === 'js') {
    const hb = x.hblk;
    for (let i = 0, k = n0 * D; i < tn * D; i++, k++) hb[i] = h[k];
    hv = { data: hb, offset: 0, rowStride: D, colStride: 1 };
  }
  gemm(
    tn, vc, D,
    hv,
    { data: s.weight, offset: s.wOff + v0 * D, rowStride: 1, colStride: D },
    tile, 0, vc, false,
  );
  const bias = s.bias;
  if (bias !== null) {
    const c0 = s.classOffset + v0;
    for (let i = 0; i < tn; i++) {
      const o = i * vc;
      for (let j = 0; j < vc; j++) tile[o + j] += bias[c0 + j];
    }
  }
  if (s.softcap > 0) capTile(tile, x.raw, tn * vc, s.softcap);
}

/** The gradient wrt the uncapped logits of tile rows n0…n0+tn, added to gb[c0 − gbOff + j] when given. */
function gradLogits(s: Shard, x: Scratch, co: RowCoefs, n0: number, tn: number, sl: Slice, gb: Float64Array | null, gbOff: number): void {
  gradTile(x.tile, tn, sl, n0, co);
  const n = tn * sl.vc;
  if (s.softcap > 0) uncapGrad(x.tile, x.raw, n, s.softcap);
  if (gb === null) return;
  const o = sl.c0 - gbOff;
  for (let i = 0; i < tn; i++) {
    const off = i * sl.vc;
    for (let j = 0; j < sl.vc; j++) gb[o + j] += x.tile[off + j];
  }
}

/**
 * Pass 1 over a shard: the statistics (max, Σe, target logit, gap sums with smoothing) of every
 * token's logits restricted to the shard's classes, merged into `st` (which starts empty).
 */
export function shardStats(s: Shard, st: SoftmaxStats): void {
  const x = new Scratch(s, Math.min(s.chunk, s.V));
  try {
    for (let n0 = 0; n0 < s.N; n0 += s.tokenChunk) {
      const tn = Math.min(s.tokenChunk, s.N - n0);
      for (let v0 = 0; v0 < s.V; v0 += s.chunk) {
        const vc = Math.min(s.chunk, s.V - v0);
        tileLogits(s, x, n0, tn, v0, vc);
        mergeTileStats(x.tile, tn, slice(s, v0, vc), n0, x.stats, st);
      }
    }
  } finally {
    x.release();
  }
}

/**
 * Pass 2 over a shard (vocabulary chunks outer, token blocks inner): recomputes each logits tile,
 * turns it into the gradient tile and multiplies it out: dH += G·W_chunk (dH: float64 N×D,
 * accumulated), gW[chunk] = Gᵀ·H summed over all tokens in float64 and stored once (gW: the
 * shard's V×D rows from element gwOff), gb[j] += Σ_n G[n][j] (shard-local, float64).
 */
export function shardGrads(s: Shard, co: RowCoefs, dH: Float64Array, gW: FloatArray, gwOff: number, gb: Float64Array | null): void {
  const x = new Scratch(s, Math.min(s.chunk, s.V));
  // the float64 gradWeight accumulator of a chunk (unless gW is float64 itself), a tile as well
  const acc = gW instanceof Float64Array ? null : kernels().statsTile(Math.min(s.chunk, s.V) * s.D);
  try {
    grads(s, x, co, dH, gW, gwOff, gb, acc);
  } finally {
    x.release();
    if (acc !== null) kernels().releaseStatsTile(acc);
  }
}

function grads(s: Shard, x: Scratch, co: RowCoefs, dH: Float64Array, gW: FloatArray, gwOff: number, gb: Float64Array | null, acc: Float64Array | null): void {
  const { N, D } = s;
  const direct = acc === null;
  for (let v0 = 0; v0 < s.V; v0 += s.chunk) {
    const vc = Math.min(s.chunk, s.V - v0);
    const sl = slice(s, v0, vc);
    const dw: FloatArray = direct ? gW : (acc as Float64Array);
    const dwOff = direct ? gwOff + v0 * D : 0;
    dw.fill(0, dwOff, dwOff + vc * D);
    for (let n0 = 0; n0 < N; n0 += s.tokenChunk) {
      const tn = Math.min(s.tokenChunk, N - n0);
      tileLogits(s, x, n0, tn, v0, vc);
      gradLogits(s, x, co, n0, tn, sl, gb, s.classOffset);
      // dH[n0 : n0+tn] += G · W[chunk]          (tn×vc · vc×D)
      gemm(tn, D, vc, { data: x.tile, offset: 0, rowStride: vc, colStride: 1 }, { data: s.weight, offset: s.wOff + v0 * D, rowStride: D, colStride: 1 }, dH, n0 * D, D, true);
      // dW[chunk] += Gᵀ · hidden[n0 : n0+tn]    (vc×tn · tn×D)
      gemm(vc, D, tn, { data: x.tile, offset: 0, rowStride: 1, colStride: vc }, { data: s.hidden, offset: n0 * D, rowStride: D, colStride: 1 }, dw, dwOff, D, true);
    }
    if (!direct) {
      const o = gwOff + v0 * D;
      for (let i = 0; i < vc * D; i++) gW[o + i] = dw[i];
    }
  }
}

/**
 * One pass with whole rows per tile (chunk ≥ V, a single shard): per token block the logits of
 * all classes, their statistics, the rows' losses, and the gradients: dH rows = G·W in one
 * float64 sum, gW += Gᵀ·H (rounded to gW's dtype once per token block), gb (float64).
 */
export function singlePass(
  s: Shard, st: SoftmaxStats, p: RowParams, co: RowCoefs | null, tot: RowTotals, lse: Float64Array,
  lossOut: FloatArray | null, zLossOut: FloatArray | null,
  gH: FloatArray | null, gW: FloatArray | null, gb: Float64Array | null,
): void {
  const { N, D, V } = s;
  const x = new Scratch(s, V);
  const sl = slice(s, 0, V);
  if (gW !== null) gW.fill(0);
  try {
    for (let n0 = 0; n0 < N; n0 += s.tokenChunk) {
      const tn = Math.min(s.tokenChunk, N - n0);
      tileLogits(s, x, n0, tn, 0, V);
      mergeTileStats(x.tile, tn, sl, n0, x.stats, st);
      lossRows(st, p, n0, n0 + tn, co, tot, lse, lossOut, zLossOut);
      if (co === null || gH === null || gW === null) continue;
      gradLogits(s, x, co, n0, tn, sl, gb, 0);
      gemm(tn, D, V, { data: x.tile, offset: 0, rowStride: V, colStride: 1 }, { data: s.weight, offset: 0, rowStride: D, colStride: 1 }, gH, n0 * D, D, false);
      gemm(V, D, tn, { data: x.tile, offset: 0, rowStride: 1, colStride: V }, { data: s.hidden, offset: n0 * D, rowStride: D, colStride: 1 }, gW, 0, D, true);
    }
  } finally {
    x.release();
  }
}
