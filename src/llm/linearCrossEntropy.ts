// Fused linear cross-entropy: the loss of softmax(hidden·weightᵀ + bias) against class indices
// and its gradients wrt hidden, weight and bias, without materialising the [N, V] logits. Logits
// are formed one tile [tokens × vocabulary chunk] at a time in float64; per row an online
// log-sum-exp (softmaxStats.ts's merge) gathers max and Σe; the gradient tile (p − y)·scale is
// recomputed per tile and multiplied straight into the gradients. Math: docs/math.md#large-vocabularies.

import { fail, show } from '../core/errors.js';
import { booleanOption, checkOptions, numberOption, type Reduction } from '../core/options.js';
import { type Arg, type FloatArray, type Input, type Out, type Output, type Tensor, makeResult, readArg, sizeOf, unifyDtype } from '../core/tensor.js';
import {
  type ReductionOptions,
  isProbabilityTarget,
  parseReduction,
  readClassWeight,
  readGradOutput,
  readIndexTarget,
  reduce,
} from '../core/losses.js';
import type { Target } from '../ops/crossEntropy.js';
import { R, ddAdd, ddDiv, ddMul, ddMulD, expDD, fastTwoSum, logDD, roundF32, twoSum } from '../reference/dd.js';
import { expNeg } from './expNeg.js';
import { gemm } from './matmul.js';
import { MERGED, type SoftmaxStats, emptySoftmaxStats, mergeParts } from './softmaxStats.js';

export interface LinearCrossEntropyOptions extends ReductionOptions {
  /** A bias per class, length V (added to the logits; −∞ masks a class). */
  bias?: Input;
  /** A weight per class, length V (PyTorch's `weight`). */
  weight?: Input;
  /** Targets equal to this are skipped: loss 0, no gradient, left out of the mean. Default −100. */
  ignoreIndex?: number;
  /** ε in [0, 1]: the target becomes (1 − ε)·onehot(t) + ε/V. Default 0. */
  labelSmoothing?: number;
  /** λ ≥ 0 of PaLM's z-loss λ·lse² per item (weighted by w_t like the item). Default 0. */
  zLoss?: number;
  /** c > 0: the logits become c·tanh(z/c) before the softmax (Gemma 2). Default off. */
  softcap?: number;
  /** Vocabulary entries per logits tile. ≥ V: one pass with whole rows; < V: two passes (online log-sum-exp, then the gradients). Default: chosen from a 32 MB tile. */
  chunkSize?: number;
  /** Tokens per logits tile. Default: as many as fill the tile. */
  tokenChunkSize?: number;
  /** Compute the gradients (default true); false runs the forward pass only. */
  grad?: boolean;
  /** The incoming gradient: a number for 'mean'/'sum' (default 1); for 'none' a number or one value per item. */
  gradOutput?: number | Input;
  /** Preallocated results. */
  lossOut?: Out;
  zLossOut?: Out;
  gradHiddenOut?: Out;
  gradWeightOut?: Out;
  gradBiasOut?: Out;
}

/** What linearCrossEntropy returns. L: number for 'mean'/'sum', per-item values for 'none'. */
export interface LinearCrossEntropyResult<L, G> {
  /** The loss, z-loss included. */
  loss: L;
  /** The z-loss part of `loss` (λ·w_t·lse² per item, reduced as the loss), 0 when zLoss is 0. */
  zLoss: L;
  /** ∂loss/∂hidden, hidden's shape and kind; null with `grad: false`. */
  gradHidden: G | null;
  /** ∂loss/∂weight, [V, D]; null with `grad: false`. */
  gradWeight: Tensor | null;
  /** ∂loss/∂bias, bias's kind; null without a bias or with `grad: false`. */
  gradBias: FloatArray | Tensor | null;
  /** The denominator of 'mean': Σ w_t over non-ignored items (see crossEntropyWithGrad). */
  weightSum: number;
  /** log Σ_c e^(z_c) per item (after softcap), float64. */
  lse: Float64Array;
}

/** Logits per whole-row tile (float64 elements): 32 MB. */
export const TILE_BUDGET = 1 << 22;
/** Logits per tile when the vocabulary is chunked (two passes): 8 MB, next to the accumulators. */
const CHUNKED_TILE_BUDGET = 1 << 20;
/** Fewest tokens a whole-row tile may hold before the vocabulary is chunked instead. */
const MIN_TOKENS = 16;
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

/** Per-row values of the gradient pass, from {@link finishRows}. */
export interface RowCoefs {
  /** 0: ignored (zero row), 1: active, 2: non-finite row (NaN gradient row). */
  readonly kind: Uint8Array;
  readonly max: Float64Array;
  /** p_j·Y'·scale = e^(z_j − max)·a. */
  readonly a: Float64Array;
  /** The smoothing term per class: b·w_j. */
  readonly b: Float64Array;
  /** The whole gradient at the target, cancellation-free, scaled. */
  readonly gt: Float64Array;
}

