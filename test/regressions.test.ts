// Regressions found in review, each on every backend: huge row maxima, huge dy against tiny
// slopes, one-hot probability targets at p ≈ 1, ignoreIndex beyond int32, deep-tail gradients.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import {
  crossEntropy, crossEntropyBackward, logSoftmax, logSoftmaxBackward, logSumExp, sigmoidBackward, softmax, softmaxJvp, softplus, tensor,
} from '../src/index.js';
import { eachBackend } from './helpers/backends.js';

eachBackend('regressions', () => {
  it('handles float32 rows whose max is near 2^28 or 2^31 (x − max clamped before exp)', () => {
    for (const m of [3e8, -3e8, 3e9, 1e8]) {
      const x = new Float32Array([m, 0, 0, 0]);
      const p = softmax(x);
      assert.ok(p.every((v) => v >= 0 && v <= 1), `softmax of [${m}, 0, 0, 0]: ${[...p]}`);
      assert.ok(logSoftmax(x).every((v) => !Number.isNaN(v)));
      assert.equal(logSumExp(x)[0], m > 0 ? Math.fround(m) : Math.fround(1.0986122886681098)); // log 3 when the zeros dominate
    }
    assert.deepEqual([...softmax(new Float32Array([3e8, 0, 0, 0]))], [1, 0, 0, 0]);
  });

  it('keeps sigmoidBackward right when a huge dy meets a tiny slope', () => {
    assert.equal(sigmoidBackward(new Float32Array([3e38]), new Float32Array([160]))[0], Math.fround(9.772465820342158e-32));
    assert.equal(sigmoidBackward(new Float32Array([1e30]), new Float32Array([-Infinity]))[0], 0);
    assert.ok(Number.isNaN(sigmoidBackward(new Float32Array([Infinity]), new Float32Array([Infinity]))[0]));
  });

  it('gives one-hot probability targets the class-index gradient where p rounds to 1', () => {
    const z = new Float32Array([0, -40, -40, -40]);
    const a = crossEntropyBackward(z, 0, { reduction: 'sum' });
    const b = crossEntropyBackward(z, new Float32Array([1, 0, 0, 0]), { reduction: 'sum' });
    assert.deepEqual([...b], [...a]);
    assert.ok(a[0] < 0);
  });

  it('does not wrap an ignoreIndex beyond int32', () => {
    const x = new Float32Array([1, 2, 3, 4]);
    // (the js fallback and the wasm kernel may differ in the last float32 bit of a float64 mean)
    const same = (a: number, b: number) => Math.abs(a - b) <= 2 ** -22 * Math.abs(b);
    assert.ok(same(crossEntropy(x, 0, { ignoreIndex: 2 ** 32 }), crossEntropy(x, 0)));
    assert.ok(same(crossEntropy(x, 3, { ignoreIndex: 2 ** 32 + 3 }), crossEntropy(x, 3)));
  });

  it('keeps deep-tail gradients exact when Σ dy or a tangent magnifies them', () => {
    const z = Float64Array.from([0, -720.5, -730.25]);
    const g = logSoftmaxBackward(Float64Array.from([1e12, 0, 0]), logSoftmax(z));
    assert.equal(g[1], -1.2326102892827409e-301);
    assert.equal(g[2], -7.1854602324946306e-306);
    const big = new Float64Array(100000);
    big[1] = -699.5;
    const v = new Float64Array(100000);
    v[1] = 1e12;
    assert.equal(softmaxJvp(big, v)[1], 1.6256021000129858e-297);
  });

  it('returns x from softplus when β·x overflows (threshold ∞)', () => {
    assert.equal(softplus([1e308], { beta: 10, threshold: Infinity })[0], 1e308);
    assert.equal(softplus([-1.5e308], { beta: 10, threshold: Infinity })[0], 0);
    assert.equal(softplus(new Float32Array([3e38]), { beta: 1e300, threshold: Infinity })[0], Math.fround(3e38));
  });

  it('keeps logSoftmax of ±1.7e308 with T = 1e308 finite', () => {
    const p = softmax(tensor(Float64Array.from([1.7e308, -1.7e308]), [1, 2]), { temperature: 1e308 }).data;
    assert.ok(Math.abs(p[0] - 1 / (1 + Math.exp(-3.4))) < 1e-15);
  });
});
