// The 'wasm' backend: float32 softmax, logSoftmax, logSumExp, softmaxBackward, sigmoid,
// sigmoidBackward and fused cross-entropy (all target kinds) run in the WebAssembly SIMD kernels
// of assembly/ (within 2 ulp of the exact value); float32 logSigmoid, softplus, their backwards
// and fused binaryCrossEntropyWithLogits in its float64 scalar kernels. Float64 runs the exact
// reference kernels unless setWasmFloat64Fast(true) (sigmax/wasm's setFastFloat64): then float64
// softmax, logSoftmax, logSumExp, sigmoid and class-index cross-entropy run SIMD float64 kernels
// within the documented bounds. Everything else — rows strided by a non-last axis, temperatures
// other than 1, the other ops — runs the exact reference kernels.
// Data is copied into one reusable wasm memory, chunk by chunk of whole rows, and results are
// copied out. With setThreads(n > 1) each chunk's rows are split across worker threads sharing
// that memory (worker_threads in Node; Web Workers in a cross-origin isolated page); every row is
// computed by the same code either way, so the bits match.

import type { FloatArray } from '../core/tensor.js';
import type { Layout } from '../core/shape.js';
import type { BinaryLossArgs, ClassLossArgs, DDSum, Kernels } from './kernels.js';
import { jsKernels } from './js.js';
import { type Part, Pool, threadsSupported } from './pool.js';
import { traceKernel } from './trace.js';
import { R, ddAdd } from '../reference/dd.js';
import { broadcastIndex } from '../reference/binaryCrossEntropy.js';
import { WASM_BASE64, WASM_RELAXED_BASE64, WASM_SHARED_BASE64, WASM_SHARED_RELAXED_BASE64 } from './wasm-binary.js';

/** The kernels' exports, by name; argument lists are byte offsets and counts (see assembly/). */
const NAMES = [
  'softmaxF32',
  'logSoftmaxF32',
  'logSumExpF32',
  'sigmoidF32',
  'crossEntropyF32',
  'crossEntropySoftF32',
  'sigmoidBackwardF32',
  'softmaxBackwardF32',
  'logSigmoidF32',
  'softplusF32',
  'logSigmoidBackwardF32',
  'softplusBackwardF32',
  'bceWithLogitsF32',
  'ddSumF64',
  'softmaxF64',
  'logSoftmaxF64',
  'logSumExpF64',
  'sigmoidF64',
  'crossEntropyF64',
] as const;
type Name = (typeof NAMES)[number];
const FN = Object.fromEntries(NAMES.map((n, i) => [n, i])) as Record<Name, number>;

/** A tiny module using one SIMD instruction: validates only where WebAssembly SIMD exists. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

export function wasmSimdSupported(): boolean {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

/** A tiny module using f32x4.relaxed_madd: validates only where relaxed SIMD is on. */
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 61, 1, 59, 0,
  ...[0, 1, 2].flatMap(() => [253, 12, ...new Array<number>(16).fill(0)]),
  253, 133, 2, 11,
]);

let relaxedChoice: boolean | null = null;

/**
 * Whether the kernels use relaxed SIMD (fused multiply-add in the exp): where the engine has it
 * (Chrome ≥ 114, Node ≥ 22, Firefox ≥ 145). Node 20, whose V8 has it complete behind
 * --experimental-wasm-relaxed-simd, gets that flag switched on here; SIGMAX_RELAXED_SIMD=0 in
 * the environment (or setWasmRelaxed(false)) keeps to plain SIMD. Results stay within the same
 * bounds either way; the last bit can differ between the two builds.
 */
export function wasmRelaxed(): boolean {
  if (relaxedChoice !== null) return relaxedChoice;
  relaxedChoice = false;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (env?.SIGMAX_RELAXED_SIMD === '0') return false;
  try {
    if (WebAssembly.validate(RELAXED_PROBE)) return (relaxedChoice = true);
    const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
    const v8 = proc?.versions?.node ? (proc.getBuiltinModule?.('node:v8') as { setFlagsFromString?: (f: string) => void } | undefined) : undefined;
    if (v8?.setFlagsFromString && Number(proc!.versions!.node!.split('.')[0]) < 22) {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
      relaxedChoice = WebAssembly.validate(RELAXED_PROBE);
    }
  } catch {
    relaxedChoice = false;
  }
  return relaxedChoice;
}

/** Chooses the plain-SIMD (false) or relaxed-SIMD (true, where available) kernels; for tests and benchmarks. */
export function setWasmRelaxed(on: boolean): void {
  const before = relaxedChoice;
  relaxedChoice = null;
  if (on) wasmRelaxed();
  else relaxedChoice = false;
  if (heap !== null && relaxedChoice !== before) {
    // the other build over the same memory (arrays living in it stay valid)
    [heap.mod, heap.ex] = heap.instantiate();
    heap.setThreads(wantThreads);
  }
}

