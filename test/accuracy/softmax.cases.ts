// Accuracy of the softmax family against the exact fixtures of test/fixtures/softmax/gen.py.
//
// Every case is a [rows, C] tensor (Float32Array or Float64Array data) reduced along axis -1 and
// goes through the public API; rows of length 1e6 are built from their recipe (z_i = start + i·step)
// and checked at the stored probe indices. Errors are in ulps of the exact value
// (helpers/fixtures.ts: ulpError), grouped per op × dtype × range.
//
// Bounds (per element): float32 1 ulp for every op; float64 4 ulp for softmax, logSumExp,
// softmaxJacobian, softmaxJvp, softmaxBackward and logSoftmaxBackward, and for logSoftmax
// max(4 ulp, 4·eps·|logSumExp|) with eps = 2^-52 and logSumExp = log Σ e^(z/T) of the row (the
// absolute error of z_i/T − logSumExp expressed in ulps of the element). A non-finite expectation
// must match exactly. Because the logSoftmax bound differs per element, a Measurement reports the
// element whose error is the largest fraction of its own bound: `maxUlp` is that element's error and
// `bound` its bound, so maxUlp ≤ bound holds exactly when every element is within its bound.
import * as sx from '../../src/index.js';
import { opByName, opsWhere } from '../../src/ops/manifest.js';
import { type Exact, loadFixture, num, nums, ulp32, ulp64, ulpError } from '../helpers/fixtures.js';

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
type FArray = Float32Array | Float64Array;

interface Recipe {
  kind: 'arith';
  start: string;
  step: string;
  n: number;
}

export interface SoftmaxCase {
  op: string;
  dtype: Dtype;
  range: string;
  shape: [number, number];
  options?: { temperature?: string; allMasked?: 'nan' | 'zero' };
  x?: string[];
  v?: string[];
  dy?: string[];
  y?: string[];
  recipe?: Recipe;
  probes?: number[];
  lse?: string[];
  expected: Exact[];
}

interface Fixture {
  dps: number;
  cases: SoftmaxCase[];
}

const FAMILY = opsWhere((o) => o.family === 'softmax');
/** The softmax family's fixture files and ops, from the op manifest. */
export const FILES = [...new Set(FAMILY.flatMap((o) => o.fixtures))];
export const OPS = FAMILY.map((o) => o.name);
const EPS64 = 2 ** -52;

export function loadSoftmaxCases(): SoftmaxCase[] {
  return FILES.flatMap((f) => loadFixture<Fixture>(f).cases);
}

const array = (dtype: Dtype, v: number[]): FArray => (dtype === 'float32' ? Float32Array.from(v) : Float64Array.from(v));

/** The row z_i = start + i·step (exact in both dtypes for the fixture recipes). */
export function buildRecipe(r: Recipe, dtype: Dtype): FArray {
  const start = num(r.start);
  const step = num(r.step);
  const a = dtype === 'float32' ? new Float32Array(r.n) : new Float64Array(r.n);
  for (let i = 0; i < r.n; i++) a[i] = start + i * step;
  return a;
}

function input(c: SoftmaxCase, name: 'x' | 'v' | 'dy' | 'y'): sx.Tensor {
  if (name === 'x' && c.recipe) return sx.tensor(buildRecipe(c.recipe, c.dtype), c.shape);
  const data = c[name];
  if (!data) throw new Error(`softmax fixture: ${c.op} case without ${name}`);
  return sx.tensor(array(c.dtype, nums(data)), c.shape);
}

/** Runs one fixture case through the public API and returns all its outputs (flat, row-major). */
export function run(c: SoftmaxCase): FArray {
  const o = c.options ?? {};
  const temperature = o.temperature === undefined ? undefined : num(o.temperature);
  const soft = { ...(temperature === undefined ? {} : { temperature }), ...(o.allMasked ? { allMasked: o.allMasked } : {}) };
  const op = opByName(c.op);
  if (!op || op.family !== 'softmax') throw new Error(`softmax fixture: unknown op ${c.op}`);
  // the manifest's inputs in call order, e.g. (x), (dy, y), (x, v); only softmax and logSoftmax take the temperature and mask
  const args = op.inputs.map((i) => input(c, i.name as 'x' | 'v' | 'dy' | 'y'));
  return (op.fn(...args, op.kind === 'softmax' ? soft : {}) as sx.Tensor).data as FArray;
}

/** Index into the output for expected[k] (probe indices for recipe rows). */
const outIndex = (c: SoftmaxCase, k: number) => (c.probes ? c.probes[k] : k);

/** The row of the input that expected[k] belongs to. */
function rowOf(c: SoftmaxCase, k: number): number {
  const C = c.shape[1];
  if (c.op === 'logSumExp') return k;
  if (c.op === 'softmaxJacobian') return Math.floor(k / (C * C));
  return Math.floor(outIndex(c, k) / C);
}

