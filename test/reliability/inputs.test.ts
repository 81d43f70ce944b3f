// Hostile and degenerate arguments to the public ops: Proxies and
// typed arrays with lying own properties are read through the intrinsic getters or rejected with
// a SigmaxError naming the argument, and zero-size tensors return at once with the right shape.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as sx from '../../src/index.js';

const BACKENDS = ['js', 'wasm'] as const;
const isSigmaxError = (code: string, pattern: RegExp) => (e: unknown) => e instanceof sx.SigmaxError && e.code === code && pattern.test(e.message);

describe('crafted typed arrays', () => {
  for (const backend of BACKENDS) {
    it(`a Proxy of a Float32Array is rejected with a SigmaxError naming the argument (${backend})`, () => {
      sx.setBackend(backend);
      const p = new Proxy(new Float32Array([1, 2, 3]), {});
      assert.throws(() => sx.softmax(p), isSigmaxError('DTYPE_MISMATCH', /softmax: x is a Proxy/));
      assert.throws(() => sx.sigmoid(new Float32Array(3), { out: p }), isSigmaxError('DTYPE_MISMATCH', /sigmoid: out is a Proxy/));
      assert.throws(() => sx.softmax({ data: p, shape: [3] }), isSigmaxError('DTYPE_MISMATCH', /x\.data is a Proxy/));
      assert.throws(() => sx.crossEntropy(new Float32Array(3), new Proxy(new Int32Array([1]), {}) as unknown as number[]), isSigmaxError('DTYPE_MISMATCH', /crossEntropy: target is a Proxy/));
    });

    it(`an own length that lies does not change what the kernels compute or write (${backend})`, () => {
      sx.setBackend(backend);
      const x = new Float32Array([1, 2, 3, 4]);
      Object.defineProperty(x, 'length', { value: 1e6 });
      assert.deepEqual([...sx.softmax(x)], [...sx.softmax(new Float32Array([1, 2, 3, 4]))]);
      const buf = new Float32Array(8).fill(7);
      const out = buf.subarray(0, 4);
      Object.defineProperty(out, 'length', { value: 8 });
      const r = sx.sigmoid(new Float32Array([0, 0, 0, 0]), { out });
      assert.equal(r, out, 'the caller gets its own out array back');
      assert.deepEqual([...buf], [0.5, 0.5, 0.5, 0.5, 7, 7, 7, 7]);
      const t = new Int32Array([2, 0]);
      Object.defineProperty(t, 'length', { value: 1 });
      const logits = sx.tensor(new Float64Array([0, 1, 2, 3, 4, 5]), [2, 3]);
      assert.equal(sx.crossEntropy(logits, t), sx.crossEntropy(logits, new Int32Array([2, 0])));
    });

    it(`a target Proxy that changes after validation does not reach the kernels (${backend})`, () => {
      sx.setBackend(backend);
      let reads = 0;
      const target = new Proxy([0, 1], { get: (t, k) => (k === '0' ? (reads++ === 0 ? 0 : 1e6) : Reflect.get(t, k)) });
      const logits = sx.tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
      const expected = sx.crossEntropy(logits, [0, 1]);
      assert.equal(sx.crossEntropy(logits, target), expected);
      assert.equal(reads, 1, 'each target element is read once');
    });
  }

  it('a shape that is a Proxy is read once, so it cannot change after validation', () => {
    let reads = 0;
    const shape = new Proxy([2, 2], { get: (t, k) => (k === '0' ? (reads++ === 0 ? 2 : 1e9) : Reflect.get(t, k)) });
    const y = sx.softmax({ data: new Float64Array([0, 0, 1, 1]), shape });
    assert.deepEqual(y.shape, [2, 2]);
    assert.deepEqual([...y.data], [0.5, 0.5, 0.5, 0.5]);
  });

  it('a number[] input is read once per element', () => {
    let reads = 0;
    const x = new Proxy([0, 0], { get: (t, k) => (k === '0' ? (reads++ === 0 ? 0 : 'junk') : Reflect.get(t, k)) });
    assert.deepEqual([...sx.softmax(x)], [0.5, 0.5]);
  });
});

describe('zero-size tensors', () => {
  const f64 = (shape: number[]) => ({ data: new Float64Array(0), shape });
  const huge = [[2 ** 53, 0], [0, 2 ** 40], [1e8, 0, 5], [1e200, 1e200, 0]];
  for (const backend of BACKENDS) {
    for (const shape of huge) {
      it(`every softmax-family op and activation returns an empty result of shape [${shape}] at once (${backend})`, { timeout: 10_000 }, () => {
        sx.setBackend(backend);
        const x = f64(shape);
        for (const op of [sx.softmax, sx.logSoftmax, sx.sigmoid, sx.logSigmoid, sx.softplus]) assert.deepEqual((op as (x: unknown) => sx.Tensor)(x).shape, shape);
        for (const op of [sx.softmaxBackward, sx.logSoftmaxBackward, sx.softmaxJvp, sx.sigmoidBackward, sx.logSigmoidBackward, sx.softplusBackward]) {
          assert.deepEqual((op as (a: unknown, b: unknown) => sx.Tensor)(x, f64(shape)).shape, shape);
        }
        const jac = sx.softmaxJacobian(x);
        assert.equal(jac.data.length, 0);
        assert.deepEqual(jac.shape, [...shape.slice(0, -1), shape[shape.length - 1], shape[shape.length - 1]]);
      });

      it(`the losses and their gradients of an empty [${shape}] input return at once (${backend})`, { timeout: 10_000 }, () => {
        sx.setBackend(backend);
        const x = f64(shape);
        assert.equal(sx.binaryCrossEntropyWithLogits(x, f64(shape)), NaN);
        assert.equal(sx.binaryCrossEntropy(x, f64(shape), { reduction: 'sum' }), 0);
        assert.deepEqual(sx.binaryCrossEntropyWithLogitsWithGrad(x, f64(shape)).grad.shape, shape);
        assert.deepEqual(sx.binaryCrossEntropyBackward(x, f64(shape)).shape, shape);
        const ce = sx.crossEntropyWithGrad(x, f64(shape), { reduction: 'sum' });
        assert.equal(ce.loss, 0);
        assert.deepEqual(ce.grad.shape, shape);
        assert.deepEqual(sx.crossEntropyBackward(x, f64(shape)).shape, shape);
      });
    }

    it(`logSumExp of empty rows is −∞ per row, and an empty result returns at once (${backend})`, { timeout: 10_000 }, () => {
      sx.setBackend(backend);
      assert.deepEqual(sx.logSumExp(f64([0, 2 ** 40])).shape, [0]);
      assert.deepEqual([...sx.logSumExp(f64([3, 0])).data], [-Infinity, -Infinity, -Infinity]);
      assert.throws(() => sx.logSumExp(f64([2 ** 53, 0])), isSigmaxError('SHAPE_MISMATCH', /logSumExp: the result of shape \[9007199254740992\]/));
    });

    it(`crossEntropy and nllLoss with zero classes and every target ignored give 0 per item (${backend})`, { timeout: 10_000 }, () => {
      sx.setBackend(backend);
      const x = f64([1e6, 0]);
      const target = new Int32Array(1e6).fill(-100);
      assert.equal(sx.crossEntropy(x, target, { reduction: 'sum' }), 0);
      assert.equal(sx.nllLoss(x, target), NaN);
      assert.deepEqual(sx.nllLossWithGrad(x, target, { reduction: 'none' }).loss.shape, [1e6]);
    });
  }
});