function decodeBase64(s: string): Uint8Array {
  if (typeof atob === 'function') {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  return new Uint8Array(Buffer.from(s, 'base64'));
}

const PAGE = 65536;
/** The first page is left to the module's data and the thread pool's control block. */
const BASE = PAGE;
/** Elements per chunk of rows: bounds the wasm memory to a few hundred MB for any input. */
const CHUNK = 1 << 22;
/** Below this many elements a call stays on one thread (waking workers costs more). */
const THREAD_MIN = 1 << 16;
/** 4 GiB, the shared build's maximum. */
const MAX_PAGES = 65536;

/** Rows at most this long take the four-row kernels (assembly/ops/small.ts). */
const SMALL_N = 32;

/** A block of the memory: its offset, its byte size, and the offsets of the regions inside it. */
interface Block {
  at: number;
  bytes: number;
  offs: number[];
}

/**
 * The module instance over its memory, with whole-memory views rebuilt when it grows, and a
 * first-fit allocator over the memory above BASE: each call takes a block for its staging
 * regions and gives it back; arrays from allocFloat32 (sigmax/wasm) hold theirs until freed.
 * The memory is shared wherever SharedArrayBuffer exists, even with one thread: a shared
 * memory's buffer is never detached when it grows, so Float32Arrays living in it stay valid.
 */
class Heap {
  ex: Record<Name, (...a: number[]) => number>;
  mod: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  pool: Pool | null = null;
  f32 = new Float32Array(0);
  f64 = new Float64Array(0);
  i32 = new Int32Array(0);
  /** Every buffer object this memory has had (a shared memory hands out a new one per growth). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private top = BASE;
  /** Free blocks below top, as [offset, bytes] pairs sorted by offset. */
  private holes: number[] = [];
  /** The live arrays of allocFloat32, by byte offset: their block sizes. */
  readonly arrays = new Map<number, number>();

  constructor() {
    let memory: WebAssembly.Memory | null = null;
    if (typeof SharedArrayBuffer === 'function') {
      try {
        memory = new WebAssembly.Memory({ initial: 32, maximum: MAX_PAGES, shared: true });
      } catch {
        memory = null;
      }
    }
    this.shared = memory !== null;
    this.memory = memory ?? new WebAssembly.Memory({ initial: 32 });
    [this.mod, this.ex] = this.instantiate();
    this.views();
  }

  /** Compiles and instantiates the build for this memory and the relaxed-SIMD choice. */
  instantiate(): [WebAssembly.Module, Record<Name, (...a: number[]) => number>] {
    const relaxed = wasmRelaxed();
    const bin = this.shared ? (relaxed ? WASM_SHARED_RELAXED_BASE64 : WASM_SHARED_BASE64) : relaxed ? WASM_RELAXED_BASE64 : WASM_BASE64;
    const mod = new WebAssembly.Module(decodeBase64(bin) as BufferSource);
    const inst = new WebAssembly.Instance(mod, { env: { memory: this.memory, abort: () => { throw new Error('sigmax wasm abort'); } } });
    return [mod, inst.exports as unknown as Record<Name, (...a: number[]) => number>];
  }

  /** Sets the worker count (threads − 1 workers; needs the shared memory). */
  setThreads(threads: number): void {
    this.pool?.close();
    this.pool = this.shared && threads > 1 ? new Pool(this.mod, this.memory, NAMES, threads - 1) : null;
  }

  private views(): void {
    const b = this.memory.buffer;
    this.buffers.add(b);
    this.f32 = new Float32Array(b);
    this.f64 = new Float64Array(b);
    this.i32 = new Int32Array(b);
  }

  /** Makes the memory at least `bytes` long. */
  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
    if (this.f32.buffer !== this.memory.buffer) this.views();
  }

  /** A block of at least `bytes` bytes, 16-byte aligned and followed by 16 readable spare bytes. */
  alloc(bytes: number): number {
    const size = Math.ceil(bytes / 16) * 16 + 16;
    const h = this.holes;
    for (let i = 0; i < h.length; i += 2) {
      if (h[i + 1] < size) continue;
      const at = h[i];
      h[i] += size;
      h[i + 1] -= size;
      if (h[i + 1] === 0) h.splice(i, 2);
      return at;
    }
    const at = this.top;
    this.ensure(at + size);
    this.top = at + size;
    return at;
  }

  /** Gives back a block from alloc (same `bytes`). */
  release(at: number, bytes: number): void {
    const size = Math.ceil(bytes / 16) * 16 + 16;
    const h = this.holes;
    let i = 0;
    while (i < h.length && h[i] < at) i += 2;
    h.splice(i, 0, at, size);
    // merge with the next and the previous hole
    if (i + 2 < h.length && h[i] + h[i + 1] === h[i + 2]) {
      h[i + 1] += h[i + 3];
      h.splice(i + 2, 2);
    }
    if (i > 0 && h[i - 2] + h[i - 1] === h[i]) {
      h[i - 1] += h[i + 1];
      h.splice(i, 2);
      i -= 2;
    }
    // a hole that reaches the top lowers it
    if (h.length > 0 && h[h.length - 2] + h[h.length - 1] === this.top) {
      this.top = h[h.length - 2];
      h.length -= 2;
    }
  }

  /** Consecutive regions of the given byte sizes in one new block (each 16-aligned with 16 spare bytes). */
  take(...sizes: number[]): Block {
    const padded = sizes.map((b) => Math.ceil(b / 16) * 16 + 16);
    const bytes = padded.reduce((a, b) => a + b, 0);
    const at = this.alloc(bytes);
    const offs: number[] = [];
    let o = at;
    for (const p of padded) {
      offs.push(o);
      o += p;
    }
    return { at, bytes, offs };
  }

  give(b: Block): void {
    this.release(b.at, b.bytes);
  }

  /** The byte offset of a Float32Array (of at least `length` elements) living in this memory, else −1. */
  offsetOf(a: Float32Array | null, length: number): number {
    return a !== null && this.buffers.has(a.buffer) && a.byteOffset >= BASE && a.length >= length ? a.byteOffset : -1;
  }

  /** Runs the parts: the first here, the others on the pool's workers. */
  run(parts: Part[]): void {
    if (parts.length > 0) traceKernel(`wasm:${NAMES[parts[0].fn]}`);
    const call = (p: Part) => this.ex[NAMES[p.fn]](...p.args);
    if (this.pool === null || parts.length === 1) parts.forEach(call);
    else this.pool.run(parts, call);
  }
}

