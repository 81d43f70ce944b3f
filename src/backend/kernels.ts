// The backend contract: every backend ('js', 'wasm') implements every kernel of `Kernels`, so a
// missing kernel is a compile error. Kernels get validated, same-dtype arrays and write results
// only into the arrays they are given; shapes arrive as a Layout (outer × size × inner).

import type { FloatArray } from '../core/tensor.js';
import type { Layout } from '../core/shape.js';

/** Reading of an optional weight broadcast over the input: data[index(i)] is the weight of element i. */
export interface Broadcast {
  readonly data: Float64Array;
  /** Per input dimension, the stride into data (0 where the weight is broadcast). */
  readonly strides: readonly number[];
  /** The input's shape. */
  readonly shape: readonly number[];
}

/** Arguments of the fused cross-entropy / nll kernels. Row r = o·inner + i of the layout. */
export interface ClassLossArgs {
  readonly input: FloatArray;
  readonly layout: Layout;
  /** Class indices, one per row (exactly one of `index` and `probs` is set). */
  readonly index: ArrayLike<number> | null;
  /** Class probabilities in the input's layout. */
  readonly probs: FloatArray | null;
  /** Class weights, one per class, or null for all ones. */
  readonly classWeight: Float64Array | null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  /** Per-row losses (unscaled), or null. */
  readonly lossOut: FloatArray | null;
  /** Gradient wrt the input, or null for the forward pass only. */
  readonly grad: FloatArray | null;
  /** The gradient of row r is multiplied by gradScale · (gradScales ? gradScales[r] : 1) / gradDivisor. */
  readonly gradScale: number;
  readonly gradScales: FloatArray | null;
  readonly gradDivisor: number;
}

/** Arguments of the elementwise binary cross-entropy kernels. */
export interface BinaryLossArgs {
  readonly input: FloatArray;
  readonly target: FloatArray;
  readonly weight: Broadcast | null;
  /** binaryCrossEntropyWithLogits only. */
  readonly posWeight: Broadcast | null;
  readonly lossOut: FloatArray | null;
  readonly grad: FloatArray | null;
  /** The gradient of element i is multiplied by gradScale · (gradScales ? gradScales[i] : 1) / gradDivisor. */
  readonly gradScale: number;
  readonly gradScales: FloatArray | null;
  readonly gradDivisor: number;
}

/** A sum as a double-double, as the loss kernels return it. */
export interface DDSum {
  hi: number;
  lo: number;
}

export interface Kernels {
  readonly name: 'js' | 'wasm';

  // Elementwise, out[i] = f(x[i]) (out may be x itself).
  sigmoid(x: FloatArray, out: FloatArray): void;
  logSigmoid(x: FloatArray, out: FloatArray): void;
  softplus(x: FloatArray, out: FloatArray, beta: number, threshold: number): void;
  sigmoidBackward(dy: FloatArray, x: FloatArray, out: FloatArray): void;
  logSigmoidBackward(dy: FloatArray, x: FloatArray, out: FloatArray): void;
  softplusBackward(dy: FloatArray, x: FloatArray, out: FloatArray, beta: number, threshold: number): void;

  // Along rows of a layout.
  softmax(x: FloatArray, out: FloatArray, l: Layout, temperature: number, allMaskedZero: boolean): void;
  logSoftmax(x: FloatArray, out: FloatArray, l: Layout, temperature: number, allMaskedZero: boolean): void;
  /** out has outer·inner entries. */
  logSumExp(x: FloatArray, out: FloatArray, l: Layout): void;
  softmaxBackward(dy: FloatArray, y: FloatArray, out: FloatArray, l: Layout): void;
  /** allMaskedZero: a row of y that is all −∞ gets a zero gradient. */
  logSoftmaxBackward(dy: FloatArray, y: FloatArray, out: FloatArray, l: Layout, allMaskedZero: boolean): void;
  softmaxJvp(x: FloatArray, v: FloatArray, out: FloatArray, l: Layout, allMaskedZero: boolean): void;
  /** out is [outer, inner, size, size]. */
  softmaxJacobian(x: FloatArray, out: FloatArray, l: Layout, allMaskedZero: boolean): void;

  // Fused losses: per-row loss, gradient and the sum of losses in one pass.
  crossEntropy(a: ClassLossArgs): DDSum;
  nllLoss(a: ClassLossArgs): DDSum;
  binaryCrossEntropy(a: BinaryLossArgs): DDSum;
  binaryCrossEntropyWithLogits(a: BinaryLossArgs): DDSum;
}
