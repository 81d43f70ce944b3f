// The softmax family along one axis (default −1; negative axes count from the end), forward,
// VJPs, JVP and Jacobian. Validation and results here; the arithmetic is the backend's
// (the 'js' reference: src/reference/softmax.ts). Math and edge cases: docs/math.md#softmax.
// An empty input never reaches a kernel: its rows may be countless (shape [2^53, 0]) but hold nothing.

import { booleanOption, checkOptions, enumOption, numberOption } from '../core/options.js';
import { type Arg, type Input, type Out, type Output, makeResult, matchShape, readArg, sizeOf, unifyDtype } from '../core/tensor.js';
import { type Layout, layoutOf, normalizeAxis, reducedShape } from '../core/shape.js';
import { kernels } from '../backend/index.js';

export interface AxisOptions {
  /** The axis the op works along; negative counts from the end. Default −1. */
  axis?: number;
  /** Preallocated result (same dtype and size as the result); then nothing is allocated. */
  out?: Out;
}

export interface MaskOptions {
  /**
   * What a row of all −∞ gives: 'nan' (PyTorch, default) or 'zero' (softmax 0, logSoftmax −∞,
   * gradients 0) — for attention rows that are fully masked.
   */
  allMasked?: 'nan' | 'zero';
}

export interface SoftmaxOptions extends AxisOptions, MaskOptions {
  /** Divides the logits before the softmax: p ∝ e^(z/T). A finite number > 0. Default 1. */
  temperature?: number;
}

export interface LogSumExpOptions extends AxisOptions {
  /** Keep the reduced axis with length 1. Default false. */
  keepDims?: boolean;
}

/** A rank-0 tensor is treated as one row of length 1. */
function rowLayout(fn: string, shape: readonly number[], axis: unknown): { layout: Layout; axis: number } {
  if (shape.length === 0) {
    normalizeAxis(fn, axis, 1);
    return { layout: { outer: 1, size: 1, inner: 1 }, axis: 0 };
  }
  const ax = normalizeAxis(fn, axis, shape.length);
  return { layout: layoutOf(shape, ax), axis: ax };
}

const SOFTMAX_KEYS = ['axis', 'temperature', 'allMasked', 'out'] as const;

function softmaxLike(fn: string, x: unknown, opts: SoftmaxOptions | undefined, log: boolean): unknown {
  checkOptions(fn, opts, SOFTMAX_KEYS);
  const temperature = numberOption(fn, 'temperature', opts?.temperature, 1, (t) => t > 0 && t < Infinity, 'a finite number > 0');
  const zero = enumOption(fn, 'allMasked', opts?.allMasked, 'nan', ['nan', 'zero']) === 'zero';
  const a = readArg(fn, 'x', x);
  const { layout } = rowLayout(fn, a.shape, opts?.axis ?? -1);
  const dt = unifyDtype(fn, ['x'], [a], opts?.out);
  const res = makeResult(fn, a, dt, a.shape, opts?.out);
  if (sizeOf(a.shape) === 0) return res.wrap();
  if (log) kernels().logSoftmax(a.data, res.data, layout, temperature, zero);
  else kernels().softmax(a.data, res.data, layout, temperature, zero);
  return res.wrap();
}

/**
 * p_i = e^(z_i/T) / Σ_c e^(z_c/T) along `axis`. Computed as e^(z − max) with z − max kept exact,
 * so no finite input overflows (z = ±3e38 works) and float32 results are correctly rounded.
 * Edge cases (PyTorch's): NaN anywhere in a row gives a NaN row; +∞ in a row gives a NaN row;
 * a row of all −∞ gives NaN (or 0 with `allMasked: 'zero'`); −∞ entries of other rows give 0;
 * a row of length 1 gives 1; an empty tensor gives an empty result.
 */
export function softmax<X extends Input>(x: X, opts?: SoftmaxOptions): Output<X> {
  return softmaxLike('softmax', x, opts, false) as Output<X>;
}

/**
 * z_i/T − log Σ_c e^(z_c/T) along `axis`. log Σ is log1p of the terms other than the max, so the
 * result at the max keeps its digits when it is tiny (−1e−8 is not rounded to 0).
 * Edge cases: a NaN or +∞ in a row gives a NaN row; all −∞ gives NaN (or −∞ with
 * `allMasked: 'zero'`); −∞ entries of other rows give −∞; a row of length 1 gives 0.
 */
export function logSoftmax<X extends Input>(x: X, opts?: SoftmaxOptions): Output<X> {
  return softmaxLike('logSoftmax', x, opts, true) as Output<X>;
}

/**
 * log Σ_c e^(z_c) along `axis`, which is removed (kept with length 1 under `keepDims`).
 * As PyTorch: NaN in a row gives NaN, +∞ gives +∞, a row of all −∞ (or an empty row) gives −∞.
 */
