import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  sigmoid, logSigmoid, softplus, sigmoidBackward, logSigmoidBackward, softplusBackward, tensor,
} from '../../src/index.js';
import { EPS32, EPS64, WASM_F32_BOUND, eachBackend, expectKernel } from '../helpers/backends.js';

const f64 = (xs: number[]) => Float64Array.from(xs);

eachBackend('activations', () => {
  it('returns the same container kind it was given', () => {
    assert.ok(sigmoid([0, 1]) instanceof Float64Array);
    assert.ok(sigmoid(new Float32Array([0, 1])) instanceof Float32Array);
    const t = sigmoid(tensor(new Float32Array(6), [2, 3]));
    assert.deepEqual(t.shape, [2, 3]);
    assert.ok(t.data instanceof Float32Array);
  });

  it('keeps both tails of sigmoid exact: σ(-100) ≈ 3.7e-44 and σ(-103) is a float32 subnormal', () => {
    assert.equal(sigmoid([-100])[0], 3.720075976020836e-44);
    assert.equal(sigmoid(new Float32Array([-103]))[0], 1.401298464324817e-45);
    assert.equal(sigmoid([-745])[0], 5e-324);
    assert.equal(sigmoid([-746])[0], 0);
    assert.equal(sigmoid([40])[0], 1); // 1 − 4e-18 rounds to 1
  });

  it('maps ±∞ to 1 and 0, ±0 to 0.5, and NaN to NaN', () => {
    assert.deepEqual([...sigmoid([Infinity, -Infinity, 0, -0, NaN])], [1, 0, 0.5, 0.5, NaN]);
  });

  it('keeps logSigmoid finite for every finite x', () => {
    const y = logSigmoid([-1e4, -3e38, 1e-8, 800, -Infinity, Infinity]);
    assert.equal(y[0], -1e4);
    assert.equal(y[1], -3e38);
    assert.equal(y[2], -0.6931471755599453);
    assert.equal(y[3], -0); // log σ(800) = -e^-800 underflows to -0
    assert.equal(y[4], -Infinity);
    assert.equal(y[5], -0);
  });

  it('uses PyTorch’s linear cut-off in softplus above the threshold', () => {
    const y = softplus([20, 20.0001, 5, 10], { beta: 2, threshold: 20 });
    assert.equal(y[0], 20);
    assert.equal(y[1], 20.0001);
    assert.equal(y[3], 10.000000001030577); // log1p(e^20)/2: β·x = 20 is not above the cut-off
    assert.equal(softplus([20])[0], 20.000000002061153);
    assert.equal(softplus([20.5])[0], 20.5);
    assert.equal(softplus([-Infinity])[0], 0);
    assert.equal(softplus([Infinity])[0], Infinity);
  });

  it('forms sigmoidBackward from x, so it stays exact where σ(x) rounds to 1', () => {
    const g = sigmoidBackward(new Float32Array([1, 1]), new Float32Array([20, -20]));
    assert.equal(g[0], Math.fround(2.0611536181902037e-9));
    assert.equal(g[0], g[1]);
    assert.deepEqual([...sigmoidBackward([2, 3], [Infinity, NaN])], [0, NaN]);
  });

  it('gives logSigmoidBackward dy·σ(−x) and softplusBackward dy above the threshold', () => {
    assert.equal(logSigmoidBackward([2], [0])[0], 1);
    assert.equal(logSigmoidBackward([1], [-800])[0], 1);
    assert.equal(softplusBackward([3], [25])[0], 3);
    assert.equal(softplusBackward([1], [0], { beta: 3 })[0], 0.5);
  });

  it('writes into out and returns it, without touching the input', () => {
    const x = f64([-1, 0, 1]);
    const out = new Float64Array(3);
    const r = sigmoid(x, { out });
    assert.equal(r, out);
    assert.deepEqual([...x], [-1, 0, 1]);
    assert.equal(out[1], 0.5);
    const y = f64([-1, 0, 1]);
    sigmoid(y, { out: y });
    assert.deepEqual([...y], [...out]);
  });

  it('takes number[] results to the dtype of out', () => {
    const out = new Float32Array(2);
    assert.equal(sigmoid([-103, 0], { out }), out);
    assert.equal(out[0], 1.401298464324817e-45);
  });

  it('handles empty inputs', () => {
    assert.equal(sigmoid([]).length, 0);
    assert.deepEqual(softplus(tensor(new Float32Array(0), [0, 3])).shape, [0, 3]);
  });

  it('satisfies σ(z) = 1 − σ(−z) to within an ulp of 1', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, min: -800, max: 800 }), (z) => {
        const [a, b] = sigmoid([z, -z]);
        return Math.abs(a + b - 1) <= EPS64;
      }),
      { numRuns: 2000 },
    );
  });

  it('satisfies σ(z) = 1 − σ(−z) in float32 within the float32 bound, on the wasm kernels under the wasm backend', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true, min: -100, max: 100 }), { minLength: 1, maxLength: 40 }), (zs) => {
        const x = Float32Array.from([...zs, ...zs.map((z) => -z)]);
        const s = expectKernel(() => sigmoid(x), 'wasm:sigmoidF32');
        const n = zs.length;
        // σ(z), σ(−z) ≤ 1 each within WASM_F32_BOUND ulp ≤ WASM_F32_BOUND·EPS32/2, so the sum within WASM_F32_BOUND·EPS32 of 1
        for (let i = 0; i < n; i++) if (!(Math.abs(s[i] + s[n + i] - 1) <= WASM_F32_BOUND * EPS32)) return false;
        return true;
      }),
      { numRuns: 500 },
    );
  });

  it('runs every float32 activation and its backward on its wasm kernel under the wasm backend', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true, min: -30, max: 30 }), { minLength: 1, maxLength: 40 }), (zs) => {
        const x = Float32Array.from(zs);
        const dy = Float32Array.from(zs, (z) => Math.cos(z));
        const l = expectKernel(() => logSigmoid(x), 'wasm:logSigmoidF32');
        const sp = expectKernel(() => softplus(x), 'wasm:softplusF32');
        const g = expectKernel(() => sigmoidBackward(dy, x), 'wasm:sigmoidBackwardF32');
        expectKernel(() => logSigmoidBackward(dy, x), 'wasm:logSigmoidBackwardF32');
        expectKernel(() => softplusBackward(dy, x), 'wasm:softplusBackwardF32');
        // log σ(x) = −softplus(−x) ≤ 0, softplus ≥ 0, and |σ′| ≤ |dy|/4
        return l.every((v) => v <= 0) && sp.every((v) => v >= 0) && g.every((v, i) => Math.abs(v) <= Math.abs(dy[i]) / 4 + EPS32);
      }),
      { numRuns: 200 },
    );
  });

  it('satisfies σ′ = σ(1 − σ) through sigmoidBackward', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, min: -30, max: 30 }), (z) => {
        const d = sigmoidBackward([1], [z])[0];
        const [s, t] = sigmoid([z, -z]);
        return Math.abs(d - s * t) <= 4 * EPS64 * d;
      }),
      { numRuns: 1000 },
    );
  });

  it('satisfies logSigmoid(x) − logSigmoid(−x) = x', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, min: -700, max: 700 }), (z) => {
        const [a, b] = logSigmoid([z, -z]);
        return Math.abs(a - b - z) <= 4 * EPS64 * Math.max(Math.abs(a), Math.abs(b));
      }),
      { numRuns: 1000 },
    );
  });

  it('has backwards that agree with central differences', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, min: -15, max: 15 }), fc.double({ min: 0.25, max: 4, noNaN: true }), (z, beta) => {
        const h = 1e-5;
        const num = (f: (v: number[]) => Float64Array) => (f([z + h])[0] - f([z - h])[0]) / (2 * h);
        const close = (a: number, b: number) => Math.abs(a - b) <= 1e-8 + 1e-6 * Math.abs(b);
        return (
          close(sigmoidBackward([1], [z])[0], num((v) => sigmoid(v))) &&
          close(logSigmoidBackward([1], [z])[0], num((v) => logSigmoid(v))) &&
          close(softplusBackward([1], [z], { beta })[0], num((v) => softplus(v, { beta })))
        );
      }),
      { numRuns: 300 },
    );
  });
});

eachBackend('activation gradients below 1e-304', () => {
  it('stay exact when dy magnifies a subnormal slope', () => {
    assert.equal(sigmoidBackward([1000], [-740])[0], 4.18874e-319);
    assert.equal(sigmoidBackward([1000], [740])[0], 4.18874e-319);
    assert.equal(logSigmoidBackward([1000], [740])[0], 4.18874e-319);
    assert.equal(softplusBackward([1000], [-740])[0], 4.18874e-319);
    assert.equal(softplus([-2960], { beta: 0.25 })[0], 1.6755e-321);
  });
});
