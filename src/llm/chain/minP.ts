// Min-p (Nguyen et al. 2024; llama.cpp's min_p, HF's MinPLogitsWarper): keeps the tokens at
// least minP times as probable as the most probable one, from the backend's softmax.

import type { ChainConfig } from './options.js';
import type { Row } from './row.js';
import type { Stage } from './types.js';

/**
 * Keeps p_i ≥ minP·p_max (HF's exact comparison on the probabilities); at least minKeep. Float32
 * rows decide on the logits: p_i ≥ minP·p_max ⇔ z_i ≥ z_max + log minP, the log taken once, so
 * no exponential runs and equal logits always get the same decision.
 */
export function minPStage(c: ChainConfig): Stage {
  const { minP, minKeep } = c;
  return {
    name: 'minP',
    active: minP > 0,
    apply(row: Row): void {
      if (row.f32) {
        row.keepAtLeast(row.max() + Math.log(minP), minKeep);
        return;
      }
      const p = row.probs();
      const n = row.n;
      let pmax = 0;
      for (let i = 0; i < n; i++) if (p[i] > pmax) pmax = p[i];
      const cut = minP * pmax;
      for (let i = 0; i < n; i++) row.mark[i] = p[i] >= cut ? 1 : 0;
      row.keepMarked(minKeep);
    },
  };
}
