// Data model: the Tensor type, its constructor, and how op arguments are read and results made.
// Invariants: inputs are never written; a result mirrors its first argument (Tensor in, Tensor
// out; typed array in, same typed array out; number[] in, Float64Array out). Every user object
// is read once, with the intrinsic TypedArray getters, so kernels see exactly what was validated.
// Foreign tensors (onnxruntime/transformers.js { data, dims, type }, TensorFlow.js), 16-bit floats
// and nested arrays are read into sigmax's own arrays here, so kernels only ever see Float32/64.

import { fail, show } from './errors.js';
import { type HalfDtype, decodeHalf, encodeHalf } from './float16.js';

export type FloatArray = Float32Array | Float64Array;
export type IntArray = Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/** A row-major, contiguous array of floats with a shape. */
export interface Tensor<A extends FloatArray = FloatArray> {
  readonly data: A;
  readonly shape: readonly number[];
}

/**
 * A runtime's Float16Array, typed by its tag alone (ES2022's lib has no Float16Array; where the
 * lib has one, it matches). Read exactly into float32.
 */
export interface Float16ArrayLike extends ArrayBufferView {
  readonly [Symbol.toStringTag]: 'Float16Array';
  readonly length: number;
}

/** Numbers nested to any depth, a rectangular array whose shape is inferred ([[1, 2], [3, 4]] is 2×2). */
export type NestedArray = readonly number[] | readonly NestedArray[];

/**
 * A tensor of onnxruntime-common or transformers.js: `data`, `dims` and a `type` name. Read are the
 * types 'float32', 'float64', 'float16' and 'bfloat16' (16-bit ones as Uint16Array bits, or a
 * Float16Array); 'int32', 'int64' and the other integer types as class targets.
 */
export interface DimsTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
  readonly type?: string;
}

/** 16-bit float bits with their format, in sigmax's own `{ data, shape }` form. */
export interface HalfTensor {
  readonly data: Uint16Array | Float16ArrayLike;
  readonly shape: readonly number[];
  readonly dtype: HalfDtype;
}

/** A TensorFlow.js tensor, read through its public synchronous API (`dataSync()`, `shape`, `dtype`); tfjs is never imported. */
export interface TfjsTensorLike {
  dataSync(): unknown;
  readonly shape: readonly number[];
  readonly dtype: string;
}

/**
 * What every op accepts: a Tensor, a flat array read as a 1-D tensor, nested number arrays, a
 * Float16Array, 16-bit float bits tagged with their format, or a foreign tensor (onnxruntime,
 * transformers.js, TensorFlow.js). 16-bit floats are computed as float32.
 */
export type Input = Tensor | FloatArray | NestedArray | Float16ArrayLike | HalfTensor | DimsTensor | TfjsTensorLike;

/**
 * A preallocated result: a typed array of the result's dtype and size, or a tensor around one
 * (`{ data, shape }` or `{ data, dims }`). A float16 or bfloat16 out (a Float16Array, or
 * Uint16Array bits tagged `type`/`dtype` 'float16' | 'bfloat16') makes the op compute in float64
 * and round each result once into it; the op then returns that `out` as given.
 */
export type Out = FloatArray | Tensor | Float16ArrayLike | HalfTensor | DimsTensor;

/**
 * The result type of an op given its input type: Tensor → Tensor of the same array type; typed
 * array → the same (a Float16Array → Float32Array); number[] → Float64Array; nested arrays →
 * Tensor<Float64Array>; a foreign tensor → a plain sigmax Tensor (Float64Array for 'float64',
 * Float32Array for float32 and 16-bit types and every tfjs tensor), never the foreign class.
 */
