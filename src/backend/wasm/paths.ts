// Which calls the wasm kernels serve, and what the row kernels need. Float32 rows contiguous along
// the last axis take the float32 kernels; float64 rows take the fast float64 kernels only when
// sigmax/wasm's setFastFloat64(true) asked for them; everything else goes to the reference.

import type { FloatArray } from '../../core/tensor.js';
import type { Layout } from '../../core/shape.js';

let fastF64 = false;

/** Whether float64 runs the fast float64 kernels (within the documented bounds) instead of the exact reference. */
export function setFastFloat64(on: boolean): void {
  fastF64 = on;
}

export function fastFloat64(): boolean {
  return fastF64;
}

/** Float32 rows along the last axis, at least one element long: the float32 row kernels apply. */
export const f32Rows = (x: FloatArray, l: Layout): x is Float32Array => x instanceof Float32Array && l.inner === 1 && l.size > 0;

/** Float64 rows along the last axis with the fast float64 kernels switched on. */
export const f64Rows = (x: FloatArray, l: Layout): x is Float64Array => fastF64 && x instanceof Float64Array && l.inner === 1 && l.size > 0;

/** Rows at most this long take the four-row kernels (assembly/ops/softmaxRows4.ts). */
export const SMALL_N = 32;

/** Rows that stay together on one thread: short rows go four at a time, so every row keeps one kernel for any split. */
export const rowGroup = (n: number): number => (n <= SMALL_N ? 4 : 1);

/** Scratch per thread of the float32 row kernels: a row's e as float64 (8·n bytes), or the four-row kernels' columns and e (48·n). */
export const scratchPer = (n: number): number => (n <= SMALL_N ? n * 48 : n * 8);
