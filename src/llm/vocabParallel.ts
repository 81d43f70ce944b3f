// Vocabulary-parallel linear cross-entropy over node:worker_threads: each worker owns a slice of
// the weight's rows (its share of the vocabulary), computes the softmax statistics of its slice,
// and the pool combines them with one reduction (mergeSoftmaxStats) instead of Megatron's three
// all-reduces (max, Σe, target logit). A second round computes each slice's gradients. Node only:
// node:worker_threads is imported when a pool is created, so this module loads anywhere.

import { fail, show } from '../core/errors.js';
import { checkOptions, numberOption } from '../core/options.js';
import { type FloatArray, type Input, type Output, makeResult, readArg } from '../core/tensor.js';
import { reduce } from '../core/losses.js';
import type { Target } from '../ops/crossEntropy.js';
import { type LinearCrossEntropyOptions, type LinearCrossEntropyResult, biasF64, checkOutputs, prepare } from './linearCrossEntropy.js';
import { type RowCoefs, type RowTotals, coefsBytes, coefsOnBuffer, lossRows } from './rowMath.js';
import { mergeSoftmaxStats } from './softmaxStats.js';
import { statsBytes, statsOnBuffer } from './statsBuffer.js';
import type { Job, WorkerInit } from './vocabParallelWorker.js';
import { workerModuleUrl } from '../core/workerUrl.js';

/** The part of node:worker_threads' Worker the pool uses (kept local so no Node types leak out). */
interface NodeWorker {
  postMessage(msg: unknown): void;
  on(event: 'message' | 'error' | 'exit' | 'messageerror', f: (x: any) => void): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}
type WorkerCtor = new (url: URL | string, opts: { workerData: WorkerInit; transferList: ArrayBuffer[]; execArgv: string[] }) => NodeWorker;

export interface VocabParallelOptions {
  /** Number of workers, each owning a contiguous slice of the vocabulary. Default 2. */
  workers?: number;
  /** The worker script. Default: vocabParallelWorker.js next to this module (set it when a bundler moves files). */
  workerUrl?: URL | string;
  /** How long the workers may take to start (ms) before the pool gives up and rejects; default 30000. */
  startTimeout?: number;
}

/** A pool of workers that each own a slice of a [V, D] weight. */
export interface VocabParallelPool {
  /** Number of workers. */
  readonly workers: number;
  /** The vocabulary slice [start, end) of each worker. */
  readonly ranges: readonly (readonly [number, number])[];
  /**
   * linearCrossEntropy(hidden, weight, target, opts) with the vocabulary split across the
   * workers: same options, same results (to rounding; see createVocabParallelPool). Rejects on
   * bad input (SigmaxError), when a worker fails, or after close().
   */
  run<X extends Input>(hidden: X, target: Target, opts: LinearCrossEntropyOptions & { reduction: 'none' }): Promise<LinearCrossEntropyResult<Output<X>, Output<X>>>;
  run<X extends Input>(hidden: X, target: Target, opts?: LinearCrossEntropyOptions & { reduction?: 'mean' | 'sum' }): Promise<LinearCrossEntropyResult<number, Output<X>>>;
  run<X extends Input>(hidden: X, target: Target, opts?: LinearCrossEntropyOptions): Promise<LinearCrossEntropyResult<number | Output<X>, Output<X>>>;
  /** Terminates the workers; pending runs reject. */
  close(): Promise<void>;
}

/**
 * The worker script next to this module. Run from the TypeScript sources (tests, benchmarks under
 * tsx), Node 20 workers do not inherit tsx's loader, so the worker starts from a two-line module
 * that registers it first; where tsx is absent the .ts file is loaded as it is (Deno, Bun, Node
 * with type stripping).
 */
function defaultWorkerUrl(): URL {
  return workerModuleUrl(import.meta.url, 'vocabParallelWorker');
}

