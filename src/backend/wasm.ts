// The 'wasm' backend: float32 softmax, logSoftmax, logSumExp, softmaxBackward, sigmoid,
// sigmoidBackward and fused cross-entropy (all target kinds) run in the WebAssembly SIMD kernels
// of assembly/ (within 2 ulp of the exact value); everything else — float64, rows strided by a
// non-last axis, temperatures other than 1, the other ops — runs the exact reference kernels. Data is copied into one reusable wasm memory, chunk by chunk of whole
// rows, and results are copied out; nothing is allocated per call in the steady state.

import type { FloatArray } from '../core/tensor.js';
import type { Layout } from '../core/shape.js';
import type { ClassLossArgs, DDSum, Kernels } from './kernels.js';
import { jsKernels } from './js.js';
import { WASM_BASE64 } from './wasm-binary.js';

interface Exports {
  softmaxF32(x: number, out: number, rows: number, n: number, allMaskedZero: number): void;
  logSoftmaxF32(x: number, out: number, scratch: number, rows: number, n: number, allMaskedZero: number): void;
  logSumExpF32(x: number, out: number, scratch: number, rows: number, n: number): void;
  sigmoidF32(x: number, out: number, n: number): void;
  crossEntropyF32(
    x: number, targets: number, rows: number, n: number, classWeight: number, ignoreIndex: number,
    lossOut: number, grad: number, gradScale: number, gradScales: number, gradDivisor: number, scratch: number,
  ): number;
  crossEntropySoftF32(
    x: number, targets: number, probs: number, rows: number, n: number, classWeight: number, ignoreIndex: number, eps: number,
    lossOut: number, grad: number, gradScale: number, gradScales: number, gradDivisor: number, scratch: number,
  ): number;
  sigmoidBackwardF32(dy: number, x: number, out: number, n: number): void;
  softmaxBackwardF32(dy: number, y: number, out: number, rows: number, n: number): void;
}

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
/** The first page is left to the module's own data; our regions start after it. */
const BASE = PAGE;
/** Elements per chunk of rows: bounds the wasm memory to a few hundred MB for any input. */
const CHUNK = 1 << 22;

/** The module instance, its memory, and cached whole-memory views (rebuilt when memory grows). */
class Heap {
  readonly ex: Exports;
  private readonly memory: WebAssembly.Memory;
  f32 = new Float32Array(0);
  f64 = new Float64Array(0);
  i32 = new Int32Array(0);

  constructor() {
    this.memory = new WebAssembly.Memory({ initial: 32 });
    const mod = new WebAssembly.Module(decodeBase64(WASM_BASE64) as BufferSource);
    const inst = new WebAssembly.Instance(mod, { env: { memory: this.memory, abort: () => { throw new Error('sigmax wasm abort'); } } });
    this.ex = inst.exports as unknown as Exports;
    this.views();
  }

  private views(): void {
    const b = this.memory.buffer;
    this.f32 = new Float32Array(b);
    this.f64 = new Float64Array(b);
    this.i32 = new Int32Array(b);
  }

  /** Makes the memory at least `bytes` long. */
  ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    this.memory.grow(Math.ceil((bytes - have) / PAGE));
    this.views();
  }
}

let heap: Heap | null = null;
const getHeap = (): Heap => (heap ??= new Heap());

/** Byte offsets of consecutive regions of the given byte sizes, 16-byte aligned, after BASE. */
function regions(...sizes: number[]): number[] {
  const offs: number[] = [];
  let o = BASE;
  for (const s of sizes) {
    offs.push(o);
    o += Math.ceil(s / 16) * 16;
  }
  getHeap().ensure(o);
  return offs;
}

const fast = (x: FloatArray, l: Layout): x is Float32Array => x instanceof Float32Array && l.inner === 1 && l.size > 0;

/** Copies rows [r0, r0 + rows) of x (n per row) into the heap at byte offset `at`. */
function copyIn(h: Heap, x: Float32Array, r0: number, rows: number, n: number, at: number): void {
  h.f32.set(x.subarray(r0 * n, (r0 + rows) * n), at >> 2);
}

function copyOut(h: Heap, out: Float32Array, r0: number, rows: number, n: number, at: number): void {
  out.set(h.f32.subarray(at >> 2, (at >> 2) + rows * n), r0 * n);
}

/** Runs `body(r0, rows)` over chunks of whole rows of at most CHUNK elements. */
function chunks(totalRows: number, n: number, body: (r0: number, rows: number) => void): void {
  const per = Math.max(1, Math.floor(CHUNK / n));
  for (let r0 = 0; r0 < totalRows; r0 += per) body(r0, Math.min(per, totalRows - r0));
}

function rowsOp(
  x: Float32Array, out: Float32Array, l: Layout,
  run: (h: Heap, xo: number, oo: number, so: number, rows: number) => void,
  outPerRow: number,
): void {
  const n = l.size;
  const per = Math.min(l.outer, Math.max(1, Math.floor(CHUNK / n)));
  const [xo, oo, so] = regions(per * n * 4, per * outPerRow * 4, n * 4);
  const h = getHeap();
  chunks(l.outer, n, (r0, rows) => {
    copyIn(h, x, r0, rows, n, xo);
    run(h, xo, oo, so, rows);
    copyOut(h, out, r0, rows, outPerRow, oo);
  });
}

