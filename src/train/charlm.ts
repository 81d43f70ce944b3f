// Character-level language models of names over 27 symbols ('.' marks both ends, then a–z): the
// counts-based bigram table (the closed form), a bigram softmax trained by gradient descent that
// must reach it, the context-window dataset for an MLP, and sampling of new names.

import { crossEntropy, crossEntropyWithGrad, softmax, tensor } from '../index.js';
import { type Dataset, splitIndices } from './data.js';
import { type Features, SparseBuilder, range } from './matrix.js';
import { type Optimizer, type OptimizerSpec, type Param, createOptimizer } from './optim.js';
import type { Rng } from './rng.js';

/** The symbols: index 0 is '.', the boundary (start context and end of name); 1–26 are a–z. */
export const ALPHABET = '.abcdefghijklmnopqrstuvwxyz';
export const SYMBOLS = ALPHABET.length;
export const BOUNDARY = 0;

/** The symbol indices of a lower-case a–z name (without the boundaries). */
export function encodeName(name: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const k = ALPHABET.indexOf(name[i]);
    if (k < 1) throw new RangeError(`encodeName: '${name}' has '${name[i]}' at ${i}; names hold a–z only`);
    out.push(k);
  }
  return out;
}

/** Number of (previous → next) events in the names: one per letter plus the end of each name. */
export function countEvents(names: readonly string[]): number {
  let n = 0;
  for (const s of names) n += s.length + 1;
  return n;
}

/** counts[a·27 + b]: how often symbol b follows symbol a, over names framed as .name. */
export function bigramCounts(names: readonly string[]): Float64Array {
  const counts = new Float64Array(SYMBOLS * SYMBOLS);
  for (const name of names) {
    let prev = BOUNDARY;
    for (const c of [...encodeName(name), BOUNDARY]) {
      counts[prev * SYMBOLS + c]++;
      prev = c;
    }
  }
  return counts;
}

/** The closed form: p(b | a) = (N_ab + α) / (N_a + 27α), add-α smoothed relative frequencies. */
export function bigramProbabilities(counts: Float64Array, smoothing: number): Float64Array {
  const p = new Float64Array(counts.length);
  for (let a = 0; a < SYMBOLS; a++) {
    let row = 0;
    for (let b = 0; b < SYMBOLS; b++) row += counts[a * SYMBOLS + b] + smoothing;
    // A context never seen (only possible without smoothing) predicts uniformly.
    for (let b = 0; b < SYMBOLS; b++) p[a * SYMBOLS + b] = row > 0 ? (counts[a * SYMBOLS + b] + smoothing) / row : 1 / SYMBOLS;
  }
  return p;
}

/** Mean negative log-likelihood per event (nats) of the names under a table of probabilities. */
export function bigramTableLoss(probs: Float64Array, names: readonly string[]): number {
  const counts = bigramCounts(names);
  let sum = 0;
  for (let i = 0; i < counts.length; i++) if (counts[i] > 0) sum -= counts[i] * Math.log(probs[i]);
  return sum / countEvents(names);
}

export interface BigramFitOptions {
  /** Pseudo-count α added to every pair, as in the closed form (default 1). */
  smoothing?: number;
  /** Full-batch gradient steps (default 300). */
  steps?: number;
  /** Default Adam with lr 0.2 (each step sees the whole data, so a large step is safe). */
  optimizer?: Optimizer | OptimizerSpec;
  onStep?: (step: number, loss: number) => void;
}

/**
 * A bigram model with free logits: p(· | a) = softmax(W[a]). Its loss over all events groups
 * the events by context: Σ_events −log p(next | prev) = Σ_a Σ_b N_ab·(−log p_b|a), which is
 * sigmax's crossEntropy of the 27 rows of W against the count rows as (unnormalized)
 * probability targets. Its gradient, row a: N_a·p − N_a,· — exactly the p − y of every event,
 * summed, for the price of 27 rows instead of one row per event. It is zero at p = N_ab/N_a:
 * gradient descent lands on the relative frequencies, which training checks against the closed form.
 */
export class BigramLM {
  /** [27, 27]: row a holds the logits of the symbol after a. */
  readonly W: Param;

  constructor() {
    const n = SYMBOLS * SYMBOLS;
    this.W = { name: 'bigram.W', value: new Float64Array(n), grad: new Float64Array(n), decay: false };
  }