export type Output<X> = X extends Tensor<infer A>
  ? Tensor<A>
  : X extends FloatArray
    ? X
    : X extends Float16ArrayLike
      ? Float32Array
      : X extends readonly number[]
        ? Float64Array
        : X extends NestedArray
          ? Tensor<Float64Array>
          : X extends { readonly type: 'float64' }
            ? Tensor<Float64Array>
            : X extends { readonly type: 'float32' | 'float16' | 'bfloat16' } | HalfTensor | TfjsTensorLike
              ? Tensor<Float32Array>
              : Tensor<FloatArray>;

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
  Float32Array, Float64Array, Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array, BigInt64Array, BigUint64Array,
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

/**
 * True for a `{ data, shape }` or `{ data, dims }` object (sigmax's, onnxruntime's,
 * transformers.js's); a TensorFlow.js tensor, whose `data` is a method, is not one (isTfjsTensor).
 */
export function isTensorLike(x: unknown): x is { data: unknown; shape: unknown } {
  return typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) && !Array.isArray(x) && 'data' in x && ('shape' in x || 'dims' in x) && !isTfjsTensor(x);
}

/** Duck typing for a TensorFlow.js tensor: a `dataSync` method and an array `shape` (tfjs is never imported). */
export function isTfjsTensor(x: unknown): x is TfjsTensorLike {
  if (typeof x !== 'object' || x === null || ArrayBuffer.isView(x) || Array.isArray(x)) return false;
  const t = x as { dataSync?: unknown; shape?: unknown };
  return typeof t.dataSync === 'function' && Array.isArray(t.shape);
}

/** A tensor object's shape: `shape` (sigmax's form) or `dims` (onnxruntime's, transformers.js's), each read once. */
export function tensorShape(x: object): { shape: unknown; field: 'shape' | 'dims' } {
  return 'shape' in x ? { shape: (x as { shape: unknown }).shape, field: 'shape' } : { shape: (x as { dims?: unknown }).dims, field: 'dims' };
}

/** A tensor object's element-type name: onnxruntime's and transformers.js's `type`, or sigmax's `dtype`; undefined when neither is a string. */
export function tensorType(x: object): string | undefined {
  const t: unknown = 'type' in x ? (x as { type: unknown }).type : 'dtype' in x ? (x as { dtype: unknown }).dtype : undefined;
  return typeof t === 'string' ? t : undefined;
}

/** How an error names a foreign tensor: its constructor and form, e.g. "a Tensor { data, dims, type: 'string' }". */
export function describeForeign(x: object, type: string | undefined): string {
  let ctor = 'object';
  try {
    const c = (x as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof c === 'string' && c !== '' && c !== 'Object') ctor = c;
  } catch {
    // a throwing constructor getter leaves the generic name
  }
  const form = 'dims' in x && !('shape' in x) ? 'data, dims' : 'data, shape';
  return `a ${ctor} { ${form}${type !== undefined ? `, type: '${type}'` : ''} }`;
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
export function checkShape(fn: string, name: string, shape: unknown, length: number, field: 'shape' | 'dims' = 'shape'): readonly number[] {
  if (!Array.isArray(shape)) fail(fn, 'SHAPE_MISMATCH', `${name}.${field} must be an array of non-negative integers, got ${typeof shape}`);
  const rank = shape.length;
  if (!(rank <= MAX_RANK)) fail(fn, 'SHAPE_MISMATCH', `${name}.${field} has ${rank} dimensions, more than the ${MAX_RANK} allowed`);
  const copy = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const d: unknown = shape[i];
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      fail(fn, 'SHAPE_MISMATCH', `${name}.${field}[${i}] = ${show(d)} is not a non-negative integer`);
    }
    copy[i] = d;
  }
  shape = Object.freeze(copy);
  const n = sizeOf(shape as number[]);
  if (n !== length) {
    fail(fn, 'SHAPE_MISMATCH', `${name}.${field} ${show(shape)} holds ${n} elements but ${name}.data has ${length}`);
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
  if (isTfjsTensor(x)) return 'a tfjs tensor';
  if (isTensorLike(x)) return 'a tensor-like object';
  return typeof x;
}

