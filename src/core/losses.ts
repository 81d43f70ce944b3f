// What the losses share: reading targets, class weights and broadcast weights, the reduction
// options, the gradient scaling of each reduction, and the final mean/sum. Everything is validated
// before any kernel runs, so a thrown error leaves `out` untouched; targets the kernels could see
// change later (number[], Proxies, getters) are validated from a snapshot that the kernels then read.

import { fail, show } from './errors.js';
import { overlaps } from './alias.js';
import { checkOptions, enumOption, reductionOption, type Reduction } from './options.js';
import { type Arg, type FloatArray, type Input, type Out, type Result, INT_TAGS, checkShape, describe, isFloatArray, isTensorLike, makeResult, plainView, readArg, readFloatArray, sameShape, sizeOf, typedLength, typedTag } from './tensor.js';
import type { Broadcast, DDSum } from '../backend/kernels.js';
import { R, ddAdd, ddDiv } from '../reference/dd.js';

export interface ReductionOptions {
  /** 'mean' (default) and 'sum' return a number; 'none' the per-item losses. */
  reduction?: Reduction;
  /** What a mean over zero items (all targets ignored, or an empty batch) gives: 'nan' (PyTorch, default) or 'zero'. */
  emptyMean?: 'nan' | 'zero';
}

export interface LossOutOptions {
  /** Preallocated per-item losses for reduction 'none'. */
  out?: Out;
}

export interface BackwardOptions {
  /** The incoming gradient: a number for 'mean'/'sum' (default 1); for 'none' a number or an array of per-item shape. */
  gradOutput?: number | Input;
  /** Preallocated gradient (the input's dtype and size). */
  out?: Out;
}

export interface WithGradOptions extends BackwardOptions {
  /** Preallocated per-item losses for reduction 'none'. */
  lossOut?: Out;
}

/** What `…WithGrad` returns: the loss, its gradient wrt the input, and the mean's denominator. */
export interface LossWithGrad<L, G> {
  loss: L;
  grad: G;
  /**
   * The denominator 'mean' uses, whatever the reduction: Σ w_t over non-ignored targets for
   * class indices; the number of items for probability targets and binary losses. Combine
   * micro-batches exactly with mean = Σ sums / Σ weightSums.
   */
  weightSum: number;
}

export const INT_ARRAYS = [Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array] as const;
/** A genuine integer typed array (a Proxy or imitation of one is not). */
export const isIntArray = (x: unknown): boolean => {
  const t = typedTag(x);
  return t !== undefined && INT_TAGS.has(t);
};

export function parseReduction(fn: string, opts: ReductionOptions | undefined): { reduction: Reduction; emptyZero: boolean } {
  return {
    reduction: reductionOption(fn, opts?.reduction),
    emptyZero: enumOption(fn, 'emptyMean', opts?.emptyMean, 'nan', ['nan', 'zero']) === 'zero',
  };
}

export { checkOptions };

/** Class weights: one finite-or-not number per class, as a Float64Array. */
export function readClassWeight(fn: string, w: unknown, classes: number): Float64Array | null {
  if (w === undefined || w === null) return null;
  const a = readArg(fn, 'weight', w);
  if (a.data.length !== classes || a.shape.length !== 1) {
    fail(fn, 'SHAPE_MISMATCH', `weight has shape ${show(a.shape)}, expected [${classes}] (one weight per class)`);
  }
  return a.data instanceof Float64Array ? a.data : Float64Array.from(a.data);
}

/** A weight that broadcasts to `shape` by NumPy's rules (trailing dimensions aligned). */
export function readBroadcast(fn: string, name: string, w: unknown, shape: readonly number[]): Broadcast | null {
  if (w === undefined || w === null) return null;
  const a = readArg(fn, name, w);
  const ws = a.shape;
  if (ws.length > shape.length) {
    fail(fn, 'SHAPE_MISMATCH', `${name} of shape ${show(ws)} has more dimensions than the input's shape ${show(shape)}`);
  }
  const strides = new Array<number>(shape.length).fill(0);
  let stride = 1;
  for (let d = ws.length - 1; d >= 0; d--) {
    const sd = shape.length - ws.length + d;
    if (ws[d] !== 1 && ws[d] !== shape[sd]) {
      fail(fn, 'SHAPE_MISMATCH', `${name} of shape ${show(ws)} does not broadcast to the input's shape ${show(shape)} (dimension ${sd}: ${ws[d]} vs ${shape[sd]})`);
    }
    strides[sd] = ws[d] === 1 ? 0 : stride;
    stride *= ws[d];
  }
  return { data: a.data instanceof Float64Array ? a.data : Float64Array.from(a.data), strides, shape };
}