  /**
   * Full-batch gradient descent on the smoothed objective (targets N_ab + α, the pseudo-counts
   * the closed form adds). Returns the objective per step, in nats per event.
   */
  fit(names: readonly string[], opts: BigramFitOptions = {}): number[] {
    const smoothing = opts.smoothing ?? 1;
    if (!(smoothing >= 0 && smoothing < Infinity)) throw new RangeError(`BigramLM.fit: smoothing must be ≥ 0, got ${smoothing}`);
    const steps = opts.steps ?? 300;
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`BigramLM.fit: steps must be a positive integer, got ${steps}`);
    const counts = bigramCounts(names);
    const targets = tensor(counts.map((c) => c + smoothing), [SYMBOLS, SYMBOLS]);
    const total = countEvents(names) + smoothing * SYMBOLS * SYMBOLS;
    const logits = tensor(this.W.value, [SYMBOLS, SYMBOLS]);
    const grad = tensor(this.W.grad, [SYMBOLS, SYMBOLS]);
    const optimizer = createOptimizer(opts.optimizer ?? { type: 'adam', lr: 0.2 });
    const losses: number[] = [];
    for (let s = 1; s <= steps; s++) {
      // 'sum' with gradOutput 1/total: the loss summed over events, the gradient of its mean.
      const { loss } = crossEntropyWithGrad(logits, targets, { reduction: 'sum', gradOutput: 1 / total, out: grad });
      losses.push(loss / total);
      opts.onStep?.(s, loss / total);
      optimizer.step([this.W]);
    }
    return losses;
  }

  /** Mean negative log-likelihood per event (nats) of the names under the model. */
  loss(names: readonly string[]): number {
    return this.lossOfCounts(bigramCounts(names));
  }

  /** The same from bigram counts (see bigramCounts): Σ N_ab·(−log p_b|a) / Σ N_ab. */
  lossOfCounts(counts: Float64Array): number {
    let events = 0;
    for (let i = 0; i < counts.length; i++) events += counts[i];
    return crossEntropy(tensor(this.W.value, [SYMBOLS, SYMBOLS]), tensor(counts, [SYMBOLS, SYMBOLS]), { reduction: 'sum' }) / events;
  }

  /** The table p(b | a) = softmax(W[a])_b, [27 × 27]. */
  probabilities(): Float64Array {
    return softmax(tensor(this.W.value, [SYMBOLS, SYMBOLS])).data;
  }

  /** Draws names: start at '.', draw each next symbol from p(· | previous) until '.'. */
  sample(rng: Rng, count: number, maxLength = 20): string[] {
    const p = this.probabilities();
    return sampleWith((context) => p.subarray(context[context.length - 1] * SYMBOLS, (context[context.length - 1] + 1) * SYMBOLS), rng, count, 1, maxLength);
  }

  toJSON(): { format: 'sigmax-bigram'; version: 1; W: number[] } {
    return { format: 'sigmax-bigram', version: 1, W: [...this.W.value] };
  }

  static fromJSON(j: { format: string; W: readonly number[] }): BigramLM {
    if (j?.format !== 'sigmax-bigram' || !Array.isArray(j.W) || j.W.length !== SYMBOLS * SYMBOLS) {
      throw new TypeError(`BigramLM.fromJSON: expected format 'sigmax-bigram' with ${SYMBOLS * SYMBOLS} logits`);
    }
    const m = new BigramLM();
    m.W.value.set(j.W);
    return m;
  }
}

/**
 * One row per event: the previous `block` symbols one-hot encoded side by side (block·27 sparse
 * features, '.' padding the start), labelled with the next symbol.
 */
export function contextDataset(names: readonly string[], block = 3): Dataset {
  if (!Number.isInteger(block) || block < 1) throw new RangeError(`contextDataset: block must be a positive integer, got ${block}`);
  const b = new SparseBuilder(block * SYMBOLS);
  const y: number[] = [];
  const ones = new Float64Array(block).fill(1);
  const idx = new Int32Array(block);
  for (const name of names) {
    const context = new Array<number>(block).fill(BOUNDARY);
    for (const c of [...encodeName(name), BOUNDARY]) {
      for (let k = 0; k < block; k++) idx[k] = k * SYMBOLS + context[k];
      b.addRow(idx, ones);
      y.push(c);
      context.shift();
      context.push(c);
    }
  }
  return { x: b.build(), y: Int32Array.from(y), classes: SYMBOLS, classNames: [...ALPHABET] };
}

/** The one-hot features of a single context (for sampling from an MLP). */
function contextRow(context: readonly number[]): Features {
  const b = new SparseBuilder(context.length * SYMBOLS);
  b.addRow(
    context.map((c, k) => k * SYMBOLS + c),
    context.map(() => 1),
  );
  return b.build();
}

/** Draws names from a classifier over context windows (an MLP trained on contextDataset). */
export function sampleNames(model: { predictProba(x: Features): { data: Float64Array } }, rng: Rng, count: number, block = 3, maxLength = 20): string[] {
  return sampleWith((context) => model.predictProba(contextRow(context)).data, rng, count, block, maxLength);
}

function sampleWith(next: (context: number[]) => ArrayLike<number>, rng: Rng, count: number, block: number, maxLength: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const context = new Array<number>(block).fill(BOUNDARY);
    let name = '';
    while (name.length < maxLength) {
      const c = rng.categorical(next(context));
      if (c === BOUNDARY) break;
      name += ALPHABET[c];
      context.shift();
      context.push(c);
    }
    names.push(name);
  }
  return names;
}

/** Splits names (not events) into train, validation and test parts with a seeded shuffle. */
export function splitNames(names: readonly string[], opts: { validation?: number; test?: number; seed?: number } = {}): { train: string[]; validation: string[]; test: string[] } {
  const valFraction = opts.validation ?? 0.1;
  const testFraction = opts.test ?? 0.1;
  const labels = new Int32Array(names.length);
  const first = splitIndices(labels, testFraction, { seed: opts.seed, stratify: false });
  const second = splitIndices(labels.subarray(0, first.kept.length), valFraction / (1 - testFraction || 1), { seed: (opts.seed ?? 0) + 1, stratify: false });
  const pick = (idx: ArrayLike<number>, from: ArrayLike<number>) => Array.from(idx, (i) => names[from[i]]);
  return { train: pick(second.kept, first.kept), validation: pick(second.held, first.kept), test: pick(first.held, range(names.length)) };
}
