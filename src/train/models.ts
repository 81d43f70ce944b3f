// The classifiers: LogisticRegression (one logit, σ(z) − y), SoftmaxRegression (C logits, p − y)
// and MLP (one or two sigmoid/tanh hidden layers under a softmax). Each predicts, evaluates,
// trains through fit.ts and round-trips through JSON with every weight bit kept.

import { sigmoid, softmax, tensor, type Tensor } from '../index.js';
import type { Dataset } from './data.js';
import { type FitAsyncOptions, type FitOptions, type History, type Trainable, fit, fitAsync } from './fit.js';
import { type Features, type Matrix, range, toMatrix } from './matrix.js';
import { type Evaluation, confusionMatrix } from './metrics.js';
import { type Activation, Network } from './network.js';
import type { Param } from './optim.js';

export type ModelType = 'LogisticRegression' | 'SoftmaxRegression' | 'MLP';

/** A saved model: plain JSON, weights as numbers (JSON keeps every bit of a double). */
export interface ModelJSON {
  format: 'sigmax-model';
  version: 1;
  type: ModelType;
  inputs: number;
  classes: number;
  hidden: number[];
  /** The hidden layers' activation (recorded, but without hidden layers it plays no part). */
  activation: Activation;
  classNames?: string[];
  /** Per layer: W ([inputs, outputs], row-major) and b. */
  layers: { W: number[]; b: number[] }[];
}

/** Rows per forward pass when predicting or evaluating a whole dataset. */
const CHUNK = 512;

export abstract class Classifier implements Trainable {
  abstract readonly type: ModelType;
  /** Labels for the classes, when known (kept in the saved JSON). */
  classNames?: string[];
  protected readonly net: Network;

  protected constructor(net: Network, classNames?: readonly string[]) {
    this.net = net;
    if (classNames !== undefined) this.classNames = [...classNames];
  }

  get inputs(): number {
    return this.net.inputs;
  }

  /** Number of classes (2 for logistic regression). */
  get classes(): number {
    return this.net.head === 'sigmoid' ? 2 : this.net.outputs;
  }

  params(): Param[] {
    return this.net.params();
  }

  lossAndGrad(x: Matrix, y: Int32Array, rows: ArrayLike<number>): number {
    return this.net.lossAndGrad(x, y, rows);
  }

  /** Mean cross-entropy (binary cross-entropy for logistic regression) over a dataset. */
  loss(d: Dataset): number {
    this.checkLabels(d);
    const rows = range(d.y.length);
    let sum = 0;
    for (let s = 0; s < rows.length; s += CHUNK) sum += this.net.lossSum(d.x, d.y, rows.subarray(s, s + CHUNK));
    return sum / d.y.length;
  }

  /** The raw scores: [n, classes] logits, or [n, 1] for logistic regression. */
  logits(x: Features): Tensor<Float64Array> {
    const m = toMatrix(x);
    const K = this.net.outputs;
    const out = new Float64Array(m.rows * K);
    const rows = range(m.rows);
    for (let s = 0; s < m.rows; s += CHUNK) this.net.logitsInto(m, rows.subarray(s, s + CHUNK), out, s * K);
    return tensor(out, [m.rows, K]);
  }

