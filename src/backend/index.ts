// Backend selection. 'js' is the exact reference and is always present; 'wasm' runs the
// WebAssembly SIMD kernels where they apply (float32, within 2 ulp) and the reference elsewhere;
// 'auto' (the default) picks 'wasm' where WebAssembly SIMD exists, else 'js'.

import { fail, show } from '../core/errors.js';
import type { Kernels } from './kernels.js';
import { jsKernels } from './js.js';
import { aliasSafe } from './aliasing.js';
import { createWasmKernels, wasmSimdSupported } from './wasm/index.js';
import { existingRuntime, setRuntimeThreads } from './wasm/runtime.js';
import { MAX_WORKERS, threadsSupported } from './wasm/pool.js';

export type BackendName = 'auto' | 'js' | 'wasm';

let wasmKernels: Kernels | null = null;
/** The reference kernels as ops call them (with the aliasing rule; wasm's fallbacks call jsKernels directly). */
const jsBackend = aliasSafe(jsKernels);
let active: Kernels | null = null;
let threads: number | 'auto' = 'auto';

function wasm(): Kernels | null {
  if (wasmKernels === null && wasmSimdSupported()) {
    setRuntimeThreads(threadsInEffect(), threads === 'auto');
    wasmKernels = aliasSafe(createWasmKernels());
  }
  return wasmKernels;
}

/** The kernels ops dispatch to (chosen by 'auto' on first use). */
export function kernels(): Kernels {
  return (active ??= wasm() ?? jsBackend);
}

/**
 * Chooses the backend. 'js' is the exact reference (correctly rounded); 'wasm' the WebAssembly
 * SIMD kernels (float32 within 2 ulp; float64 and the rest through the reference); 'auto', the
 * default, takes 'wasm' where WebAssembly SIMD is available and 'js' elsewhere. Asking for 'wasm'
 * where SIMD is missing throws INVALID_OPTION.
 */
export function setBackend(name: BackendName): void {
  if (name === 'js') {
    active = jsBackend;
    return;
  }
  if (name === 'auto') {
    active = wasm() ?? jsBackend;
    return;
  }
  if (name === 'wasm') {
    const k = wasm();
    if (k === null) fail('setBackend', 'INVALID_OPTION', "the 'wasm' backend needs WebAssembly SIMD, which this platform lacks; use 'js' or 'auto'");
    active = k;
    return;
  }
  fail('setBackend', 'INVALID_OPTION', `backend must be 'auto', 'js' or 'wasm', got ${show(name)}`);
}

/** The name of the backend in use. */
export function getBackend(): 'js' | 'wasm' {
  return kernels().name;
}

/**
 * Most threads 'auto' takes: the kernels are memory-bound, and past about 8 threads one call's
 * rows no longer run faster while every extra worker costs memory and start-up time.
 */
export const AUTO_THREADS_MAX = 8;

/**
 * Sets how many threads the 'wasm' backend may split large inputs across. 'auto', the default,
 * takes the machine's cores (os.availableParallelism(), navigator.hardwareConcurrency), at most
 * AUTO_THREADS_MAX = 8; setThreads(1) keeps every call on the calling thread. A call is split
 * only where each thread gets at least 65536 elements (below that, waking a worker costs more
 * than it saves), whole rows per thread, and rows of 65536 elements and more in fixed blocks of
 * 16384, so that one long row uses every thread too. Results are the same bits whatever the
 * count. The workers start with the first call large enough to be split (until they are up,
 * calls run on the calling thread) and never keep a process alive. Threads need
 * SharedArrayBuffer and workers: worker_threads in Node, Web Workers in a page that is
 * cross-origin isolated (served with COOP: same-origin and COEP: require-corp); elsewhere, and
 * on the 'js' backend, everything runs on the calling thread. An explicit count above the cores
 * is capped at the cores, with a one-line console warning the first time: more threads than
 * cores only cost start-up time and contention.
 */
export function setThreads(n: number | 'auto'): void {
  if (n !== 'auto' && (typeof n !== 'number' || !Number.isInteger(n) || n < 1)) {
    fail('setThreads', 'INVALID_OPTION', `n must be a positive integer, got ${show(n)}`);
  }
  const c = cores();
  if (n !== 'auto' && c !== null && n > c) {
    if (!warnedCap) console.warn(`sigmax: setThreads(${n}) capped at ${c}, the cores this machine has`);
    warnedCap = true;
    n = c;
  }
  threads = n;
  setRuntimeThreads(threadsInEffect(), n === 'auto');
}

/** The count 'auto' or the last setThreads(n) stands for. */
function threadsInEffect(): number {
  return threads === 'auto' ? Math.min(cores() ?? 1, AUTO_THREADS_MAX) : threads;
}

let warnedCap = false;

/** The cores the runtime reports (Node, Bun and Deno through node:os; browsers through navigator), or null where none does. */
function cores(): number | null {
  const g = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown }; navigator?: { hardwareConcurrency?: number } };
  const os = g.process?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
  const c = os?.availableParallelism?.() ?? g.navigator?.hardwareConcurrency;
  return typeof c === 'number' && Number.isInteger(c) && c >= 1 ? c : null;
}

/**
 * The threads calls may use now: the count setThreads asked for ('auto' resolved from the cores),
 * or 1 where threads are unavailable (no SharedArrayBuffer or workers) or the backend is 'js'.
 */
export function getThreads(): number {
  if ((active?.name ?? (wasmSimdSupported() ? 'wasm' : 'js')) !== 'wasm') return 1;
  const rt = existingRuntime();
  if (rt !== null) return rt.threads;
  return typeof SharedArrayBuffer === 'function' && threadsSupported() ? Math.min(threadsInEffect(), MAX_WORKERS + 1) : 1;
}
