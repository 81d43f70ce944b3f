// The one running instance of the kernels: the heap, the module instantiated over its memory, and
// the worker pool of setThreads(n > 1). run() executes a call's parts (the first on this thread,
// the others on the workers) and records the kernel for sigmax/debug. Created on first use; the
// pool is started by the first call split into several parts (threads cost nothing until then).

import { Heap } from './heap.js';
import { type Instance, chooseRelaxed, instantiate } from './loader.js';
import { CTRL, MAX_WORKERS, type Part, Pool, threadsSupported } from './pool.js';
import type { WasmExports } from './exports.js';
import { traceKernel } from '../trace.js';

export class Runtime {
  readonly heap = new Heap();
  private inst: Instance;
  private pool: Pool | null = null;
  private threadCount = 1;

  constructor() {
    this.inst = this.load();
  }

  /** Instantiates the chosen build over the heap's memory, checking that its data stays below the pool's control block. */
  private load(): Instance {
    const inst = instantiate(this.heap.memory, this.heap.shared);
    const end = inst.exports.dataEnd();
    if (end > CTRL) throw new Error(`sigmax: the kernels' static data ends at byte ${end}, above the thread pool's control block at ${CTRL}`);
    return inst;
  }

  get exports(): WasmExports {
    return this.inst.exports;
  }

  /** Threads a call may use (1 without a pool). */
  get threads(): number {
    return this.threadCount;
  }

  /** The pool's size, started workers and parts run; a pool not started yet shows its size with nothing ready. */
  get poolInfo(): { size: number; ready: number; runs: number[] } | null {
    const p = this.pool;
    if (p === null) return this.threadCount > 1 ? { size: this.threadCount - 1, ready: 0, runs: new Array<number>(this.threadCount - 1).fill(0) } : null;
    return { size: p.size, ready: p.ready(), runs: p.runs() };
  }

  /**
   * Uses n threads (n − 1 workers over the shared memory; at most MAX_WORKERS + 1), started now,
   * or with `lazy` by the first call that splits (setThreads('auto')); 1 closes the pool.
   */
  setThreads(n: number, lazy = false): void {
    const t = this.heap.shared && threadsSupported() ? Math.min(n, MAX_WORKERS + 1) : 1;
    if (t !== this.threadCount) {
      this.pool?.close();
      this.pool = null;
      this.threadCount = t;
    }
    if (!lazy && t > 1 && this.pool === null) this.pool = new Pool(this.inst.module, this.heap.memory, t - 1);
  }

  /** Switches between the relaxed and the plain build over the same memory (arrays living in it stay valid). */
  setRelaxed(on: boolean): void {
    if (!chooseRelaxed(on)) return;
    this.inst = this.load();
    if (this.pool !== null) {
      this.pool.close();
      this.pool = new Pool(this.inst.module, this.heap.memory, this.threadCount - 1);
    }
  }

  /**
   * Runs the parts of one call: the first here, the others on the pool's workers, and `during` on
   * this thread while they compute (scheduler.ts's copies of other chunks); with `here` false
   * every part goes to a worker. Without a started pool everything runs here, `during` last.
   */
  run(parts: readonly Part[], during?: () => void, here = true): void {
    if (parts.length === 0) {
      during?.();
      return;
    }
    traceKernel(`wasm:${parts[0].fn}`);
    const ex = this.inst.exports as unknown as Record<string, (...a: readonly number[]) => unknown>;
    const call = (p: Part) => void ex[p.fn](...p.args);
    // the first split call starts the workers; it (and any call before they are ready) runs here
    if (this.pool === null && this.threadCount > 1 && (parts.length > 1 || !here)) this.pool = new Pool(this.inst.module, this.heap.memory, this.threadCount - 1);
    if (this.pool === null || (parts.length === 1 && here)) {
      parts.forEach(call);
      during?.();
    } else this.pool.run(parts as Part[], call, during, here);
  }

  /** Whether the workers are up, so that a split call really runs in parallel (false with one thread). */
  get parallel(): boolean {
    return this.pool !== null && this.pool.isReady();
  }
}

let runtime: Runtime | null = null;
let wantThreads = 1;
let wantLazy = false;

/** The runtime, created on first use with the thread count asked for so far. */
export function getRuntime(): Runtime {
  if (runtime === null) {
    runtime = new Runtime();
    runtime.setThreads(wantThreads, wantLazy);
  }
  return runtime;
}

/** The runtime if it exists yet (for probes that must not create it). */
export function existingRuntime(): Runtime | null {
  return runtime;
}

/** Threads for the wasm backend (applied now if the runtime exists, else when it is created); lazy: workers start with the first split call. */
export function setRuntimeThreads(n: number, lazy = false): void {
  wantThreads = n;
  wantLazy = lazy;
  runtime?.setThreads(n, lazy);
}
