// Semantic parity with PyTorch (torch.nn.functional, float64 on CPU): every case recorded by
// test/fixtures/parity/gen_torch.py is replayed through sigmax's public API. Loss, gradient (for
// the recorded grad_output) and, for the losses, `weightSum` (the denominator of 'mean') must agree
// to 1e-12 relative or 1e-14 absolute; non-finite values must match exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as sx from '../../src/index.js';
import { loadFixture, num, nums } from '../helpers/fixtures.js';

type Str = string;

interface LossInstance {
  shape: number[];
  axis?: number;
  input: Str[];
  target: number[] | Str[];
  targetForm?: 'int32' | 'array' | 'object' | 'number' | 'probs';
  targetShape?: number[];
  weight?: Str[];
  weightShape?: number[];
  posWeight?: Str[];
  posWeightShape?: number[];
  ignoreIndex?: number;
  labelSmoothing?: Str;
  reduction: 'mean' | 'sum' | 'none';
  gradOutput: Str | Str[];
  loss: Str | Str[];
  grad: Str[];
  weightSum: Str;
}

interface SoftmaxInstance {
  shape: number[];
  axis: number;
  input: Str[];
  output: Str[];
}

interface ParityTest {
  name: string;
  op: string;
  instances: (LossInstance | SoftmaxInstance)[];
}

const fx = loadFixture<{ torch: string; tests: ParityTest[] }>('parity/torch.json');

const RTOL = 1e-12;
const ATOL = 1e-14;

function close(got: number, want: number): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  if (!Number.isFinite(got)) return false;
  return Math.abs(got - want) <= Math.max(RTOL * Math.abs(want), ATOL);
}

/** Mismatches found while replaying one test; reported together so one failure shows them all. */
let problems: string[] = [];

function assertClose(got: ArrayLike<number> | undefined, want: readonly (string | number)[], what: string): void {
  if (got === undefined || typeof got !== 'object') {
    problems.push(`${what}: expected ${want.length} values, got ${String(got)}`);
    return;
  }
  if (got.length !== want.length) {
    problems.push(`${what}: length ${got.length}, expected ${want.length}`);
    return;
  }
  for (let i = 0; i < want.length; i++) {
    const w = num(want[i]);
    if (!close(got[i], w)) problems.push(`${what}[${i}]: sigmax ${got[i]}, torch ${w} (difference ${got[i] - w})`);
  }
}

function assertCloseNumber(got: unknown, want: string, what: string): void {
  const w = num(want);
  if (typeof got !== 'number') problems.push(`${what}: expected a number, got ${String(got)}`);
  else if (!close(got, w)) problems.push(`${what}: sigmax ${got}, torch ${w} (difference ${got - w})`);
}

function dataOf(x: unknown): ArrayLike<number> {
  if (x !== null && typeof x === 'object' && 'data' in x) return (x as { data: ArrayLike<number> }).data;
  return x as ArrayLike<number>;
}

const f64 = (a: readonly (string | number)[]): Float64Array => Float64Array.from(nums(a));

function classTarget(inst: LossInstance): sx.Input | number | number[] | Int32Array | { data: Int32Array; shape: number[] } {
  switch (inst.targetForm) {
    case 'probs':
      return sx.tensor(f64(inst.target as Str[]), inst.targetShape ?? inst.shape);
    case 'number':
      return (inst.target as number[])[0];
    case 'array':
      return (inst.target as number[]).slice();
    case 'object':
      return { data: Int32Array.from(inst.target as number[]), shape: inst.targetShape ?? [] };
    default:
      return Int32Array.from(inst.target as number[]);
  }
}

/** The per-item shape of the loss: the logits' shape without the class axis (binary losses: the input's shape). */
function itemShape(op: string, inst: LossInstance): number[] {
  if (op === 'binaryCrossEntropy' || op === 'binaryCrossEntropyWithLogits') return inst.shape;
  const axis = inst.axis ?? -1;
  const a = axis < 0 ? inst.shape.length + axis : axis;
  return inst.shape.filter((_, i) => i !== a);
}

type LossFns = {
  loss: (x: sx.Input, t: unknown, o: object) => unknown;
  backward: (x: sx.Input, t: unknown, o: object) => unknown;
  withGrad: (x: sx.Input, t: unknown, o: object) => { loss: unknown; grad: unknown; weightSum: number };
};

