// What the losses share: reading targets, class weights and broadcast weights, the reduction
// options, the gradient scaling of each reduction, and the final mean/sum. Everything is validated
// before any kernel runs, so a thrown error leaves `out` untouched; targets the kernels could see
// change later (number[], Proxies, getters) are validated from a snapshot that the kernels then read.

import { fail, show } from './errors.js';
import { overlaps } from './alias.js';
import { checkOptions, enumOption, reductionOption, type Reduction } from './options.js';
import { type Arg, type FloatArray, type Input, type Out, type Result, INT_TAGS, MAX_RANK, checkShape, describe, describeForeign, isFloatArray, isTensorLike, isTfjsTensor, makeResult, nestedShape, plainView, readArg, readFloatArray, sameShape, sizeOf, tensorShape, tensorType, tfjsData, tfjsDtype, typedLength, typedTag, walkNested } from './tensor.js';
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

/**
 * A weight that broadcasts to `shape` by NumPy's rules (trailing dimensions aligned). A plain
 * number is a 0-d tensor, which broadcasts everywhere (PyTorch's scalar weight and pos_weight).
 */
export function readBroadcast(fn: string, name: string, w: unknown, shape: readonly number[]): Broadcast | null {
  if (w === undefined || w === null) return null;
  if (typeof w === 'number') return { data: Float64Array.of(w), strides: new Array<number>(shape.length).fill(0), shape };
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
 * non-ignored targets. Every form of readIndices is taken.
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
  const t = readIndices(fn, 'target', target, classes, ignoreIndex);
  const index = t.index;
  if (t.form === 'number') {
    if (rowsShape.length !== 0) {
      fail(fn, 'SHAPE_MISMATCH', `target is a single number, which needs 1-D logits, but the items have shape ${show(rowsShape)}; pass one target per item`);
    }
  } else if (t.form === 'flat') {
    if (t.length !== rows) {
      // An integer-valued number[] of the logits' size is indices by PyTorch's dtype inference; say so.
      const hint = Array.isArray(target) && t.length === rows * classes && t.length > 0
        ? '; its values are all integers, so it is read as class indices — probability targets with integer values (one-hot rows) must be a Float32Array, Float64Array or float tensor'
        : '';
      fail(fn, 'SHAPE_MISMATCH', `target has ${t.length} elements, expected ${rows} (one class index per item, items of shape ${show(rowsShape)})${hint}`);
    }
  } else {
    const shapeIn = t.shape;
    const shape = Array.isArray(shapeIn) && shapeIn.length === rowsShape.length ? checkShape(fn, 'target', shapeIn, t.length, t.field) : shapeIn;
    if (!Array.isArray(shape) || !sameShape(shape, rowsShape) || t.length !== rows) {
      fail(fn, 'SHAPE_MISMATCH', `target has shape ${show(shape)}, expected ${show(rowsShape)} (the input's shape without the class axis)`);
    }
  }
  if (w === null && (t.checked || isIntArray(index))) {
    // integer targets without class weights: only the range to check (a snapshot did it already), and Σ w_t = count
    let count = 0;
    for (let r = 0; r < rows; r++) {
      const v = index[r];
      if (v === ignoreIndex) continue;
      if (v < 0 || v >= classes) {
        fail(fn, 'INVALID_TARGET', `target[${r}] = ${v} is out of range for ${classes} classes (ignoreIndex = ${ignoreIndex})`);
      }
      count++;
    }
    return { index, weightSum: count, count };
  }
  let sh = 0;
  let sl = 0;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const v = index[r];
    if (v === ignoreIndex) continue;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      fail(fn, 'INVALID_TARGET', `target[${r}] = ${show(v)} is not an integer class index`);
    }
    if (v < 0 || v >= classes) {
      fail(fn, 'INVALID_TARGET', `target[${r}] = ${v} is out of range for ${classes} classes (ignoreIndex = ${ignoreIndex})`);
    }
    count++;
    ddAdd(sh, sl, w !== null ? w[v] : 1, 0);
    sh = R.hi;
    sl = R.lo;
  }
  return { index, weightSum: sh, count };
}

/** Class indices as read: the values (validated against the range) and how they were shaped. */
export interface Indices {
  index: ArrayLike<number>;
  /** 'number': one index; 'flat': a flat array (typed or number[]), whose length alone is checked; 'shaped': a tensor or nested array with its own shape. */
  form: 'number' | 'flat' | 'shaped';
  length: number;
  /** The shape as given, for 'shaped' (read once; checked by the caller against the expected one). */
  shape?: unknown;
  /** Where a tensor's shape came from, for messages. */
  field?: 'shape' | 'dims';
  /** Whether the values still need their integer and range check (false: a snapshot already did it). */
  checked: boolean;
}