export function allocCoefs(N: number): RowCoefs {
  return {
    kind: new Uint8Array(N),
    max: new Float64Array(N),
    a: new Float64Array(N),
    b: new Float64Array(N),
    gt: new Float64Array(N),
  };
}

// Scratch, grown on demand: the logits/gradient tile and a float64 copy of the hidden block.
let TILE = new Float64Array(0);
let HBLK = new Float64Array(0);

function scratch(tile: number, hblk: number): void {
  if (TILE.length < tile) TILE = new Float64Array(tile);
  if (HBLK.length < hblk) HBLK = new Float64Array(hblk);
}

/** Lets the tile go after a call: it can be tens of MB, and holding it between calls buys little. */
export function releaseScratch(): void {
  TILE = new Float64Array(0);
  HBLK = new Float64Array(0);
}

/**
 * u = hidden[n0 : n0+tn] · weight[v0 : v0+vc]ᵀ + bias into TILE (tn × vc, float64). The hidden
 * block is copied to float64 first so that the micro-kernel reads one array type per operand.
 */
function tileLogits(s: Shard, n0: number, tn: number, v0: number, vc: number): void {
  const D = s.D;
  const h = s.hidden;
  for (let i = 0, k = n0 * D; i < tn * D; i++, k++) HBLK[i] = h[k];
  gemm(
    tn, vc, D,
    { data: HBLK, offset: 0, rowStride: D, colStride: 1 },
    { data: s.weight, offset: s.wOff + v0 * D, rowStride: 1, colStride: D },
    TILE, 0, vc, false,
  );
  const bias = s.bias;
  if (bias !== null) {
    const c0 = s.classOffset + v0;
    for (let i = 0; i < tn; i++) {
      const o = i * vc;
      for (let j = 0; j < vc; j++) TILE[o + j] += bias[c0 + j];
    }
  }
}

/** c·tanh(u/c): the soft cap (monotone, so the max of u gives the max of z). */
function capped(u: number, c: number): number {
  return c * Math.tanh(u / c);
}

/**
 * Statistics of one tile row (u at TILE[off : off+vc], classes c0…) merged into row r of `st`:
 * chunk max m_c, S_c = 1 + Σ_{j≠argmax} e^(z_j − m_c) (float64 exp within 0.52 ulp, Kahan
 * summation) and, with smoothing, G_c = Σ_j w_j (m_c − z_j); then the online merge.
 */
function chunkStatsRow(s: Shard, st: SoftmaxStats, r: number, off: number, vc: number, c0: number): void {
  const cap = s.softcap;
  const smooth = s.eps > 0;
  const w = s.classWeight;
  let um = -Infinity;
  let arg = -1;
  let nan = false;
  for (let j = 0; j < vc; j++) {
    const v = TILE[off + j];
    if (v > um) {
      um = v;
      arg = j;
    } else if (v !== v) nan = true;
  }
  const t = s.target[r] - c0;
  if (st.targetLogit !== undefined && s.target[r] !== s.ignoreIndex && t >= 0 && t < vc) {
    st.targetLogit[r] = cap > 0 ? capped(TILE[off + t], cap) : TILE[off + t];
  }
  let gw = 0;
  if (smooth) {
    if (w === null) gw = vc;
    else for (let j = 0; j < vc; j++) gw += w[c0 + j];
  }
  let cm: number;
  let sh = 0;
  let sl = 0;
  let gh = 0;
  let gl = 0;
  if (nan) {
    cm = NaN;
  } else {
    cm = cap > 0 ? capped(um, cap) : um;
    if (cm === Infinity) {
      // e^(∞ − ∞) counts as 1 per +∞ entry (softmaxStats' convention); the row's loss is NaN.
      for (let j = 0; j < vc; j++) if (TILE[off + j] === Infinity) sh++;
    } else if (cm === -Infinity) {
      cm = -Infinity;
    } else {
      let sum = 0;
      let comp = 0;
      let gs = 0;
      let gc = 0;
      if (cap === 0 && !smooth) {
        for (let j = 0; j < arg; j++) {
          const y = expNeg(TILE[off + j] - cm) - comp;
          const tt = sum + y;
          comp = tt - sum - y;
          sum = tt;
        }
        for (let j = arg + 1; j < vc; j++) {
          const y = expNeg(TILE[off + j] - cm) - comp;
          const tt = sum + y;
          comp = tt - sum - y;
          sum = tt;
        }
      } else {
        for (let j = 0; j < vc; j++) {
          const z = cap > 0 ? capped(TILE[off + j], cap) : TILE[off + j];
          if (smooth) {
            const wj = w === null ? 1 : w[c0 + j];
            if (wj !== 0) {
              const y = wj * (cm - z) - gc;
              const tt = gs + y;
              gc = tt - gs - y;
              gs = tt;
            }
          }
          if (j === arg) continue;
          const y = expNeg(z - cm) - comp;
          const tt = sum + y;
          comp = tt - sum - y;
          sum = tt;
        }
      }
      twoSum(1, sum);
      fastTwoSum(R.hi, R.lo - comp);
      sh = R.hi;
      sl = R.lo;
      if (gs === Infinity || gs !== gs) {
        gh = gs;
      } else {
        fastTwoSum(gs, -gc);
        gh = R.hi;
        gl = R.lo;
      }
    }
  }
  const gap = st.gap !== undefined;
  const gwr = gap ? st.gapWeight![r] : 0;
  mergeParts(
    st.max[r], st.sumExp[r], st.sumExpLo[r], gap ? st.gap![r] : 0, gap ? st.gapLo![r] : 0, gwr,
    cm, sh, sl, gh, gl, gw,
  );
  st.max[r] = MERGED.max;
  st.sumExp[r] = MERGED.sh;
  st.sumExpLo[r] = MERGED.sl;
  if (gap) {
    st.gap![r] = MERGED.gh;
    st.gapLo![r] = MERGED.gl;
    st.gapWeight![r] = gwr + gw;
  }
}

