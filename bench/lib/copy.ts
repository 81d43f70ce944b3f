// The memory-bandwidth yardstick, measured in the same run: a copy reads n float32s and writes n
// float32s once, which is the least any of the ops can do. One thread: out.set(x). Two threads:
// the calling thread and one worker_thread each copy half of SharedArrayBuffer-backed arrays.

import { Worker } from 'node:worker_threads';
import { collect, measure, type Timing } from './measure.js';
import type { Runner } from './types.js';

export interface CopyResult {
  n: number;
  threads: number;
  timing: Timing;
  nsPerElement: number;
  gbPerS: number;
}

function result(n: number, threads: number, timing: Timing): CopyResult {
  return { n, threads, timing, nsPerElement: (timing.medianMs * 1e6) / n, gbPerS: (8 * n) / (timing.medianMs * 1e6) };
}

export async function copy1(n: number, big: boolean): Promise<CopyResult> {
  collect();
  const x = new Float32Array(n).fill(1.5);
  const out = new Float32Array(n);
  out.fill(0); // touch the pages: the copy is timed, not the first page faults
  const r: Runner = { async: false, call: () => out.set(x), output: () => ({ values: out }), dispose: () => {} };
  const t0 = performance.now();
  r.call();
  const first = performance.now() - t0;
  const timing = await measure(r, first, big ? { warmupMs: -1, budgetMs: 0, minSamples: 7, maxSamples: 7 } : { warmupMs: 50, budgetMs: 200, minSamples: 7, maxSamples: 400 });
  return result(n, 1, timing);
}

/**
 * What fresh memory costs: new Float32Array(n).fill(0), i.e. allocating and first touching n
 * floats, minus filling an existing array. On a VM whose page faults are slow this is what every
 * call that allocates a large output pays.
 */
export async function freshMemory(n: number): Promise<{ n: number; nsPerElement: number; usPerPage: number; timing: Timing }> {
  collect();
  const keep = new Float32Array(n);
  keep.fill(0);
  let sink = 0;
  const r: Runner = {
    async: false,
    call: () => {
      const a = new Float32Array(n);
      a.fill(1);
      sink += a[n - 1];
    },
    output: () => ({ values: null }),
    dispose: () => {},
  };
  const t0 = performance.now();
  r.call();
  const timing = await measure(r, performance.now() - t0, { warmupMs: -1, budgetMs: 0, minSamples: 5, maxSamples: 5 });
  const fill = await measure({ ...r, call: () => keep.fill(1) }, 0, { warmupMs: -1, budgetMs: 0, minSamples: 5, maxSamples: 5 });
  const extra = Math.max(0, timing.medianMs - fill.medianMs);
  if (sink < 0) throw new Error('unreachable');
  return { n, nsPerElement: (extra * 1e6) / n, usPerPage: (extra * 1e3) / ((n * 4) / 4096), timing };
}

const WORKER = `
const { workerData } = require('node:worker_threads');
const { x, out, ctl, from, to } = workerData;
const src = new Float32Array(x, from * 4, to - from);
const dst = new Float32Array(out, from * 4, to - from);
let gen = 0;
for (;;) {
  Atomics.wait(ctl, 0, gen);
  gen = Atomics.load(ctl, 0);
  if (gen < 0) break;
  dst.set(src);
  Atomics.add(ctl, 1, 1);
  Atomics.notify(ctl, 1);
}
`;

export async function copy2(n: number): Promise<CopyResult> {
  collect();
  const xb = new SharedArrayBuffer(n * 4);
  const ob = new SharedArrayBuffer(n * 4);
  new Float32Array(xb).fill(1.5);
  new Float32Array(ob).fill(0);
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  const half = Math.floor(n / 2);
  const worker = new Worker(WORKER, { eval: true, workerData: { x: xb, out: ob, ctl, from: half, to: n } });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const mySrc = new Float32Array(xb, 0, half);
  const myDst = new Float32Array(ob, 0, half);
  let gen = 0;
  const r: Runner = {
    async: false,
    call: () => {
      gen++;
      Atomics.store(ctl, 0, gen);
      Atomics.notify(ctl, 0);
      myDst.set(mySrc);
      while (Atomics.load(ctl, 1) < gen) Atomics.wait(ctl, 1, Atomics.load(ctl, 1), 1000);
    },
    output: () => ({ values: null }),
    dispose: () => {},
  };
  const t0 = performance.now();
  r.call();
  const first = performance.now() - t0;
  const timing = await measure(r, first, { warmupMs: -1, budgetMs: 0, minSamples: 7, maxSamples: 7 });
  Atomics.store(ctl, 0, -1);
  Atomics.notify(ctl, 0);
  await worker.terminate();
  return result(n, 2, timing);
}