const BIGINT_TAGS = new Set(['BigInt64Array', 'BigUint64Array']);

/**
 * Reads class indices in any form sigmax takes: a number; a number[] (nested to any depth); an
 * integer typed array; a BigInt64Array or BigUint64Array (token ids as onnxruntime and
 * transformers.js hold them); `{ data, shape }` or `{ data, dims }` of integer data (onnxruntime
 * and transformers.js 'int64', 'int32', … tensors); an int32 TensorFlow.js tensor. number[] and
 * 64-bit values are snapshotted, each value read once and checked exactly (a 64-bit id is
 * compared as a BigInt, so 2^53 + 1 is rejected, never rounded into range); integer typed arrays
 * are read in place and checked by the caller. Float forms throw INVALID_TARGET.
 */
export function readIndices(fn: string, name: string, target: unknown, classes: number, ignoreIndex: number): Indices {
  if (typeof target === 'number') return { index: [target], form: 'number', length: 1, checked: false };
  const tag = typedTag(target);
  if (tag !== undefined && INT_TAGS.has(tag)) {
    const index = plainView(target as ArrayBufferView, tag) as unknown as ArrayLike<number>;
    return { index, form: 'flat', length: typedLength(index as unknown as ArrayBufferView), checked: false };
  }
  if (tag !== undefined && BIGINT_TAGS.has(tag)) {
    const index = bigSnapshot(fn, name, target as BigInt64Array, classes, ignoreIndex);
    return { index, form: 'flat', length: index.length, checked: true };
  }
  if (Array.isArray(target)) {
    const { shape, firsts } = nestedShape(fn, name, target);
    const out = indexArray(sizeOf(shape), classes, ignoreIndex);
    let k = 0;
    walkNested(fn, name, target, shape, firsts, (v, at) => {
      if (typeof v !== 'number' || !Number.isInteger(v)) fail(fn, 'INVALID_TARGET', `${at} = ${show(v)} is not an integer class index`);
      if (v !== ignoreIndex && (v < 0 || v >= classes)) {
        fail(fn, 'INVALID_TARGET', classes === Infinity ? `${at} = ${v} is not a class index (an integer ≥ 0, or ignoreIndex = ${ignoreIndex})` : `${at} = ${v} is out of range for ${classes} classes (ignoreIndex = ${ignoreIndex})`);
      }
      out[k++] = v;
    });
    return shape.length === 1 ? { index: out, form: 'flat', length: out.length, checked: true } : { index: out, form: 'shaped', length: out.length, shape, checked: true };
  }
  if (isTfjsTensor(target)) {
    const dtype = tfjsDtype(fn, name, target);
    if (dtype !== 'int32') {
      fail(fn, 'INVALID_TARGET', `${name} is a tfjs tensor of dtype '${dtype}'; class indices need an int32 tfjs tensor${dtype === 'float32' ? ' (float32 targets are probabilities, which need crossEntropy)' : ''}`);
    }
    const d = tfjsData(fn, name, target);
    if (typedTag(d) !== 'Int32Array') fail(fn, 'INVALID_TARGET', `${name} is an int32 tfjs tensor whose dataSync() gave ${describe(d)}`);
    const index = plainView(d as Int32Array, 'Int32Array');
    return { index, form: 'shaped', length: typedLength(index), shape: target.shape, checked: false };
  }
  if (isTensorLike(target)) {
    const type = tensorType(target);
    let d: unknown;
    try {
      d = target.data;
    } catch (e) {
      return fail(fn, 'INVALID_TARGET', `${name}.data of ${describeForeign(target, type)} cannot be read (${e instanceof Error ? e.message : String(e)}); download it to the CPU first`);
    }
    const { shape, field } = tensorShape(target);
    const dtag = typedTag(d);
    let index: ArrayLike<number>;
    let checked = false;
    if (dtag !== undefined && INT_TAGS.has(dtag) && !(type !== undefined && /float/.test(type))) {
      index = plainView(d as ArrayBufferView, dtag) as unknown as ArrayLike<number>;
    } else if (dtag !== undefined && BIGINT_TAGS.has(dtag)) {
      index = bigSnapshot(fn, `${name}.data`, d as BigInt64Array, classes, ignoreIndex);
      checked = true;
    } else if (isFloatArray(d) || dtag === 'Float16Array' || (type !== undefined && /float/.test(type))) {
      return fail(fn, 'INVALID_TARGET', `${name}.data is a float array: probability targets need crossEntropy`);
    } else {
      return fail(fn, 'INVALID_TARGET', `${name}.data must be an integer typed array${type !== undefined ? ` (${name} is ${describeForeign(target, type)})` : ''}, got ${describe(d)}`);
    }
    return { index, form: 'shaped', length: typedLength(index as unknown as ArrayBufferView), shape, field, checked };
  }
  if (readFloatArray(fn, name, target) !== undefined || tag === 'Float16Array') fail(fn, 'INVALID_TARGET', `${name} is a float array: probability targets need crossEntropy`);
  return fail(fn, 'INVALID_TARGET', `${name} must hold class indices (a number, number[], integer typed array or {data, shape}), got ${describe(target)}`);
}

