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

import { freeWasmFloat32Array, isWasmFloat32Array, wasmFloat32Array } from '../backend/wasm.js';
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
