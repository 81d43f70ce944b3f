/// <reference types="node" />
// `sigmax eval <op> <numbers…>`: any sigmax op from the command line, on a flat list of numbers
// or a tensor (--shape), in float64 or float32, with the op's options and, for losses, the gradient.

import { type Command, InvalidArgumentError, Option } from 'commander';
import * as sx from '../../index.js';
import { integer, nonNegativeNumber, numberList, parseNumber, positiveNumber, sizeList } from '../args.js';
import type { RunState } from '../program.js';
import { EXIT, Ui, UsageError } from '../ui.js';

type Kind = 'elementwise' | 'backward' | 'softmax' | 'reduce' | 'jacobian' | 'loss';

const OPS: Record<string, { kind: Kind; about: string }> = {
  sigmoid: { kind: 'elementwise', about: '1 / (1 + e^−x)' },
  logSigmoid: { kind: 'elementwise', about: 'log σ(x)' },
  softplus: { kind: 'elementwise', about: 'log(1 + e^(βx))/β (--beta, --threshold)' },
  sigmoidBackward: { kind: 'backward', about: 'dy·σ(x)(1 − σ(x)) (dy: --dy, default 1)' },
  logSigmoidBackward: { kind: 'backward', about: 'dy·σ(−x)' },
  softplusBackward: { kind: 'backward', about: 'dy·σ(βx)' },
  softmax: { kind: 'softmax', about: 'e^(z_i/T) / Σ e^(z_c/T) along --axis (--temperature)' },
  logSoftmax: { kind: 'softmax', about: 'z_i − log Σ e^(z_c)' },
  logSumExp: { kind: 'reduce', about: 'log Σ e^(z_c), reduces --axis' },
  softmaxJacobian: { kind: 'jacobian', about: 'p_i δ_ij − p_i p_j per row' },
  crossEntropy: { kind: 'loss', about: '−log softmax(z)[target] (--target: class indices or probabilities)' },
  nllLoss: { kind: 'loss', about: '−logProbs[target]' },
  binaryCrossEntropy: { kind: 'loss', about: '−[y log p + (1 − y) log(1 − p)] (--target: y)' },
  binaryCrossEntropyWithLogits: { kind: 'loss', about: 'the same on logits x, p = σ(x)' },
};

interface EvalFlags {
  axis?: number;
  shape?: number[];
  float32?: boolean;
  temperature?: number;
  beta?: number;
  threshold?: number;
  dy?: number[];
  target?: number[];
  reduction?: 'mean' | 'sum' | 'none';
  labelSmoothing?: number;
  grad?: boolean;
  json?: boolean;
}

export function evalCommand(program: Command, state: RunState): Command {
  return program
    .command('eval')
    .description('compute any op from the command line, e.g. sigmax eval softmax 1 2 3')
    .argument('<op>', 'the op (see the list below)')
    .argument('<numbers...>', 'the input, row-major; commas work too: 1,2,3')
    .option('--axis <n>', 'the axis of softmax, logSoftmax, logSumExp and softmaxJacobian; the class axis of losses (default -1)', integer)
    .option('--shape <dims>', 'the input shape, e.g. 2,3 (default: one row)', sizeList)
    .option('--float32', 'compute in float32 (default float64)')
    .option('--temperature <T>', 'softmax temperature', positiveNumber)
    .option('--beta <b>', 'softplus β', positiveNumber)
    .option('--threshold <t>', 'softplus linear cut-off', parseNumber)
    .option('--dy <values>', 'incoming gradient of a …Backward op, comma-separated (default all 1)', numberList)
    .option('--target <values>', 'loss targets, comma-separated: one class index per row, or one probability per input', numberList)
    .addOption(new Option('--reduction <r>', 'loss reduction').choices(['mean', 'sum', 'none']))
    .option('--label-smoothing <eps>', 'crossEntropy label smoothing', (s) => {
      const v = nonNegativeNumber(s);
      if (v > 1) throw new InvalidArgumentError(`expected a number in [0, 1], got ${s}`);
      return v;
    })
    .option('--grad', 'for a loss, also print its gradient (…WithGrad)')
    .option('--json', 'print one JSON object: op, input, shape, result')
    .addHelpText(
      'after',
      `
Ops:
${Object.entries(OPS)
  .map(([k, v]) => `  ${k.padEnd(30)}${v.about}`)
  .join('\n')}

Examples:
  $ sigmax eval softmax 1 2 3
  $ sigmax eval sigmoid -100 0 20
  $ sigmax eval logSoftmax 1 2 3 4 5 6 --shape 2,3 --axis 0
  $ sigmax eval crossEntropy 2 1 0.1 --target 0 --grad
  $ sigmax eval binaryCrossEntropyWithLogits 3 -2 --target 1,0 --reduction none`,
    )
    .action((op: string, numbers: string[], flags: EvalFlags) => {
      state.code = evaluate(op, numbers, flags);
    });
}