/**
 * Reads class-index targets for rows of shape `rowsShape`, validating every index (integer, in
 * [0, classes) or equal to ignoreIndex). Returns the indices, Σ w_t and the count over
 * non-ignored targets.
 */
export function readIndexTarget(
  fn: string,
  target: unknown,
  rowsShape: readonly number[],
  classes: number,
  ignoreIndex: number,
  w: Float64Array | null,
): { index: ArrayLike<number>; weightSum: number; count: number } {
  const rows = sizeOf(rowsShape);
  let index: ArrayLike<number>;
  if (typeof target === 'number') {
    if (rowsShape.length !== 0) {
      fail(fn, 'SHAPE_MISMATCH', `target is a single number, which needs 1-D logits, but the items have shape ${show(rowsShape)}; pass one target per item`);
    }
    index = [target];
  } else if (isIntArray(target)) {
    index = plainView(target as ArrayBufferView, typedTag(target) as string) as unknown as ArrayLike<number>;
    const len = typedLength(index as unknown as ArrayBufferView);
    if (len !== rows) {
      fail(fn, 'SHAPE_MISMATCH', `target has ${len} elements, expected ${rows} (one class index per item, items of shape ${show(rowsShape)})`);
    }
  } else if (Array.isArray(target)) {
    const len = target.length;
    if (len !== rows) {
      fail(fn, 'SHAPE_MISMATCH', `target has ${len} elements, expected ${rows} (one class index per item, items of shape ${show(rowsShape)})`);
    }
    index = snapshot(fn, 'target', target, rows, classes, ignoreIndex);
  } else if (isTensorLike(target)) {
    const d: unknown = target.data;
    if (!isIntArray(d)) {
      if (readFloatArray(fn, 'target.data', d) === undefined) {
        fail(fn, 'INVALID_TARGET', `target.data must be an integer typed array, got ${describe(d)}`);
      }
      fail(fn, 'INVALID_TARGET', 'target.data is a float array: probability targets need crossEntropy');
    }
    const data = plainView(d as ArrayBufferView, typedTag(d) as string) as unknown as ArrayLike<number>;
    const len = typedLength(data as unknown as ArrayBufferView);
    const shapeIn: unknown = target.shape;
    const shape = Array.isArray(shapeIn) && shapeIn.length === rowsShape.length ? checkShape(fn, 'target', shapeIn, len) : shapeIn;
    if (!Array.isArray(shape) || !sameShape(shape, rowsShape) || len !== rows) {
      fail(fn, 'SHAPE_MISMATCH', `target has shape ${show(shape)}, expected ${show(rowsShape)} (the input's shape without the class axis)`);
    }
    index = data;
  } else {
    if (readFloatArray(fn, 'target', target) !== undefined) fail(fn, 'INVALID_TARGET', 'target is a float array: probability targets need crossEntropy');
    return fail(fn, 'INVALID_TARGET', `target must hold class indices (a number, number[], integer typed array or {data, shape}), got ${describe(target)}`);
  }
  if (w === null && isIntArray(index)) {
    // integer typed targets without class weights: only the range to check, and Σ w_t = count
    let count = 0;
    for (let r = 0; r < rows; r++) {
      const t = index[r];
      if (t === ignoreIndex) continue;
      if (t < 0 || t >= classes) {
        fail(fn, 'INVALID_TARGET', `target[${r}] = ${t} is out of range for ${classes} classes (ignoreIndex = ${ignoreIndex})`);
      }
      count++;
    }
    return { index, weightSum: count, count };
  }
  let sh = 0;
  let sl = 0;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const t = index[r];
    if (t === ignoreIndex) continue;
    if (typeof t !== 'number' || !Number.isInteger(t)) {
      fail(fn, 'INVALID_TARGET', `target[${r}] = ${show(t)} is not an integer class index`);
    }
    if (t < 0 || t >= classes) {
      fail(fn, 'INVALID_TARGET', `target[${r}] = ${t} is out of range for ${classes} classes (ignoreIndex = ${ignoreIndex})`);
    }
    count++;
    ddAdd(sh, sl, w !== null ? w[t] : 1, 0);
    sh = R.hi;
    sl = R.lo;
  }
  return { index, weightSum: sh, count };
}