let heap: Heap | null = null;
let wantThreads = 1;

function getHeap(): Heap {
  if (heap === null) {
    heap = new Heap();
    heap.setThreads(wantThreads);
  }
  return heap;
}

/** The worker pool's state, for tests and benchmarks: its size, how many have started, the parts each has run. */
export function wasmPoolInfo(): { size: number; ready: number; runs: number[] } | null {
  const p = heap?.pool;
  return p ? { size: p.size, ready: p.ready(), runs: p.runs() } : null;
}

/** Threads for the wasm backend: n > 1 adds a worker pool over the shared memory (Node, isolated pages). */
export function setWasmThreads(n: number): void {
  const t = n > 1 && threadsSupported() ? n : 1;
  if (t === wantThreads) return;
  wantThreads = t;
  heap?.setThreads(t);
}

/**
 * A Float32Array of `length` zeros living in the wasm memory (sigmax/wasm's allocFloat32): the
 * wasm kernels read and write it in place, without the copies in and out. Where the memory cannot
 * be shared (no SharedArrayBuffer: a browser page that is not cross-origin isolated), a growing
 * memory would detach such views, so this returns an ordinary Float32Array instead.
 */
export function wasmFloat32Array(length: number): Float32Array {
  if (!wasmSimdSupported()) return new Float32Array(length);
  const h = getHeap();
  if (!h.shared) return new Float32Array(length);
  const at = h.alloc(length * 4);
  h.arrays.set(at, length * 4);
  const a = new Float32Array(h.memory.buffer, at, length);
  a.fill(0);
  return a;
}

/** Gives back the memory of an array from wasmFloat32Array; false when it is not one (or was freed). */
export function freeWasmFloat32Array(a: Float32Array): boolean {
  const h = heap;
  if (h === null || h.offsetOf(a, 0) < 0) return false;
  const bytes = h.arrays.get(a.byteOffset);
  if (bytes === undefined || bytes !== a.length * 4) return false;
  h.arrays.delete(a.byteOffset);
  h.release(a.byteOffset, bytes);
  return true;
}

/** Whether `a` lives in the wasm memory (so the kernels use it in place). */
export function isWasmFloat32Array(a: unknown): boolean {
  return a instanceof Float32Array && heap !== null && heap.offsetOf(a, 0) >= 0;
}

