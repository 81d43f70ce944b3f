// node --import tsx bench/profile.ts: where the float32 fast path spends its time. Compiles
// assembly/tools/profile.ts (the row primitives one at a time, and an XNNPACK-style variant
// without the exactness work) with the relaxed-SIMD features the shipped build uses on this
// engine, runs each stage on the benchmark's shapes inside wasm (no JS copies), and prints
// ns/element (median of 25) as a Markdown table, also written to bench/PROFILE.md.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd'); // Node 20; a no-op where it is on
const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const asc = path.join(path.dirname(createRequire(import.meta.url).resolve('assemblyscript/package.json')), 'bin', 'asc.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'sigmax-profile-'));
const wasmFile = path.join(dir, 'profile.wasm');
execFileSync(process.execPath, [asc, 'assembly/tools/profile.ts', '-O3', '--runtime', 'stub', '--importMemory', '--noAssert', '--enable', 'simd,relaxed-simd', '--outFile', wasmFile], { cwd: ROOT, stdio: 'inherit' });
const memory = new WebAssembly.Memory({ initial: 2048 }); // 128 MiB
const { instance } = await WebAssembly.instantiate(readFileSync(wasmFile), { env: { memory, abort() {} } });
rmSync(dir, { recursive: true, force: true });
type F = (...a: number[]) => number;
const ex = instance.exports as unknown as Record<string, F>;

const R = 32;
const C = 32000;
const N = R * C;
const X = 1 << 16; // x at 64 KiB
const OUT = X + N * 4 + 64;
const E = OUT + N * 4 + 64; // one row of float64 e (reused per row)
const T = E + C * 8 + 64;
const T2 = T + R * 4 + 64; // 4096 class indices < 10
const LOSS = T2 + 4096 * 4 + 64; // 4096 float64 losses
const SIG = 1 << 24; // sigmoid 4M floats in/out
const SN = 1 << 22;
const f32 = new Float32Array(memory.buffer);
for (let i = 0; i < N; i++) f32[X / 4 + i] = Math.sin(i * 0.37) * 8;
for (let i = 0; i < SN; i++) f32[SIG / 4 + i] = Math.sin(i * 0.11) * 10;
const i32 = new Int32Array(memory.buffer);
for (let r = 0; r < R; r++) i32[T / 4 + r] = (r * 977) % C;
for (let r = 0; r < 4096; r++) i32[T2 / 4 + r] = (r * 7) % 10;
let m = -Infinity;
for (let i = 0; i < N; i++) m = Math.max(m, f32[X / 4 + i]);

function median(f: () => void, n: number, reps = 25): number {
  f();
  const ts: number[] = [];
  for (let k = 0; k < reps; k++) {
    const a = performance.now();
    f();
    ts.push(performance.now() - a);
  }
  ts.sort((a, b) => a - b);
  return (ts[reps >> 1] * 1e6) / n;
}

const rows: [string, number, string][] = [];
const add = (stage: string, ns: number, note = '') => rows.push([stage, ns, note]);
add('copy 32×32000 float32 in wasm (memory.copy, read + write)', median(() => ex.copyF32(X, OUT, N), N), 'the bandwidth yardstick');
const mx = median(() => ex.maxRows(X, R, C), N);
const ex1 = median(() => ex.expRows(X, E, R, C, m), N);
const sc1 = median(() => ex.scaleRows(E, OUT, R, C, 1e-5), N);
const ex0 = median(() => ex.expRowsPlain(X, OUT, R, C, m), N);
const sc0 = median(() => ex.scaleRowsPlain(OUT, R, C, 1e-5), N);
add('row max (shipped)', mx);
add("exp pass, shipped: e formed exactly in float64 from the float32 exp's parts (x reduced itself, the max applied once per row), stored as float64, float64 sums", ex1);
add('exp pass, XNNPACK-style: x − max rounded, e rounded to float32, float32 sums', ex0, `exactness costs ${(ex1 - ex0).toFixed(2)} ns/el here`);
add('scale pass, shipped: float64 e × 1/S rounded to float32 (reads 8 B/el)', sc1);
add('scale pass, XNNPACK-style: float32 in place (reads 4 B/el)', sc0);
add('softmax 32×32000, shipped kernel, whole (max + exp + scale)', median(() => ex.softmaxF32(X, OUT, E, R, C, 0), N), `sum of stages ${(mx + ex1 + sc1).toFixed(2)}; XNNPACK-style stages sum to ${(mx + ex0 + sc0).toFixed(2)}`);
add('softmax 4096×10, shipped kernel, whole (four rows per lane group)', median(() => ex.softmaxF32(X, OUT, E, 4096, 10, 0), 40960), 'the short-row kernels of small.ts');
add('logSoftmax 4096×10, shipped kernel, whole', median(() => ex.logSoftmaxF32(X, OUT, E, 4096, 10, 0), 40960));
add('cross-entropy loss + gradient 4096×10, shipped kernel, whole', median(() => ex.crossEntropyF32(X, T2, 4096, 10, 0, -100, LOSS, OUT, 1, 0, 4096, E), 40960));
add('logSoftmax 32×32000, shipped kernel, whole', median(() => ex.logSoftmaxF32(X, OUT, E, R, C, 0), N));
add('cross-entropy loss + gradient 32×32000, shipped kernel, whole', median(() => ex.crossEntropyF32(X, T, R, C, 0, -100, LOSS, OUT, 1, 0, R, E), N));
/** Worst error in float32 ulps of the SN results at SIG + SN·4 against float64 σ (exact enough here). */
function sigmoidUlps(): number {
  const xs = new Float32Array(memory.buffer, SIG, SN);
  const ys = new Float32Array(memory.buffer, SIG + SN * 4, SN);
  let w = 0;
  for (let i = 0; i < SN; i++) {
    const ref = 1 / (1 + Math.exp(-xs[i]));
    const u = 2 ** (Math.floor(Math.log2(Math.fround(ref))) - 23);
    w = Math.max(w, Math.abs(ys[i] - ref) / u);
  }
  return w;
}
const sgS = median(() => ex.sigmoidShipped(SIG, SIG + SN * 4, SN), SN);
const errS = sigmoidUlps();
const sgP = median(() => ex.sigmoidPlain(SIG, SIG + SN * 4, SN), SN);
const errP = sigmoidUlps();
add('sigmoid 4M, shipped: e in float64, float64 division, one rounding', sgS, `worst ${errS.toFixed(2)} ulp here`);
add('sigmoid 4M, float32: e rounded, float32 division', sgP, `worst ${errP.toFixed(2)} ulp here (the bound is 2)`);

const cpu = os.cpus()[0]?.model ?? 'unknown';
let md = '# Where the float32 fast path spends its time\n\n';
md += '`npm run profile` (bench/profile.ts): each stage of the float32 kernels inside wasm (no JS copies), relaxed SIMD, median of 25 runs, ';
md += `${cpu}, ${os.availableParallelism?.() ?? os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString()}. `;
md += 'The XNNPACK-style rows run the same exp without the exactness work (x − max and e rounded to float32, float32 sums): ';
md += 'the difference is what staying within 2 ulp costs. See docs/math.md, "Where the float32 time goes".\n\n';
md += '| stage | ns/element | note |\n|---|---:|---|\n';
for (const [s, ns, note] of rows) md += `| ${s} | ${ns.toFixed(2)} | ${note} |\n`;
console.log(md);
writeFileSync(path.join(ROOT, 'bench', 'PROFILE.md'), md);
