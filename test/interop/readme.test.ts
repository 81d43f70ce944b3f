// Runs the README's Interop snippets as written: each ```ts block of that section is copied into
// a temporary module beside this file (so the real peers resolve), with 'sigmax' pointed at src/,
// imported, and its values checked against the same computation on sigmax's own arrays.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as sx from '../../src/index.js';
import { toFloat16Bits } from '../../src/core/float16.js';

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, '../../README.md'), 'utf8');
const section = readme.slice(readme.indexOf('\n## Interop'), readme.indexOf('\n## ', readme.indexOf('\n## Interop') + 1));
const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
const src = pathToFileURL(join(here, '../../src/index.ts')).href;

let dir: string;
/** Imports one snippet, exporting every const it declares. */
async function run(i: number): Promise<Record<string, unknown>> {
  const code = blocks[i].replace(/from 'sigmax'/g, `from '${src}'`);
  const names = [...code.matchAll(/^const (\w+)/gm)].map((m) => m[1]);
  const file = join(dir, `block${i}.ts`);
  writeFileSync(file, `${code}\nexport { ${names.join(', ')} };\n`);
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

const f32 = (v: number[], shape: number[]) => sx.tensor(Float32Array.from(v), shape);

describe('the README Interop snippets', () => {
  before(() => {
    dir = mkdtempSync(join(here, '.readme-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('has the four snippets: onnxruntime, transformers.js, tfjs and float16', () => {
    assert.equal(blocks.length, 4);
  });

  it('the onnxruntime snippet gives the softmax and the loss of the same Float32Array logits', async () => {
    const { p, loss } = (await run(0)) as { p: sx.Tensor; loss: number };
    const x = f32([2, 1, 0.1, 0.5, 2.5, -1], [2, 3]);
    assert.deepEqual(p.shape, [2, 3]);
    assert.deepEqual([...p.data], [...sx.softmax(x).data]);
    assert.equal(loss, sx.crossEntropy(x, [0, 1]));
    assert.ok(Math.abs(loss - 0.2851) < 1e-4);
  });

  it('the transformers.js snippet gives log-probabilities', async () => {
    const { lp } = (await run(1)) as { lp: sx.Tensor };
    assert.deepEqual(lp.shape, [1, 3]);
    assert.deepEqual([...lp.data], [...sx.logSoftmax(f32([3, 1, 0.2], [1, 3])).data]);
    assert.ok(Math.abs(lp.data[0] - -0.1791) < 1e-4);
  });

  it('the tfjs snippet gives the loss and a kept copy', async () => {
    const { ce, kept } = (await run(2)) as { ce: number; kept: sx.Tensor };
    const x = f32([2, 1, 0.1, 0.5, 2.5, -1], [2, 3]);
    assert.equal(ce, sx.crossEntropy(x, [0, 1]));
    assert.deepEqual(kept.shape, [2, 3]);
    assert.deepEqual([...kept.data], [...x.data]);
  });

  it('the float16 snippet gives float32 results and once-rounded float16 bits in out', async () => {
    const { p16, out } = (await run(3)) as { p16: Float32Array; out: { data: Uint16Array } } & Record<string, unknown>;
    const halfValues = [2, 1, 0.0999755859375];
    assert.ok((p16 as unknown as sx.Tensor).data instanceof Float32Array);
    assert.deepEqual([...(p16 as unknown as sx.Tensor).data], [...sx.softmax(Float32Array.from(halfValues))]);
    assert.deepEqual([...out.data], Array.from(sx.softmax(Float64Array.from(halfValues)), toFloat16Bits));
  });
});