function resolveOp(op: string): string {
  if (op in OPS) return op;
  const folded = op.toLowerCase().replace(/[-_]/g, '');
  const match = Object.keys(OPS).find((k) => k.toLowerCase() === folded);
  if (match) return match;
  const near = Object.keys(OPS).filter((k) => editDistance(k.toLowerCase(), folded) <= 2);
  const hint = near.length ? `did you mean ${near.join(' or ')}? ` : '';
  throw new UsageError(`eval: unknown op '${op}' (${hint}ops: ${Object.keys(OPS).join(', ')})`);
}

/** Levenshtein distance, for suggesting the op a typo meant. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

function readNumbers(tokens: readonly string[]): number[] {
  const out: number[] = [];
  for (const t of tokens) {
    for (const part of t.split(',')) {
      if (part.trim() === '') continue;
      try {
        out.push(parseNumber(part));
      } catch {
        throw new UsageError(`eval: '${part}' is not a number`);
      }
    }
  }
  return out;
}

/** The data as nested arrays of the given shape (a number for shape []). */
function nest(data: ArrayLike<number>, shape: readonly number[], f32: boolean): unknown {
  const fmt = (v: number) => (f32 && Number.isFinite(v) ? Number(v.toPrecision(9)) : v); // 9 digits round-trip float32
  if (shape.length === 0) return fmt(data[0]);
  const rec = (offset: number, d: number): unknown => {
    const n = shape[d];
    if (d === shape.length - 1) return Array.from({ length: n }, (_, i) => fmt(data[offset + i]));
    let stride = 1;
    for (let k = d + 1; k < shape.length; k++) stride *= shape[k];
    return Array.from({ length: n }, (_, i) => rec(offset + i * stride, d + 1));
  };
  return rec(0, 0);
}

/** A nested array as text: numbers in full (shortest round-trip), NaN and ±Infinity by name. */
function show(v: unknown, indent = ''): string {
  if (typeof v === 'number') return String(v);
  const a = v as unknown[];
  if (a.length > 0 && Array.isArray(a[0])) return `[\n${a.map((x) => `${indent}  ${show(x, `${indent}  `)}`).join(',\n')}\n${indent}]`;
  return `[${a.map((x) => show(x)).join(', ')}]`;
}

function evaluate(opName: string, tokens: readonly string[], f: EvalFlags): number {
  const op = resolveOp(opName);
  const { kind } = OPS[op];
  const values = readNumbers(tokens);
  if (values.length === 0) throw new UsageError('eval: give at least one number');
  const shape = f.shape ?? [values.length];
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== values.length) throw new UsageError(`eval: --shape ${shape.join(',')} holds ${size} numbers, got ${values.length}`);
  const f32 = f.float32 === true;
  const data = f32 ? Float32Array.from(values) : Float64Array.from(values);
  const x = sx.tensor(data, shape);
  const ui = new Ui(f.json === true);
  const axis = f.axis;
  const optional = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  const onlyFor = (flag: string, set: unknown, kinds: Kind[], ops?: string[]) => {
    if (set !== undefined && !(kinds.includes(kind) && (ops === undefined || ops.includes(op)))) throw new UsageError(`eval: ${flag} does not apply to ${op}`);
  };
  onlyFor('--temperature', f.temperature, ['softmax']);
  onlyFor('--beta', f.beta, ['elementwise', 'backward'], ['softplus', 'softplusBackward']);
  onlyFor('--threshold', f.threshold, ['elementwise', 'backward'], ['softplus', 'softplusBackward']);
  onlyFor('--dy', f.dy, ['backward']);
  onlyFor('--target', f.target, ['loss']);
  onlyFor('--reduction', f.reduction, ['loss']);
  onlyFor('--label-smoothing', f.labelSmoothing, ['loss'], ['crossEntropy']);
  onlyFor('--grad', f.grad, ['loss']);
  onlyFor('--axis', axis, ['softmax', 'reduce', 'jacobian', 'loss'], ['softmax', 'logSoftmax', 'logSumExp', 'softmaxJacobian', 'crossEntropy', 'nllLoss']);

  let result: sx.Tensor | number;
  let grad: sx.Tensor | undefined;
  const call = (): void => {
    switch (kind) {
      case 'elementwise':
        result = op === 'softplus' ? sx.softplus(x, optional({ beta: f.beta, threshold: f.threshold })) : op === 'sigmoid' ? sx.sigmoid(x) : sx.logSigmoid(x);
        return;
      case 'backward': {
        const dyValues = f.dy ?? new Array<number>(size).fill(1);
        if (dyValues.length !== size) throw new UsageError(`eval: --dy needs ${size} values, got ${dyValues.length}`);
        const dy = sx.tensor(f32 ? Float32Array.from(dyValues) : Float64Array.from(dyValues), shape);
        result =
          op === 'softplusBackward' ? sx.softplusBackward(dy, x, optional({ beta: f.beta, threshold: f.threshold })) : op === 'sigmoidBackward' ? sx.sigmoidBackward(dy, x) : sx.logSigmoidBackward(dy, x);
        return;
      }
      case 'softmax':
        result = (op === 'softmax' ? sx.softmax : sx.logSoftmax)(x, optional({ axis, temperature: f.temperature }));
        return;
      case 'reduce':
        result = sx.logSumExp(x, optional({ axis }));
        return;
      case 'jacobian':
        result = sx.softmaxJacobian(x, optional({ axis }));
        return;
      case 'loss': {
        if (f.target === undefined) throw new UsageError(`eval: ${op} needs --target`);
        const t = lossTarget(op, f.target, shape, axis, f32);
        const opts = optional({ reduction: f.reduction, axis: op === 'crossEntropy' || op === 'nllLoss' ? axis : undefined, labelSmoothing: f.labelSmoothing }) as sx.CrossEntropyOptions & { reduction?: 'mean' | 'sum' };
        // (The cast picks one overload; 'none' works the same at run time and returns per-item losses.)
        const withGrad =
          op === 'crossEntropy'
            ? sx.crossEntropyWithGrad(x, t as sx.Target, opts)
            : op === 'nllLoss'
              ? sx.nllLossWithGrad(x, t as sx.Target, opts)
              : op === 'binaryCrossEntropy'
                ? sx.binaryCrossEntropyWithGrad(x, t as sx.Input, opts)
                : sx.binaryCrossEntropyWithLogitsWithGrad(x, t as sx.Input, opts);
        result = withGrad.loss as sx.Tensor | number;
        grad = withGrad.grad as sx.Tensor;
        return;
      }
    }
  };
  call();
  const r = result!;
  const resultNested = typeof r === 'number' ? r : nest(r.data, r.shape, f32);
  const inputNested = nest(data, shape, f32);
  const label = `${op}(${show(inputNested)}${describeOptions(f)})`;
  ui.line(ui.c.dim(label));
  ui.line(`${ui.c.bold('=')} ${show(resultNested)}`);
  if (f.grad && grad) ui.line(`${ui.c.bold('grad')} ${show(nest(grad.data, grad.shape, f32))}`);
  ui.result({
    command: 'eval',
    op,
    dtype: f32 ? 'float32' : 'float64',
    input: inputNested,
    shape,
    result: resultNested,
    resultShape: typeof r === 'number' ? [] : r.shape,
    ...(f.grad && grad ? { grad: nest(grad.data, grad.shape, f32) } : {}),
  });
  return EXIT.ok;
}