/** Token rows [n0, n0 + tn) × vocabulary chunk [v0, v0 + vc) of a shard, statistics merged into st. */
function statsTile(s: Shard, st: SoftmaxStats, n0: number, tn: number, v0: number, vc: number): void {
  tileLogits(s, n0, tn, v0, vc);
  const c0 = s.classOffset + v0;
  for (let i = 0; i < tn; i++) chunkStatsRow(s, st, n0 + i, i * vc, vc, c0);
}

/**
 * Pass 1 over a shard: the statistics (max, Σe, target logit, gap sums with smoothing) of every
 * token's logits restricted to the shard's classes, merged into `st` (which starts empty).
 */
export function shardStats(s: Shard, st: SoftmaxStats): void {
  scratch(s.tokenChunk * s.chunk, s.tokenChunk * s.D);
  for (let n0 = 0; n0 < s.N; n0 += s.tokenChunk) {
    const tn = Math.min(s.tokenChunk, s.N - n0);
    for (let v0 = 0; v0 < s.V; v0 += s.chunk) statsTile(s, st, n0, tn, v0, Math.min(s.chunk, s.V - v0));
  }
}

/** What finishRows needs besides the statistics. */
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

/** Sums over rows, and the rows' log-sum-exp. */
export interface RowTotals {
  lossH: number;
  lossL: number;
  zH: number;
  zL: number;
}

/**
 * Rows [r0, r1) from their final statistics: the loss of each row (double-double), added to
 * `tot`, written to lossOut/zLossOut when given, lse to `lse`, and the gradient coefficients
 * to `co`. Row r: S = sumExp, L = log S, lse = max + L,
 * loss = (1 − ε)·w_t·((max − z_t) + L) + (ε/C)·(gap + W·L) + λ·w_t·lse²,
 * gradient at class j: (p_j·Y' − w_j y'_j)·scale with Y' = (1 − ε)w_t + (ε/C)·W + 2λ·w_t·lse.
 */
