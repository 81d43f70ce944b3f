// crossEntropy and nllLoss with PyTorch's options (class axis, class weights, ignoreIndex,
// label smoothing, probability targets, reductions), each with …Backward and the fused
// …WithGrad. Validation here; arithmetic in the backend (reference: src/reference/crossEntropy.ts).
// Math: docs/math.md#cross-entropy.

import { fail } from '../core/errors.js';
import { numberOption } from '../core/options.js';
import { type Input, type NestedArray, type Out, type Output, matchShape, readArg, sizeOf, unifyDtype } from '../core/tensor.js';
import { layoutOf, normalizeAxis, reducedShape } from '../core/shape.js';
import { kernels } from '../backend/index.js';
import {
  type BackwardOptions,
  type LossOutOptions,
  type LossWithGrad,
  type ReductionOptions,
  type WithGradOptions,
  checkOptions,
  copyNested,
  isProbabilityTarget,
  parseReduction,
  prepareOutputs,
  readClassWeight,
  readGradOutput,
  readIndexTarget,
  reduce,
} from '../core/losses.js';
import { overlaps } from '../core/alias.js';

/**
 * A target: class indices (a number for 1-D logits, a number[] of integers — nested to any depth —,
 * an integer typed array, a BigInt64Array/BigUint64Array, `{ data: IntArray, shape }`, an
 * onnxruntime/transformers.js 'int64' or 'int32' tensor, an int32 tfjs tensor) of the input's shape
 * without the class axis, or class probabilities (any float Input) of the input's shape.
 * As in PyTorch the element type decides: float data is probabilities, integer data indices. A
 * number[] follows torch.tensor's inference: probabilities when it has the logits' size and some
 * value is not an integer, class indices otherwise (so one-hot rows given as a number[] must be a
 * Float32Array or Float64Array instead).
 */
export type Target =
  | number
  | NestedArray
  | ArrayLike<number>
  | BigInt64Array
  | BigUint64Array
  | { readonly data: ArrayLike<number> | BigInt64Array | BigUint64Array; readonly shape: readonly number[] }
  | Input;

export interface NllLossOptions extends ReductionOptions {
  /** The class axis; −1 (default) for [batch, …, C], 1 for PyTorch's (N, C, d1, …). */
  axis?: number;
  /** A weight per class (length C). */
  weight?: Input;
  /** Targets equal to this are skipped: loss 0, gradient 0, and left out of the mean. Default −100. */
  ignoreIndex?: number;
}

export interface CrossEntropyOptions extends NllLossOptions {
  /** ε in [0, 1]: the target becomes (1 − ε)·y + ε/C (PyTorch's label smoothing). Default 0. */
  labelSmoothing?: number;
}

/** A loss result: a number for 'mean'/'sum', per-item losses for 'none'. */
export type LossValue<X> = number | Output<X>;

const CE_KEYS = ['axis', 'weight', 'ignoreIndex', 'labelSmoothing', 'reduction', 'emptyMean'];
const NLL_KEYS = ['axis', 'weight', 'ignoreIndex', 'reduction', 'emptyMean'];

/** What one public function asks of run(): its name, which loss, its accepted option keys and its results. */
interface Call {
  readonly fn: string;
  /** nllLoss (log-probabilities in) rather than crossEntropy (logits in). */
  readonly nll: boolean;
  readonly keys: readonly string[];
  readonly loss: boolean;
  readonly grad: boolean;
}

