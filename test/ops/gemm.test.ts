// The backends' gemm against a float64 naive product: sizes around the micro-tiles (4×8, 4×4)
// and the k-block (256), all transposes, accumulate, empty and K = 0 products, NaN and ±∞; on the
// wasm backend the same bits for 1, 2 and 3 threads, and the kernel that ran.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { SigmaxError, setBackend, setThreads, tensor } from '../../src/index.js';
import { matmul } from '../../src/llm/index.js';
import { kernels } from '../../src/backend/index.js';
import type { GemmArgs, MatView } from '../../src/backend/kernels.js';
import { traceKernels } from '../../src/debug/index.js';
import { setWasmThreads, wasmPoolInfo } from '../../src/backend/wasm/index.js';
import { threadsSupported } from '../../src/backend/wasm/pool.js';
import { eachBackend } from '../helpers/backends.js';
import { uniform } from '../../src/core/rng.js';

type Arr = Float32Array | Float64Array;

/** A deterministic pseudo-random matrix in [−1, 1). */
function fill<T extends Arr>(a: T, seed: number): T {
  const r = uniform(seed);
  for (let i = 0; i < a.length; i++) a[i] = 2 * r() - 1;
  return a;
}

/** op(A) M×K and op(B) K×N stored as given (transposed storage swaps the strides). */
function operands(M: number, N: number, K: number, ta: boolean, tb: boolean, make: (n: number) => Arr, seed: number): { a: MatView; b: MatView } {
  const A = fill(make(M * K), seed);
  const B = fill(make(K * N), seed + 7);
  return {
    a: ta ? { data: A, offset: 0, rowStride: 1, colStride: M } : { data: A, offset: 0, rowStride: K, colStride: 1 },
    b: tb ? { data: B, offset: 0, rowStride: 1, colStride: K } : { data: B, offset: 0, rowStride: N, colStride: 1 },
  };
}

const at = (v: MatView, i: number, j: number) => v.data[v.offset + i * v.rowStride + j * v.colStride];

/** The float64 naive product and Σ_k |a_ik·b_kj| per element. */
function naive(M: number, N: number, K: number, a: MatView, b: MatView, c0: ArrayLike<number> | null): { ref: Float64Array; abs: Float64Array } {
  const ref = new Float64Array(M * N);
  const abs = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = c0 === null ? 0 : c0[i * N + j];
      let t = c0 === null ? 0 : Math.abs(c0[i * N + j]);
      for (let k = 0; k < K; k++) {
        const p = at(a, i, k) * at(b, k, j);
        s += p;
        t += Math.abs(p);
      }
      ref[i * N + j] = s;
      abs[i * N + j] = t;
    }
  }
  return { ref, abs };
}

function run(g: Omit<GemmArgs, 'cOff' | 'ldc'>): string[] {
  return traceKernels(() => kernels().gemm({ ...g, cOff: 0, ldc: g.N })).kernels;
}

const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 32, 33, 64, 127, 128, 129];
const TRANSPOSES: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

/** |c − ref| within the bound of its summation: float64 sums (K + 2)·2^−53·Σ|ab|, float32 sums 2(K + 2)·2^−24·Σ|ab|, plus ½ ulp of a float32 result. */
function check(c: Arr, ref: Float64Array, abs: Float64Array, K: number, f32Sums: boolean, what: string): void {
  const u = f32Sums ? 2 * 2 ** -24 : 2 ** -53;
  for (let i = 0; i < c.length; i++) {
    const tol = (K + 2) * u * abs[i] + (c instanceof Float32Array ? 2 ** -24 * Math.abs(ref[i]) : 0);
    if (!(Math.abs(c[i] - ref[i]) <= tol)) assert.fail(`${what}: element ${i} is ${c[i]}, expected ${ref[i]} (tolerance ${tol})`);
  }
}

