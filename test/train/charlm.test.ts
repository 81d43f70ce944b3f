import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crossEntropyWithGrad, tensor } from '../../src/index.js';
import {
  ALPHABET,
  BigramLM,
  Rng,
  SYMBOLS,
  bigramCounts,
  bigramProbabilities,
  bigramTableLoss,
  contextDataset,
  countEvents,
  encodeName,
  splitNames,
} from '../../src/train/index.js';

const NAMES = ['emma', 'olivia', 'ava', 'isabella', 'sophia', 'mia', 'amelia', 'ann', 'bob', 'zoe'];

describe('character models', () => {
  it('encode names over 27 symbols and refuse other characters', () => {
    assert.equal(SYMBOLS, 27);
    assert.deepEqual(encodeName('abz'), [1, 2, 26]);
    assert.throws(() => encodeName('jean-luc'), /has '-' at 4/);
  });

  it('count one event per letter plus the end of each name', () => {
    const counts = bigramCounts(NAMES);
    assert.equal(counts.reduce((a, b) => a + b, 0), countEvents(NAMES));
    assert.equal(counts[0 * 27 + ALPHABET.indexOf('a')], 3); // names starting with a: ava, amelia, ann
    assert.equal(counts[ALPHABET.indexOf('a') * 27 + 0], 7); // names ending in a
  });

  it('build closed-form rows that sum to 1 with add-α smoothing', () => {
    const p = bigramProbabilities(bigramCounts(NAMES), 1);
    for (let a = 0; a < 27; a++) assert.ok(Math.abs(p.subarray(27 * a, 27 * a + 27).reduce((s, v) => s + v, 0) - 1) < 1e-12);
    // b never follows q here: (0 + 1)/(0 + 27).
    assert.equal(p[ALPHABET.indexOf('q') * 27 + 2], 1 / 27);
  });

  it('compute the same loss and gradient from count rows as from every event one by one', () => {
    const lm = new BigramLM();
    const rng = new Rng(1);
    for (let i = 0; i < lm.W.value.length; i++) lm.W.value[i] = rng.normal();
    // One row of logits per event, its target the next symbol: the direct way.
    const prev: number[] = [];
    const next: number[] = [];
    for (const n of NAMES) {
      let p = 0;
      for (const c of [...encodeName(n), 0]) {
        prev.push(p);
        next.push(c);
        p = c;
      }
    }
    const logits = new Float64Array(prev.length * 27);
    prev.forEach((p, i) => logits.set(lm.W.value.subarray(27 * p, 27 * p + 27), 27 * i));
    const direct = crossEntropyWithGrad(tensor(logits, [prev.length, 27]), next);
    const perContext = new Float64Array(27 * 27);
    prev.forEach((p, i) => {
      for (let j = 0; j < 27; j++) perContext[27 * p + j] += direct.grad.data[27 * i + j];
    });
    assert.ok(Math.abs(lm.loss(NAMES) - direct.loss) < 1e-13);
    // The grouped gradient, from one step of fit without smoothing, before the update.
    lm.fit(NAMES, { smoothing: 0, steps: 1, optimizer: { type: 'sgd', lr: 1e-300 } });
    for (let i = 0; i < perContext.length; i++) assert.ok(Math.abs(lm.W.grad[i] - perContext[i]) < 1e-15, `gradient ${i}`);
  });

  it('descends to the closed form: the p − y gradient drives the softmax to the smoothed frequencies', () => {
    const lm = new BigramLM();
    const losses = lm.fit(NAMES, { smoothing: 0.5, steps: 400 });
    assert.ok(losses[399] < losses[0]);
    const closed = bigramProbabilities(bigramCounts(NAMES), 0.5);
    const p = lm.probabilities();
    for (let i = 0; i < p.length; i++) assert.ok(Math.abs(p[i] - closed[i]) < 1e-3, `p[${i}] = ${p[i]}, closed form ${closed[i]}`);
    assert.ok(Math.abs(lm.loss(NAMES) - bigramTableLoss(closed, NAMES)) < 1e-4);
  });

  it('samples the same names for the same seed, from a–z only', () => {
    const lm = new BigramLM();
    lm.fit(NAMES, { steps: 100 });
    const a = lm.sample(new Rng(3), 8);
    assert.deepEqual(a, lm.sample(new Rng(3), 8));
    for (const n of a) assert.match(n, /^[a-z]*$/);
    assert.deepEqual(BigramLM.fromJSON(JSON.parse(JSON.stringify(lm.toJSON()))).W.value, lm.W.value);
  });

  it('one-hot encodes the last 3 symbols of each event into 81 sparse features', () => {
    const d = contextDataset(['ab'], 3);
    assert.equal(d.x.cols, 81);
    assert.deepEqual([...d.y], [1, 2, 0]);
    const x = d.x as { indptr: Int32Array; indices: Int32Array };
    assert.deepEqual([...x.indptr], [0, 3, 6, 9]);
    // Contexts ..., ..a, .ab ('.' = 0, a = 1, b = 2), at offsets 0, 27, 54.
    assert.deepEqual([...x.indices], [0, 27, 54, 0, 27, 55, 0, 28, 56]);
  });

  it('splits names into disjoint train, validation and test parts', () => {
    const names = Array.from({ length: 100 }, (_, i) => `n${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`);
    const s = splitNames(names, { seed: 1 });
    assert.equal(s.train.length, 80);
    assert.equal(s.validation.length, 10);
    assert.equal(s.test.length, 10);
    assert.equal(new Set([...s.train, ...s.validation, ...s.test]).size, 100);
  });
});