/**
 * Starts `workers` worker threads and gives each a contiguous slice of `weight`'s rows (copied
 * once and transferred: the worker owns it). `pool.run(hidden, target, opts)` then computes
 * linearCrossEntropy: round 1, every worker computes the softmax statistics of its slice
 * (max, Σ e^(z − max) as a double-double, the target logit where it owns the target, label
 * smoothing's sums); the pool merges them with mergeSoftmaxStats in worker order (one reduction)
 * and forms the losses; round 2, every worker computes its slice of gradWeight and gradBias and a
 * partial gradHidden, which the pool adds in worker order in float64. Results agree with the
 * single-process linearCrossEntropy: the statistics are double-doubles (Σe to about 2^−70, Σ w
 * exact), so every gradient logit rounds as it does in one process (barring a near-halfway case
 * at the 2^−70 level), and gradWeight and gradBias, summed over the same token blocks in the same
 * order, come out bit for bit the same; the loss and lse can move by an ulp, and gradHidden,
 * summed over vocabulary slices in another order, by float64's last bits.
 * The weight is copied at creation: after updating it, create a new pool.
 * Idle workers are unref'd, so the pool never keeps the process alive; a worker that throws or
 * exits rejects the runs in flight (and later ones) instead of hanging. Node.js only.
 */
