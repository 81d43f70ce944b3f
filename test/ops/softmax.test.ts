import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  softmax, logSoftmax, logSumExp, softmaxBackward, logSoftmaxBackward, softmaxJvp, softmaxJacobian, tensor,
} from '../../src/index.js';
import { EPS32, EPS64, WASM_F32_BOUND, eachBackend, expectKernel, moveAxisLast } from '../helpers/backends.js';

const rowArb = (min = 1, max = 40) =>
  fc.array(fc.double({ noNaN: true, min: -50, max: 50 }), { minLength: min, maxLength: max });
/** Rows of dyadic values k/1024, so that adding an integer shift is exact. */
const dyadicRow = fc.array(fc.integer({ min: -50 * 1024, max: 50 * 1024 }), { minLength: 1, maxLength: 33 }).map((a) => a.map((k) => k / 1024));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

eachBackend('softmax family', () => {
  it('gives the known values of softmax([1, 2, 3])', () => {
    assert.deepEqual([...softmax([1, 2, 3])], [0.09003057317038046, 0.24472847105479764, 0.6652409557748219]);
  });

  it('never overflows: rows at ±88, ±89 and ±3e38 work in float32', () => {
    assert.deepEqual([...softmax(new Float32Array([3e38, -3e38]))], [1, 0]);
    assert.deepEqual([...softmax(new Float32Array([3e38, 3e38]))], [0.5, 0.5]);
    const p = softmax(new Float32Array([89, 88, -89, -88]));
    assert.ok(p.every(Number.isFinite));
    assert.equal(p[0], Math.fround(0.7310585786300049));
    assert.equal(logSumExp(new Float32Array([3e38, 3e38]))[0], Math.fround(3e38));
  });

  it('subtracts the max: rows drawn from [90, 100] stay finite', () => {
    const x = Float32Array.from({ length: 17 }, (_, i) => 90 + (i * 10) / 16);
    const p = softmax(x);
    let s = 0;
    for (const v of p) s += v;
    assert.ok(Math.abs(s - 1) < 17 * EPS32);
  });

  it('keeps log-softmax at the max when the true value is about −1e-8', () => {
    const y = logSoftmax([0, -18.420680743952367]);
    assert.equal(y[0], -9.999999949999983e-9);
    // float32 rounds the input to -18.42068099975586, whose exact result is -9.99999727...e-9
    const y32 = logSoftmax(new Float32Array([0, -18.420680743952367]));
    assert.equal(y32[0], Math.fround(-9.999997274690031e-9));
  });

  it('returns NaN for a row that contains NaN, and for a row that contains +∞', () => {
    const p = softmax(tensor(Float64Array.from([1, NaN, 2, 1, Infinity, 2, 1, 2, 3]), [3, 3]));
    assert.ok(p.data.slice(0, 6).every(Number.isNaN));
    assert.ok(p.data.slice(6).every(Number.isFinite));
    assert.ok(logSoftmax([1, Infinity]).every(Number.isNaN));
  });

  it('gives logSumExp +∞ for a row with +∞, −∞ for a row of all −∞, NaN for NaN (PyTorch)', () => {
    assert.deepEqual([...logSumExp(tensor(Float64Array.from([1, Infinity, -Infinity, -Infinity, NaN, 1]), [3, 2])).data], [Infinity, -Infinity, NaN]);
  });

  it('makes −∞ entries 0 and a row of all −∞ NaN, or 0 under allMasked: zero', () => {
    assert.deepEqual([...softmax([-Infinity, 0])], [0, 1]);
    assert.deepEqual([...logSoftmax([-Infinity, 0])], [-Infinity, 0]);
    assert.ok(softmax([-Infinity, -Infinity]).every(Number.isNaN));
    assert.ok(logSoftmax([-Infinity, -Infinity]).every(Number.isNaN));
    assert.deepEqual([...softmax([-Infinity, -Infinity], { allMasked: 'zero' })], [0, 0]);
    assert.deepEqual([...logSoftmax([-Infinity, -Infinity], { allMasked: 'zero' })], [-Infinity, -Infinity]);
    assert.deepEqual([...softmaxJvp([-Infinity, -Infinity], [1, 2], { allMasked: 'zero' })], [0, 0]);
    assert.deepEqual([...logSoftmaxBackward([1, 2], [-Infinity, -Infinity], { allMasked: 'zero' })], [0, 0]);
    assert.deepEqual([...softmaxBackward([1, 2], [0, 0])], [0, 0]);
    assert.deepEqual([...logSoftmaxBackward([1, 2], [-Infinity, 0])], [1, -1]);
  });

  it('gives 1 for a row of length 1 and handles empty tensors', () => {
    assert.deepEqual([...softmax([42])], [1]);
    assert.deepEqual([...logSoftmax([-1e300])], [0]);
    assert.deepEqual(softmax(tensor(new Float32Array(0), [0, 5])).shape, [0, 5]);
    const l = logSumExp(tensor(new Float64Array(0), [3, 0]));
    assert.deepEqual([...l.data], [-Infinity, -Infinity, -Infinity]);
  });

  it('applies the temperature as e^(z/T)', () => {
    const a = softmax([1, 2, 3], { temperature: 2 });
    const b = softmax([0.5, 1, 1.5]);
    assert.deepEqual([...a], [...b]);
  });

  it('reduces logSumExp along an axis, with keepDims', () => {
    const x = tensor(Float64Array.from([0, 0, 0, 0, 0, 0]), [2, 3]);
    const a = logSumExp(x, { axis: 0 });
    assert.deepEqual(a.shape, [3]);
    assert.equal(a.data[0], Math.LN2);
    assert.deepEqual(logSumExp(x, { keepDims: true }).shape, [2, 1]);
    assert.equal(logSumExp(x).data[0], 1.0986122886681098); // ln 3 correctly rounded (Math.log(3) is 1 ulp low)
  });

  it('handles row lengths around the SIMD width', () => {
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65]) {
      const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 10);
      const p = softmax(x);
      let s = 0;
      for (const v of p) s += v;
      assert.ok(Math.abs(s - 1) <= n * EPS32, `n = ${n}: sum ${s}`);
    }
  });

  it('rows of Float32Array sum to 1 within the float32 bound, on the wasm kernels under the wasm backend', () => {
    fc.assert(
      fc.property(rowArb(), fc.integer({ min: 1, max: 3 }), (row, rows) => {
        const x = tensor(Float32Array.from({ length: rows * row.length }, (_, i) => row[i % row.length]), [rows, row.length]);
        const p = expectKernel(() => softmax(x), 'wasm:softmaxF32').data;
        const l = expectKernel(() => logSoftmax(x), 'wasm:logSoftmaxF32').data;
        expectKernel(() => logSumExp(x), 'wasm:logSumExpF32');
        // each p_i within WASM_F32_BOUND ulp (≤ that many EPS32·p_i), so the sum within WASM_F32_BOUND·EPS32 plus the float64 sum's rounding
        for (let r = 0; r < rows; r++) {
          let s = 0;
          for (let i = 0; i < row.length; i++) s += p[r * row.length + i];
          if (!(Math.abs(s - 1) <= WASM_F32_BOUND * EPS32 + row.length * EPS64)) return false;
        }
        return l.every((v) => v <= 0);
      }),
    );
  });

  it('rows sum to 1 within n·eps', () => {
    fc.assert(
      fc.property(rowArb(), (row) => {
        const p = softmax(row);
        let s = 0;
        for (const v of p) s += v;
        return Math.abs(s - 1) <= row.length * EPS64;
      }),
    );
  });

  it('is invariant to adding a constant (bit for bit when the shift is exact)', () => {
    fc.assert(
      fc.property(dyadicRow, fc.integer({ min: -1000, max: 1000 }), (row, c) => {
        const a = softmax(row);
        const b = softmax(row.map((v) => v + c));
        const la = logSoftmax(row);
        const lb = logSoftmax(row.map((v) => v + c));
        return a.every((v, i) => v === b[i]) && la.every((v, i) => v === lb[i]);
      }),
    );
  });

  it('agrees with log(softmax) where both are well conditioned', () => {
    fc.assert(
      fc.property(rowArb(2, 20), (row) => {
        const p = softmax(row);
        const l = logSoftmax(row);
        return l.every((v, i) => p[i] < 1e-300 || p[i] > 0.9 || Math.abs(v - Math.log(p[i])) <= 4 * EPS64 * Math.max(1, Math.abs(v)));
      }),
    );
  });

  it('has a Jacobian equal to diag(p) − ppᵀ whose product with v is the JVP', () => {
    fc.assert(
      fc.property(rowArb(1, 12), fc.array(fc.double({ noNaN: true, min: -5, max: 5 }), { minLength: 12, maxLength: 12 }), (row, vv) => {
        const n = row.length;
        const v = vv.slice(0, n);
        const p = softmax(row);
        const J = softmaxJacobian(row);
        const jvp = softmaxJvp(row, v);
        for (let i = 0; i < n; i++) {
          let jv = 0;
          for (let j = 0; j < n; j++) {
            const want = (i === j ? p[i] : 0) - p[i] * p[j];
            if (Math.abs(J[i * n + j] - want) > 4 * EPS64) return false;
            jv += J[i * n + j] * v[j];
          }
          if (Math.abs(jv - jvp[i]) > 1e-14 * (1 + Math.abs(jvp[i])) * n) return false;
        }
        return true;
      }),
    );
  });

  it('pairs JVP and VJP: ⟨u, J v⟩ = ⟨Jᵀ u, v⟩', () => {
    fc.assert(
      fc.property(rowArb(1, 20), fc.integer(), (row, seed) => {
        const n = row.length;
        const u = row.map((_, i) => Math.sin(seed + i));
        const v = row.map((_, i) => Math.cos(seed * 3 + i));
        const lhs = dot(u, softmaxJvp(row, v));
        const rhs = dot(softmaxBackward(u, softmax(row)), v);
        return Math.abs(lhs - rhs) <= 1e-14 * n;
      }),
    );
  });

  it('has backwards that match the Jacobian: logSoftmaxBackward = dy − p Σ dy', () => {
    const x = [0.3, -1.2, 2.5, 0];
    const p = softmax(x);
    const y = logSoftmax(x);
    const dy = [1, -2, 0.5, 3];
    const g = logSoftmaxBackward(dy, y);
    const s = dy.reduce((a, b) => a + b, 0);
    g.forEach((v, i) => assert.ok(Math.abs(v - (dy[i] - p[i] * s)) < 1e-15));
    const J = softmaxJacobian(x);
    const gs = softmaxBackward(dy, p);
    for (let j = 0; j < 4; j++) {
      let want = 0;
      for (let i = 0; i < 4; i++) want += dy[i] * J[i * 4 + j];
      assert.ok(Math.abs(gs[j] - want) < 1e-15);
    }
  });

  it('along any axis equals moving that axis last', () => {
    const shape = [3, 4, 5];
    const data = Float64Array.from({ length: 60 }, (_, i) => Math.sin(i * 1.7) * 20);
    for (const axis of [0, 1, 2, -1, -2, -3]) {
      const ax = axis < 0 ? axis + 3 : axis;
      const moved = moveAxisLast(data, shape, ax);
      for (const op of [softmax, logSoftmax] as const) {
        const a = op(tensor(data, shape), { axis });
        const b = op(tensor(moved.data, moved.shape));
        assert.deepEqual([...moveAxisLast(a.data, shape, ax).data], [...b.data], `${op.name} axis ${axis}`);
      }
      const l1 = logSumExp(tensor(data, shape), { axis });
      const l2 = logSumExp(tensor(moved.data, moved.shape));
      assert.deepEqual([...l1.data], [...l2.data]);
      const j1 = softmaxJacobian(tensor(data, shape), { axis });
      const j2 = softmaxJacobian(tensor(moved.data, moved.shape));
      assert.deepEqual(j1.shape, j2.shape);
      assert.deepEqual([...j1.data], [...j2.data]);
      const v = Float64Array.from({ length: 60 }, (_, i) => Math.cos(i));
      const vm = moveAxisLast(v, shape, ax).data;
      const g1 = softmaxBackward(tensor(v, shape), softmax(tensor(data, shape), { axis }), { axis });
      const g2 = softmaxBackward(tensor(vm, moved.shape), softmax(tensor(moved.data, moved.shape)));
      assert.deepEqual([...moveAxisLast(g1.data, shape, ax).data], [...g2.data]);
    }
  });

  it('handles a row of a million nearly equal values', () => {
    const n = 1_000_000;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = 1 + i * 2 ** -20;
    const p = softmax(x);
    let s = 0;
    for (let i = 0; i < n; i++) s += p[i];
    assert.ok(Math.abs(s - 1) < 1e-4);
    const l = logSumExp(x)[0];
    // closed form: log Σ e^(1 + i h) = 1 + log((e^(nh) − 1)/(e^h − 1))
    const h = 2 ** -20;
    const want = 1 + Math.log(Math.expm1(n * h) / Math.expm1(h));
    assert.ok(Math.abs(l - Math.fround(want)) <= Math.abs(want) * EPS32);
  });

  it('never mutates its inputs, and works in place when out is the input', () => {
    const x = Float64Array.from([1, 2, 3]);
    softmax(x);
    logSoftmax(x);
    assert.deepEqual([...x], [1, 2, 3]);
    const want = softmax(x);
    softmax(x, { out: x });
    assert.deepEqual([...x], [...want]);
  });
});
