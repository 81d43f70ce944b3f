// XTC, "exclude top choices" (p-e-w, text-generation-webui #6335; llama.cpp's xtc sampler): with
// some probability, removes every token above a probability threshold but the least probable of
// them, steering away from the most predictable continuations.

import type { ChainConfig } from './options.js';
import type { Row } from './row.js';
import type { Stage, StepContext } from './types.js';

/**
 * When xtcProbability > 0, xtcThreshold ≤ 0.5 and ≥ 2 candidates are finite: draws u from the
 * generator (the one random number XTC uses); if u ≤ xtcProbability and c ≥ 2 tokens have
 * p ≥ xtcThreshold, removes all of them but the least probable (ties in rank by id: the
 * highest id among the least probable stays), unless fewer than minKeep candidates would remain.
 */
export function xtcStage(c: ChainConfig): Stage {
  const { xtcP, xtcThreshold: thr, minKeep } = c;
  return {
    name: 'xtc',
    active: xtcP > 0 && thr <= 0.5,
    apply(row: Row, ctx: StepContext): void {
      if (row.live() < 2) return;
      if (ctx.rng.nextFloat() > xtcP) return;
      const p = row.probs();
      const n = row.n;
      let count = 0;
      let last = -1;
      for (let i = 0; i < n; i++) {
        if (p[i] < thr) continue;
        count++;
        if (last < 0 || p[i] <= p[last]) last = i;
      }
      if (count < 2 || n - (count - 1) < minKeep) return;
      for (let i = 0; i < n; i++) row.mark[i] = p[i] >= thr && i !== last ? 0 : 1;
      row.compact();
    },
  };
}
