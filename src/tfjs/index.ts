// sigmax/tfjs: cross-entropy losses for TensorFlow.js whose value and gradient come from sigmax's
// fused kernels, wrapped in tf.customGrad. The tfjs namespace is passed in (createLosses(tf)), so
// nothing here imports @tensorflow/tfjs-core and the core keeps zero runtime dependencies; the few
// tfjs APIs used are described by the structural types below.

import { fail } from '../core/errors.js';
import { crossEntropyWithGrad } from '../ops/crossEntropy.js';
import { binaryCrossEntropyWithLogitsWithGrad } from '../ops/binaryCrossEntropy.js';

/**
 * The part of a tfjs `Tensor` the bridge reads: its shape, its dtype and its values through the
 * public `dataSync()` (a synchronous read: free on the 'cpu' and 'wasm' backends, a download from
 * the GPU on 'webgl'/'webgpu').
 */
export interface TfTensorLike {
  readonly shape: readonly number[];
  readonly dtype: string;
  dataSync(): unknown;
}

/** The gradient function tf.customGrad expects: dy (the incoming gradient) to input gradients. */
export type TfGradFunc<T> = (dy: T, saved: T[]) => T | T[];

/**
 * The part of the tfjs namespace the bridge calls: `customGrad` and `tensor`. Pass
 * `@tensorflow/tfjs` or `@tensorflow/tfjs-core` itself (any 4.x); `T` is then its `Tensor`.
 */
export interface TfjsLike<T extends TfTensorLike> {
  customGrad(f: (...inputs: Array<T | ((save: T[]) => void)>) => { value: T; gradFunc: TfGradFunc<T> }): (...args: T[]) => T;
  tensor(values: Float32Array, shape: number[], dtype: 'float32'): T;
}

/** How the per-item losses are combined, as in `sigmax`'s own losses. */
export type TfReduction = 'mean' | 'sum' | 'none';

export interface TfLossOptions {
  /**
   * 'mean' (default): the mean over items, what `tf.losses.*` do by default
   * (Reduction.SUM_BY_NONZERO_WEIGHTS without weights) and what tfjs layers takes of a loss;
   * 'sum'; 'none': the per-item losses (shape of the logits without the class axis for the
   * softmax losses, the logits' shape for the sigmoid loss).
   */
  reduction?: TfReduction;
  /**
   * ε in [0, 1], tfjs's `labelSmoothing`: softmax losses use (1 − ε)·y + ε/C (as
   * `tf.losses.softmaxCrossEntropy` and PyTorch), the sigmoid loss (1 − ε)·y + ε/2 (as
   * `tf.losses.sigmoidCrossEntropy`). Default 0.
   */
  labelSmoothing?: number;
}

/** A loss `(labels, logits, options?) => loss`, labels first as in tfjs layers and `tf.losses`. */
export type TfLoss<T> = (labels: T, logits: T, options?: TfLossOptions) => T;

export interface SigmaxTfjsLosses<T> {
  /**
   * Softmax cross-entropy of logits (class axis last) against one-hot or probability labels of
   * the same shape: per row −Σ_c y_c·log softmax(z)_c, gradient wrt the logits (softmax(z) − y)
   * scaled by the reduction (÷ rows for 'mean') and by dy. Labels may be float32 or int32 (the
   * int32 that `tf.oneHot` gives) and are constants: no gradient flows to them.
   */
  softmaxCrossEntropy: TfLoss<T>;
  /**
   * Softmax cross-entropy of logits [..., C] against integer class ids, one per row (shape
   * [...] or [..., 1]; int32, or float32 holding integers): per row −log softmax(z)_t, gradient
   * (softmax(z) − onehot(t)) scaled as above. An id of −100 is ignored as in PyTorch (loss 0, no
   * gradient, left out of the mean); any other id outside [0, C), or a non-integer, throws a
   * SigmaxError (INVALID_TARGET) naming its position.
   */
  sparseSoftmaxCrossEntropy: TfLoss<T>;
  /**
   * Sigmoid (binary) cross-entropy of logits against labels in [0, 1] of the same shape,
   * elementwise: max(x, 0) − x·y + log1p(e^(−|x|)), gradient (σ(x) − y) scaled by the reduction
   * (÷ elements for 'mean', as `tf.losses.sigmoidCrossEntropy`) and by dy.
   */
  sigmoidCrossEntropy: TfLoss<T>;
}

const REDUCTIONS: readonly string[] = ['mean', 'sum', 'none'];

function readOptions(fn: string, options: TfLossOptions | undefined): { reduction: TfReduction; labelSmoothing: number } {
  const reduction = options?.reduction ?? 'mean';
  if (!REDUCTIONS.includes(reduction)) fail(fn, 'INVALID_OPTION', `reduction must be 'mean', 'sum' or 'none', got ${String(reduction)}`);
  const labelSmoothing = options?.labelSmoothing ?? 0;
  if (!(typeof labelSmoothing === 'number' && labelSmoothing >= 0 && labelSmoothing <= 1)) {
    fail(fn, 'INVALID_OPTION', `labelSmoothing must be a number in [0, 1], got ${String(labelSmoothing)}`);
  }
  return { reduction, labelSmoothing };
}

