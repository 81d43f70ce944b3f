// The live-training demo's data and models: three classes in the plane (spirals or blobs, from a
// seeded generator), softmax regression or a 2–16–3 MLP with tanh = 2σ(2a) − 1, trained full-batch
// with Adam. The loss, its gradient, σ and σ′ all come from sigmax.

import { crossEntropyWithGrad, sigmoid, sigmoidBackward, softmax, tensor } from 'sigmax';
import { uniform } from '../../src/core/rng.js';

export const CLASSES = 3;

/** The library's seeded generator (src/core/rng.ts), so a seed always gives the same data. */
export function rng(seed: number): () => number {
  return uniform(seed);
}

function gaussian(rand: () => number): number {
  // Box–Muller; 1 − u keeps the log argument in (0, 1].
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export interface Dataset {
  /** [n, 2] row-major */
  x: Float64Array;
  /** class of each point */
  y: Int32Array;
  n: number;
}

export type DatasetKind = 'spirals' | 'blobs';

/** `perClass` points of each class; `noise` scales the jitter (0 to 1). */
export function makeDataset(kind: DatasetKind, perClass: number, noise: number, seed: number): Dataset {
  const rand = rng(seed);
  const n = perClass * CLASSES;
  const x = new Float64Array(n * 2);
  const y = new Int32Array(n);
  for (let k = 0; k < CLASSES; k++) {
    for (let i = 0; i < perClass; i++) {
      const idx = k * perClass + i;
      let px: number;
      let py: number;
      if (kind === 'spirals') {
        // radius grows along the arm; each arm turns through ~0.9 of a turn, offset by a third
        const r = (i + 1) / perClass;
        const angle = (k * 2 * Math.PI) / CLASSES + r * 5.5 + gaussian(rand) * noise * 0.4;
        px = r * Math.cos(angle);
        py = r * Math.sin(angle);
      } else {
        const angle = (k * 2 * Math.PI) / CLASSES + Math.PI / 2;
        px = 0.5 * Math.cos(angle) + gaussian(rand) * (0.08 + noise * 0.3);
        py = 0.5 * Math.sin(angle) + gaussian(rand) * (0.08 + noise * 0.3);
      }
      x[2 * idx] = px;
      x[2 * idx + 1] = py;
      y[idx] = k;
    }
  }
  return { x, y, n };
}

export type ModelKind = 'linear' | 'mlp';
const HIDDEN = 16;

interface Param {
  w: Float64Array;
  m: Float64Array;
  v: Float64Array;
  g: Float64Array;
}

function param(size: number, scale: number, rand: () => number): Param {
  const w = Float64Array.from({ length: size }, () => gaussian(rand) * scale);
  return { w, m: new Float64Array(size), v: new Float64Array(size), g: new Float64Array(size) };
}

/** out[n, cols] = a[n, k] · w[k, cols] + b[cols] */
function affine(a: Float64Array, n: number, k: number, w: Float64Array, b: Float64Array, cols: number): Float64Array {
  const out = new Float64Array(n * cols);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < cols; c++) {
      let s = b[c];
      for (let q = 0; q < k; q++) s += a[r * k + q] * w[q * cols + c];
      out[r * cols + c] = s;
    }
  }
  return out;
}

/** Accumulates dW = aᵀ·d, db = Σ rows of d, and returns d·Wᵀ when `needInput`. */
function affineBackward(a: Float64Array, n: number, k: number, w: Param, b: Param, d: Float64Array, cols: number, needInput: boolean): Float64Array | null {
  w.g.fill(0);
  b.g.fill(0);
  const da = needInput ? new Float64Array(n * k) : null;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < cols; c++) {
      const dv = d[r * cols + c];
      b.g[c] += dv;
      for (let q = 0; q < k; q++) {
        w.g[q * cols + c] += a[r * k + q] * dv;
        if (da) da[r * k + q] += w.w[q * cols + c] * dv;
      }
    }
  }
  return da;
}

export class Model {
  readonly params: Param[];
  private t = 0;

