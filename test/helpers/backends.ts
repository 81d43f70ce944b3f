// Runs a suite once per backend of this build, so every backend passes the same tests, and checks
// which kernels served a call (sigmax/debug's traceKernels), so a test of the fast path fails when
// the call silently fell back to the reference.
import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend, setBackend } from '../../src/index.js';
import { traceKernels } from '../../src/debug/index.js';
import { setWasmFloat64Fast, setWasmRelaxed, wasmRelaxed } from '../../src/backend/wasm/index.js';

/** The backends this build ships. */
export const BACKENDS = ['js', 'wasm'] as const;

export function eachBackend(name: string, body: (backend: string) => void): void {
  for (const b of BACKENDS) {
    describe(`${name} [${b}]`, () => {
      let prev: string;
      before(() => {
        prev = getBackend();
        setBackend(b);
      });
      after(() => setBackend(prev as 'js' | 'wasm'));
      body(b);
    });
  }
}

/**
 * Runs fn and asserts which kernels served it: where `kernel` is a wasm kernel ('wasm:softmaxF32')
 * and the 'wasm' backend is active, that kernel ran and no reference kernel did; otherwise (the 'js'
 * backend, or a `js:` kernel named) that only reference kernels ran. Returns fn's result.
 */
export function expectKernel<T>(fn: () => T, kernel: string): T {
  const { result, kernels } = traceKernels(fn);
  if (kernel.startsWith('wasm:') && getBackend() === 'wasm') {
    assert.ok(kernels.includes(kernel), `expected ${kernel} to run, ran [${kernels.join(', ')}]`);
    assert.ok(!kernels.some((k) => k.startsWith('js:')), `expected no reference kernel, ran [${kernels.join(', ')}]`);
  } else {
    assert.ok(kernels.length > 0 && kernels.every((k) => k.startsWith('js:')), `expected only reference kernels, ran [${kernels.join(', ')}]`);
    if (kernel.startsWith('js:')) assert.ok(kernels.includes(kernel), `expected ${kernel} to run, ran [${kernels.join(', ')}]`);
  }
  return result;
}

/** Moves axis `axis` of a row-major array of shape `shape` to the end. */
export function moveAxisLast(data: ArrayLike<number>, shape: readonly number[], axis: number): { data: Float64Array; shape: number[] } {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  const n = shape[axis];
  const out = new Float64Array(data.length);
  let k = 0;
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) for (let c = 0; c < n; c++) out[k++] = data[o * n * inner + c * inner + i];
  const s = shape.slice();
  s.splice(axis, 1);
  s.push(n);
  return { data: out, shape: s };
}

export const EPS64 = 2 ** -52;
export const EPS32 = 2 ** -23;

/** The float32 bound of the 'wasm' backend's WebAssembly SIMD kernels: 2 ulp of the exact value (the reference's is 1). */
export const WASM_F32_BOUND = 2;

/**
 * Runs an accuracy measurement once per backend, and the 'wasm' backend once per build: with
 * relaxed SIMD (fused multiply-add, where this engine has it) as 'wasm', and with plain SIMD as
 * 'wasm-plain'. The 'wasm' backend's float32 kernels promise 2 ulp rather than the reference's 1,
 * so its float32 bounds are raised to that; everything else it runs through the reference and
 * keeps the reference's bounds. A last run, 'wasm-f64fast', measures the float64 results with
 * sigmax/wasm's setFastFloat64(true) (the fast float64 kernels) against the same float64 bounds.
 */
export function measureOnEachBackend<M extends { dtype: string; bound: number }>(measure: () => M[]): (M & { backend: string })[] {
  const prev = getBackend();
  const all: (M & { backend: string })[] = [];
  const runs: [string, 'js' | 'wasm', boolean][] = [['js', 'js', false], ['wasm', 'wasm', true]];
  setWasmRelaxed(true);
  if (wasmRelaxed()) runs.push(['wasm-plain', 'wasm', false]);
  for (const [label, b, relaxed] of runs) {
    setWasmRelaxed(relaxed);
    setBackend(b);
    for (const m of measure()) {
      const bound = b === 'wasm' && m.dtype === 'float32' ? Math.max(m.bound, WASM_F32_BOUND) : m.bound;
      all.push({ ...m, bound, backend: label });
    }
  }
  setWasmRelaxed(true);
  setBackend('wasm');
  setWasmFloat64Fast(true);
  try {
    for (const m of measure()) if (m.dtype === 'float64') all.push({ ...m, backend: 'wasm-f64fast' });
  } finally {
    setWasmFloat64Fast(false);
  }
  setBackend(prev);
  return all;
}