export async function createVocabParallelPool(weight: Input, opts?: VocabParallelOptions): Promise<VocabParallelPool> {
  const fn = 'createVocabParallelPool';
  checkOptions(fn, opts, ['workers', 'workerUrl', 'startTimeout']);
  const w = readArg(fn, 'weight', weight);
  if (w.shape.length !== 2) fail(fn, 'SHAPE_MISMATCH', `weight must be a 2-D tensor [V, D], got shape ${show(w.shape)}`);
  const [V, D] = w.shape;
  const count = numberOption(fn, 'workers', opts?.workers, 2, (n) => Number.isInteger(n) && n >= 1 && n <= 256, 'an integer in [1, 256]');
  const startTimeout = numberOption(fn, 'startTimeout', opts?.startTimeout, 30_000, (t) => t > 0 && t <= 2 ** 31 - 1, 'a number of milliseconds in (0, 2^31)');
  const f32 = w.data instanceof Float32Array;
  // through process.getBuiltinModule (Node ≥ 20.16, Bun, Deno), which no bundler follows: sigmax/llm bundles for browsers
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.('node:worker_threads') as { Worker: WorkerCtor } | undefined;
  if (mod === undefined) fail(fn, 'INVALID_OPTION', 'the vocabulary-parallel pool needs node:worker_threads (Node.js, Bun or Deno)');
  const url = opts?.workerUrl ?? defaultWorkerUrl();
  const ranges: [number, number][] = [];
  for (let i = 0; i < count; i++) ranges.push([Math.floor((V * i) / count), Math.floor((V * (i + 1)) / count)]);

  let broken: Error | null = null;
  let closed = false;
  let nextId = 1;
  let inFlight = 0;
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void; worker: number }>();
  const workers: NodeWorker[] = [];

  const failAll = (e: Error) => {
    if (broken === null) broken = e;
    for (const [id, p] of pending) {
      pending.delete(id);
      p.reject(e);
    }
  };

  const ready: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const [v0, v1] = ranges[i];
    const bytes = (v1 - v0) * D * (f32 ? 4 : 8);
    const slice = new ArrayBuffer(bytes);
    const view = f32 ? new Float32Array(slice) : new Float64Array(slice);
    view.set(w.data.subarray(v0 * D, v1 * D));
    const worker = new mod.Worker(url, {
      workerData: { weight: slice, f32, V: v1 - v0, D, classOffset: v0, C: V },
      transferList: [slice],
      execArgv: [], // a parent's --input-type=module or --import must not reach the worker
    });
    workers.push(worker);
    ready.push(
      new Promise<void>((resolve, reject) => {
        let started = false;
        worker.on('message', (msg: { ready?: boolean; id?: number; ok?: boolean; error?: string }) => {
          if (msg.ready) {
            started = true;
            resolve();
            return;
          }
          const p = pending.get(msg.id as number);
          if (p === undefined) return;
          pending.delete(msg.id as number);
          if (msg.ok) p.resolve();
          else {
            const e = new Error(`vocabulary-parallel worker ${i} failed: ${msg.error}`);
            failAll(e);
            p.reject(e);
          }
        });
        const onFail = (e: Error) => {
          if (!started) reject(e);
          failAll(e);
        };
        worker.on('error', (e: Error) => onFail(new Error(`vocabulary-parallel worker ${i} failed: ${e?.message ?? e}`)));
        worker.on('messageerror', (e: Error) => onFail(new Error(`vocabulary-parallel worker ${i}: message error ${e?.message ?? e}`)));
        worker.on('exit', (code: number) => {
          if (!closed) onFail(new Error(`vocabulary-parallel worker ${i} exited (code ${code})`));
        });
      }),
    );
  }
  // a worker script that never says it is ready (a wrong workerUrl) must not keep the caller waiting
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`vocabulary-parallel workers did not start within ${startTimeout} ms (worker script ${String(url)})`)), startTimeout);
  });
  try {
    await Promise.race([Promise.all(ready), late]);
  } catch (e) {
    closed = true;
    await Promise.all(workers.map((x) => x.terminate()));
    throw e;
  } finally {
    clearTimeout(timer);
  }
  for (const x of workers) x.unref();

  const call = (i: number, job: Omit<Job, 'id'>): Promise<void> => {
    if (broken !== null) return Promise.reject(broken);
    if (closed) return Promise.reject(new Error('vocabulary-parallel pool is closed'));
    const id = nextId++;
    return new Promise<void>((resolve, reject) => {
      pending.set(id, { resolve, reject, worker: i });
      workers[i].postMessage({ ...job, id });
    });
  };

  // Workers are ref'd only while a run is in flight, so an idle pool never holds the process.
  const hold = () => {
    if (inFlight++ === 0) for (const x of workers) x.ref();
  };
  const release = () => {
    if (--inFlight === 0) for (const x of workers) x.unref();
  };

  async function run(hidden: unknown, target: unknown, o?: LinearCrossEntropyOptions): Promise<LinearCrossEntropyResult<unknown, unknown>> {
    const P = prepare('VocabParallelPool.run', hidden, w.kind === 'tensor' ? weight : { data: w.data, shape: w.shape }, target, o);
    if (broken !== null) throw broken;
    if (closed) throw new Error('vocabulary-parallel pool is closed');
    const { N, dtype, reduction, fn } = P;
    const none = reduction === 'none';
    const lossRes = none ? makeResult(fn, P.hidden, dtype, P.rowsShape, o?.lossOut) : null;
    const zRes = none ? makeResult(fn, P.hidden, dtype, P.rowsShape, o?.zLossOut) : null;
    const gH = P.wantGrad ? makeResult(fn, P.hidden, dtype, P.hidden.shape, o?.gradHiddenOut) : null;
    const gW = P.wantGrad ? makeResult(fn, { ...P.weight, kind: 'tensor' }, dtype, [V, D], o?.gradWeightOut) : null;
    const gB = P.wantGrad && P.bias !== null ? makeResult(fn, P.bias, dtype, [V], o?.gradBiasOut) : null;
    checkOutputs(fn, P, [lossRes, zRes, gH, gW, gB]);
    const esize = f32 ? 4 : 8;
    // Buffers are at least 8 bytes, and views take explicit lengths, so that N = 0 works too.
    const hb = new SharedArrayBuffer(Math.max(8, N * D * esize));
    (f32 ? new Float32Array(hb, 0, N * D) : new Float64Array(hb, 0, N * D)).set(P.hidden.data.subarray(0, N * D));
    const tb = new SharedArrayBuffer(Math.max(4, 4 * N));
    new Int32Array(tb).set(Array.from(P.index as ArrayLike<number>, (t) => t));
    const gap = P.params.eps > 0;
    const base = {
      N, hidden: hb, target: tb, bias: biasF64(P.bias), classWeight: P.params.classWeight, ignoreIndex: P.params.ignoreIndex,
      eps: P.params.eps, softcap: P.softcap,
      ...(o?.chunkSize !== undefined ? { chunk: o.chunkSize } : {}),
      ...(o?.tokenChunkSize !== undefined ? { tokenChunk: o.tokenChunkSize } : {}),
    };
    hold();
    try {
      // Round 1: statistics of every slice, then one reduction.
      const sb = new SharedArrayBuffer(Math.max(8, count * statsBytes(N)));
      await Promise.all(workers.map((_, i) => call(i, { ...base, op: 'stats', stats: sb, statsOffset: i * statsBytes(N), gap })));
      const st = statsOnBuffer(sb, 0, N, gap);
      for (let i = 1; i < count; i++) mergeSoftmaxStats(st, statsOnBuffer(sb, i * statsBytes(N), N, gap), { out: st });
      const cb = new SharedArrayBuffer(Math.max(8, coefsBytes(N)));
      const co: RowCoefs | null = P.wantGrad ? coefsOnBuffer(cb, N) : null;
      const tot: RowTotals = { lossH: 0, lossL: 0, zH: 0, zL: 0 };
      const lse = new Float64Array(N);
      lossRows(st, P.params, 0, N, co, tot, lse, lossRes?.data ?? null, zRes?.data ?? null);
      if (co !== null && gH !== null && gW !== null) {
        // Round 2: gradients of every slice; partial gradHidden summed in worker order.
        const gwb = new SharedArrayBuffer(Math.max(8, V * D * esize));
        const gbb = gB !== null ? new SharedArrayBuffer(Math.max(8, V * 8)) : null;
        const hpb = new SharedArrayBuffer(Math.max(8, count * N * D * 8));
        await Promise.all(workers.map((_, i) => call(i, { ...base, op: 'grads', coefs: cb, gradWeight: gwb, gradBias: gbb, gradHidden: hpb, gradHiddenOffset: i * N * D * 8 })));
        const dh = new Float64Array(hpb, 0, N * D);
        for (let i = 1; i < count; i++) {
          const part = new Float64Array(hpb, i * N * D * 8, N * D);
          for (let k = 0; k < N * D; k++) dh[k] += part[k];
        }
        const g = gH.data;
        for (let k = 0; k < N * D; k++) g[k] = dh[k];
        (gW.data as FloatArray).set(f32 ? new Float32Array(gwb, 0, V * D) : new Float64Array(gwb, 0, V * D));
        if (gB !== null && gbb !== null) {
          const b64 = new Float64Array(gbb, 0, V);
          for (let j = 0; j < V; j++) gB.data[j] = b64[j];
        }
      }
      return {
        loss: none ? lossRes!.wrap() : reduce(reduction, P.emptyZero, { hi: tot.lossH, lo: tot.lossL }, P.weightSum, P.count),
        zLoss: none ? zRes!.wrap() : reduce(reduction, P.emptyZero, { hi: tot.zH, lo: tot.zL }, P.weightSum, P.count),
        gradHidden: gH?.wrap() ?? null,
        gradWeight: (gW?.wrap() ?? null) as LinearCrossEntropyResult<unknown, unknown>['gradWeight'],
        gradBias: (gB?.wrap() ?? null) as FloatArray | null,
        weightSum: P.weightSum,
        lse,
      };
    } finally {
      release();
    }
  }

  return {
    workers: count,
    ranges,
    run: run as VocabParallelPool['run'],
    async close() {
      if (closed) return;
      closed = true;
      failAll(new Error('vocabulary-parallel pool is closed'));
      broken = null;
      await Promise.all(workers.map((x) => x.terminate()));
    },
  };
}
