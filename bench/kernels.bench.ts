// node --import tsx bench/kernels.bench.ts [--quick] [--no-tfjs] [--no-threads] [--write]
//
// The long-row float32 kernels (softmax, logSoftmax, logSumExp, cross-entropy loss + gradient)
// through sigmax's public API, next to tfjs-backend-wasm's XNNPACK ops in the same process, and
// the two-thread speed-up of softmax on long rows. Every timing is the median of many rounds in
// which the compared calls take turns (so a busy machine slows them alike); ns/element.
//
// - sigmax 'zc' (zero-copy): x and out are sigmax/wasm arrays (allocFloat32), used in place.
// - sigmax 'out': plain Float32Arrays with a preallocated out (copied into the wasm memory and back).
// - tfjs 'op': the op alone on a tensor made beforehand, its result left in the backend (1 thread).
// - threads: softmax with zero-copy arrays at setThreads(1) and setThreads(2), the two taking turns.
//
// --write also writes the tables to bench/KERNELS-RESULTS.md.

import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sx from '../src/index.js';
import { allocFloat32, freeFloat32, isWasmFloat32 } from '../src/wasm/index.js';
import { wasmRelaxed } from '../src/backend/wasm/index.js';

const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const ROUNDS = QUICK ? 9 : 25;

type Op = 'softmax' | 'logSoftmax' | 'logSumExp' | 'crossEntropy';

/** Triangular logits on [−10, 10] from a small LCG (the same data for every system). */
function logits(n: number, seed = 12345): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < n; i++) a[i] = (u() + u() - 1) * 10;
  return a;
}

/** Medians (ns/element) of `calls` taking turns, each round timing `reps` calls of each. */
function race(calls: (() => void)[], elements: number, rounds = ROUNDS): number[] {
  const reps = Math.max(1, Math.round(4e6 / elements));
  for (const f of calls) f();
  const ts: number[][] = calls.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < calls.length; k++) {
      const f = calls[k];
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) f();
      ts[k].push((performance.now() - t0) / reps);
    }
  }
  return ts.map((t) => {
    t.sort((a, b) => a - b);
    return (t[t.length >> 1] * 1e6) / elements;
  });
}

/** One sigmax call on [rows, cols] x with `out` (or the loss row's targets), as a user writes it. */
function sigmaxCall(op: Op, x: Float32Array, rows: number, cols: number, out: Float32Array, t: Int32Array): () => void {
  const z = sx.tensor(x, [rows, cols]);
  const o = { out };
  const lo = { out: out.subarray(0, rows) };
  switch (op) {
    case 'softmax':
      return () => void sx.softmax(z, o);
    case 'logSoftmax':
      return () => void sx.logSoftmax(z, o);
    case 'logSumExp':
      return () => void sx.logSumExp(z, lo);
    case 'crossEntropy':
      return () => void sx.crossEntropyWithGrad(z, t, o);
  }
}

type Tf = typeof import('@tensorflow/tfjs-core');
let tf: Tf | null = null;

async function loadTfjs(): Promise<string> {
  const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), 'package.json'));
  const core = (await import(require.resolve('@tensorflow/tfjs-core'))) as Tf;
  const wasm = await import(require.resolve('@tensorflow/tfjs-backend-wasm'));
  wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
  wasm.setThreadsCount(1);
  const log = console.log;
  const warn = console.warn;
  console.log = console.warn = () => {};
  try {
    await core.setBackend('wasm');
    await core.ready();
  } finally {
    console.log = log;
    console.warn = warn;
  }
  if (core.getBackend() !== 'wasm') throw new Error('tfjs-backend-wasm did not start');
  tf = core;
  const version = (require('@tensorflow/tfjs-core/package.json') as { version: string }).version;
  return `@tensorflow/tfjs-core ${version} on tfjs-backend-wasm (XNNPACK), 1 thread`;
}

/** The tfjs op alone on a tensor made beforehand; its result is disposed by the next call. */
function tfjsCall(op: Op, x: Float32Array, rows: number, cols: number, t: Int32Array): { call: () => void; dispose: () => void } {
  const T = tf!;
  const z = T.tensor2d(x, [rows, cols]);
  const keep = [z];
  let result: import('@tensorflow/tfjs-core').Tensor[] = [];
  let call: () => void;
  if (op === 'crossEntropy') {
    const labels = T.tidy(() => T.oneHot(T.tensor1d(t, 'int32'), cols));
    const dy = T.fill([rows], 1 / rows);
    keep.push(labels as never, dy as never);
    const f = (l: import('@tensorflow/tfjs-core').Tensor) => T.losses.softmaxCrossEntropy(labels, l, undefined, 0, T.Reduction.NONE);
    call = () => {
      T.dispose(result);
      result = T.tidy(() => {
        const { value, grad } = T.valueAndGrad(f)(z, dy);
        return [T.mean(value), grad];
      });
    };
  } else {
    call = () => {
      T.dispose(result);
      result = [T.tidy(() => (op === 'softmax' ? T.softmax(z) : op === 'logSoftmax' ? T.logSoftmax(z) : T.logSumExp(z, 1)))];
    };
  }
  return { call, dispose: () => T.dispose([...result, ...keep]) };
}

