// The 'wasm' backend: the WebAssembly SIMD kernels of assembly/ where they apply (float32 within
// 2 ulp of the exact value; float64 on the fast float64 kernels when setFastFloat64(true) asked
// for them), the exact reference kernels everywhere else. Its rooms: loader.ts (probes, build
// choice), heap.ts (memory, allocator, zero-copy arrays), runtime.ts (the instance and its worker
// pool), scheduler.ts (staged(): chunks and threads), paths.ts (which calls take the kernels) and
// ops/ (one thin binding per op family).

import type { Kernels } from '../kernels.js';
import { jsKernels } from '../js.js';
import { activations } from './ops/activations.js';
import { softmaxFamily } from './ops/softmax.js';
import { crossEntropyFamily } from './ops/crossEntropy.js';
import { binaryCrossEntropyFamily } from './ops/binaryCrossEntropy.js';
import { klDivergenceFamily } from './ops/klDivergence.js';
import { gemmFamily } from './ops/gemm.js';
import { rowStatsFamily } from './ops/rowStats.js';
import { chooseRelaxed, wasmSimdSupported } from './loader.js';
import { existingRuntime, getRuntime, setRuntimeThreads } from './runtime.js';

export { wasmSimdSupported, wasmRelaxed } from './loader.js';
export { setFastFloat64 as setWasmFloat64Fast, fastFloat64 as wasmFloat64Fast } from './paths.js';

/** The wasm kernels, falling back to the reference where the fast path does not apply. */
export function createWasmKernels(): Kernels {
  getRuntime();
  return {
    ...jsKernels,
    name: 'wasm',
    ...activations,
    ...softmaxFamily,
    ...crossEntropyFamily,
    ...binaryCrossEntropyFamily,
    ...klDivergenceFamily,
    ...gemmFamily,
    ...rowStatsFamily,
  };
}

/** Threads for the wasm backend: n > 1 adds a worker pool over the shared memory (Node, isolated pages). */
export function setWasmThreads(n: number): void {
  setRuntimeThreads(n);
}

/** The worker pool's state, for tests and benchmarks: its size, how many have started, the parts each has run. */
export function wasmPoolInfo(): { size: number; ready: number; runs: number[] } | null {
  return existingRuntime()?.poolInfo ?? null;
}

/** Chooses the plain-SIMD (false) or relaxed-SIMD (true, where available) kernels; for tests and benchmarks. */
export function setWasmRelaxed(on: boolean): void {
  const rt = existingRuntime();
  if (rt !== null) rt.setRelaxed(on);
  else chooseRelaxed(on);
}

/**
 * A Float32Array of `length` zeros living in the wasm memory (sigmax/wasm's allocFloat32): the
 * wasm kernels read and write it in place, without the copies in and out. Where the memory cannot
 * be shared (no SharedArrayBuffer: a browser page that is not cross-origin isolated), a growing
 * memory would detach such views, so this returns an ordinary Float32Array instead.
 */
export function wasmFloat32Array(length: number): Float32Array {
  if (!wasmSimdSupported()) return new Float32Array(length);
  const h = getRuntime().heap;
  if (!h.shared) return new Float32Array(length);
  return h.allocArray(length, 'allocFloat32');
}

/** Gives back the memory of an array from wasmFloat32Array; false for anything else, or one already freed. */
export function freeWasmFloat32Array(a: unknown): boolean {
  return existingRuntime()?.heap.freeArray(a) ?? false;
}

/** Whether `a` lives in the wasm memory (so the kernels use it in place). */
export function isWasmFloat32Array(a: unknown): boolean {
  return existingRuntime()?.heap.holds(a) ?? false;
}
