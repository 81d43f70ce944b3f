// Backend selection. 'js' is the exact reference and is always present; 'auto' picks the fastest
// backend this build and platform have. This build ships the 'js' backend only: asking for
// 'wasm' explicitly is an error that says so, rather than a silent fallback.

import { fail, show } from '../core/errors.js';
import type { Kernels } from './kernels.js';
import { jsKernels } from './js.js';

export type BackendName = 'auto' | 'js' | 'wasm';

let active: Kernels = jsKernels;
let threads = 1;

/** The kernels ops dispatch to. */
export function kernels(): Kernels {
  return active;
}

/**
 * Chooses the backend. 'auto' takes the fastest available one ('js' in this build); 'js' is the
 * exact reference. 'wasm' throws INVALID_OPTION until the WebAssembly kernels are built in.
 */
export function setBackend(name: BackendName): void {
  if (name === 'auto' || name === 'js') {
    active = jsKernels;
    return;
  }
  if (name === 'wasm') {
    fail('setBackend', 'INVALID_OPTION', "the 'wasm' backend is not part of this build; use 'js' or 'auto'");
  }
  fail('setBackend', 'INVALID_OPTION', `backend must be 'auto', 'js' or 'wasm', got ${show(name)}`);
}

/** The name of the backend in use. */
export function getBackend(): 'js' | 'wasm' {
  return active.name;
}

/**
 * Sets how many threads large inputs may be split across (whole rows per thread). Results are
 * the same bits whatever the count. The 'js' backend runs on the calling thread.
 */
export function setThreads(n: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    fail('setThreads', 'INVALID_OPTION', `n must be a positive integer, got ${show(n)}`);
  }
  threads = n;
}

/** The thread count set by setThreads (1 by default). */
export function getThreads(): number {
  return threads;
}
