// sigmax/tfjs against the real TensorFlow.js (tfjs-core, -backend-cpu, -layers 4.22.0 from
// test/interop/node_modules): values and gradients equal tfjs's own losses within float32, the
// gradients reach variables through tf.customGrad, and a layers model trains along the same loss
// curve with sigmax's loss as with tfjs's. Tolerances are stated where they are used.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { createLosses } from '../../src/tfjs/index.js';
import { SigmaxError, crossEntropyWithGrad, tensor } from '../../src/index.js';
import { eachBackend } from '../helpers/backends.js';
import { uniform } from '../../src/core/rng.js';

const EPS32 = 2 ** -23;

/** The shared seeded generator, so every run sees the same data. */
const rng = uniform;

function normals(n: number, std: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = std * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return out;
}

function classIds(n: number, classes: number, seed: number): Int32Array {
  const r = rng(seed);
  return Int32Array.from({ length: n }, () => Math.floor(r() * classes));
}

/**
 * Float32 agreement of two tensors: every |a − b| ≤ k·ε32·max(1, max|b|). tfjs composes each loss
 * from float32 ops (log-sum-exp, subtract, exp, multiply, sum), each rounding once; sigmax rounds
 * once at the end. The difference is a few roundings of the largest magnitude involved, so a
 * normwise bound of k = 16 ulps of max(1, max|b|) holds with room, while any real error (a wrong
 * scale, a missing term) is orders of magnitude larger.
 */
