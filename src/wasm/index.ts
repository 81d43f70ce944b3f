// sigmax/wasm: Float32Arrays that live inside the 'wasm' backend's memory. The fast kernels read
// and write such arrays where they are, so a training loop that keeps its logits, gradients and
// outputs in them skips the copies in and out of the wasm memory that every other call makes
// (about 0.25 ns per element each way on the benchmark machine; bench/RESULTS.md, "zero-copy").
//
//   import { allocFloat32, freeFloat32 } from 'sigmax/wasm';
//   const logits = allocFloat32(32 * 32000);            // fill it, e.g. logits.set(...)
//   const probs = allocFloat32(32 * 32000);
//   softmax(tensor(logits, [32, 32000]), { out: probs }); // no copies
//   freeFloat32(logits); freeFloat32(probs);             // when done
//
// The arrays are ordinary Float32Arrays everywhere else (any op, any backend, any code accepts
// them). Where the memory cannot be shared (no SharedArrayBuffer: a browser page that is not
// cross-origin isolated), a growing wasm memory would detach views of it, so allocFloat32 returns
// a plain Float32Array there and calls copy as usual; isWasmFloat32 tells which you got.
//
// setFastFloat64(true) trades float64's correct rounding for speed: float64 softmax, logSoftmax,
// logSumExp (last axis, temperature 1), sigmoid and class-index crossEntropy then run SIMD
// float64 kernels within the documented bounds (2 ulp elementwise, 4 ulp softmax family, 8 ulp
// gradients; measured worst 2.3 ulp) at 10–21× the reference's speed (bench/FLOAT64-RESULTS.md).

import { freeWasmFloat32Array, isWasmFloat32Array, setWasmFloat64Fast, wasmFloat32Array, wasmFloat64Fast } from '../backend/wasm/index.js';
import { fail, show } from '../core/errors.js';

/**
 * A zero-filled Float32Array of `length` elements in the wasm backend's memory (see the module
 * comment). It stays valid until freeFloat32; the memory only grows, so earlier arrays survive
 * later allocations and calls. Give it back with freeFloat32 when it is no longer used.
 */
export function allocFloat32(length: number): Float32Array {
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
    fail('allocFloat32', 'INVALID_OPTION', `length must be a non-negative integer, got ${show(length)}`);
  }
  return wasmFloat32Array(length);
}

/**
 * Gives back an array from allocFloat32; returns false (and does nothing) for any other array,
 * or one already freed. Using an array after freeing it is an error that nothing detects: its
 * memory may hold another call's data.
 */
export function freeFloat32(a: Float32Array): boolean {
  return freeWasmFloat32Array(a);
}

/** Whether `a` lives in the wasm memory (the kernels then use it in place, without copies). */
export function isWasmFloat32(a: unknown): boolean {
  return isWasmFloat32Array(a);
}

/**
 * Whether the 'wasm' backend runs float64 on its fast SIMD float64 kernels (true) or on the exact
 * reference kernels (false, the default: correctly rounded). The fast kernels cover softmax,
 * logSoftmax and logSumExp along the last axis with temperature 1, sigmoid, and crossEntropy with
 * class-index targets and no label smoothing; everything else stays on the reference. Their
 * results are within 2 ulp (elementwise), 4 ulp (softmax family) and 8 ulp (gradients) of the
 * exact value, the bounds every backend promises, so the last bit can differ from the default's,
 * and from the same op along another axis. Float32 is not affected.
 */
export function setFastFloat64(on: boolean): void {
  if (typeof on !== 'boolean') fail('setFastFloat64', 'INVALID_OPTION', `on must be a boolean, got ${show(on)}`);
  setWasmFloat64Fast(on);
}

/** The setting of setFastFloat64. */
export function getFastFloat64(): boolean {
  return wasmFloat64Fast();
}
