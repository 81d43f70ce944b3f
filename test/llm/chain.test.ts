// Reference parity of the decoding chain with Hugging Face transformers' logits processors
// (fixtures from test/fixtures/sampling/gen_hf.py, float64) on both backends, and the chain's
// API contract: shapes, element types, batched rows with histories, BigInt64 ids, errors.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SigmaxError, tensor } from '../../src/index.js';
import { createSampler, processLogits, sample, type DecodeOptions } from '../../src/llm/index.js';
import { eachBackend } from '../helpers/backends.js';

interface Case {
  name: string;
  logits: (number | string)[][];
  history: number[][] | null;
  options: Record<string, unknown>;
  expected: (number | string)[][];
}
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/sampling/hf.json', import.meta.url), 'utf8')) as { generator: string; cases: Case[] };
const num = (v: number | string) => (v === '-inf' ? -Infinity : (v as number));

function options(o: Record<string, unknown>): DecodeOptions {
  const out = { ...o } as Record<string, unknown>;
  if (o.logitBias !== undefined) out.logitBias = Object.fromEntries(Object.entries(o.logitBias as Record<string, number | string>).map(([k, v]) => [k, num(v)]));
  return out as DecodeOptions;
}

eachBackend('processLogits matches HF transformers logits processors', () => {
  for (const c of fixtures.cases) {
    it(`gives HF's processed logits for ${c.name} (${fixtures.generator})`, () => {
      c.logits.forEach((row, r) => {
        const z = Float64Array.from(row, num);
        const got = processLogits(z, options(c.options), c.history?.[r]) as Float64Array;
        const want = c.expected[r].map(num);
        for (let i = 0; i < z.length; i++) {
          if (want[i] === -Infinity) assert.equal(got[i], -Infinity, `row ${r} token ${i} should be removed`);
          else assert.ok(Math.abs(got[i] - want[i]) <= 1e-12 * Math.max(1, Math.abs(want[i])), `row ${r} token ${i}: ${got[i]} vs HF ${want[i]}`);
        }
      });
    });
  }
});

eachBackend('processLogits and createSampler on batches and input forms', () => {
  it('processes every row of a [B, V] tensor with one history per row', () => {
    const z = tensor(Float64Array.from([1, 2, 3, 4, 4, 3, 2, 1]), [2, 4]);
    const out = processLogits(z, { repetitionPenalty: 2, lastN: -1, order: ['penalties'] }, [[3], BigInt64Array.from([0n])]) as { data: Float64Array; shape: number[] };
    assert.deepEqual(out.shape, [2, 4]);
    assert.deepEqual(Array.from(out.data), [1, 2, 3, 2, 2, 3, 2, 1]);
  });

  it('keeps float32 in and float32 out, with −∞ where a token is removed', () => {
    const out = processLogits(Float32Array.from([0.5, 3, 1, 2]), { topK: 2 });
    assert.ok(out instanceof Float32Array);
    assert.deepEqual(Array.from(out as Float32Array), [-Infinity, 3, -Infinity, 2]);
  });

  it('reads a BigInt64Array history exactly', () => {
    const out = processLogits(Float64Array.from([1, 1, 1]), { presencePenalty: 1, lastN: -1 }, BigInt64Array.from([2n, 2n])) as Float64Array;
    assert.deepEqual(Array.from(out), [1, 1, 0]);
  });

  it('rejects a history id that is not a token id', () => {
    assert.throws(() => processLogits([1, 2], { presencePenalty: 1 }, [-3]), SigmaxError);
  });

  it('draws one token per row and records it as the next step’s history', () => {
    const s = createSampler({ seed: 5, presencePenalty: 100, lastN: -1, temperature: 0 });
    const z = tensor(Float64Array.from([5, 4, 3, 0, 1, 2]), [2, 3]);
    assert.deepEqual(Array.from(s.next(z)), [0, 2]);
    assert.deepEqual(Array.from(s.next(z)), [1, 1]);
    s.reset();
    assert.deepEqual(Array.from(s.next(z)), [0, 2]);
  });

  it('gives the same tokens for the same seed, and sample equals a fresh sampler’s first step in the same order', () => {
    const z = Float64Array.from({ length: 200 }, (_, i) => Math.sin(i * 1.7) * 3);
    const o = { seed: 11, topK: 50, topP: 0.9, repetitionPenalty: 1.3, order: 'llama.cpp' as const };
    const a = createSampler(o);
    const b = createSampler(o);
    for (let t = 0; t < 20; t++) assert.deepEqual(a.next(z), b.next(z));
    assert.equal(sample(z, { ...o, history: [] }), createSampler(o).next(z)[0]);
  });

  it('reports raw and processed log-probabilities with the k most probable tokens', () => {
    const z = Float64Array.from([0, Math.log(2), Math.log(4), Math.log(1)]);
    const raw = sample(z, { temperature: 0, logProbs: true, topLogProbs: 2 });
    assert.deepEqual(Array.from(raw.tokens), [2]);
    assert.ok(Math.abs(raw.logProbs![0] - Math.log(4 / 8)) < 1e-15);
    assert.deepEqual(Array.from(raw.topIds!), [2, 1]);
    const proc = sample(z, { seed: 1, topK: 2, logProbs: true, logProbsOf: 'processed' });
    const t = proc.tokens[0];
    assert.ok(Math.abs(proc.logProbs![0] - Math.log((t === 2 ? 4 : 2) / 6)) < 1e-15);
  });

  it('throws when the chain removes every token', () => {
    assert.throws(() => sample([1, 2], { bannedTokens: [0, 1], seed: 1 }), SigmaxError);
    assert.deepEqual(Array.from(processLogits([1, 2], { bannedTokens: [0, 1] }) as Float64Array), [-Infinity, -Infinity]);
  });

  it('rejects an unknown stage name in order', () => {
    assert.throws(() => processLogits([1, 2], { order: ['topK', 'nope' as 'topK'] }), SigmaxError);
  });
});
