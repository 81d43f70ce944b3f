import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SigmaxError, logSoftmax, softmax, tensor } from '../../src/index.js';
import { createRng, logProbs, sample, samplingSet } from '../../src/llm/index.js';
import { rand } from './unfused.js';

/** The filters by brute force: sort by (logit desc, index asc), then top-k, top-p, min-p. */
function bruteSet(z: ArrayLike<number>, T: number, topK: number, topP: number, minP: number): { set: number[]; p: Map<number, number> } {
  const n = z.length;
  let order = Array.from({ length: n }, (_, i) => i).filter((i) => z[i] > -Infinity);
  order.sort((a, b) => z[b] - z[a] || a - b);
  if (topK > 0) order = order.slice(0, topK);
  const m = z[order[0]];
  const e = order.map((i) => Math.exp((z[i] - m) / T));
  const S = e.reduce((a, b) => a + b, 0);
  let keep = order.length;
  if (topP < 1) {
    let acc = 0;
    for (keep = 0; keep < order.length; ) {
      acc += e[keep++] / S;
      if (acc >= topP) break;
    }
  }
  let set = order.slice(0, keep);
  if (minP > 0) set = set.filter((i) => Math.exp((z[i] - m) / T) >= minP);
  const mass = set.reduce((a, i) => a + Math.exp((z[i] - m) / T), 0);
  return { set: set.sort((a, b) => a - b), p: new Map(set.map((i) => [i, Math.exp((z[i] - m) / T) / mass])) };
}

/** χ² critical values at α = 0.001 for 1…12 degrees of freedom. */
const CHI2_001 = [10.83, 13.82, 16.27, 18.47, 20.52, 22.46, 24.32, 26.12, 27.88, 29.59, 31.26, 32.91];

