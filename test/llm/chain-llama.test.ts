// The stages HF lacks, tested from llama.cpp's published algorithm (src/llama-sampling.cpp) with
// hand-derived cases — DRY, XTC, top-n-σ, mirostat, dynamic temperature — and chi-square tests of
// the draws with fixed seeds, on both backends.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createSampler, processLogits, sample, type DecodeOptions } from '../../src/llm/index.js';
import { eachBackend } from '../helpers/backends.js';

const proc = (z: number[], o: DecodeOptions, h?: number[]) => Array.from(processLogits(Float64Array.from(z), o, h) as Float64Array);
const X = -Infinity;
const close = (a: number[], b: number[]) => a.forEach((v, i) => assert.ok(v === b[i] || Math.abs(v - b[i]) < 1e-12, `${i}: ${v} vs ${b[i]}`));

eachBackend('llama.cpp stages from hand-derived cases', () => {
  it('top-n-σ keeps logits within n population standard deviations of the max', () => {
    // mean 2, σ = √2: n = 1 cuts at 4 − 1.414, n = 2 at 4 − 2.828.
    assert.deepEqual(proc([0, 1, 2, 3, 4], { topNSigma: 1 }), [X, X, X, 3, 4]);
    assert.deepEqual(proc([0, 1, 2, 3, 4], { topNSigma: 2 }), [X, X, 2, 3, 4]);
    assert.deepEqual(proc([0, 1, 2, 3, 4], { topNSigma: 1, minKeep: 3 }), [X, X, 2, 3, 4]);
  });

  it('DRY penalises the token that would extend a repeat by multiplier·base^(length − allowed)', () => {
    const h = [0, 1, 2, 3, 0, 1, 2];
    // "0 1 2" repeats (length 3) and was followed by 3.
    assert.deepEqual(proc([0, 0, 0, 0.5, 0], { dryMultiplier: 1, dryBase: 1.75, dryAllowedLength: 2 }, h), [0, 0, 0, 0.5 - 1.75, 0]);
    assert.deepEqual(proc([0, 0, 0, 0.5, 0], { dryMultiplier: 2, dryAllowedLength: 3 }, h), [0, 0, 0, -1.5, 0]);
    assert.deepEqual(proc([0, 0, 0, 0.5, 0], { dryMultiplier: 1, dryAllowedLength: 4 }, h), [0, 0, 0, 0.5, 0]);
  });

  it('DRY matches no repeat across a sequence breaker', () => {
    const h = [0, 1, 2, 3, 0, 1, 2];
    // Token 1 breaks: the tail after it is one token, below the allowed length.
    assert.deepEqual(proc([0, 0, 0, 0.5, 0], { dryMultiplier: 1, dryAllowedLength: 2, drySequenceBreakers: [1] }, h), [0, 0, 0, 0.5, 0]);
    // The breaker "3 0" ends two tokens before the end: the repeat is capped at length 2 (exponent 0).
    assert.deepEqual(proc([0, 0, 0, 0.5, 0], { dryMultiplier: 1, dryAllowedLength: 2, drySequenceBreakers: [[3, 0]] }, h), [0, 0, 0, -0.5, 0]);
  });

  it('DRY never penalises a single-token breaker and reads only the last dryLastN tokens', () => {
    const h = [0, 1, 2, 3, 0, 1, 2];
    assert.deepEqual(proc([0, 0, 0, 0.5, 0], { dryMultiplier: 1, drySequenceBreakers: [3] }, h), [0, 0, 0, 0.5, 0]);
    assert.deepEqual(proc([0, 0, 0, 0.5, 0], { dryMultiplier: 1, dryLastN: 4 }, h), [0, 0, 0, 0.5, 0]);
  });

  it('XTC removes every token above the threshold but the least probable of them', () => {
    const z = [0.4, 0.3, 0.2, 0.1].map(Math.log);
    const got = proc(z, { xtcProbability: 1, xtcThreshold: 0.15, seed: 1 });
    assert.deepEqual(got, [X, X, z[2], z[3]]);
    assert.deepEqual(proc(z, { xtcProbability: 1, xtcThreshold: 0.15, minKeep: 4, seed: 1 }), z);
    assert.deepEqual(proc(z, { xtcProbability: 1, xtcThreshold: 0.35, seed: 1 }), z);
    assert.deepEqual(proc(z, { xtcProbability: 1, xtcThreshold: 0.6, seed: 1 }), z);
  });

  it('XTC acts on a fraction xtcProbability of the steps', () => {
    const z = Float64Array.from([0.4, 0.3, 0.2, 0.1].map(Math.log));
    const s = createSampler({ xtcProbability: 0.3, xtcThreshold: 0.15, seed: 7 });
    let cut = 0;
    const N = 4000;
    for (let t = 0; t < N; t++) if (s.next(z)[0] >= 2) cut++;
    // P(token ≥ 2) = 0.3·1 + 0.7·0.3 = 0.51; 5σ ≈ 0.04.
    assert.ok(Math.abs(cut / N - 0.51) < 0.04, `${cut / N}`);
  });

  it('mirostat v2 keeps the tokens whose surprise is at most μ = 2τ', () => {
    const z = [0.5, 0.25, 0.125, 0.125].map(Math.log);
    assert.deepEqual(proc(z, { mirostat: 2, mirostatTau: 1 }), [z[0], z[1], X, X]);
    assert.deepEqual(proc(z, { mirostat: 2, mirostatTau: 0.1 }), [z[0], X, X, X]);
  });

  it('mirostat v1 estimates the Zipf exponent and keeps its k', () => {
    // p_i ∝ i^−2: ŝ = 2, ε̂ = 1, k = (2^μ/(1 − 1/V))^(1/2) with μ = 2τ = 6, V = 200: √64.32 → 8.
    const z = Array.from({ length: 200 }, (_, i) => -2 * Math.log(i + 1));
    const got = proc(z, { mirostat: 1, mirostatTau: 3 });
    assert.equal(got.filter((v) => v > X).length, 8);
    assert.deepEqual(got.slice(0, 8), z.slice(0, 8));
  });

  it('mirostat updates μ from the surprise of each drawn token', () => {
    // τ = 1, η = 1: μ = 2 keeps {0, 1}; drawing 1 (surprise log2 3 over the kept pair) lowers μ to 2 − (log2 3 − 1) ≈ 1.415, which keeps only 0.
    const z = Float64Array.from([0.5, 0.25, 0.125, 0.125].map(Math.log));
    const s = createSampler({ mirostat: 2, mirostatTau: 1, mirostatEta: 1, rng: { nextUint32: () => 0, nextFloat: () => 0.9 } });
    assert.equal(s.next(z)[0], 1);
    assert.equal(s.next(z)[0], 0);
  });

  it('dynamic temperature maps the normalised entropy onto [T − δ, T + δ]', () => {
    const z = [Math.log(3), 0];
    const H = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
    const T = 0.5 + (H / Math.log(2));
    close(proc(z, { dynatempRange: 0.5 }), [Math.log(3) / T, 0]);
    const T2 = 0.5 + Math.pow(H / Math.log(2), 2);
    close(proc(z, { dynatempRange: 0.5, dynatempExponent: 2 }), [Math.log(3) / T2, 0]);
  });

  it('temperature 0 keeps the argmax alone, the lowest id on ties', () => {
    assert.deepEqual(proc([1, 3, 3, 2], { temperature: 0 }), [X, 3, X, X]);
  });

  it('the llama.cpp order runs the filters before temperature, the hf order after', () => {
    const z = [2, 1, 0, -1];
    // At T = 1, min-p 0.3 keeps e^(z − 2) ≥ 0.3: {0, 1}; at T = 0.5 (hf: temperature first) only {0}.
    assert.equal(proc(z, { minP: 0.3, temperature: 0.5 }).filter((v) => v > X).length, 2);
    assert.equal(proc(z, { minP: 0.3, temperature: 0.5, order: 'hf' }).filter((v) => v > X).length, 1);
  });
});

