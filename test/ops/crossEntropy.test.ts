import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  crossEntropy, crossEntropyBackward, crossEntropyWithGrad, nllLoss, nllLossBackward, nllLossWithGrad,
  logSoftmax, softmax, gradcheck, tensor,
} from '../../src/index.js';
import { EPS64, eachBackend, expectKernel, moveAxisLast } from '../helpers/backends.js';

const close = (a: number, b: number, tol = 1e-13) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

/** A random [n, c] logits tensor and index targets with some ignored (-100). */
const batchArb = fc
  .record({ n: fc.integer({ min: 1, max: 6 }), c: fc.integer({ min: 1, max: 9 }), seed: fc.integer() })
  .map(({ n, c, seed }) => {
    const z = Float64Array.from({ length: n * c }, (_, i) => Math.sin(seed + i * 1.3) * 8);
    const t = Int32Array.from({ length: n }, (_, i) => (Math.abs(seed + i * 7) % (c + 1) === c ? -100 : Math.abs(seed + i * 7) % c));
    const w = Float64Array.from({ length: c }, (_, i) => 0.5 + Math.abs(Math.cos(seed + i)));
    return { n, c, z, t, w };
  });

eachBackend('crossEntropy and nllLoss', () => {
  it('gives float32 logits the loss and gradient of the same values in float64, on the wasm kernel under the wasm backend', () => {
    fc.assert(
      fc.property(batchArb, ({ n, c, z, t }) => {
        const z32 = Float32Array.from(z);
        const r32 = expectKernel(() => crossEntropyWithGrad(tensor(z32, [n, c]), t), 'wasm:crossEntropyF32');
        const r64 = crossEntropyWithGrad(tensor(Float64Array.from(z32), [n, c]), t);
        // float32 results: the loss a sum of per-row float64 losses, the gradient within a few float32 ulps of its float64 value
        if (Number.isNaN(r64.loss)) return Number.isNaN(r32.loss);
        return Math.abs(r32.loss - r64.loss) <= 1e-6 * Math.max(1, Math.abs(r64.loss)) && r32.grad.data.every((g, i) => Math.abs(g - r64.grad.data[i]) <= 1e-6);
      }),
      { numRuns: 200 },
    );
  });

  it('computes −log softmax at the target, averaged over the batch', () => {
    const z = tensor(Float64Array.from([1, 2, 3, 1, 2, 3]), [2, 3]);
    const l = crossEntropy(z, [0, 2]) as number;
    const ls = logSoftmax([1, 2, 3]);
    assert.ok(close(l, -(ls[0] + ls[2]) / 2, 4 * EPS64));
  });

  it('gives ≈ 69.08 when the target probability is 1e-30, never ∞', () => {
    const l = crossEntropy([0, -69.07755278982137], 1) as number;
    assert.equal(l, 69.07755278982137);
    const l32 = crossEntropy(new Float32Array([0, -69.07755278982137]), 1) as number;
    assert.ok(Math.abs(l32 - 69.0775527898) < 1e-5);
  });

  it('computes the gradient at the target p_t − 1 as −Σ_{j≠t} p_j', () => {
    const g = crossEntropyBackward([40, 0, 0], 0, { reduction: 'sum' });
    assert.equal(g[0], -2 * Math.exp(-40) / (1 + 2 * Math.exp(-40)));
    assert.equal(g[1], Math.exp(-40) / (1 + 2 * Math.exp(-40)));
  });

  it('matches the tutorial: −log p_t equals −Σ y_c log p_c for one-hot y, and the gradient is p − y', () => {
    fc.assert(
      fc.property(batchArb, ({ n, c, z, t }) => {
        const tt = t.map((v) => (v < 0 ? 0 : v));
        const y = new Float64Array(n * c);
        tt.forEach((v, i) => (y[i * c + v] = 1));
        const zt = tensor(z, [n, c]);
        const a = crossEntropyWithGrad(zt, tt, { reduction: 'sum' });
        const b = crossEntropyWithGrad(zt, tensor(y, [n, c]), { reduction: 'sum' });
        const p = softmax(zt).data;
        return (
          a.loss === b.loss &&
          a.grad.data.every((v, i) => v === b.grad.data[i]) &&
          a.grad.data.every((v, i) => Math.abs(v - (p[i] - y[i])) <= 2 * EPS64)
        );
      }),
    );
  });

  it('uses PyTorch’s weighted mean Σ w_t l / Σ w_t over non-ignored targets', () => {
    const z = tensor(Float64Array.from([1, 2, 3, 3, 2, 1, 0, 0, 5]), [3, 3]);
    const w = [1, 2, 4];
    const r = crossEntropyWithGrad(z, [2, 1, -100], { weight: w });
    const none = crossEntropy(z, [2, 1, -100], { weight: w, reduction: 'none' }) as { data: Float64Array };
    assert.equal(none.data[2], 0);
    assert.ok(close(r.loss as number, (none.data[0] + none.data[1]) / 6));
    assert.equal(r.weightSum, 6);
    assert.deepEqual([...r.grad.data.slice(6)], [0, 0, 0]);
  });

  it('gives NaN for a mean over no targets, or 0 with emptyMean: zero', () => {
    const z = tensor(Float64Array.from([1, 2]), [1, 2]);
    assert.ok(Number.isNaN(crossEntropy(z, [-100]) as number));
    assert.equal(crossEntropy(z, [-100], { emptyMean: 'zero' }), 0);
    assert.equal(crossEntropy(z, [-100], { reduction: 'sum' }), 0);
    const g = crossEntropyBackward(z, [-100]);
    assert.deepEqual([...g.data], [0, 0]);
    assert.ok(Number.isNaN(crossEntropy(tensor(new Float64Array(0), [0, 4]), new Int32Array(0)) as number));
  });

  it('gives NaN losses for rows with NaN or ±∞ logits', () => {
    const z = tensor(Float64Array.from([NaN, 1, Infinity, 1, 0, 1]), [3, 2]);
    const l = crossEntropy(z, [0, 1, 1], { reduction: 'none' }) as { data: Float64Array };
    assert.ok(Number.isNaN(l.data[0]) && Number.isNaN(l.data[1]) && Number.isFinite(l.data[2]));
  });

  it('accepts a target in every documented form', () => {
    const z = tensor(Float64Array.from([1, 2, 3, 0, 0, 1]), [2, 3]);
    const want = crossEntropy(z, [2, 0]);
    for (const t of [new Int32Array([2, 0]), new Uint8Array([2, 0]), new Int16Array([2, 0]), { data: new Uint32Array([2, 0]), shape: [2] }]) {
      assert.equal(crossEntropy(z, t), want);
    }
    assert.equal(crossEntropy([1, 2, 3], 2), crossEntropy(tensor(Float64Array.from([1, 2, 3]), [1, 3]), [2]));
  });

  it('reads the class axis from axis (PyTorch’s (N, C, d1) layout with axis: 1)', () => {
    const shape = [2, 3, 4];
    const z = Float64Array.from({ length: 24 }, (_, i) => Math.sin(i) * 3);
    const t = Int32Array.from([0, 1, 2, 1, 2, 2, 0, -100]);
    const a = crossEntropyWithGrad(tensor(z, shape), t, { axis: 1, reduction: 'sum', labelSmoothing: 0.2 });
    const m = moveAxisLast(z, shape, 1);
    const b = crossEntropyWithGrad(tensor(m.data, m.shape), t, { reduction: 'sum', labelSmoothing: 0.2 });
    assert.equal(a.loss, b.loss);
    assert.deepEqual([...moveAxisLast(a.grad.data, shape, 1).data], [...b.grad.data]);
    const none = crossEntropy(tensor(z, shape), t, { axis: 1, reduction: 'none' });
    assert.deepEqual(none.shape, [2, 4]);
  });

  it('applies label smoothing as PyTorch: (1 − ε)·nll + ε/C·Σ_c w_c(−log p_c)', () => {
    const z = [0.5, -1, 2];
    const lp = logSoftmax(z);
    const w = [1, 2, 3];
    const eps = 0.1;
    const want = (1 - eps) * w[1] * -lp[1] + (eps / 3) * -(w[0] * lp[0] + w[1] * lp[1] + w[2] * lp[2]);
    assert.ok(close(crossEntropy(z, 1, { labelSmoothing: eps, weight: w, reduction: 'sum' }) as number, want));
    assert.ok(close(crossEntropy(z, 1, { labelSmoothing: eps, weight: w }) as number, want / 2));
  });

  it('takes probability targets that need not sum to 1: gradient p·Σy − y', () => {
    const z = [0.1, 0.2, 0.3];
    const y = Float64Array.from([0.2, 0.3, 0.1]);
    const p = softmax(z);
    const g = crossEntropyBackward(Float64Array.from(z), y, { reduction: 'sum' });
    g.forEach((v, i) => assert.ok(Math.abs(v - (p[i] * 0.6 - y[i])) < 1e-16));
    const r = crossEntropyWithGrad(tensor(Float64Array.from([...z, ...z]), [2, 3]), tensor(Float64Array.from([...y, ...y]), [2, 3]));
    assert.equal(r.weightSum, 2);
  });

  it('agrees between …Backward, …WithGrad and gradcheck for every option', () => {
    fc.assert(
      fc.property(batchArb, fc.constantFrom<'mean' | 'sum'>('mean', 'sum'), fc.constantFrom(0, 0.1, 1), fc.boolean(), ({ n, c, z, t, w }, reduction, eps, useW) => {
        const opts = { reduction, labelSmoothing: eps, weight: useW ? w : undefined, gradOutput: 1.5 };
        const zt = tensor(z, [n, c]);
        const a = crossEntropyWithGrad(zt, t, opts);
        const b = crossEntropyBackward(zt, t, opts);
        if (!a.grad.data.every((v, i) => v === b.data[i])) return false;
        const { gradOutput: _g, ...fopts } = opts;
        if (a.loss !== crossEntropy(zt, t, fopts) && !(Number.isNaN(a.loss) && Number.isNaN(crossEntropy(zt, t, fopts)))) return false;
        if (Number.isNaN(a.loss as number)) return true;
        const chk = gradcheck((x) => {
          const r = crossEntropyWithGrad(x, t, opts);
          return { value: 1.5 * (r.loss as number), grad: r.grad };
        }, zt);
        return chk.ok;
      }),
      { numRuns: 60 },
    );
  });

  it('passes gradcheck with probability targets and reduction none', () => {
    const z = tensor(Float64Array.from([1, -2, 0.5, 3, 0, 0]), [2, 3]);
    const y = tensor(Float64Array.from([0.2, 0.5, 0.3, 0, 1, 0]), [2, 3]);
    const go = Float64Array.from([0.7, -1.3]);
    const chk = gradcheck((x) => {
      const r = crossEntropyWithGrad(x, y, { reduction: 'none', gradOutput: go, labelSmoothing: 0.05 });
      const l = (r.loss as { data: Float64Array }).data;
      return { value: l[0] * go[0] + l[1] * go[1], grad: r.grad };
    }, z);
    assert.ok(chk.ok, JSON.stringify(chk));
  });

  it('computes nllLoss as −w_t·logProbs[t] with its gradient', () => {
    const lp = logSoftmax(tensor(Float64Array.from([1, 2, 3, 4, 0, 1]), [2, 3]));
    const w = [1, 3, 2];
    const r = nllLossWithGrad(lp, [1, 0], { weight: w, reduction: 'sum' });
    assert.ok(close(r.loss as number, -(3 * lp.data[1] + 1 * lp.data[3])));
    assert.deepEqual([...r.grad.data], [0, -3, 0, -1, 0, 0]);
    assert.deepEqual([...nllLossBackward(lp, [1, 0], { weight: w }).data], [0, -0.75, 0, -0.25, 0, 0]);
    assert.equal(r.weightSum, 4);
    const z = tensor(Float64Array.from([1, 2, 3, 4, 0, 1]), [2, 3]);
    assert.ok(close(crossEntropy(z, [1, 0]) as number, nllLoss(logSoftmax(z), [1, 0]) as number, 4 * EPS64));
  });

  it('gives per-item losses and a gradient scaled by gradOutput for reduction none', () => {
    const z = tensor(new Float32Array([1, 2, 3, 3, 2, 1]), [2, 3]);
    const r = crossEntropyWithGrad(z, [2, 2], { reduction: 'none', gradOutput: [2, 0] });
    const l = r.loss as { data: Float32Array; shape: readonly number[] };
    assert.ok(l.data instanceof Float32Array);
    assert.deepEqual(l.shape, [2]);
    assert.ok(r.grad.data.slice(3).every((v) => v === 0)); // gradOutput 0 (either sign of zero)
    const g1 = crossEntropyBackward(z, [2, 2], { reduction: 'sum' });
    r.grad.data.slice(0, 3).forEach((v, i) => assert.equal(v, Math.fround(2 * g1.data[i])));
  });

  it('writes into out and lossOut without allocating new results', () => {
    const z = Float64Array.from([1, 2, 3, 0, 1, 0]);
    const zt = tensor(z, [2, 3]);
    const out = new Float64Array(6);
    const lossOut = new Float64Array(2);
    const r = crossEntropyWithGrad(zt, [0, 1], { reduction: 'none', out, lossOut });
    assert.equal((r.grad as { data: Float64Array }).data, out);
    assert.equal((r.loss as { data: Float64Array }).data, lossOut);
    assert.deepEqual([...z], [1, 2, 3, 0, 1, 0]);
  });
});

eachBackend('gradients below 1e-304', () => {
  it('stay exact when a weight or gradOutput magnifies a subnormal probability', () => {
    const z = tensor(Float64Array.from([0, -740]), [1, 2]);
    assert.equal(crossEntropyBackward(z, [0], { reduction: 'sum', weight: [1000, 1] }).data[1], 4.18874e-319);
    assert.equal(crossEntropyBackward(z, [0], { reduction: 'sum', gradOutput: 1000 }).data[1], 4.18874e-319);
    const y = tensor(Float64Array.from([0.5, 0]), [1, 2]);
    assert.equal(crossEntropyBackward(z, y, { reduction: 'sum', weight: [1000, 1] }).data[1], 2.0944e-319);
  });
});
