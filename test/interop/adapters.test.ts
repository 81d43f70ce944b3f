// sigmax/llm's adapters against the real npm packages, with synthetic logits from the seeded
// generator and a fake model step (no model download): transformers.js' LogitsProcessorList and
// generate() on a PreTrainedModel whose forward returns those logits (fakeLm.ts), web-llm's LogitProcessor
// type and MLCEngine's call sequence, onnxruntime-common's Tensor in a decode loop.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor as OrtTensor } from 'onnxruntime-common';
import * as transformers from '@huggingface/transformers';
import type { LogitProcessor } from '@mlc-ai/web-llm';
import * as sx from '../../src/index.js';
import { createOrtDecoder, createSampler, processLogits, sigmaxLogitsProcessor, WebLlmLogitProcessor, type DecodeOptions, type Sampler } from '../../src/llm/index.js';
import { uniform } from '../../src/core/rng.js';
import { float16FromBits, toFloat16Bits } from '../../src/core/float16.js';
import { FakeLM, type HfTensorLike, synth } from './fakeLm.js';

const { Tensor: HfTensor, LogitsProcessorList, LogitsProcessor } = transformers;
const V = 64;
const code = (c: string) => (e: unknown) => e instanceof sx.SigmaxError && e.code === c;

const finite = (z: ArrayLike<number>) => Array.from(z).filter((v) => v > -Infinity).length;
const argmax = (z: ArrayLike<number>) => Array.from(z).indexOf(Math.max(...Array.from(z)));

const prompt = () => new HfTensor('int64', [5n, 9n, 5n, 17n, 2n, 2n], [2, 3]);
const promptRows = [[5, 9, 5], [17, 2, 2]];

/** Replays a generate() run: createSampler on the logits the model produced, with each row's growing sequence as history. */
function replay(sampler: Sampler, seen: Float32Array[], start: number[][]): number[][] {
  const rows = start.map((r) => [...r]);
  for (const step of seen) {
    const t = sampler.next(sx.tensor(step, [rows.length, V]), rows.map((r) => Int32Array.from(r)));
    rows.forEach((r, i) => r.push(t[i]));
  }
  return rows;
}