/** An op argument after reading: its data, shape and how it was given. */
export interface Arg {
  data: FloatArray;
  shape: readonly number[];
  /** 'tensor' for every argument with a shape of its own (results are then sigmax Tensors), 'typed' for a flat typed array, 'array' for a flat number[]. */
  kind: 'tensor' | 'typed' | 'array';
  /** The values of a number[] (flat or nested) argument as read (a float64 copy), converted once the dtype is known. */
  plain?: readonly number[];
}

/**
 * Reads a float argument: a Tensor, a Float32Array/Float64Array, a number[] (nested to any
 * depth, shape inferred), a Float16Array, 16-bit float bits tagged with their format, an
 * onnxruntime/transformers.js `{ data, dims, type }` tensor or a TensorFlow.js tensor. 16-bit
 * floats are decoded exactly into a fresh Float32Array; the other forms are read without a copy.
 * What cannot be read throws a SigmaxError naming `name` and the foreign type.
 */
export function readArg(fn: string, name: string, x: unknown): Arg {
  const typed = readFloatArray(fn, name, x);
  if (typed !== undefined) return { data: typed, shape: [typedLength(typed)], kind: 'typed' };
  const tag = typedTag(x);
  if (tag === 'Float16Array') {
    const data = decodeHalf(halfBits(x as ArrayBufferView), 'float16');
    return { data, shape: [data.length], kind: 'typed' };
  }
  if (Array.isArray(x)) return readNumbers(fn, name, x);
  if (isTfjsTensor(x)) return readTfjs(fn, name, x);
  if (isTensorLike(x)) return readTensorObject(fn, name, x);
  return fail(fn, 'DTYPE_MISMATCH', `${name} must be a Tensor, Float32Array, Float64Array or number[], got ${describe(x)}`);
}

/** The Uint16Array view of a 16-bit array's memory, through the intrinsic getters. */
export function halfBits(x: ArrayBufferView): Uint16Array {
  return new Uint16Array(BUFFER.call(x) as ArrayBufferLike, BYTE_OFFSET.call(x) as number, LENGTH.call(x) as number);
}

/** Reads a `{ data, shape }` or `{ data, dims }` tensor object, honouring its `type` (or `dtype`) name. */
function readTensorObject(fn: string, name: string, x: object): Arg {
  const type = tensorType(x);
  let d: unknown;
  try {
    d = (x as { data: unknown }).data;
  } catch (e) {
    // onnxruntime throws here for data that lives on a GPU ('gpu-buffer', 'texture', 'ml-tensor')
    return fail(fn, 'DTYPE_MISMATCH', `${name}.data of ${describeForeign(x, type)} cannot be read (${e instanceof Error ? e.message : String(e)}); download it to the CPU first (onnxruntime: await tensor.getData())`);
  }
  const { shape, field } = tensorShape(x);
  const dtag = typedTag(d);
  if (type === 'float16' || type === 'bfloat16' || dtag === 'Float16Array') {
    const half: HalfDtype = type === 'bfloat16' ? 'bfloat16' : 'float16';
    if (dtag !== 'Uint16Array' && !(dtag === 'Float16Array' && half === 'float16')) {
      fail(fn, 'DTYPE_MISMATCH', `${name}.data of ${describeForeign(x, type)} is ${describe(d)}, expected a Uint16Array of ${half} bits${half === 'float16' ? ' or a Float16Array' : ''}`);
    }
    const data = decodeHalf(halfBits(d as ArrayBufferView), half);
    return { data, shape: checkShape(fn, name, shape, data.length, field), kind: 'tensor' };
  }
  if (type !== undefined && type !== 'float32' && type !== 'float64') {
    fail(fn, 'DTYPE_MISMATCH', `${name} is ${describeForeign(x, type)}, which holds no floats: sigmax reads float32, float64, float16 and bfloat16 tensors here (integer tensors only as class targets)`);
  }
  const data = readFloatArray(fn, `${name}.data`, d);
  if (data === undefined) {
    fail(fn, 'DTYPE_MISMATCH', `${name}.data is ${describe(d)}, expected Float32Array or Float64Array`);
  }
  if (type !== undefined && dtypeOf(data) !== type) {
    fail(fn, 'DTYPE_MISMATCH', `${name}.type is '${type}' but ${name}.data is ${describe(data)}`);
  }
  return { data, shape: checkShape(fn, name, shape, typedLength(data), field), kind: 'tensor' };
}

