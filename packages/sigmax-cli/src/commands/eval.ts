/// <reference types="node" />
// `sigmax eval <op> <numbers…>`: any sigmax op from the command line, on a flat list of numbers
// or a tensor (--shape), in float64 or float32, with the op's options and, for losses, the gradient.
// The ops, their arguments and which flag applies to which op come from src/ops/manifest.ts.

import { type Command, InvalidArgumentError, Option } from 'commander';
import * as sx from 'sigmax';
import { integer, nonNegativeNumber, numberList, parseNumber, positiveNumber, sizeList } from '../args.js';
import { ALL_OPS, OPTIONS, type Op, type OptionName } from 'sigmax/debug';
import type { RunState } from '../program.js';
import { EXIT, Ui, UsageError } from '../ui.js';

/** The ops `sigmax eval` offers: those of the manifest with a one-line formula. */
export const EVAL_OPS: readonly Op[] = ALL_OPS.filter((o) => o.about !== undefined);
const OPS = new Map(EVAL_OPS.map((o) => [o.name as string, o]));

/** "a, b and c" */
const listed = (names: readonly string[]) => (names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`);
const AXIS_OPS = listed(EVAL_OPS.filter((o) => o.options.includes('axis') && o.kind !== 'loss').map((o) => o.name));

interface EvalFlags {
  axis?: number;
  shape?: number[];
  float32?: boolean;
  temperature?: number;
  beta?: number;
  threshold?: number;
  dy?: number[];
  target?: number[];
  reduction?: 'mean' | 'sum' | 'none' | 'batchmean';
  labelSmoothing?: number;
  logTarget?: boolean;
  grad?: boolean;
  json?: boolean;
}

export function evalCommand(program: Command, state: RunState): Command {
  return program
    .command('eval')
    .description('compute any op from the command line, e.g. sigmax eval softmax 1 2 3')
    .argument('<op>', 'the op (see the list below)')
    .argument('<numbers...>', 'the input, row-major; commas work too: 1,2,3')
    .option('--axis <n>', `the axis of ${AXIS_OPS}; the class axis of losses (default -1)`, integer)
    .option('--shape <dims>', 'the input shape, e.g. 2,3 (default: one row)', sizeList)
    .option('--float32', 'compute in float32 (default float64)')
    .option('--temperature <T>', OPTIONS.temperature.about, positiveNumber)
    .option('--beta <b>', OPTIONS.beta.about, positiveNumber)
    .option('--threshold <t>', OPTIONS.threshold.about, parseNumber)
    .option('--dy <values>', 'incoming gradient of a …Backward op, comma-separated (default all 1)', numberList)
    .option('--target <values>', 'loss targets, comma-separated: one class index per row, or one probability per input', numberList)
    .addOption(new Option('--reduction <r>', OPTIONS.reduction.about).choices(['mean', 'sum', 'none', 'batchmean']))
    .option('--label-smoothing <eps>', OPTIONS.labelSmoothing.about, (s) => {
      const v = nonNegativeNumber(s);
      if (v > 1) throw new InvalidArgumentError(`expected a number in [0, 1], got ${s}`);
      return v;
    })
    .option('--log-target', OPTIONS.logTarget.about)
    .option('--grad', 'for a loss, also print its gradient (…WithGrad)')
    .option('--json', 'print one JSON object: op, input, shape, result')
    .addHelpText(
      'after',
      `
Ops:
${EVAL_OPS.map((o) => `  ${o.name.padEnd(30)}${o.about}`).join('\n')}

Examples:
  $ sigmax eval softmax 1 2 3
  $ sigmax eval sigmoid -100 0 20
  $ sigmax eval logSoftmax 1 2 3 4 5 6 --shape 2,3 --axis 0
  $ sigmax eval crossEntropy 2 1 0.1 --target 0 --grad
  $ sigmax eval binaryCrossEntropyWithLogits 3 -2 --target 1,0 --reduction none
  $ sigmax eval klDivergence -1.2 -0.4 -2.3 --target 0.3,0.6,0.1 --reduction batchmean --grad`,
    )
    .action((op: string, numbers: string[], flags: EvalFlags) => {
      state.code = evaluate(op, numbers, flags);
    });
}

function resolveOp(name: string): Op {
  const exact = OPS.get(name);
  if (exact) return exact;
  const names = [...OPS.keys()];
  const folded = name.toLowerCase().replace(/[-_]/g, '');
  const match = names.find((k) => k.toLowerCase() === folded);
  if (match) return OPS.get(match)!;
  const near = names.filter((k) => editDistance(k.toLowerCase(), folded) <= 2);
  const hint = near.length ? `did you mean ${near.join(' or ')}? ` : '';
  throw new UsageError(`eval: unknown op '${name}' (${hint}ops: ${names.join(', ')})`);
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
  const entry = resolveOp(opName);
  const op = entry.name;
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
  const takes = (option: OptionName) => entry.options.includes(option);
  const hasInput = (role: string) => entry.inputs.some((i) => i.role === role);
  const onlyFor = (flag: string, set: unknown, applies: boolean) => {
    if (set !== undefined && !applies) throw new UsageError(`eval: ${flag} does not apply to ${op}`);
  };
  onlyFor('--temperature', f.temperature, takes('temperature'));
  onlyFor('--beta', f.beta, takes('beta'));
  onlyFor('--threshold', f.threshold, takes('threshold'));
  onlyFor('--dy', f.dy, hasInput('dy'));
  onlyFor('--target', f.target, hasInput('target'));
  onlyFor('--reduction', f.reduction, takes('reduction'));
  onlyFor('--label-smoothing', f.labelSmoothing, takes('labelSmoothing'));
  onlyFor('--log-target', f.logTarget, takes('logTarget'));
  onlyFor('--grad', f.grad, entry.withGrad !== undefined);
  onlyFor('--axis', axis, takes('axis'));

  // The op's options from its flags, only those it takes and the user set.
  const given: Record<OptionName, unknown> = { axis, temperature: f.temperature, beta: f.beta, threshold: f.threshold, reduction: f.reduction, labelSmoothing: f.labelSmoothing, logTarget: f.logTarget };
  const opts = Object.fromEntries(entry.options.filter((k) => given[k] !== undefined).map((k) => [k, given[k]]));

  let result: sx.Tensor | number;
  let grad: sx.Tensor | undefined;
  const call = (): void => {
    const args = entry.inputs.map((input): unknown => {
      switch (input.role) {
        case 'input':
          return x;
        case 'dy': {
          const dyValues = f.dy ?? new Array<number>(size).fill(1);
          if (dyValues.length !== size) throw new UsageError(`eval: --dy needs ${size} values, got ${dyValues.length}`);
          return sx.tensor(f32 ? Float32Array.from(dyValues) : Float64Array.from(dyValues), shape);
        }
        case 'target':
          if (f.target === undefined) throw new UsageError(`eval: ${op} needs --target`);
          return lossTarget(op, input.target ?? 'indices', f.target, shape, axis, f32);
        default:
          throw new UsageError(`eval: ${op} needs its ${input.name}, which eval cannot give`);
      }
    });
    if (entry.withGrad) {
      // A loss runs as …WithGrad, so --grad costs nothing extra; 'none' returns per-item losses.
      const withGrad = entry.withGrad(...args, opts) as { loss: sx.Tensor | number; grad: sx.Tensor };
      result = withGrad.loss;
      grad = withGrad.grad;
      return;
    }
    result = entry.fn(...args, opts) as sx.Tensor;
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
function lossTarget(op: string, kind: 'indices' | 'elementwise' | 'indices-or-probabilities', target: number[], shape: readonly number[], axis: number | undefined, f32: boolean): unknown {
  const size = shape.reduce((a, b) => a * b, 1);
  const asFloat = () => sx.tensor(f32 ? Float32Array.from(target) : Float64Array.from(target), shape);
  const probabilities = kind === 'indices-or-probabilities';
  if (kind === 'elementwise') {
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
  if (target.length === size && probabilities) return asFloat();
  throw new UsageError(`eval: --target needs ${rowCount} class index(es) (one per row)${probabilities ? ` or ${size} probabilities` : ''}, got ${target.length}`);
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
  if (f.logTarget) parts.push('logTarget');
  if (f.float32) parts.push('float32');
  return parts.length ? `; ${parts.join(', ')}` : '';
}