  constructor(
    readonly kind: ModelKind,
    seed: number,
  ) {
    const rand = rng(seed ^ 0x5eed);
    this.params =
      kind === 'linear'
        ? [param(2 * CLASSES, 0.1, rand), param(CLASSES, 0, rand)]
        : [param(2 * HIDDEN, 2, rand), param(HIDDEN, 0.5, rand), param(HIDDEN * CLASSES, 1 / Math.sqrt(HIDDEN), rand), param(CLASSES, 0, rand)];
  }

  /** Logits [n, 3]; with `cache`, the MLP's hidden pre-activations (doubled) and activations. */
  private forward(x: Float64Array, n: number, cache?: { a2: Float64Array; hdn: Float64Array }): Float64Array {
    const P = this.params;
    if (this.kind === 'linear') return affine(x, n, 2, P[0].w, P[1].w, CLASSES);
    const a = affine(x, n, 2, P[0].w, P[1].w, HIDDEN);
    // tanh(a) = 2σ(2a) − 1
    const a2 = a.map((v) => 2 * v);
    const s = sigmoid(a2);
    const hdn = s.map((v) => 2 * v - 1);
    if (cache) {
      cache.a2 = a2;
      cache.hdn = hdn;
    }
    return affine(hdn, n, HIDDEN, P[2].w, P[3].w, CLASSES);
  }

  /** The mean cross-entropy and accuracy on a dataset, without training. */
  evaluate(d: Dataset): { loss: number; accuracy: number } {
    const logits = this.forward(d.x, d.n);
    const loss = crossEntropyWithGrad(tensor(logits, [d.n, CLASSES]), { data: d.y, shape: [d.n] }).loss;
    return { loss, accuracy: accuracy(logits, d) };
  }

  /** One full-batch Adam step; returns the loss and accuracy before the update. */
  step(d: Dataset, lr: number): { loss: number; accuracy: number } {
    const cache = { a2: new Float64Array(0), hdn: new Float64Array(0) };
    const logits = this.forward(d.x, d.n, cache);
    // One fused pass: the mean loss and its gradient (p − y)/N.
    const { loss, grad } = crossEntropyWithGrad(tensor(logits, [d.n, CLASSES]), { data: d.y, shape: [d.n] });
    const dLogits = grad.data as Float64Array;
    const P = this.params;
    if (this.kind === 'linear') {
      affineBackward(d.x, d.n, 2, P[0], P[1], dLogits, CLASSES, false);
    } else {
      const dh = affineBackward(cache.hdn, d.n, HIDDEN, P[2], P[3], dLogits, CLASSES, true) as Float64Array;
      // d tanh(a)/da = 4·σ(2a)·σ(−2a) = sigmoidBackward(4·dh, 2a)
      const da = sigmoidBackward(
        dh.map((v) => 4 * v),
        cache.a2,
      );
      affineBackward(d.x, d.n, 2, P[0], P[1], da, HIDDEN, false);
    }
    this.adam(lr);
    return { loss, accuracy: accuracy(logits, d) };
  }

  private adam(lr: number): void {
    const b1 = 0.9;
    const b2 = 0.999;
    this.t++;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (const p of this.params) {
      for (let i = 0; i < p.w.length; i++) {
        const g = p.g[i];
        p.m[i] = b1 * p.m[i] + (1 - b1) * g;
        p.v[i] = b2 * p.v[i] + (1 - b2) * g * g;
        p.w[i] -= (lr * (p.m[i] / c1)) / (Math.sqrt(p.v[i] / c2) + 1e-8);
      }
    }
  }

  /** Class probabilities [n, 3] for points [n, 2] (softmax from sigmax). */
  probabilities(x: Float64Array, n: number): Float64Array {
    return softmax(tensor(this.forward(x, n), [n, CLASSES])).data as Float64Array;
  }
}

function accuracy(logits: Float64Array, d: Dataset): number {
  let right = 0;
  for (let r = 0; r < d.n; r++) {
    let best = 0;
    for (let c = 1; c < CLASSES; c++) if (logits[r * CLASSES + c] > logits[r * CLASSES + best]) best = c;
    if (best === d.y[r]) right++;
  }
  return right / d.n;
}
