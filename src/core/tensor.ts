// Data model: the Tensor type, its constructor, and how op arguments are read and results made.
// Invariants: inputs are never written; a result mirrors its first argument (Tensor in, Tensor
// out; typed array in, same typed array out; number[] in, Float64Array out).

import { fail, show } from './errors.js';

export type FloatArray = Float32Array | Float64Array;
export type IntArray = Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/** A row-major, contiguous array of floats with a shape. */
export interface Tensor<A extends FloatArray = FloatArray> {
  readonly data: A;
  readonly shape: readonly number[];
}

/** What every op accepts: a Tensor, or a flat array that is read as a 1-D tensor. */
export type Input = Tensor | FloatArray | readonly number[];

/** A preallocated result: a typed array of the result's dtype and size, or a Tensor around one. */
export type Out = FloatArray | Tensor;

/** The result type of an op given its input type (Tensor → Tensor, typed array → same, number[] → Float64Array). */
export type Output<X> = X extends Tensor<infer A> ? Tensor<A> : X extends FloatArray ? X : Float64Array;

export function isFloatArray(x: unknown): x is FloatArray {
  return x instanceof Float64Array || x instanceof Float32Array;
}

export function isTensorLike(x: unknown): x is { data: unknown; shape: unknown } {
  return typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) && !Array.isArray(x) && 'data' in x && 'shape' in x;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** Checks that `shape` is a list of non-negative integers whose product is `length`. */
export function checkShape(fn: string, name: string, shape: unknown, length: number): readonly number[] {
  if (!Array.isArray(shape)) fail(fn, 'SHAPE_MISMATCH', `${name}.shape must be an array of non-negative integers, got ${typeof shape}`);
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i];
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      fail(fn, 'SHAPE_MISMATCH', `${name}.shape[${i}] = ${show(d)} is not a non-negative integer`);
    }
  }
  const n = sizeOf(shape);
  if (n !== length) {
    fail(fn, 'SHAPE_MISMATCH', `${name}.shape ${show(shape)} holds ${n} elements but ${name}.data has ${length}`);
  }
  return shape;
}

/**
 * Wraps a Float32Array or Float64Array as a tensor of the given shape (default: 1-D).
 * Throws SHAPE_MISMATCH when the shape's product differs from data.length.
 */
export function tensor<A extends FloatArray>(data: A, shape?: readonly number[]): Tensor<A> {
  if (!isFloatArray(data)) {
    fail('tensor', 'DTYPE_MISMATCH', `data must be a Float32Array or Float64Array, got ${describe(data)}`);
  }
  const s = shape === undefined ? [data.length] : [...checkShape('tensor', 'data', shape, data.length)];
  return Object.freeze({ data, shape: Object.freeze(s) });
}

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'number[]';
  if (ArrayBuffer.isView(x)) return x.constructor.name;
  if (isTensorLike(x)) return 'a tensor-like object';
  return typeof x;
}

/** An op argument after reading: its data, shape and how it was given. */
export interface Arg {
  data: FloatArray;
  shape: readonly number[];
  kind: 'tensor' | 'typed' | 'array';
  /** The plain array it came from, when kind is 'array' (converted once the dtype is known). */
  plain?: readonly number[];
}

/** Reads a float argument: a Tensor, a Float32Array/Float64Array, or a number[]. */
export function readArg(fn: string, name: string, x: unknown): Arg {
  if (isFloatArray(x)) return { data: x, shape: [x.length], kind: 'typed' };
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      if (typeof x[i] !== 'number') fail(fn, 'DTYPE_MISMATCH', `${name}[${i}] is ${describe(x[i])}, expected a number`);
    }
    return { data: Float64Array.from(x as number[]), shape: [x.length], kind: 'array', plain: x };
  }
  if (isTensorLike(x)) {
    if (!isFloatArray(x.data)) {
      fail(fn, 'DTYPE_MISMATCH', `${name}.data is ${describe(x.data)}, expected Float32Array or Float64Array`);
    }
    return { data: x.data, shape: checkShape(fn, name, x.shape, x.data.length), kind: 'tensor' };
  }
  return fail(fn, 'DTYPE_MISMATCH', `${name} must be a Tensor, Float32Array, Float64Array or number[], got ${describe(x)}`);
}

