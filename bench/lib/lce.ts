// The linear cross-entropy rows: logits = H·Wᵀ (H N×D hidden states, W V×D weight), the mean
// cross-entropy against class indices, and the gradients wrt H and W. The seeded inputs, a float64
// reference at a small shape (every system is checked there before it is timed), and the sizing of
// the timed shape. Shared by the orchestrator and the child.

import { uniform } from '../../src/core/rng.js';
import type { OpOutput } from './types.js';

/** The target's shape. */
export const LCE_SHAPE = { N: 4096, D: 512, V: 32_000 };
/** The shape every system is checked at, against the float64 reference below. */
export const LCE_CHECK = { N: 48, D: 64, V: 700 };

/** Hidden states uniform on [−1, 1), weights on [−0.1, 0.1) (logits of a few units), targets spread over the vocabulary. */
export function lceInputs(N: number, D: number, V: number): { h: Float32Array; w: Float32Array; target: Int32Array } {
  const fill = (n: number, seed: number, a: number): Float32Array => {
    const r = uniform(seed);
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = (2 * r() - 1) * a;
    return x;
  };
  const target = new Int32Array(N);
  for (let i = 0; i < N; i++) target[i] = (i * 2654435761) % V;
  return { h: fill(N * D, 0x1ce1, 1), w: fill(V * D, 0x1ce2, 0.1), target };
}

/** The float64 loss and gradients (dH N×D, dW V×D), straight from the definition. */
export function lceReference(N: number, D: number, V: number, h: Float32Array, w: Float32Array, target: Int32Array): { loss: number; dH: Float64Array; dW: Float64Array } {
  const dH = new Float64Array(N * D);
  const dW = new Float64Array(V * D);
  const z = new Float64Array(V);
  let loss = 0;
  for (let n = 0; n < N; n++) {
    let m = -Infinity;
    for (let v = 0; v < V; v++) {
      let s = 0;
      for (let d = 0; d < D; d++) s += h[n * D + d] * w[v * D + d];
      z[v] = s;
      if (s > m) m = s;
    }
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(z[v] - m);
    const lse = m + Math.log(sum);
    loss += lse - z[target[n]];
    for (let v = 0; v < V; v++) {
      const g = (Math.exp(z[v] - lse) - (v === target[n] ? 1 : 0)) / N;
      for (let d = 0; d < D; d++) {
        dH[n * D + d] += g * w[v * D + d];
        dW[v * D + d] += g * h[n * D + d];
      }
    }
  }
  return { loss: loss / N, dH, dW };
}

/** 'ok', or what differs: the loss within 1e−5 relative, each gradient within 1e−5·max|ref| + 1e−3·|ref|. */
export function lceCheck(got: OpOutput, ref: { loss: number; dH: Float64Array; dW: Float64Array }): string {
  if (got.loss === undefined || !(Math.abs(got.loss - ref.loss) <= 1e-5 * Math.abs(ref.loss))) return `loss ${got.loss} vs ${ref.loss}`;
  for (const [name, g, r] of [
    ['dH', got.values, ref.dH],
    ['dW', got.values2, ref.dW],
  ] as const) {
    if (!g || g.length !== r.length) return `${name}: ${g ? `${g.length} elements, expected ${r.length}` : 'missing'}`;
    let max = 0;
    for (let i = 0; i < r.length; i++) max = Math.max(max, Math.abs(r[i]));
    for (let i = 0; i < r.length; i++) {
      if (!(Math.abs(g[i] - r[i]) <= 1e-5 * max + 1e-3 * Math.abs(r[i]))) return `${name}[${i}] = ${g[i]}, expected ${r[i]}`;
    }
  }
  return 'ok';
}

/**
 * The token count to time: N when the probe's projection (probeS · N / probeN, the work being
 * linear in N), with a margin of 1.5× (a small probe runs faster per token), fits the seconds
 * left, else the largest N / 2^k above the probe that does (the figures are then projected to N),
 * or the probe itself.
 */
export function lceMeasureN(N: number, probeN: number, probeS: number, secondsLeft: number): number {
  for (let n = N; n > probeN; n = Math.floor(n / 2)) if ((1.5 * probeS * n) / probeN <= secondsLeft) return n;
  return probeN;
}