function run(
  { fn, nll, keys, loss: wantLoss, grad: wantGrad }: Call,
  input: unknown,
  target: unknown,
  opts: (CrossEntropyOptions & WithGradOptions & LossOutOptions) | undefined,
): LossWithGrad<unknown, unknown> {
  checkOptions(fn, opts, keys);
  const { reduction, emptyZero } = parseReduction(fn, opts);
  const ignoreIndex = numberOption(fn, 'ignoreIndex', opts?.ignoreIndex, -100, Number.isInteger, 'an integer');
  const eps = nll ? 0 : numberOption(fn, 'labelSmoothing', opts?.labelSmoothing, 0, (e) => e >= 0 && e <= 1, 'a number in [0, 1]');
  const x = readArg(fn, 'input', input);
  if (x.shape.length === 0) fail(fn, 'SHAPE_MISMATCH', 'input must have a class axis (rank ≥ 1), got a 0-d tensor');
  const axis = normalizeAxis(fn, opts?.axis ?? -1, x.shape.length);
  const layout = layoutOf(x.shape, axis);
  const rowsShape = reducedShape(x.shape, axis);
  const classWeight = readClassWeight(fn, opts?.weight, layout.size);
  // A number[] target is read once, into a copy, before it is classified (indices or probabilities) and read.
  if (Array.isArray(target)) target = copyNested(target);
  let index: ArrayLike<number> | null = null;
  let probs = null;
  let weightSum: number;
  let count: number;
  let dtype;
  if (isProbabilityTarget(target, sizeOf(x.shape))) {
    if (nll) fail(fn, 'INVALID_TARGET', 'target must hold class indices (an integer array or number[]); probability targets need crossEntropy');
    const t = readArg(fn, 'target', target);
    matchShape(fn, 'target', t, 'input', x);
    dtype = unifyDtype(fn, ['input', 'target'], [x, t], opts?.out);
    probs = t.data;
    count = rowsShape.length === 0 ? 1 : layout.outer * layout.inner;
    weightSum = count;
  } else {
    dtype = unifyDtype(fn, ['input'], [x], opts?.out);
    const r = readIndexTarget(fn, target, rowsShape, layout.size, ignoreIndex, classWeight);
    index = r.index;
    weightSum = r.weightSum;
    count = r.count;
  }
  // A mean whose sums overflow although it is finite — Σ w_t past 1.8e308 (weights near the float64
  // limit), or Σ loss past it (logits 1e308 apart) — is computed with every class weight scaled by
  // 2^-128: both sums scale alike, the mean and every gradient (w_t / Σ w) stay the same. An
  // overflowing Σ w_t is known before the kernel runs; an overflowing Σ loss only after, and then
  // the call is redone (unless the gradient was written over the logits: there the first pass stands).
  const scaledWeights = () => Float64Array.from(classWeight ?? new Float64Array(layout.size).fill(1), (w) => w * 2 ** -128);
  const rescalable = reduction === 'mean' && index !== null && count > 0;
  let weights = classWeight;
  let meanDivisor = weightSum;
  if (rescalable && weightSum === Infinity) {
    weights = scaledWeights();
    meanDivisor = readIndexTarget(fn, index as ArrayLike<number>, rowsShape, layout.size, ignoreIndex, weights).weightSum;
  }
  const scaling = readGradOutput(fn, reduction, opts?.gradOutput, rowsShape, meanDivisor);
  const lossTarget: Out | undefined = wantGrad ? opts?.lossOut : opts?.out;
  const res = prepareOutputs(fn, x, dtype, rowsShape, reduction, wantLoss, wantGrad, lossTarget, wantGrad ? opts?.out : undefined);
  const args = {
    input: x.data,
    layout,
    index,
    probs,
    classWeight: weights,
    ignoreIndex,
    labelSmoothing: eps,
    lossOut: res.loss?.data ?? null,
    grad: res.grad?.data ?? null,
    ...scaling,
  };
  const kernel = nll ? kernels().nllLoss : kernels().crossEntropy;
  // An empty input has no classes to sum (or only empty rows): every item's loss is 0 (its target
  // was validated as ignored or is an empty probability row) and the kernels are not run over
  // rows that may be countless.
  let tot = { hi: 0, lo: 0 };
  if (sizeOf(x.shape) === 0) res.loss?.data.fill(0);
  else tot = kernel(args);
  if (rescalable && tot.hi === Infinity && weights === classWeight && !overlaps(res.grad?.data, x.data)) {
    weights = scaledWeights();
    meanDivisor = readIndexTarget(fn, index as ArrayLike<number>, rowsShape, layout.size, ignoreIndex, weights).weightSum;
    tot = kernel({ ...args, classWeight: weights, ...readGradOutput(fn, reduction, opts?.gradOutput, rowsShape, meanDivisor) });
  }
  const loss = reduction === 'none' ? (res.loss?.wrap() ?? null) : reduce(reduction, emptyZero, tot, meanDivisor, count);
  return { loss, grad: res.grad?.wrap() ?? null, weightSum };
}

/**
 * Cross-entropy of logits against targets: −Σ_c y_c log softmax(z)_c per item, PyTorch's
 * `cross_entropy` option for option (class axis via `axis`, default −1).
 * - Class indices: loss = (1 − ε)·w_t·(−log p_t) + (ε/C)·Σ_c w_c·(−log p_c); 'mean' divides the
 *   sum by Σ w_t over non-ignored targets. Ignored items give 0.
 * - Probabilities (need not sum to 1): loss = −Σ_c w_c y'_c log p_c with y' = (1 − ε)y + ε/C;
 *   'mean' divides by the number of items.
 * log p_t = (z_t − max) − log1p(Σ_{c≠max} e^(z_c − max)): a target probability of 1e−30 gives
 * ≈ 69.08, never ∞. A row with a NaN or +∞ logit, or with all logits −∞, gives NaN; single −∞
 * logits are masked classes (probability 0; the loss is +∞ if the target is one). With
 * probability targets a class whose target is 0 adds nothing even where its logit is −∞ (the limit
 * 0·log 0 = 0; PyTorch gives NaN there — the one deliberate difference). A mean over no
 * items gives NaN (or 0 with `emptyMean: 'zero'`). Bad targets throw INVALID_TARGET naming the position.
 */
export function crossEntropy<X extends Input>(logits: X, target: Target, opts: CrossEntropyOptions & LossOutOptions & { reduction: 'none' }): Output<X>;
export function crossEntropy<X extends Input>(logits: X, target: Target, opts?: CrossEntropyOptions & LossOutOptions & { reduction?: 'mean' | 'sum' }): number;
export function crossEntropy<X extends Input>(logits: X, target: Target, opts?: CrossEntropyOptions & LossOutOptions): LossValue<X>;
export function crossEntropy<X extends Input>(logits: X, target: Target, opts?: CrossEntropyOptions & LossOutOptions): LossValue<X> {
  return run({ fn: 'crossEntropy', nll: false, keys: [...CE_KEYS, 'out'], loss: true, grad: false }, logits, target, opts).loss as LossValue<X>;
}

