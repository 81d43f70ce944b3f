// node --import tsx scripts/check-expd.ts: the error of the wasm float64 exp (assembly/math/expd.ts)
// against the reference's double-double exp (about 2^-70 relative), in float64 ulps of
// e^d·2^200, over 10^7 d in [−800, 0] (uniform, plus a dense sample of [−1, 0] and the reduction's
// boundaries n·ln2/2) for the plain-SIMD and relaxed-SIMD builds of assembly/tools/check-expd.ts,
// which this script compiles (the shipped builds do not export the scalar exp).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { R, TAIL, expDD } from '../src/reference/dd.js';
import { uniform } from '../src/core/rng.js';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd'); // Node 20; a no-op where it is on
const N = Number(process.argv[2] ?? 1e7);
const rand = uniform(12345);
const ds = new Float64Array(N);
for (let i = 0; i < N; i++) {
  const k = i % 4;
  if (k === 0) ds[i] = -800 * rand();
  else if (k === 1) ds[i] = -rand();
  else if (k === 2) ds[i] = -Math.round(rand() * 2300) * (Math.LN2 / 2) + (rand() - 0.5) * 1e-9;
  else ds[i] = -40 * rand();
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asc = join(dirname(createRequire(import.meta.url).resolve('assemblyscript/package.json')), 'bin', 'asc.js');
const dir = mkdtempSync(join(tmpdir(), 'sigmax-expd-'));
for (const [name, features] of [['plain SIMD', 'simd'], ['relaxed SIMD (fused multiply-add)', 'simd,relaxed-simd']]) {
  const file = join(dir, 'check-expd.wasm');
  execFileSync(process.execPath, [asc, 'assembly/tools/check-expd.ts', '-O3', '--runtime', 'stub', '--importMemory', '--noAssert', '--enable', features, '--outFile', file], { cwd: root, stdio: 'inherit' });
  const memory = new WebAssembly.Memory({ initial: 32 });
  const { instance } = await WebAssembly.instantiate(readFileSync(file), { env: { memory, abort() {} } });
  const expD = instance.exports.expD as (d: number, dl: number) => number;
  let worst = 0;
  let at = 0;
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const d = ds[i] < -800 ? -800 : ds[i];
    const got = expD(d, 0);
    expDD(d, 0, TAIL); // e^d·2^TAIL, normal down to −800
    const refHi = R.hi * 2 ** (200 - TAIL);
    const refLo = R.lo * 2 ** (200 - TAIL);
    const ulp = 2 ** (Math.floor(Math.log2(refHi)) - 52);
    const err = Math.abs(got - refHi - refLo) / ulp;
    sum += err;
    if (err > worst) {
      worst = err;
      at = d;
    }
  }
  console.log(`float64 exp, ${name}, ${N} arguments in [-800, 0]: worst ${worst.toFixed(4)} ulp (at d = ${at}), mean ${(sum / N).toFixed(4)}`);
}
rmSync(dir, { recursive: true, force: true });
