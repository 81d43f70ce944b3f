// Accuracy of the losses against the exact (mpmath) fixtures of test/fixtures/losses/gen.py.
//
// Every fixture case goes through the public API: per-item losses with reduction 'none', and
// gradients of the summed loss through both `<loss>WithGrad(…, {reduction: 'sum'})` and
// `<loss>Backward(…, {reduction: 'sum'})`. Errors are measured in ulps of the exact value
// (test/helpers/fixtures.ts: ulpError) and grouped per op × dtype × range × what.
//
// Bounds (per element):
//  - per-item loss: float32 1 ulp; float64 2 ulp (nllLoss, binary losses), and for crossEntropy
//    max(4 ulp, 4·eps·|logSumExp|·W) with eps = 2^-52 and W = Σ_c w_c y'_c the item's
//    effective weight (1 without class weights), since −log p_t = logSumExp − z_t;
//  - gradient element: float32 2 ulp, float64 8 ulp; where the exact gradient is a difference of
//    two terms a − b that may nearly cancel (probability targets, label smoothing, soft binary
//    targets; the fixture then stores scale = |a| + |b|), the absolute error may be up to
//    4·eps·scale (eps = 2^-23 float32, 2^-52 float64), i.e. the bound in ulps of that element is
//    max(2 or 8, 4·eps·scale / ulp(exact)). Hard labels get no such excuse.
// Because a bound can differ per element, a Measurement reports the element whose error is the
// largest fraction of its own bound: `maxUlp` is that element's error and `bound` its bound, so
// maxUlp ≤ bound holds exactly when every element is within its bound. Where the bound is the same
// for every element (hard labels, float32 losses, …) maxUlp is simply the largest error.
import * as sx from '../../src/index.js';
import { opsWhere } from '../../src/ops/manifest.js';
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
type Str = string;

interface CeCase {
  dtype: Dtype;
  range: string;
  variant: string;
  shape: [number, number];
  targetKind: 'index' | 'prob';
  logits: Str[];
  target: number[] | Str[];
  weight?: Str[];
  labelSmoothing?: Str;
  loss: Exact[];
  lse: Str[];
  effWeight: Str[];
  grad: Exact[];
  scale?: Str[];
}

interface NllCase {
  dtype: Dtype;
  range: string;
  variant: string;
  shape: [number, number];
  logProbs: Str[];
  target: number[];
  weight?: Str[];
  loss: Exact[];
  grad: Exact[];
}

interface BinCase {
  dtype: Dtype;
  range: string;
  variant: string;
  shape: [number];
  input: Str[];
  target: Str[];
  weight?: Str[];
  posWeight?: Str[];
  loss: Exact[];
  grad: Exact[];
  scale?: Str[];
}

interface KlCase {
  dtype: Dtype;
  range: string;
  variant: string;
  logTarget: boolean;
  shape: [number];
  input: Str[];
  target: Str[];
  loss: Exact[];
  grad: Exact[];
  scale?: Str[];
}

interface Fixture<C> {
  op: string;
  cases: C[];
}

const EPS: Record<Dtype, number> = { float32: 2 ** -23, float64: 2 ** -52 };
const GRAD_ULP: Record<Dtype, number> = { float32: 2, float64: 8 };

function typed(dtype: Dtype, values: readonly (string | number)[]): Float32Array | Float64Array {
  return dtype === 'float32' ? Float32Array.from(nums(values)) : Float64Array.from(nums(values));
}

/** The data of a loss/gradient result (a Tensor or a typed array). */
function dataOf(x: unknown, what: string): ArrayLike<number> {
  if (x !== null && typeof x === 'object') {
    if ('data' in x) return (x as { data: ArrayLike<number> }).data;
    if ('length' in x) return x as ArrayLike<number>;
  }
  throw new Error(`${what}: expected per-item values, got ${String(x)}`);
}

function ulpOf(hi: number, dtype: Dtype): number {
  return dtype === 'float32' ? ulp32(Math.fround(hi)) : ulp64(hi);
}

/** The bound in ulps of an element whose gradient may cancel: max(base, 4·eps·scale / ulp(exact)). */
function scaleBound(base: number, exact: Exact, scale: Str | undefined, dtype: Dtype): number {
  if (scale === undefined) return base;
  const hi = num(exact[0]);
  const s = num(scale);
  if (!Number.isFinite(hi) || !Number.isFinite(s)) return base;
  if (dtype === 'float32' && Math.abs(hi) > 3.4028234663852886e38) return base;
  return Math.max(base, (4 * EPS[dtype] * s) / ulpOf(hi, dtype));
}