export function finishRows(
  st: SoftmaxStats, p: RowParams, r0: number, r1: number,
  co: RowCoefs | null, tot: RowTotals, lse: Float64Array,
  lossOut: FloatArray | null, zLossOut: FloatArray | null,
): void {
  const { eps, zLoss: lam, classWeight: w, C } = p;
  const smooth = eps > 0;
  // 1 − ε and ε/C as double-doubles.
  twoSum(1, -eps);
  const omeH = R.hi;
  const omeL = R.lo;
  ddDiv(eps, 0, C, 0);
  const ecH = R.hi;
  const ecL = R.lo;
  for (let r = r0; r < r1; r++) {
    const t = p.target[r];
    const m = st.max[r];
    const Sh = st.sumExp[r];
    const Sl = st.sumExpLo[r];
    // L = log S, through log1p when S is near 1.
    let Lh: number;
    let Ll: number;
    if (m - m === 0) {
      logDD(Sh, Sl);
      Lh = R.hi;
      Ll = R.lo;
      ddAdd(m, 0, Lh, Ll);
      lse[r] = R.hi;
    } else {
      Lh = NaN;
      Ll = 0;
      lse[r] = m === m && Sh === Sh ? m : NaN;
    }
    if (t === p.ignoreIndex) {
      if (lossOut !== null) lossOut[r] = 0;
      if (zLossOut !== null) zLossOut[r] = 0;
      if (co !== null) co.kind[r] = 0;
      continue;
    }
    if (!(m - m === 0)) {
      // NaN or +∞ among the logits, or all of them −∞: NaN loss and gradient row (as crossEntropy).
      if (lossOut !== null) lossOut[r] = NaN;
      if (zLossOut !== null) zLossOut[r] = NaN;
      tot.lossH = NaN;
      tot.zH = NaN;
      if (co !== null) co.kind[r] = 2;
      continue;
    }
    const wt = w !== null ? w[t] : 1;
    const zt = st.targetLogit![r];
    // −log p_t = (max − z_t) + L: two non-negative terms.
    twoSum(m, -zt);
    ddAdd(R.hi, R.lo, Lh, Ll);
    const nllH = R.hi;
    const nllL = R.hi - R.hi === 0 ? R.lo : 0;
    let lh: number;
    let ll: number;
    if (!smooth) {
      ddMulD(nllH, nllL, wt);
      lh = R.hi;
      ll = R.lo;
    } else {
      // (1 − ε) w_t nll + (ε/C)(gap + W·L)
      ddMulD(omeH, omeL, wt);
      ddMul(R.hi, R.lo, nllH, nllL);
      const ah = R.hi;
      const al = R.lo;
      const W = st.gapWeight![r];
      ddMulD(Lh, Ll, W);
      ddAdd(st.gap![r], st.gapLo![r], R.hi, R.lo);
      ddMul(R.hi, R.lo, ecH, ecL);
      ddAdd(ah, al, R.hi, R.hi - R.hi === 0 ? R.lo : 0);
      lh = R.hi;
      ll = R.lo;
    }
    let zh = 0;
    let zl = 0;
    const lseH = lse[r];
    if (lam !== 0) {
      ddAdd(m, 0, Lh, Ll);
      const sh = R.hi;
      const sl = R.lo;
      ddMul(sh, sl, sh, sl);
      ddMulD(R.hi, R.lo, lam * wt);
      zh = R.hi;
      zl = R.lo;
      ddAdd(lh, ll, zh, zl);
      lh = R.hi;
      ll = R.lo;
    }
    if (!(lh - lh === 0)) ll = 0;
    if (lossOut !== null) lossOut[r] = p.f32 ? roundF32(lh, ll) : lh;
    if (zLossOut !== null) zLossOut[r] = p.f32 ? roundF32(zh, zl) : zh;
    ddAdd(tot.lossH, tot.lossL, lh, ll);
    tot.lossH = R.hi;
    tot.lossL = R.lo;
    ddAdd(tot.zH, tot.zL, zh, zl);
    tot.zH = R.hi;
    tot.zL = R.lo;
    if (co === null) continue;
    const scale = (p.gradScale * (p.gradScales !== null ? p.gradScales[r] : 1)) / p.gradDivisor;
    // Y' = (1 − ε) w_t + (ε/C) W + 2λ w_t lse
    let yh: number;
    let yl: number;
    if (smooth) {
      ddMulD(omeH, omeL, wt);
      const ah = R.hi;
      const al = R.lo;
      ddMulD(ecH, ecL, st.gapWeight![r]);
      ddAdd(ah, al, R.hi, R.lo);
      yh = R.hi;
      yl = R.lo;
    } else {
      yh = wt;
      yl = 0;
    }
    if (lam !== 0) {
      ddAdd(yh, yl, 2 * lam * wt * lseH, 0);
      yh = R.hi;
      yl = R.lo;
    }
    // wy_t = (1 − ε) w_t + (ε/C) w_t: the target's own share of Y'.
    let wyH = wt;
    let wyL = 0;
    if (smooth) {
      ddAdd(omeH, omeL, ecH, ecL);
      ddMulD(R.hi, R.lo, wt);
      wyH = R.hi;
      wyL = R.lo;
    }
    // At the target: p_t (Y' − wy_t) − wy_t (1 − p_t), with 1 − p_t = (S − e_t)/S exact where
    // p_t rounds to 1 (e_t = 1 exactly when z_t is the max, and S − 1 is S' exactly).
    twoSum(zt, -m);
    expDD(R.hi, R.lo);
    const eh = R.hi;
    const el = R.lo;
    ddDiv(eh, el, Sh, Sl);
    const pth = R.hi;
    const ptl = R.lo;
    ddAdd(Sh, Sl, -eh, -el);
    ddDiv(R.hi, R.lo, Sh, Sl);
    const qh = R.hi;
    const ql = R.lo;
    ddAdd(yh, yl, -wyH, -wyL);
    ddMul(R.hi, R.lo, pth, ptl);
    const uh = R.hi;
    const ul = R.lo;
    ddMul(qh, ql, wyH, wyL);
    ddAdd(uh, ul, -R.hi, -R.lo);
    ddMulD(R.hi, R.lo, scale);
    co.kind[r] = 1;
    co.max[r] = m;
    co.gt[r] = R.hi;
    co.a[r] = ((yh + yl) / (Sh + Sl)) * scale;
    co.b[r] = smooth ? (ecH + ecL) * scale : 0;
  }
}

/** sech²(x) = 1 − tanh²(x) = 4e/(1 + e)² with e = e^(−2|x|): no cancellation where tanh is near ±1. */
function sech2(x: number): number {
  const e = expNeg(-2 * Math.abs(x));
  const d = 1 + e;
  return (4 * e) / (d * d);
}

/**
 * Overwrites the tile row (u at TILE[off : off+vc], classes c0…) with the gradient wrt u:
 * g_j = (e^(z_j − max)·a − b·w_j)·sech²(u_j/c) (the last factor with softcap), the target's entry
 * replaced by its cancellation-free value; ignored rows give 0 and non-finite rows NaN.
 * Adds each entry to gb[c0 − gbOff + j] when gb is given.
 */
