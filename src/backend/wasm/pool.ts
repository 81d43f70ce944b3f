// A worker pool for the wasm backend: worker_threads in Node, Bun and Deno, Web Workers in browsers
// whose page is cross-origin isolated (SharedArrayBuffer available). Every worker (worker.ts, the
// loop in workerLoop.ts) instantiates the shared-memory build of the kernels over the same
// WebAssembly.Memory, and a call is split by whole rows. Synchronisation is a few Int32 words in
// that memory (Atomics), so the API stays synchronous: the calling thread runs the first part
// itself, then waits for the others (Atomics.wait in Node; a browser's main thread may not block,
// so it polls). A worker starts asynchronously: until every worker has said it is ready (a flag
// each sets in the shared memory), calls run on the calling thread alone, so no call ever waits
// for a worker that has not started. Node's workers are unref'd (they never keep a process alive);
// an exception in a worker, or a worker that stops answering, surfaces as an Error in the caller.

import { EXPORT_NAMES, type ExportName, MAX_PARAMS } from './exports.js';
import { type PoolLayout, type WorkerInit, serve } from './workerLoop.js';
import { workerModuleUrl } from '../../core/workerUrl.js';

/**
 * Byte offset of the control block inside the reserved first page of the memory, above the
 * module's own data (its math tables; the runtime checks the module's dataEnd() against it).
 */
export const CTRL = 49152;
/** Per-worker argument slots: [function index, up to SLOT − 1 arguments] as float64. */
const ARGS = CTRL + 1024;
const SLOT = 16;
if (MAX_PARAMS > SLOT - 1) throw new Error(`sigmax: a kernel takes ${MAX_PARAMS} arguments; the pool's slots hold ${SLOT - 1}`);
const FN_INDEX = new Map<ExportName, number>(EXPORT_NAMES.map((n, i) => [n, i]));
/** How long a call waits for its workers before it gives up (ms). */
const TIMEOUT_MS = 120_000;

// ctrl[0]: generation (bumped to start a job, −1 to stop), ctrl[1]: parts done, ctrl[2]: error
// flag, ctrl[4 + i]: worker i is ready (1), ctrl[4 + MAX_WORKERS + i]: parts worker i has run.
const GEN = 0;
const DONE = 1;
const ERR = 2;
const READY = 4;
/** The control block's Int32 words hold at most this many workers' flags and counters. */
export const MAX_WORKERS = 64;
const RUNS = READY + MAX_WORKERS;

/** The control block's layout as the workers read it (workerLoop.ts). */
const LAYOUT: PoolLayout = { ctrl: CTRL, words: RUNS + MAX_WORKERS, args: ARGS, slot: SLOT, gen: GEN, done: DONE, err: ERR, ready: READY, runs: RUNS };

/**
 * worker.js next to this module, for Node, Bun and Deno (src/core/workerUrl.ts: under tsx, the .ts
 * source behind a loader). Built from a name rather than a literal inside `new URL(…,
 * import.meta.url)`, so that bundlers do not copy the file as an asset for this branch; the
 * browser branch's literal `new Worker(new URL('./worker.js', import.meta.url))` is the form Vite
 * bundles as a worker chunk.
 */
function nodeWorkerUrl(): URL {
  return workerModuleUrl(import.meta.url, 'worker');
}

/** The worker inline, from serve's own source: for a bundle that did not keep worker.js next to it. */
const INLINE_NODE = () => `(${serve.toString()})(require('node:worker_threads').workerData);`;
const INLINE_WEB = () => `addEventListener('message', (m) => (${serve.toString()})(m.data), { once: true });`;

interface WorkerLike {
  terminate(): unknown;
}

interface NodeWorker extends WorkerLike {
  unref(): void;
  on(event: 'error', f: (e: unknown) => void): void;
}
type NodeWorkerCtor = new (src: string | URL, opts: { eval?: boolean; workerData: unknown; execArgv: string[] }) => NodeWorker;

/** node:worker_threads' Worker where available synchronously (Node ≥ 20.16, Bun, Deno), else null. */
function nodeWorkerCtor(): NodeWorkerCtor | null {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const wt = p?.getBuiltinModule?.('node:worker_threads') as { Worker?: NodeWorkerCtor } | undefined;
  return wt?.Worker ?? null;
}

/** Whether the browser's Worker may be sent shared memory (a cross-origin isolated page). */
function webWorkers(): boolean {
  const g = globalThis as { Worker?: unknown; crossOriginIsolated?: boolean; URL?: { createObjectURL?: unknown } };
  return typeof g.Worker === 'function' && g.crossOriginIsolated === true && typeof g.URL?.createObjectURL === 'function';
}

export function threadsSupported(): boolean {
  return typeof SharedArrayBuffer === 'function' && (nodeWorkerCtor() !== null || webWorkers());
}

/** Whether this thread may block in Atomics.wait (Node's threads and Web Workers may; a page's main thread may not). */
function canBlock(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string } }; document?: unknown };
  return g.process?.versions?.node !== undefined || g.document === undefined;
}

/** One call of a kernel: its export name and its numeric arguments (built typed by scheduler.ts's part()). */
export interface Part {
  readonly fn: ExportName;
  readonly args: readonly number[];
}

export class Pool {
  private readonly workers: WorkerLike[] = [];
  private readonly ctrl: Int32Array;
  private readonly block = canBlock();
  private url: string | null = null;
  private closed = false;
  private allReady = false;

