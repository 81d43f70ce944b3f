// Data model: the Tensor type, its constructor, and how op arguments are read and results made.
// Invariants: inputs are never written; a result mirrors its first argument (Tensor in, Tensor
// out; typed array in, same typed array out; number[] in, Float64Array out). Every user object
// is read once, with the intrinsic TypedArray getters, so kernels see exactly what was validated.

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

// The %TypedArray% prototype's own getters: they read the internal slots, so an own or inherited
// `length` that lies, or a Proxy, cannot change what they report (a Proxy makes them throw or,
// for the tag, answer undefined).
const TYPED_PROTO = Object.getPrototypeOf(Int8Array.prototype) as object;
const intrinsic = (key: PropertyKey) => Object.getOwnPropertyDescriptor(TYPED_PROTO, key)?.get as (this: unknown) => unknown;
const TAG = intrinsic(Symbol.toStringTag);
const LENGTH = intrinsic('length');
const BYTE_OFFSET = intrinsic('byteOffset');
const BUFFER = intrinsic('buffer');

/** The typed array's kind ('Float32Array', 'Int32Array', …) when x is a genuine typed array; otherwise undefined. */
export function typedTag(x: unknown): string | undefined {
  return typeof x === 'object' && x !== null ? (TAG.call(x) as string | undefined) : undefined;
}

/** The true element count of a genuine typed array (its internal slot, not a `length` property). */
export function typedLength(x: ArrayBufferView): number {
  return LENGTH.call(x) as number;
}

const FLOAT_TAGS = new Set(['Float32Array', 'Float64Array']);
export const INT_TAGS = new Set(['Int32Array', 'Uint32Array', 'Int16Array', 'Uint16Array', 'Int8Array', 'Uint8Array']);
const CTORS: Record<string, new (b: ArrayBufferLike, o: number, n: number) => ArrayBufferView> = {
  Float32Array, Float64Array, Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array,
};
/** Properties a kernel may use; an own property of one of these names on a typed array shadows the real one. */
const SHADOWABLE = ['length', 'byteOffset', 'byteLength', 'buffer', 'subarray', 'set', 'fill', 'constructor'];

/**
 * A genuine typed array of this realm with nothing shadowed: `x` itself when it is plain (the
 * usual case, no copy), otherwise a fresh view of the same memory read through the intrinsic
 * getters (a subclass, an own `length`, another realm's array).
 */
export function plainView<A extends ArrayBufferView>(x: A, tag: string): A {
  const C = CTORS[tag];
  if (Object.getPrototypeOf(x) === C.prototype && !SHADOWABLE.some((k) => Object.prototype.hasOwnProperty.call(x, k))) return x;
  return new C(BUFFER.call(x) as ArrayBufferLike, BYTE_OFFSET.call(x) as number, LENGTH.call(x) as number) as A;
}

export function isFloatArray(x: unknown): x is FloatArray {
  const t = typedTag(x);
  return t !== undefined && FLOAT_TAGS.has(t);
}

/** True for an object that claims to be a typed array (instanceof, or ArrayBuffer.isView) but is not a genuine one: a Proxy or an imitation. */
function isImitation(x: unknown): boolean {
  if (typeof x !== 'object' || x === null || typedTag(x) !== undefined) return false;
  return x instanceof Object.getPrototypeOf(Int8Array) || ArrayBuffer.isView(x);
}

/** Reads a Float32Array/Float64Array argument: a plain view of it, or a SigmaxError naming `name` for a Proxy or imitation. */
export function readFloatArray(fn: string, name: string, x: unknown): FloatArray | undefined {
  const t = typedTag(x);
  if (t !== undefined && FLOAT_TAGS.has(t)) return plainView(x as FloatArray, t);
  if (isImitation(x)) fail(fn, 'DTYPE_MISMATCH', `${name} is a Proxy or an imitation of a typed array, not a genuine ${describeClaim(x)}; pass the typed array itself`);
  return undefined;
}

function describeClaim(x: unknown): string {
  try {
    return x instanceof Float32Array ? 'Float32Array' : x instanceof Float64Array ? 'Float64Array' : 'typed array';
  } catch {
    return 'typed array';
  }
}

export function isTensorLike(x: unknown): x is { data: unknown; shape: unknown } {
  return typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) && !Array.isArray(x) && 'data' in x && 'shape' in x;
}

/** The number of elements; 0 whenever a dimension is 0 (even where the others' product overflows to ∞). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 0) return 0;
    n *= shape[i];
  }
  return n;
}

/**
 * Checks that `shape` is a list of non-negative integers whose product is `length`, and returns
 * a frozen copy: each dimension is read once, so a Proxy or getter cannot change it afterwards.
 */
export function checkShape(fn: string, name: string, shape: unknown, length: number): readonly number[] {
  if (!Array.isArray(shape)) fail(fn, 'SHAPE_MISMATCH', `${name}.shape must be an array of non-negative integers, got ${typeof shape}`);
  const rank = shape.length;
  if (!(rank <= MAX_RANK)) fail(fn, 'SHAPE_MISMATCH', `${name}.shape has ${rank} dimensions, more than the ${MAX_RANK} allowed`);
  const copy = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const d: unknown = shape[i];
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      fail(fn, 'SHAPE_MISMATCH', `${name}.shape[${i}] = ${show(d)} is not a non-negative integer`);
    }
    copy[i] = d;
  }
  shape = Object.freeze(copy);
  const n = sizeOf(shape as number[]);
  if (n !== length) {
    fail(fn, 'SHAPE_MISMATCH', `${name}.shape ${show(shape)} holds ${n} elements but ${name}.data has ${length}`);
  }
  return shape as readonly number[];
}

