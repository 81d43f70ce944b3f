// Mirostat v1 and v2 (Basu et al. 2021, "Mirostat: a neural text decoding algorithm that directly
// controls perplexity"; llama.cpp's mirostat and mirostat_v2): a truncation steered by a per-row
// μ that the runner updates from the surprise of each drawn token (feedback control toward τ).

import { gatherTopK } from '../topK.js';
import type { ChainConfig } from './options.js';
import type { Row } from './row.js';
import type { Stage, StepContext } from './types.js';

/** Mirostat v1 estimates the Zipf exponent from this many of the most probable tokens (llama.cpp's m). */
const M = 100;

/**
 * μ starts at 2τ. v1: with p_1 ≥ p_2 ≥ … the top M probabilities, t_i = ln((i+1)/i),
 * b_i = ln(p_i/p_{i+1}), ŝ = Σ t_i b_i / Σ t_i², ε̂ = ŝ − 1,
 * k = (ε̂·2^μ/(1 − V^(−ε̂)))^(1/ŝ), then top-max(⌊k⌋, 1) (V = vocabulary size).
 * v2: keeps the tokens with −log2 p ≤ μ (at least minKeep). The update after the draw is the
 * runner's: μ ← μ − η·(−log2 p_t − τ), p_t the drawn token's probability over the kept set.
 */
export function mirostatStage(c: ChainConfig): Stage {
  const { mirostat, tau, minKeep } = c;
  const top = new Float64Array(M);
  /** v1 on a float32 row: the top M logits by selection, log(p_i/p_(i+1)) = z_i − z_(i+1). */
  const v1F32 = (row: Row, mu: number): void => {
    const n = row.n;
    const m = Math.min(M, n);
    if (m < 2) return;
    const s = row.scratch;
    s.grow(n);
    if (!gatherTopK(s, row.z, 0, 1, n, m)) return;
    top.set(s.xs.subarray(0, m));
    const sorted = top.subarray(0, m).sort().reverse();
    let num = 0;
    let den = 0;
    for (let i = 0; i < m - 1; i++) {
      const t = Math.log((i + 2) / (i + 1));
      num += t * (sorted[i] - sorted[i + 1]);
      den += t * t;
    }
    const sHat = num / den;
    const eps = sHat - 1;
    const k = Math.pow((eps * Math.pow(2, mu)) / (1 - Math.pow(row.V, -eps)), 1 / sHat);
    row.keepTopK(Math.max(minKeep, k >= 1 && k < 2 ** 31 ? Math.floor(k) : k >= 2 ** 31 ? n : 1));
  };
  return {
    name: 'mirostat',
    active: mirostat !== 0,
    apply(row: Row, ctx: StepContext): void {
      if (Number.isNaN(ctx.mu)) ctx.mu = 2 * tau;
      const mu = ctx.mu;
      const n = row.n;
      if (row.f32) {
        // −log2 p_i ≤ μ ⇔ z_i ≥ lse − μ·ln 2; v1 needs only ratios p_i/p_(i+1) = e^(z_i − z_(i+1)).
        if (mirostat === 2) row.keepAtLeast(row.lseFrom(row.softmax32()) - mu * Math.LN2, minKeep);
        else v1F32(row, mu);
        return;
      }
      const p = row.probs();
      if (mirostat === 2) {
        for (let i = 0; i < n; i++) row.mark[i] = -Math.log2(p[i]) <= mu ? 1 : 0;
        row.keepMarked(minKeep);
        return;
      }
      const m = Math.min(M, n);
      if (m < 2) return;
      const s = row.scratch;
      s.grow(n);
      if (!gatherTopK(s, p, 0, 1, n, m)) return;
      top.set(s.xs.subarray(0, m));
      const sorted = top.subarray(0, m).sort().reverse();
      let num = 0;
      let den = 0;
      for (let i = 0; i < m - 1; i++) {
        const t = Math.log((i + 2) / (i + 1));
        num += t * Math.log(sorted[i] / sorted[i + 1]);
        den += t * t;
      }
      const sHat = num / den;
      const eps = sHat - 1;
      const k = Math.pow((eps * Math.pow(2, mu)) / (1 - Math.pow(row.V, -eps)), 1 / sHat);
      row.keepTopK(Math.max(minKeep, k >= 1 && k < 2 ** 31 ? Math.floor(k) : k >= 2 ** 31 ? n : 1));
    },
  };
}