/**
 * Reads a TensorFlow.js tensor through `dataSync()`, `shape` and `dtype`. Only float32 tensors
 * are float arguments (tfjs has no float64); a disposed tensor, or one whose data cannot be
 * read synchronously, throws DTYPE_MISMATCH naming it.
 */
function readTfjs(fn: string, name: string, x: TfjsTensorLike): Arg {
  const dtype = tfjsDtype(fn, name, x);
  if (dtype !== 'float32') {
    fail(fn, 'DTYPE_MISMATCH', `${name} is a tfjs tensor of dtype '${dtype}'; sigmax reads float32 tfjs tensors here (int32 ones only as class targets): tf.cast(${name}, 'float32')`);
  }
  const data = readFloatArray(fn, `${name}.dataSync()`, tfjsData(fn, name, x));
  if (data === undefined) fail(fn, 'DTYPE_MISMATCH', `${name} is a tfjs tensor whose dataSync() gave no Float32Array`);
  return { data, shape: checkShape(fn, name, x.shape, typedLength(data)), kind: 'tensor' };
}

/** A tfjs tensor's dtype, refusing a disposed tensor (whose data is gone) by name. */
export function tfjsDtype(fn: string, name: string, x: TfjsTensorLike): string {
  const dtype = String(x.dtype);
  if ((x as { isDisposed?: unknown }).isDisposed === true) {
    fail(fn, 'DTYPE_MISMATCH', `${name} is a disposed tfjs tensor (dtype '${dtype}'); its data is gone`);
  }
  return dtype;
}