describe('sample', () => {
  it('draws with the filtered distribution (χ² test, fixed seed, small vocabulary)', () => {
    const z = Float64Array.from([2.0, 1.5, 1.2, 0.3, 0, -0.5, -1, -2, -Infinity, 1.5, 0.9, -0.2]);
    for (const o of [
      { temperature: 1 },
      { temperature: 0.8, topK: 7, topP: 0.95, minP: 0.03 },
      { temperature: 1.7, topP: 0.8 },
      { temperature: 1.2, minP: 0.1 },
    ]) {
      const { set, p } = bruteSet(z, o.temperature, (o as { topK?: number }).topK ?? 0, (o as { topP?: number }).topP ?? 1, (o as { minP?: number }).minP ?? 0);
      const rng = createRng(2024);
      const draws = 40000;
      const counts = new Map<number, number>();
      for (let i = 0; i < draws; i++) {
        const t = sample(z, { ...o, rng });
        assert.ok(p.has(t), `token ${t} is outside the set ${set}`);
        counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      let chi2 = 0;
      for (const i of set) {
        const expected = draws * p.get(i)!;
        chi2 += ((counts.get(i) ?? 0) - expected) ** 2 / expected;
      }
      assert.ok(chi2 < CHI2_001[set.length - 2], `χ² = ${chi2} with ${set.length - 1} degrees of freedom for ${JSON.stringify(o)}`);
      assert.deepEqual(Array.from(samplingSet(z, o)), set);
    }
  });

  it('keeps a top-p set whose mass is ≥ p, minimal, and made of the largest logits, without sorting the row', () => {
    const r = rand(5);
    for (let trial = 0; trial < 40; trial++) {
      const n = [50, 2000, 151936][trial % 3 === 2 && trial > 30 ? 2 : trial % 2];
      const spread = [1, 3, 8][trial % 3];
      const z = Float64Array.from({ length: n }, () => (r() - 0.5) * 2 * spread);
      if (trial % 4 === 0) for (let i = 0; i < n; i += 7) z[i] = z[0]; // ties
      if (trial % 3 === 1) for (let i = 0; i < 1 + (trial % 7) * 3; i++) z[Math.floor(r() * n)] = 6 + r() * 8; // a peaked head, as LMs have
      const topP = [0.5, 0.9, 0.99, 0.3][trial % 4];
      const T = [1, 0.7, 1.3][trial % 3];
      const topK = trial % 5 === 0 ? 40 : 0;
      const set = samplingSet(z, { topP, temperature: T, topK });
      // Probabilities (renormalised over the top-k set) from the library's exact softmax.
      let cand = Array.from({ length: n }, (_, i) => i);
      if (topK > 0) cand = cand.sort((a, b) => z[b] - z[a] || a - b).slice(0, topK);
      const p = softmax(Float64Array.from(cand, (i) => z[i]), { temperature: T });
      const pOf = new Map(cand.map((i, k) => [i, p[k]]));
      let mass = 0;
      let minKept = Infinity;
      let minZ = Infinity;
      for (const i of set) {
        mass += pOf.get(i)!;
        minKept = Math.min(minKept, pOf.get(i)!);
        minZ = Math.min(minZ, z[i]);
      }
      assert.ok(mass >= topP, `trial ${trial}: mass ${mass} < ${topP}`);
      assert.ok(mass - minKept < topP, `trial ${trial}: not minimal (${mass} − ${minKept} ≥ ${topP})`);
      const inSet = new Set(set);
      for (const i of cand) if (!inSet.has(i)) assert.ok(z[i] <= minZ, `trial ${trial}: dropped ${z[i]} > kept ${minZ}`);
      assert.deepEqual(Array.from(set), bruteSet(z, T, topK, topP, 0).set);
    }
  });

  it('is reproducible: a seed gives the same tokens, an rng a fixed stream', () => {
    const r = rand(7);
    const z = Float32Array.from({ length: 1000 }, () => r() * 5);
    const a = Array.from({ length: 20 }, (_, i) => sample(z, { seed: i, topP: 0.9 }));
    const b = Array.from({ length: 20 }, (_, i) => sample(z, { seed: i, topP: 0.9 }));
    assert.deepEqual(a, b);
    const r1 = createRng(99);
    const r2 = createRng(99);
    assert.deepEqual(Array.from({ length: 10 }, () => sample(z, { rng: r1, topK: 50 })), Array.from({ length: 10 }, () => sample(z, { rng: r2, topK: 50 })));
    // The generator's stream is fixed across platforms and versions (checked against an independent implementation).
    const g = createRng(1);
    assert.deepEqual([g.nextUint32(), g.nextUint32(), g.nextUint32()], [2442144158, 3238099751, 3819917871]);
    const u = createRng(3).nextFloat();
    assert.ok(u >= 0 && u < 1);
  });

  it('gives interleaved calls over different vocabulary sizes the results of the same calls made alone', () => {
    const r = rand(31);
    // Rounded logits, so that top-k and top-p meet ties; a large row (quickselect top-k, many bins) and small ones.
    const rows = [30000, 17, 2500, 5].map((n) => Float64Array.from({ length: n }, () => Math.round((r() - 0.5) * 40) / 4));
    const opts = [{ topP: 0.9 }, { topK: 1100, topP: 0.8, minP: 0.01 }, { temperature: 0.7, topK: 3 }, { topP: 0.5, minP: 0.2 }, {}];
    const call = (z: Float64Array, o: object, seed: number) => [sample(z, { ...o, seed }), ...samplingSet(z, o)];
    const alone = rows.map((z) => opts.map((o, j) => [1, 2, 3].map((seed) => call(z, o, 10 * j + seed))));
    const mixed = rows.map(() => opts.map(() => [] as number[][]));
    for (let j = 0; j < opts.length; j++) {
      for (const seed of [1, 2, 3]) for (let i = 0; i < rows.length; i++) mixed[i][j].push(call(rows[i], opts[j], 10 * j + seed));
    }
    assert.deepEqual(mixed, alone);
  });

  it('handles the edges: greedy at temperature 0, +∞ logits, −∞ masks, ties in top-k', () => {
    assert.equal(sample([1, 3, 3, 2], { temperature: 0 }), 1);
    const rng = createRng(5);
    for (let i = 0; i < 50; i++) {
      const t = sample([0, Infinity, 5, Infinity], { rng });
      assert.ok(t === 1 || t === 3);
      assert.notEqual(sample([-Infinity, 0, -Infinity, 0.1], { rng }) % 2, 0);
    }
    assert.deepEqual(Array.from(samplingSet([1, 3, 3, 3, 0], { topK: 2 })), [1, 2]);
    assert.deepEqual(Array.from(samplingSet([1, 3, 3, 3, 0], { temperature: 0 })), [1]);
    assert.deepEqual(Array.from(samplingSet([0, 0, 0, 0], { topP: 0.5 })), [0, 1]);
  });

  it('samples every row of a tensor along the vocabulary axis', () => {
    const x = tensor(Float64Array.from([0, 10, 0, 10, 0, 0]), [2, 3]);
    assert.deepEqual(Array.from(sample(x, { temperature: 0 })), [1, 0]);
    assert.deepEqual(Array.from(sample(x, { temperature: 0, axis: 0 })), [1, 0, 0]);
  });

  it('logProbs equals an independent float64 log-sum-exp with the max shift, and keeps the largest entry off 0', () => {
    /** z_c/T − (m + log Σ e^(z_j/T − m)), m = max z/T: plain float64, no library code. */
    const ref = (z: number[], T: number) => {
      const y = z.map((v) => v / T);
      const m = Math.max(...y);
      let s = 0;
      for (const v of y) s += Math.exp(v - m);
      return y.map((v) => v - (m + Math.log(s)));
    };
    const r = rand(12);
    const rows = [[0, -18.420680743952367, 3], [1, 2, 3, 4], Array.from({ length: 50 }, () => (r() - 0.5) * 20)];
    for (const z of rows) {
      for (const T of [1, 2, 0.5]) {
        const got = logProbs(Float64Array.from(z), { temperature: T });
        const want = ref(z, T);
        // The float64 reference rounds the exps, their sum and its log: a few ulps of max(|y|, 1).
        got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-14 * Math.max(1, Math.abs(want[i])), `${v} vs ${want[i]} (T = ${T})`));
      }
    }
    // log p of the max of (0, −18.42…, 3) is −log1p(e^−3 + e^−21.42…) ≠ 0, to full precision.
    assert.equal(logProbs(Float64Array.from([0, -18.420680743952367, 3]))[2], -Math.log1p(Math.exp(-3) + Math.exp(-21.420680743952367)));
  });

  it('throws SigmaxError for NaN rows, all −∞ rows and bad options', () => {
    const is = (code: string, re: RegExp) => (e: unknown) => e instanceof SigmaxError && e.code === code && re.test(e.message);
    assert.throws(() => sample([0, NaN, 1]), is('INVALID_INPUT', /sample: logits row 0 contains NaN/));
    assert.throws(() => sample([-Infinity, -Infinity]), is('INVALID_INPUT', /every logit of row 0 is −∞/));
    assert.throws(() => sample([0, 1], { topP: 0 }), is('INVALID_OPTION', /topP must be a number in \(0, 1\]/));
    assert.throws(() => sample([0, 1], { topK: 1.5 }), is('INVALID_OPTION', /topK/));
    assert.throws(() => sample([0, 1], { temperature: -1 }), is('INVALID_OPTION', /temperature/));
    assert.throws(() => sample([0, 1], { seed: 0.5 }), is('INVALID_OPTION', /seed must be a safe integer/));
    assert.throws(() => sample([0, 1], { topp: 0.9 } as never), is('INVALID_OPTION', /unknown option 'topp'/));
  });
});
