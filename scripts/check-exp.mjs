// node scripts/check-exp.mjs: the exhaustive error of the wasm exp (see assembly/tools/check-exp.ts), about
// 30 s. Prints the worst error over all 1.1e9 float32 inputs in [−150, −0] for both builds,
// kept in float64 (as the kernels use it) and rounded to float32.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asc = join(dirname(createRequire(import.meta.url).resolve('assemblyscript/package.json')), 'bin', 'asc.js');
v8.setFlagsFromString('--experimental-wasm-relaxed-simd'); // Node 20; a no-op where it is on
const dir = mkdtempSync(join(tmpdir(), 'sigmax-exp-'));
const f = new Float32Array(1);
const u = new Uint32Array(f.buffer);
f[0] = -150;
const end = u[0];
for (const [name, features] of [['plain SIMD', 'simd'], ['relaxed SIMD (fused multiply-add)', 'simd,relaxed-simd']]) {
  const out = join(dir, 'check.wasm');
  execFileSync(process.execPath, [asc, 'assembly/tools/check-exp.ts', '-O3', '--runtime', 'stub', '--importMemory', '--noAssert', '--enable', features, '--outFile', out], { cwd: root, stdio: 'inherit' });
  const memory = new WebAssembly.Memory({ initial: 4 });
  const { instance } = await WebAssembly.instantiate(readFileSync(out), { env: { memory, abort() {} } });
  const OUT = 1 << 16;
  const w = new Float64Array(memory.buffer, OUT, 2);
  w.fill(0);
  const step = 1 << 26;
  for (let b = 0x80000000; b <= end; b += step) instance.exports.maxErr(b, Math.min(end, b + step - 1), OUT);
  console.log(`exp, ${name}, over every float32 d in [-150, -0]: worst ${w[0].toFixed(4)} ulp kept in float64 (as the kernels use it), ${w[1].toFixed(4)} ulp rounded to float32`);
}
rmSync(dir, { recursive: true, force: true });