/**
 * Copies class indices given as a number[] (or a Proxy of one) into an Int32Array, reading each
 * element once and checking it (integer, in range or ignoreIndex), so the kernels read exactly
 * the values validated. A Float64Array holds them where ignoreIndex or the class count exceeds int32.
 */
function snapshot(fn: string, name: string, t: readonly unknown[], rows: number, classes: number, ignoreIndex: number): ArrayLike<number> {
  const out = ignoreIndex === (ignoreIndex | 0) && classes <= 2 ** 31 ? new Int32Array(rows) : new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const v: unknown = t[r];
    if (typeof v !== 'number' || !Number.isInteger(v)) fail(fn, 'INVALID_TARGET', `${name}[${r}] = ${show(v)} is not an integer class index`);
    if (v !== ignoreIndex && (v < 0 || v >= classes)) {
      fail(fn, 'INVALID_TARGET', `${name}[${r}] = ${v} is out of range for ${classes} classes (ignoreIndex = ${ignoreIndex})`);
    }
    out[r] = v;
  }
  return out;
}

/** True when a target value holds probabilities (a float array or float tensor) rather than indices. */
export function isProbabilityTarget(target: unknown): boolean {
  return isFloatArray(target) || (isTensorLike(target) && isFloatArray(target.data));
}

/** How the gradient of one row is scaled under a reduction. */
export interface GradScaling {
  gradScale: number;
  gradScales: FloatArray | null;
  gradDivisor: number;
}

export function readGradOutput(fn: string, reduction: Reduction, g: unknown, rowsShape: readonly number[], weightSum: number): GradScaling {
  const divisor = reduction === 'mean' ? weightSum : 1;
  if (g === undefined) return { gradScale: 1, gradScales: null, gradDivisor: divisor };
  if (typeof g === 'number') return { gradScale: g, gradScales: null, gradDivisor: divisor };
  if (reduction !== 'none') {
    fail(fn, 'INVALID_OPTION', `gradOutput must be a number for reduction '${reduction}', got ${describe(g)}`);
  }
  const a = readArg(fn, 'gradOutput', g);
  if (a.data.length !== sizeOf(rowsShape) || (a.kind === 'tensor' && !sameShape(a.shape, rowsShape))) {
    fail(fn, 'SHAPE_MISMATCH', `gradOutput has shape ${show(a.shape)}, expected ${show(rowsShape)} (one value per item)`);
  }
  return { gradScale: 1, gradScales: a.data, gradDivisor: 1 };
}

/** The reduced loss from the kernel's double-double sum. */
export function reduce(reduction: Reduction, emptyZero: boolean, tot: DDSum, weightSum: number, count: number): number {
  if (reduction === 'sum') return tot.hi;
  if (count === 0) return emptyZero ? 0 : NaN;
  ddDiv(tot.hi, tot.lo, weightSum, 0);
  return R.hi;
}

/** Result arrays of a loss call, prepared (and checked) before any kernel runs. */
export function prepareOutputs(
  fn: string,
  input: Arg,
  dtype: 'float32' | 'float64',
  rowsShape: readonly number[],
  reduction: Reduction,
  wantLoss: boolean,
  wantGrad: boolean,
  lossOut: Out | undefined,
  gradOut: Out | undefined,
): { loss: Result | null; grad: Result | null } {
  const loss = wantLoss && reduction === 'none' ? makeResult(fn, input, dtype, rowsShape, lossOut) : null;
  const grad = wantGrad ? makeResult(fn, input, dtype, input.shape, gradOut) : null;
  if (loss !== null && grad !== null && overlaps(loss.data, grad.data)) {
    fail(fn, 'INVALID_OPTION', 'lossOut and out must not share memory (both are written)');
  }
  return { loss, grad };
}
