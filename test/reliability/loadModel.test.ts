// Hostile model files: loadModel checks the structure and every declared
// size against the numbers the file holds before it allocates anything, so a tiny file that
// declares a huge model fails at once with a TypeError or RangeError and no big allocation.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_MODEL_SIZE, MLP, type ModelJSON, SoftmaxRegression, loadModel } from '../../src/train/index.js';

const mlp = (over: Record<string, unknown>) => ({ format: 'sigmax-model', version: 1, type: 'MLP', inputs: 2, classes: 2, hidden: [2], activation: 'tanh', layers: [{ W: [0, 0, 0, 0], b: [0, 0] }, { W: [0, 0, 0, 0], b: [0, 0] }], ...over }) as unknown as ModelJSON;

/** Runs `f`, which must throw a TypeError or RangeError matching `pattern`, and checks it left no big arrays allocated. */
function throwsWithoutAllocating(f: () => unknown, pattern: RegExp): void {
  const before = process.memoryUsage().arrayBuffers;
  assert.throws(f, (e: unknown) => (e instanceof TypeError || e instanceof RangeError) && pattern.test((e as Error).message));
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(grown < 16 * 2 ** 20, `allocated ${grown} bytes of arrays`);
}

describe('loadModel on hostile input', () => {
  it('rejects a 126-byte file declaring a 20000 × 20000 MLP before allocating its weights', { timeout: 10_000 }, () => {
    const text = JSON.stringify({ format: 'sigmax-model', version: 1, type: 'MLP', inputs: 20000, classes: 20000, hidden: [20000], activation: 'tanh', layers: [] });
    assert.ok(text.length < 160);
    throwsWithoutAllocating(() => loadModel(text), /declare 800040000 weights, more than the 134217728 allowed/);
  });

  it('rejects a tiny file declaring a 100 MB model whose weights are missing', { timeout: 10_000 }, () => {
    throwsWithoutAllocating(() => loadModel(JSON.stringify(mlp({ inputs: 3500, hidden: [3500], layers: [{ W: [], b: [] }, { W: [], b: [] }] }))), /layer0\.W needs 12250000 numbers, got 0/);
  });

  it('rejects sizes above the documented limits, and more weights than allowed', { timeout: 10_000 }, () => {
    throwsWithoutAllocating(() => loadModel(mlp({ inputs: MAX_MODEL_SIZE + 1 })), /inputs must be a whole number from 1 to 16777216, got 16777217/);
    throwsWithoutAllocating(() => loadModel(mlp({ inputs: 2 ** 24, hidden: [2 ** 24] })), /declare \d+ weights, more than the 134217728 allowed/);
    throwsWithoutAllocating(() => loadModel(mlp({ hidden: [1e300] })), /hidden\[0\] must be a whole number/);
  });

  it('rejects negative, fractional, NaN and non-number sizes', () => {
    for (const inputs of [-1, 0, 2.5, NaN, Infinity, '2', null, [2], { valueOf: () => 2 }]) {
      throwsWithoutAllocating(() => loadModel(mlp({ inputs })), /loadModel: inputs must be a whole number from 1/);
    }
    throwsWithoutAllocating(() => loadModel(mlp({ classes: 1 })), /classes must be a whole number from 2/);
    throwsWithoutAllocating(() => loadModel(mlp({ hidden: [NaN] })), /hidden\[0\]/);
    throwsWithoutAllocating(() => loadModel(mlp({ hidden: [-5] })), /hidden\[0\]/);
  });

  it('rejects wrong layer counts and hidden lists', () => {
    throwsWithoutAllocating(() => loadModel(mlp({ layers: [{ W: [0, 0, 0, 0], b: [0, 0] }] })), /expected 2 layers, got 1/);
    throwsWithoutAllocating(() => loadModel(mlp({ layers: 'many' })), /expected 2 layers, got string/);
    throwsWithoutAllocating(() => loadModel(mlp({ hidden: [] })), /one or two layer sizes, got 0 sizes/);
    throwsWithoutAllocating(() => loadModel(mlp({ hidden: [2, 2, 2] })), /one or two layer sizes, got 3 sizes/);
    throwsWithoutAllocating(() => loadModel(mlp({ layers: [null, { W: [0, 0, 0, 0], b: [0, 0] }] })), /layers\[0\] must be an object/);
  });

  it('rejects weights whose lengths disagree with the sizes, and weights that are not numbers', () => {
    throwsWithoutAllocating(() => loadModel(mlp({ layers: [{ W: [0, 0, 0], b: [0, 0] }, { W: [0, 0, 0, 0], b: [0, 0] }] })), /layer0\.W needs 4 numbers, got 3/);
    throwsWithoutAllocating(() => loadModel(mlp({ layers: [{ W: [0, 0, 0, 0], b: [0, 0] }, { W: [0, 0, 0, 0], b: [0, 0, 0] }] })), /layer1\.b needs 2 numbers, got 3/);
    throwsWithoutAllocating(() => loadModel(mlp({ layers: [{ W: [0, 0, '0', 0], b: [0, 0] }, { W: [0, 0, 0, 0], b: [0, 0] }] })), /layer0\.W\[2\] is not a number/);
    throwsWithoutAllocating(() => loadModel(mlp({ classNames: ['a'] })), /classNames must list 2 strings/);
    throwsWithoutAllocating(() => loadModel(mlp({ activation: 'relu' })), /activation must be 'sigmoid' or 'tanh'/);
  });

  it('rejects deeply nested junk, invalid JSON and non-objects with a one-line error', { timeout: 10_000 }, () => {
    throwsWithoutAllocating(() => loadModel(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), /not a sigmax model|not valid JSON/);
    throwsWithoutAllocating(() => loadModel(JSON.stringify(mlp({ layers: [{ W: [[[[[[0]]]]]], b: [0, 0] }, { W: [0, 0, 0, 0], b: [0, 0] }] }))), /layer0\.W needs 4 numbers, got 1/);
    throwsWithoutAllocating(() => loadModel('{"format":'), /not valid JSON/);
    throwsWithoutAllocating(() => loadModel('null'), /not a sigmax model/);
    throwsWithoutAllocating(() => loadModel(JSON.stringify({ ...mlp({}), version: 2 })), /unsupported version 2/);
    throwsWithoutAllocating(() => loadModel(JSON.stringify({ ...mlp({}), type: 'Forest' })), /unknown model type 'Forest'/);
  });

  it('still round-trips real models with every weight bit', () => {
    for (const m of [new SoftmaxRegression({ inputs: 3, classes: 4 }), new MLP({ inputs: 3, classes: 2, hidden: [5, 4], activation: 'sigmoid', seed: 3, classNames: ['no', 'yes'] })]) {
      assert.deepEqual(loadModel(JSON.stringify(m.toJSON())).toJSON(), m.toJSON());
    }
  });
});
