// binaryCrossEntropy (on probabilities) and binaryCrossEntropyWithLogits, elementwise over any
// shape, with …Backward and the fused …WithGrad. Validation here; arithmetic in the backend
// (reference: src/reference/binaryCrossEntropy.ts). Math: docs/math.md#binary-cross-entropy.

import { fail } from '../core/errors.js';
import { type Input, type Output, matchShape, readArg, sizeOf, unifyDtype } from '../core/tensor.js';
import { kernels } from '../backend/index.js';
import {
  type BackwardOptions,
  type LossOutOptions,
  type LossWithGrad,
  type ReductionOptions,
  type WithGradOptions,
  checkOptions,
  parseReduction,
  prepareOutputs,
  readBroadcast,
  readGradOutput,
  reduce,
} from '../core/losses.js';
import type { LossValue } from './crossEntropy.js';

export interface BinaryCrossEntropyOptions extends ReductionOptions {
  /** A rescaling weight per element, broadcast to the input's shape (NumPy rules); a number weighs every element (a 0-d tensor in PyTorch). */
  weight?: Input | number;
}

export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /** Weight of the positive term, broadcast to the input's shape; a [C] array weights the classes of the last axis, a number every element (PyTorch broadcasts a 0-d pos_weight so). */
  posWeight?: Input | number;
}

const BCE_KEYS = ['weight', 'reduction', 'emptyMean'];
const BCEL_KEYS = ['weight', 'posWeight', 'reduction', 'emptyMean'];

/** What one public function asks of run(): its name, which loss, its accepted option keys and its results. */
interface Call {
  readonly fn: string;
  /** binaryCrossEntropyWithLogits (logits in) rather than binaryCrossEntropy (probabilities in). */
  readonly logits: boolean;
  readonly keys: readonly string[];
  readonly loss: boolean;
  readonly grad: boolean;
}

function run(
  { fn, logits, keys, loss: wantLoss, grad: wantGrad }: Call,
  input: unknown,
  target: unknown,
  opts: (BinaryCrossEntropyWithLogitsOptions & WithGradOptions & LossOutOptions) | undefined,
): LossWithGrad<unknown, unknown> {
  checkOptions(fn, opts, keys);
  const { reduction, emptyZero } = parseReduction(fn, opts);
  const x = readArg(fn, 'input', input);
  const y = readArg(fn, 'target', target);
  matchShape(fn, 'target', y, 'input', x);
  const dtype = unifyDtype(fn, ['input', 'target'], [x, y], opts?.out);
  const weight = readBroadcast(fn, 'weight', opts?.weight, x.shape);
  const posWeight = logits ? readBroadcast(fn, 'posWeight', opts?.posWeight, x.shape) : null;
  if (!logits) {
    const p = x.data;
    for (let i = 0; i < p.length; i++) {
      if (p[i] < 0 || p[i] > 1) {
        fail(fn, 'INVALID_INPUT', `input[${i}] = ${p[i]} is outside [0, 1]: binaryCrossEntropy takes probabilities (use binaryCrossEntropyWithLogits for logits)`);
      }
    }
  }
  const count = sizeOf(x.shape);
  const scaling = readGradOutput(fn, reduction, opts?.gradOutput, x.shape, count);
  const res = prepareOutputs(fn, x, dtype, x.shape, reduction, wantLoss, wantGrad, wantGrad ? opts?.lossOut : opts?.out, wantGrad ? opts?.out : undefined);
  const args = {
    input: x.data,
    target: y.data,
    weight,
    posWeight,
    lossOut: res.loss?.data ?? null,
    grad: res.grad?.data ?? null,
    ...scaling,
  };
  const tot = count === 0 ? { hi: 0, lo: 0 } : logits ? kernels().binaryCrossEntropyWithLogits(args) : kernels().binaryCrossEntropy(args);
  const loss = reduction === 'none' ? (res.loss?.wrap() ?? null) : reduce(reduction, emptyZero, tot, count, count);
  return { loss, grad: res.grad?.wrap() ?? null, weightSum: count };
}

/**
 * Binary cross-entropy of probabilities p against targets y (same shape):
 * −w·[y·log p + (1 − y)·log1p(−p)], each log clamped to ≥ −100 as PyTorch does, so p = 0 or 1
 * gives a finite loss. 'mean' divides by the number of elements. p outside [0, 1] throws
 * INVALID_INPUT; NaN propagates.
 */
export function binaryCrossEntropy<X extends Input>(p: X, y: Input, opts: BinaryCrossEntropyOptions & LossOutOptions & { reduction: 'none' }): Output<X>;
export function binaryCrossEntropy<X extends Input>(p: X, y: Input, opts?: BinaryCrossEntropyOptions & LossOutOptions & { reduction?: 'mean' | 'sum' }): number;
export function binaryCrossEntropy<X extends Input>(p: X, y: Input, opts?: BinaryCrossEntropyOptions & LossOutOptions): LossValue<X>;
export function binaryCrossEntropy<X extends Input>(p: X, y: Input, opts?: BinaryCrossEntropyOptions & LossOutOptions): LossValue<X> {
  return run({ fn: 'binaryCrossEntropy', logits: false, keys: [...BCE_KEYS, 'out'], loss: true, grad: false }, p, y, opts).loss as LossValue<X>;
}