/**
 * Gradient of crossEntropy wrt the logits: (p·Σ_c w_c y'_c − w ⊙ y')·scale, which is
 * w_t·(p − onehot(t)) for hard labels, scaled by gradOutput (and 1/Σ w_t for 'mean').
 * At the target p_t − 1 is computed as −Σ_{j≠t} p_j, so it stays exact where p_t rounds to 1.
 * Soft targets and label smoothing make the gradient a difference a − b of nearly equal terms;
 * there its error is bounded by 4·eps·(|a| + |b|) rather than in ulps.
 */
export function crossEntropyBackward<X extends Input>(logits: X, target: Target, opts?: CrossEntropyOptions & BackwardOptions): Output<X> {
  return run({ fn: 'crossEntropyBackward', nll: false, keys: [...CE_KEYS, 'gradOutput', 'out'], loss: false, grad: true }, logits, target, opts).grad as Output<X>;
}

/** crossEntropy and its gradient from one fused pass, with the mean's denominator `weightSum`. */
export function crossEntropyWithGrad<X extends Input>(logits: X, target: Target, opts: CrossEntropyOptions & WithGradOptions & { reduction: 'none' }): LossWithGrad<Output<X>, Output<X>>;
export function crossEntropyWithGrad<X extends Input>(logits: X, target: Target, opts?: CrossEntropyOptions & WithGradOptions & { reduction?: 'mean' | 'sum' }): LossWithGrad<number, Output<X>>;
export function crossEntropyWithGrad<X extends Input>(logits: X, target: Target, opts?: CrossEntropyOptions & WithGradOptions): LossWithGrad<LossValue<X>, Output<X>>;
export function crossEntropyWithGrad<X extends Input>(logits: X, target: Target, opts?: CrossEntropyOptions & WithGradOptions): LossWithGrad<LossValue<X>, Output<X>> {
  return run({ fn: 'crossEntropyWithGrad', nll: false, keys: [...CE_KEYS, 'gradOutput', 'out', 'lossOut'], loss: true, grad: true }, logits, target, opts) as LossWithGrad<LossValue<X>, Output<X>>;
}

/**
 * Negative log-likelihood of log-probabilities: −w_t·logProbs[t] per item (PyTorch's
 * `nll_loss`); 'mean' divides by Σ w_t over non-ignored targets. Class-index targets only.
 */
export function nllLoss<X extends Input>(logProbs: X, target: Target, opts: NllLossOptions & LossOutOptions & { reduction: 'none' }): Output<X>;
export function nllLoss<X extends Input>(logProbs: X, target: Target, opts?: NllLossOptions & LossOutOptions & { reduction?: 'mean' | 'sum' }): number;
export function nllLoss<X extends Input>(logProbs: X, target: Target, opts?: NllLossOptions & LossOutOptions): LossValue<X>;
export function nllLoss<X extends Input>(logProbs: X, target: Target, opts?: NllLossOptions & LossOutOptions): LossValue<X> {
  return run({ fn: 'nllLoss', nll: true, keys: [...NLL_KEYS, 'out'], loss: true, grad: false }, logProbs, target, opts).loss as LossValue<X>;
}

/** Gradient of nllLoss wrt logProbs: −w_t·scale at the target, 0 elsewhere. */
export function nllLossBackward<X extends Input>(logProbs: X, target: Target, opts?: NllLossOptions & BackwardOptions): Output<X> {
  return run({ fn: 'nllLossBackward', nll: true, keys: [...NLL_KEYS, 'gradOutput', 'out'], loss: false, grad: true }, logProbs, target, opts).grad as Output<X>;
}

/** nllLoss and its gradient in one pass, with `weightSum`. */
export function nllLossWithGrad<X extends Input>(logProbs: X, target: Target, opts: NllLossOptions & WithGradOptions & { reduction: 'none' }): LossWithGrad<Output<X>, Output<X>>;
export function nllLossWithGrad<X extends Input>(logProbs: X, target: Target, opts?: NllLossOptions & WithGradOptions & { reduction?: 'mean' | 'sum' }): LossWithGrad<number, Output<X>>;
export function nllLossWithGrad<X extends Input>(logProbs: X, target: Target, opts?: NllLossOptions & WithGradOptions): LossWithGrad<LossValue<X>, Output<X>>;
export function nllLossWithGrad<X extends Input>(logProbs: X, target: Target, opts?: NllLossOptions & WithGradOptions): LossWithGrad<LossValue<X>, Output<X>> {
  return run({ fn: 'nllLossWithGrad', nll: true, keys: [...NLL_KEYS, 'gradOutput', 'out', 'lossOut'], loss: true, grad: true }, logProbs, target, opts) as LossWithGrad<LossValue<X>, Output<X>>;
}