export function logSumExp<X extends Input>(x: X, opts?: LogSumExpOptions): Output<X> {
  const fn = 'logSumExp';
  checkOptions(fn, opts, ['axis', 'keepDims', 'out']);
  const a = readArg(fn, 'x', x);
  const { layout, axis } = rowLayout(fn, a.shape, opts?.axis ?? -1);
  const keep = booleanOption(fn, 'keepDims', opts?.keepDims, false);
  const shape = a.shape.length === 0 ? [] : reducedShape(a.shape, axis, keep);
  const dt = unifyDtype(fn, ['x'], [a], opts?.out);
  const res = makeResult(fn, a, dt, shape, opts?.out);
  // Empty rows sum to 0, whose log is −∞; no kernel walks rows that hold nothing.
  if (sizeOf(a.shape) === 0) res.data.fill(-Infinity);
  else kernels().logSumExp(a.data, res.data, layout);
  return res.wrap() as Output<X>;
}

function pair(fn: string, n1: string, v1: unknown, n2: string, v2: unknown, opts: AxisOptions | undefined, keys: readonly string[]) {
  checkOptions(fn, opts, keys);
  const a = readArg(fn, n1, v1);
  const b = readArg(fn, n2, v2);
  matchShape(fn, n1, a, n2, b);
  const { layout } = rowLayout(fn, b.shape, opts?.axis ?? -1);
  const dt = unifyDtype(fn, [n1, n2], [a, b], opts?.out);
  const like: Arg = a.kind === 'tensor' ? a : b.kind === 'tensor' ? b : a;
  const res = makeResult(fn, like, dt, b.shape, opts?.out);
  return { a, b, layout, res, empty: sizeOf(b.shape) === 0 };
}

/**
 * VJP of softmax: y ⊙ (dy − Σ_c dy_c y_c) along `axis`, where `y` is the softmax output.
 * NaN or ∞ in a row propagate through the sum to that row.
 */
export function softmaxBackward<X extends Input>(dy: X, y: Input, opts?: AxisOptions): Output<X> {
  const { a, b, layout, res, empty } = pair('softmaxBackward', 'dy', dy, 'y', y, opts, ['axis', 'out']);
  if (!empty) kernels().softmaxBackward(a.data, b.data, res.data, layout);
  return res.wrap() as Output<X>;
}

/**
 * VJP of logSoftmax: dy − e^y · Σ_c dy_c along `axis`, where `y` is the log-softmax output.
 * A masked entry (y = −∞) passes dy through, as the derivative says. With `allMasked: 'zero'`
 * a row of y that is all −∞ (a fully masked row) gets a zero gradient.
 */
export function logSoftmaxBackward<X extends Input>(dy: X, y: Input, opts?: AxisOptions & MaskOptions): Output<X> {
  const fn = 'logSoftmaxBackward';
  const zero = enumOption(fn, 'allMasked', opts?.allMasked, 'nan', ['nan', 'zero']) === 'zero';
  const { a, b, layout, res, empty } = pair(fn, 'dy', dy, 'y', y, opts, ['axis', 'allMasked', 'out']);
  if (!empty) kernels().logSoftmaxBackward(a.data, b.data, res.data, layout, zero);
  return res.wrap() as Output<X>;
}

/**
 * JVP of softmax at x: J v = p ⊙ (v − Σ_c p_c v_c) with p = softmax(x) along `axis`.
 * Rows of x with NaN or +∞ give NaN; all −∞ gives NaN (or 0 with `allMasked: 'zero'`).
 */
export function softmaxJvp<X extends Input>(x: X, v: Input, opts?: AxisOptions & MaskOptions): Output<X> {
  const fn = 'softmaxJvp';
  const zero = enumOption(fn, 'allMasked', opts?.allMasked, 'nan', ['nan', 'zero']) === 'zero';
  const { a, b, layout, res, empty } = pair(fn, 'x', x, 'v', v, opts, ['axis', 'allMasked', 'out']);
  if (!empty) kernels().softmaxJvp(a.data, b.data, res.data, layout, zero);
  return res.wrap() as Output<X>;
}

/**
 * The softmax Jacobian ∂p_i/∂z_j = p_i δ_ij − p_i p_j for every row along `axis`, shaped
 * [...batch, C, C]: the input's shape without `axis`, then C × C. The diagonal p_i(1 − p_i) uses
 * 1 − p_max = Σ_{j≠max} p_j, exact where p_max rounds to 1. Non-finite rows as softmaxJvp.
 */
export function softmaxJacobian<X extends Input>(x: X, opts?: AxisOptions & MaskOptions): Output<X> {
  const fn = 'softmaxJacobian';
  checkOptions(fn, opts, ['axis', 'allMasked', 'out']);
  const zero = enumOption(fn, 'allMasked', opts?.allMasked, 'nan', ['nan', 'zero']) === 'zero';
  const a = readArg(fn, 'x', x);
  const { layout, axis } = rowLayout(fn, a.shape, opts?.axis ?? -1);
  const c = layout.size;
  const shape = a.shape.length === 0 ? [1, 1] : [...reducedShape(a.shape, axis), c, c];
  const dt = unifyDtype(fn, ['x'], [a], opts?.out);
  const res = makeResult(fn, a, dt, shape, opts?.out);
  if (sizeOf(a.shape) !== 0) kernels().softmaxJacobian(a.data, res.data, layout, zero);
  return res.wrap() as Output<X>;
}