function showRow(values: readonly Str[], max = 6): string {
  const head = values.slice(0, max).join(', ');
  return `[${head}${values.length > max ? `, … (${values.length})` : ''}]`;
}

class Collector {
  private readonly groups = new Map<string, Measurement & { ratio: number }>();

  add(
    op: string,
    dtype: Dtype,
    range: string,
    what: Measurement['what'],
    base: number,
    err: number,
    bound: number,
    describe: () => string,
  ): void {
    const key = `${op}|${dtype}|${range}|${what}`;
    let g = this.groups.get(key);
    if (g === undefined) {
      g = { op, dtype, range, what, count: 0, maxUlp: 0, bound: base, ratio: 0 };
      this.groups.set(key, g);
    }
    g.count++;
    const ratio = Number.isNaN(err) ? Infinity : err / bound;
    if (ratio > g.ratio) {
      g.ratio = ratio;
      g.maxUlp = Number.isNaN(err) ? Infinity : err;
      g.bound = bound;
      g.worstInput = describe();
    }
  }

  list(): Measurement[] {
    return [...this.groups.values()].map(({ ratio: _ratio, ...m }) => m);
  }
}

// ------------------------------------------------------------------ crossEntropy

function measureCrossEntropy(col: Collector, c: CeCase, ci: number): void {
  const op = 'crossEntropy';
  const [N, C] = c.shape;
  const dt = c.dtype;
  const logits = sx.tensor(typed(dt, c.logits), [N, C]);
  const target =
    c.targetKind === 'index' ? Int32Array.from(c.target as number[]) : sx.tensor(typed(dt, c.target as Str[]), [N, C]);
  const opts: sx.CrossEntropyOptions = {};
  if (c.weight) opts.weight = typed(dt, c.weight);
  if (c.labelSmoothing !== undefined) opts.labelSmoothing = num(c.labelSmoothing);
  const range = `${c.range}, ${c.variant}`;
  const rowDesc = (r: number): string => {
    const z = showRow(c.logits.slice(r * C, (r + 1) * C));
    const t = c.targetKind === 'index' ? String((c.target as number[])[r]) : showRow((c.target as Str[]).slice(r * C, (r + 1) * C));
    const o = [c.weight ? `weight ${showRow(c.weight)}` : '', c.labelSmoothing ? `labelSmoothing ${c.labelSmoothing}` : '']
      .filter(Boolean)
      .join(', ');
    return `case ${ci} row ${r}: z = ${z}, target ${t}${o ? `, ${o}` : ''}`;
  };

  const losses = dataOf(sx.crossEntropy(logits, target, { ...opts, reduction: 'none' }), 'crossEntropy none');
  for (let r = 0; r < N; r++) {
    const ex = c.loss[r];
    const got = losses[r];
    const err = ulpError(got, ex, dt);
    let bound = 1;
    if (dt === 'float64') {
      const hi = num(ex[0]);
      const allowance = 4 * EPS.float64 * Math.abs(num(c.lse[r])) * num(c.effWeight[r]);
      bound = Number.isFinite(hi) && Number.isFinite(allowance) ? Math.max(4, allowance / ulp64(hi)) : 4;
    }
    const base = dt === 'float32' ? 1 : 4;
    col.add(op, dt, range, 'loss', base, err, bound, () => `${rowDesc(r)}: got ${got}, exact ${ex[0]} + ${ex[1]} (logSumExp ${c.lse[r]})`);
  }

  const withGrad = dataOf(sx.crossEntropyWithGrad(logits, target, { ...opts, reduction: 'sum' }).grad, 'crossEntropyWithGrad');
  const backward = dataOf(sx.crossEntropyBackward(logits, target, { ...opts, reduction: 'sum' }), 'crossEntropyBackward');
  const base = GRAD_ULP[dt];
  for (const [api, g] of [
    ['crossEntropyWithGrad', withGrad],
    ['crossEntropyBackward', backward],
  ] as const) {
    for (let k = 0; k < N * C; k++) {
      const ex = c.grad[k];
      const err = ulpError(g[k], ex, dt);
      const bound = scaleBound(base, ex, c.scale?.[k], dt);
      col.add(op, dt, range, 'grad', base, err, bound, () =>
        `${rowDesc(Math.floor(k / C))}, element ${k % C}: ${api} gave ${g[k]}, exact ${ex[0]} + ${ex[1]}${c.scale ? ` (scale ${c.scale[k]})` : ''}`,
      );
    }
  }
}

