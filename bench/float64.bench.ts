// npm run bench:float64: float64 speed and exactness in one run. sigmax's exact reference (the
// default for float64), sigmax's fast float64 kernels (sigmax/wasm setFastFloat64(true)), the
// plain JS loop (Math.exp in float64) and onnxruntime-node on double models (bench/models/*_f64,
// preallocated outputs). Every output is compared with the reference, which is correctly rounded:
// the worst and mean error in ulps come from the same run as the times. Needs the bench's own
// dependencies (npm run bench installs them; or ONNXRUNTIME_NODE_INSTALL=skip npm --prefix bench ci).
// Writes bench/FLOAT64-RESULTS.md.
//
//   node --import tsx bench/float64.bench.ts

import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crossEntropyWithGrad, logSoftmax, setBackend, setThreads, sigmoid, softmax, tensor } from '../src/index.js';
import { setFastFloat64 } from '../src/wasm/index.js';
import { wasmRelaxed } from '../src/backend/wasm/index.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
type Op = 'softmax' | 'logSoftmax' | 'sigmoid' | 'crossEntropy';
interface Case {
  op: Op;
  rows: number;
  cols: number;
}
const CASES: Case[] = [
  { op: 'softmax', rows: 32, cols: 32000 },
  { op: 'softmax', rows: 1, cols: 151936 },
  { op: 'softmax', rows: 4096, cols: 10 },
  { op: 'logSoftmax', rows: 32, cols: 32000 },
  { op: 'crossEntropy', rows: 32, cols: 32000 },
  { op: 'sigmoid', rows: 1, cols: 1 << 22 },
];
const name = (c: Case) => `${c.op === 'crossEntropy' ? 'cross-entropy loss + grad' : c.op} ${c.op === 'sigmoid' ? '4M' : `${c.rows}×${c.cols}`}`;

function input(c: Case): { x: Float64Array; t: Int32Array } {
  const x = Float64Array.from({ length: c.rows * c.cols }, (_, i) => Math.sin(i * 0.37 + 0.1) * (c.op === 'sigmoid' ? 12 : 8));
  const t = Int32Array.from({ length: c.rows }, (_, r) => (r * 977) % c.cols);
  return { x, t };
}

