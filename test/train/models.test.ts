import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gradcheck } from '../../src/index.js';
import {
  Adam,
  LogisticRegression,
  MLP,
  SGD,
  SoftmaxRegression,
  SparseBuilder,
  type AnyClassifier,
  type Dataset,
  loadModel,
  range,
  trainTestSplit,
} from '../../src/train/index.js';
import { blobs } from './helpers.js';

const weights = (m: AnyClassifier) => m.params().map((p) => [...p.value]);

describe('classifiers', () => {
  it('start at loss log C, because the output layer starts at zero', () => {
    const d = blobs({ classes: 3, perClass: 10 });
    assert.ok(Math.abs(new SoftmaxRegression({ inputs: 2, classes: 3 }).loss(d) - Math.log(3)) < 1e-15);
    assert.ok(Math.abs(new MLP({ inputs: 2, classes: 3, hidden: 8 }).loss(d) - Math.log(3)) < 1e-15);
    const bin = { ...blobs({ classes: 2, perClass: 10 }) };
    assert.ok(Math.abs(new LogisticRegression({ inputs: 2 }).loss(bin) - Math.log(2)) < 1e-15);
  });

  it('reproduce a run exactly with the same seed, and differ with another seed', () => {
    const d = blobs({ classes: 3, perClass: 30, seed: 1 });
    const run = (seed: number) => {
      const m = new MLP({ inputs: 2, classes: 3, hidden: [6, 5], activation: 'sigmoid', seed });
      const h = m.fit(d, { epochs: 5, batchSize: 8, seed, optimizer: { type: 'adam', lr: 0.01 } });
      return { w: weights(m), h: h.trainLoss };
    };
    assert.deepEqual(run(7), run(7));
    assert.notDeepEqual(run(7).w, run(8).w);
  });

  it('give probabilities that sum to 1 and predictions that are their argmax', () => {
    const d = blobs({ classes: 4, perClass: 20, seed: 2 });
    const m = new MLP({ inputs: 2, classes: 4, hidden: 10, seed: 3 });
    m.fit(d, { epochs: 3, seed: 3 });
    const p = m.predictProba(d.x);
    const pred = m.predict(d.x);
    assert.deepEqual(p.shape, [80, 4]);
    for (let i = 0; i < 80; i++) {
      const row = p.data.subarray(4 * i, 4 * i + 4);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-12);
      assert.equal(pred[i], row.indexOf(Math.max(...row)));
    }
  });

  it('give logistic regression the probability pair [σ(−z), σ(z)]', () => {
    const m = new LogisticRegression({ inputs: 1 });
    m.params()[0].value[0] = 40; // z = 40·x: σ(−40) ≈ 4e-18 must not round to 0
    const p = m.predictProba([[1], [-1]]);
    assert.deepEqual(p.shape, [2, 2]);
    assert.ok(p.data[0] > 4e-18 && p.data[0] < 5e-18);
    assert.equal(p.data[1], 1);
    assert.deepEqual([...m.predict([[1], [-1]])], [1, 0]);
  });

  it('compute the network gradient that central differences measure (sigmoid, tanh, one and two layers, sparse input)', () => {
    const dense = blobs({ classes: 3, perClass: 4, dims: 3, seed: 4 });
    const b = new SparseBuilder(6);
    for (let r = 0; r < 12; r++) b.addRow([r % 6, (r + 2) % 6], [1, 0.5 * (r % 3) - 0.5]);
    const sparse: Dataset = { x: b.build(), y: dense.y, classes: 3 };
    const cases: [string, AnyClassifier, Dataset][] = [
      ['softmax regression', new SoftmaxRegression({ inputs: 3, classes: 3 }), dense],
      ['logistic regression', new LogisticRegression({ inputs: 3 }), { ...dense, y: dense.y.map((v) => v % 2), classes: 2 }],
      ['MLP sigmoid [5]', new MLP({ inputs: 3, classes: 3, hidden: 5, activation: 'sigmoid', seed: 1 }), dense],
      ['MLP tanh [4, 3]', new MLP({ inputs: 3, classes: 3, hidden: [4, 3], activation: 'tanh', seed: 2 }), dense],
      ['MLP tanh on sparse rows', new MLP({ inputs: 6, classes: 3, hidden: 4, seed: 3 }), sparse],
    ];
    for (const [name, m, d] of cases) {
      const params = m.params();
      // Random output weights, so that every layer's gradient is non-zero.
      for (const p of params) for (let i = 0; i < p.value.length; i++) p.value[i] += 0.3 * Math.sin(7 * i + p.value.length);
      const theta = Float64Array.from(params.flatMap((p) => [...p.value]));
      const rows = range(d.y.length);
      const r = gradcheck((t: Float64Array) => {
        let k = 0;
        for (const p of params) for (let i = 0; i < p.value.length; i++) p.value[i] = t[k++];
        const value = m.lossAndGrad(d.x, d.y, rows);
        return { value, grad: Float64Array.from(params.flatMap((p) => [...p.grad])) };
      }, theta);
      assert.ok(r.ok, `${name}: max error ${r.maxAbsError}`);
    }
  });

  it('round-trip through JSON with every weight bit kept', () => {
    const d = blobs({ classes: 3, perClass: 15, seed: 5 });
    const models: AnyClassifier[] = [
      new SoftmaxRegression({ inputs: 2, classes: 3, classNames: ['a', 'b', 'c'] }),
      new MLP({ inputs: 2, classes: 3, hidden: [7, 4], activation: 'sigmoid', seed: 9 }),
      new LogisticRegression({ inputs: 2 }),
    ];
    for (const m of models) {
      const data = m instanceof LogisticRegression ? { ...d, y: d.y.map((v) => (v > 0 ? 1 : 0)), classes: 2 } : d;
      m.fit(data, { epochs: 3, seed: 1 });
      const back = loadModel(JSON.stringify(m.toJSON()));
      assert.equal(back.type, m.type);
      assert.deepEqual(weights(back), weights(m));
      assert.deepEqual([...back.logits(data.x).data], [...m.logits(data.x).data]);
      assert.deepEqual(back.classNames, m.classNames);
    }
  });

  it('refuse to load a file that is not a sigmax model or has arrays of the wrong size', () => {
    assert.throws(() => loadModel('{"format":"other"}'), /not a sigmax model/);
    const j = new SoftmaxRegression({ inputs: 2, classes: 3 }).toJSON();
    j.layers[0].W.pop();
    assert.throws(() => loadModel(j), /layer0\.W needs 6 numbers, got 5/);
  });

  it('check feature counts and labels against the model', () => {
    const m = new SoftmaxRegression({ inputs: 3, classes: 2 });
    assert.throws(() => m.fit(blobs({ classes: 2, perClass: 3 })), /takes 3 features, the data has 2/);
    assert.throws(() => m.evaluate({ ...blobs({ classes: 3, perClass: 2, dims: 3 }) }), /label y\[4\] = 2 but the model has 2 classes/);
  });
});

