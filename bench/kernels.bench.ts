// node --import tsx bench/kernels.bench.ts [--quick] [--no-api] [--no-tfjs] [--no-stages] [--no-threads] [--write]
//
// The long-row float32 kernels (softmax, logSoftmax, logSumExp, cross-entropy loss + gradient)
// through sigmax's public API, next to tfjs-backend-wasm's XNNPACK ops in the same process; the
// kernels' passes one at a time inside wasm; and the two-thread speed-up of softmax on long rows.
// Every timing is the median of many rounds in which the compared calls take turns (so a busy
// machine slows them alike); ns/element.
//
// - sigmax 'zero-copy': x and out are sigmax/wasm arrays (allocFloat32), used in place.
// - sigmax 'out': plain Float32Arrays with a preallocated out (copied into the wasm memory and back).
// - tfjs 'op': the op alone on a tensor made beforehand, its result left in the backend (1 thread).
// - stages: assembly/ops/softmax.ts's row passes on 32×32000 inside wasm (relaxed SIMD where the
//   engine has it, as the shipped kernels), compiled from the sources into a temporary module.
// - threads: softmax with zero-copy arrays at setThreads(1) and setThreads(2), in turns, and a
//   plain copy of the same bytes on one and two threads (the memory's own limit).
//
// --write also writes the tables to bench/KERNELS-RESULTS.md.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as sx from '../src/index.js';
import { allocFloat32, freeFloat32, isWasmFloat32 } from '../src/wasm/index.js';
import { wasmPoolInfo, wasmRelaxed } from '../src/backend/wasm/index.js';

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
if (!args.has('--no-api')) {
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
}