// ------------------------------------------------------------------ nllLoss

function measureNll(col: Collector, c: NllCase, ci: number): void {
  const op = 'nllLoss';
  const [N, C] = c.shape;
  const dt = c.dtype;
  const x = sx.tensor(typed(dt, c.logProbs), [N, C]);
  const target = Int32Array.from(c.target);
  const opts: sx.NllLossOptions = {};
  if (c.weight) opts.weight = typed(dt, c.weight);
  const range = `${c.range}, ${c.variant}`;
  const rowDesc = (r: number): string =>
    `case ${ci} row ${r}: logProbs = ${showRow(c.logProbs.slice(r * C, (r + 1) * C))}, target ${c.target[r]}${c.weight ? `, weight ${showRow(c.weight)}` : ''}`;
  const losses = dataOf(sx.nllLoss(x, target, { ...opts, reduction: 'none' }), 'nllLoss none');
  const lb = dt === 'float32' ? 1 : 2;
  for (let r = 0; r < N; r++) {
    const err = ulpError(losses[r], c.loss[r], dt);
    col.add(op, dt, range, 'loss', lb, err, lb, () => `${rowDesc(r)}: got ${losses[r]}, exact ${c.loss[r][0]} + ${c.loss[r][1]}`);
  }
  const withGrad = dataOf(sx.nllLossWithGrad(x, target, { ...opts, reduction: 'sum' }).grad, 'nllLossWithGrad');
  const backward = dataOf(sx.nllLossBackward(x, target, { ...opts, reduction: 'sum' }), 'nllLossBackward');
  const gb = GRAD_ULP[dt];
  for (const [api, g] of [
    ['nllLossWithGrad', withGrad],
    ['nllLossBackward', backward],
  ] as const) {
    for (let k = 0; k < N * C; k++) {
      const err = ulpError(g[k], c.grad[k], dt);
      col.add(op, dt, range, 'grad', gb, err, gb, () => `${rowDesc(Math.floor(k / C))}, element ${k % C}: ${api} gave ${g[k]}, exact ${c.grad[k][0]}`);
    }
  }
}

// ------------------------------------------------------------------ binary losses

function measureBinary(col: Collector, op: 'binaryCrossEntropy' | 'binaryCrossEntropyWithLogits', c: BinCase, ci: number): void {
  const dt = c.dtype;
  const x = typed(dt, c.input);
  const y = typed(dt, c.target);
  const opts: sx.BinaryCrossEntropyWithLogitsOptions = {};
  if (c.weight) opts.weight = typed(dt, c.weight);
  if (c.posWeight) opts.posWeight = typed(dt, c.posWeight);
  const range = `${c.range}, ${c.variant}`;
  const inName = op === 'binaryCrossEntropy' ? 'p' : 'x';
  const itemDesc = (i: number): string =>
    `case ${ci} item ${i}: ${inName} = ${c.input[i]}, y = ${c.target[i]}` +
    (c.weight ? `, weight ${c.weight[i]}` : '') +
    (c.posWeight ? `, posWeight ${c.posWeight[i]}` : '');
  const n = x.length;
  let losses: ArrayLike<number>;
  let withGrad: ArrayLike<number>;
  let backward: ArrayLike<number>;
  if (op === 'binaryCrossEntropy') {
    losses = dataOf(sx.binaryCrossEntropy(x, y, { weight: opts.weight, reduction: 'none' }), op);
    withGrad = dataOf(sx.binaryCrossEntropyWithGrad(x, y, { weight: opts.weight, reduction: 'sum' }).grad, op);
    backward = dataOf(sx.binaryCrossEntropyBackward(x, y, { weight: opts.weight, reduction: 'sum' }), op);
  } else {
    losses = dataOf(sx.binaryCrossEntropyWithLogits(x, y, { ...opts, reduction: 'none' }), op);
    withGrad = dataOf(sx.binaryCrossEntropyWithLogitsWithGrad(x, y, { ...opts, reduction: 'sum' }).grad, op);
    backward = dataOf(sx.binaryCrossEntropyWithLogitsBackward(x, y, { ...opts, reduction: 'sum' }), op);
  }
  const lb = dt === 'float32' ? 1 : 2;
  for (let i = 0; i < n; i++) {
    const err = ulpError(losses[i], c.loss[i], dt);
    col.add(op, dt, range, 'loss', lb, err, lb, () => `${itemDesc(i)}: got ${losses[i]}, exact ${c.loss[i][0]} + ${c.loss[i][1]}`);
  }
  const base = GRAD_ULP[dt];
  for (const [api, g] of [
    [`${op}WithGrad`, withGrad],
    [`${op}Backward`, backward],
  ] as const) {
    for (let i = 0; i < n; i++) {
      const ex = c.grad[i];
      const err = ulpError(g[i], ex, dt);
      const bound = scaleBound(base, ex, c.scale?.[i], dt);
      col.add(op, dt, range, 'grad', base, err, bound, () =>
        `${itemDesc(i)}: ${api} gave ${g[i]}, exact ${ex[0]} + ${ex[1]}${c.scale ? ` (scale ${c.scale[i]})` : ''}`,
      );
    }
  }
}