/** More dimensions than any real tensor has; a longer shape is junk (and would be slow to read). */
export const MAX_RANK = 64;

/**
 * Wraps a Float32Array or Float64Array as a tensor of the given shape (default: 1-D).
 * Throws SHAPE_MISMATCH when the shape's product differs from data.length.
 */
export function tensor<A extends FloatArray>(data: A, shape?: readonly number[]): Tensor<A> {
  if (readFloatArray('tensor', 'data', data) === undefined) {
    fail('tensor', 'DTYPE_MISMATCH', `data must be a Float32Array or Float64Array, got ${describe(data)}`);
  }
  const n = typedLength(data);
  const s = shape === undefined ? [n] : [...checkShape('tensor', 'data', shape, n)];
  return Object.freeze({ data, shape: Object.freeze(s) });
}

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'number[]';
  const tag = typedTag(x);
  if (tag !== undefined) return tag;
  if (ArrayBuffer.isView(x)) return 'DataView';
  if (isTensorLike(x)) return 'a tensor-like object';
  return typeof x;
}

/** An op argument after reading: its data, shape and how it was given. */
export interface Arg {
  data: FloatArray;
  shape: readonly number[];
  kind: 'tensor' | 'typed' | 'array';
  /** The values of a number[] argument as read (a float64 copy), converted once the dtype is known. */
  plain?: readonly number[];
}

/** Reads a float argument: a Tensor, a Float32Array/Float64Array, or a number[]. */
export function readArg(fn: string, name: string, x: unknown): Arg {
  const typed = readFloatArray(fn, name, x);
  if (typed !== undefined) return { data: typed, shape: [typedLength(typed)], kind: 'typed' };
  if (Array.isArray(x)) {
    // One read per element, into a copy: a Proxy or getter cannot change a value after its check.
    const n = x.length;
    const data = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v: unknown = x[i];
      if (typeof v !== 'number') fail(fn, 'DTYPE_MISMATCH', `${name}[${i}] is ${describe(v)}, expected a number`);
      data[i] = v;
    }
    return { data, shape: [n], kind: 'array', plain: data as unknown as readonly number[] };
  }
  if (isTensorLike(x)) {
    const d: unknown = x.data;
    const data = readFloatArray(fn, `${name}.data`, d);
    if (data === undefined) {
      fail(fn, 'DTYPE_MISMATCH', `${name}.data is ${describe(d)}, expected Float32Array or Float64Array`);
    }
    return { data, shape: checkShape(fn, name, x.shape, typedLength(data)), kind: 'tensor' };
  }
  return fail(fn, 'DTYPE_MISMATCH', `${name} must be a Tensor, Float32Array, Float64Array or number[], got ${describe(x)}`);
}

export type Dtype = 'float32' | 'float64';
export const dtypeOf = (a: FloatArray): Dtype => (typedTag(a) === 'Float32Array' ? 'float32' : 'float64');

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
    for (const a of args) if (a.kind === 'array') a.data = Float32Array.from(a.plain as ArrayLike<number>);
  }
  return dt;
}

const ctor = (d: Dtype) => (d === 'float32' ? 'Float32Array' : 'Float64Array');

function outData(fn: string, out: Out): FloatArray {
  const typed = readFloatArray(fn, 'out', out);
  if (typed !== undefined) return typed;
  if (isTensorLike(out)) {
    const data = readFloatArray(fn, 'out.data', out.data);
    if (data !== undefined) return data;
  }
  return fail(fn, 'DTYPE_MISMATCH', `out must be a Float32Array, Float64Array or Tensor, got ${describe(out)}`);
}

/** The most elements a result may have: the engine's limit on a typed array's length (2^32 in Node 20). */
export const MAX_ELEMENTS = 2 ** 32;

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
  // The caller's own `out` array, returned as given even where the kernels write through a plain view of it.
  let ret: FloatArray | undefined;
  if (out !== undefined) {
    data = outData(fn, out);
    if (dtypeOf(data) !== dtype) fail(fn, 'DTYPE_MISMATCH', `out is ${ctor(dtypeOf(data))}, expected ${ctor(dtype)}`);
    const len = typedLength(data);
    if (len !== n) {
      fail(fn, 'SHAPE_MISMATCH', `out has ${len} elements, expected ${n} for a result of shape ${show(shape)}`);
    }
    if (!isTensorLike(out)) ret = out as FloatArray;
    else outTensor = out as Tensor;
  } else {
    if (!(n <= MAX_ELEMENTS)) fail(fn, 'SHAPE_MISMATCH', `the result of shape ${show(shape)} would have ${n} elements, more than the ${MAX_ELEMENTS} a typed array can hold`);
    data = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  }
  const mine = data;
  return {
    data,
    wrap() {
      if (like.kind !== 'tensor') return ret ?? mine;
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
  if (a.kind !== 'tensor' && typedLength(a.data) === typedLength(other.data)) {
    a.shape = other.shape;
    return;
  }
  if (other.kind !== 'tensor' && typedLength(a.data) === typedLength(other.data)) {
    other.shape = a.shape;
    return;
  }
  fail(fn, 'SHAPE_MISMATCH', `${name} has shape ${show(a.shape)} but ${otherName} has shape ${show(other.shape)}`);
}