function assertClose(a: tf.Tensor, b: tf.Tensor, k = 16): void {
  assert.deepEqual(a.shape, b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let scale = 1;
  for (const v of y) scale = Math.max(scale, Math.abs(v));
  const tol = k * EPS32 * scale;
  for (let i = 0; i < y.length; i++) {
    assert.ok(Math.abs(x[i] - y[i]) <= tol, `element ${i}: ${x[i]} vs tfjs ${y[i]} (tolerance ${tol})`);
  }
}

const L = createLosses(tf);
const N = 24;
const C = 7;

before(async () => {
  // Production mode silences tfjs's one-time "install tfjs-node" banner; numerics are the same.
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

eachBackend('sigmax/tfjs softmaxCrossEntropy', () => {
  const z = () => tf.tensor2d(normals(N * C, 3, 1), [N, C]);
  const oneHot = () => tf.oneHot(tf.tensor1d(classIds(N, C, 2), 'int32'), C);
  const soft = () => tf.softmax(tf.tensor2d(normals(N * C, 1, 3), [N, C]));

  it('gives the value and gradient of tf.losses.softmaxCrossEntropy for one-hot labels, with and without label smoothing', () => {
    tf.tidy(() => {
      const logits = z();
      const y = oneHot();
      assertClose(L.softmaxCrossEntropy(y, logits), tf.losses.softmaxCrossEntropy(y, logits));
      const ours = tf.grad((x: tf.Tensor) => L.softmaxCrossEntropy(y, x))(logits);
      const theirs = tf.grad((x: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, x))(logits);
      assertClose(ours, theirs);
      const smoothed = tf.grad((x: tf.Tensor) => L.softmaxCrossEntropy(y, x, { labelSmoothing: 0.2 }))(logits);
      assertClose(smoothed, tf.grad((x: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, x, undefined, 0.2))(logits));
      assertClose(L.softmaxCrossEntropy(y, logits, { labelSmoothing: 0.2 }), tf.losses.softmaxCrossEntropy(y, logits, undefined, 0.2));
    });
  });

  it('gives the value and gradient of tf.losses.softmaxCrossEntropy for probability labels and label smoothing', () => {
    tf.tidy(() => {
      const logits = z();
      const y = soft();
      assertClose(L.softmaxCrossEntropy(y, logits), tf.losses.softmaxCrossEntropy(y, logits));
      const opts = { labelSmoothing: 0.1 };
      assertClose(L.softmaxCrossEntropy(y, logits, opts), tf.losses.softmaxCrossEntropy(y, logits, undefined, 0.1));
      const ours = tf.grad((x: tf.Tensor) => L.softmaxCrossEntropy(y, x, opts))(logits);
      const theirs = tf.grad((x: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, x, undefined, 0.1))(logits);
      assertClose(ours, theirs);
    });
  });

  it("matches tfjs's Reduction.SUM and Reduction.NONE with 'sum' and 'none'", () => {
    tf.tidy(() => {
      const logits = z();
      const y = oneHot();
      const R = tf.Reduction;
      assertClose(L.softmaxCrossEntropy(y, logits, { reduction: 'sum' }), tf.losses.softmaxCrossEntropy(y, logits, undefined, 0, R.SUM));
      const none = L.softmaxCrossEntropy(y, logits, { reduction: 'none' });
      assert.deepEqual(none.shape, [N]);
      assertClose(none, tf.losses.softmaxCrossEntropy(y, logits, undefined, 0, R.NONE));
      const ours = tf.grad((x: tf.Tensor) => L.softmaxCrossEntropy(y, x, { reduction: 'sum' }))(logits);
      const theirs = tf.grad((x: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, x, undefined, 0, R.SUM))(logits);
      assertClose(ours, theirs);
    });
  });

  it('scales the gradient by the incoming dy, a scalar for a mean and one per row for reduction none', () => {
    tf.tidy(() => {
      const logits = z();
      const y = oneHot();
      const w = tf.tensor1d(normals(N, 1, 4));
      const ours = tf.grad((x: tf.Tensor) => tf.mul(L.softmaxCrossEntropy(y, x), 3))(logits);
      const theirs = tf.grad((x: tf.Tensor) => tf.mul(tf.losses.softmaxCrossEntropy(y, x), 3))(logits);
      assertClose(ours, theirs);
      const oursNone = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(L.softmaxCrossEntropy(y, x, { reduction: 'none' }), w)))(logits);
      const theirsNone = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.losses.softmaxCrossEntropy(y, x, undefined, 0, tf.Reduction.NONE), w)))(logits);
      assertClose(oursNone, theirsNone);
    });
  });

  it("returns exactly sigmax's crossEntropyWithGrad: the same float32 loss and gradient bits", () => {
    tf.tidy(() => {
      const logits = z();
      const ids = classIds(N, C, 2);
      const ref = crossEntropyWithGrad(tensor(logits.dataSync() as Float32Array, [N, C]), ids);
      const loss = L.sparseSoftmaxCrossEntropy(tf.tensor1d(ids, 'int32'), logits);
      assert.equal(loss.dataSync()[0], Math.fround(ref.loss));
      const g = tf.grad((x: tf.Tensor) => L.sparseSoftmaxCrossEntropy(tf.tensor1d(ids, 'int32'), x))(logits);
      assert.deepEqual(g.dataSync(), ref.grad.data);
    });
  });

  it('reaches variables through a matmul: tf.variableGrads gives the gradients of tfjs’s own loss', () => {
    const x = tf.tensor2d(normals(N * 5, 1, 5), [N, 5]);
    const W = tf.variable(tf.tensor2d(normals(5 * C, 0.5, 6), [5, C]), true, 'tfjsBridgeW');
    const b = tf.variable(tf.zeros([C]), true, 'tfjsBridgeB');
    const y = oneHot();
    const ours = tf.variableGrads(() => L.softmaxCrossEntropy(y, tf.add(tf.matMul(x, W), b)) as tf.Scalar);
    const theirs = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(x, W), b)) as tf.Scalar);
    assertClose(ours.value, theirs.value);
    assertClose(ours.grads.tfjsBridgeW, theirs.grads.tfjsBridgeW);
    assertClose(ours.grads.tfjsBridgeB, theirs.grads.tfjsBridgeB);
    tf.dispose([x, W, b, y, ours.value, theirs.value, ...Object.values(ours.grads), ...Object.values(theirs.grads)]);
  });

  it('leaves no tensor behind inside tf.tidy, forward and backward', () => {
    const logits = z();
    const y = oneHot();
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.grad((x: tf.Tensor) => L.softmaxCrossEntropy(y, x))(logits);
      L.softmaxCrossEntropy(y, logits, { reduction: 'none' });
    });
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([logits, y]);
  });
});

eachBackend('sigmax/tfjs sparseSoftmaxCrossEntropy', () => {
  it('equals the one-hot loss for int32 ids of shape [N] and float32 ids of shape [N, 1]', () => {
    tf.tidy(() => {
      const logits = tf.tensor2d(normals(N * C, 2, 7), [N, C]);
      const ids = classIds(N, C, 8);
      const dense = L.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(ids, 'int32'), C), logits);
      const a = L.sparseSoftmaxCrossEntropy(tf.tensor1d(ids, 'int32'), logits);
      const b = L.sparseSoftmaxCrossEntropy(tf.tensor2d(Float32Array.from(ids), [N, 1]), logits);
      assert.equal(a.dataSync()[0], dense.dataSync()[0]);
      assert.equal(b.dataSync()[0], dense.dataSync()[0]);
    });
  });

  it('throws INVALID_TARGET naming the position of an out-of-range or fractional id', () => {
    tf.tidy(() => {
      const logits = tf.zeros([3, 4]);
      for (const bad of [[0, 4, 1], [0, 1.5, 1]]) {
        assert.throws(
          () => L.sparseSoftmaxCrossEntropy(tf.tensor1d(bad), logits),
          (e: unknown) => e instanceof SigmaxError && e.code === 'INVALID_TARGET' && /target\[1\]/.test(e.message),
        );
      }
    });
  });
});