describe('optimizers', () => {
  const d = blobs({ classes: 3, perClass: 40, seed: 6 });
  const start = Math.log(3);
  const cases: [string, () => SGD | Adam][] = [
    ['SGD', () => new SGD({ lr: 0.1 })],
    ['SGD with momentum', () => new SGD({ lr: 0.05, momentum: 0.9 })],
    ['SGD with Nesterov momentum and weight decay', () => new SGD({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
    ['Adam', () => new Adam({ lr: 0.01 })],
    ['Adam with decoupled weight decay (AdamW)', () => new Adam({ lr: 0.01, weightDecay: 1e-2, decoupled: true })],
  ];
  for (const [name, make] of cases) {
    it(`${name} reduces the loss of softmax regression and of an MLP`, () => {
      for (const m of [new SoftmaxRegression({ inputs: 2, classes: 3 }), new MLP({ inputs: 2, classes: 3, hidden: 8, seed: 1 })]) {
        const h = m.fit(d, { epochs: 5, batchSize: 16, optimizer: make(), seed: 2 });
        assert.ok(m.loss(d) < 0.8 * start, `${name}, ${m.type}: loss ${m.loss(d)}`);
        assert.ok(h.trainLoss[4] < h.trainLoss[0]);
      }
    });
  }

  it('weight decay keeps the weights smaller', () => {
    const norm = (wd: number) => {
      const m = new SoftmaxRegression({ inputs: 2, classes: 3 });
      m.fit(d, { epochs: 20, optimizer: new SGD({ lr: 0.1, weightDecay: wd }), seed: 1 });
      return Math.hypot(...m.params()[0].value);
    };
    assert.ok(norm(0.1) < 0.8 * norm(0));
  });

  it('follow PyTorch: Adam moves each weight by about lr on its first step, whatever the gradient scale', () => {
    const p = { name: 'w', value: new Float64Array([1, 1]), grad: new Float64Array([1e-4, 1e3]), decay: false };
    new Adam({ lr: 0.01 }).step([p]);
    assert.ok(Math.abs(p.value[0] - 0.99) < 1e-6 && Math.abs(p.value[1] - 0.99) < 1e-9);
  });

  it('reject bad settings with a message naming the setting', () => {
    assert.throws(() => new SGD({ lr: -1 }), /SGD: lr must be a finite number > 0, got -1/);
    assert.throws(() => new Adam({ beta1: 1 }), /beta1 must be in \[0, 1\)/);
    assert.throws(() => new SGD({ nesterov: true }), /nesterov needs momentum/);
  });
});

describe('fit', () => {
  it('stops early when the validation loss stops improving, and keeps the best weights', () => {
    const d = blobs({ classes: 2, perClass: 60, seed: 7, noise: 1.5, spread: 1 });
    const { train, test } = trainTestSplit(d, 0.5, { seed: 1 });
    // Labels of the validation half flipped: the better the fit, the worse the validation loss.
    const validation = { ...test, y: test.y.map((v) => 1 - v) };
    const m = new SoftmaxRegression({ inputs: 2, classes: 2 });
    const h = m.fit(train, { epochs: 100, validation, earlyStopping: { patience: 3 }, seed: 1 });
    assert.equal(h.stoppedEarly, true);
    assert.ok(h.epochs < 100);
    assert.equal(h.epochs, h.bestEpoch + 3);
    assert.equal(h.validationLoss.length, h.epochs);
    assert.equal(m.loss(validation), h.bestValidationLoss);
  });

  it('runs every epoch when early stopping is off', () => {
    const d = blobs({ classes: 2, perClass: 20, seed: 8 });
    const m = new SoftmaxRegression({ inputs: 2, classes: 2 });
    const h = m.fit(d, { epochs: 12, validation: { ...d, y: d.y.map((v) => 1 - v) }, earlyStopping: false });
    assert.equal(h.epochs, 12);
    assert.equal(h.stoppedEarly, false);
  });

  it('calls onEpoch and onBatch with the epoch and batch numbers', () => {
    const d = blobs({ classes: 2, perClass: 10, seed: 9 });
    const epochs: number[] = [];
    const batches: string[] = [];
    new SoftmaxRegression({ inputs: 2, classes: 2 }).fit(d, {
      epochs: 2,
      batchSize: 8,
      onEpoch: (e) => epochs.push(e.epoch),
      onBatch: (b) => batches.push(`${b.epoch}.${b.batch}/${b.batches}`),
    });
    assert.deepEqual(epochs, [1, 2]);
    assert.deepEqual(batches, ['1.1/3', '1.2/3', '1.3/3', '2.1/3', '2.2/3', '2.3/3']);
  });

  it('stops at the next batch when fitAsync is aborted', async () => {
    const d = blobs({ classes: 2, perClass: 50, seed: 10 });
    const controller = new AbortController();
    const m = new SoftmaxRegression({ inputs: 2, classes: 2 });
    const h = await m.fitAsync(d, { epochs: 50, batchSize: 10, signal: controller.signal, onEpoch: (e) => e.epoch === 2 && controller.abort() });
    assert.equal(h.interrupted, true);
    assert.equal(h.epochs, 2);
  });
});

describe('evaluate', () => {
  it('counts the confusion matrix rows as true classes and columns as predictions', () => {
    // A fixed linear model on one feature: class 0 for x < 0, class 1 for 0 < x < 1, class 2 for x > 1.
    const m = new SoftmaxRegression({ inputs: 1, classes: 3, classNames: ['neg', 'mid', 'big'] });
    const [W, b] = m.params();
    W.value.set([-10, 0, 10]);
    b.value.set([0, 5, -10]);
    const x = [[-2], [-1], [0.5], [0.6], [2], [3], [0.4]];
    const y = [0, 1, 1, 2, 2, 2, 0];
    const e = m.evaluate({ x: { kind: 'dense', rows: 7, cols: 1, data: Float64Array.from(x.flat()) }, y: Int32Array.from(y), classes: 3 });
    assert.deepEqual([...m.predict(x)], [0, 0, 1, 1, 2, 2, 1]);
    assert.deepEqual(e.confusionMatrix, [
      [1, 1, 0],
      [1, 1, 0],
      [0, 1, 2],
    ]);
    assert.equal(e.n, 7);
    assert.equal(e.accuracy, 4 / 7);
    assert.deepEqual(e.classNames, ['neg', 'mid', 'big']);
    const p = m.predictProba(x).data;
    const expected = -y.reduce((s, t, i) => s + Math.log(p[3 * i + t]), 0) / 7;
    assert.ok(Math.abs(e.logLoss - expected) < 1e-12);
  });
});
