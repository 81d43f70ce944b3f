// Runs the README's decoding-adapter snippets (the ```ts blocks of "In transformers.js, web-llm
// and onnxruntime" under Decoding) as written: each is copied into a temporary module beside this
// file (so the real peers resolve), with 'sigmax/llm' pointed at src/, and run with weightless
// stand-ins as the globals `model`, `inputs` and `session` (fakeLm.ts); its results are then
// replayed through createSampler on the logits the stand-in produced.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Tensor as HfTensor } from '@huggingface/transformers';
import type { MLCEngine } from '@mlc-ai/web-llm';
import * as sx from '../../src/index.js';
import { createSampler, WebLlmLogitProcessor, type DecodeOptions } from '../../src/llm/index.js';
import { FakeLM, FakeOrtSession, type HfTensorLike, synth } from './fakeLm.js';
import { uniform } from '../../src/core/rng.js';

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, '../../README.md'), 'utf8');
const heading = '\n#### In transformers.js, web-llm and onnxruntime';
const start = readme.indexOf(heading);
const section = readme.slice(start, readme.indexOf('\n#', start + heading.length));
const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
const llm = pathToFileURL(join(here, '../../src/llm/index.ts')).href;
const globals = globalThis as Record<string, unknown>;

let dir: string;
/** Imports one snippet, exporting every const it declares. */
async function run(i: number): Promise<Record<string, unknown>> {
  const code = blocks[i].replace(/from 'sigmax\/llm'/g, `from '${llm}'`);
  const names = [...code.matchAll(/^const (\w+)/gm)].map((m) => m[1]);
  const file = join(dir, `block${i}.ts`);
  writeFileSync(file, `${code}\nexport { ${names.join(', ')} };\n`);
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

describe('the README decoding-adapter snippets', () => {
  before(() => {
    dir = mkdtempSync(join(here, '.decoding-readme-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    for (const k of ['model', 'inputs', 'session']) delete globals[k];
  });

  it('has the three snippets: transformers.js, web-llm and onnxruntime', () => {
    assert.ok(start > 0);
    assert.equal(blocks.length, 3);
  });

  it('the transformers.js snippet generates with sigmax drawing: the tokens createSampler draws from the model’s logits with its options and seed', async () => {
    const V = 1000;
    const model = new FakeLM(71, V);
    globals.model = model;
    globals.inputs = { input_ids: new HfTensor('int64', [12n, 7n, 12n, 99n], [1, 4]) };
    const { output } = (await run(0)) as { output: HfTensorLike };
    assert.deepEqual(output.dims, [1, 20]);
    const ids = output.tolist()[0].map(Number);
    assert.deepEqual(ids.slice(0, 4), [12, 7, 12, 99]);
    const s = createSampler({ topP: 0.9, minP: 0.05, temperature: 0.8, seed: 1 });
    const h = [12, 7, 12, 99];
    for (const step of model.seen) h.push(s.next(step, h)[0]);
    assert.equal(model.seen.length, 16);
    assert.deepEqual(ids, h);
  });

  it('the web-llm snippet registers the processor for the model, and it draws createSampler’s tokens in MLCEngine’s call order', async () => {
    const { modelId, processor, engine } = (await run(1)) as { modelId: string; processor: WebLlmLogitProcessor; engine: MLCEngine };
    assert.equal((engine as unknown as { logitProcessorRegistry: Map<string, unknown> }).logitProcessorRegistry.get(modelId), processor);
    const o: DecodeOptions = { topK: 40, minP: 0.05, repetitionPenalty: 1.1, dryMultiplier: 0.8, seed: 1 };
    const s = createSampler(o);
    const u = uniform(72);
    const h: number[] = [];
    for (let k = 0; k < 12; k++) {
      const logits = synth(u, 500);
      const z = processor.processLogits(logits);
      const token = z.indexOf(0);
      assert.equal(z.filter((v) => v > -Infinity).length, 1);
      assert.equal(token, s.next(logits, h)[0]);
      processor.processSampledToken(token);
      h.push(token);
    }
    assert.deepEqual(processor.tokens, h);
    processor.resetState();
    assert.deepEqual(processor.tokens, []);
  });

  it('the onnxruntime snippet decodes 16 BigInt64 ids, each createSampler’s token on the last position of the session’s logits', async () => {
    const session = new FakeOrtSession(73, 151936);
    globals.session = session;
    const { generated, prompt } = (await run(2)) as { generated: bigint[]; prompt: BigInt64Array };
    assert.equal(generated.length, 16);
    assert.ok(generated.every((t) => typeof t === 'bigint'));
    const s = createSampler({ topP: 0.9, minP: 0.05, repetitionPenalty: 1.1, temperature: 0.8, seed: 1 });
    const h = [...prompt].map(Number);
    for (const step of session.seen) h.push(s.next(sx.tensor(step, [1, step.length]), h)[0]);
    assert.deepEqual(generated.map(Number), h.slice(3));
  });
});