  /** Class probabilities, [n, classes]: softmax of the logits, or [σ(−z), σ(z)] for logistic regression. */
  predictProba(x: Features): Tensor<Float64Array> {
    const z = this.logits(x);
    if (this.net.head === 'softmax') return softmax(z);
    const n = z.shape[0];
    // σ(−z) rather than 1 − σ(z): the probability of class 0 keeps its digits where σ(z) ≈ 1.
    const pair = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      pair[2 * i] = -z.data[i];
      pair[2 * i + 1] = z.data[i];
    }
    return tensor(sigmoid(pair), [n, 2]);
  }

  /** The most probable class of each row (the lowest index on ties). */
  predict(x: Features): Int32Array {
    const z = this.logits(x);
    const n = z.shape[0];
    const K = z.shape[1];
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (this.net.head === 'sigmoid') {
        out[i] = z.data[i] > 0 ? 1 : 0;
        continue;
      }
      let best = 0;
      for (let c = 1; c < K; c++) if (z.data[i * K + c] > z.data[i * K + best]) best = c;
      out[i] = best;
    }
    return out;
  }

  /** Accuracy, log-loss (mean cross-entropy, nats) and the confusion matrix on a labelled dataset. */
  evaluate(d: Dataset): Evaluation {
    this.checkLabels(d);
    const predicted = this.predict(d.x);
    const cm = confusionMatrix(d.y, predicted, this.classes);
    let correct = 0;
    for (let c = 0; c < this.classes; c++) correct += cm[c][c];
    const n = d.y.length;
    return { n, accuracy: n === 0 ? NaN : correct / n, logLoss: n === 0 ? NaN : this.loss(d), confusionMatrix: cm, classNames: this.classNames ?? d.classNames?.slice() };
  }

  /** Trains on `train` (see FitOptions) and returns the history. */
  fit(train: Dataset, opts?: FitOptions): History {
    this.checkLabels(train);
    if (opts?.validation) this.checkLabels(opts.validation);
    return fit(this, train, opts);
  }

  /** As fit, yielding to the event loop (progress bars, Ctrl-C) and stoppable with an AbortSignal. */
  fitAsync(train: Dataset, opts?: FitAsyncOptions): Promise<History> {
    this.checkLabels(train);
    if (opts?.validation) this.checkLabels(opts.validation);
    return fitAsync(this, train, opts);
  }

  toJSON(): ModelJSON {
    const j: ModelJSON = {
      format: 'sigmax-model',
      version: 1,
      type: this.type,
      inputs: this.inputs,
      classes: this.classes,
      hidden: this.net.layers.slice(0, -1).map((l) => l.outputs),
      activation: this.net.activation,
      layers: this.net.layers.map((l) => ({ W: [...l.W.value], b: [...l.b.value] })),
    };
    if (this.classNames !== undefined) j.classNames = [...this.classNames];
    return j;
  }

  private checkLabels(d: Dataset): void {
    if (d.x.cols !== this.inputs) throw new RangeError(`${this.type}: the model takes ${this.inputs} features, the data has ${d.x.cols}`);
    for (let i = 0; i < d.y.length; i++) {
      if (d.y[i] >= this.classes) throw new RangeError(`${this.type}: label y[${i}] = ${d.y[i]} but the model has ${this.classes} classes`);
    }
  }
}

export interface LinearOptions {
  inputs: number;
  classNames?: readonly string[];
}

/** p(y = 1 | x) = σ(w·x + b), trained on binary cross-entropy with logits: gradient (σ(z) − y)·x. */
export class LogisticRegression extends Classifier {
  readonly type = 'LogisticRegression';
  constructor(opts: LinearOptions) {
    super(new Network([opts.inputs, 1], 'sigmoid', 'sigmoid'), opts.classNames);
  }
}

/** p = softmax(xW + b), trained on cross-entropy: gradient (p − y)·x. */
export class SoftmaxRegression extends Classifier {
  readonly type = 'SoftmaxRegression';
  constructor(opts: LinearOptions & { classes: number }) {
    super(new Network([opts.inputs, opts.classes], 'sigmoid', 'softmax'), opts.classNames);
  }
}

export interface MLPOptions extends LinearOptions {
  classes: number;
  /** Units per hidden layer: one or two layers (default [64]). */
  hidden?: number | readonly number[];
  /** Hidden activation (default 'tanh'). */
  activation?: Activation;
  /** Seeds the initial weights (default 0). */
  seed?: number;
}

/** A multilayer perceptron: one or two hidden layers of sigmoid or tanh units under a softmax. */
export class MLP extends Classifier {
  readonly type = 'MLP';
  constructor(opts: MLPOptions) {
    const hidden = typeof opts.hidden === 'number' ? [opts.hidden] : [...(opts.hidden ?? [64])];
    if (hidden.length < 1 || hidden.length > 2) throw new RangeError(`MLP: hidden must list one or two layer sizes, got [${hidden.join(', ')}]`);
    const activation = opts.activation ?? 'tanh';
    if (activation !== 'sigmoid' && activation !== 'tanh') throw new RangeError(`MLP: activation must be 'sigmoid' or 'tanh', got '${activation}'`);
    super(new Network([opts.inputs, ...hidden, opts.classes], activation, 'softmax', opts.seed ?? 0), opts.classNames);
  }
}

export type AnyClassifier = LogisticRegression | SoftmaxRegression | MLP;

/** The largest size loadModel accepts for `inputs`, `classes` or a hidden layer (spam's 2^24 hash buckets fit). */
export const MAX_MODEL_SIZE = 2 ** 24;
/** The most weights (all layers' W and b together) loadModel accepts: 2^27, 1 GiB of float64. */
export const MAX_MODEL_WEIGHTS = 2 ** 27;

function sizeField(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > MAX_MODEL_SIZE) {
    throw new RangeError(`loadModel: ${name} must be a whole number from ${min} to ${MAX_MODEL_SIZE}, got ${typeof v === 'number' ? v : typeof v}`);
  }
  return v;
}