/* eslint-disable @typescript-eslint/no-explicit-any */
const LOSSES: Record<string, LossFns> = {
  crossEntropy: {
    loss: (x, t, o) => sx.crossEntropy(x, t as any, o),
    backward: (x, t, o) => sx.crossEntropyBackward(x, t as any, o),
    withGrad: (x, t, o) => sx.crossEntropyWithGrad(x, t as any, o),
  },
  nllLoss: {
    loss: (x, t, o) => sx.nllLoss(x, t as any, o),
    backward: (x, t, o) => sx.nllLossBackward(x, t as any, o),
    withGrad: (x, t, o) => sx.nllLossWithGrad(x, t as any, o),
  },
  binaryCrossEntropy: {
    loss: (x, t, o) => sx.binaryCrossEntropy(x, t as sx.Input, o),
    backward: (x, t, o) => sx.binaryCrossEntropyBackward(x, t as sx.Input, o),
    withGrad: (x, t, o) => sx.binaryCrossEntropyWithGrad(x, t as sx.Input, o),
  },
  binaryCrossEntropyWithLogits: {
    loss: (x, t, o) => sx.binaryCrossEntropyWithLogits(x, t as sx.Input, o),
    backward: (x, t, o) => sx.binaryCrossEntropyWithLogitsBackward(x, t as sx.Input, o),
    withGrad: (x, t, o) => sx.binaryCrossEntropyWithLogitsWithGrad(x, t as sx.Input, o),
  },
};
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * The one documented deviation from torch: with probability targets, a class whose logit is −∞
 * and whose target probability is 0 contributes 0·log 0 = 0 to the loss (the limit), where torch
 * computes 0·(−∞) = NaN. For such instances the expected loss is −Σ_{y'_c ≠ 0} y'_c log p_c,
 * computed here from torch's own gradient-free definition with the 0 terms skipped.
 */
function zeroTimesLogZeroLoss(inst: LossInstance): Str | Str[] {
  const [n, c] = inst.shape;
  const x = f64(inst.input);
  const y = f64(inst.target as Str[]);
  const eps = inst.labelSmoothing !== undefined ? num(inst.labelSmoothing) : 0;
  const losses: number[] = [];
  for (let r = 0; r < n; r++) {
    const lp = sx.logSoftmax(x.subarray(r * c, (r + 1) * c));
    let l = 0;
    for (let j = 0; j < c; j++) {
      const yj = y[r * c + j] * (1 - eps) + eps / c;
      if (yj !== 0) l -= yj * lp[j];
    }
    losses.push(l);
  }
  const sum = losses.reduce((a, b) => a + b, 0);
  if (inst.reduction === 'none') return losses.map(String);
  return String(inst.reduction === 'sum' ? sum : sum / n);
}

function replayLoss(op: string, inst: LossInstance, k: number, zeroLogZero: boolean): void {
  if (zeroLogZero) inst = { ...inst, loss: zeroTimesLogZeroLoss(inst) };
  const fns = LOSSES[op];
  const binary = op === 'binaryCrossEntropy' || op === 'binaryCrossEntropyWithLogits';
  const x = sx.tensor(f64(inst.input), inst.shape);
  const target = binary ? sx.tensor(f64(inst.target as Str[]), inst.shape) : classTarget(inst);
  const opts: Record<string, unknown> = { reduction: inst.reduction };
  if (!binary && inst.axis !== undefined && inst.axis !== -1) opts.axis = inst.axis;
  if (inst.weight) opts.weight = binary ? sx.tensor(f64(inst.weight), inst.weightShape ?? [inst.weight.length]) : f64(inst.weight);
  if (inst.posWeight) opts.posWeight = sx.tensor(f64(inst.posWeight), inst.posWeightShape ?? [inst.posWeight.length]);
  if (inst.ignoreIndex !== undefined) opts.ignoreIndex = inst.ignoreIndex;
  if (inst.labelSmoothing !== undefined) opts.labelSmoothing = num(inst.labelSmoothing);
  const gradOutput =
    inst.reduction === 'none' ? sx.tensor(f64(inst.gradOutput as Str[]), itemShape(op, inst)) : num(inst.gradOutput as Str);
  const where = `instance ${k} (shape [${inst.shape.join(', ')}])`;

  const loss = fns.loss(x, target, opts);
  if (inst.reduction === 'none') assertClose(dataOf(loss), inst.loss as Str[], `${where} loss`);
  else assertCloseNumber(loss, inst.loss as Str, `${where} loss`);

  const grad = fns.backward(x, target, { ...opts, gradOutput });
  assertClose(dataOf(grad), inst.grad, `${where} ${op}Backward gradient`);

  const wg = fns.withGrad(x, target, { ...opts, gradOutput });
  if (inst.reduction === 'none') assertClose(dataOf(wg.loss), inst.loss as Str[], `${where} ${op}WithGrad loss`);
  else assertCloseNumber(wg.loss, inst.loss as Str, `${where} ${op}WithGrad loss`);
  assertClose(dataOf(wg.grad), inst.grad, `${where} ${op}WithGrad gradient`);
  assertCloseNumber(wg.weightSum, inst.weightSum, `${where} ${op}WithGrad weightSum`);
}

function replaySoftmax(op: string, inst: SoftmaxInstance, k: number): void {
  const x = sx.tensor(f64(inst.input), inst.shape);
  let out: unknown;
  if (op === 'softmax') out = sx.softmax(x, { axis: inst.axis });
  else if (op === 'logSoftmax') out = sx.logSoftmax(x, { axis: inst.axis });
  else out = sx.logSumExp(x, { axis: inst.axis });
  assertClose(dataOf(out), inst.output, `instance ${k} ${op}`);
}

test(`the PyTorch parity fixture was recorded (torch ${fx.torch}) and covers every loss`, () => {
  for (const op of ['crossEntropy', 'nllLoss', 'binaryCrossEntropy', 'binaryCrossEntropyWithLogits', 'softmax', 'logSoftmax', 'logSumExp']) {
    assert.ok(fx.tests.some((t) => t.op === op), `no parity case for ${op}`);
  }
});

for (const t of fx.tests) {
  test(t.name, () => {
    problems = [];
    t.instances.forEach((inst, k) => {
      try {
        if (t.op in LOSSES) replayLoss(t.op, inst as LossInstance, k, t.name.includes('zero probability on the masked classes'));
        else replaySoftmax(t.op, inst as SoftmaxInstance, k);
      } catch (e) {
        problems.push(`instance ${k}: threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
    });
    const shown = problems.slice(0, 12).join('\n');
    assert.ok(problems.length === 0, `${problems.length} mismatches:\n${shown}${problems.length > 12 ? '\n…' : ''}`);
  });
}
