// float16 accuracy on both backends against correctly rounded mpmath references
// (test/fixtures/float16/gen.py): float16 logits in, a float16 out, each result within 1 ulp of
// float16 (the bound the float32 fixtures hold for float32). The worst distance per op is reported.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as sx from '../../src/index.js';
import { eachBackend } from '../helpers/backends.js';

interface Case {
  op: 'softmax' | 'logSoftmax' | 'sigmoid' | 'crossEntropy';
  shape: number[];
  x: number[];
  target?: number[];
  want: number[];
}
const { cases } = JSON.parse(readFileSync(new URL('../fixtures/float16/float16.json', import.meta.url), 'utf8')) as { cases: Case[] };

/** float16 bits on a line where neighbours differ by 1 (−0 and +0 both 0). */
const ordered = (b: number) => (b & 0x8000 ? -(b & 0x7fff) : b);

function run(c: Case): Uint16Array {
  const x = { data: Uint16Array.from(c.x), dims: c.shape, type: 'float16' as const };
  const out = { data: new Uint16Array(c.want.length), dims: [c.want.length], type: 'float16' as const };
  if (c.op === 'crossEntropy') sx.crossEntropy(x, Int32Array.from(c.target!), { reduction: 'none', out });
  else if (c.op === 'sigmoid') sx.sigmoid(x, { out });
  else sx[c.op](x, { out });
  return out.data;
}

eachBackend('float16 accuracy', () => {
  it('float16 in and out: every result within 1 ulp of the correctly rounded float16', (t) => {
    const worst: Record<string, number> = {};
    for (const c of cases) {
      const got = run(c);
      for (let i = 0; i < c.want.length; i++) {
        const d = Math.abs(ordered(got[i]) - ordered(c.want[i]));
        worst[c.op] = Math.max(worst[c.op] ?? 0, d);
        assert.ok(d <= 1, `${c.op} ${JSON.stringify(c.shape)} at ${i}: got 0x${got[i].toString(16)}, want 0x${c.want[i].toString(16)}`);
      }
    }
    t.diagnostic(`worst float16 ulps: ${JSON.stringify(worst)}`);
  });
});