/**
 * Rebuilds a model saved with `toJSON()` (an object or its JSON text). Everything is checked
 * before anything is allocated: the format and version, the type, `inputs`, `classes` and each
 * hidden size (whole numbers from 1 — classes from 2 — to MAX_MODEL_SIZE = 2^24), one or two
 * hidden layers for an MLP, at most MAX_MODEL_WEIGHTS = 2^27 weights in all, one `{ W, b }` per
 * layer whose arrays hold exactly the numbers the sizes declare, and the activation and class
 * names. So a model's memory is bounded by the numbers its file actually holds: a small file
 * declaring huge sizes fails at once. Throws TypeError (wrong structure) or RangeError (sizes).
 */
export function loadModel(json: ModelJSON | string): AnyClassifier {
  let parsed: unknown;
  if (typeof json === 'string') {
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      throw new TypeError(`loadModel: not valid JSON (${(e as Error).message})`);
    }
  } else parsed = json;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new TypeError("loadModel: not a sigmax model (expected format 'sigmax-model')");
  // Each field is read once: an object with getters cannot pass the checks and then change.
  const j = parsed as Record<string, unknown>;
  if (j.format !== 'sigmax-model') throw new TypeError("loadModel: not a sigmax model (expected format 'sigmax-model')");
  const version = j.version;
  if (version !== 1) throw new TypeError(`loadModel: unsupported version ${String(version)} (this build reads version 1)`);
  const type = j.type;
  if (type !== 'LogisticRegression' && type !== 'SoftmaxRegression' && type !== 'MLP') throw new TypeError(`loadModel: unknown model type '${String(type)}'`);
  const inputs = sizeField('inputs', j.inputs, 1);
  const classes = type === 'LogisticRegression' ? 2 : sizeField('classes', j.classes, 2);
  let hidden: number[] = [];
  let activation: Activation = 'tanh';
  if (type === 'MLP') {
    const h = j.hidden;
    if (!Array.isArray(h) || h.length < 1 || h.length > 2) throw new TypeError(`loadModel: an MLP's hidden must list one or two layer sizes, got ${Array.isArray(h) ? `${h.length} sizes` : typeof h}`);
    hidden = [sizeField('hidden[0]', h[0], 1), ...(h.length === 2 ? [sizeField('hidden[1]', h[1], 1)] : [])];
    const a = j.activation;
    if (a !== 'sigmoid' && a !== 'tanh') throw new TypeError(`loadModel: activation must be 'sigmoid' or 'tanh', got ${typeof a === 'string' ? `'${a}'` : typeof a}`);
    activation = a;
  }
  const sizes = [inputs, ...hidden, type === 'LogisticRegression' ? 1 : classes];
  let weights = 0;
  for (let l = 0; l + 1 < sizes.length; l++) weights += sizes[l] * sizes[l + 1] + sizes[l + 1];
  if (weights > MAX_MODEL_WEIGHTS) throw new RangeError(`loadModel: sizes [${sizes.join(', ')}] declare ${weights} weights, more than the ${MAX_MODEL_WEIGHTS} allowed`);
  const layers = j.layers;
  if (!Array.isArray(layers) || layers.length !== sizes.length - 1) throw new TypeError(`loadModel: expected ${sizes.length - 1} layers, got ${Array.isArray(layers) ? layers.length : typeof layers}`);
  const arrays: unknown[][] = [];
  for (let l = 0; l < layers.length; l++) {
    const layer: unknown = layers[l];
    if (layer === null || typeof layer !== 'object') throw new TypeError(`loadModel: layers[${l}] must be an object { W, b }, got ${layer === null ? 'null' : typeof layer}`);
    const { W, b } = layer as { W: unknown; b: unknown };
    for (const [name, k, n] of [[`layer${l}.W`, W, sizes[l] * sizes[l + 1]], [`layer${l}.b`, b, sizes[l + 1]]] as const) {
      if (!Array.isArray(k) || k.length !== n) throw new TypeError(`loadModel: ${name} needs ${n} numbers, got ${Array.isArray(k) ? k.length : typeof k}`);
      for (let m = 0; m < n; m++) if (typeof k[m] !== 'number') throw new TypeError(`loadModel: ${name}[${m}] is not a number`);
      arrays.push(k);
    }
  }
  const names = j.classNames;
  let classNames: string[] | undefined;
  if (names !== undefined) {
    if (!Array.isArray(names) || names.length !== classes || names.some((c) => typeof c !== 'string')) {
      throw new TypeError(`loadModel: classNames must list ${classes} strings, one per class`);
    }
    classNames = names as string[];
  }
  let model: AnyClassifier;
  if (type === 'LogisticRegression') model = new LogisticRegression({ inputs, classNames });
  else if (type === 'SoftmaxRegression') model = new SoftmaxRegression({ inputs, classes, classNames });
  else model = new MLP({ inputs, classes, hidden, activation, classNames });
  model.params().forEach((p, i) => p.value.set(arrays[i] as number[]));
  return model;
}