/**
 * Gradient of binaryCrossEntropy wrt p: the exact derivative w·((1 − y)/(1 − p) − y/p), with
 * 0·∞ taken as 0 (p = 0, y = 0 gives w; p = 0, y = 1 gives −∞) — not PyTorch's 1e−12-clamped
 * denominator, and not the derivative of the clamped logs. For soft targets the two terms
 * nearly cancel near p = y; the error there is within 4·eps·(|a| + |b|).
 */
export function binaryCrossEntropyBackward<X extends Input>(p: X, y: Input, opts?: BinaryCrossEntropyOptions & BackwardOptions): Output<X> {
  return run({ fn: 'binaryCrossEntropyBackward', logits: false, keys: [...BCE_KEYS, 'gradOutput', 'out'], loss: false, grad: true }, p, y, opts).grad as Output<X>;
}

/** binaryCrossEntropy and its gradient in one pass; `weightSum` is the number of elements. */
export function binaryCrossEntropyWithGrad<X extends Input>(p: X, y: Input, opts: BinaryCrossEntropyOptions & WithGradOptions & { reduction: 'none' }): LossWithGrad<Output<X>, Output<X>>;
export function binaryCrossEntropyWithGrad<X extends Input>(p: X, y: Input, opts?: BinaryCrossEntropyOptions & WithGradOptions & { reduction?: 'mean' | 'sum' }): LossWithGrad<number, Output<X>>;
export function binaryCrossEntropyWithGrad<X extends Input>(p: X, y: Input, opts?: BinaryCrossEntropyOptions & WithGradOptions): LossWithGrad<LossValue<X>, Output<X>>;
export function binaryCrossEntropyWithGrad<X extends Input>(p: X, y: Input, opts?: BinaryCrossEntropyOptions & WithGradOptions): LossWithGrad<LossValue<X>, Output<X>> {
  return run({ fn: 'binaryCrossEntropyWithGrad', logits: false, keys: [...BCE_KEYS, 'gradOutput', 'out', 'lossOut'], loss: true, grad: true }, p, y, opts) as LossWithGrad<LossValue<X>, Output<X>>;
}

/**
 * Binary cross-entropy on logits, the stable form of −w·[pw·y·log σ(x) + (1 − y)·log σ(−x)]:
 * w·[pw·y·softplus(−x) + (1 − y)·softplus(x)], exact for every finite x (PyTorch's
 * `binary_cross_entropy_with_logits`, `pos_weight` broadcast over the last axis).
 */
export function binaryCrossEntropyWithLogits<X extends Input>(x: X, y: Input, opts: BinaryCrossEntropyWithLogitsOptions & LossOutOptions & { reduction: 'none' }): Output<X>;
export function binaryCrossEntropyWithLogits<X extends Input>(x: X, y: Input, opts?: BinaryCrossEntropyWithLogitsOptions & LossOutOptions & { reduction?: 'mean' | 'sum' }): number;
export function binaryCrossEntropyWithLogits<X extends Input>(x: X, y: Input, opts?: BinaryCrossEntropyWithLogitsOptions & LossOutOptions): LossValue<X>;
export function binaryCrossEntropyWithLogits<X extends Input>(x: X, y: Input, opts?: BinaryCrossEntropyWithLogitsOptions & LossOutOptions): LossValue<X> {
  return run({ fn: 'binaryCrossEntropyWithLogits', logits: true, keys: [...BCEL_KEYS, 'out'], loss: true, grad: false }, x, y, opts).loss as LossValue<X>;
}

/**
 * Gradient wrt x: w·((pw·y + 1 − y)·σ(x) − pw·y), computed as the cancellation-free split
 * w·[(1 − y)·σ(x) − pw·y·σ(−x)]; exact for hard targets, within 4·eps·(|a| + |b|) for soft ones.
 */
export function binaryCrossEntropyWithLogitsBackward<X extends Input>(x: X, y: Input, opts?: BinaryCrossEntropyWithLogitsOptions & BackwardOptions): Output<X> {
  return run({ fn: 'binaryCrossEntropyWithLogitsBackward', logits: true, keys: [...BCEL_KEYS, 'gradOutput', 'out'], loss: false, grad: true }, x, y, opts).grad as Output<X>;
}

/** binaryCrossEntropyWithLogits and its gradient in one pass; `weightSum` is the number of elements. */
export function binaryCrossEntropyWithLogitsWithGrad<X extends Input>(x: X, y: Input, opts: BinaryCrossEntropyWithLogitsOptions & WithGradOptions & { reduction: 'none' }): LossWithGrad<Output<X>, Output<X>>;
export function binaryCrossEntropyWithLogitsWithGrad<X extends Input>(x: X, y: Input, opts?: BinaryCrossEntropyWithLogitsOptions & WithGradOptions & { reduction?: 'mean' | 'sum' }): LossWithGrad<number, Output<X>>;
export function binaryCrossEntropyWithLogitsWithGrad<X extends Input>(x: X, y: Input, opts?: BinaryCrossEntropyWithLogitsOptions & WithGradOptions): LossWithGrad<LossValue<X>, Output<X>>;
export function binaryCrossEntropyWithLogitsWithGrad<X extends Input>(x: X, y: Input, opts?: BinaryCrossEntropyWithLogitsOptions & WithGradOptions): LossWithGrad<LossValue<X>, Output<X>> {
  return run({ fn: 'binaryCrossEntropyWithLogitsWithGrad', logits: true, keys: [...BCEL_KEYS, 'gradOutput', 'out', 'lossOut'], loss: true, grad: true }, x, y, opts) as LossWithGrad<LossValue<X>, Output<X>>;
}