// ------------------------------------------------------------------ klDivergence

/**
 * klDivergence: per-element losses 1 ulp; float64 losses of probability targets, t·log t − t·x,
 * may cancel where x is near log t, and get max(1 ulp, 4·eps·scale) with scale = |t log t| + |t x|.
 */
function measureKl(col: Collector, c: KlCase, ci: number): void {
  const op = 'klDivergence';
  const dt = c.dtype;
  const x = typed(dt, c.input);
  const t = typed(dt, c.target);
  const logTarget = c.logTarget;
  const range = `${c.range}, ${c.variant}`;
  const itemDesc = (i: number): string => `case ${ci} item ${i}: x = ${c.input[i]}, t = ${c.target[i]}${logTarget ? ' (logTarget)' : ''}`;
  const losses = dataOf(sx.klDivergence(x, t, { logTarget, reduction: 'none' }), op);
  for (let i = 0; i < x.length; i++) {
    const ex = c.loss[i];
    const err = ulpError(losses[i], ex, dt);
    const bound = dt === 'float64' ? scaleBound(1, ex, c.scale?.[i], dt) : 1;
    col.add(op, dt, range, 'loss', 1, err, bound, () => `${itemDesc(i)}: got ${losses[i]}, exact ${ex[0]} + ${ex[1]}`);
  }
  const withGrad = dataOf(sx.klDivergenceWithGrad(x, t, { logTarget, reduction: 'sum' }).grad, op);
  const backward = dataOf(sx.klDivergenceBackward(x, t, { logTarget, reduction: 'sum' }), op);
  const base = GRAD_ULP[dt];
  for (const [api, g] of [
    ['klDivergenceWithGrad', withGrad],
    ['klDivergenceBackward', backward],
  ] as const) {
    for (let i = 0; i < x.length; i++) {
      const err = ulpError(g[i], c.grad[i], dt);
      col.add(op, dt, range, 'grad', base, err, base, () => `${itemDesc(i)}: ${api} gave ${g[i]}, exact ${c.grad[i][0]} + ${c.grad[i][1]}`);
    }
  }
}

/** How each loss's fixture cases are measured (the fixture formats differ per loss). */
const MEASURE: Record<string, (col: Collector, c: never, ci: number) => void> = {
  crossEntropy: measureCrossEntropy,
  nllLoss: measureNll,
  binaryCrossEntropy: (col, c: BinCase, ci) => measureBinary(col, 'binaryCrossEntropy', c, ci),
  binaryCrossEntropyWithLogits: (col, c: BinCase, ci) => measureBinary(col, 'binaryCrossEntropyWithLogits', c, ci),
  klDivergence: measureKl,
};

/** Runs every loss of the op manifest on its fixtures through the public API; one Measurement per op × dtype × range × what. */
export function measure(): Measurement[] {
  const col = new Collector();
  for (const op of opsWhere((o) => o.kind === 'loss')) {
    const run = MEASURE[op.name];
    if (!run) throw new Error(`losses.cases.ts: no accuracy measurement for the loss ${op.name}`);
    for (const file of op.fixtures) loadFixture<Fixture<never>>(file).cases.forEach((c, i) => run(col, c, i));
  }
  return col.list();
}
