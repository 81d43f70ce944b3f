import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Rng,
  SparseBuilder,
  Standardizer,
  addInputGrad,
  affineRows,
  denseMatrix,
  selectRows,
  splitIndices,
  subset,
  trainTestSplit,
} from '../../src/train/index.js';
import { blobs } from './helpers.js';

describe('Rng', () => {
  it('gives the same stream for the same seed and another for another seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 5 }, () => a.next());
    assert.deepEqual(sa, Array.from({ length: 5 }, () => b.next()));
    assert.notDeepEqual(sa, Array.from({ length: 5 }, () => c.next()));
  });

  it('draws uniforms in [0, 1), integers in [0, n) and normals with mean 0 and variance 1', () => {
    const r = new Rng(1);
    let sum = 0;
    let sq = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      assert.ok(u >= 0 && u < 1);
      const k = r.int(7);
      assert.ok(Number.isInteger(k) && k >= 0 && k < 7);
      const z = r.normal();
      sum += z;
      sq += z * z;
    }
    // 5 standard errors: a wrong generator fails, a right one essentially never does.
    assert.ok(Math.abs(sum / n) < 5 / Math.sqrt(n));
    assert.ok(Math.abs(sq / n - 1) < 5 * Math.sqrt(2 / n));
  });

  it('draws categories in proportion to their weights and never one of weight 0', () => {
    const r = new Rng(2);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30000; i++) counts[r.categorical([1, 0, 3])]++;
    assert.equal(counts[1], 0);
    assert.ok(Math.abs(counts[2] / counts[0] - 3) < 0.2);
  });

  it('shuffles into a permutation', () => {
    const a = new Rng(3).shuffle(Int32Array.from({ length: 50 }, (_, i) => i));
    assert.deepEqual([...a].sort((p, q) => p - q), Array.from({ length: 50 }, (_, i) => i));
  });
});

describe('splits', () => {
  it('split each class in the same proportion, disjointly, and the same way for the same seed', () => {
    const labels = Int32Array.from({ length: 150 }, (_, i) => Math.floor(i / 50));
    const { kept, held } = splitIndices(labels, 0.3, { seed: 5 });
    assert.equal(held.length, 45);
    assert.equal(kept.length, 105);
    for (let c = 0; c < 3; c++) assert.equal([...held].filter((i) => labels[i] === c).length, 15);
    assert.deepEqual(new Set([...kept, ...held]).size, 150);
    assert.deepEqual(splitIndices(labels, 0.3, { seed: 5 }).held, held);
    assert.notDeepEqual(splitIndices(labels, 0.3, { seed: 6 }).held, held);
  });

  it('carry rows and labels together into both parts', () => {
    const d = blobs({ classes: 2, perClass: 10, seed: 1 });
    const { train, test } = trainTestSplit(d, 0.2, { seed: 1 });
    assert.equal(train.y.length + test.y.length, 20);
    assert.equal(test.x.rows, test.y.length);
    const s = subset(d, [3, 15]);
    assert.deepEqual([...s.y], [0, 1]);
    assert.deepEqual([...(s.x as { data: Float64Array }).data], [...(d.x as { data: Float64Array }).data.subarray(6, 8), ...(d.x as { data: Float64Array }).data.subarray(30, 32)]);
  });
});

describe('Standardizer', () => {
  it('gives the training columns mean 0 and standard deviation 1, and leaves constant columns centred', () => {
    const m = denseMatrix([
      [1, 10, 5],
      [2, 20, 5],
      [3, 60, 5],
    ]);
    const s = Standardizer.fit(m);
    const t = s.transform(m) as { data: Float64Array };
    for (let k = 0; k < 2; k++) {
      const col = [0, 1, 2].map((r) => t.data[3 * r + k]);
      assert.ok(Math.abs(col.reduce((a, b) => a + b) / 3) < 1e-15);
      assert.ok(Math.abs(col.reduce((a, b) => a + b * b, 0) / 3 - 1) < 1e-12);
    }
    assert.deepEqual([0, 1, 2].map((r) => t.data[3 * r + 2]), [0, 0, 0]);
    assert.deepEqual(Standardizer.fromJSON(s.toJSON()).transform(m), t);
  });
});

describe('matrix products', () => {
  it('give the same results for a sparse matrix and its dense twin', () => {
    const rng = new Rng(4);
    const rows = 6;
    const cols = 5;
    const n = 3;
    const dense = new Float64Array(rows * cols);
    const b = new SparseBuilder(cols);
    for (let r = 0; r < rows; r++) {
      const idx = [r % cols, (r + 2) % cols];
      const val = [rng.normal(), rng.normal()];
      idx.forEach((k, i) => (dense[r * cols + k] = val[i]));
      b.addRow(idx, val);
    }
    const sparse = b.build();
    const dm = denseMatrix(dense, cols);
    const W = Float64Array.from({ length: cols * n }, () => rng.normal());
    const bias = Float64Array.from({ length: n }, () => rng.normal());
    const pick = [4, 0, 2];
    const outD = new Float64Array(pick.length * n);
    const outS = new Float64Array(pick.length * n);
    affineRows(dm, pick, W, bias, n, outD);
    affineRows(sparse, pick, W, bias, n, outS);
    assert.deepEqual(outS, outD);
    const G = Float64Array.from({ length: pick.length * n }, () => rng.normal());
    const gD = new Float64Array(cols * n);
    const gS = new Float64Array(cols * n);
    addInputGrad(dm, pick, G, n, gD);
    addInputGrad(sparse, pick, G, n, gS);
    assert.deepEqual(gS, gD);
    assert.deepEqual((selectRows(sparse, [1]) as typeof sparse).indices, Int32Array.from([1, 3]));
  });
});