/** Whether two arrays' bytes overlap (both in the same memory). */
function overlap(a: Float32Array, b: Float32Array): boolean {
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

const fast = (x: FloatArray, l: Layout): x is Float32Array => x instanceof Float32Array && l.inner === 1 && l.size > 0;

/** Copies rows [r0, r0 + rows) of x (n per row) into the heap at byte offset `at`. */
function copyIn(h: Heap, x: Float32Array, r0: number, rows: number, n: number, at: number): void {
  h.f32.set(x.subarray(r0 * n, (r0 + rows) * n), at >> 2);
}

function copyOut(h: Heap, out: Float32Array, r0: number, rows: number, n: number, at: number): void {
  out.set(h.f32.subarray(at >> 2, (at >> 2) + rows * n), r0 * n);
}

/**
 * Elements per chunk when rows are staged (copied in and out) on one thread: about 256 KB of
 * float32 (512 KB of float64), so that a chunk's copy in, its kernel and its copy out run in the core's cache (at
 * 32×32000 with `out`, 10–12% faster than chunks of CHUNK elements). With worker threads the
 * copies, done by the calling thread, are what limits a staged call, and small chunks would only
 * add a wake-up of the workers each (2048×32000 with 2 threads: 2.34 against 2.06 ns/element), so
 * chunks stay large there.
 */
const STAGE = 1 << 16;

/** Rows per chunk: cache-sized when anything is staged on one thread, else up to CHUNK elements (bounding the memory). */
function rowsPerChunk(rows: number, n: number, staged: boolean): number {
  const per = Math.max(1, Math.floor((staged && wantThreads === 1 ? STAGE : CHUNK) / n));
  // short rows: whole four-row groups per chunk, as in split()
  return Math.min(rows, n <= SMALL_N ? Math.max(4, per - (per % 4)) : per);
}

/** Runs `body(r0, rows)` over chunks of `per` whole rows. */
function chunks(totalRows: number, per: number, body: (r0: number, rows: number) => void): void {
  for (let r0 = 0; r0 < totalRows; r0 += per) body(r0, Math.min(per, totalRows - r0));
}

/** Splits `rows` rows of n elements into per-thread ranges [first row, count]. */
function split(rows: number, n: number): [number, number][] {
  const t = Math.max(1, Math.min(wantThreads, rows, Math.floor((rows * n) / THREAD_MIN)));
  // short rows go four at a time (assembly/ops/small.ts): boundaries on multiples of 4 keep
  // every row in the same kernel (a four-row group or the row kernel) for any split
  const g = n <= SMALL_N ? 4 : 1;
  const at = (k: number) => (k === t ? rows : g * Math.floor(Math.floor((rows * k) / t) / g));
  const out: [number, number][] = [];
  for (let k = 0; k < t; k++) {
    const a = at(k);
    const b = at(k + 1);
    if (b > a) out.push([a, b - a]);
  }
  return out;
}

/**
 * Where `a` (rows of `perRow` floats, `rows` of them) lives in the memory, −1 when it must be
 * staged through a region: not a wasm array, or an output (`writes`) overlapping an input.
 */
function inPlace(h: Heap, a: Float32Array | null, rows: number, perRow: number, writes = false, inputs: (Float32Array | null)[] = []): number {
  const at = h.offsetOf(a, rows * perRow);
  if (at < 0 || a === null) return -1;
  if (writes && inputs.some((b) => b !== null && h.offsetOf(b, 0) >= 0 && overlap(a, b))) return -1;
  return at;
}

/** Scratch per thread: a row's e as float64 (8·n bytes), or for short rows the four-row kernels' columns and e (48·n). */
const scratchPer = (n: number): number => (n <= SMALL_N ? n * 48 : n * 8);
const scratchBytes = (n: number): number => wantThreads * scratchPer(n);

/**
 * A row kernel over float32 rows: `args(range, offsets)` gives one part's arguments for rows
 * [r0, r0 + rows) of the chunk; scratchPer(n) bytes of scratch per part. Arrays living in
 * the memory (sigmax/wasm) are used in place; the others are copied in and out, chunk by chunk.
 */
function rowsOp(x: Float32Array, out: Float32Array, l: Layout, outPerRow: number, args: (r0: number, rows: number, xo: number, oo: number, so: number) => Part): void {
  const n = l.size;
  const h = getHeap();
  const xh = inPlace(h, x, l.outer, n);
  const oh = inPlace(h, out, l.outer, outPerRow, true, [x]);
  const per = rowsPerChunk(l.outer, n, xh < 0 || oh < 0);
  const blk = h.take(xh < 0 ? per * n * 4 : 0, oh < 0 ? per * outPerRow * 4 : 0, scratchBytes(n));
  try {
    const so = blk.offs[2];
    chunks(l.outer, per, (r0, rows) => {
      const xo = xh < 0 ? blk.offs[0] : xh + r0 * n * 4;
      const oo = oh < 0 ? blk.offs[1] : oh + r0 * outPerRow * 4;
      if (xh < 0) copyIn(h, x, r0, rows, n, xo);
      h.run(split(rows, n).map(([a, c], k) => args(a, c, xo + a * n * 4, oo + a * outPerRow * 4, so + k * scratchPer(n))));
      if (oh < 0) copyOut(h, out, r0, rows, outPerRow, oo);
    });
  } finally {
    h.give(blk);
  }
}

let fastF64 = false;

/**
 * Whether float64 runs the fast float64 kernels (within 2 ulp for elementwise ops, 4 for the
 * softmax family, 8 for gradients: the documented bounds, not the reference's correct rounding)
 * instead of the exact reference kernels. Off by default (sigmax/wasm's setFastFloat64).
 */
export function setWasmFloat64Fast(on: boolean): void {
  fastF64 = on;
}

export function wasmFloat64Fast(): boolean {
  return fastF64;
}

/** Rows of float64 for the float64 kernels (when switched on): contiguous along the last axis. */
const fast64 = (x: FloatArray, l: Layout): x is Float64Array => fastF64 && x instanceof Float64Array && l.inner === 1 && l.size > 0;

/**
 * rowsOp for the float64 kernels (which need no scratch): rows copied into the memory chunk by
 * chunk, `args(rows, xo, oo)` gives one part's arguments, results copied out.
 */
function rowsOp64(x: Float64Array, out: Float64Array, l: Layout, outPerRow: number, args: (rows: number, xo: number, oo: number) => Part): void {
  const n = l.size;
  const h = getHeap();
  const per = rowsPerChunk(l.outer, n, true);
  const blk = h.take(per * n * 8, per * outPerRow * 8);
  try {
    const [xo, oo] = blk.offs;
    chunks(l.outer, per, (r0, rows) => {
      h.f64.set(x.subarray(r0 * n, (r0 + rows) * n), xo >> 3);
      h.run(split(rows, n).map(([a, c]) => args(c, xo + a * n * 8, oo + a * outPerRow * 8)));
      out.set(h.f64.subarray(oo >> 3, (oo >> 3) + rows * outPerRow), r0 * outPerRow);
    });
  } finally {
    h.give(blk);
  }
}

/** Fused cross-entropy for float64 rows with class-index targets (no label smoothing). */
function crossEntropy64(a: ClassLossArgs, x: Float64Array): DDSum {
  const l = a.layout;
  const n = l.size;
  const per = rowsPerChunk(l.outer, n, true);
  const w = a.classWeight;
  const h = getHeap();
  const grad = a.grad as Float64Array | null;
  const blk = h.take(per * n * 8, per * 4, w ? n * 8 : 0, per * 8, grad ? per * n * 8 : 0, a.gradScales ? per * 8 : 0);
  const [xo, to, wo, lo, go, gso] = blk.offs;
  const acc = h.alloc(16);
  try {
    if (w) h.f64.set(w, wo >> 3);
    h.f64[acc >> 3] = 0;
    h.f64[(acc >> 3) + 1] = 0;
    chunks(l.outer, per, (r0, rows) => {
      h.f64.set(x.subarray(r0 * n, (r0 + rows) * n), xo >> 3);
      if (a.index instanceof Int32Array) h.i32.set(a.index.subarray(r0, r0 + rows), to >> 2);
      else for (let r = 0; r < rows; r++) h.i32[(to >> 2) + r] = (a.index as ArrayLike<number>)[r0 + r];
      if (a.gradScales) for (let r = 0; r < rows; r++) h.f64[(gso >> 3) + r] = a.gradScales[r0 + r];
      h.run(
        split(rows, n).map(([s, c]) => ({
          fn: FN.crossEntropyF64,
          args: [xo + s * n * 8, to + s * 4, c, n, w ? wo : 0, a.ignoreIndex, lo + s * 8, grad ? go + s * n * 8 : 0, a.gradScale, a.gradScales ? gso + s * 8 : 0, a.gradDivisor],
        })),
      );
      if (a.lossOut) for (let r = 0; r < rows; r++) a.lossOut[r0 + r] = h.f64[(lo >> 3) + r];
      h.ex.ddSumF64(lo, rows, acc);
      if (grad) grad.set(h.f64.subarray(go >> 3, (go >> 3) + rows * n), r0 * n);
    });
    const th = h.f64[acc >> 3];
    const tl = h.f64[(acc >> 3) + 1];
    return { hi: th, lo: th === th ? tl : 0 };
  } finally {
    h.release(acc, 16);
    h.give(blk);
  }
}

/** sigmoid for float64 arrays, in chunks, split across threads by ranges. */
function sigmoid64(x: Float64Array, out: Float64Array): void {
  const total = x.length;
  const n = Math.min(total, CHUNK);
  const h = getHeap();
  const blk = h.take(n * 8, n * 8);
  try {
    const [xo, oo] = blk.offs;
    for (let i = 0; i < total; i += n) {
      const m = Math.min(n, total - i);
      h.f64.set(x.subarray(i, i + m), xo >> 3);
      h.run(ranges(m).map(([s, c]) => ({ fn: FN.sigmoidF64, args: [xo + s * 8, oo + s * 8, c] })));
      out.set(h.f64.subarray(oo >> 3, (oo >> 3) + m), i);
    }
  } finally {
    h.give(blk);
  }
}

function crossEntropy(a: ClassLossArgs): DDSum {
  const x = a.input;
  const l = a.layout;
  const f32 = (v: FloatArray | null) => v === null || v instanceof Float32Array;
  // the kernel reads targets and ignoreIndex as int32
  const int32 = a.ignoreIndex === (a.ignoreIndex | 0);
  if (fast64(x, l) && a.probs === null && a.labelSmoothing === 0 && int32 && !(a.lossOut instanceof Float32Array) && !(a.grad instanceof Float32Array)) return crossEntropy64(a, x);
  if (!fast(x, l) || !f32(a.probs) || !f32(a.lossOut) || !f32(a.grad) || !int32) return jsKernels.crossEntropy(a);
  const soft = a.probs !== null || a.labelSmoothing !== 0;
  const n = l.size;
  const w = a.classWeight;
  const h = getHeap();
  const probs = a.probs as Float32Array | null;
  const grad = a.grad as Float32Array | null;
  const xh = inPlace(h, x, l.outer, n);
  const ph = inPlace(h, probs, l.outer, n);
  const gh = inPlace(h, grad, l.outer, n, true, [x, probs]);
  const per = rowsPerChunk(l.outer, n, xh < 0 || (probs !== null && ph < 0) || (grad !== null && gh < 0));
  const blk = h.take(
    xh < 0 ? per * n * 4 : 0, per * 4, probs && ph < 0 ? per * n * 4 : 0, w ? n * 8 : 0, per * 8, grad && gh < 0 ? per * n * 4 : 0, a.gradScales ? per * 8 : 0, scratchBytes(n),
  );
  const [, to, , wo, lo, , gso, so] = blk.offs;
  const acc = h.alloc(16);
  try {
    if (w) h.f64.set(w, wo >> 3);
    h.f64[acc >> 3] = 0;
    h.f64[(acc >> 3) + 1] = 0;
    chunks(l.outer, per, (r0, rows) => {
      const xo = xh < 0 ? blk.offs[0] : xh + r0 * n * 4;
      const po = ph < 0 ? blk.offs[2] : ph + r0 * n * 4;
      const go = gh < 0 ? blk.offs[5] : gh + r0 * n * 4;
      if (xh < 0) copyIn(h, x, r0, rows, n, xo);
      if (probs) {
        if (ph < 0) copyIn(h, probs, r0, rows, n, po);
      } else if (a.index instanceof Int32Array) h.i32.set(a.index.subarray(r0, r0 + rows), to >> 2);
      else for (let r = 0; r < rows; r++) h.i32[(to >> 2) + r] = (a.index as ArrayLike<number>)[r0 + r];
      if (a.gradScales) for (let r = 0; r < rows; r++) h.f64[(gso >> 3) + r] = a.gradScales[r0 + r];
      h.run(
        split(rows, n).map(([s, c], k) => {
          const xs = xo + s * n * 4;
          const ls = lo + s * 8;
          const g = grad ? go + s * n * 4 : 0;
          const gs = a.gradScales ? gso + s * 8 : 0;
          const sc = so + k * scratchPer(n);
          return soft
            ? { fn: FN.crossEntropySoftF32, args: [xs, to + s * 4, probs ? po + s * n * 4 : 0, c, n, w ? wo : 0, a.ignoreIndex, a.labelSmoothing, ls, g, a.gradScale, gs, a.gradDivisor, sc] }
            : { fn: FN.crossEntropyF32, args: [xs, to + s * 4, c, n, w ? wo : 0, a.ignoreIndex, ls, g, a.gradScale, gs, a.gradDivisor, sc] };
        }),
      );
      // per-row losses come back as float64; their sum, in row order (ddSumF64, on this thread),
      // is the same bits for any split
      if (a.lossOut) for (let r = 0; r < rows; r++) a.lossOut[r0 + r] = h.f64[(lo >> 3) + r];
      h.ex.ddSumF64(lo, rows, acc);
      if (grad && gh < 0) copyOut(h, grad, r0, rows, n, go);
    });
    const th = h.f64[acc >> 3];
    const tl = h.f64[(acc >> 3) + 1];
    return { hi: th, lo: th === th ? tl : 0 };
  } finally {
    h.release(acc, 16);
    h.give(blk);
  }
}

/** An elementwise kernel over float32 arrays, in chunks, split across threads by ranges; `extra` trails the count. */
function elementwise(inputs: Float32Array[], out: Float32Array, fn: number, extra: number[] = []): void {
  const total = out.length;
  const n = Math.min(total, CHUNK);
  const h = getHeap();
  const places = inputs.map((a) => inPlace(h, a, total, 1));
  const oh = inPlace(h, out, total, 1, true, inputs);
  const blk = h.take(...places.map((p) => (p < 0 ? n * 4 : 0)), oh < 0 ? n * 4 : 0);
  try {
    for (let i = 0; i < total; i += n) {
      const m = Math.min(n, total - i);
      const offs = inputs.map((a, k) => {
        if (places[k] >= 0) return places[k] + i * 4;
        h.f32.set(a.subarray(i, i + m), blk.offs[k] >> 2);
        return blk.offs[k];
      });
      offs.push(oh < 0 ? blk.offs[inputs.length] : oh + i * 4);
      h.run(ranges(m).map(([s, c]) => ({ fn, args: [...offs.map((o) => o + s * 4), c, ...extra] })));
      if (oh < 0) out.set(h.f32.subarray(offs[inputs.length] >> 2, (offs[inputs.length] >> 2) + m), i);
    }
  } finally {
    h.give(blk);
  }
}

/** Per-thread [start, count] ranges of m elements, in whole SIMD vectors but for the tail. */
function ranges(m: number): [number, number][] {
  return split(Math.ceil(m / 4), 4).map(([a, c]) => [a * 4, Math.min(m, (a + c) * 4) - a * 4]);
}

/** Fused binaryCrossEntropyWithLogits for float32: weights broadcast into float64 first. */
function bceWithLogits(a: BinaryLossArgs): DDSum {
  const x = a.input;
  const f32 = (v: FloatArray | null) => v === null || v instanceof Float32Array;
  if (!(x instanceof Float32Array) || !(a.target instanceof Float32Array) || !f32(a.lossOut) || !f32(a.grad) || x.length === 0) {
    return jsKernels.binaryCrossEntropyWithLogits(a);
  }
  const total = x.length;
  const n = Math.min(total, CHUNK);
  const h = getHeap();
  const blk = h.take(n * 4, n * 4, a.weight ? n * 8 : 0, a.posWeight ? n * 8 : 0, n * 8, a.grad ? n * 4 : 0, a.gradScales ? n * 8 : 0);
  try {
    return bceChunks(a, x, total, n, h, blk.offs);
  } finally {
    h.give(blk);
  }
}

function bceChunks(a: BinaryLossArgs, x: Float32Array, total: number, n: number, h: Heap, [xo, yo, wo, po, lo, go, gso]: number[]): DDSum {
  let th = 0;
  let tl = 0;
  for (let i = 0; i < total; i += n) {
    const m = Math.min(n, total - i);
    h.f32.set(x.subarray(i, i + m), xo >> 2);
    h.f32.set(a.target.subarray(i, i + m), yo >> 2);
    for (const [b, off] of [[a.weight, wo], [a.posWeight, po]] as const) {
      if (b) for (let k = 0; k < m; k++) h.f64[(off >> 3) + k] = b.data[broadcastIndex(b, i + k)];
    }
    if (a.gradScales) for (let k = 0; k < m; k++) h.f64[(gso >> 3) + k] = a.gradScales[i + k];
    h.run(
      ranges(m).map(([s, c]) => ({
        fn: FN.bceWithLogitsF32,
        args: [xo + s * 4, yo + s * 4, a.weight ? wo + s * 8 : 0, a.posWeight ? po + s * 8 : 0, lo + s * 8, a.grad ? go + s * 4 : 0, c, a.gradScale, a.gradScales ? gso + s * 8 : 0, a.gradDivisor],
      })),
    );
    for (let k = 0; k < m; k++) {
      const v = h.f64[(lo >> 3) + k];
      if (a.lossOut) a.lossOut[i + k] = v;
      ddAdd(th, tl, v, 0);
      th = R.hi;
      tl = R.lo;
    }
    if (a.grad) (a.grad as Float32Array).set(h.f32.subarray(go >> 2, (go >> 2) + m), i);
  }
  return { hi: th, lo: th === th ? tl : 0 };
}

/** The wasm kernels, falling back to the reference where the fast path does not apply. */
export function createWasmKernels(): Kernels {
  getHeap();
  return {
    ...jsKernels,
    name: 'wasm',
    sigmoid(x, out) {
      if (fastF64 && x instanceof Float64Array && x.length > 0) return sigmoid64(x, out as Float64Array);
      if (!(x instanceof Float32Array) || x.length === 0) return jsKernels.sigmoid(x, out);
      elementwise([x], out as Float32Array, FN.sigmoidF32);
    },
    sigmoidBackward(dy, x, out) {
      if (!(x instanceof Float32Array) || x.length === 0) return jsKernels.sigmoidBackward(dy, x, out);
      elementwise([dy as Float32Array, x], out as Float32Array, FN.sigmoidBackwardF32);
    },
    logSigmoid(x, out) {
      if (!(x instanceof Float32Array) || x.length === 0) return jsKernels.logSigmoid(x, out);
      elementwise([x], out as Float32Array, FN.logSigmoidF32);
    },
    softplus(x, out, beta, threshold) {
      if (!(x instanceof Float32Array) || x.length === 0) return jsKernels.softplus(x, out, beta, threshold);
      elementwise([x], out as Float32Array, FN.softplusF32, [beta, threshold]);
    },
    logSigmoidBackward(dy, x, out) {
      if (!(x instanceof Float32Array) || x.length === 0) return jsKernels.logSigmoidBackward(dy, x, out);
      elementwise([dy as Float32Array, x], out as Float32Array, FN.logSigmoidBackwardF32);
    },
    softplusBackward(dy, x, out, beta, threshold) {
      if (!(x instanceof Float32Array) || x.length === 0) return jsKernels.softplusBackward(dy, x, out, beta, threshold);
      elementwise([dy as Float32Array, x], out as Float32Array, FN.softplusBackwardF32, [beta, threshold]);
    },
    binaryCrossEntropyWithLogits: bceWithLogits,
    softmax(x, out, l, temperature, zero) {
      if (fast64(x, l) && temperature === 1) return rowsOp64(x, out as Float64Array, l, l.size, (c, xs, os) => ({ fn: FN.softmaxF64, args: [xs, os, c, l.size, zero ? 1 : 0] }));
      if (!fast(x, l) || temperature !== 1) return jsKernels.softmax(x, out, l, temperature, zero);
      rowsOp(x, out as Float32Array, l, l.size, (_r0, c, xs, os, ss) => ({ fn: FN.softmaxF32, args: [xs, os, ss, c, l.size, zero ? 1 : 0] }));
    },
    logSoftmax(x, out, l, temperature, zero) {
      if (fast64(x, l) && temperature === 1) return rowsOp64(x, out as Float64Array, l, l.size, (c, xs, os) => ({ fn: FN.logSoftmaxF64, args: [xs, os, c, l.size, zero ? 1 : 0] }));
      if (!fast(x, l) || temperature !== 1) return jsKernels.logSoftmax(x, out, l, temperature, zero);
      rowsOp(x, out as Float32Array, l, l.size, (_r0, c, xs, os, ss) => ({ fn: FN.logSoftmaxF32, args: [xs, os, ss, c, l.size, zero ? 1 : 0] }));
    },
    logSumExp(x, out, l) {
      if (fast64(x, l)) {
        const o = out as Float64Array;
        rowsOp64(x, o, l, 1, (c, xs, os) => ({ fn: FN.logSumExpF64, args: [xs, os, c, l.size] }));
        // max + log S cancels where the result is small next to log S (≤ log n), e.g. the
        // logSumExp of log-probabilities, ≈ 0: those rows are recomputed by the reference
        const small = 0.5 * Math.log(l.size);
        for (let r = 0; r < l.outer; r++) {
          if (Math.abs(o[r]) < small) jsKernels.logSumExp(x.subarray(r * l.size, (r + 1) * l.size), o.subarray(r, r + 1), { outer: 1, size: l.size, inner: 1 });
        }
        return;
      }
      if (!fast(x, l)) return jsKernels.logSumExp(x, out, l);
      rowsOp(x, out as Float32Array, l, 1, (_r0, c, xs, os, ss) => ({ fn: FN.logSumExpF32, args: [xs, os, ss, c, l.size] }));
    },
    softmaxBackward(dy, y, out, l) {
      if (!fast(y, l)) return jsKernels.softmaxBackward(dy, y, out, l);
      const n = l.size;
      const h = getHeap();
      const g = dy as Float32Array;
      const o = out as Float32Array;
      const gh = inPlace(h, g, l.outer, n);
      const yh = inPlace(h, y, l.outer, n);
      const oh = inPlace(h, o, l.outer, n, true, [g, y]);
      const per = rowsPerChunk(l.outer, n, gh < 0 || yh < 0 || oh < 0);
      const blk = h.take(gh < 0 ? per * n * 4 : 0, yh < 0 ? per * n * 4 : 0, oh < 0 ? per * n * 4 : 0);
      try {
        chunks(l.outer, per, (r0, rows) => {
          const go = gh < 0 ? blk.offs[0] : gh + r0 * n * 4;
          const yo = yh < 0 ? blk.offs[1] : yh + r0 * n * 4;
          const oo = oh < 0 ? blk.offs[2] : oh + r0 * n * 4;
          if (gh < 0) copyIn(h, g, r0, rows, n, go);
          if (yh < 0) copyIn(h, y, r0, rows, n, yo);
          h.run(split(rows, n).map(([s, c]) => ({ fn: FN.softmaxBackwardF32, args: [go + s * n * 4, yo + s * n * 4, oo + s * n * 4, c, n] })));
          if (oh < 0) copyOut(h, o, r0, rows, n, oo);
        });
      } finally {
        h.give(blk);
      }
    },
    crossEntropy,
  };
}
