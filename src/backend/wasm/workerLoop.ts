// The loop every thread-pool worker runs (pool.ts describes the protocol): instantiate the kernels
// over the pool's shared memory, flag itself ready, then run one part per generation until told to
// stop. Self-contained on purpose (only globals, the layout comes in `init`): pool.ts also sends
// this function's source text to a worker started inline where worker.js cannot be loaded.

/** Word indices and byte offsets of the pool's control block (pool.ts owns the layout). */
export interface PoolLayout {
  readonly ctrl: number;
  readonly words: number;
  readonly args: number;
  readonly slot: number;
  readonly gen: number;
  readonly done: number;
  readonly err: number;
  readonly ready: number;
  readonly runs: number;
}

/** What a worker is started with (Node's workerData, or a Web Worker's first message). */
export interface WorkerInit {
  readonly sigmaxPool: true;
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly index: number;
  readonly names: readonly string[];
  readonly layout: PoolLayout;
}

export function serve(init: WorkerInit): void {
  const { module, memory, index, names, layout: L } = init;
  const env = { memory, abort: () => { throw new Error('sigmax wasm abort'); } };
  const ex = new WebAssembly.Instance(module, { env }).exports as Record<string, (...a: number[]) => unknown>;
  const ctrl = new Int32Array(memory.buffer, L.ctrl, L.words);
  let gen = Atomics.load(ctrl, L.gen);
  Atomics.store(ctrl, L.ready + index, 1);
  for (;;) {
    Atomics.wait(ctrl, L.gen, gen);
    gen = Atomics.load(ctrl, L.gen);
    if (gen < 0) break;
    try {
      const a = new Float64Array(memory.buffer, L.args + index * L.slot * 8, L.slot);
      if (a[0] >= 0) {
        ex[names[a[0]]](a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]);
        Atomics.add(ctrl, L.runs + index, 1);
      }
    } catch {
      Atomics.store(ctrl, L.err, 1);
    }
    Atomics.add(ctrl, L.done, 1);
    Atomics.notify(ctrl, L.done);
  }
}