eachBackend('gemm', (backend) => {
  const cases: { name: string; make: (n: number) => Arr; precision: 'f32' | 'f64'; kernel: string }[] = [
    { name: 'float32 operands, float64 sums', make: (n) => new Float32Array(n), precision: 'f64', kernel: 'wasm:gemmF64' },
    { name: 'float32 operands, float32 sums', make: (n) => new Float32Array(n), precision: 'f32', kernel: 'wasm:gemmF32' },
    { name: 'float64 operands', make: (n) => new Float64Array(n), precision: 'f64', kernel: 'wasm:gemmF64' },
  ];
  for (const cs of cases) {
    it(`matches the float64 naive product for ${cs.name} on sizes around the tiles, with every transpose`, () => {
      const f32Sums = backend === 'wasm' && cs.precision === 'f32';
      let seed = 1;
      for (const s of SIZES) {
        for (const [M, N, K] of [[s, s, s], [s, 33, 1], [3, s, 300], [s, 9, 17]]) {
          for (const [ta, tb] of TRANSPOSES) {
            const { a, b } = operands(M, N, K, ta, tb, cs.make, seed++);
            const c = cs.make(M * N);
            const ran = run({ M, N, K, a, b, c, accumulate: false, precision: cs.precision });
            const { ref, abs } = naive(M, N, K, a, b, null);
            check(c, ref, abs, K, f32Sums, `${M}×${K}·${K}×${N} ta=${ta} tb=${tb}`);
            assert.ok(ran.includes(backend === 'wasm' ? cs.kernel : 'js:gemm'), `ran [${ran.join(', ')}]`);
          }
        }
      }
    });

    it(`adds to C with accumulate, across k-blocks, for ${cs.name}`, () => {
      const f32Sums = backend === 'wasm' && cs.precision === 'f32';
      for (const [M, N, K] of [[13, 21, 600], [129, 65, 257], [4, 8, 1]]) {
        const { a, b } = operands(M, N, K, false, true, cs.make, M + N);
        const c = fill(cs.make(M * N), 99);
        const c0 = Float64Array.from(c);
        run({ M, N, K, a, b, c, accumulate: true, precision: cs.precision });
        const { ref, abs } = naive(M, N, K, a, b, c0);
        check(c, ref, abs, K, f32Sums, `${M}×${K}·${K}×${N} accumulate`);
      }
    });
  }

  it('leaves an empty product alone and makes a K = 0 product zero (or keeps C with accumulate)', () => {
    for (const precision of ['f32', 'f64'] as const) {
      const a: MatView = { data: new Float32Array(0), offset: 0, rowStride: 0, colStride: 1 };
      const b: MatView = { data: new Float32Array(0), offset: 0, rowStride: 5, colStride: 1 };
      const c = new Float32Array(15).fill(7);
      run({ M: 3, N: 5, K: 0, a, b, c, accumulate: true, precision });
      assert.deepEqual([...c], new Array(15).fill(7));
      run({ M: 3, N: 5, K: 0, a, b, c, accumulate: false, precision });
      assert.deepEqual([...c], new Array(15).fill(0));
      c.fill(7);
      run({ M: 0, N: 5, K: 4, a, b, c, accumulate: false, precision });
      run({ M: 3, N: 0, K: 4, a, b, c, accumulate: false, precision });
      assert.deepEqual([...c], new Array(15).fill(7));
    }
  });

  it('propagates NaN and ±∞ as IEEE arithmetic does (0·∞ = NaN, ∞ − ∞ = NaN), on full and edge tiles', () => {
    for (const precision of ['f32', 'f64'] as const) {
      const M = 9, N = 19, K = 300;
      const { a, b } = operands(M, N, K, false, false, (n) => new Float32Array(n), 5);
      const A = a.data;
      const B = b.data;
      A[2 * K + 10] = NaN; // row 2: NaN everywhere
      A[5 * K + 0] = Infinity; // row 5: ±∞ by the sign of b[0][j], NaN where b[0][j] = 0
      B[0 * N + 3] = 0;
      B[20 * N + 17] = -Infinity; // column 17: ∓∞ by the sign of a[i][20]
      A[7 * K + 20] = 0; // … NaN in row 7 (0·∞)
      A[8 * K + 250] = Infinity;
      B[250 * N + 18] = Infinity;
      A[8 * K + 251] = Infinity;
      B[251 * N + 18] = -Infinity; // row 8, column 18: ∞ − ∞
      const c = new Float32Array(M * N);
      run({ M, N, K, a, b, c, accumulate: false, precision });
      const { ref } = naive(M, N, K, a, b, null);
      let nonFinite = 0;
      for (let i = 0; i < M * N; i++) {
        if (Number.isFinite(ref[i])) continue;
        nonFinite++;
        assert.ok(Object.is(c[i], ref[i]), `element ${i}: ${c[i]}, expected ${ref[i]} (${precision})`);
      }
      assert.ok(nonFinite > N + M, `the case has non-finite results (${nonFinite})`);
    }
  });

  it('runs matmul with float32 sums where asked, and rejects an unknown precision', () => {
    const a = tensor(fill(new Float32Array(40 * 70), 3), [40, 70]);
    const b = tensor(fill(new Float32Array(70 * 30), 4), [70, 30]);
    const { result, kernels: ran } = traceKernels(() => matmul(a, b, { precision: 'float32' }));
    assert.ok(ran.includes(backend === 'wasm' ? 'wasm:gemmF32' : 'js:gemm'), `ran [${ran.join(', ')}]`);
    const { ref, abs } = naive(40, 30, 70, { data: a.data, offset: 0, rowStride: 70, colStride: 1 }, { data: b.data, offset: 0, rowStride: 30, colStride: 1 }, null);
    check(result.data, ref, abs, 70, backend === 'wasm', 'matmul float32');
    assert.throws(() => matmul(a, b, { precision: 'half' as 'float32' }), (e: unknown) => e instanceof SigmaxError && e.code === 'INVALID_OPTION');
  });
});

