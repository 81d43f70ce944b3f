// The op manifest: every public op of sigmax declared once, as plain data and function references.
// The CLI (`sigmax eval`, `demo`, `gradcheck`), the accuracy tests and report, the fast-path tests
// and the bench read their op lists from here, so adding an op is one entry in OPS. No Node or CLI
// dependency: this ships in the zero-dependency core. Order matters: it is the order of listings.

import type { Kernels } from '../backend/kernels.js';
import type { ExportName } from '../backend/wasm/exports.js';
import { logSigmoid, logSigmoidBackward, sigmoid, sigmoidBackward, softplus, softplusBackward } from './activations.js';
import { logSoftmax, logSoftmaxBackward, logSumExp, softmax, softmaxBackward, softmaxJacobian, softmaxJvp } from './softmax.js';
import { crossEntropy, crossEntropyBackward, crossEntropyWithGrad, nllLoss, nllLossBackward, nllLossWithGrad } from './crossEntropy.js';
import {
  binaryCrossEntropy,
  binaryCrossEntropyBackward,
  binaryCrossEntropyWithGrad,
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsBackward,
  binaryCrossEntropyWithLogitsWithGrad,
} from './binaryCrossEntropy.js';
import { klDivergence, klDivergenceBackward, klDivergenceWithGrad } from './klDivergence.js';

/** The op file (src/ops/<family>.ts) that defines an op. */
export type Family = 'activations' | 'softmax' | 'crossEntropy' | 'binaryCrossEntropy' | 'klDivergence';

/**
 * How an op is called:
 * - elementwise `fn(x, opts)`, same shape out;
 * - backward: an elementwise VJP `fn(dy, x, opts)`;
 * - softmax: along `axis`, `fn(x, opts)`, same shape out;
 * - softmax-backward: a VJP along `axis`, `fn(dy, y, opts)` with y the forward output;
 * - reduce: `fn(x, opts)` removes `axis`;
 * - jvp: `fn(x, v, opts)` along `axis`;
 * - jacobian: `fn(x, opts)`, [...batch, C, C];
 * - loss: `fn(input, target, opts)`, with `backward` and `withGrad` siblings.
 */
export type OpKind = 'elementwise' | 'backward' | 'softmax' | 'softmax-backward' | 'reduce' | 'jvp' | 'jacobian' | 'loss';

/** A positional argument of an op, in call order. */
export interface InputSpec {
  /** The parameter's name in the public signature. */
  readonly name: string;
  /** 'input': the op's main argument; 'dy' an incoming gradient; 'target' a loss target; 'other' the rest (y, v). */
  readonly role: 'input' | 'dy' | 'target' | 'other';
  readonly about: string;
  /**
   * For targets, what they may be: class indices (one per row along the class axis), per-element
   * values of the input's shape, or either (indices, or probabilities of the input's shape).
   */
  readonly target?: 'indices' | 'elementwise' | 'indices-or-probabilities';
  /** Values outside the domain are an error ('probability': [0, 1]); absent for any number. */
  readonly domain?: 'probability';
}

/** The options `sigmax eval` exposes, with their meaning (ops take more: `out`, `weight`, …). */
export const OPTIONS = {
  axis: { about: 'the axis the op works along; the class axis of losses (default -1)' },
  temperature: { about: 'softmax temperature' },
  beta: { about: 'softplus β' },
  threshold: { about: 'softplus linear cut-off' },
  reduction: { about: 'loss reduction' },
  labelSmoothing: { about: 'crossEntropy label smoothing' },
  logTarget: { about: 'klDivergence: the target holds log-probabilities' },
} as const satisfies Record<string, { about: string }>;

export type OptionName = keyof typeof OPTIONS;

/** The checks of `sigmax gradcheck` (src/cli/identities.ts: GRADCHECKS), by name. */
export type GradcheckName =
  | 'activationVjp'
  | 'softmaxVjpAlongAxes'
  | 'softmaxVjp'
  | 'logSumExpGradient'
  | 'softmaxJvp'
  | 'softmaxJacobian'
  | 'crossEntropy'
  | 'nllLoss'
  | 'binaryCrossEntropy'
  | 'binaryCrossEntropyWithLogits'
  | 'klDivergence';

/** The tutorial's identities of `sigmax demo` (src/cli/identities.ts: IDENTITIES), by name. */
export type IdentityName = 'sigmoidSymmetry' | 'sigmoidDerivative' | 'softmaxJacobian' | 'crossEntropyGradient' | 'binaryCrossEntropyGradient' | 'formulaOneTwo';

