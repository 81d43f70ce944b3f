// The fast float64 kernels (sigmax/wasm's setFastFloat64): within the documented bounds of the
// exact reference on edge rows, tails around the vector width, long rows, subnormal results and
// overflowing shifts; the special-value policy of the reference; exact shifts give the same bits;
// same bits for any thread count; switched off, the reference's bits again.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  crossEntropyBackward, crossEntropyWithGrad, getBackend, logSoftmax, logSumExp, setBackend, setThreads, sigmoid, softmax, tensor, type BackendName,
} from '../../src/index.js';
import { getFastFloat64, setFastFloat64 } from '../../src/wasm/index.js';
import { threadsSupported } from '../../src/backend/wasm/pool.js';
import { wasmPoolInfo, wasmSimdSupported } from '../../src/backend/wasm/index.js';

/** ulp of a float64 value (the subnormal spacing at and below 2^-1022). */
function ulp(v: number): number {
  const a = Math.abs(v);
  if (a < 2 ** -1022) return 2 ** -1074;
  return 2 ** (Math.floor(Math.log2(a)) - 52);
}

/** Distance in ulps of `got` from the reference's correctly rounded `ref`, NaN/∞ only equal to themselves. */
function ulps(got: number, ref: number): number {
  if (!Number.isFinite(ref) || !Number.isFinite(got)) return Object.is(got, ref) || (got !== got && ref !== ref) ? 0 : Infinity;
  return Math.abs(got - ref) / ulp(ref);
}

/** Runs `f` on the reference ('js') and on the fast float64 kernels; returns both. */
function both<T>(f: () => T): [T, T] {
  setBackend('js');
  const ref = f();
  setBackend('wasm');
  setFastFloat64(true);
  try {
    return [ref, f()];
  } finally {
    setFastFloat64(false);
  }
}

/** The worst distance (in ulps, plus 0.5 for the reference's own rounding) of fast from reference. */
function worst(ref: ArrayLike<number>, fast: ArrayLike<number>): number {
  assert.equal(fast.length, ref.length);
  let w = 0;
  for (let i = 0; i < ref.length; i++) w = Math.max(w, ulps(fast[i], ref[i]));
  return w;
}

// bounds against the correctly rounded reference: the documented bound plus its 0.5 ulp rounding
const SOFTMAX = 4.5;
const ELEMENTWISE = 2.5;
const GRADIENT = 8.5;

const rowOf = (n: number, seed: number, spread = 30) => Float64Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * spread);

