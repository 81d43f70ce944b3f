// GEMM benchmark: GFLOP/s of sigmax's wasm gemm (float32 and float64 sums, 1 and 2 threads)
// against tfjs-wasm's matMul (XNNPACK, 1 thread) and onnxruntime-node's MatMul (bench/models/
// matmul.onnx, 1 and 2 intra-op threads), and one fused linearCrossEntropy (forward + backward)
// against the tfjs-wasm composition and the 'js' reference backend. All rows of one run share the
// process and the machine's noise: compare within a run. Writes bench/GEMM-RESULTS.md.
// Run: ONNXRUNTIME_NODE_INSTALL=skip npm --prefix bench ci && node --import tsx bench/gemm.bench.ts [--n 4096]

import { createRequire } from 'node:module';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setBackend, setThreads, tensor } from '../src/index.js';
import { kernels } from '../src/backend/index.js';
import { setWasmThreads, wasmPoolInfo, wasmRelaxed } from '../src/backend/wasm/index.js';
import { linearCrossEntropy } from '../src/llm/index.js';
import { uniform } from '../src/core/rng.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'package.json'));
const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const LCE_N = arg('--n', 4096);
const lines: string[] = [];
const say = (s: string) => {
  console.log(s);
  lines.push(s);
};

function rand(n: number, seed: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  const r = uniform(seed);
  for (let i = 0; i < n; i++) a[i] = (r() - 0.5) * scale;
  return a;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Median of `reps` timings (ms) after one warm-up call. */
function timed(f: () => void, reps: number): number {
  f();
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

/** n threads, the workers started (waiting on the event loop: calls run on one thread until they are). */
async function useThreads(n: number): Promise<void> {
  setThreads(1);
  if (n === 1) return;
  setWasmThreads(n);
  for (let t = 0; (wasmPoolInfo()?.ready ?? 0) < n - 1; t += 10) {
    if (t > 20_000) throw new Error('the worker threads did not start within 20 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Parts the workers have run so far. */
const workerParts = () => wasmPoolInfo()?.runs.reduce((a, b) => a + b, 0) ?? 0;

/**
 * How much of a second core this process gets now: the wall time of one busy loop over that of
 * two (this thread and a worker) each running it, 2.0 when both cores are free.
 */
async function parallelism(): Promise<number> {
  const spin = 'let x = 0; for (let i = 0; i < 4e8; i++) x += Math.sqrt(i); return x;';
  const f = new Function(spin) as () => number;
  let t0 = performance.now();
  f();
  const one = performance.now() - t0;
  const { Worker } = await import('node:worker_threads');
  const w = new Worker(`const { parentPort } = require('node:worker_threads'); parentPort.once('message', () => { (function () { ${spin} })(); parentPort.postMessage(0); });`, { eval: true });
  t0 = performance.now();
  const done = new Promise((r) => w.once('message', r));
  w.postMessage(0);
  f();
  await done;
  const both = performance.now() - t0;
  await w.terminate();
  return (2 * one) / both;
}

const gf = (M: number, N: number, K: number, ms: number) => ((2 * M * N * K) / ms / 1e6).toFixed(1);

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  say(`# GEMM and linearCrossEntropy (${new Date().toISOString().slice(0, 10)})`);
  say('');
  say(`Machine: ${cpu}, ${cpus().length} logical cores (shared with other processes: compare within this run), Node ${process.version}; sigmax wasm build: ${wasmRelaxed() ? 'relaxed SIMD (fused multiply-add)' : 'plain SIMD'}.`);
  say(`Command: \`node --import tsx bench/gemm.bench.ts --n ${LCE_N}\`. GFLOP/s = 2·M·N·K / median of 5 (3 for the largest) timings after a warm-up, sigmax's 1 and 2 threads interleaved rep by rep; sigmax's times include staging the operands into the wasm memory and the result out.`);
  const par0 = await parallelism();
  say(`Second core free? Two busy threads ran at ${par0.toFixed(2)}× one thread's rate at the start of the run (2.00: both cores free; other processes share this machine).`);
  say('');

  // peers
  let tf: typeof import('@tensorflow/tfjs-core') | null = null;
  try {
    tf = require('@tensorflow/tfjs-core') as typeof import('@tensorflow/tfjs-core');
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    wasm.setThreadsCount(1);
    if (!(await tf.setBackend('wasm'))) throw new Error('setBackend failed');
    await tf.ready();
  } catch (e) {
    say(`tfjs-wasm skipped: ${(e as Error).message}`);
    tf = null;
  }
  type Ort = typeof import('onnxruntime-node');
  let ort: Ort | null = null;
  const model = path.join(here, 'models', 'matmul.onnx');
  try {
    if (!existsSync(model)) throw new Error('bench/models/matmul.onnx is missing');
    ort = require('onnxruntime-node') as Ort;
  } catch (e) {
    say(`onnxruntime-node skipped: ${(e as Error).message}`);
  }
  const sessions = new Map<number, import('onnxruntime-node').InferenceSession>();
  if (ort !== null) for (const t of [1, 2]) sessions.set(t, await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: t }));

  say('## GEMM, float32 operands, C = A·B (GFLOP/s, higher is better)');
  say('');
  say('| M×K·K×N | sigmax f32 sums 1t | 2t | sigmax f64 sums 1t | 2t | 2t / 1t (f32, f64) | tfjs-wasm matMul 1t | ort-node MatMul 1t | 2t |');
  say('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  setBackend('wasm');
  for (const [M, K, N] of [[256, 256, 256], [512, 512, 512], [1024, 1024, 1024], [128, 512, 32000]]) {
    const A = rand(M * K, 1);
    const B = rand(K * N, 2);
    const reps = M * N * K > 1e9 ? 3 : 5;
    const row: string[] = [`${M}×${K}·${K}×${N}`];
    const times: Record<string, number[]> = {};
    const C = new Float32Array(M * N);
    let parts = 0;
    for (let r = -1; r < reps; r++) {
      for (const t of [1, 2]) {
        await useThreads(t);
        for (const precision of ['f32', 'f64'] as const) {
          const f = () => kernels().gemm({ M, N, K, a: { data: A, offset: 0, rowStride: K, colStride: 1 }, b: { data: B, offset: 0, rowStride: N, colStride: 1 }, c: C, cOff: 0, ldc: N, accumulate: false, precision });
          if (r < 0) f(); // warm-up
          const p0 = workerParts();
          const t0 = performance.now();
          f();
          if (r >= 0) (times[`${precision}${t}`] ??= []).push(performance.now() - t0);
          if (t > 1) parts += workerParts() - p0;
        }
      }
    }
    setThreads(1);
    if (parts === 0) throw new Error('the worker thread ran no part of the 2-thread products');
    const sig = (k: string) => gf(M, N, K, median(times[k]));
    const up = (p: string) => (median(times[`${p}1`]) / median(times[`${p}2`])).toFixed(2);
    row.push(sig('f321'), sig('f322'), sig('f641'), sig('f642'), `${up('f32')}, ${up('f64')}`);
    if (tf !== null) {
      const ta = tf.tensor2d(A, [M, K]);
      const tb = tf.tensor2d(B, [K, N]);
      const ms = timed(() => tf!.matMul(ta, tb).dispose(), reps);
      ta.dispose();
      tb.dispose();
      row.push(gf(M, N, K, ms));
    } else row.push('–');
    for (const t of [1, 2]) {
      const s = sessions.get(t);
      if (s === undefined || ort === null) {
        row.push('–');
        continue;
      }
      const feeds = { a: new ort.Tensor('float32', A, [M, K]), b: new ort.Tensor('float32', B, [K, N]) };
      const f = () => {
        const t0 = performance.now();
        return s.run(feeds).then(() => performance.now() - t0);
      };
      await f();
      const ts: number[] = [];
      for (let r = 0; r < reps; r++) ts.push(await f());
      row.push(gf(M, N, K, median(ts)));
    }
    say(`| ${row.join(' | ')} |`);
  }
  say('');

  // linearCrossEntropy, forward + backward
  const N = LCE_N;
  const D = 512;
  const V = 32000;
  say(`## linearCrossEntropy forward + backward, N = ${N}, D = ${D}, V = ${V}, float32 (seconds, one run each)`);
  say('');
  const h = rand(N * D, 3);
  const w = rand(V * D, 4, 0.1);
  const target = Int32Array.from({ length: N }, (_, i) => (i * 7919) % V);
  const time = (f: () => void) => {
    const t0 = performance.now();
    f();
    return (performance.now() - t0) / 1000;
  };
  const flops = 3 * 2 * N * D * V;
  const rows: string[] = ['| variant | seconds | GEMM-equivalent GFLOP/s |', '|---|---:|---:|'];
  setBackend('wasm');
  for (const t of [1, 2]) {
    await useThreads(t);
    const p0 = workerParts();
    const s = time(() => linearCrossEntropy(tensor(h, [N, D]), tensor(w, [V, D]), target));
    const ran = t > 1 ? ` (the worker ran ${workerParts() - p0} parts)` : '';
    rows.push(`| sigmax fused (wasm gemm with float64 sums, wasm row kernels), ${t} thread${t > 1 ? 's' : ''}${ran} | ${s.toFixed(2)} | ${(flops / s / 1e9).toFixed(1)} |`);
  }
  setThreads(1);
  // today's JavaScript gemm: the 'js' backend's product; measured on N/8 tokens and scaled (the work is linear in N)
  {
    setBackend('js');
    const n = Math.max(1, Math.floor(N / 8));
    const s = time(() => linearCrossEntropy(tensor(h.subarray(0, n * D), [n, D]), tensor(w, [V, D]), target.subarray(0, n)));
    rows.push(`| sigmax fused on the 'js' reference backend (JavaScript gemm and row passes), measured at N = ${n}, × ${N / n} | ${(s * (N / n)).toFixed(2)} | ${((flops / (N / n)) / s / 1e9).toFixed(1)} |`);
    setBackend('wasm');
  }
  if (tf !== null) {
    const t = tf;
    const s = time(() => {
      const ht = t.tensor2d(h, [N, D]);
      const wt = t.tensor2d(w, [V, D]);
      const labels = t.oneHot(t.tensor1d(target, 'int32'), V);
      const logits = t.matMul(ht, wt, false, true);
      // softmaxCrossEntropy's gradient wrt the logits, (softmax − onehot)/N, then dH = G·W, dW = Gᵀ·H
      const loss = t.losses.softmaxCrossEntropy(labels, logits);
      const g = t.div(t.sub(t.softmax(logits), labels), N);
      const dH = t.matMul(g, wt);
      const dW = t.matMul(g, ht, true, false);
      loss.dataSync();
      dH.dataSync();
      dW.dataSync();
      for (const x of [ht, wt, labels, logits, loss, g, dH, dW]) x.dispose();
    });
    rows.push(`| tfjs-wasm composition (matMul, softmaxCrossEntropy, softmax − onehot, two matMuls), 1 thread | ${s.toFixed(2)} | ${(flops / s / 1e9).toFixed(1)} |`);
  }
  for (const r of rows) say(r);
  say('');
  say(`Second core at the end of the run: two busy threads at ${(await parallelism()).toFixed(2)}× one thread's rate.`);
  say('');
  writeFileSync(path.join(here, 'GEMM-RESULTS.md'), lines.join('\n') + '\n');
  process.exit(0);
}

await main();
