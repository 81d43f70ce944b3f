// Accuracy of the elementwise activations against the exact (mpmath) fixtures of
// test/fixtures/activations/gen.py. Every case goes through the public API as a whole
// Float32Array or Float64Array; errors are in ulps of the exact value (helpers/fixtures.ts:
// ulpError), grouped per op × dtype × range. Bounds: float32 1 ulp, float64 2 ulp, for the
// forward ops and their backwards alike; a non-finite expectation must match exactly.
import { OPS as MANIFEST, opByName, opsWhere } from '../../src/ops/manifest.js';
import { type Exact, loadFixture, num, nums, ulpError } from '../helpers/fixtures.js';

export interface Measurement {
  op: string;
  dtype: 'float32' | 'float64';
  range: string;
  what: 'value' | 'grad' | 'loss';
  count: number;
  maxUlp: number;
  bound: number;
  worstInput?: string;
}

type Dtype = 'float32' | 'float64';

interface Case {
  op: string;
  dtype: Dtype;
  range: string;
  options?: { beta: string; threshold: string };
  x: string[];
  dy?: string[];
  expected: Exact[];
}

interface Fixture {
  dps: number;
  cases: Case[];
}

/** The activation ops of the op manifest, all measured on the one fixture they share. */
export const OPS = opsWhere((o) => o.family === 'activations').map((o) => o.name);
const FILE = MANIFEST.sigmoid.fixtures[0];

/** The bound in ulps of the exact value for every activation output. */
export function boundFor(dtype: Dtype): number {
  return dtype === 'float32' ? 1 : 2;
}

export function loadActivations(): Fixture {
  return loadFixture<Fixture>(FILE);
}

const array = (dtype: Dtype, v: number[]) => (dtype === 'float32' ? Float32Array.from(v) : Float64Array.from(v));

/** Runs one fixture case through the public API and returns its outputs. */
export function run(c: Case): Float32Array | Float64Array {
  const x = array(c.dtype, nums(c.x));
  const opts = c.options ? { beta: num(c.options.beta), threshold: num(c.options.threshold) } : undefined;
  const dy = c.dy ? array(c.dtype, nums(c.dy)) : undefined;
  const op = opByName(c.op);
  if (!op || op.family !== 'activations') throw new Error(`activations fixture: unknown op ${c.op}`);
  // the manifest's inputs in call order: (x) or (dy, x)
  const args = op.inputs.map((i) => (i.role === 'dy' ? dy! : x));
  return op.fn(...args, opts) as Float32Array | Float64Array;
}

function describeInput(c: Case, i: number, got: number): string {
  const parts = [`x=${c.x[i]}`];
  if (c.dy) parts.push(`dy=${c.dy[i]}`);
  if (c.options) parts.push(`beta=${c.options.beta}`, `threshold=${c.options.threshold}`);
  const [hi, lo] = c.expected[i];
  return `${parts.join(', ')}: got ${got}, exact ${hi} + ${lo}`;
}

export function measure(): Measurement[] {
  const groups = new Map<string, Measurement>();
  for (const c of loadActivations().cases) {
    const got = run(c);
    const key = `${c.op}|${c.dtype}|${c.range}`;
    let m = groups.get(key);
    if (!m) {
      m = {
        op: c.op,
        dtype: c.dtype,
        range: c.range,
        what: c.op.endsWith('Backward') ? 'grad' : 'value',
        count: 0,
        maxUlp: 0,
        bound: boundFor(c.dtype),
      };
      groups.set(key, m);
    }
    for (let i = 0; i < c.expected.length; i++) {
      const err = ulpError(got[i], c.expected[i], c.dtype);
      m.count++;
      if (err > m.maxUlp || m.worstInput === undefined) {
        if (err > m.maxUlp) m.maxUlp = err;
        m.worstInput = describeInput(c, i, got[i]);
      }
    }
  }
  return [...groups.values()];
}