eachBackend('sigmax/tfjs sigmoidCrossEntropy', () => {
  it('gives the value and gradient of tf.losses.sigmoidCrossEntropy, with and without label smoothing and for each reduction', () => {
    tf.tidy(() => {
      const logits = tf.tensor2d(normals(N * C, 4, 9), [N, C]);
      const r = rng(10);
      const y = tf.tensor2d(Float32Array.from({ length: N * C }, () => (r() < 0.5 ? 0 : 1)), [N, C]);
      const R = tf.Reduction;
      const cases: [{ reduction?: 'mean' | 'sum' | 'none'; labelSmoothing?: number }, tf.Reduction, number][] = [
        [{}, R.SUM_BY_NONZERO_WEIGHTS, 0],
        [{ labelSmoothing: 0.2 }, R.SUM_BY_NONZERO_WEIGHTS, 0.2],
        [{ reduction: 'sum' }, R.SUM, 0],
        [{ reduction: 'none' }, R.NONE, 0],
      ];
      for (const [opts, reduction, ls] of cases) {
        assertClose(L.sigmoidCrossEntropy(y, logits, opts), tf.losses.sigmoidCrossEntropy(y, logits, undefined, ls, reduction));
        const ours = tf.grad((x: tf.Tensor) => tf.sum(L.sigmoidCrossEntropy(y, x, opts)))(logits);
        const theirs = tf.grad((x: tf.Tensor) => tf.sum(tf.losses.sigmoidCrossEntropy(y, x, undefined, ls, reduction)))(logits);
        assertClose(ours, theirs);
      }
    });
  });
});

describe('sigmax/tfjs argument checks', () => {
  it('refuses labels of another shape, non-float32 logits and unknown reductions with a SigmaxError', () => {
    tf.tidy(() => {
      const logits = tf.zeros([2, 3]);
      const code = (c: string) => (e: unknown) => e instanceof SigmaxError && e.code === c;
      assert.throws(() => L.softmaxCrossEntropy(tf.zeros([2, 4]), logits), code('SHAPE_MISMATCH'));
      assert.throws(() => L.sparseSoftmaxCrossEntropy(tf.zeros([3]), logits), code('SHAPE_MISMATCH'));
      assert.throws(() => L.sparseSoftmaxCrossEntropy(tf.zeros([3, 2]), tf.zeros([2, 3, 4])), code('SHAPE_MISMATCH'));
      assert.throws(() => L.sigmoidCrossEntropy(tf.zeros([3, 2]), logits), code('SHAPE_MISMATCH'));
      assert.throws(() => L.softmaxCrossEntropy(tf.zeros([2, 3], 'int32'), tf.zeros([2, 3], 'int32')), code('DTYPE_MISMATCH'));
      assert.throws(() => L.softmaxCrossEntropy(tf.zeros([2, 3]), logits, { reduction: 'avg' as 'mean' }), code('INVALID_OPTION'));
      assert.throws(() => L.sigmoidCrossEntropy(tf.zeros([2, 3]), logits, { labelSmoothing: 2 }), code('INVALID_OPTION'));
    });
  });

  it('never imports TensorFlow.js itself: the entry point takes the namespace as an argument', () => {
    const src = readFileSync(new URL('../../src/tfjs/index.ts', import.meta.url), 'utf8');
    const specifiers = [...src.matchAll(/^import\s[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
    assert.ok(specifiers.length > 0);
    assert.ok(specifiers.every((s) => s.startsWith('../')), `imports: ${specifiers.join(', ')}`);
  });
});

/**
 * An iris-like dataset: three Gaussian classes around iris's class means in 4 features, 150 rows
 * (50 per class, interleaved), from a fixed seed.
 */
function irisLike(): { x: tf.Tensor2D; ids: Int32Array } {
  const centers = [[5.0, 3.4, 1.5, 0.2], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]];
  const noise = normals(150 * 4, 0.4, 11);
  const xs = new Float32Array(150 * 4);
  const ids = new Int32Array(150);
  for (let i = 0; i < 150; i++) {
    ids[i] = i % 3;
    for (let d = 0; d < 4; d++) xs[i * 4 + d] = centers[i % 3][d] + noise[i * 4 + d];
  }
  return { x: tf.tensor2d(xs, [150, 4]), ids };
}

/** A 4-8-C classifier with seeded initial weights: the same start for every run. */
function classifier(units: number, activation: 'linear' | 'softmax' | 'sigmoid'): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ inputShape: [4], units: 8, activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }));
  m.add(tfl.layers.dense({ units, activation, kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }));
  return m;
}

