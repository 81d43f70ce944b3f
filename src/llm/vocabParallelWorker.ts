// Worker side of the vocabulary-parallel pool (vocabParallel.ts): owns rows [classOffset,
// classOffset + V) of the weight (transferred at start) and runs the two passes of the fused op
// on them — statistics of its slice, then the gradients of its slice — reading hidden, targets and
// the per-row coefficients from SharedArrayBuffers and writing its results into them.

import type { FloatArray } from '../core/tensor.js';
import { type Shard, chooseChunks, shardGrads, shardStats } from './shardEngine.js';
import { coefsOnBuffer } from './rowMath.js';
import { statsOnBuffer } from './statsBuffer.js';

interface Port {
  on(event: 'message', f: (msg: Job) => void): void;
  postMessage(msg: unknown): void;
}

/** What the pool sends at start (workerData). */
export interface WorkerInit {
  weight: ArrayBuffer;
  f32: boolean;
  V: number;
  D: number;
  classOffset: number;
  C: number;
}

/** One pass of one run; buffers are SharedArrayBuffers owned by the pool. */
export interface Job {
  id: number;
  op: 'stats' | 'grads';
  N: number;
  hidden: SharedArrayBuffer;
  target: SharedArrayBuffer;
  bias: Float64Array | null;
  classWeight: Float64Array | null;
  ignoreIndex: number;
  eps: number;
  softcap: number;
  chunk?: number;
  tokenChunk?: number;
  /** 'stats': this worker's statistics (statsOnBuffer layout). */
  stats?: SharedArrayBuffer;
  statsOffset?: number;
  gap?: boolean;
  /** 'grads': coefficients (rowMath.ts's coefsOnBuffer layout), outputs. */
  coefs?: SharedArrayBuffer;
  gradWeight?: SharedArrayBuffer;
  gradBias?: SharedArrayBuffer | null;
  gradHidden?: SharedArrayBuffer;
  gradHiddenOffset?: number;
}

const wt = (await import('node:worker_threads' as string)) as { parentPort: Port; workerData: WorkerInit };
const init = wt.workerData;
const weight: FloatArray = init.f32 ? new Float32Array(init.weight) : new Float64Array(init.weight);

function shard(job: Job): Shard {
  const { N } = job;
  const { D, V } = init;
  const hidden: FloatArray = init.f32 ? new Float32Array(job.hidden, 0, N * D) : new Float64Array(job.hidden, 0, N * D);
  const { chunk, tokenChunk } = chooseChunks(N, D, V, job.chunk, job.tokenChunk);
  return {
    N, D, hidden, weight, wOff: 0, V, classOffset: init.classOffset, C: init.C,
    bias: job.bias, classWeight: job.classWeight, target: new Int32Array(job.target, 0, N), ignoreIndex: job.ignoreIndex,
    eps: job.eps, softcap: job.softcap, chunk, tokenChunk,
  };
}

function handle(job: Job): void {
  const s = shard(job);
  if (job.op === 'stats') {
    const st = statsOnBuffer(job.stats!, job.statsOffset!, job.N, job.gap === true, true);
    if (s.V > 0 && s.N > 0) shardStats(s, st);
    return;
  }
  const N = job.N;
  const co = coefsOnBuffer(job.coefs!, N);
  const D = init.D;
  const gw: FloatArray = init.f32
    ? new Float32Array(job.gradWeight!, init.classOffset * D * 4, init.V * D)
    : new Float64Array(job.gradWeight!, init.classOffset * D * 8, init.V * D);
  const gb = job.gradBias ? new Float64Array(job.gradBias, init.classOffset * 8, init.V) : null;
  const dH = new Float64Array(job.gradHidden!, job.gradHiddenOffset!, N * D);
  if (s.V > 0 && s.N > 0) shardGrads(s, co, dH, gw, 0, gb);
}

wt.parentPort.on('message', (job: Job) => {
  try {
    handle(job);
    wt.parentPort.postMessage({ id: job.id, ok: true });
  } catch (e) {
    wt.parentPort.postMessage({ id: job.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
wt.parentPort.postMessage({ ready: true });
