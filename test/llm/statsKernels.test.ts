// The wasm row kernels of the fused linear cross-entropy (softmaxStats and
// crossEntropyGradFromStats through kernels()) give the reference's bits: float64 and float32
// rows, ties at the max, −∞ entries, rows down to the subnormal range of e^(x − max), the
// label-smoothing gap with and without class weights, gradients with and without the smoothing
// term; flagged rows (NaN, +∞, all −∞) and out-of-range coefficients go to the reference; any
// thread count gives the same bits; tiles from statsTile are used in place; linearCrossEntropy
// runs them (traceKernels).

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setBackend, setThreads, tensor } from '../../src/index.js';
import { kernels } from '../../src/backend/index.js';
import { jsKernels } from '../../src/backend/js.js';
import type { RowCoefs } from '../../src/backend/kernels.js';
import { traceKernels } from '../../src/debug/index.js';
import { linearCrossEntropy } from '../../src/llm/index.js';
import { wasmOffsetOf } from '../../src/backend/wasm/ops/rowStats.js';
import { setWasmThreads, wasmPoolInfo } from '../../src/backend/wasm/index.js';
import { threadsSupported } from '../../src/backend/wasm/pool.js';
import { uniform } from '../../src/core/rng.js';

/** Arrays equal bit for bit (Object.is per element: −0 and NaN too). */
function same(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

type Stats = { max: Float64Array; sumExp: Float64Array; sumExpLo: Float64Array; gap: Float64Array | null; gapLo: Float64Array | null };

function stats(rows: number, gap: boolean): Stats {
  const z = () => new Float64Array(rows).fill(-7);
  return { max: z(), sumExp: z(), sumExpLo: z(), gap: gap ? z() : null, gapLo: gap ? z() : null };
}

/** Rows of `n` uniform values in ±scale/2, with the edge cases of the statistics in the first rows. */
function rows<T extends Float32Array | Float64Array>(make: (n: number) => T, rowCount: number, n: number, scale: number, seed: number, edges: boolean): T {
  const r = uniform(seed);
  const x = make(rowCount * n);
  for (let i = 0; i < x.length; i++) x[i] = (r() - 0.5) * scale;
  // a tie at the max (the first one is the argmax left out of the sum)
  let m = -Infinity;
  for (let c = 0; c < n; c++) m = Math.max(m, x[c]);
  x[1] = m;
  x[n - 1] = m;
  if (edges && rowCount >= 6) {
    x[n + 2] = -Infinity; // a masked class
    x[2 * n + 3] = NaN; // a NaN row
    x[3 * n + 4] = Infinity; // a +∞ row
    x.fill(-Infinity, 4 * n, 5 * n); // an all −∞ row
    x[5 * n] = 1e300; // a row whose differences overflow the gap's range
  }
  return x;
}

function compareStats(x: Float32Array | Float64Array, rowCount: number, n: number, gap: boolean, w: Float64Array | null, what: string): string[] {
  const got = stats(rowCount + 3, gap);
  const want = stats(rowCount + 3, gap);
  const layout = { outer: rowCount, size: n, inner: 1 };
  const ran = traceKernels(() => kernels().softmaxStats({ input: x, layout, rowOffset: 3, ...got, gapWeight: w })).kernels;
  jsKernels.softmaxStats({ input: x, layout, rowOffset: 3, ...want, gapWeight: w });
  for (const k of ['max', 'sumExp', 'sumExpLo', 'gap', 'gapLo'] as const) if (want[k] !== null) same(got[k]!, want[k]!, `${what} ${k}`);
  return ran;
}

function coefs(N: number, seed: number, withB: boolean): RowCoefs {
  const r = uniform(seed);
  const c: RowCoefs = {
    kind: new Uint8Array(N), max: new Float64Array(N), a: new Float64Array(N), aLo: new Float64Array(N),
    b: new Float64Array(N), bLo: new Float64Array(N), gt: new Float64Array(N),
  };
  for (let i = 0; i < N; i++) {
    c.kind[i] = i % 7 === 3 ? 0 : i % 11 === 5 ? 2 : 1;
    c.max[i] = 15 + r();
    c.a[i] = (r() - 0.3) * 1e-3;
    c.aLo[i] = c.a[i] * 2 ** -60 * r();
    c.b[i] = withB && i % 2 === 0 ? r() * 1e-6 : 0;
    c.bLo[i] = c.b[i] * 2 ** -58 * (r() - 0.5);
    c.gt[i] = -r();
  }
  return c;
}

describe('wasm row kernels of linearCrossEntropy', () => {
  after(() => {
    setThreads(1);
    setBackend('auto');
  });

  it('softmaxStats: the reference bits for float64 and float32 rows, with and without the gap and weights; flagged rows through the reference', () => {
    setBackend('wasm');
    const cases: [number, number, number, boolean, boolean][] = [
      [7, 33, 10, false, false], [8, 1000, 30, true, false], [6, 257, 1400, true, true], [3, 4096, 1e-3, true, false], [1, 5, 2, false, false],
    ];
    for (const [rc, n, scale, gap, weighted] of cases) {
      const r = uniform(n);
      const w = weighted ? Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : 3 * r())) : null;
      const makers: ((k: number) => Float32Array | Float64Array)[] = [(k) => new Float64Array(k), (k) => new Float32Array(k)];
      for (const make of makers) {
        const x = rows(make, rc, n, scale, rc * n, true);
        const what = `${rc}×${n} ${x.constructor.name} gap ${gap} w ${weighted}`;
        const ran = compareStats(x, rc, n, gap, w, what);
        assert.ok(ran.includes('wasm:statsRowsF64'), `${what}: ${ran.join()}`);
        // the flagged rows (NaN, +∞, all −∞, and with the gap a −∞ entry or a huge spread) take the reference
        if (rc >= 6) assert.ok(ran.includes('js:softmaxStats'), `${what}: ${ran.join()}`);
        else assert.deepEqual(ran, ['wasm:statsRowsF64'], what);
      }
    }
  });

  it('crossEntropyGradFromStats: the reference bits, with the smoothing term b·w (class weights or none), ignored and non-finite rows, the target entry', () => {
    setBackend('wasm');
    for (const [rc, n, withB, weighted] of [[9, 101, false, false], [6, 3000, true, true], [5, 64, true, false], [4, 1, true, true]] as const) {
      const N = rc + 4;
      const co = coefs(N, n, withB);
      const index = Int32Array.from({ length: N }, (_, i) => 40 + ((i * 37) % (n + 20)));
      const r = uniform(rc);
      const w = weighted ? Float64Array.from({ length: n + 100 }, () => 2 * r()) : null;
      const z = rows((k) => new Float64Array(k), rc, n, 40, 3 * n, false);
      z[Math.min(2, n - 1)] = -Infinity;
      const got = z.slice();
      const want = z.slice();
      const args = { rows: rc, classes: n, rowOffset: 4, classOffset: 40, coefs: co, index, classWeight: w };
      const ran = traceKernels(() => kernels().crossEntropyGradFromStats({ ...args, logits: got })).kernels;
      jsKernels.crossEntropyGradFromStats({ ...args, logits: want });
      same(got, want, `grad ${rc}×${n}`);
      assert.deepEqual(ran, ['wasm:gradRowsF64']);
    }
  });

  it('leaves coefficients beyond the kernel range to the reference', () => {
    setBackend('wasm');
    const n = 17;
    const co = coefs(3, 1, true);
    co.kind.fill(1);
    co.a[1] = 1e280;
    const z = rows((k) => new Float64Array(k), 3, n, 10, 9, false);
    const got = z.slice();
    const want = z.slice();
    const args = { rows: 3, classes: n, rowOffset: 0, classOffset: 0, coefs: co, index: new Int32Array(3), classWeight: null };
    assert.deepEqual(traceKernels(() => kernels().crossEntropyGradFromStats({ ...args, logits: got })).kernels, ['js:crossEntropyGradFromStats']);
    jsKernels.crossEntropyGradFromStats({ ...args, logits: want });
    same(got, want, 'grad');
  });

  it('gives the same bits on 1 and 2 threads (the worker running parts), staged or in place on a tile', { skip: threadsSupported() ? false : 'no worker threads here' }, () => {
    setBackend('wasm');
    const rc = 24;
    const n = 6000;
    const x = rows((k) => new Float64Array(k), rc, n, 20, 77, false);
    const tile = kernels().statsTile(rc * n);
    try {
      tile.set(x);
      assert.ok(wasmOffsetOf(tile) > 0, 'the tile lives in the wasm memory');
      const out: Stats[] = [];
      const grads: Float64Array[] = [];
      const co = coefs(rc, 5, true);
      for (const t of [1, 2]) {
        setThreads(1);
        if (t > 1) {
          setWasmThreads(t);
          const cell = new Int32Array(new SharedArrayBuffer(4));
          for (let ms = 0; wasmPoolInfo()?.ready !== t - 1; ms += 10) {
            if (ms > 20_000) throw new Error('workers did not start within 20 s');
            Atomics.wait(cell, 0, 0, 10);
          }
        }
        const before = wasmPoolInfo()?.runs[0] ?? 0;
        for (const input of [x, tile]) {
          tile.set(x);
          const s = stats(rc, true);
          kernels().softmaxStats({ input, layout: { outer: rc, size: n, inner: 1 }, rowOffset: 0, ...s, gapWeight: null });
          out.push(s);
          const g = input === tile ? tile : x.slice();
          kernels().crossEntropyGradFromStats({ logits: g, rows: rc, classes: n, rowOffset: 0, classOffset: 0, coefs: co, index: new Int32Array(rc), classWeight: null });
          grads.push(g.slice());
        }
        if (t > 1) assert.ok(wasmPoolInfo()!.runs[0] >= before + 4, `the worker ran parts: ${JSON.stringify(wasmPoolInfo())}`);
      }
      for (let i = 1; i < out.length; i++) {
        for (const k of ['max', 'sumExp', 'sumExpLo', 'gap', 'gapLo'] as const) same(out[i][k]!, out[0][k]!, `run ${i} ${k}`);
        same(grads[i], grads[0], `grad run ${i}`);
      }
    } finally {
      kernels().releaseStatsTile(tile);
      setThreads(1);
    }
  });

  it('serve linearCrossEntropy on the wasm backend (one pass and chunked), with the reference bits', () => {
    const r = uniform(3);
    const N = 10;
    const D = 8;
    const V = 300;
    const hidden = tensor(Float32Array.from({ length: N * D }, () => r() - 0.5), [N, D]);
    const weight = tensor(Float32Array.from({ length: V * D }, () => 2 * r() - 1), [V, D]);
    const target = Int32Array.from({ length: N }, (_, i) => (i * 31) % V);
    for (const opts of [{}, { chunkSize: 128, labelSmoothing: 0.1, zLoss: 1e-4 }]) {
      setBackend('wasm');
      const { result: got, kernels: ran } = traceKernels(() => linearCrossEntropy(hidden, weight, target, opts));
      assert.ok(ran.includes('wasm:statsRowsF64') && ran.includes('wasm:gradRowsF64') && ran.includes('wasm:gemmF64'), ran.join());
      assert.ok(!ran.includes('js:softmaxStats') && !ran.includes('js:crossEntropyGradFromStats'), ran.join());
      setBackend('js');
      const want = linearCrossEntropy(hidden, weight, target, opts);
      assert.equal(got.loss, want.loss);
      same(got.lse, want.lse, 'lse');
      same(got.gradHidden!.data, want.gradHidden!.data, 'gradHidden');
      same(got.gradWeight!.data, want.gradWeight!.data, 'gradWeight');
    }
  });
});