/** Bound in ulps of expected[k]. */
export function boundOf(c: SoftmaxCase, k: number): number {
  if (c.dtype === 'float32') return 1;
  if (c.op !== 'logSoftmax') return 4;
  const lse = Math.abs(num(c.lse![c.recipe ? 0 : rowOf(c, k)]));
  const hi = num(c.expected[k][0]);
  if (!Number.isFinite(lse) || !Number.isFinite(hi)) return 4;
  return Math.max(4, (4 * EPS64 * lse) / ulp64(hi));
}

function show(values: string[] | undefined, row: number, C: number): string {
  if (!values) return '';
  const r = values.slice(row * C, row * C + C);
  return `[${r.slice(0, 8).join(', ')}${C > 8 ? `, … (${C} entries)` : ''}]`;
}

function describeInput(c: SoftmaxCase, k: number, got: number): string {
  const C = c.shape[1];
  const row = rowOf(c, k);
  const parts: string[] = [];
  if (c.recipe) parts.push(`row z_i = ${c.recipe.start} + i·${c.recipe.step}, n = ${c.recipe.n}, index ${outIndex(c, k)}`);
  else {
    let at = `row ${row} of ${c.shape[0]}, C = ${C}`;
    if (c.op === 'softmaxJacobian') at += `, entry (${Math.floor((k % (C * C)) / C)}, ${k % C})`;
    else if (c.op !== 'logSumExp') at += `, index ${k % C}`;
    parts.push(at);
    for (const name of ['x', 'v', 'dy', 'y'] as const) if (c[name]) parts.push(`${name} = ${show(c[name], row, C)}`);
  }
  if (c.options?.temperature) parts.push(`T = ${c.options.temperature}`);
  if (c.options?.allMasked) parts.push(`allMasked = ${c.options.allMasked}`);
  const [hi, lo] = c.expected[k];
  parts.push(`got ${got}, exact ${hi} + ${lo}`);
  return parts.join('; ');
}

/** Forward ops measure values; VJPs, the JVP and the Jacobian derivatives. */
const WHAT = (op: string): Measurement['what'] => (['softmax', 'reduce'].includes(opByName(op)!.kind) ? 'value' : 'grad');

export function measure(): Measurement[] {
  const groups = new Map<string, Measurement & { ratio: number }>();
  for (const c of loadSoftmaxCases()) {
    const got = run(c);
    const key = `${c.op}|${c.dtype}|${c.range}`;
    let m = groups.get(key);
    if (!m) {
      const bound = c.dtype === 'float32' ? 1 : 4;
      m = { op: c.op, dtype: c.dtype, range: c.range, what: WHAT(c.op), count: 0, maxUlp: 0, bound, ratio: -1 };
      groups.set(key, m);
    }
    for (let k = 0; k < c.expected.length; k++) {
      const g = got[outIndex(c, k)];
      const err = ulpError(g, c.expected[k], c.dtype);
      const bound = boundOf(c, k);
      const ratio = err / bound;
      m.count++;
      if (ratio > m.ratio) {
        m.ratio = ratio;
        m.maxUlp = err;
        m.bound = bound;
        m.worstInput = describeInput(c, k, g);
      }
    }
  }
  return [...groups.values()].map(({ ratio: _ratio, ...m }) => m);
}

export interface LongRowSum {
  dtype: Dtype;
  recipe: string;
  temperature: number;
  /** |Σ p̂_i − 1|, the sum taken in double-double */
  error: number;
  /** Σ bound·ulp(p̂_i): what the per-element bound allows for the sum */
  allowed: number;
}

/** Sums the computed softmax of every long-row case (compensated) and compares with 1. */
export function longRowSums(): LongRowSum[] {
  const out: LongRowSum[] = [];
  for (const c of loadSoftmaxCases()) {
    if (c.op !== 'softmax' || !c.recipe) continue;
    const p = run(c);
    const ulp = c.dtype === 'float32' ? ulp32 : ulp64;
    const bound = c.dtype === 'float32' ? 1 : 4;
    let hi = 0;
    let lo = 0;
    let allowed = 0;
    for (let i = 0; i < p.length; i++) {
      // TwoSum: hi + lo carries the sum exactly up to rounding of lo
      const v = p[i];
      const s = hi + v;
      const bb = s - hi;
      lo += hi - (s - bb) + (v - bb);
      hi = s;
      allowed += bound * ulp(v);
    }
    out.push({
      dtype: c.dtype,
      recipe: `z_i = ${c.recipe.start} + i·${c.recipe.step}, n = ${c.recipe.n}`,
      temperature: c.options?.temperature ? num(c.options.temperature) : 1,
      error: Math.abs(hi - 1 + lo),
      allowed,
    });
  }
  return out;
}