/** The row passes of assembly/ops/softmax.ts as exports of a temporary module (paths relative to the sources). */
function stageModule(): Record<string, (...a: number[]) => number> {
  const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sigmax-stages-'));
  const rel = path.relative(dir, path.join(root, 'assembly')).split(path.sep).join('/');
  const src = `import { expStore, expSumRest, rowMax, scaleRow } from '${rel}/ops/softmax';
import { expN4, expS4, expT4, kc, K_DMIN, K_ZERO, madd } from '${rel}/math/expf';
export { softmaxF32, logSoftmaxF32, logSumExpF32 } from '${rel}/ops/softmax';
export { crossEntropyF32 } from '${rel}/ops/crossEntropy';
export function copyF32(x: usize, y: usize, n: i32): void { memory.copy(y, x, <usize>n << 2); }
export function maxRows(x: usize, rows: i32, n: i32): f32 {
  let m: f32 = 0;
  for (let r = 0; r < rows; r++) m += rowMax(x + ((<usize>r * <usize>n) << 2), n);
  return m;
}
export function expRows(x: usize, e: usize, rows: i32, n: i32, m: f32): f64 {
  let s: f64 = 0;
  for (let r = 0; r < rows; r++) s += expStore(x + ((<usize>r * <usize>n) << 2), e, n, m);
  return s;
}
export function expRowsNext(x: usize, e: usize, rows: i32, n: i32, m: f32): f64 {
  let s: f64 = 0;
  for (let r = 0; r < rows; r++) s += expStore(x + ((<usize>r * <usize>n) << 2), e, n, m, r + 1 < rows ? x + ((<usize>(r + 1) * <usize>n) << 2) : 0);
  return s;
}
export function sumRestRows(x: usize, rows: i32, n: i32, m: f32): f64 {
  let s: f64 = 0;
  for (let r = 0; r < rows; r++) s += expSumRest(x + ((<usize>r * <usize>n) << 2), n, m);
  return s;
}
export function scaleRows(e: usize, out: usize, rows: i32, n: i32, c: f64): void {
  for (let r = 0; r < rows; r++) scaleRow(e, out + ((<usize>r * <usize>n) << 2), n, c);
}
// XNNPACK-style, for comparison: x − m and e rounded to float32, e stored over out, float32 sums
export function expRowsPlain(x: usize, out: usize, rows: i32, n: i32, m: f32): f32 {
  const vm = f32x4.splat(m);
  let total: f32 = 0;
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>n) << 2);
    const orow = out + ((<usize>r * <usize>n) << 2);
    let a0 = f32x4.splat(0);
    let a1 = a0;
    for (let i = 0; i + 8 <= n; i += 8) {
      const d0 = f32x4.pmax(kc(K_DMIN), f32x4.sub(v128.load(xr + (<usize>i << 2)), vm));
      const d1 = f32x4.pmax(kc(K_DMIN), f32x4.sub(v128.load(xr + (<usize>i << 2), 16), vm));
      const n0 = expN4(d0);
      const n1 = expN4(d1);
      const s0 = expS4(n0);
      const s1 = expS4(n1);
      const e0 = madd(s0, expT4(d0, kc(K_ZERO), n0), s0);
      const e1 = madd(s1, expT4(d1, kc(K_ZERO), n1), s1);
      v128.store(orow + (<usize>i << 2), e0);
      v128.store(orow + (<usize>i << 2), e1, 16);
      a0 = f32x4.add(a0, e0);
      a1 = f32x4.add(a1, e1);
    }
    a0 = f32x4.add(a0, a1);
    total += f32x4.extract_lane(a0, 0) + f32x4.extract_lane(a0, 1) + f32x4.extract_lane(a0, 2) + f32x4.extract_lane(a0, 3);
  }
  return total;
}
export function scaleRowsPlain(out: usize, rows: i32, n: i32, c: f32): void {
  const vc = f32x4.splat(c);
  for (let r = 0; r < rows; r++) {
    const orow = out + ((<usize>r * <usize>n) << 2);
    for (let i = 0; i + 4 <= n; i += 4) v128.store(orow + (<usize>i << 2), f32x4.mul(v128.load(orow + (<usize>i << 2)), vc));
  }
}
`;
  writeFileSync(path.join(dir, 'stages.ts'), src);
  const asc = path.join(path.dirname(createRequire(import.meta.url).resolve('assemblyscript/package.json')), 'bin', 'asc.js');
  const relaxed = wasmRelaxed();
  try {
    execFileSync(process.execPath, [asc, path.join(dir, 'stages.ts'), '-O3', '--runtime', 'stub', '--importMemory', '--noAssert', '--enable', relaxed ? 'simd,relaxed-simd' : 'simd', '--outFile', path.join(dir, 'stages.wasm')], { cwd: root, stdio: 'inherit' });
    const memory = new WebAssembly.Memory({ initial: 512 }); // 32 MiB
    const mod = new WebAssembly.Module(readFileSync(path.join(dir, 'stages.wasm')));
    const inst = new WebAssembly.Instance(mod, { env: { memory, abort() {} } });
    const ex = inst.exports as unknown as Record<string, (...a: number[]) => number>;
    return { ...ex, memory: memory as unknown as (...a: number[]) => number };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!args.has('--no-stages')) {
  const ex = stageModule();
  const memory = ex.memory as unknown as WebAssembly.Memory;
  const R = 32;
  const C = 32000;
  const N = R * C;
  const X = 1 << 16;
  const OUT = X + N * 4 + 64;
  const E = OUT + N * 4 + 64;
  const T = E + C * 8 + 64;
  const LOSS = T + R * 4 + 64;
  const f32 = new Float32Array(memory.buffer);
  f32.set(logits(N), X / 4);
  const i32 = new Int32Array(memory.buffer);
  for (let r = 0; r < R; r++) i32[T / 4 + r] = (r * 7919) % C;
  let m = -Infinity;
  for (let i = 0; i < N; i++) m = Math.max(m, f32[X / 4 + i]);
  const rows: [string, () => void][] = [
    ['copy (memory.copy, the bandwidth yardstick)', () => ex.copyF32(X, OUT, N)],
    ['max pass', () => ex.maxRows(X, R, C)],
    ['exp pass: e stored as float64, summed', () => ex.expRows(X, E, R, C, m)],
    ["the same, taking the next row's max on the way (as the kernels run it)", () => ex.expRowsNext(X, E, R, C, m)],
    ["exp pass: summed without the max's terms, nothing stored (log ops)", () => ex.sumRestRows(X, R, C, m)],
    ['scale pass: float64 e × 1/S, rounded to float32', () => ex.scaleRows(E, OUT, R, C, 1e-31)],
    ['XNNPACK-style exp pass, for comparison: x − max and e rounded to float32, float32 sums', () => ex.expRowsPlain(X, OUT, R, C, m)],
    ['XNNPACK-style scale pass: float32 e × 1/S in place', () => ex.scaleRowsPlain(OUT, R, C, 1e-5)],
    ['softmax, whole kernel', () => ex.softmaxF32(X, OUT, E, R, C, 0)],
    ['logSoftmax, whole kernel', () => ex.logSoftmaxF32(X, OUT, E, R, C, 0)],
    ['logSumExp, whole kernel', () => ex.logSumExpF32(X, OUT, E, R, C)],
    ['cross-entropy loss + gradient, whole kernel', () => ex.crossEntropyF32(X, T, R, C, 0, -100, LOSS, OUT, 1, 0, R, E)],
  ];
  const t = race(rows.map((r) => r[1]), N);
  say();
  say(`## Inside wasm, 32×32000 (${wasmRelaxed() ? 'relaxed' : 'plain'} SIMD, no JS around the kernels)`);
  say();
  say('| pass | ns/element |');
  say('|---|---:|');
  rows.forEach(([name], k) => say(`| ${name} | ${t[k].toFixed(3)} |`));
}

/** A plain copy of n float32s between two halves of a SharedArrayBuffer, on this thread or split with one worker. */
function copier(n: number): { one: () => void; two: () => void; close: () => void } {
  const sab = new SharedArrayBuffer(n * 8);
  const a = new Float32Array(sab, 0, n);
  const b = new Float32Array(sab, n * 4, n);
  a.fill(1.5);
  b.fill(0);
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  const w = new Worker(
    `const { workerData: { sab, n, ctl } } = require('node:worker_threads');
const a = new Float32Array(sab, 0, n), b = new Float32Array(sab, n * 4, n), h = n >> 1;
for (let g = 1; ; g++) { Atomics.wait(ctl, 0, g - 1); if (Atomics.load(ctl, 0) < 0) break; b.set(a.subarray(h, n), h); Atomics.store(ctl, 1, g); Atomics.notify(ctl, 1); }`,
    { eval: true, workerData: { sab, n, ctl } },
  );
  w.unref();
  let gen = 0;
  return {
    one: () => b.set(a),
    two: () => {
      gen++;
      Atomics.store(ctl, 0, gen);
      Atomics.notify(ctl, 0);
      b.set(a.subarray(0, n >> 1));
      while (Atomics.load(ctl, 1) !== gen) Atomics.wait(ctl, 1, gen - 1, 10);
    },
    close: () => {
      Atomics.store(ctl, 0, -1);
      Atomics.notify(ctl, 0);
      void w.terminate();
    },
  };
}

/** Busy CPU time of the whole machine so far, in ms (Linux /proc/stat; null elsewhere). */
function machineBusyMs(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7]; // user nice system irq softirq steal
    return (busy * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** Runs f and returns how many cores other processes kept busy meanwhile (null where unknown). */
function otherCores(f: () => void): number | null {
  const b0 = machineBusyMs();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  f();
  const wall = performance.now() - t0;
  const b1 = machineBusyMs();
  if (b0 === null || b1 === null) return null;
  const c = process.cpuUsage(c0);
  return Math.max(0, (b1 - b0 - (c.user + c.system) / 1000) / wall);
}

/** setThreads(n), then calls f until the pool says its workers have started (they start asynchronously). */
async function useThreads(n: number, f: () => void): Promise<void> {
  sx.setThreads(n);
  f();
  for (let w = 0; w < 500 && n > 1 && (wasmPoolInfo()?.ready ?? 0) < n - 1; w++) {
    await new Promise((r) => setTimeout(r, 10));
    f();
  }
}

if (!args.has('--no-threads')) {
  say();
  say('## Two threads (softmax, zero-copy)');
  say();
  say('The copy columns move the same bytes as the softmax reads and writes (n float32 in, n out) with `Float32Array.set` on one thread and split over two: the memory system\'s own limit. "Others" is how many of the machine\'s cores other processes kept busy meanwhile (from /proc/stat): a 2-core machine shows a speed-up only when that is near 0.');
  say();
  say('| shape | 1 thread | 2 threads | speed-up | copy, 1 thread | copy, 2 threads | others (cores) |');
  say('|---|---:|---:|---:|---:|---:|---:|');
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
    const inner = n > 1e8 ? 3 : 9;
    let others = 0;
    let known = true;
    for (let k = 0; k < rounds; k++) {
      await useThreads(1, f);
      const o1 = otherCores(() => t1.push(race([f], n, inner)[0]));
      await useThreads(2, f);
      const o2 = otherCores(() => t2.push(race([f], n, inner)[0]));
      if (o1 === null || o2 === null) known = false;
      else others = Math.max(others, o1, o2);
    }
    sx.setThreads(1);
    freeFloat32(xz);
    freeFloat32(oz);
    const c = copier(n);
    const [c1, c2] = race([c.one, c.two], n, inner);
    c.close();
    t1.sort((a, b) => a - b);
    t2.sort((a, b) => a - b);
    const a = t1[t1.length >> 1];
    const b = t2[t2.length >> 1];
    say(`| ${rows}×${cols} | ${a.toFixed(3)} | ${b.toFixed(3)} | ${(a / b).toFixed(2)}× | ${c1.toFixed(3)} | ${c2.toFixed(3)} | ${known ? others.toFixed(2) : '–'} |`);
  }
}

if (args.has('--write')) writeFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'KERNELS-RESULTS.md'), lines.join('\n') + '\n');
process.exit(0);