describe('transformers.js: sigmaxLogitsProcessor', () => {
  const opts: DecodeOptions = { repetitionPenalty: 1.3, topK: 40, typicalP: 0.95, topP: 0.8, minP: 0.05, temperature: 0.7 };

  it('is an instance of transformers.js’ LogitsProcessor, built from the module or from the class', () => {
    assert.ok(sigmaxLogitsProcessor(transformers, opts) instanceof LogitsProcessor);
    assert.ok(sigmaxLogitsProcessor(LogitsProcessor, opts) instanceof LogitsProcessor);
    assert.throws(() => sigmaxLogitsProcessor({} as never, opts), code('INVALID_INPUT'));
    assert.throws(() => sigmaxLogitsProcessor(transformers, { topP: 2 }), code('INVALID_OPTION'));
  });

  it('in filter mode, through a LogitsProcessorList, gives processLogits’ values for each row with its input_ids as history, in a new Tensor', () => {
    const u = uniform(11);
    const data = synth(u, 2 * V);
    const logits = new HfTensor('float32', data.slice(), [2, V]);
    const ids = [[3n, 7n, 3n, 50n], [1n, 2n]];
    const list = new LogitsProcessorList();
    list.push(sigmaxLogitsProcessor(transformers, { ...opts, draw: false }));
    const out = list(ids, logits) as unknown as HfTensorLike;
    assert.ok(out instanceof HfTensor);
    assert.deepEqual(out.dims, [2, V]);
    assert.deepEqual([...logits.data], [...data]);
    const ref = processLogits(sx.tensor(data, [2, V]), opts, [[3, 7, 3, 50], [1, 2]]) as sx.Tensor;
    assert.deepEqual([...out.data], [...ref.data]);
  });

  it('top-p, min-p and typical-p each cut the vocabulary, to the set processLogits keeps, and top-p keeps at least p of the mass', () => {
    const row = synth(uniform(12), V);
    const p = sx.softmax(Float64Array.from(row));
    for (const o of [{ topP: 0.5 }, { minP: 0.2 }, { typicalP: 0.5 }] as DecodeOptions[]) {
      const proc = sigmaxLogitsProcessor(transformers, { ...o, draw: false }) as unknown as (ids: bigint[][], l: unknown) => HfTensorLike;
      const z = proc([[]], new HfTensor('float32', row, [1, V])).data;
      const kept = finite(z);
      assert.ok(kept > 0 && kept < V / 2, `${JSON.stringify(o)} kept ${kept} of ${V}`);
      assert.deepEqual([...z], [...(processLogits(row, o) as Float32Array)]);
      if (o.topP !== undefined) {
        const mass = Array.from(z).reduce((s, v, i) => (v > -Infinity ? s + p[i] : s), 0);
        assert.ok(mass >= 0.5);
      }
    }
  });

  it('generate() on a fake model, in draw mode, yields the tokens createSampler draws from the same logits, histories and seed', async () => {
    const o: DecodeOptions = { ...opts, seed: 7 };
    const model = new FakeLM(21, V);
    const list = new LogitsProcessorList();
    list.push(sigmaxLogitsProcessor(transformers, o));
    const out = await model.generate({ input_ids: prompt(), max_new_tokens: 8, logits_processor: list });
    assert.deepEqual(out.dims, [2, 11]);
    assert.equal(model.seen.length, 8);
    const expected = replay(createSampler(o), model.seen, promptRows);
    assert.deepEqual(out.tolist().map((r) => r.map(Number)), expected);
  });

  it('generate() in draw mode carries mirostat’s μ across steps, and reset() starts it over', async () => {
    const o: DecodeOptions = { mirostat: 2, mirostatTau: 1.5, mirostatEta: 1, seed: 3 };
    const proc = sigmaxLogitsProcessor(transformers, o);
    const run = async (model: FakeLM) => {
      const list = new LogitsProcessorList();
      list.push(proc);
      return (await model.generate({ input_ids: prompt(), max_new_tokens: 6, logits_processor: list })).tolist().map((r) => r.map(Number));
    };
    const [m1, m2, m3] = [new FakeLM(31, V), new FakeLM(32, V), new FakeLM(32, V)];
    const first = await run(m1);
    const carried = await run(m2);
    proc.reset();
    const fresh = await run(m3);
    const s = createSampler(o);
    assert.deepEqual(first, replay(s, m1.seen, promptRows));
    assert.deepEqual(carried, replay(s, m2.seen, promptRows));
    s.reset();
    assert.deepEqual(fresh, replay(s, m3.seen, promptRows));
    // The same logits after a reset and after a run that left μ moved: the generator runs on in both, and μ alone differs.
    const a = createSampler(o);
    const b = createSampler(o);
    replay(a, m1.seen, promptRows);
    replay(b, m1.seen, promptRows);
    b.reset();
    assert.notDeepEqual(replay(a, m2.seen, promptRows), replay(b, m2.seen, promptRows));
  });

  it('generate() in filter mode with do_sample lets transformers.js draw only tokens the chain kept', async () => {
    const o: DecodeOptions = { topP: 0.3, repetitionPenalty: 1.5 };
    const model = new FakeLM(41, V);
    const list = new LogitsProcessorList();
    list.push(sigmaxLogitsProcessor(transformers, { ...o, draw: false }));
    const out = await model.generate({ input_ids: prompt(), max_new_tokens: 10, do_sample: true, top_k: 0, temperature: 1, logits_processor: list });
    const rows = out.tolist().map((r) => r.map(Number));
    model.seen.forEach((step, k) => {
      for (let b = 0; b < 2; b++) {
        const history = rows[b].slice(0, 3 + k);
        const z = processLogits(step.subarray(b * V, (b + 1) * V), o, history) as Float32Array;
        assert.ok(finite(z) < V / 4);
        assert.ok(z[rows[b][3 + k]] > -Infinity, `step ${k}, row ${b}: token ${rows[b][3 + k]} was removed`);
      }
    });
  });
});

describe('web-llm: WebLlmLogitProcessor', () => {
  /** MLCEngine's order of calls: processLogits on the CPU logits, its sampler (here argmax), processSampledToken. */
  function engineLoop(p: LogitProcessor, steps: Float32Array[]): { tokens: number[]; processed: Float32Array[] } {
    const tokens: number[] = [];
    const processed: Float32Array[] = [];
    for (const logits of steps) {
      const z = p.processLogits(logits);
      processed.push(z);
      const t = argmax(z);
      p.processSampledToken(t);
      tokens.push(t);
    }
    return { tokens, processed };
  }
  const u = uniform(51);
  const steps = Array.from({ length: 12 }, () => synth(u, V));

  it('has web-llm’s LogitProcessor shape (its own type from @mlc-ai/web-llm) and does not write its input', () => {
    const p: LogitProcessor = new WebLlmLogitProcessor({ topK: 10 });
    for (const m of ['processLogits', 'processSampledToken', 'resetState'] as const) assert.equal(typeof p[m], 'function');
    const x = steps[0].slice();
    const z = p.processLogits(x);
    assert.ok(z instanceof Float32Array && z.length === V && z !== x);
    assert.deepEqual([...x], [...steps[0]]);
  });

  it('in filter mode gives processLogits with the sampled tokens as history, so the penalties and DRY see them', () => {
    const o: DecodeOptions = { repetitionPenalty: 1.4, frequencyPenalty: 0.3, dryMultiplier: 0.8, dryAllowedLength: 1, topK: 20, minP: 0.05 };
    const p = new WebLlmLogitProcessor({ ...o, draw: false });
    const { tokens, processed } = engineLoop(p, steps);
    processed.forEach((z, k) => assert.deepEqual([...z], [...(processLogits(steps[k], o, tokens.slice(0, k)) as Float32Array)]));
    assert.deepEqual(p.tokens, tokens);
    assert.ok(processed.every((z) => finite(z) <= 20));
  });

  it('in draw mode returns one finite logit, at createSampler’s token for the same seed and history, with mirostat’s μ carried and reset by resetState', () => {
    const o: DecodeOptions = { mirostat: 2, mirostatTau: 1.5, mirostatEta: 1, repetitionPenalty: 1.2, seed: 9 };
    const p = new WebLlmLogitProcessor(o);
    const s = createSampler(o);
    const expect = (from: Float32Array[]) => {
      const h: number[] = [];
      for (const l of from) h.push(s.next(l, h)[0]);
      return h;
    };
    const first = engineLoop(p, steps.slice(0, 6));
    assert.ok(first.processed.every((z) => finite(z) === 1));
    assert.deepEqual(first.tokens, expect(steps.slice(0, 6)));
    p.resetState();
    s.reset();
    assert.deepEqual(p.tokens, []);
    assert.deepEqual(engineLoop(p, steps.slice(6)).tokens, expect(steps.slice(6)));
  });
});

