// klDivergence (PyTorch's kl_div): elementwise over any shape, with klDivergenceBackward and the
// fused klDivergenceWithGrad. Validation and reductions here; arithmetic in the backend
// (reference: src/reference/klDivergence.ts). Math: docs/math.md#kldivergence.

import { type Input, type Output, matchShape, readArg, sizeOf, unifyDtype } from '../core/tensor.js';
import { normalizeAxis } from '../core/shape.js';
import { booleanOption, enumOption } from '../core/options.js';
import { kernels } from '../backend/index.js';
import {
  type BackwardOptions,
  type LossOutOptions,
  type LossWithGrad,
  type ReductionOptions,
  type WithGradOptions,
  checkOptions,
  prepareOutputs,
  readGradOutput,
  reduce,
} from '../core/losses.js';
import type { LossValue } from './crossEntropy.js';

/** klDivergence's reductions: 'none', 'sum', 'mean' (÷ number of elements), 'batchmean' (÷ number of distributions). */
export type KlReduction = 'mean' | 'sum' | 'none' | 'batchmean';

export interface KlDivergenceOptions extends Omit<ReductionOptions, 'reduction'> {
  /** The target holds log-probabilities (PyTorch's log_target); default false: probabilities. */
  logTarget?: boolean;
  /**
   * 'mean' (default, PyTorch's: the sum over all elements ÷ their count), 'sum', 'none' (the
   * per-element losses), or 'batchmean': the sum ÷ the number of distributions, numel / shape[axis].
   */
  reduction?: KlReduction;
  /** The distribution (class) axis, which 'batchmean' counts distributions along (default -1). */
  axis?: number;
}

const KEYS = ['logTarget', 'reduction', 'axis', 'emptyMean'];

function run(
  fn: string,
  input: unknown,
  target: unknown,
  opts: (KlDivergenceOptions & WithGradOptions & LossOutOptions) | undefined,
  keys: readonly string[],
  wantLoss: boolean,
  wantGrad: boolean,
): LossWithGrad<unknown, unknown> {
  checkOptions(fn, opts, keys);
  const reduction = enumOption<KlReduction>(fn, 'reduction', opts?.reduction, 'mean', ['mean', 'sum', 'none', 'batchmean']);
  const emptyZero = enumOption(fn, 'emptyMean', opts?.emptyMean, 'nan', ['nan', 'zero']) === 'zero';
  const logTarget = booleanOption(fn, 'logTarget', opts?.logTarget, false);
  const x = readArg(fn, 'input', input);
  const y = readArg(fn, 'target', target);
  const rank = x.shape.length;
  // a 0-d input is one distribution of one element; its only valid axes are 0 and -1
  const axis = normalizeAxis(fn, opts?.axis ?? -1, Math.max(rank, 1));
  matchShape(fn, 'target', y, 'input', x);
  const dtype = unifyDtype(fn, ['input', 'target'], [x, y], opts?.out);
  const count = sizeOf(x.shape);
  // distributions = the product of the other dimensions (numel / shape[axis], also where shape[axis] = 0)
  const distributions = rank === 0 ? 1 : sizeOf(x.shape.filter((_, d) => d !== axis));
  const base = reduction === 'batchmean' ? 'mean' : reduction;
  const divisor = reduction === 'batchmean' ? distributions : count;
  const scaling = readGradOutput(fn, base, opts?.gradOutput, x.shape, divisor);
  const res = prepareOutputs(fn, x, dtype, x.shape, base, wantLoss, wantGrad, wantGrad ? opts?.lossOut : opts?.out, wantGrad ? opts?.out : undefined);
  const tot =
    count === 0
      ? { hi: 0, lo: 0 }
      : kernels().klDivergence({
          input: x.data,
          target: y.data,
          logTarget,
          lossOut: res.loss?.data ?? null,
          grad: res.grad?.data ?? null,
          ...scaling,
        });
  const loss = base === 'none' ? (res.loss?.wrap() ?? null) : reduce(base, emptyZero, tot, divisor, divisor);
  return { loss, grad: res.grad?.wrap() ?? null, weightSum: divisor };
}