/** A benchmark case family of bench/ (float32 [rows, cols] inputs). */
export interface BenchSpec {
  /** The heading of its tables. */
  readonly title: string;
  /** 'rows': along the last axis of [rows, cols]; 'elements': the data as one flat array. */
  readonly layout: 'rows' | 'elements';
  /** The least bytes a call moves: per input element, and per row (targets in, a reduced row out). */
  readonly bytesPerElement: number;
  readonly bytesPerRow: number;
  /** Also timed on the large 8192×32000 batch, with 1 and 2 threads. */
  readonly big: boolean;
}

// The public functions are overloaded and generic; entries hold them as plain callables.
type AnyFn = (...args: any[]) => any;

export interface OpSpec {
  readonly family: Family;
  readonly kind: OpKind;
  /** The public function; its name is the entry's key. */
  readonly fn: AnyFn;
  /** Losses: `<op>Backward`, the gradient alone. */
  readonly backward?: AnyFn;
  /** Losses: `<op>WithGrad`, the loss and its gradient in one pass. */
  readonly withGrad?: AnyFn;
  /** Backward ops: the op whose VJP this is. */
  readonly forward?: string;
  readonly inputs: readonly InputSpec[];
  /** The options of OPTIONS it takes (what `sigmax eval` accepts for it). */
  readonly options: readonly OptionName[];
  /** The reference kernel: the method of the backend contract (src/backend/kernels.ts) that computes it. */
  readonly kernel: Exclude<keyof Kernels, 'name'>;
  /**
   * Its WebAssembly kernels (export names of the wasm module): float32 and, where one exists, the
   * fast float64 kernel (used under setFastFloat64(true)); null where the op always runs the
   * reference for that dtype. `also`: kernels that serve some option combinations instead.
   */
  readonly wasm: { readonly float32: ExportName | null; readonly float64: ExportName | null; readonly also?: readonly ExportName[] };
  /** The exact fixtures that test it: paths under test/fixtures/. */
  readonly fixtures: readonly string[];
  /** `sigmax eval`'s one-line formula; ops without it are not offered by `sigmax eval`. */
  readonly about?: string;
  /** Its check in `sigmax gradcheck`. */
  readonly gradcheck?: GradcheckName;
  /** The tutorial identities (`sigmax demo`) that measure it. */
  readonly identities?: readonly IdentityName[];
  /** Its benchmark case family, if bench/ times it. */
  readonly bench?: BenchSpec;
}

const X: InputSpec = { name: 'x', role: 'input', about: 'the input' };
const DY: InputSpec = { name: 'dy', role: 'dy', about: 'the incoming gradient, shaped as x' };
const Y_OUT: InputSpec = { name: 'y', role: 'other', about: 'the forward output' };
const INDICES: InputSpec = { name: 'target', role: 'target', about: 'class indices, one per row', target: 'indices' };
const BINARY: InputSpec = { name: 'y', role: 'target', about: 'targets in [0, 1], shaped as the input', target: 'elementwise', domain: 'probability' };

type KernelName = OpSpec['kernel'];

/** An activation: elementwise, kernel and float32 export named after it, in the activations fixture. */
function activation<const E extends Partial<OpSpec>>(name: KernelName, fn: AnyFn, extra: E): OpSpec & E {
  return {
    family: 'activations',
    kind: 'elementwise',
    fn,
    inputs: [X],
    options: [],
    kernel: name,
    wasm: { float32: `${name}F32`, float64: null },
    fixtures: ['activations/activations.json'],
    ...extra,
  };
}

/** The VJP of an activation: `fn(dy, x)`, checked by gradcheck against its forward op. */
function activationBackward<const E extends Partial<OpSpec>>(name: KernelName, forward: string, fn: AnyFn, extra: E) {
  return activation(name, fn, { kind: 'backward', forward, inputs: [DY, X], gradcheck: 'activationVjp', ...extra } as const);
}

