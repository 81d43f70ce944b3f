// Long float32 rows (2^16 elements and more) take the block path: fixed blocks of 2^14 elements,
// per-block statistics merged in block order on the calling thread. The same bits for 1, 2 and 3
// threads, around the block boundaries and with −∞, NaN and +∞ in one block; within the wasm
// bound of the exact reference, also on each of the exp's paths (|max| ≤ 200, above, ≥ 2^22);
// traceKernels names the block kernels.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { crossEntropyWithGrad, logSoftmax, logSumExp, setBackend, setThreads, softmax, tensor } from '../../src/index.js';
import { threadsSupported } from '../../src/backend/wasm/pool.js';
import { setWasmThreads, wasmPoolInfo } from '../../src/backend/wasm/index.js';
import { traceKernels } from '../../src/debug/index.js';
import { WASM_F32_BOUND } from '../helpers/backends.js';

const BLOCK = 1 << 14;

function waitReady(n: number): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (let t = 0; (wasmPoolInfo()?.ready ?? 0) < n - 1; t += 10) {
    if (t > 20_000) throw new Error('workers did not start within 20 s');
    Atomics.wait(cell, 0, 0, 10);
  }
}

/** Distance in float32 steps (0 for the same value, Infinity where one is NaN and the other not). */
function ulps(a: number, b: number): number {
  if (Object.is(a, b) || a === b) return 0;
  if (a !== a || b !== b || !Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  const f = new Float32Array([a, b]);
  const i = new Int32Array(f.buffer);
  const key = (v: number) => (v < 0 ? -(v & 0x7fffffff) : v);
  return Math.abs(key(i[0]) - key(i[1]));
}

/** Rows of n: row 0 plain, row 1 with −∞ in its second block, row 2 with NaN, row 3 with +∞, row 4 all −∞. */
function rowsOf(n: number): Float32Array {
  const x = Float32Array.from({ length: 5 * n }, (_, i) => Math.sin(i * 0.37) * 12 + (i % 1009 === 0 ? 30 : 0));
  x[n + BLOCK + 3] = -Infinity;
  x[2 * n + BLOCK + 5] = NaN;
  x[3 * n + 7] = Infinity;
  x.fill(-Infinity, 4 * n, 5 * n);
  return x;
}

function everything(x: Float32Array, n: number): Float32Array[] {
  const xt = tensor(x, [5, n]);
  const t = Int32Array.from([3, BLOCK + 1, 0, n - 1, 2]);
  const g = crossEntropyWithGrad(tensor(x.subarray(0, 2 * n), [2, n]), t.subarray(0, 2), { reduction: 'none' });
  const h = crossEntropyWithGrad(xt, Int32Array.from([3, -100, 0, n - 1, 2]), { reduction: 'sum' });
  return [softmax(xt).data, logSoftmax(xt).data, logSumExp(xt).data, softmax(xt, { allMasked: 'zero' }).data, logSoftmax(xt, { allMasked: 'zero' }).data, g.loss.data, g.grad.data, h.grad.data, Float32Array.of(h.loss)];
}

describe('long rows on the block path', () => {
  after(() => {
    setThreads(1);
    setBackend('auto');
  });

  it('give the same bits with 1, 2 and 3 threads around the block boundaries', { skip: threadsSupported() ? false : 'no worker threads' }, () => {
    setBackend('wasm');
    for (const n of [4 * BLOCK, 5 * BLOCK - 1, 5 * BLOCK, 5 * BLOCK + 1, 151936]) {
      const x = rowsOf(n);
      setThreads(1);
      const one = everything(x, n);
      for (const k of [2, 3]) {
        setWasmThreads(k);
        waitReady(k);
        const many = everything(x, n);
        one.forEach((a, j) => {
          for (let i = 0; i < a.length; i++) if (!Object.is(a[i], many[j][i])) assert.fail(`n = ${n}, output ${j}[${i}]: ${a[i]} with 1 thread, ${many[j][i]} with ${k}`);
        });
      }
    }
    setThreads(1);
  });

  it("stay within the wasm bound of the exact reference, with PyTorch's special values", () => {
    const n = 5 * BLOCK + 1;
    const x = rowsOf(n);
    setBackend('js');
    const want = everything(x, n);
    setBackend('wasm');
    setThreads(1);
    const got = everything(x, n);
    want.forEach((a, j) => {
      for (let i = 0; i < a.length; i++) {
        const d = ulps(got[j][i], a[i]);
        if (d > WASM_F32_BOUND) assert.fail(`output ${j}[${i}]: ${got[j][i]} against the reference's ${a[i]} (${d} ulp)`);
      }
    });
    // the special rows as PyTorch: NaN for a NaN or +∞ row, NaN for an all −∞ row's softmax, −∞ for its logSumExp
    const p = got[0];
    assert.ok(Number.isNaN(p[2 * n]) && Number.isNaN(p[3 * n]) && Number.isNaN(p[4 * n]));
    assert.equal(p[n + BLOCK + 3], 0);
    assert.deepEqual(Array.from(got[2].subarray(2)), [NaN, Infinity, -Infinity]);
  });

  it('agree with the reference on every exp path: |max| below and above 200, 2^22 and more, NaN in a block of −∞', { skip: threadsSupported() ? false : 'no worker threads' }, () => {
    // the kernels reduce x itself for |max| ≤ 200 and form x − max exactly otherwise (a scalar
    // float64 path from 2^22): one row per path on the row kernels (n = 3000) and per block on the block path
    const maxima = [3.5, 199.99, 200.01, -200.01, -37, 1e5, -1e5, 5e6, -6e6];
    for (const n of [3000, 5 * BLOCK + 7]) {
      const rows = maxima.length + 1;
      const x = new Float32Array(rows * n);
      for (let r = 0; r < maxima.length; r++) {
        for (let i = 0; i < n; i++) x[r * n + i] = maxima[r] - Math.abs(Math.sin(i * 0.61 + r)) * (i % 3 === 0 ? 2 : 60) - (i % 97 === 0 ? 1e4 : 0);
        x[r * n + 11] = maxima[r];
      }
      // on the block path, each block of the first row with its own max regime
      if (n > BLOCK) for (let b = 0; b < 5; b++) for (let i = b * BLOCK; i < (b + 1) * BLOCK; i++) x[i] += [0, 300, -400, 2e5, 9e6][b];
      // the last row: −∞ everywhere but one NaN (a block with no finite max and a NaN)
      x.fill(-Infinity, maxima.length * n);
      x[maxima.length * n + n - 3] = NaN;
      const xt = tensor(x, [rows, n]);
      const t = Int32Array.from({ length: rows }, (_, r) => (r * 7919) % n);
      const run = () => {
        const g = crossEntropyWithGrad(xt, t, { reduction: 'none' });
        return [softmax(xt).data, logSoftmax(xt).data, logSumExp(xt).data, g.loss.data, g.grad.data];
      };
      setBackend('js');
      const want = run();
      setBackend('wasm');
      setThreads(1);
      const got = run();
      setWasmThreads(2);
      waitReady(2);
      const two = run();
      setThreads(1);
      want.forEach((a, j) => {
        for (let i = 0; i < a.length; i++) {
          const d = ulps(got[j][i], a[i]);
          if (d > WASM_F32_BOUND) assert.fail(`n = ${n}, output ${j}[${i}]: ${got[j][i]} against the reference's ${a[i]} (${d} ulp)`);
          if (!Object.is(got[j][i], two[j][i])) assert.fail(`n = ${n}, output ${j}[${i}]: ${got[j][i]} with 1 thread, ${two[j][i]} with 2`);
        }
      });
      assert.ok(Number.isNaN(got[2][maxima.length]) && Number.isNaN(got[0][maxima.length * n]));
    }
  });

  it('give the same bits for a row alone or in a batch, with maxima of either zero sign', () => {
    // in a batch each row's max is taken during the previous row's exp pass (in another order
    // than a row's own max pass), which can only change the sign of a zero max: no output depends on it
    setBackend('wasm');
    setThreads(1);
    for (const n of [40, 1000, 5 * BLOCK + 3]) {
      const rows = 6;
      const x = new Float32Array(rows * n);
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < n; i++) x[r * n + i] = -Math.abs(Math.sin(i * 0.3 + r)) * 9 - 0.5;
        // zeros of both signs as the max, in both orders, and once alone
        if (r < 5) x[r * n + 3] = r % 2 ? -0 : 0;
        if (r < 4) x[r * n + n - 2] = r % 2 ? 0 : -0;
      }
      if (n > BLOCK) for (let i = BLOCK; i < 2 * BLOCK; i++) x[i] = i % 2 ? -0 : 0; // a block of zeros only
      const t = Int32Array.from({ length: rows }, (_, r) => (r * 3) % n);
      const ops = (v: Float32Array, k: number, tt: Int32Array) => {
        const xt = tensor(v, [k, n]);
        const g = crossEntropyWithGrad(xt, tt, { reduction: 'none' });
        return [softmax(xt).data, logSoftmax(xt).data, logSumExp(xt).data, Float32Array.from(g.loss.data), g.grad.data];
      };
      const batch = ops(x, rows, t);
      for (let r = 0; r < rows; r++) {
        const one = ops(x.slice(r * n, (r + 1) * n), 1, t.subarray(r, r + 1));
        one.forEach((a, j) => {
          const per = a.length;
          for (let i = 0; i < per; i++) if (!Object.is(a[i], batch[j][r * per + i])) assert.fail(`n = ${n}, row ${r}, output ${j}[${i}]: ${a[i]} alone, ${batch[j][r * per + i]} in the batch`);
        });
      }
    }
  });

  it('run the block kernels for one long row', () => {
    setBackend('wasm');
    const x = tensor(Float32Array.from({ length: 151936 }, (_, i) => Math.cos(i)), [1, 151936]);
    assert.deepEqual(traceKernels(() => softmax(x)).kernels, ['wasm:softmaxBlockStatsF32', 'wasm:softmaxBlockScaleF32']);
    assert.deepEqual(traceKernels(() => logSoftmax(x)).kernels, ['wasm:softmaxBlockStatsF32', 'wasm:logSoftmaxBlockShiftF32']);
    assert.deepEqual(traceKernels(() => logSumExp(x)).kernels, ['wasm:softmaxBlockStatsF32']);
    assert.deepEqual(traceKernels(() => crossEntropyWithGrad(x, Int32Array.of(7))).kernels, ['wasm:softmaxBlockStatsF32', 'wasm:softmaxBlockScaleF32']);
  });
});