function crossEntropy(a: ClassLossArgs): DDSum {
  const x = a.input;
  const l = a.layout;
  const f32 = (v: FloatArray | null) => v === null || v instanceof Float32Array;
  if (!fast(x, l) || !f32(a.probs) || !f32(a.lossOut) || !f32(a.grad)) return jsKernels.crossEntropy(a);
  const soft = a.probs !== null || a.labelSmoothing !== 0;
  const n = l.size;
  const rowsTotal = l.outer;
  const per = Math.min(rowsTotal, Math.max(1, Math.floor(CHUNK / n)));
  const w = a.classWeight;
  const [xo, to, po, wo, lo, go, gso, so] = regions(
    per * n * 4, per * 4, a.probs ? per * n * 4 : 0, w ? n * 8 : 0, per * 4, a.grad ? per * n * 4 : 0, a.gradScales ? per * 8 : 0, n * 4,
  );
  const h = getHeap();
  if (w) h.f64.set(w, wo >> 3);
  let total = 0;
  chunks(rowsTotal, n, (r0, rows) => {
    copyIn(h, x, r0, rows, n, xo);
    if (a.probs) copyIn(h, a.probs as Float32Array, r0, rows, n, po);
    else for (let r = 0; r < rows; r++) h.i32[(to >> 2) + r] = (a.index as ArrayLike<number>)[r0 + r];
    if (a.gradScales) for (let r = 0; r < rows; r++) h.f64[(gso >> 3) + r] = a.gradScales[r0 + r];
    const g = a.grad ? go : 0;
    const gs = a.gradScales ? gso : 0;
    total += soft
      ? h.ex.crossEntropySoftF32(xo, to, a.probs ? po : 0, rows, n, w ? wo : 0, a.ignoreIndex, a.labelSmoothing, lo, g, a.gradScale, gs, a.gradDivisor, so)
      : h.ex.crossEntropyF32(xo, to, rows, n, w ? wo : 0, a.ignoreIndex, lo, g, a.gradScale, gs, a.gradDivisor, so);
    if (a.lossOut) copyOut(h, a.lossOut as Float32Array, r0, rows, 1, lo);
    if (a.grad) copyOut(h, a.grad as Float32Array, r0, rows, n, go);
  });
  return { hi: total, lo: 0 };
}

/** Runs an elementwise kernel over float32 arrays in chunks: run(h, offsets..., count). */
function elementwise(inputs: Float32Array[], out: Float32Array, run: (h: Heap, offs: number[], m: number) => void): void {
  const total = out.length;
  const n = Math.min(total, CHUNK);
  const offs = regions(...inputs.map(() => n * 4), n * 4);
  const h = getHeap();
  for (let i = 0; i < total; i += n) {
    const m = Math.min(n, total - i);
    inputs.forEach((a, k) => h.f32.set(a.subarray(i, i + m), offs[k] >> 2));
    run(h, offs, m);
    out.set(h.f32.subarray(offs[inputs.length] >> 2, (offs[inputs.length] >> 2) + m), i);
  }
}

/** The wasm kernels, falling back to the reference where the fast path does not apply. */
export function createWasmKernels(): Kernels {
  getHeap();
  return {
    ...jsKernels,
    name: 'wasm',
    sigmoid(x, out) {
      if (!(x instanceof Float32Array) || x.length === 0) return jsKernels.sigmoid(x, out);
      elementwise([x], out as Float32Array, (h, o, m) => h.ex.sigmoidF32(o[0], o[1], m));
    },
    sigmoidBackward(dy, x, out) {
      if (!(x instanceof Float32Array) || x.length === 0) return jsKernels.sigmoidBackward(dy, x, out);
      elementwise([dy as Float32Array, x], out as Float32Array, (h, o, m) => h.ex.sigmoidBackwardF32(o[0], o[1], o[2], m));
    },
    softmaxBackward(dy, y, out, l) {
      if (!fast(y, l)) return jsKernels.softmaxBackward(dy, y, out, l);
      const n = l.size;
      const per = Math.min(l.outer, Math.max(1, Math.floor(CHUNK / n)));
      const [go, yo, oo] = regions(per * n * 4, per * n * 4, per * n * 4);
      const h = getHeap();
      chunks(l.outer, n, (r0, rows) => {
        copyIn(h, dy as Float32Array, r0, rows, n, go);
        copyIn(h, y, r0, rows, n, yo);
        h.ex.softmaxBackwardF32(go, yo, oo, rows, n);
        copyOut(h, out as Float32Array, r0, rows, n, oo);
      });
    },
    softmax(x, out, l, temperature, zero) {
      if (!fast(x, l) || temperature !== 1) return jsKernels.softmax(x, out, l, temperature, zero);
      rowsOp(x, out as Float32Array, l, (h, xo, oo, _so, rows) => h.ex.softmaxF32(xo, oo, rows, l.size, zero ? 1 : 0), l.size);
    },
    logSoftmax(x, out, l, temperature, zero) {
      if (!fast(x, l) || temperature !== 1) return jsKernels.logSoftmax(x, out, l, temperature, zero);
      rowsOp(x, out as Float32Array, l, (h, xo, oo, so, rows) => h.ex.logSoftmaxF32(xo, oo, so, rows, l.size, zero ? 1 : 0), l.size);
    },
    logSumExp(x, out, l) {
      if (!fast(x, l)) return jsKernels.logSumExp(x, out, l);
      rowsOp(x, out as Float32Array, l, (h, xo, oo, so, rows) => h.ex.logSumExpF32(xo, oo, so, rows, l.size), 1);
    },
    crossEntropy,
  };
}
