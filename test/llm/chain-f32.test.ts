import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { processLogits, createSampler, sample } from '../../src/llm/index.js';
import { Xoshiro128 } from '../../src/core/rng.js';

/** A float32 row of Gaussian logits (sd `sd`) from the shared generator. */
function row(seed: number, n: number, sd: number): Float32Array {
  const g = new Xoshiro128(seed);
  return Float32Array.from({ length: n }, () => sd * Math.sqrt(-2 * Math.log(1 - g.nextFloat())) * Math.cos(2 * Math.PI * g.nextFloat()));
}

const kept = (out: ArrayLike<number>) => Array.from(out, (v, i) => (v === -Infinity ? -1 : i)).filter((i) => i >= 0);

describe('float32 rows through the chain', () => {
  it('keep the same tokens as the float64 path for every filter that decides on probabilities', () => {
    const cases = [{ minP: 0.05 }, { epsilonCutoff: 3e-4 }, { etaCutoff: 3e-4 }, { typicalP: 0.9 }, { topP: 0.9 }, { topNSigma: 1 }, { mirostat: 2 as const }, { xtcProbability: 1, xtcThreshold: 0.05 }];
    for (const [seed, sd] of [[1, 1], [2, 2.5], [3, 6]]) {
      const z32 = row(seed, 5000, sd);
      const z64 = Float64Array.from(z32);
      for (const o of cases) {
        const a = kept(processLogits(z32, { ...o, seed: 7 }) as Float32Array);
        const b = kept(processLogits(z64, { ...o, seed: 7 }) as Float64Array);
        assert.deepEqual(a, b, `${JSON.stringify(o)} on sd ${sd}`);
      }
    }
  });

  it('draw long rows by block sums with the softmax distribution (χ² test, fixed seed)', () => {
    // 8 groups of 1000 tokens over 3 blocks and a partial one; each group's mass is its expected share.
    const n = 8000;
    const z = row(11, n, 1);
    for (let i = 0; i < n; i++) z[i] += i % 1000 === 0 ? 4 : 0;
    let S = 0;
    const mass = new Float64Array(8);
    for (let i = 0; i < n; i++) {
      const e = Math.exp(z[i]);
      S += e;
      mass[Math.floor(i / 1000)] += e;
    }
    const N = 20000;
    const count = new Float64Array(8);
    const s = createSampler({ seed: 3 });
    for (let t = 0; t < N; t++) count[Math.floor(s.next(z)[0] / 1000)]++;
    let chi = 0;
    for (let g = 0; g < 8; g++) chi += (count[g] - (N * mass[g]) / S) ** 2 / ((N * mass[g]) / S);
    // 7 degrees of freedom: χ² < 24.3 at p = 0.001.
    assert.ok(chi < 24.3, `χ² = ${chi}`);
  });

  it('sample without filters draws an unfiltered float32 row with the softmax distribution (χ² test)', () => {
    const n = 6000;
    const z = row(12, n, 2);
    let S = 0;
    const mass = new Float64Array(6);
    for (let i = 0; i < n; i++) {
      const e = Math.exp(z[i]);
      S += e;
      mass[Math.floor(i / 1000)] += e;
    }
    const N = 20000;
    const count = new Float64Array(6);
    for (let t = 0; t < N; t++) count[Math.floor((sample(z, { seed: t }) as number) / 1000)]++;
    let chi = 0;
    for (let g = 0; g < 6; g++) chi += (count[g] - (N * mass[g]) / S) ** 2 / ((N * mass[g]) / S);
    // 5 degrees of freedom: χ² < 20.5 at p = 0.001.
    assert.ok(chi < 20.5, `χ² = ${chi}`);
  });

  it('mirostat v2 draws a token of a long float32 row', () => {
    const z = row(13, 10000, 1);
    const s = createSampler({ mirostat: 2, seed: 5 });
    const t = s.next(z)[0];
    assert.ok(t >= 0 && t < 10000);
  });
});