/** Class indices (one per row) or probabilities (one per input element), as the loss reads them. */
function lossTarget(op: string, target: number[], shape: readonly number[], axis: number | undefined, f32: boolean): unknown {
  const size = shape.reduce((a, b) => a * b, 1);
  const asFloat = () => sx.tensor(f32 ? Float32Array.from(target) : Float64Array.from(target), shape);
  if (op === 'binaryCrossEntropy' || op === 'binaryCrossEntropyWithLogits') {
    if (target.length !== size) throw new UsageError(`eval: ${op} needs one --target per input (${size}), got ${target.length}`);
    return asFloat();
  }
  const a = axis === undefined ? shape.length - 1 : axis < 0 ? axis + shape.length : axis;
  if (a < 0 || a >= shape.length) throw new UsageError(`eval: --axis ${axis} is out of range for shape ${shape.join(',')}`);
  const rows = shape.filter((_, i) => i !== a);
  const rowCount = rows.reduce((p, q) => p * q, 1);
  if (target.length === rowCount) {
    if (rows.length === 0) return target[0];
    return { data: Int32Array.from(target), shape: rows };
  }
  if (target.length === size && op === 'crossEntropy') return asFloat();
  throw new UsageError(`eval: --target needs ${rowCount} class index(es) (one per row)${op === 'crossEntropy' ? ` or ${size} probabilities` : ''}, got ${target.length}`);
}

function describeOptions(f: EvalFlags): string {
  const parts: string[] = [];
  if (f.shape) parts.push(`shape [${f.shape.join(', ')}]`);
  if (f.axis !== undefined) parts.push(`axis ${f.axis}`);
  if (f.temperature !== undefined) parts.push(`temperature ${f.temperature}`);
  if (f.beta !== undefined) parts.push(`beta ${f.beta}`);
  if (f.threshold !== undefined) parts.push(`threshold ${f.threshold}`);
  if (f.dy) parts.push(`dy [${f.dy.join(', ')}]`);
  if (f.target) parts.push(`target [${f.target.join(', ')}]`);
  if (f.reduction) parts.push(`reduction '${f.reduction}'`);
  if (f.labelSmoothing !== undefined) parts.push(`labelSmoothing ${f.labelSmoothing}`);
  if (f.float32) parts.push('float32');
  return parts.length ? `; ${parts.join(', ')}` : '';
}