function gradRow(s: Shard, co: RowCoefs, r: number, off: number, vc: number, c0: number, gb: Float64Array | null, gbOff: number): void {
  const kind = co.kind[r];
  if (kind !== 1) {
    const v = kind === 0 ? 0 : NaN;
    for (let j = 0; j < vc; j++) TILE[off + j] = v;
    if (kind === 2 && gb !== null) for (let j = 0; j < vc; j++) gb[c0 - gbOff + j] = NaN;
    return;
  }
  const m = co.max[r];
  const a = co.a[r];
  const b = co.b[r];
  const cap = s.softcap;
  const w = s.classWeight;
  const t = s.target[r] - c0;
  const hasT = t >= 0 && t < vc;
  const capT = hasT && cap > 0 ? sech2(TILE[off + t] / cap) : 1;
  if (cap === 0 && b === 0) {
    for (let j = 0; j < vc; j++) TILE[off + j] = expNeg(TILE[off + j] - m) * a;
  } else if (cap === 0) {
    for (let j = 0; j < vc; j++) TILE[off + j] = expNeg(TILE[off + j] - m) * a - b * (w === null ? 1 : w[c0 + j]);
  } else {
    for (let j = 0; j < vc; j++) {
      const x = TILE[off + j] / cap;
      let g = expNeg(cap * Math.tanh(x) - m) * a;
      if (b !== 0) g -= b * (w === null ? 1 : w[c0 + j]);
      TILE[off + j] = g * sech2(x);
    }
  }
  if (hasT) TILE[off + t] = co.gt[r] * capT;
  if (gb !== null) {
    const o = c0 - gbOff;
    for (let j = 0; j < vc; j++) gb[o + j] += TILE[off + j];
  }
}

/**
 * Pass 2 over a shard (vocabulary chunks outer, token blocks inner): recomputes each logits tile,
 * turns it into the gradient tile and multiplies it out: dH += G·W_chunk (dH: float64 N×D,
 * accumulated), gW[chunk] = Gᵀ·H summed over all tokens in float64 and stored once (gW: the
 * shard's V×D rows from element gwOff), gb[j] += Σ_n G[n][j] (shard-local, float64).
 */