describe('gemm with operands in the wasm memory', () => {
  after(() => setBackend('auto'));

  it('uses statsTile tiles in place (A, B or C, strided or transposed) and gives the bits of the staged product', () => {
    setBackend('wasm');
    const k = kernels();
    for (const [M, N, K, ta, tb, acc] of [[37, 300, 70, false, true, false], [300, 40, 130, true, false, true], [9, 2100, 1500, false, false, true]] as const) {
      const { a, b } = operands(M, N, K, ta, tb, (n) => new Float64Array(n), M + N);
      const c0 = fill(new Float64Array(M * N + 5), 99);
      const want = c0.slice();
      k.gemm({ M, N, K, a, b, c: want, cOff: 5, ldc: N, accumulate: acc, precision: 'f64' });
      const tiles = [k.statsTile(a.data.length), k.statsTile(b.data.length), k.statsTile(c0.length)];
      try {
        tiles[0].set(a.data);
        tiles[1].set(b.data);
        for (const [ia, ib, ic] of [[true, false, false], [false, true, false], [false, false, true], [true, true, true]]) {
          tiles[2].set(c0);
          const c = ic ? tiles[2] : c0.slice();
          const { kernels: ran } = traceKernels(() => k.gemm({
            M, N, K, a: ia ? { ...a, data: tiles[0] } : a, b: ib ? { ...b, data: tiles[1] } : b, c, cOff: 5, ldc: N, accumulate: acc, precision: 'f64',
          }));
          assert.deepEqual(ran, ['wasm:gemmF64']);
          for (let i = 0; i < want.length; i++) if (!Object.is(c[i], want[i])) assert.fail(`${M}×${N}×${K} in place ${[ia, ib, ic]}: [${i}] ${c[i]} vs ${want[i]}`);
        }
      } finally {
        for (const t of tiles) k.releaseStatsTile(t);
      }
    }
  });

  it('rounds each element of a float32 C once with float64 sums (K within one k-block: the kernel reads and writes float32)', () => {
    setBackend('wasm');
    const k = kernels();
    for (const [M, N, K, ta, acc] of [[130, 70, 120, true, true], [33, 301, 256, false, false], [5, 9, 1, false, true]] as const) {
      const { a, b } = operands(M, N, K, ta, false, (n) => new Float32Array(n), M * 3 + K);
      const c0 = fill(new Float32Array(M * N), 5);
      const wide = Float64Array.from(c0);
      k.gemm({ M, N, K, a, b, c: wide, cOff: 0, ldc: N, accumulate: acc, precision: 'f64' });
      const c = c0.slice();
      k.gemm({ M, N, K, a, b, c, cOff: 0, ldc: N, accumulate: acc, precision: 'f64' });
      for (let i = 0; i < c.length; i++) if (!Object.is(c[i], Math.fround(wide[i]))) assert.fail(`${M}×${N}×${K}: [${i}] ${c[i]} vs ${Math.fround(wide[i])}`);
    }
  });
});

/** Blocks until `ready()` says every worker has started (calls before that run on this thread). */
function waitReady(ready: () => boolean): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (let t = 0; !ready(); t += 10) {
    if (t > 20_000) throw new Error('workers did not start within 20 s');
    Atomics.wait(cell, 0, 0, 10);
  }
}

describe('gemm on worker threads', { skip: threadsSupported() ? false : 'worker_threads or SharedArrayBuffer unavailable' }, () => {
  after(() => {
    setThreads(1);
    setBackend('auto');
  });

  it('gives the same bits with 1, 2 and 3 threads, splitting C by whole output tiles', () => {
    setBackend('wasm');
    const shapes: [number, number, number, boolean, boolean][] = [[130, 333, 300, false, true], [700, 37, 129, true, false], [64, 2500, 65, false, false]];
    const all = () => {
      const out: Arr[] = [];
      for (const [M, N, K, ta, tb] of shapes) {
        for (const precision of ['f32', 'f64'] as const) {
          const { a, b } = operands(M, N, K, ta, tb, (n) => new Float32Array(n), M + K);
          const c = new Float32Array(M * N);
          kernels().gemm({ M, N, K, a, b, c, cOff: 0, ldc: N, accumulate: false, precision });
          out.push(c);
        }
      }
      return out;
    };
    setThreads(1);
    const one = all();
    for (const n of [2, 3]) {
      setWasmThreads(n);
      waitReady(() => wasmPoolInfo()?.ready === n - 1);
      const before = wasmPoolInfo()!.runs.slice();
      const many = all();
      const runs = wasmPoolInfo()!.runs;
      assert.ok(runs.every((r, w) => r > before[w]), `every worker ran parts: ${JSON.stringify(runs)}`);
      one.forEach((c, k) => {
        for (let i = 0; i < c.length; i++) if (!Object.is(c[i], many[k][i])) assert.fail(`product ${k}[${i}]: ${c[i]} with 1 thread, ${many[k][i]} with ${n}`);
      });
    }
    setThreads(1);
  });
});