describe('onnxruntime: createOrtDecoder', () => {
  /** A fake decoder step: [batch, seq, V] float32 logits from the generator for the ids fed. */
  const fakeStep = (u: () => number) => (inputIds: OrtTensor) => {
    const [B, S] = inputIds.dims;
    return new OrtTensor('float32', synth(u, B * S * V), [B, S, V]);
  };
  const lastRows = (t: OrtTensor) => {
    const [B, S] = t.dims;
    const d = t.data as Float32Array;
    const out = new Float32Array(B * V);
    for (let b = 0; b < B; b++) out.set(d.subarray((b * S + S - 1) * V, (b * S + S) * V), b * V);
    return out;
  };

  it('drives a decode loop from a [1, seq, V] float32 Tensor to BigInt64Array input_ids, as createSampler would on the last position', () => {
    const o: DecodeOptions = { topP: 0.9, minP: 0.02, repetitionPenalty: 1.3, temperature: 0.8, seed: 5 };
    const decoder = createOrtDecoder(o);
    const step = fakeStep(uniform(61));
    const promptIds = BigInt64Array.of(4n, 8n, 15n, 16n);
    let input = new OrtTensor('int64', promptIds, [1, 4]);
    const outputs: OrtTensor[] = [];
    const ids: bigint[] = [];
    for (let k = 0; k < 10; k++) {
      const logits = step(input);
      outputs.push(logits);
      const next = decoder.next(logits, k === 0 ? promptIds : undefined);
      assert.ok(next instanceof BigInt64Array && next.length === 1);
      ids.push(next[0]);
      input = new OrtTensor('int64', next, [1, 1]);
    }
    const s = createSampler(o);
    const h = [4, 8, 15, 16];
    for (const t of outputs) h.push(s.next(lastRows(t), h)[0]);
    assert.deepEqual(ids.map(Number), h.slice(4));
    assert.deepEqual(outputs.map((t) => t.dims[1]), [4, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('reads float16 logits (Uint16Array bits) as their float32 values, and a batch [2, seq, V] one id per row', () => {
    const o: DecodeOptions = { topK: 30, typicalP: 0.9, seed: 8 };
    const u = uniform(62);
    const values = synth(u, 2 * 3 * V);
    const bits = Uint16Array.from(values, toFloat16Bits);
    const half = new OrtTensor('float16', bits, [2, 3, V]);
    const history = [BigInt64Array.of(1n, 2n), BigInt64Array.of(3n)];
    const got = createOrtDecoder(o).next(half, history);
    assert.ok(got instanceof BigInt64Array && got.length === 2);
    const rounded = Float32Array.from(bits, float16FromBits);
    const rows = lastRows(new OrtTensor('float32', rounded, [2, 3, V]));
    const want = createSampler(o).next(sx.tensor(rows, [2, V]), history);
    assert.deepEqual([...got].map(Number), [...want]);
  });

  it('carries mirostat’s μ and each row’s tokens across steps, and reset() forgets them', () => {
    const o: DecodeOptions = { mirostat: 1, mirostatTau: 2, mirostatEta: 0.8, presencePenalty: 1, seed: 13 };
    const u = uniform(63);
    const steps = Array.from({ length: 8 }, () => new OrtTensor('float32', synth(u, V), [1, 1, V]));
    const d = createOrtDecoder(o);
    const ours = steps.map((t, k) => {
      if (k === 4) d.reset();
      return Number(d.next(t)[0]);
    });
    const s = createSampler(o);
    const theirs = steps.map((t, k) => {
      if (k === 4) s.reset();
      return s.next(t.data as Float32Array)[0];
    });
    assert.deepEqual(ours, theirs);
  });

  it('step reports the ids with their log-probabilities, and a rank-4 tensor is refused', () => {
    const t = new OrtTensor('float32', synth(uniform(64), V), [1, 1, V]);
    const r = createOrtDecoder({ seed: 1, logProbs: true }).step(t);
    assert.equal(r.ids[0], BigInt(r.tokens[0]));
    assert.ok(r.logProbs !== undefined && r.logProbs[0] <= 0);
    assert.throws(() => createOrtDecoder().next(new OrtTensor('float32', new Float32Array(V), [1, 1, 1, V])), code('SHAPE_MISMATCH'));
  });
});
