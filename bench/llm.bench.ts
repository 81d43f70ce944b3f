// Benchmark of sigmax/llm: fused linearCrossEntropy against the unfused composition (logits =
// matmul, crossEntropyWithGrad, two matmuls) and the tfjs-wasm composition (matMul,
// softmaxCrossEntropy, softmax − onehot, two matMuls; bench/node_modules), and token sampling.
// Each linear-cross-entropy variant runs in its own child process so that its peak resident
// memory is its own; the parent writes bench/LLM-RESULTS.md. Run: node --import tsx --expose-gc
// bench/llm.bench.ts [--quick] [--variants unfused,fused,fused-2t,tfjs]
// (--sampling-only re-measures sampling and rewrites only that section of the file).

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { crossEntropyWithGrad, getBackend, setThreads, tensor, type Tensor } from '../src/index.js';
import { wasmPoolInfo } from '../src/backend/wasm/index.js';
import { createRng, linearCrossEntropy, matmul, sample } from '../src/llm/index.js';
import { uniform } from '../src/core/rng.js';

interface Config {
  variant: 'unfused' | 'fused' | 'fused-2t' | 'fused-two-pass' | 'tfjs';
  N: number;
  D: number;
  V: number;
  chunkSize?: number;
}

interface ChildResult {
  config: Config;
  wallS: number;
  cpuS: number;
  baseRssMB: number;
  peakRssMB: number;
  extraMB: number;
  loss: number;
  backend: string;
  chunk: string;
  /** Parts the worker threads ran during the measured call (fused-2t: proof that they took part). */
  workerParts: number;
}

type Tf = typeof import('@tensorflow/tfjs-core');

/** tfjs-core on its wasm backend (XNNPACK), one thread, from bench/node_modules. */
async function tfjsWasm(): Promise<Tf> {
  const require = createRequire(new URL('./package.json', import.meta.url));
  const tf = require('@tensorflow/tfjs-core') as Tf;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  const dir = require.resolve('@tensorflow/tfjs-backend-wasm/package.json').replace(/package\.json$/, 'dist/');
  wasm.setWasmPaths(dir);
  wasm.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not start');
  await tf.ready();
  return tf;
}

/** The tfjs-wasm composition: logits, the mean softmax cross-entropy, its gradient (softmax − onehot)/N, and the two products. */
function runTfjs(tf: Tf, H: Tensor<Float32Array>, W: Tensor<Float32Array>, t: Int32Array, gH: Float32Array, gW: Float32Array): number {
  const [N, D] = H.shape;
  const V = W.shape[0];
  const ht = tf.tensor2d(H.data, [N, D]);
  const wt = tf.tensor2d(W.data, [V, D]);
  const labels = tf.oneHot(tf.tensor1d(t, 'int32'), V);
  const logits = tf.matMul(ht, wt, false, true);
  const loss = tf.losses.softmaxCrossEntropy(labels, logits);
  const g = tf.div(tf.sub(tf.softmax(logits), labels), N);
  const dH = tf.matMul(g, wt);
  const dW = tf.matMul(g, ht, true, false);
  const l = loss.dataSync()[0];
  gH.set(dH.dataSync());
  gW.set(dW.dataSync());
  for (const x of [ht, wt, labels, logits, loss, g, dH, dW]) x.dispose();
  tf.disposeVariables();
  return l;
}

/** Mebibyte. */
const MB = 1024 * 1024;

