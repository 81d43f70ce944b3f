import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  binaryCrossEntropy, binaryCrossEntropyBackward, binaryCrossEntropyWithGrad,
  binaryCrossEntropyWithLogits, binaryCrossEntropyWithLogitsBackward, binaryCrossEntropyWithLogitsWithGrad,
  sigmoid, gradcheck, tensor,
} from '../../src/index.js';
import { EPS64, eachBackend, expectKernel } from '../helpers/backends.js';

eachBackend('binary cross-entropy', () => {
  it('gives float32 logits the loss and gradient of the same values in float64, on the wasm kernel under the wasm backend', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.float({ noNaN: true, min: -40, max: 40 }), fc.float({ noNaN: true, min: 0, max: 1 })), { minLength: 1, maxLength: 40 }), (items) => {
        const x = Float32Array.from(items, ([v]) => v);
        const y = Float32Array.from(items, ([, t]) => t);
        const r32 = expectKernel(() => binaryCrossEntropyWithLogitsWithGrad(x, y, { reduction: 'sum' }), 'wasm:bceWithLogitsF32');
        const r64 = binaryCrossEntropyWithLogitsWithGrad(Float64Array.from(x), Float64Array.from(y), { reduction: 'sum' });
        // per-item losses in float64 summed exactly: the float32 path differs from float64 only by float32 rounding of the terms
        return Math.abs(r32.loss - r64.loss) <= 1e-6 * Math.max(1, Math.abs(r64.loss)) && r32.grad.every((g, i) => Math.abs(g - r64.grad[i]) <= 1e-6);
      }),
      { numRuns: 200 },
    );
  });

  it('clamps each log at −100 as PyTorch, so p = 0 or 1 gives a finite loss', () => {
    const l = binaryCrossEntropy([0, 1, 0, 1], [1, 0, 0, 1], { reduction: 'none' });
    assert.deepEqual([...l], [100, 100, 0, 0]);
  });

  it('uses log1p(−p), exact for p near 0', () => {
    const l = binaryCrossEntropy([1e-20], [0], { reduction: 'none' });
    assert.equal(l[0], 1e-20);
  });

  it('has the exact derivative w((1 − y)/(1 − p) − y/p) with 0·∞ = 0', () => {
    const g = binaryCrossEntropyBackward([0, 1, 0.5, 0.25], [0, 1, 0.3, 1], { reduction: 'sum' });
    assert.deepEqual([...g], [1, -1, 0.8, -4]);
    assert.equal(binaryCrossEntropyBackward([0], [1], { reduction: 'sum' })[0], -Infinity);
  });

  it('divides the mean by the number of elements and reports it as weightSum', () => {
    const r = binaryCrossEntropyWithGrad(tensor(Float64Array.from([0.2, 0.6, 0.5, 0.9]), [2, 2]), tensor(Float64Array.from([0, 1, 1, 1]), [2, 2]));
    assert.equal(r.weightSum, 4);
    const s = binaryCrossEntropy(tensor(Float64Array.from([0.2, 0.6, 0.5, 0.9]), [2, 2]), Float64Array.from([0, 1, 1, 1]), { reduction: 'sum' }) as number;
    assert.ok(Math.abs((r.loss as number) - s / 4) <= EPS64);
  });

  it('broadcasts weight by NumPy rules', () => {
    const p = tensor(Float64Array.from([0.2, 0.6, 0.5, 0.9]), [2, 2]);
    const y = Float64Array.from([0, 1, 1, 1]);
    const none = binaryCrossEntropy(p, y, { reduction: 'none' }) as { data: Float64Array };
    const w = binaryCrossEntropy(p, y, { reduction: 'none', weight: [2, 3] }) as { data: Float64Array };
    assert.deepEqual([...w.data], [2 * none.data[0], 3 * none.data[1], 2 * none.data[2], 3 * none.data[3]]);
    const wc = binaryCrossEntropy(p, y, { reduction: 'none', weight: tensor(Float64Array.from([2, 3]), [2, 1]) }) as { data: Float64Array };
    assert.deepEqual([...wc.data], [2 * none.data[0], 2 * none.data[1], 3 * none.data[2], 3 * none.data[3]]);
  });

  it('computes the logits form stably for every finite x', () => {
    const l = binaryCrossEntropyWithLogits([1e4, -1e4, 3e38, 0, 100], [1, 0, 0, 0.5, 1], { reduction: 'none' });
    assert.equal(l[0], 0);
    assert.equal(l[1], 0);
    assert.equal(l[2], 3e38);
    assert.equal(l[3], Math.LN2);
    assert.equal(l[4], 3.720075976020836e-44);
  });

  it('broadcasts posWeight over the last axis', () => {
    const x = tensor(Float64Array.from([0.5, -1, 2, 0]), [2, 2]);
    const y = Float64Array.from([1, 1, 0, 1]);
    const a = binaryCrossEntropyWithLogits(x, y, { reduction: 'none', posWeight: [3, 1] }) as { data: Float64Array };
    const b = binaryCrossEntropyWithLogits(x, y, { reduction: 'none' }) as { data: Float64Array };
    assert.ok(Math.abs(a.data[0] - 3 * b.data[0]) <= 4 * EPS64);
    assert.equal(a.data[1], b.data[1]);
    assert.equal(a.data[2], b.data[2]);
  });

  it('has the gradient σ(x) − y for plain targets, exact where σ rounds to 1', () => {
    const g = binaryCrossEntropyWithLogitsBackward(new Float32Array([20, 0]), new Float32Array([1, 0]), { reduction: 'sum' });
    assert.equal(g[0], Math.fround(-2.0611536181902037e-9));
    assert.equal(g[1], 0.5);
    fc.assert(
      fc.property(fc.double({ noNaN: true, min: -30, max: 30 }), fc.double({ min: 0, max: 1, noNaN: true }), (x, y) => {
        const g = binaryCrossEntropyWithLogitsBackward([x], [y], { reduction: 'sum' })[0];
        return Math.abs(g - (sigmoid([x])[0] - y)) <= 4 * EPS64;
      }),
    );
  });

  it('agrees between …Backward, …WithGrad and gradcheck', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, min: -8, max: 8 }), { minLength: 1, maxLength: 8 }),
        fc.integer(),
        fc.constantFrom<'mean' | 'sum'>('mean', 'sum'),
        (xs, seed, reduction) => {
          const n = xs.length;
          const y = xs.map((_, i) => Math.abs(Math.sin(seed + i)));
          const w = xs.map((_, i) => 0.5 + Math.abs(Math.cos(seed + 2 * i)));
          const opts = { reduction, weight: w, posWeight: [1.7] };
          const x = Float64Array.from(xs);
          const a = binaryCrossEntropyWithLogitsWithGrad(x, y, opts);
          const b = binaryCrossEntropyWithLogitsBackward(x, y, opts);
          if (!a.grad.every((v, i) => v === b[i]) || a.weightSum !== n) return false;
          const p = sigmoid(x);
          const pa = binaryCrossEntropyWithGrad(p, y, { reduction, weight: w });
          const pb = binaryCrossEntropyBackward(p, y, { reduction, weight: w });
          if (!pa.grad.every((v, i) => v === pb[i])) return false;
          return (
            gradcheck((v) => binaryCrossEntropyWithLogitsWithGrad(v, y, opts), x).ok &&
            gradcheck((v) => binaryCrossEntropyWithGrad(v, y, { reduction, weight: w }), sigmoid(Float64Array.from(xs.map((v) => v / 4)))).ok
          );
        },
      ),
      { numRuns: 80 },
    );
  });

  it('gives NaN for a mean over an empty input, or 0 with emptyMean: zero', () => {
    assert.ok(Number.isNaN(binaryCrossEntropy([], []) as number));
    assert.equal(binaryCrossEntropyWithLogits([], [], { emptyMean: 'zero' }), 0);
  });

  it('propagates NaN as data', () => {
    const r = binaryCrossEntropyWithLogitsWithGrad([NaN, 0], [1, 1], { reduction: 'none' });
    assert.ok(Number.isNaN((r.loss as Float64Array)[0]) && Number.isNaN(r.grad[0]));
    assert.ok(Number.isNaN(binaryCrossEntropy([NaN], [1]) as number));
  });
});

eachBackend('binary gradients below 1e-304', () => {
  it('stay exact when a weight magnifies a subnormal σ', () => {
    const g = binaryCrossEntropyWithLogitsBackward([-740, 740], [0, 1], { reduction: 'sum', weight: [1000] });
    assert.deepEqual([...g], [4.18874e-319, -4.18874e-319]);
  });
});