export function shardGrads(s: Shard, co: RowCoefs, dH: Float64Array, gW: FloatArray, gwOff: number, gb: Float64Array | null): void {
  const { N, D } = s;
  scratch(s.tokenChunk * s.chunk, s.tokenChunk * D);
  const direct = gW instanceof Float64Array;
  const acc = direct ? null : new Float64Array(Math.min(s.chunk, s.V) * D);
  for (let v0 = 0; v0 < s.V; v0 += s.chunk) {
    const vc = Math.min(s.chunk, s.V - v0);
    const c0 = s.classOffset + v0;
    const dw: FloatArray = direct ? gW : (acc as Float64Array);
    const dwOff = direct ? gwOff + v0 * D : 0;
    dw.fill(0, dwOff, dwOff + vc * D);
    for (let n0 = 0; n0 < N; n0 += s.tokenChunk) {
      const tn = Math.min(s.tokenChunk, N - n0);
      tileLogits(s, n0, tn, v0, vc);
      for (let i = 0; i < tn; i++) gradRow(s, co, n0 + i, i * vc, vc, c0, gb, s.classOffset);
      // dH[n0 : n0+tn] += G · W[chunk]          (tn×vc · vc×D)
      gemm(tn, D, vc, { data: TILE, offset: 0, rowStride: vc, colStride: 1 }, { data: s.weight, offset: s.wOff + v0 * D, rowStride: D, colStride: 1 }, dH, n0 * D, D, true);
      // dW[chunk] += Gᵀ · hidden[n0 : n0+tn]    (vc×tn · tn×D)
      gemm(vc, D, tn, { data: TILE, offset: 0, rowStride: 1, colStride: vc }, { data: s.hidden, offset: n0 * D, rowStride: D, colStride: 1 }, dw, dwOff, D, true);
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
function singlePass(
  s: Shard, st: SoftmaxStats, p: RowParams, co: RowCoefs | null, tot: RowTotals, lse: Float64Array,
  lossOut: FloatArray | null, zLossOut: FloatArray | null,
  gH: FloatArray | null, gW: FloatArray | null, gb: Float64Array | null,
): void {
  const { N, D, V } = s;
  scratch(s.tokenChunk * V, s.tokenChunk * D);
  if (gW !== null) gW.fill(0);
  for (let n0 = 0; n0 < N; n0 += s.tokenChunk) {
    const tn = Math.min(s.tokenChunk, N - n0);
    statsTile(s, st, n0, tn, 0, V);
    finishRows(st, p, n0, n0 + tn, co, tot, lse, lossOut, zLossOut);
    if (co === null || gH === null || gW === null) continue;
    for (let i = 0; i < tn; i++) gradRow(s, co, n0 + i, i * V, V, 0, gb, 0);
    gemm(tn, D, V, { data: TILE, offset: 0, rowStride: V, colStride: 1 }, { data: s.weight, offset: 0, rowStride: D, colStride: 1 }, gH, n0 * D, D, false);
    gemm(V, D, tn, { data: TILE, offset: 0, rowStride: 1, colStride: V }, { data: s.hidden, offset: n0 * D, rowStride: D, colStride: 1 }, gW, 0, D, true);
  }
}

/** Tile sizes: explicit options, else whole rows when at least MIN_TOKENS of them fit the tile. */
export function chooseChunks(N: number, D: number, V: number, chunk: number | undefined, tokenChunk: number | undefined): { chunk: number; tokenChunk: number } {
  let vc: number;
  if (chunk !== undefined) vc = Math.min(chunk, Math.max(V, 1));
  else if (TILE_BUDGET / Math.max(V, 1) >= MIN_TOKENS) vc = Math.max(V, 1);
  else vc = Math.max(256, Math.min(8192, Math.floor(DW_BUDGET / Math.max(D, 1))));
  let tn: number;
  if (tokenChunk !== undefined) tn = tokenChunk;
  else {
    tn = Math.max(1, Math.floor((vc >= V ? TILE_BUDGET : CHUNKED_TILE_BUDGET) / vc));
    if (tn >= 12) tn -= tn % 12;
  }
  return { chunk: vc, tokenChunk: Math.max(1, Math.min(tn, Math.max(N, 1))) };
}

const KEYS = [
  'bias', 'weight', 'ignoreIndex', 'labelSmoothing', 'zLoss', 'softcap', 'chunkSize', 'tokenChunkSize', 'grad',
  'gradOutput', 'reduction', 'emptyMean', 'lossOut', 'zLossOut', 'gradHiddenOut', 'gradWeightOut', 'gradBiasOut',
];

const isPositiveInteger = (v: number) => Number.isInteger(v) && v > 0;

/** Everything linearCrossEntropy and the vocabulary-parallel pool read from their arguments. */
export interface Prepared {
  fn: string;
  hidden: Arg;
  weight: Arg;
  bias: Arg | null;
  dtype: 'float32' | 'float64';
  N: number;
  D: number;
  V: number;
  rowsShape: readonly number[];
  reduction: Reduction;
  emptyZero: boolean;
  index: ArrayLike<number>;
  weightSum: number;
  count: number;
  params: RowParams;
  softcap: number;
  chunk: number;
  tokenChunk: number;
  wantGrad: boolean;
}

/** Validates the arguments of linearCrossEntropy (and of the pool's run), throwing before any work. */
export function prepare(fn: string, hidden: unknown, weight: unknown, target: unknown, opts: LinearCrossEntropyOptions | undefined, keys: readonly string[] = KEYS): Prepared {
  checkOptions(fn, opts, keys);
  const { reduction, emptyZero } = parseReduction(fn, opts);
  const ignoreIndex = numberOption(fn, 'ignoreIndex', opts?.ignoreIndex, -100, Number.isInteger, 'an integer');
  const eps = numberOption(fn, 'labelSmoothing', opts?.labelSmoothing, 0, (e) => e >= 0 && e <= 1, 'a number in [0, 1]');
  const zLoss = numberOption(fn, 'zLoss', opts?.zLoss, 0, (v) => v >= 0 && v < Infinity, 'a finite number ≥ 0');
  const softcap = opts?.softcap === undefined ? 0 : numberOption(fn, 'softcap', opts.softcap, 0, (v) => v > 0 && v < Infinity, 'a finite number > 0');
  const chunkOpt = opts?.chunkSize === undefined ? undefined : numberOption(fn, 'chunkSize', opts.chunkSize, 0, isPositiveInteger, 'a positive integer');
  const tokenOpt = opts?.tokenChunkSize === undefined ? undefined : numberOption(fn, 'tokenChunkSize', opts.tokenChunkSize, 0, isPositiveInteger, 'a positive integer');
  const wantGrad = booleanOption(fn, 'grad', opts?.grad, true);
  const h = readArg(fn, 'hidden', hidden);
  if (h.shape.length === 0) fail(fn, 'SHAPE_MISMATCH', 'hidden must have a feature axis (rank ≥ 1), got a 0-d tensor');
  const w = readArg(fn, 'weight', weight);
  const D = h.shape[h.shape.length - 1];
  if (w.shape.length !== 2) fail(fn, 'SHAPE_MISMATCH', `weight must be a 2-D tensor [V, D], got shape ${show(w.shape)}`);
  if (w.shape[1] !== D) fail(fn, 'SHAPE_MISMATCH', `weight has shape ${show(w.shape)} but hidden has D = ${D} features (last axis of ${show(h.shape)}); expected [V, ${D}]`);
  const V = w.shape[0];
  const b = opts?.bias === undefined || opts.bias === null ? null : readArg(fn, 'bias', opts.bias);
  if (b !== null && (b.shape.length !== 1 || b.data.length !== V)) fail(fn, 'SHAPE_MISMATCH', `bias has shape ${show(b.shape)}, expected [${V}] (one per class)`);
  const dtype = unifyDtype(fn, b !== null ? ['hidden', 'weight', 'bias'] : ['hidden', 'weight'], b !== null ? [h, w, b] : [h, w]);
  if (isProbabilityTarget(target)) {
    fail(fn, 'INVALID_TARGET', 'target must hold class indices (an integer array or number[]); probability targets would be as large as the logits this op avoids');
  }
  const rowsShape = h.shape.slice(0, -1);
  const N = sizeOf(rowsShape);
  const classWeight = readClassWeight(fn, opts?.weight, V);
  const r = readIndexTarget(fn, target, rowsShape, V, ignoreIndex, classWeight);
  const scaling = readGradOutput(fn, reduction, opts?.gradOutput, rowsShape, r.weightSum);
  const { chunk, tokenChunk } = chooseChunks(N, D, V, chunkOpt, tokenOpt);
  return {
    fn, hidden: h, weight: w, bias: b, dtype, N, D, V, rowsShape, reduction, emptyZero,
    index: r.index, weightSum: r.weightSum, count: r.count,
    params: {
      C: V, target: r.index, ignoreIndex, classWeight, eps, zLoss,
      gradScale: scaling.gradScale, gradScales: scaling.gradScales, gradDivisor: scaling.gradDivisor,
      f32: dtype === 'float32',
    },
    softcap, chunk, tokenChunk, wantGrad,
  };
}

export function biasF64(b: Arg | null): Float64Array | null {
  if (b === null) return null;
  return b.data instanceof Float64Array ? b.data : Float64Array.from(b.data);
}

/**
 * Cross-entropy of the logits z = hidden·weightᵀ + bias against class indices, and its gradients
 * wrt hidden, weight and bias, without materialising the [N, V] logits: hidden [..., D] (N items),
 * weight [V, D], bias [V], target of hidden's shape without the last axis (or a number for
 * 1-D hidden). PyTorch's `cross_entropy` semantics option for option (see crossEntropy):
 * - loss_n = (1 − ε)·w_t·(−log p_t) + (ε/V)·Σ_c w_c·(−log p_c) + λ·w_t·lse_n², with p =
 *   softmax(z), lse_n = log Σ_c e^(z_c), ε = labelSmoothing, λ = zLoss (PaLM's z-loss; `zLoss`
 *   in the result is that term alone, weighted and reduced like the loss). 'mean' divides by
 *   weightSum = Σ w_t over non-ignored items; ignored items give 0 and no gradient.
 * - softcap c: z is replaced by c·tanh(z/c) (before the softmax, the z-loss and label
 *   smoothing), and the gradient picks up the factor sech²(z/c).
 * - Gradients: G = ∂loss/∂z = (p·Y' − w⊙y')·scale per item, Y' = (1 − ε)w_t + (ε/V)Σw + 2λw_t·lse;
 *   gradHidden = G·weight, gradWeight = Gᵀ·hidden, gradBias = Σ_n G.
 * Evaluation: logits tiles [tokenChunkSize × chunkSize] are computed in float64 (float32
 * products are exact; the sum over D rounds in float64, so a logit is within about D·2^−53·
 * Σ_d |h_d w_d| of exact). Per item the online log-sum-exp keeps max and Σ e^(z − max) as a
 * double-double (each term a float64 exp within 0.52 ulp, Kahan-summed per chunk), and the loss
 * is formed from it in double-double as crossEntropy does, so −log p_t at a confident target keeps
 * its digits; the gradient at the target uses 1 − p_t = (S − e_t)/S. Each gradient element is a
 * float64 sum rounded once to the output dtype, except gradWeight in one-pass mode, which is
 * rounded once per token block. Results agree with the unfused composition (logits, then
 * crossEntropyWithGrad, then two products) to float32 rounding of the logits.
 * Memory: one tile of float64 logits (by default ≤ 32 MB of whole rows, or 8 MB when the
 * vocabulary is chunked) plus, when chunkSize < V, float64 accumulators of N×D (gradHidden) and
 * chunkSize×D (gradWeight) unless those outputs are float64 — never the N×V logits. chunkSize ≥ V
 * (the default whenever 16 rows of the vocabulary fit 32 MB) takes one pass over the vocabulary;
 * chunkSize < V takes two (statistics, then gradients), computing every logit twice. The default
 * chunk of the two-pass mode keeps its gradWeight accumulator ≤ 16 MB (2048 rows at D = 1024).
 * Edge cases as crossEntropy: a NaN or +∞ logit (or all −∞) gives a NaN loss and NaN gradients
 * from that item; a −∞ bias masks a class (a softcap maps it to −c); a mean over no items is NaN
 * (0 with emptyMean: 'zero'). Probability targets are refused (INVALID_TARGET): they would be as
 * large as the logits. Inputs are never written.
 */
export function linearCrossEntropy<X extends Input>(hidden: X, weight: Input, target: Target, opts: LinearCrossEntropyOptions & { reduction: 'none' }): LinearCrossEntropyResult<Output<X>, Output<X>>;
export function linearCrossEntropy<X extends Input>(hidden: X, weight: Input, target: Target, opts?: LinearCrossEntropyOptions & { reduction?: 'mean' | 'sum' }): LinearCrossEntropyResult<number, Output<X>>;
export function linearCrossEntropy<X extends Input>(hidden: X, weight: Input, target: Target, opts?: LinearCrossEntropyOptions): LinearCrossEntropyResult<number | Output<X>, Output<X>>;
export function linearCrossEntropy<X extends Input>(hidden: X, weight: Input, target: Target, opts?: LinearCrossEntropyOptions): LinearCrossEntropyResult<number | Output<X>, Output<X>> {
  const P = prepare('linearCrossEntropy', hidden, weight, target, opts);
  const { fn, N, D, V, dtype, reduction } = P;
  const none = reduction === 'none';
  const lossRes = none ? makeResult(fn, P.hidden, dtype, P.rowsShape, opts?.lossOut) : null;
  const zRes = none ? makeResult(fn, P.hidden, dtype, P.rowsShape, opts?.zLossOut) : null;
  const gH = P.wantGrad ? makeResult(fn, P.hidden, dtype, P.hidden.shape, opts?.gradHiddenOut) : null;
  const gW = P.wantGrad ? makeResult(fn, { ...P.weight, kind: 'tensor' }, dtype, [V, D], opts?.gradWeightOut) : null;
  const gB = P.wantGrad && P.bias !== null ? makeResult(fn, P.bias, dtype, [V], opts?.gradBiasOut) : null;
  const outs = [lossRes, zRes, gH, gW, gB].filter((x) => x !== null).map((x) => x!.data);
  if (new Set(outs).size !== outs.length) fail(fn, 'INVALID_OPTION', 'the output arrays (lossOut, zLossOut, gradHiddenOut, gradWeightOut, gradBiasOut) must be different arrays');
  for (const o of outs) if (o === P.hidden.data || o === P.weight.data || o === P.bias?.data) fail(fn, 'INVALID_OPTION', 'an output array must not be one of the inputs');
  const s: Shard = {
    N, D, hidden: P.hidden.data, weight: P.weight.data, wOff: 0, V, classOffset: 0, C: V,
    bias: biasF64(P.bias), classWeight: P.params.classWeight, target: P.index, ignoreIndex: P.params.ignoreIndex,
    eps: P.params.eps, softcap: P.softcap, chunk: P.chunk, tokenChunk: P.tokenChunk,
  };
  const st = emptySoftmaxStats([N], { target: true, gap: P.params.eps > 0 });
  const co = P.wantGrad ? allocCoefs(N) : null;
  const tot: RowTotals = { lossH: 0, lossL: 0, zH: 0, zL: 0 };
  const lse = new Float64Array(N);
  const gb = gB !== null ? new Float64Array(V) : null;
  if (N > 0 && V > 0 && P.chunk >= V) {
    singlePass(s, st, P.params, co, tot, lse, lossRes?.data ?? null, zRes?.data ?? null, gH?.data ?? null, gW?.data ?? null, gb);
  } else {
    if (N > 0 && V > 0) shardStats(s, st);
    finishRows(st, P.params, 0, N, co, tot, lse, lossRes?.data ?? null, zRes?.data ?? null);
    if (co !== null && gH !== null && gW !== null) {
      const dH = gH.data instanceof Float64Array ? gH.data.fill(0) : new Float64Array(N * D);
      if (V > 0 && N > 0) shardGrads(s, co, dH, gW.data, 0, gb);
      else gW.data.fill(0);
      if (dH !== gH.data) for (let i = 0; i < N * D; i++) gH.data[i] = dH[i];
    }
  }
  releaseScratch();
  if (gB !== null && gb !== null) for (let j = 0; j < V; j++) gB.data[j] = gb[j];
  if (P.wantGrad && (N === 0 || V === 0)) {
    gH?.data.fill(0);
    gW?.data.fill(0);
  }
  return {
    loss: none ? lossRes!.wrap() : reduce(reduction, P.emptyZero, { hi: tot.lossH, lo: tot.lossL }, P.weightSum, P.count),
    zLoss: none ? zRes!.wrap() : reduce(reduction, P.emptyZero, { hi: tot.zH, lo: tot.zL }, P.weightSum, P.count),
    gradHidden: (gH?.wrap() ?? null) as Output<X> | null,
    gradWeight: (gW?.wrap() ?? null) as Tensor | null,
    gradBias: (gB?.wrap() ?? null) as FloatArray | Tensor | null,
    weightSum: P.weightSum,
    lse,
  } as LinearCrossEntropyResult<number | Output<X>, Output<X>>;
}