describe('fast float64 kernels (setFastFloat64)', { skip: wasmSimdSupported() ? false : 'no WebAssembly SIMD here' }, () => {
  let prev: BackendName;
  before(() => {
    prev = getBackend() as BackendName;
  });
  after(() => {
    setFastFloat64(false);
    setThreads(1);
    setBackend(prev);
  });

  it('is off by default, and float64 then gives the reference bits', () => {
    assert.equal(getFastFloat64(), false);
    setBackend('wasm');
    assert.deepEqual([...softmax([1, 2, 3])], [0.09003057317038046, 0.24472847105479764, 0.6652409557748219]);
    assert.throws(() => setFastFloat64('yes' as unknown as boolean), /on must be a boolean/);
  });

  it('stays within the bounds on rows of every length around the vector width and long rows', () => {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 1000, 32001, 151936]) {
      const x = tensor(rowOf(n * 3, n), [3, n]);
      const [r, f] = both(() => [softmax(x).data, logSoftmax(x).data, logSumExp(x).data]);
      assert.ok(worst(r[0], f[0]) <= SOFTMAX, `softmax n=${n}: ${worst(r[0], f[0])}`);
      assert.ok(worst(r[1], f[1]) <= SOFTMAX, `logSoftmax n=${n}: ${worst(r[1], f[1])}`);
      assert.ok(worst(r[2], f[2]) <= SOFTMAX, `logSumExp n=${n}: ${worst(r[2], f[2])}`);
    }
  });

  it('keeps subnormal probabilities, rows at ±1e308, tiny and huge values, and ties', () => {
    const rows = [
      [0, -740], [0, -745.1], [0, -708, -720, -1e4], [1e308, -1e308], [-1e308, 1e308, 1e308], [5e-324, -5e-324, 0],
      [3e38, -3e38, 1], [88, 89, -88, -89], [7, 7, 7, 7, 7], [1e-300, 2e-300], [-1e300, -1e300 * (1 + 2 ** -52)],
      [0, -18.420680743952367], [2 ** 60, 2 ** 60 - 2 ** 8, 2 ** 60 - 2 ** 20],
    ];
    for (const row of rows) {
      const [r, f] = both(() => [softmax(row), logSoftmax(row), logSumExp(row)]);
      for (let k = 0; k < 3; k++) {
        // logSoftmax near 0 promises 4 ulp or 4·eps·|logSumExp|
        const slack = k === 1 ? 4 * 2 ** -52 * Math.abs(r[2][0]) : 0;
        for (let i = 0; i < r[k].length; i++) {
          const ok = ulps(f[k][i], r[k][i]) <= SOFTMAX || Math.abs(f[k][i] - r[k][i]) <= slack;
          assert.ok(ok, `${['softmax', 'logSoftmax', 'logSumExp'][k]} of [${row}] at ${i}: ${f[k][i]} vs ${r[k][i]}`);
        }
      }
    }
    const [r, f] = both(() => softmax([0, -740]));
    assert.ok(f[1] > 0 && f[1] < 2 ** -1022 && f[1] === r[1], 'a subnormal probability is rounded once, like the reference');
  });

  it('follows the reference on NaN, ±∞ and all-masked rows', () => {
    const x = tensor(Float64Array.from([1, NaN, 2, 1, Infinity, 2, -Infinity, -Infinity, -Infinity, 0, -Infinity, 1]), [4, 3]);
    for (const zero of [false, true]) {
      const opts = zero ? { allMasked: 'zero' as const } : {};
      const [r, f] = both(() => [softmax(x, opts).data, logSoftmax(x, opts).data, logSumExp(x).data]);
      for (let k = 0; k < 3; k++) {
        // the non-finite results are the reference's exactly; the finite ones within the bound
        for (let i = 0; i < r[k].length; i++) assert.ok(ulps(f[k][i], r[k][i]) <= SOFTMAX, `op ${k}, allMasked zero ${zero}, at ${i}: ${f[k][i]} vs ${r[k][i]}`);
      }
    }
  });

  it('gives the same bits for rows shifted by an exactly representable constant', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -60 * 1024, max: 60 * 1024 }), { minLength: 1, maxLength: 40 }), fc.integer({ min: -1000, max: 1000 }), (ks, c) => {
        const a = ks.map((k) => k / 1024);
        const b = a.map((v) => v + c);
        const [, f] = both(() => [softmax(a), softmax(b), logSoftmax(a), logSoftmax(b)]);
        return f[0].every((v, i) => v === f[1][i]) && f[2].every((v, i) => v === f[3][i]);
      }),
    );
  });

  it('keeps rows summing to 1 and within the bounds on arbitrary rows (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, min: -700, max: 700 }), { minLength: 1, maxLength: 70 }), (row) => {
        const [r, f] = both(() => [softmax(row), logSoftmax(row)]);
        let s = 0;
        for (const v of f[0]) s += v;
        return Math.abs(s - 1) <= (row.length + 4) * 2 ** -52 && worst(r[0], f[0]) <= SOFTMAX;
      }),
    );
  });

  it('computes sigmoid within 2 ulp, in both tails and at the special values', () => {
    const xs = [0, -0, 1e-300, -1e-300, 5e-324, 0.5, -0.5, 1, -1, 20, -20, 36.7, -36.7, 40, -40, 88, -88, 700, -700, 708.5, -708.5, 745, -745, 745.2, -745.2, 800, -800, 1e4, -1e4, 3e38, -3e38, Infinity, -Infinity, NaN];
    for (let i = 0; i < 20000; i++) xs.push(Math.sin(i * 7.13) * 800, Math.sin(i * 3.7) * 5);
    const [r, f] = both(() => sigmoid(xs));
    for (let i = 0; i < xs.length; i++) assert.ok(ulps(f[i], r[i]) <= ELEMENTWISE, `sigmoid(${xs[i]}) = ${f[i]} vs ${r[i]}`);
    assert.ok(Object.is(f[0], 0.5) && Object.is(f[1], 0.5) && f[xs.indexOf(-Infinity)] === 0 && f[xs.indexOf(Infinity)] === 1 && Number.isNaN(f[xs.length - 40001]));
  });

  it('fuses cross-entropy with class indices, weights and ignored rows within the bounds', () => {
    const n = 37;
    const rows = 9;
    const x = tensor(rowOf(rows * n, 3, 15), [rows, n]);
    x.data[2 * n + 5] = 80; // p_t rounds to 1: the gradient at the target stays exact
    x.data[4 * n + 1] = -Infinity; // a target with probability 0: an infinite loss
    const t = Int32Array.from([0, 1, 5, 8, 1, -100, 36, 2, 2]);
    const weight = Float64Array.from({ length: n }, (_, i) => 1 + (i % 4) / 2);
    for (const opts of [{ reduction: 'none' as const }, { weight, reduction: 'sum' as const }, { weight }]) {
      // one call shape for the three reductions: the loss is a number, or a tensor for 'none'
      const call = crossEntropyWithGrad as (z: typeof x, y: Int32Array, o: object) => { loss: number | { data: Float64Array }; grad: { data: Float64Array } };
      const [r, f] = both(() => call(x, t, opts));
      const lr = typeof r.loss === 'number' ? [r.loss] : [...r.loss.data];
      const lf = typeof f.loss === 'number' ? [f.loss] : [...f.loss.data];
      for (let i = 0; i < lr.length; i++) assert.ok(ulps(lf[i], lr[i]) <= SOFTMAX, `loss ${i}: ${lf[i]} vs ${lr[i]}`);
      for (let i = 0; i < r.grad.data.length; i++) {
        assert.ok(ulps(f.grad.data[i], r.grad.data[i]) <= GRADIENT, `grad ${i}: ${f.grad.data[i]} vs ${r.grad.data[i]}`);
      }
    }
    const [r, f] = both(() => crossEntropyWithGrad(x, t, { reduction: 'none' }));
    assert.equal((f.loss as { data: Float64Array }).data[4], Infinity);
    assert.equal(f.grad.data[2 * n + 5], r.grad.data[2 * n + 5]);
  });

  it('keeps logSumExp exact where max + log S cancels (log-probabilities sum to about 1)', () => {
    for (const row of [[-Math.LN2, -Math.LN2], [...logSoftmax([0.3, -1.2, 2.5, 0.7, 1.1])], [-1e-10, -30]]) {
      const [r, f] = both(() => logSumExp(row));
      assert.ok(ulps(f[0], r[0]) <= SOFTMAX, `logSumExp([${row}]) = ${f[0]} vs ${r[0]}`);
    }
  });

  it('sums the terms below the max as a double-double even when all are tiny next to it', () => {
    // 1 + S' with every term of S' below 2^-53: a naive sum of S' was 18 ulp off here
    for (const n of [4000, 32000]) {
      const row = Float64Array.from({ length: n }, (_, i) => (i === 0 ? 0 : -37 - (i % 97) / 97));
      const x = tensor(row, [1, n]);
      const [r, f] = both(() => [logSoftmax(x).data, logSumExp(x).data, crossEntropyWithGrad(x, [0], { reduction: 'sum' })] as const);
      assert.ok(ulps(f[0][0], r[0][0]) <= SOFTMAX, `logSoftmax at the max, n=${n}: ${f[0][0]} vs ${r[0][0]}`);
      assert.ok(ulps(f[1][0], r[1][0]) <= SOFTMAX, `logSumExp, n=${n}`);
      assert.ok(ulps(f[2].loss as number, r[2].loss as number) <= SOFTMAX, `loss, n=${n}: ${f[2].loss} vs ${r[2].loss}`);
      assert.ok(ulps(f[2].grad.data[0], r[2].grad.data[0]) <= GRADIENT, `gradient at the target, n=${n}: ${f[2].grad.data[0]} vs ${r[2].grad.data[0]}`);
    }
  });

  it('gives exactly 0 gradient at −∞ logits, even under a huge gradOutput', () => {
    const x = tensor(Float64Array.from([1, -Infinity, 2]), [1, 3]);
    const [r, f] = both(() => crossEntropyBackward(x, [0], { reduction: 'sum', gradOutput: 2 ** 900 }));
    assert.equal(f.data[1], 0);
    assert.equal(r.data[1], 0);
  });

  it('gives the same bits with 1 and 2 threads', { skip: threadsSupported() ? false : 'worker_threads unavailable' }, () => {
    const x = tensor(rowOf(512 * 257, 9), [512, 257]);
    const t = Int32Array.from({ length: 512 }, (_, i) => (i * 31) % 257);
    const run = () => {
      const g = crossEntropyWithGrad(x, t);
      return [softmax(x).data, logSoftmax(x).data, logSumExp(x).data, sigmoid(x.data), g.grad.data, Float64Array.of(g.loss as number)];
    };
    setBackend('wasm');
    setFastFloat64(true);
    try {
      setThreads(1);
      const one = run();
      setThreads(2);
      const cell = new Int32Array(new SharedArrayBuffer(4));
      for (let w = 0; wasmPoolInfo()?.ready !== 1 && w < 2000; w++) Atomics.wait(cell, 0, 0, 10);
      const two = run();
      assert.ok(wasmPoolInfo()!.runs[0] > 0, 'the worker ran parts');
      for (let k = 0; k < one.length; k++) assert.deepEqual(two[k], one[k], `output ${k}`);
    } finally {
      setFastFloat64(false);
      setThreads(1);
    }
  });
});