/** An array for validated indices: Int32Array where every valid value fits, else Float64Array. */
function indexArray(n: number, classes: number, ignoreIndex: number): Int32Array | Float64Array {
  return ignoreIndex === (ignoreIndex | 0) && classes <= 2 ** 31 ? new Int32Array(n) : new Float64Array(n);
}

/**
 * Copies 64-bit class indices into numbers, each compared as a BigInt before conversion: in
 * [0, classes) or equal to ignoreIndex (classes = ∞: any id below 2^53), so no id outside the
 * range can round into it.
 */
function bigSnapshot(fn: string, name: string, t: BigInt64Array | BigUint64Array, classes: number, ignoreIndex: number): Int32Array | Float64Array {
  const view = plainView(t, typedTag(t) as string) as ArrayLike<bigint>;
  const n = typedLength(t);
  const out = indexArray(n, Math.min(classes, 2 ** 53), ignoreIndex);
  const ignore = BigInt(ignoreIndex);
  const limit = classes === Infinity ? 2n ** 53n : BigInt(classes);
  for (let r = 0; r < n; r++) {
    const v = view[r];
    if (v === ignore) {
      out[r] = ignoreIndex;
      continue;
    }
    if (v < 0n || v >= limit) {
      fail(fn, 'INVALID_TARGET', classes === Infinity
        ? `${name}[${r}] = ${v} is not a class index (an integer in [0, 2^53), or ignoreIndex = ${ignoreIndex})`
        : `${name}[${r}] = ${v} is out of range for ${classes} classes (ignoreIndex = ${ignoreIndex})`);
    }
    out[r] = Number(v);
  }
  return out;
}

/**
 * True when a target holds probabilities rather than class indices, by PyTorch's rule (a float
 * tensor is probabilities, an integer one indices): a float or 16-bit float array, tensor or tfjs
 * tensor. A number[] (flat or nested) follows torch.tensor's dtype inference — probabilities when
 * some value is not an integer — and only where it has `inputSize` values (the logits' size);
 * otherwise it is read, and checked, as class indices.
 */
export function isProbabilityTarget(target: unknown, inputSize?: number): boolean {
  const tag = typedTag(target);
  if (tag !== undefined) return tag === 'Float32Array' || tag === 'Float64Array' || tag === 'Float16Array';
  if (isTfjsTensor(target)) return target.dtype === 'float32';
  if (isTensorLike(target)) {
    const type = tensorType(target);
    if (type !== undefined) return /float/.test(type);
    const d = typedTag(target.data);
    return d === 'Float32Array' || d === 'Float64Array' || d === 'Float16Array';
  }
  if (Array.isArray(target) && inputSize !== undefined) return hasFraction(target, inputSize);
  return false;
}

/**
 * A plain copy of (nested) arrays, each length and element read once, so that deciding what a
 * number[] target is and then reading it see the same values (a Proxy or getter cannot change in
 * between). Deeper than MAX_RANK the arrays are left as they are (nestedShape refuses them).
 */
export function copyNested(x: readonly unknown[], depth = 0): unknown[] {
  const n = x.length;
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const v: unknown = x[i];
    out[i] = Array.isArray(v) && depth < MAX_RANK ? copyNested(v, depth + 1) : v;
  }
  return out;
}

/** Whether nested number arrays of `size` leaves hold a value that is not an integer (NaN and ±∞ included); false for another size. */
function hasFraction(x: readonly unknown[], size: number): boolean {
  let leaves = 0;
  let frac = false;
  const scan = (a: readonly unknown[], depth: number): void => {
    if (depth > MAX_RANK) return;
    for (let i = 0; i < a.length && leaves <= size; i++) {
      const v: unknown = a[i];
      if (Array.isArray(v)) scan(v, depth + 1);
      else {
        leaves++;
        if (typeof v === 'number' && !Number.isInteger(v)) frac = true;
      }
    }
  };
  scan(x, 0);
  return frac && leaves === size;
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