/** Every public op, keyed by its function's name. */
export const OPS = {
  sigmoid: activation('sigmoid', sigmoid, {
    wasm: { float32: 'sigmoidF32', float64: 'sigmoidF64' },
    about: '1 / (1 + e^−x)',
    identities: ['sigmoidSymmetry', 'sigmoidDerivative'],
    bench: { title: 'sigmoid', layout: 'elements', bytesPerElement: 8, bytesPerRow: 0, big: false },
  }),
  logSigmoid: activation('logSigmoid', logSigmoid, { about: 'log σ(x)' }),
  softplus: activation('softplus', softplus, { options: ['beta', 'threshold'], about: 'log(1 + e^(βx))/β (--beta, --threshold)' }),
  sigmoidBackward: activationBackward('sigmoidBackward', 'sigmoid', sigmoidBackward, { about: 'dy·σ(x)(1 − σ(x)) (dy: --dy, default 1)' }),
  logSigmoidBackward: activationBackward('logSigmoidBackward', 'logSigmoid', logSigmoidBackward, { about: 'dy·σ(−x)' }),
  softplusBackward: activationBackward('softplusBackward', 'softplus', softplusBackward, { options: ['beta', 'threshold'], about: 'dy·σ(βx)' }),

  softmax: {
    family: 'softmax',
    kind: 'softmax',
    fn: softmax,
    inputs: [X],
    options: ['axis', 'temperature'],
    kernel: 'softmax',
    wasm: { float32: 'softmaxF32', float64: 'softmaxF64' },
    fixtures: ['softmax/softmax.json'],
    about: 'e^(z_i/T) / Σ e^(z_c/T) along --axis (--temperature)',
    bench: { title: 'softmax', layout: 'rows', bytesPerElement: 8, bytesPerRow: 0, big: true },
  },
  logSoftmax: {
    family: 'softmax',
    kind: 'softmax',
    fn: logSoftmax,
    inputs: [X],
    options: ['axis', 'temperature'],
    kernel: 'logSoftmax',
    wasm: { float32: 'logSoftmaxF32', float64: 'logSoftmaxF64' },
    fixtures: ['softmax/softmax.json'],
    about: 'z_i − log Σ e^(z_c)',
    bench: { title: 'logSoftmax', layout: 'rows', bytesPerElement: 8, bytesPerRow: 0, big: true },
  },
  softmaxBackward: {
    family: 'softmax',
    kind: 'softmax-backward',
    fn: softmaxBackward,
    forward: 'softmax',
    inputs: [DY, Y_OUT],
    options: ['axis'],
    kernel: 'softmaxBackward',
    wasm: { float32: 'softmaxBackwardF32', float64: null },
    fixtures: ['softmax/softmax-grad.json'],
    gradcheck: 'softmaxVjpAlongAxes',
  },
  logSoftmaxBackward: {
    family: 'softmax',
    kind: 'softmax-backward',
    fn: logSoftmaxBackward,
    forward: 'logSoftmax',
    inputs: [DY, Y_OUT],
    options: ['axis'],
    kernel: 'logSoftmaxBackward',
    wasm: { float32: null, float64: null },
    fixtures: ['softmax/softmax-grad.json'],
    gradcheck: 'softmaxVjp',
  },
  logSumExp: {
    family: 'softmax',
    kind: 'reduce',
    fn: logSumExp,
    inputs: [X],
    options: ['axis'],
    kernel: 'logSumExp',
    wasm: { float32: 'logSumExpF32', float64: 'logSumExpF64' },
    fixtures: ['softmax/softmax.json'],
    about: 'log Σ e^(z_c), reduces --axis',
    gradcheck: 'logSumExpGradient',
    bench: { title: 'logSumExp', layout: 'rows', bytesPerElement: 4, bytesPerRow: 4, big: false },
  },
  softmaxJvp: {
    family: 'softmax',
    kind: 'jvp',
    fn: softmaxJvp,
    inputs: [X, { name: 'v', role: 'other', about: 'the tangent, shaped as x' }],
    options: ['axis'],
    kernel: 'softmaxJvp',
    wasm: { float32: null, float64: null },
    fixtures: ['softmax/softmax-grad.json'],
    gradcheck: 'softmaxJvp',
  },
  softmaxJacobian: {
    family: 'softmax',
    kind: 'jacobian',
    fn: softmaxJacobian,
    inputs: [X],
    options: ['axis'],
    kernel: 'softmaxJacobian',
    wasm: { float32: null, float64: null },
    fixtures: ['softmax/softmax-jacobian.json'],
    about: 'p_i δ_ij − p_i p_j per row',
    gradcheck: 'softmaxJacobian',
    identities: ['softmaxJacobian'],
  },

  crossEntropy: {
    family: 'crossEntropy',
    kind: 'loss',
    fn: crossEntropy,
    backward: crossEntropyBackward,
    withGrad: crossEntropyWithGrad,
    inputs: [
      { name: 'logits', role: 'input', about: 'unnormalised log-probabilities, classes along axis' },
      { name: 'target', role: 'target', about: 'class indices, one per row, or class probabilities shaped as the logits', target: 'indices-or-probabilities' },
    ],
    options: ['axis', 'reduction', 'labelSmoothing'],
    kernel: 'crossEntropy',
    // probability targets and label smoothing run crossEntropySoftF32
    wasm: { float32: 'crossEntropyF32', float64: 'crossEntropyF64', also: ['crossEntropySoftF32'] },
    fixtures: ['losses/crossEntropy.float32.json', 'losses/crossEntropy.float64.json'],
    about: '−log softmax(z)[target] (--target: class indices or probabilities)',
    gradcheck: 'crossEntropy',
    identities: ['crossEntropyGradient', 'formulaOneTwo'],
    bench: { title: 'cross-entropy loss + gradient (class indices, mean)', layout: 'rows', bytesPerElement: 8, bytesPerRow: 4, big: true },
  },
  nllLoss: {
    family: 'crossEntropy',
    kind: 'loss',
    fn: nllLoss,
    backward: nllLossBackward,
    withGrad: nllLossWithGrad,
    inputs: [{ name: 'logProbs', role: 'input', about: 'log-probabilities, classes along axis' }, INDICES],
    options: ['axis', 'reduction'],
    kernel: 'nllLoss',
    wasm: { float32: null, float64: null },
    fixtures: ['losses/nllLoss.json'],
    about: '−logProbs[target]',
    gradcheck: 'nllLoss',
  },

  binaryCrossEntropy: {
    family: 'binaryCrossEntropy',
    kind: 'loss',
    fn: binaryCrossEntropy,
    backward: binaryCrossEntropyBackward,
    withGrad: binaryCrossEntropyWithGrad,
    inputs: [{ name: 'p', role: 'input', about: 'probabilities in [0, 1]', domain: 'probability' }, BINARY],
    options: ['reduction'],
    kernel: 'binaryCrossEntropy',
    wasm: { float32: null, float64: null },
    fixtures: ['losses/binaryCrossEntropy.json'],
    about: '−[y log p + (1 − y) log(1 − p)] (--target: y)',
    gradcheck: 'binaryCrossEntropy',
  },
  binaryCrossEntropyWithLogits: {
    family: 'binaryCrossEntropy',
    kind: 'loss',
    fn: binaryCrossEntropyWithLogits,
    backward: binaryCrossEntropyWithLogitsBackward,
    withGrad: binaryCrossEntropyWithLogitsWithGrad,
    inputs: [{ name: 'x', role: 'input', about: 'logits' }, BINARY],
    options: ['reduction'],
    kernel: 'binaryCrossEntropyWithLogits',
    wasm: { float32: 'bceWithLogitsF32', float64: null },
    fixtures: ['losses/binaryCrossEntropyWithLogits.json'],
    about: 'the same on logits x, p = σ(x)',
    gradcheck: 'binaryCrossEntropyWithLogits',
    identities: ['binaryCrossEntropyGradient'],
  },

  klDivergence: {
    family: 'klDivergence',
    kind: 'loss',
    fn: klDivergence,
    backward: klDivergenceBackward,
    withGrad: klDivergenceWithGrad,
    inputs: [
      { name: 'input', role: 'input', about: 'log-probabilities' },
      { name: 'target', role: 'target', about: 'probabilities (log-probabilities with logTarget), shaped as the input', target: 'elementwise' },
    ],
    // axis: the distribution axis, which 'batchmean' counts distributions along
    options: ['axis', 'reduction', 'logTarget'],
    kernel: 'klDivergence',
    wasm: { float32: 'klDivergenceF32', float64: null },
    fixtures: ['klDivergence/klDivergence.json'],
    about: 't·(log t − x), or e^t·(t − x) with --log-target (--target: t)',
    gradcheck: 'klDivergence',
  },
} as const satisfies Record<string, OpSpec>;

export type OpName = keyof typeof OPS;

/** The ops bench/ times (those with a `bench` case). */
export type BenchOpName = { [K in OpName]: (typeof OPS)[K] extends { bench: BenchSpec } ? K : never }[OpName];

/** One manifest entry with its name. */
export type Op = OpSpec & { readonly name: OpName };

/** Every op, in manifest order. */
export const ALL_OPS: readonly Op[] = Object.entries(OPS).map(([name, spec]) => ({ name: name as OpName, ...(spec as OpSpec) }));

/** The entry of an op by name (undefined for a name that is not an op). */
export function opByName(name: string): Op | undefined {
  return ALL_OPS.find((o) => o.name === name);
}

/** The ops with a given property, in manifest order. */
export function opsWhere(pred: (op: Op) => boolean): Op[] {
  return ALL_OPS.filter(pred);
}