/** Median ms per call over time-boxed samples (calls under 1 ms batched). */
async function time(call: () => unknown, budgetMs = 2500): Promise<number> {
  await call();
  const t0 = performance.now();
  await call();
  const one = performance.now() - t0;
  const k = Math.max(1, Math.ceil(1 / Math.max(one, 1e-3)));
  const samples: number[] = [];
  const end = performance.now() + budgetMs;
  while (samples.length < 5 || (performance.now() < end && samples.length < 41)) {
    const a = performance.now();
    for (let i = 0; i < k; i++) await call();
    samples.push((performance.now() - a) / k);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

function ulp(v: number): number {
  const a = Math.abs(v);
  return a < 2 ** -1022 ? 2 ** -1074 : 2 ** (Math.floor(Math.log2(a)) - 52);
}

/** Worst and mean error in ulps of `got` against the correctly rounded reference `ref` (±0.5 ulp). */
function errors(got: ArrayLike<number>, ref: ArrayLike<number>): { worst: number; mean: number } {
  let worst = 0;
  let sum = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Number.isFinite(ref[i]) ? Math.abs(got[i] - ref[i]) / ulp(ref[i]) : Object.is(got[i], ref[i]) ? 0 : Infinity;
    sum += e;
    if (!(e <= worst)) worst = e;
  }
  return { worst, mean: sum / ref.length };
}

/** The plain loop a user would write, in float64. */
function plain(c: Case, x: Float64Array, t: Int32Array, out: Float64Array): number {
  const n = c.cols;
  if (c.op === 'sigmoid') {
    for (let i = 0; i < x.length; i++) out[i] = 1 / (1 + Math.exp(-x[i]));
    return 0;
  }
  let loss = 0;
  for (let r = 0; r < c.rows; r++) {
    const o = r * n;
    let m = -Infinity;
    for (let i = 0; i < n; i++) if (x[o + i] > m) m = x[o + i];
    let s = 0;
    if (c.op === 'logSoftmax') {
      for (let i = 0; i < n; i++) s += Math.exp(x[o + i] - m);
      const l = Math.log(s);
      for (let i = 0; i < n; i++) out[o + i] = x[o + i] - m - l;
      continue;
    }
    for (let i = 0; i < n; i++) s += out[o + i] = Math.exp(x[o + i] - m);
    const inv = 1 / s;
    for (let i = 0; i < n; i++) out[o + i] *= inv;
    if (c.op === 'crossEntropy') {
      loss -= Math.log(out[o + t[r]]);
      for (let i = 0; i < n; i++) out[o + i] /= c.rows;
      out[o + t[r]] -= 1 / c.rows;
    }
  }
  return loss / c.rows;
}

function sigmaxCall(c: Case, x: Float64Array, t: Int32Array, out: Float64Array): () => number {
  const xt = tensor(x, [c.rows, c.cols]);
  const o = tensor(out, [c.rows, c.cols]);
  if (c.op === 'softmax') return () => (softmax(xt, { out: o }), 0);
  if (c.op === 'logSoftmax') return () => (logSoftmax(xt, { out: o }), 0);
  if (c.op === 'sigmoid') return () => (sigmoid(x, { out }), 0);
  return () => {
    const r = crossEntropyWithGrad(xt, t);
    out.set(r.grad.data);
    return r.loss as number;
  };
}

interface Row {
  system: string;
  ms: number;
  worst: number;
  mean: number;
}

const results: { c: Case; rows: Row[] }[] = [];
const say = (s: string) => void process.stderr.write(s + '\n');
let ort: typeof import('onnxruntime-node') | null = null;
try {
  ort = await import('onnxruntime-node');
} catch {
  say('onnxruntime-node is not installed in bench/ (npm --prefix bench ci): its rows are left out');
}
const ORT_MODEL: Partial<Record<Op, string>> = { softmax: 'softmax_f64', logSoftmax: 'log_softmax_f64', sigmoid: 'sigmoid_f64' };

// one thread, as FLOAT64-RESULTS.md reports (the library's default is 'auto')
setThreads(1);
for (const c of CASES) {
  const { x, t } = input(c);
  const N = x.length;
  const ref = new Float64Array(N);
  setBackend('js');
  const refCall = sigmaxCall(c, x, t, ref);
  const refLoss = refCall();
  const rows: Row[] = [];
  const refMs = await time(refCall, 4000);
  rows.push({ system: 'sigmax js (exact reference, the float64 default)', ms: refMs, worst: 0, mean: 0 });

  setBackend('wasm');
  setFastFloat64(true);
  const fo = new Float64Array(N);
  const fastCall = sigmaxCall(c, x, t, fo);
  const fastLoss = fastCall();
  const fe = errors(fo, ref);
  const fl = errors([fastLoss], [refLoss]);
  rows.push({ system: 'sigmax wasm, setFastFloat64(true)', ms: await time(fastCall), worst: Math.max(fe.worst, fl.worst), mean: fe.mean });
  setFastFloat64(false);

  const po = new Float64Array(N);
  const pl = plain(c, x, t, po);
  const pe = errors(po, ref);
  const ple = errors([pl], [refLoss]);
  rows.push({ system: 'plain JS loop (Math.exp, float64)', ms: await time(() => plain(c, x, t, po)), worst: Math.max(pe.worst, ple.worst), mean: pe.mean });

  const model = ORT_MODEL[c.op];
  if (ort && model) {
    const s = await ort.InferenceSession.create(path.join(HERE, 'models', `${model}.onnx`), { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
    const dims = [c.rows, c.cols];
    const feeds = { X: new ort.Tensor('float64', x, dims) };
    const oo = new Float64Array(N);
    const fetches = { Y: new ort.Tensor('float64', oo, dims) };
    await s.run(feeds, fetches);
    const oe = errors(oo, ref);
    rows.push({ system: 'onnxruntime-node (double model, preallocated output)', ms: await time(() => s.run(feeds, fetches)), worst: oe.worst, mean: oe.mean });
  }
  results.push({ c, rows });
  say(`${name(c)}: ${rows.map((r) => `${r.system.split(' (')[0]} ${((r.ms * 1e6) / N).toFixed(2)} ns/el, ${r.worst.toFixed(2)} ulp`).join('; ')}`);
}

const cpu = os.cpus()[0]?.model ?? 'unknown';
let md = `# float64: speed and exactness\n\n`;
md += `\`node --import tsx bench/float64.bench.ts\` (or \`npm run bench:float64\`), ${new Date().toISOString()}, ${cpu}, `;
md += `${os.availableParallelism?.() ?? os.cpus().length} cores, Node ${process.version}, wasm ${wasmRelaxed() ? 'relaxed SIMD' : 'plain SIMD'} build, 1 thread.\n\n`;
md += `Times are medians per call over the elements (ns/element, lower is better). Errors are in ulps of the float64 result against\n`;
md += `sigmax's exact reference (correctly rounded; so a result that is itself correctly rounded shows 0), worst over every output element and the loss.\n`;
md += `The fast kernels promise 2 ulp (sigmoid), 4 ulp (softmax family, losses) and 8 ulp (gradients) of the exact value.\n\n`;
for (const { c, rows } of results) {
  const N = c.rows * c.cols;
  const ref = rows[0].ms;
  md += `## ${name(c)}\n\n| system | ns/element | speed-up over the reference | worst error (ulp) | mean error (ulp) |\n|---|---:|---:|---:|---:|\n`;
  for (const r of rows) md += `| ${r.system} | ${((r.ms * 1e6) / N).toFixed(2)} | ${(ref / r.ms).toFixed(1)}× | ${r.worst.toFixed(2)} | ${r.mean.toFixed(3)} |\n`;
  md += '\n';
}
writeFileSync(path.join(HERE, 'FLOAT64-RESULTS.md'), md);
say('wrote bench/FLOAT64-RESULTS.md');
