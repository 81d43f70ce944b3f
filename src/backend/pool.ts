// A worker-thread pool for the wasm backend (Node only): every worker instantiates the shared-
// memory build of the kernels over the same WebAssembly.Memory, and a call is split by whole
// rows. Synchronisation is a few Int32 words in that memory (Atomics.wait/notify), so the API
// stays synchronous. Workers are unref'd (they never keep a process alive); an exception in a
// worker, or a worker that stops answering, surfaces as an Error in the caller, never a hang.

/**
 * Byte offset of the control block inside the reserved first page of the memory, above the
 * module's own data (its math tables end below 8 KiB; each instance re-applies them).
 */
export const CTRL = 49152;
/** Per-worker argument slots: [function index, up to 15 arguments] as float64. */
const ARGS = CTRL + 1024;
const SLOT = 16;
/** How long a call waits for its workers before it gives up (ms). */
const TIMEOUT_MS = 120_000;

// ctrl[0]: generation (bumped to start a job, −1 to stop), ctrl[1]: parts done, ctrl[2]: error flag.
const GEN = 0;
const DONE = 1;
const ERR = 2;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, index, names } = workerData;
const ex = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm abort'); } } }).exports;
const ctrl = new Int32Array(memory.buffer, ${CTRL}, 16);
let gen = 0;
for (;;) {
  Atomics.wait(ctrl, ${GEN}, gen);
  gen = Atomics.load(ctrl, ${GEN});
  if (gen < 0) break;
  try {
    const a = new Float64Array(memory.buffer, ${ARGS} + index * ${SLOT * 8}, ${SLOT});
    if (a[0] >= 0) ex[names[a[0]]](a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]);
  } catch (e) {
    Atomics.store(ctrl, ${ERR}, 1);
  }
  Atomics.add(ctrl, ${DONE}, 1);
  Atomics.notify(ctrl, ${DONE});
}
`;

interface WorkerLike {
  unref(): void;
  terminate(): Promise<number>;
}

type WorkerCtor = new (src: string, opts: { eval: boolean; workerData: unknown }) => WorkerLike;

/** node:worker_threads' Worker where available synchronously (Node ≥ 20.16), else null. */
function workerCtor(): WorkerCtor | null {
  const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const wt = p?.getBuiltinModule?.('node:worker_threads') as { Worker?: WorkerCtor } | undefined;
  return wt?.Worker ?? null;
}

export function threadsSupported(): boolean {
  return typeof SharedArrayBuffer === 'function' && workerCtor() !== null;
}

/** One call of a kernel: the index of its name in `names` and its numeric arguments. */
export interface Part {
  fn: number;
  args: number[];
}

export class Pool {
  private readonly workers: WorkerLike[] = [];
  private readonly ctrl: Int32Array;

  constructor(
    module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    names: readonly string[],
    readonly size: number,
  ) {
    const Worker = workerCtor() as WorkerCtor;
    this.ctrl = new Int32Array(memory.buffer, CTRL, 16);
    Atomics.store(this.ctrl, GEN, 0);
    for (let i = 0; i < size; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, index: i, names } });
      w.unref();
      this.workers.push(w);
    }
  }

  /** Runs parts[0] with `local` on this thread and the rest on workers 0.., then waits for all. */
  run(parts: Part[], local: (p: Part) => void): void {
    const remote = parts.length - 1;
    if (remote > this.size) throw new Error(`sigmax: ${remote} parts for a pool of ${this.size} workers`);
    if (remote === 0) {
      local(parts[0]);
      return;
    }
    const f64 = new Float64Array(this.memory.buffer, ARGS, SLOT * this.size);
    for (let w = 0; w < this.size; w++) {
      // every worker wakes on a new generation; one without a part runs nothing (fn = −1)
      const p = w < remote ? parts[w + 1] : null;
      f64[w * SLOT] = p === null ? -1 : p.fn;
      if (p !== null) for (let k = 0; k < p.args.length; k++) f64[w * SLOT + 1 + k] = p.args[k];
    }
    const ctrl = this.ctrl;
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, ERR, 0);
    Atomics.add(ctrl, GEN, 1);
    Atomics.notify(ctrl, GEN);
    let localError: unknown = null;
    try {
      local(parts[0]);
    } catch (e) {
      localError = e;
    }
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(ctrl, DONE);
      if (done >= this.size) break;
      if (Date.now() > deadline) throw new Error(`sigmax: worker threads did not finish within ${TIMEOUT_MS / 1000} s`);
      Atomics.wait(ctrl, DONE, done, 50);
    }
    if (localError !== null) throw localError;
    if (Atomics.load(ctrl, ERR) !== 0) throw new Error('sigmax: a worker thread failed while running a kernel');
  }

  /** Stops the workers (they are unref'd, so this is only needed to free them early). */
  close(): void {
    Atomics.store(this.ctrl, GEN, -1);
    Atomics.notify(this.ctrl, GEN);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