/** The logits' float32 values; other dtypes are refused rather than converted, as tfjs models compute in float32. */
function readLogits(fn: string, x: TfTensorLike): Float32Array {
  const data = x.dataSync();
  if (x.dtype !== 'float32' || !(data instanceof Float32Array)) fail(fn, 'DTYPE_MISMATCH', `logits must be a float32 tensor, got dtype ${x.dtype}`);
  return data;
}

/** Labels as float32 values (int32 and bool labels converted, as tfjs casts them). */
function readFloatLabels(fn: string, y: TfTensorLike): Float32Array {
  const data = y.dataSync();
  if (data instanceof Float32Array) return data;
  if (data instanceof Int32Array || data instanceof Uint8Array) return Float32Array.from(data);
  return fail(fn, 'DTYPE_MISMATCH', `labels must be a numeric tensor, got dtype ${y.dtype}`);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkSameShape(fn: string, labels: TfTensorLike, logits: TfTensorLike): void {
  if (!sameShape(labels.shape, logits.shape)) {
    fail(fn, 'SHAPE_MISMATCH', `labels shape [${labels.shape.join(', ')}] must equal logits shape [${logits.shape.join(', ')}]`);
  }
}

/**
 * The fused result as a tfjs op: the loss tensor now, and a gradient function that scales the
 * already computed gradient by dy. With dy = 1 (what tf.grad, variableGrads and tfjs layers pass
 * to a 'mean' or 'sum' loss) the gradient is sigmax's, rounded once; otherwise it is multiplied
 * by dy in float64 and rounded again (≤ 1 more ulp).
 */
function fusedOp<T extends TfTensorLike>(
  tf: TfjsLike<T>,
  logits: T,
  loss: number | Float32Array,
  lossShape: number[],
  grad: Float32Array,
  itemSize: number,
): T {
  const op = tf.customGrad(() => ({
    value: tf.tensor(typeof loss === 'number' ? Float32Array.of(loss) : loss, lossShape, 'float32'),
    gradFunc: (dy: T) => {
      const d = dy.dataSync() as ArrayLike<number>;
      let scaled = grad;
      if (d.length === 1 && d[0] !== 1) {
        const s = d[0];
        scaled = new Float32Array(grad.length);
        for (let i = 0; i < grad.length; i++) scaled[i] = grad[i] * s;
      } else if (d.length > 1) {
        scaled = new Float32Array(grad.length);
        for (let item = 0, i = 0; item < d.length; item++) {
          const s = d[item];
          for (const end = i + itemSize; i < end; i++) scaled[i] = grad[i] * s;
        }
      }
      return tf.tensor(scaled, [...logits.shape], 'float32');
    },
  }));
  return op(logits);
}

/**
 * The sigmax losses for a tfjs namespace. Each reads its tensors with `dataSync()`, runs
 * sigmax's fused loss-and-gradient in one pass (exact: the float32 result of the correctly
 * computed loss and gradient, whatever tfjs's own rounding), and returns a tfjs tensor whose
 * gradient, through `tf.customGrad`, is the gradient computed in that pass.
 *
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import { createLosses } from 'sigmax/tfjs';
 * const { softmaxCrossEntropy } = createLosses(tf);
 * model.add(tf.layers.dense({ units: 10 }));           // a linear last layer: it outputs logits
 * model.compile({ optimizer: 'adam', loss: softmaxCrossEntropy });
 * ```
 *
 * The losses take logits, not probabilities (unlike layers' 'categoricalCrossentropy', which
 * takes a softmax output and clips it to [1e−7, 1 − 1e−7]): end the model with a linear layer and
 * take `tf.softmax(model.predict(x))` where probabilities are wanted. Labels come first, as in
 * `loss(yTrue, yPred)` and `tf.losses.*`. The 'mean' default equals `tf.losses.softmaxCrossEntropy`
 * / `sigmoidCrossEntropy` with their default reduction, and layers takes the mean of whatever a
 * loss returns, so 'mean' and 'none' train the same. Labels are constants (like
 * `tf.stopGradient(labels)`): tf.grad wrt them is not defined, where tfjs's own softmax loss
 * returns dy·(y − p). `model.fit` checks targets against the output's shape for any loss but its
 * own 'sparseCategoricalCrossentropy', so use `sparseSoftmaxCrossEntropy` in custom loops
 * (`optimizer.minimize`) and one-hot labels with `fit`. Non-finite logits follow sigmax's
 * crossEntropy / binaryCrossEntropyWithLogits (a row with NaN or +∞ gives NaN); bad labels,
 * shapes, dtypes and options throw a SigmaxError.
 */
export function createLosses<T extends TfTensorLike>(tf: TfjsLike<T>): SigmaxTfjsLosses<T> {
  const softmaxLoss = (fn: string, sparse: boolean): TfLoss<T> => (labels, logits, options) => {
    const { reduction, labelSmoothing } = readOptions(fn, options);
    const shape = logits.shape;
    if (shape.length === 0) fail(fn, 'SHAPE_MISMATCH', 'logits must have a class axis (rank ≥ 1), got a scalar');
    const x = readLogits(fn, logits);
    const classes = shape[shape.length - 1];
    const rowsShape = shape.slice(0, -1);
    const input = { data: x, shape };
    let target;
    if (sparse) {
      const rows = classes === 0 ? 0 : x.length / classes;
      const ids = labels.dataSync() as ArrayLike<number>;
      if (ids.length !== rows || !(sameShape(labels.shape, rowsShape) || sameShape(labels.shape, [...rowsShape, 1]))) {
        fail(fn, 'SHAPE_MISMATCH', `labels shape [${labels.shape.join(', ')}] must be the logits shape without the class axis, [${rowsShape.join(', ')}] or [${[...rowsShape, 1].join(', ')}]`);
      }
      target = { data: toIds(fn, ids), shape: rowsShape };
    } else {
      checkSameShape(fn, labels, logits);
      const y = readFloatLabels(fn, labels);
      const ids = oneHotIds(y, classes);
      target = ids === null ? { data: y, shape } : { data: ids, shape: rowsShape };
    }
    const r = crossEntropyWithGrad(input, target, { reduction, labelSmoothing });
    const loss = reduction === 'none' ? (r.loss as { data: Float32Array }).data : (r.loss as number);
    return fusedOp(tf, logits, loss, reduction === 'none' ? [...rowsShape] : [], r.grad.data as Float32Array, classes);
  };

  const sigmoidCrossEntropy: TfLoss<T> = (labels, logits, options) => {
    const fn = 'tfjs.sigmoidCrossEntropy';
    const { reduction, labelSmoothing } = readOptions(fn, options);
    checkSameShape(fn, labels, logits);
    const x = readLogits(fn, logits);
    let y = readFloatLabels(fn, labels);
    if (labelSmoothing > 0) {
      // tfjs smooths in float32, y·(1 − ε) + 0.5·ε; Math.fround per step gives its bits.
      const eps = Math.fround(labelSmoothing);
      const keep = Math.fround(1 - eps);
      const half = Math.fround(0.5 * eps);
      const s = new Float32Array(y.length);
      for (let i = 0; i < y.length; i++) s[i] = Math.fround(y[i] * keep) + half;
      y = s;
    }
    const shape = logits.shape;
    const r = binaryCrossEntropyWithLogitsWithGrad({ data: x, shape }, { data: y, shape }, { reduction });
    const loss = reduction === 'none' ? (r.loss as { data: Float32Array }).data : (r.loss as number);
    return fusedOp(tf, logits, loss, reduction === 'none' ? [...shape] : [], r.grad.data as Float32Array, 1);
  };

  return {
    softmaxCrossEntropy: softmaxLoss('tfjs.softmaxCrossEntropy', false),
    sparseSoftmaxCrossEntropy: softmaxLoss('tfjs.sparseSoftmaxCrossEntropy', true),
    sigmoidCrossEntropy,
  };
}

/**
 * The class ids of one-hot labels (every row exactly one 1, the rest 0), or null for any other
 * labels. layers' fit always passes dense labels; sigmax's class-index path computes the same
 * loss and gradient (−log p_t, p − onehot(t), label smoothing included) without streaming the
 * labels through the kernel: at 512×1000, scan included, about 1.6× faster than the
 * probability-target path. The scan stops at the first row that is not one-hot (a −0 or a 0.5
 * anywhere sends the labels down the probability path, which gives the same loss).
 */
function oneHotIds(y: Float32Array, classes: number): Int32Array | null {
  if (classes === 0) return null;
  // Integer compares on the bits (0 and 0x3f800000 = 1.0f) scan faster than float compares.
  const bits = new Int32Array(y.buffer, y.byteOffset, y.length);
  const rows = y.length / classes;
  const ids = new Int32Array(rows);
  for (let r = 0, i = 0; r < rows; r++) {
    const start = i;
    const end = i + classes;
    let hot = -1;
    for (; i < end; i++) {
      const b = bits[i];
      if (b !== 0) {
        if (b !== 0x3f800000 || hot >= 0) return null;
        hot = i - start;
      }
    }
    if (hot < 0) return null;
    ids[r] = hot;
  }
  return ids;
}

/**
 * Class ids as an Int32Array (int32 labels pass as they are; float32 ones must hold integers,
 * which a float32 does exactly up to 2^24). The range [0, C) is sigmax's target check.
 */
function toIds(fn: string, ids: ArrayLike<number>): Int32Array {
  if (ids instanceof Int32Array) return ids;
  const out = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1) fail(fn, 'INVALID_TARGET', `target[${i}] = ${v} is not an integer class id`);
    out[i] = v;
  }
  return out;
}
