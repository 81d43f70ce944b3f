// No finite input overflows: float64 cross-entropy with probability
// targets whose w_c·y_c or Y = Σ w_c·y_c exceed the double range, while the loss and gradient do
// not, gives the correctly rounded values (expected values from mpmath at 300 bits).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as sx from '../../src/index.js';

describe('cross-entropy with probability targets near the top of the double range', () => {
  for (const backend of ['js', 'wasm'] as const) {
    it(`gives the finite loss 2.15·1e308·ln 2 where w·y overflows (${backend})`, () => {
      sx.setBackend(backend);
      const z = new Float64Array([0, 0]);
      // mpmath: mpf(2.15) * mpf(1e308) * log(2)
      assert.equal(sx.crossEntropy(z, new Float64Array([2.15, 0]), { weight: new Float64Array([1e308, 1]) }), 1.4902664382038823e308);
      assert.equal(sx.crossEntropy(z, new Float64Array([1e308, 0]), { weight: new Float64Array([2.15, 1]) }), 1.4902664382038823e308);
    });

    it(`gives a finite gradient where Y = Σ y_c overflows (${backend})`, () => {
      sx.setBackend(backend);
      const r = sx.crossEntropyWithGrad(new Float64Array([0, 0]), new Float64Array([1e308, 1.15e308]));
      // mpmath: (mpf(1e308) + mpf(1.15e308)) * log(2), and 0.5·(1e308 + 1.15e308) − 1e308
      assert.equal(r.loss, 1.4902664382038825e308);
      assert.deepEqual([...r.grad], [7.500000000000002e306, -7.500000000000002e306]);
    });
  }
});

describe('a cross-entropy mean whose sums overflow although the mean is finite', () => {
  for (const backend of ['js', 'wasm'] as const) {
    it(`gives the mean and the gradients where Σ w_t passes the double range (${backend})`, () => {
      sx.setBackend(backend);
      const w = new Float64Array([1e308, 1e308]);
      const r = sx.crossEntropyWithGrad({ data: new Float64Array(4), shape: [2, 2] }, [0, 1], { weight: w });
      assert.equal(r.loss, Math.LN2);
      assert.deepEqual(Array.from(r.grad.data), [-0.25, 0.25, 0.25, -0.25]);
      assert.equal(sx.nllLoss({ data: new Float64Array([-1, -2, -3, -4]), shape: [2, 2] }, [0, 1], { weight: w }), 2.5);
    });

    it(`gives the same gradients when they are written over the logits and Σ w_t overflows (${backend})`, () => {
      sx.setBackend(backend);
      const x = new Float64Array(4);
      sx.crossEntropyWithGrad({ data: x, shape: [2, 2] }, [0, 1], { weight: new Float64Array([1e308, 1e308]), out: x });
      assert.deepEqual(Array.from(x), [-0.25, 0.25, 0.25, -0.25]);
    });

    it(`gives the mean where Σ loss passes the double range (${backend})`, () => {
      sx.setBackend(backend);
      // two rows each of loss 1e308 + 5e307 (the target 1.5e308 below the max): their sum is +∞, their mean is not
      const r = sx.crossEntropyWithGrad({ data: new Float64Array([1e308, -5e307, 1e308, -5e307]), shape: [2, 2] }, [1, 1]);
      assert.equal(r.loss, 1.5e308);
      assert.deepEqual(Array.from(r.grad.data), [0.5, -0.5, 0.5, -0.5]);
      assert.equal(sx.crossEntropy({ data: new Float64Array([1e308, -5e307, 1e308, -5e307]), shape: [2, 2] }, [1, 1], { reduction: 'sum' }), Infinity);
    });
  }
  it('restores the default backend', () => sx.setBackend('auto'));
});