/** Deterministic pseudo-random floats in [−a, a) (the library's shared generator), written straight into the array. */
function fill(x: Float32Array, seed: number, a: number): void {
  const r = uniform(seed);
  for (let i = 0; i < x.length; i++) x[i] = (r() * 2 - 1) * a;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** One variant on one shape: returns the loss (the gradients land in the preallocated outputs). */
function runVariant(c: Config, H: Tensor<Float32Array>, W: Tensor<Float32Array>, t: Int32Array, gH: Float32Array, gW: Float32Array): number {
  if (c.variant === 'unfused') {
    const logits = matmul(H, W, { transposeB: true });
    const ce = crossEntropyWithGrad(logits, t);
    matmul(ce.grad, W, { out: gH });
    matmul(ce.grad, H, { transposeA: true, out: gW });
    return ce.loss;
  }
  const r = linearCrossEntropy(H, W, t, { gradHiddenOut: gH, gradWeightOut: gW, ...(c.chunkSize !== undefined ? { chunkSize: c.chunkSize } : {}) });
  return r.loss;
}

async function child(c: Config): Promise<void> {
  const tf = c.variant === 'tfjs' ? await tfjsWasm() : null;
  if (c.variant === 'fused-2t') {
    // two threads, the worker started before the measured call (calls run on one thread until it is)
    setThreads(2);
    linearCrossEntropy(tensor(new Float32Array(64 * 64), [64, 64]), tensor(new Float32Array(4096 * 64), [4096, 64]), new Int32Array(64));
    for (let ms = 0; (wasmPoolInfo()?.ready ?? 0) < 1; ms += 10) {
      if (ms > 20_000) throw new Error('the worker thread did not start within 20 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  const run = (cc: Config, H: Tensor<Float32Array>, W: Tensor<Float32Array>, t: Int32Array, gH: Float32Array, gW: Float32Array) =>
    tf !== null ? runTfjs(tf, H, W, t, gH, gW) : runVariant(cc, H, W, t, gH, gW);
  // Warm the JIT on a small problem first, so that the measured run is compiled code.
  {
    const n = 48;
    const d = 64;
    const v = 700;
    const H = tensor(new Float32Array(n * d), [n, d]);
    const W = tensor(new Float32Array(v * d), [v, d]);
    fill(H.data, 1, 1);
    fill(W.data, 2, 0.1);
    const t = Int32Array.from({ length: n }, (_, i) => (i * 7919) % v);
    for (let k = 0; k < 3; k++) run({ ...c, N: n, D: d, V: v, chunkSize: c.chunkSize === undefined ? undefined : 128 }, H, W, t, new Float32Array(n * d), new Float32Array(v * d));
  }
  const { N, D, V } = c;
  const H = tensor(new Float32Array(N * D), [N, D]);
  const W = tensor(new Float32Array(V * D), [V, D]);
  fill(H.data, 3, 1);
  fill(W.data, 4, 0.1);
  const t = Int32Array.from({ length: N }, (_, i) => (i * 2654435761) % V);
  // Outputs are preallocated for both variants, so the baseline holds inputs and outputs alike.
  const gH = new Float32Array(N * D);
  const gW = new Float32Array(V * D);
  gW.fill(0);
  gH.fill(0);
  gc();
  const baseRss = process.memoryUsage().rss;
  const parts0 = wasmPoolInfo()?.runs.reduce((a, b) => a + b, 0) ?? 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const loss = run(c, H, W, t, gH, gW);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const peak = process.resourceUsage().maxRSS * 1024;
  const res: ChildResult = {
    config: c,
    wallS: wall,
    cpuS: (cpu.user + cpu.system) / 1e6,
    baseRssMB: baseRss / MB,
    peakRssMB: peak / MB,
    extraMB: Math.max(0, peak - baseRss) / MB,
    loss,
    backend: getBackend(),
    chunk: c.variant === 'unfused' || c.variant === 'tfjs' ? '—' : c.chunkSize === undefined ? 'auto' : String(c.chunkSize),
    workerParts: (wasmPoolInfo()?.runs.reduce((a, b) => a + b, 0) ?? 0) - parts0,
  };
  process.stdout.write(`RESULT ${JSON.stringify(res)}\n`);
  if (tf !== null) process.exit(0); // tfjs may hold the event loop open
}

function runChild(c: Config): ChildResult {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', self, '--child', JSON.stringify(c)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) throw new Error(`child failed (${c.variant} ${c.N}×${c.D}×${c.V}): ${r.stderr}`);
  return JSON.parse(line.slice(7)) as ChildResult;
}

/** A plausible LM logit row: a heavy-tailed bulk plus a handful of strong candidates. */
function llmLogits(V: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const z = new Float32Array(V);
  for (let i = 0; i < V; i++) {
    const u = Math.max(rng.nextFloat(), 1e-300);
    const v = rng.nextFloat();
    z[i] = 2.5 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) - 4;
  }
  for (let i = 0; i < 40; i++) z[rng.nextUint32() % V] = 8 + 6 * rng.nextFloat();
  return z;
}

function benchSampling(): { name: string; medianMs: number; p90Ms: number; cpuMs: number }[] {
  const V = 151936;
  const rows = [llmLogits(V, 1), llmLogits(V, 2), llmLogits(V, 3)];
  const out: { name: string; medianMs: number; p90Ms: number; cpuMs: number }[] = [];
  const settings: [string, Parameters<typeof sample>[1]][] = [
    ['topP 0.9', { topP: 0.9 }],
    ['topP 0.9, T 0.7', { topP: 0.9, temperature: 0.7 }],
    ['topK 50, topP 0.9', { topK: 50, topP: 0.9 }],
    ['minP 0.05', { minP: 0.05 }],
    ['no filter', {}],
  ];
  for (const [name, o] of settings) {
    const rng = createRng(7);
    for (let i = 0; i < 60; i++) sample(rows[i % 3], { ...o, rng });
    const times: number[] = [];
    const c0 = process.cpuUsage();
    for (let i = 0; i < 300; i++) {
      const t0 = performance.now();
      sample(rows[i % 3], { ...o, rng });
      times.push(performance.now() - t0);
    }
    const cu = process.cpuUsage(c0);
    times.sort((a, b) => a - b);
    out.push({ name, medianMs: times[150], p90Ms: times[270], cpuMs: (cu.user + cu.system) / 1000 / 300 });
  }
  return out;
}

/** The sampling table alone, written over the sampling section of an existing LLM-RESULTS.md. */
function samplingOnly(): void {
  const samp = benchSampling();
  const url = new URL('./LLM-RESULTS.md', import.meta.url);
  const old = readFileSync(url, 'utf8');
  const at = old.indexOf('## sample');
  const head = at >= 0 ? old.slice(0, at) : `${old}\n`;
  const lines = samplingSection(samp, `re-measured by \`node --import tsx --expose-gc bench/llm.bench.ts --sampling-only\` on ${new Date().toISOString()}, load average ${loadavg().map((x) => x.toFixed(1)).join('/')}`);
  writeFileSync(url, head + lines.join('\n'));
  process.stdout.write(lines.join('\n') + '\n');
}

function samplingSection(samp: ReturnType<typeof benchSampling>, note: string): string[] {
  const lines = ['## sample (one token, V = 151,936, one core)', ''];
  if (note) lines.push(`Sampling ${note}.`, '');
  lines.push('| setting | median ms | p90 ms | CPU ms per call |');
  lines.push('|---|---|---|---|');
  for (const r of samp) lines.push(`| ${r.name} | ${r.medianMs.toFixed(3)} | ${r.p90Ms.toFixed(3)} | ${r.cpuMs.toFixed(3)} |`);
  lines.push('');
  return lines;
}

/** --variants a,b: a subset (the full run takes about an hour, mostly the unfused and tfjs compositions). */
const ALL_VARIANTS = ['unfused', 'fused', 'fused-2t', 'fused-two-pass', 'tfjs'] as const;
const vArg = process.argv.indexOf('--variants');
const VARIANTS = (vArg >= 0 ? process.argv[vArg + 1].split(',') : [...ALL_VARIANTS]) as Config['variant'][];
// single-threaded, as LLM-RESULTS.md reports (the library's default is 'auto'), except fused-2t
setThreads(1);
for (const v of VARIANTS) if (!(ALL_VARIANTS as readonly string[]).includes(v)) throw new Error(`unknown variant '${v}' (expected ${ALL_VARIANTS.join(', ')})`);

function main(): void {
  const quick = process.argv.includes('--quick');
  const shapes = quick
    ? [{ N: 256, D: 128, V: 4000, two: 1024 }, { N: 64, D: 128, V: 20000, two: 4096 }]
    : [{ N: 4096, D: 512, V: 32000, two: 4096 }, { N: 1024, D: 1024, V: 151936, two: 2048 }];
  const load0 = loadavg();
  const started = new Date();
  const rows: ChildResult[] = [];
  const failed: string[] = [];
  for (const s of shapes) {
    for (const variant of VARIANTS) {
      const c: Config = { variant, N: s.N, D: s.D, V: s.V, ...(variant === 'fused-two-pass' ? { chunkSize: s.two } : {}) };
      let r: ChildResult;
      try {
        r = runChild(c);
      } catch (e) {
        // the tfjs composition holds several N×V arrays in tfjs' own wasm memory (4 GiB at most)
        if (variant !== 'tfjs') throw e;
        const why = /RuntimeError: ([^\n]*)/.exec(String(e))?.[1] ?? 'the child failed';
        failed.push(`tfjs-wasm at ${s.N} × ${s.D} × ${s.V} did not finish: ${why} (its logits, one-hot labels, softmax and gradient live in tfjs' wasm memory, 4 GiB at most).`);
        process.stdout.write(`${failed[failed.length - 1]}\n`);
        continue;
      }
      process.stdout.write(`${variant} ${s.N}×${s.D}×${s.V}: ${r.wallS.toFixed(1)} s wall, ${r.cpuS.toFixed(1)} s CPU, +${r.extraMB.toFixed(0)} MB (loss ${r.loss})\n`);
      rows.push(r);
    }
  }
  const samp = benchSampling();
  const load1 = loadavg();
  const lines: string[] = [];
  lines.push('# sigmax/llm benchmark results', '');
  const flags = `${quick ? ' --quick' : ''}${vArg >= 0 ? ` --variants ${VARIANTS.join(',')}` : ''}`;
  lines.push(`Generated by \`node --import tsx --expose-gc bench/llm.bench.ts${flags}\` on ${started.toISOString()}.`);
  lines.push(`Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load average ${load0.map((x) => x.toFixed(1)).join('/')} at the start, ${load1.map((x) => x.toFixed(1)).join('/')} at the end.`);
  lines.push('Single-threaded except fused-2t (two threads: the calling one and one worker), float32 inputs; sigmax ran on the');
  lines.push(`'${rows[0]?.backend}' backend, tfjs on its wasm backend (XNNPACK, one thread). Each variant ran once, in its own child process, after a small JIT warm-up.`);
  lines.push('');
  lines.push('## linearCrossEntropy (loss + gradients wrt hidden and weight)');
  lines.push('');
  lines.push('Peak extra memory = peak RSS of the run − RSS before it (inputs, gradient outputs and the warmed-up');
  lines.push('runtime already resident). Logits = N·V·4 bytes, what the unfused composition materialises (it also holds');
  lines.push('the logits gradient, as large again).');
  lines.push('');
  lines.push('| N × D × V | variant | chunk | wall s | CPU s | time / unfused (wall, CPU) | tfjs-wasm / time (wall) | peak extra MiB | logits MiB | extra / logits |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  const ratio = (a: number | undefined, b: number) => (a === undefined ? '—' : (a / b).toFixed(2));
  for (const s of shapes) {
    const group = rows.filter((r) => r.config.N === s.N && r.config.V === s.V);
    const base = group.find((r) => r.config.variant === 'unfused');
    const tfjs = group.find((r) => r.config.variant === 'tfjs');
    const logitsMB = (s.N * s.V * 4) / MB;
    for (const r of group) {
      const vs = base === undefined ? '—' : `${ratio(r.wallS, base.wallS)}, ${ratio(r.cpuS, base.cpuS)}`;
      const name = r.config.variant === 'fused-2t' ? `fused-2t (worker ran ${r.workerParts} parts)` : r.config.variant;
      lines.push(
        `| ${s.N} × ${s.D} × ${s.V} | ${name} | ${r.chunk} | ${r.wallS.toFixed(1)} | ${r.cpuS.toFixed(1)} | ${vs} | ${ratio(tfjs?.wallS, r.wallS)} | ${r.extraMB.toFixed(0)} | ${logitsMB.toFixed(0)} | ${(r.extraMB / logitsMB).toFixed(3)} |`,
      );
    }
  }
  if (failed.length > 0) lines.push('', ...failed);
  lines.push('');
  lines.push(...samplingSection(samp, ''));
  writeFileSync(new URL('./LLM-RESULTS.md', import.meta.url), lines.join('\n'));
  process.stdout.write(lines.join('\n') + '\n');
}

const i = process.argv.indexOf('--child');
if (i >= 0) await child(JSON.parse(process.argv[i + 1]) as Config);
else if (process.argv.includes('--sampling-only')) samplingOnly();
else main();