const lines: string[] = [];
const say = (s = '') => {
  console.log(s);
  lines.push(s);
};

sx.setBackend('wasm');
sx.setThreads(1);
let tfInfo = 'tfjs not run';
if (!args.has('--no-tfjs')) {
  try {
    tfInfo = await loadTfjs();
  } catch (e) {
    tfInfo = `tfjs not available (${(e as Error).message})`;
  }
}
say('# Long-row float32 kernels');
say();
say(`\`node --import tsx bench/kernels.bench.ts${QUICK ? ' --quick' : ''}\`: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism?.() ?? os.cpus().length} cores, Node ${process.version}, `
  + `sigmax kernels: ${wasmRelaxed() ? 'relaxed SIMD' : 'plain SIMD'}; ${tfInfo}; ${new Date().toISOString()}. `
  + `ns/element, the median of ${ROUNDS} rounds in which the calls of a row take turns.`);
say();
say('## One thread');
say();
say('| op | shape | sigmax zero-copy | sigmax out | tfjs-wasm op | zero-copy / tfjs |');
say('|---|---|---:|---:|---:|---:|');
const shapes: [number, number][] = [[32, 32000], [1, 151936]];
const ops: Op[] = ['softmax', 'logSoftmax', 'logSumExp', 'crossEntropy'];
for (const [rows, cols] of shapes) {
  const n = rows * cols;
  const data = logits(n);
  const t = new Int32Array(rows).map((_, i) => (i * 7919) % cols);
  const xz = allocFloat32(n);
  xz.set(data);
  const oz = allocFloat32(n);
  if (!isWasmFloat32(xz)) throw new Error('allocFloat32 did not give a wasm array');
  const oo = new Float32Array(n);
  for (const op of ops) {
    const calls = [sigmaxCall(op, xz, rows, cols, oz, t), sigmaxCall(op, data, rows, cols, oo, t)];
    const tfc = tf ? tfjsCall(op, data, rows, cols, t) : null;
    if (tfc) calls.push(tfc.call);
    const [z, o, f] = race(calls, n);
    tfc?.dispose();
    say(`| ${op} | ${rows}×${cols} | ${z.toFixed(3)} | ${o.toFixed(3)} | ${f === undefined ? '–' : f.toFixed(3)} | ${f === undefined ? '–' : (z / f).toFixed(2)} |`);
  }
  freeFloat32(xz);
  freeFloat32(oz);
}

if (!args.has('--no-threads')) {
  say();
  say('## Two threads (softmax, zero-copy)');
  say();
  say('| shape | 1 thread | 2 threads | speed-up |');
  say('|---|---:|---:|---:|');
  const big: [number, number][] = QUICK ? [[1, 1000000], [1024, 32000]] : [[1, 1000000], [8192, 32000]];
  for (const [rows, cols] of big) {
    const n = rows * cols;
    const xz = allocFloat32(n);
    xz.set(logits(n));
    const oz = allocFloat32(n);
    const f = sigmaxCall('softmax', xz, rows, cols, oz, new Int32Array(rows));
    const t1: number[] = [];
    const t2: number[] = [];
    const rounds = n > 1e8 ? 3 : QUICK ? 3 : 5;
    for (let k = 0; k < rounds; k++) {
      sx.setThreads(1);
      t1.push(race([f], n, n > 1e8 ? 3 : 9)[0]);
      sx.setThreads(2);
      for (let w = 0; w < 3; w++) f(); // the workers start with the first split call
      t2.push(race([f], n, n > 1e8 ? 3 : 9)[0]);
    }
    sx.setThreads(1);
    t1.sort((a, b) => a - b);
    t2.sort((a, b) => a - b);
    const a = t1[t1.length >> 1];
    const b = t2[t2.length >> 1];
    say(`| ${rows}×${cols} | ${a.toFixed(3)} | ${b.toFixed(3)} | ${(a / b).toFixed(2)}× |`);
    freeFloat32(xz);
    freeFloat32(oz);
  }
}

if (args.has('--write')) writeFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'KERNELS-RESULTS.md'), lines.join('\n') + '\n');
process.exit(0);
