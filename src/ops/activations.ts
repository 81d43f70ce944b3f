// Elementwise activations and their VJPs, any shape. Validation and results here; the
// arithmetic is the active backend's (the 'js' reference: src/reference/activations.ts).
// Math and edge cases: docs/math.md#sigmoid, #logsigmoid, #softplus. Empty inputs skip the kernels.

import { checkOptions, numberOption } from '../core/options.js';
import { type Arg, type Input, type Out, type Output, makeResult, matchShape, readArg, sizeOf, unifyDtype } from '../core/tensor.js';
import type { FloatArray } from '../core/tensor.js';
import { kernels } from '../backend/index.js';

export interface OutOptions {
  /** Preallocated result (same dtype and size as the result); then nothing is allocated. */
  out?: Out;
}

export interface SoftplusOptions extends OutOptions {
  /** β in (1/β)·log(1 + e^(βx)); a finite number > 0. Default 1. */
  beta?: number;
  /** Above β·x > threshold the result is x itself (PyTorch's linear cut-off). Default 20. */
  threshold?: number;
}

function unary(fn: string, x: unknown, opts: OutOptions | undefined, allowed: readonly string[], run: (x: FloatArray, out: FloatArray) => void): unknown {
  checkOptions(fn, opts, allowed);
  const a = readArg(fn, 'x', x);
  const dt = unifyDtype(fn, ['x'], [a], opts?.out);
  const res = makeResult(fn, a, dt, a.shape, opts?.out);
  if (sizeOf(a.shape) !== 0) run(a.data, res.data);
  return res.wrap();
}

function binary(fn: string, dy: unknown, x: unknown, opts: OutOptions | undefined, allowed: readonly string[], run: (dy: FloatArray, x: FloatArray, out: FloatArray) => void): unknown {
  checkOptions(fn, opts, allowed);
  const g = readArg(fn, 'dy', dy);
  const a = readArg(fn, 'x', x);
  matchShape(fn, 'dy', g, 'x', a);
  const dt = unifyDtype(fn, ['dy', 'x'], [g, a], opts?.out);
  const like: Arg = g.kind === 'tensor' ? g : a.kind === 'tensor' ? a : g;
  const res = makeResult(fn, like, dt, a.shape, opts?.out);
  if (sizeOf(a.shape) !== 0) run(g.data, a.data, res.data);
  return res.wrap();
}

const OUT = ['out'] as const;
const SOFTPLUS = ['out', 'beta', 'threshold'] as const;

function softplusParams(fn: string, opts: SoftplusOptions | undefined): [number, number] {
  const beta = numberOption(fn, 'beta', opts?.beta, 1, (b) => b > 0 && b < Infinity, 'a finite number > 0');
  const threshold = numberOption(fn, 'threshold', opts?.threshold, 20, (t) => t === t, 'a number');
  return [beta, threshold];
}

/**
 * σ(x) = 1/(1 + e^−x), elementwise. Exact in both tails: sigmoid(−100) ≈ 3.7e−44 (not 0), and in
 * float32 sigmoid(−103) is the subnormal 1.4e−45. σ(±∞) = 1 and 0; NaN gives NaN.
 * Results are correctly rounded except in rare near-halfway cases (docs/accuracy.md).
 */
export function sigmoid<X extends Input>(x: X, opts?: OutOptions): Output<X> {
  return unary('sigmoid', x, opts, OUT, (a, o) => kernels().sigmoid(a, o)) as Output<X>;
}

/**
 * log σ(x) = −softplus(−x), elementwise; finite for every finite x (logSigmoid(−1e4) = −1e4,
 * logSigmoid(1e−8) ≈ −0.693). logSigmoid(−∞) = −∞, logSigmoid(∞) = 0, NaN gives NaN.
 */
export function logSigmoid<X extends Input>(x: X, opts?: OutOptions): Output<X> {
  return unary('logSigmoid', x, opts, OUT, (a, o) => kernels().logSigmoid(a, o)) as Output<X>;
}

/**
 * softplus(x) = (1/β)·log(1 + e^(βx)), elementwise, with PyTorch's cut-off: where β·x > threshold
 * (compared in double precision) the result is x itself. softplus(−∞) = 0, softplus(∞) = ∞.
 */
export function softplus<X extends Input>(x: X, opts?: SoftplusOptions): Output<X> {
  const [beta, threshold] = softplusParams('softplus', opts);
  return unary('softplus', x, opts, SOFTPLUS, (a, o) => kernels().softplus(a, o, beta, threshold)) as Output<X>;
}

/**
 * VJP of sigmoid: dy·σ(x)·σ(−x) = dy·σ(x)(1 − σ(x)). Takes the input `x`, not σ(x): the factor
 * 1 − σ(x) is formed as σ(−x), which stays exact where σ(x) rounds to 1 (x = 20 in float32).
 * `dy` and `x` have the same shape (a flat array of the right length takes the other's shape).
 */
export function sigmoidBackward<X extends Input>(dy: X, x: Input, opts?: OutOptions): Output<X> {
  return binary('sigmoidBackward', dy, x, opts, OUT, (g, a, o) => kernels().sigmoidBackward(g, a, o)) as Output<X>;
}

/** VJP of logSigmoid: dy·σ(−x). */
export function logSigmoidBackward<X extends Input>(dy: X, x: Input, opts?: OutOptions): Output<X> {
  return binary('logSigmoidBackward', dy, x, opts, OUT, (g, a, o) => kernels().logSigmoidBackward(g, a, o)) as Output<X>;
}

/** VJP of softplus: dy·σ(βx), and dy itself where β·x > threshold (PyTorch). */
export function softplusBackward<X extends Input>(dy: X, x: Input, opts?: SoftplusOptions): Output<X> {
  const [beta, threshold] = softplusParams('softplusBackward', opts);
  return binary('softplusBackward', dy, x, opts, SOFTPLUS, (g, a, o) => kernels().softplusBackward(g, a, o, beta, threshold)) as Output<X>;
}