/** Pearson's chi-square statistic of observed counts against probabilities. */
function chiSquare(counts: number[], p: number[], N: number): number {
  return counts.reduce((s, c, i) => s + (c - N * p[i]) ** 2 / (N * p[i]), 0);
}

eachBackend('the chain’s draws follow the processed distribution (chi-square, fixed seeds)', () => {
  it('sample with penalties, top-k and temperature draws each kept token with its probability', () => {
    const z = [2, 1.5, 1, 0.5, 0, -0.5];
    const h = [0];
    const zp = [2 / 1.5, 1.5, 1, 0.5, 0, -0.5].map((v) => v / 0.8);
    const kept = [0, 1, 2];
    const e = kept.map((i) => Math.exp(zp[i]));
    const S = e.reduce((a, b) => a + b);
    const s = createSampler({ seed: 2024, repetitionPenalty: 1.5, lastN: -1, topK: 3, temperature: 0.8 });
    const N = 20000;
    const counts = [0, 0, 0];
    for (let t = 0; t < N; t++) counts[s.next(Float64Array.from(z), h)[0]]++;
    // df = 2: P(χ² > 13.8) = 0.001.
    assert.ok(chiSquare(counts, e.map((v) => v / S), N) < 13.8, `${counts}`);
  });

  it('typical and min-p draws stay inside the kept set in proportion', () => {
    const z = Float64Array.from([3, 2.5, 2, 1, 0, -1, -2]);
    const processed = processLogits(z, { typicalP: 0.9, minP: 0.05 }) as Float64Array;
    const ids = [...processed.keys()].filter((i) => processed[i] > -Infinity);
    const e = ids.map((i) => Math.exp(processed[i]));
    const S = e.reduce((a, b) => a + b);
    const counts = new Map<number, number>();
    const N = 20000;
    const s = createSampler({ seed: 99, typicalP: 0.9, minP: 0.05 });
    for (let t = 0; t < N; t++) {
      const k = s.next(z)[0];
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    assert.ok([...counts.keys()].every((k) => ids.includes(k)));
    // df ≤ 6: P(χ² > 22.5) = 0.001.
    assert.ok(chiSquare(ids.map((i) => counts.get(i) ?? 0), e.map((v) => v / S), N) < 22.5);
  });
});