/** A tfjs tensor's values, with tfjs's own errors (disposed, not readable synchronously) turned into a SigmaxError. */
export function tfjsData(fn: string, name: string, x: TfjsTensorLike): unknown {
  try {
    return x.dataSync();
  } catch (e) {
    return fail(fn, 'DTYPE_MISMATCH', `${name} is a tfjs tensor whose data cannot be read (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * Copies a float32 TensorFlow.js tensor into a sigmax Tensor<Float32Array> (its own memory, so it
 * outlives `t.dispose()`). Ops read tfjs tensors directly too; this helper is for keeping the
 * values, or for passing them where only a sigmax Tensor is taken (matmul).
 * Throws DTYPE_MISMATCH for a disposed tensor or one whose dtype is not float32.
 */
export function fromTfjs(t: TfjsTensorLike): Tensor<Float32Array> {
  if (!isTfjsTensor(t)) fail('fromTfjs', 'DTYPE_MISMATCH', `t must be a tfjs tensor (with dataSync() and shape), got ${describe(t)}`);
  const a = readTfjs('fromTfjs', 't', t);
  return tensor(new Float32Array(a.data), a.shape);
}

/**
 * Reads a number[] argument, flat or nested to any depth: one read per element into a float64
 * copy, so a Proxy or getter cannot change a value after its check. A nested array must be
 * rectangular; its shape is the lengths along its first elements, and a ragged one throws
 * SHAPE_MISMATCH naming the first element that differs.
 */
function readNumbers(fn: string, name: string, x: readonly unknown[]): Arg {
  const { shape, firsts } = nestedShape(fn, name, x);
  const data = new Float64Array(sizeOf(shape));
  let k = 0;
  walkNested(fn, name, x, shape, firsts, (v, at) => {
    if (typeof v !== 'number') fail(fn, 'DTYPE_MISMATCH', `${at} is ${describe(v)}, expected a number`);
    data[k++] = v;
  });
  return { data, shape, kind: shape.length === 1 ? 'array' : 'tensor', plain: data as unknown as readonly number[] };
}

/**
 * The shape of nested arrays: the lengths along their first elements (checked later by
 * walkNested), and those first elements as read (`firsts[d]` is x[0]…[0] with d + 1 indices), so
 * that walkNested reads no element twice.
 */
export function nestedShape(fn: string, name: string, x: readonly unknown[]): { shape: number[]; firsts: unknown[] } {
  const shape: number[] = [];
  const firsts: unknown[] = [];
  let probe: unknown = x;
  while (Array.isArray(probe)) {
    if (shape.length === MAX_RANK) fail(fn, 'SHAPE_MISMATCH', `${name} is nested more than ${MAX_RANK} deep`);
    const len = probe.length;
    shape.push(len);
    if (len === 0) break;
    probe = probe[0];
    firsts.push(probe);
  }
  if (!(sizeOf(shape) <= MAX_ELEMENTS)) fail(fn, 'SHAPE_MISMATCH', `${name} of shape ${show(shape)} holds more than ${MAX_ELEMENTS} values`);
  return { shape, firsts };
}

/**
 * Visits the leaves of nested arrays in row-major order, reading each element once, and throws
 * SHAPE_MISMATCH at the first element that breaks `shape` (a ragged array), naming its index.
 */
export function walkNested(fn: string, name: string, x: readonly unknown[], shape: readonly number[], firsts: readonly unknown[], leaf: (v: unknown, at: string) => void): void {
  const first = (depth: number) => `${name}${'[0]'.repeat(depth)}`;
  // Along x[0][0]… the arrays and their lengths were read by nestedShape; reuse them.
  const walk = (a: readonly unknown[], depth: number, path: string, onFirst: boolean): void => {
    const len = onFirst ? shape[depth] : a.length;
    if (len !== shape[depth]) fail(fn, 'SHAPE_MISMATCH', `${name} is ragged: ${path} has ${len} elements but ${first(depth)} has ${shape[depth]}`);
    const last = depth === shape.length - 1;
    for (let i = 0; i < len; i++) {
      const v: unknown = onFirst && i === 0 ? firsts[depth] : a[i];
      const at = `${path}[${i}]`;
      if (Array.isArray(v) === last) {
        fail(fn, 'SHAPE_MISMATCH', `${name} is ragged: ${at} is ${last ? 'an array' : typeof v === 'number' ? 'a number' : describe(v)} but ${first(depth + 1)} is ${last ? 'not' : 'an array'}`);
      }
      if (last) leaf(v, at);
      else walk(v as readonly unknown[], depth + 1, at, onFirst && i === 0);
    }
  };
  walk(x, 0, name, true);
}

export type Dtype = 'float32' | 'float64';
export const dtypeOf = (a: FloatArray): Dtype => (typedTag(a) === 'Float32Array' ? 'float32' : 'float64');

/**
 * Brings arguments to one dtype: typed arguments (and `out`) must agree; number[] arguments
 * follow them (Float64Array when nothing else decides). Returns the common dtype. A float16 or
 * bfloat16 `out` makes it float64 whatever the arguments (float32 widens exactly), so that each
 * result is rounded once, into the 16-bit out.
 */
export function unifyDtype(fn: string, names: readonly string[], args: Arg[], out?: Out): Dtype {
  let dtype: Dtype | undefined;
  let from = '';
  for (let i = 0; i < args.length; i++) {
    if (args[i].plain !== undefined) continue;
    const d = dtypeOf(args[i].data);
    if (dtype === undefined) {
      dtype = d;
      from = names[i];
    } else if (d !== dtype) {
      fail(fn, 'DTYPE_MISMATCH', `${names[i]} is ${ctor(d)} but ${from} is ${ctor(dtype)}; pass them in one dtype`);
    }
  }
  if (out !== undefined) {
    const o = readOut(fn, 'out', out);
    if (o.half !== undefined) {
      for (const a of args) if (a.plain === undefined && dtypeOf(a.data) === 'float32') a.data = Float64Array.from(a.data);
      return 'float64';
    }
    const d = dtypeOf(o.data);
    if (dtype === undefined) dtype = d;
    else if (d !== dtype) fail(fn, 'DTYPE_MISMATCH', `out is ${ctor(d)} but ${from} is ${ctor(dtype)}; out must have the result's dtype`);
  }
  const dt = dtype ?? 'float64';
  if (dt === 'float32') {
    for (const a of args) if (a.plain !== undefined) a.data = Float32Array.from(a.plain as ArrayLike<number>);
  }
  return dt;
}

const ctor = (d: Dtype) => (d === 'float32' ? 'Float32Array' : 'Float64Array');

/** A caller's out, read: a float array, or 16-bit float bits with their format. */
type OutArray = { data: FloatArray; half?: undefined } | { data?: undefined; half: HalfDtype; bits: Uint16Array };

function readOut(fn: string, name: string, out: unknown): OutArray {
  const typed = readFloatArray(fn, name, out);
  if (typed !== undefined) return { data: typed };
  if (typedTag(out) === 'Float16Array') return { half: 'float16', bits: halfBits(out as ArrayBufferView) };
  if (isTensorLike(out)) {
    const type = tensorType(out);
    const d: unknown = out.data;
    const dtag = typedTag(d);
    if (dtag === 'Float16Array' || (dtag === 'Uint16Array' && (type === 'float16' || type === 'bfloat16'))) {
      return { half: type === 'bfloat16' ? 'bfloat16' : 'float16', bits: halfBits(d as ArrayBufferView) };
    }
    const data = readFloatArray(fn, `${name}.data`, d);
    if (data !== undefined) return { data };
  }
  return fail(fn, 'DTYPE_MISMATCH', `${name} must be a Float32Array, Float64Array, Tensor, or float16/bfloat16 bits (a Float16Array, or { data: Uint16Array, type: 'float16' }), got ${describe(out)}`);
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
    const o = readOut(fn, 'out', out);
    if (o.half !== undefined) return halfResult(fn, o.half, o.bits, dtype, shape, out);
    data = o.data;
    if (dtypeOf(data) !== dtype) fail(fn, 'DTYPE_MISMATCH', `out is ${ctor(dtypeOf(data))}, expected ${ctor(dtype)}`);
    const len = typedLength(data);
    if (len !== n) {
      fail(fn, 'SHAPE_MISMATCH', `out has ${len} elements, expected ${n} for a result of shape ${show(shape)}`);
    }
    if (!isTensorLike(out)) ret = out as FloatArray;
    else if ('shape' in out) outTensor = out as Tensor;
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

/**
 * A result bound for 16-bit float bits: the kernels write float64 into a scratch array, and
 * wrap() rounds each value once into the caller's bits and returns the caller's `out` as given.
 */
function halfResult(fn: string, half: HalfDtype, bits: Uint16Array, dtype: Dtype, shape: readonly number[], out: unknown): Result {
  const n = sizeOf(shape);
  if (dtype !== 'float64') {
    fail(fn, 'DTYPE_MISMATCH', `a ${half} result is written only through the op's out option (which computes in float64 and rounds once); here the result is ${ctor(dtype)}`);
  }
  if (bits.length !== n) fail(fn, 'SHAPE_MISMATCH', `out has ${bits.length} elements, expected ${n} for a result of shape ${show(shape)}`);
  const data = new Float64Array(n);
  return {
    data,
    wrap() {
      encodeHalf(data, bits, half);
      return out;
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
