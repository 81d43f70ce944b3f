// Fused linear cross-entropy, its API: options, argument checks (shared with the vocabulary-
// parallel pool), outputs and reductions. The work is the shard engine's (shardEngine.ts: tiles
// of float64 logits, online log-sum-exp) and the row math's (rowMath.ts, through the backend's
// kernels). Math: docs/math.md#large-vocabularies.

import { fail, show } from '../core/errors.js';
import { overlaps } from '../core/alias.js';
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
import { emptySoftmaxStats } from './softmaxStats.js';
import { type RowParams, type RowTotals, allocCoefs, lossRows } from './rowMath.js';
import { type Shard, chooseChunks, shardGrads, shardStats, singlePass } from './shardEngine.js';

export { TILE_BUDGET, chooseChunks } from './shardEngine.js';

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
 * (the default whenever 64 rows of the vocabulary, or all N, fit 32 MB) takes one pass over the vocabulary;
 * chunkSize < V takes two (statistics, then gradients), computing every logit twice. The default
 * chunk of the two-pass mode keeps its gradWeight accumulator ≤ 16 MB (2048 rows at D = 1024).
 * On the 'wasm' backend the tile and that accumulator live in the kernels' memory (statsTile), so
 * the products and the row passes (wasm kernels giving the reference's bits) use them in place;
 * that memory keeps its size after the call, for the next one.
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
  checkOutputs(fn, P, [lossRes, zRes, gH, gW, gB]);
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
    lossRows(st, P.params, 0, N, co, tot, lse, lossRes?.data ?? null, zRes?.data ?? null);
    if (co !== null && gH !== null && gW !== null) {
      const dH = gH.data instanceof Float64Array ? gH.data.fill(0) : new Float64Array(N * D);
      if (V > 0 && N > 0) shardGrads(s, co, dH, gW.data, 0, gb);
      else gW.data.fill(0);
      if (dH !== gH.data) for (let i = 0; i < N * D; i++) gH.data[i] = dH[i];
    }
  }
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

/**
 * Refuses outputs that share memory with each other or with an input: they are written while the
 * inputs are still read, tile by tile (the fused op and the vocabulary-parallel pool alike).
 */
export function checkOutputs(fn: string, P: { hidden: { data: unknown }; weight: { data: unknown }; bias: { data: unknown } | null; index: unknown }, results: readonly ({ data: unknown } | null)[]): void {
  const outs = results.filter((x) => x !== null).map((x) => x!.data);
  if (outs.some((o, i) => outs.some((q, j) => j > i && overlaps(o, q)))) {
    fail(fn, 'INVALID_OPTION', 'the output arrays (lossOut, zLossOut, gradHiddenOut, gradWeightOut, gradBiasOut) must not share memory');
  }
  const ins = [P.hidden.data, P.weight.data, P.bias?.data, P.index];
  if (outs.some((o) => ins.some((i) => overlaps(o, i)))) fail(fn, 'INVALID_OPTION', 'an output array must not share memory with an input (hidden, weight, bias or target)');
}