/**
 * Kullback–Leibler divergence of `target` from `input`, PyTorch's `kl_div`: `input` holds
 * log-probabilities x; `target` probabilities t, or log-probabilities when `logTarget`.
 * Pointwise loss (shapes must match; any shape):
 *  - probabilities: t·(log t − x), computed as PyTorch's xlogy(t, t) − t·x, so t = 0 gives
 *    0·log 0 = 0 for finite x, but NaN for x = −∞, +∞ or NaN (0·∞); a negative t gives NaN
 *    (its gradient is still −t); t = +∞ gives +∞ for x < 0, NaN for x ≥ 0; NaN propagates;
 *  - log-probabilities: e^t·(t − x), computed as PyTorch's exp(t)·(t − x): t = −∞ gives
 *    0·(−∞) = NaN; t = +∞ gives +∞ (NaN for x = +∞). Where t = x with e^t beyond the float
 *    range, the exact 0 (PyTorch: ∞·0 = NaN).
 * Finite values are exact, each loss correctly rounded in float32 (float64: within 1 ulp unless x
 * nearly equals log t, where t·log t and t·x cancel; the error is then below 4·eps·(|t·log t| + |t·x|)).
 * Reductions: 'mean' divides the sum by the number of elements (PyTorch's 'mean', which is not
 * the KL divergence of the batch); 'batchmean' by the number of distributions numel / shape[axis]
 * — for [N, C] with axis −1 that is PyTorch's input.size(0); PyTorch divides by input.size(0) for
 * every shape, so for 1-D input (one distribution) it gives the 'mean' and for [N, C, d…] it
 * counts N, not N·d…, distributions. An empty input's mean is NaN (`emptyMean: 'zero'`: 0).
 */
export function klDivergence<X extends Input>(input: X, target: Input, opts: KlDivergenceOptions & LossOutOptions & { reduction: 'none' }): Output<X>;
export function klDivergence<X extends Input>(input: X, target: Input, opts?: KlDivergenceOptions & LossOutOptions & { reduction?: 'mean' | 'sum' | 'batchmean' }): number;
export function klDivergence<X extends Input>(input: X, target: Input, opts?: KlDivergenceOptions & LossOutOptions): LossValue<X>;
export function klDivergence<X extends Input>(input: X, target: Input, opts?: KlDivergenceOptions & LossOutOptions): LossValue<X> {
  return run('klDivergence', input, target, opts, [...KEYS, 'out'], true, false).loss as LossValue<X>;
}

/**
 * Gradient of klDivergence wrt the input: −t (−e^t with `logTarget`) times the reduction's
 * scale (1/numel for 'mean', 1/(numel / shape[axis]) for 'batchmean') and gradOutput, rounded
 * once. It does not depend on x (PyTorch: also for x = ±∞ or NaN); a NaN target gives NaN.
 */
export function klDivergenceBackward<X extends Input>(input: X, target: Input, opts?: KlDivergenceOptions & BackwardOptions): Output<X> {
  return run('klDivergenceBackward', input, target, opts, [...KEYS, 'gradOutput', 'out'], false, true).grad as Output<X>;
}

/** klDivergence and its gradient in one pass; `weightSum` is the reduction's divisor (numel, or numel / shape[axis] for 'batchmean'). */
export function klDivergenceWithGrad<X extends Input>(input: X, target: Input, opts: KlDivergenceOptions & WithGradOptions & { reduction: 'none' }): LossWithGrad<Output<X>, Output<X>>;
export function klDivergenceWithGrad<X extends Input>(input: X, target: Input, opts?: KlDivergenceOptions & WithGradOptions & { reduction?: 'mean' | 'sum' | 'batchmean' }): LossWithGrad<number, Output<X>>;
export function klDivergenceWithGrad<X extends Input>(input: X, target: Input, opts?: KlDivergenceOptions & WithGradOptions): LossWithGrad<LossValue<X>, Output<X>>;
export function klDivergenceWithGrad<X extends Input>(input: X, target: Input, opts?: KlDivergenceOptions & WithGradOptions): LossWithGrad<LossValue<X>, Output<X>> {
  return run('klDivergenceWithGrad', input, target, opts, [...KEYS, 'gradOutput', 'out', 'lossOut'], true, true) as LossWithGrad<LossValue<X>, Output<X>>;
}