/**
 * Loss curves agree to a relative 1e−5 (about 80 float32 ulps). Each step's gradient differs from
 * tfjs's by a few float32 roundings (sigmax rounds once, tfjs once per op); 300 SGD steps on this
 * well-conditioned problem carry that drift along without amplifying it (measured: ≤ 3.3e−7), and
 * 1e−5 leaves room for another platform's exp/log while a wrong gradient scale or sign moves the
 * curve by percents within the first epoch.
 */
function assertSameCurve(ours: number[], theirs: number[]): void {
  assert.equal(ours.length, theirs.length);
  assert.ok(theirs[theirs.length - 1] < theirs[0] * 0.7, `the reference run must actually learn: ${theirs[0]} → ${theirs[theirs.length - 1]}`);
  for (let i = 0; i < ours.length; i++) {
    assert.ok(Math.abs(ours[i] - theirs[i]) <= 1e-5 * Math.abs(theirs[i]), `epoch ${i}: sigmax ${ours[i]} vs tfjs ${theirs[i]}`);
  }
}

describe('sigmax/tfjs training a tfjs layers model', () => {
  const EPOCHS = 30;

  async function fit(model: tfl.Sequential, loss: string | ((y: tf.Tensor, z: tf.Tensor) => tf.Tensor), x: tf.Tensor, y: tf.Tensor): Promise<number[]> {
    model.compile({ optimizer: tf.train.sgd(0.05), loss });
    const h = await model.fit(x, y, { epochs: EPOCHS, batchSize: 16, shuffle: false, verbose: 0 });
    model.dispose();
    return h.history.loss as number[];
  }

  it('follows the loss curve of tfjs’s softmaxCrossEntropy and of layers’ categoricalCrossentropy on a softmax head', async () => {
    const { x, ids } = irisLike();
    const y = tf.oneHot(tf.tensor1d(ids, 'int32'), 3);
    const ours = await fit(classifier(3, 'linear'), L.softmaxCrossEntropy, x, y);
    const tfjsLogits = await fit(classifier(3, 'linear'), (t, z) => tf.losses.softmaxCrossEntropy(t, z), x, y);
    const layersProbs = await fit(classifier(3, 'softmax'), 'categoricalCrossentropy', x, y);
    assertSameCurve(ours, tfjsLogits);
    assertSameCurve(ours, layersProbs);
    tf.dispose([x, y]);
  });

  it('follows the loss curve of tfjs’s sigmoidCrossEntropy for a binary classifier', async () => {
    const { x, ids } = irisLike();
    const y = tf.tensor2d(Float32Array.from(ids, (c) => (c === 0 ? 1 : 0)), [150, 1]);
    const ours = await fit(classifier(1, 'linear'), L.sigmoidCrossEntropy, x, y);
    const theirs = await fit(classifier(1, 'linear'), (t, z) => tf.losses.sigmoidCrossEntropy(t, z), x, y);
    assertSameCurve(ours, theirs);
    tf.dispose([x, y]);
  });

  it('trains with sparse ids in a custom optimizer.minimize loop along the one-hot curve of tfjs', () => {
    const { x, ids } = irisLike();
    const labels = tf.tensor1d(ids, 'int32');
    const y = tf.oneHot(labels, 3);
    const run = (loss: (z: tf.Tensor) => tf.Tensor): number[] => {
      const model = classifier(3, 'linear');
      const opt = tf.train.sgd(0.05);
      const curve: number[] = [];
      for (let step = 0; step < 100; step++) {
        const cost = opt.minimize(() => loss(model.apply(x) as tf.Tensor) as tf.Scalar, true);
        curve.push(cost!.dataSync()[0]);
        cost!.dispose();
      }
      model.dispose();
      return curve;
    };
    const ours = run((z) => L.sparseSoftmaxCrossEntropy(labels, z));
    const theirs = run((z) => tf.losses.softmaxCrossEntropy(y, z));
    assertSameCurve(ours, theirs);
    tf.dispose([x, labels, y]);
  });
});