export type Dtype = 'float32' | 'float64';
export const dtypeOf = (a: FloatArray): Dtype => (a instanceof Float32Array ? 'float32' : 'float64');

/**
 * Brings arguments to one dtype: typed arguments (and `out`) must agree; number[] arguments
 * follow them (Float64Array when nothing else decides). Returns the common dtype.
 */
export function unifyDtype(fn: string, names: readonly string[], args: Arg[], out?: Out): Dtype {
  let dtype: Dtype | undefined;
  let from = '';
  for (let i = 0; i < args.length; i++) {
    if (args[i].kind === 'array') continue;
    const d = dtypeOf(args[i].data);
    if (dtype === undefined) {
      dtype = d;
      from = names[i];
    } else if (d !== dtype) {
      fail(fn, 'DTYPE_MISMATCH', `${names[i]} is ${ctor(d)} but ${from} is ${ctor(dtype)}; pass them in one dtype`);
    }
  }
  if (out !== undefined) {
    const od = outData(fn, out);
    const d = dtypeOf(od);
    if (dtype === undefined) dtype = d;
    else if (d !== dtype) fail(fn, 'DTYPE_MISMATCH', `out is ${ctor(d)} but ${from} is ${ctor(dtype)}; out must have the result's dtype`);
  }
  const dt = dtype ?? 'float64';
  if (dt === 'float32') {
    for (const a of args) if (a.kind === 'array') a.data = Float32Array.from(a.plain as number[]);
  }
  return dt;
}

const ctor = (d: Dtype) => (d === 'float32' ? 'Float32Array' : 'Float64Array');

function outData(fn: string, out: Out): FloatArray {
  if (isFloatArray(out)) return out;
  if (isTensorLike(out) && isFloatArray(out.data)) return out.data;
  return fail(fn, 'DTYPE_MISMATCH', `out must be a Float32Array, Float64Array or Tensor, got ${describe(out)}`);
}

/** Where a result goes and how it is returned. */
export interface Result {
  data: FloatArray;
  wrap(): unknown;
}

/**
 * Prepares the result of an op: uses `out` when given (checking its dtype and size) or allocates
 * one; `wrap()` returns it in the container kind of `like` (a Tensor when `like` was one).
 */
export function makeResult(fn: string, like: Arg, dtype: Dtype, shape: readonly number[], out?: Out): Result {
  const n = sizeOf(shape);
  let data: FloatArray;
  let outTensor: Tensor | undefined;
  if (out !== undefined) {
    data = outData(fn, out);
    if (dtypeOf(data) !== dtype) fail(fn, 'DTYPE_MISMATCH', `out is ${ctor(dtypeOf(data))}, expected ${ctor(dtype)}`);
    if (data.length !== n) {
      fail(fn, 'SHAPE_MISMATCH', `out has ${data.length} elements, expected ${n} for a result of shape ${show(shape)}`);
    }
    if (!isFloatArray(out)) outTensor = out as Tensor;
  } else {
    data = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  }
  return {
    data,
    wrap() {
      if (like.kind !== 'tensor') return data;
      if (outTensor !== undefined && sameShape(outTensor.shape, shape)) return outTensor;
      return tensor(data, shape);
    },
  };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Checks that a second argument has the first one's shape. A flat array (typed or number[]) of
 * the right length takes the other's shape.
 */
export function matchShape(fn: string, name: string, a: Arg, otherName: string, other: Arg): void {
  if (sameShape(a.shape, other.shape)) return;
  if (a.kind !== 'tensor' && a.data.length === other.data.length) {
    a.shape = other.shape;
    return;
  }
  if (other.kind !== 'tensor' && a.data.length === other.data.length) {
    other.shape = a.shape;
    return;
  }
  fail(fn, 'SHAPE_MISMATCH', `${name} has shape ${show(a.shape)} but ${otherName} has shape ${show(other.shape)}`);
}
