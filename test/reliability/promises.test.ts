// The README's promises, each as a test named after it. Overlapping
// outputs are covered by test/ops/aliasing.test.ts and one-line CLI errors by test/cli/cli.test.ts
// and test/cli/limits.test.ts; the two below had no test that states them.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import * as sx from '../../src/index.js';
import { eachBackend } from '../helpers/backends.js';

eachBackend('README promises', () => {
  it('no finite input overflows: softmax, logSoftmax, logSumExp, sigmoid and crossEntropy of ±3e38 (float32) and ±1e308 (float64) are finite', () => {
    for (const [C, big] of [[Float32Array, 3e38], [Float64Array, 1e308]] as const) {
      const x = C.from([big, -big, big, 0]);
      for (const y of [sx.softmax(x), sx.logSoftmax(C.from([big, big, 0])), sx.logSumExp(x), sx.sigmoid(x)]) {
        assert.ok(Array.from(y).every((v) => !Number.isNaN(v) && v !== Infinity), `${C.name}: ${[...y]}`);
      }
      assert.ok(Number.isFinite(sx.logSumExp(C.from([big, big]))[0]));
      const { loss, grad } = sx.crossEntropyWithGrad(sx.tensor(C.from([big, -big, 0, big]), [2, 2]), [0, 1]);
      assert.ok(Number.isFinite(loss) && Array.from(grad.data).every(Number.isFinite), `${C.name}: loss ${loss}`);
    }
  });

  it('never a hang: empty tensors with countless rows and every kind of bad argument return or throw at once', { timeout: 10_000 }, () => {
    const empty = { data: new Float64Array(0), shape: [2 ** 53, 0] };
    assert.deepEqual(sx.softmax(empty).shape, [2 ** 53, 0]);
    assert.deepEqual(sx.sigmoid(empty).shape, [2 ** 53, 0]);
    assert.throws(() => sx.logSumExp(empty), sx.SigmaxError);
    assert.throws(() => sx.softmax({ data: new Float64Array(1), shape: Array.from({ length: 1e6 }, () => 1) }), sx.SigmaxError);
    assert.throws(() => sx.crossEntropy(new Float32Array(4), new Int32Array(1e6)), sx.SigmaxError);
  });
});