  constructor(
    module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    readonly size: number,
  ) {
    const names = EXPORT_NAMES;
    if (size > MAX_WORKERS) throw new Error(`sigmax: at most ${MAX_WORKERS} worker threads, asked for ${size}`);
    this.ctrl = new Int32Array(memory.buffer, CTRL, RUNS + MAX_WORKERS);
    Atomics.store(this.ctrl, GEN, 0);
    for (let i = 0; i < MAX_WORKERS; i++) {
      Atomics.store(this.ctrl, READY + i, 0);
      Atomics.store(this.ctrl, RUNS + i, 0);
    }
    const NodeWorker = nodeWorkerCtor();
    for (let i = 0; i < size; i++) {
      const init: WorkerInit = { sigmaxPool: true, module, memory, index: i, names, layout: LAYOUT };
      this.workers.push(NodeWorker !== null ? this.startNode(NodeWorker, init) : this.startWeb(init));
    }
  }

  /**
   * A worker_threads worker on worker.js, with execArgv [] (a parent's --input-type=module or
   * --import must not reach it); if the file cannot be loaded, the same loop inline.
   */
  private startNode(NodeWorker: NodeWorkerCtor, init: WorkerInit): WorkerLike {
    const i = init.index;
    const start = (inline: boolean): NodeWorker => {
      const w = inline
        ? new NodeWorker(INLINE_NODE(), { eval: true, workerData: init, execArgv: [] })
        : new NodeWorker(nodeWorkerUrl(), { workerData: init, execArgv: [] });
      w.unref();
      // a worker that fails before it is ready leaves its part to this thread (run() waits for all)
      w.on('error', () => {
        if (!inline && this.workers[i] === w && !this.closed && Atomics.load(this.ctrl, READY + i) === 0) this.workers[i] = start(true);
      });
      return w;
    };
    return start(false);
  }

  /** A module Web Worker on worker.js; where the bundle has no worker.js (esbuild), a Blob worker with the same loop. */
  private startWeb(init: WorkerInit): WorkerLike {
    const i = init.index;
    const name = `sigmax-${i}`;
    const inline = (): Worker => {
      this.url ??= URL.createObjectURL(new Blob([INLINE_WEB()], { type: 'text/javascript' }));
      const w = new Worker(this.url, { name });
      w.postMessage(init);
      return w;
    };
    let w: Worker;
    try {
      w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name });
    } catch {
      return inline();
    }
    w.addEventListener('error', () => {
      if (this.workers[i] === w && !this.closed && Atomics.load(this.ctrl, READY + i) === 0) this.workers[i] = inline();
    }, { once: true });
    w.postMessage(init);
    return w;
  }

  /** How many workers have started (a Web Worker starts asynchronously; Node's are ready at once or soon). */
  ready(): number {
    let n = 0;
    for (let i = 0; i < this.size; i++) n += Atomics.load(this.ctrl, READY + i);
    return n;
  }

  /** Parts each worker has run so far. */
  runs(): number[] {
    return Array.from({ length: this.size }, (_, i) => Atomics.load(this.ctrl, RUNS + i));
  }

  /**
   * Runs parts[0] with `local` on this thread and the rest on the workers, then `during` on this
   * thread while the workers may still compute, then waits for all. With `here` false every part
   * goes to a worker and this thread runs only `during`. Until every worker has started, every
   * part runs here (a Web Worker starts asynchronously), then `during`.
   */
  run(parts: Part[], local: (p: Part) => void, during?: () => void, here = true): void {
    const first = here ? 1 : 0;
    const remote = parts.length - first;
    if (remote > this.size) throw new Error(`sigmax: ${remote} parts for a pool of ${this.size} workers`);
    if (remote === 0 || !this.isReady()) {
      parts.forEach(local);
      during?.();
      return;
    }
    const ctrl = this.ctrl;
    const f64 = new Float64Array(this.memory.buffer, ARGS, SLOT * this.size);
    for (let w = 0; w < this.size; w++) {
      // every worker wakes on a new generation; one without a part runs nothing (fn = −1)
      const p = w < remote ? parts[w + first] : null;
      if (p !== null && p.args.length > SLOT - 1) throw new Error(`sigmax: ${p.fn} was given ${p.args.length} arguments; a worker's slot holds ${SLOT - 1}`);
      f64[w * SLOT] = p === null ? -1 : (FN_INDEX.get(p.fn) as number);
      if (p !== null) for (let k = 0; k < p.args.length; k++) f64[w * SLOT + 1 + k] = p.args[k];
    }
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, ERR, 0);
    Atomics.add(ctrl, GEN, 1);
    Atomics.notify(ctrl, GEN);
    let localError: unknown = null;
    try {
      if (here) local(parts[0]);
      during?.();
    } catch (e) {
      localError = e;
    }
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(ctrl, DONE);
      if (done >= this.size) break;
      if (Date.now() > deadline) throw new Error(`sigmax: worker threads did not finish within ${TIMEOUT_MS / 1000} s`);
      if (this.block) Atomics.wait(ctrl, DONE, done, 50);
    }
    if (localError !== null) throw localError;
    if (Atomics.load(ctrl, ERR) !== 0) throw new Error('sigmax: a worker thread failed while running a kernel');
  }

  /** Whether every worker has started, so that parts given to run() go to them. */
  isReady(): boolean {
    if (!this.allReady && this.ready() === this.size) this.allReady = true;
    return this.allReady;
  }

  /** Stops the workers (Node's are unref'd, so this is only needed to free them early). */
  close(): void {
    this.closed = true;
    Atomics.store(this.ctrl, GEN, -1);
    Atomics.notify(this.ctrl, GEN);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
    if (this.url !== null) (globalThis as unknown as { URL: { revokeObjectURL(u: string): void } }).URL.revokeObjectURL(this.url);
  }
}
