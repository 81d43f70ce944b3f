// The truncation-sampling cutoffs of Hewitt et al. 2022 as HF implements them
// (EpsilonLogitsWarper, EtaLogitsWarper): absolute probability floors, eta's scaled by entropy.

import type { ChainConfig } from './options.js';
import type { Row } from './row.js';
import type { Stage } from './types.js';

/** Keeps p_i ≥ cut (at least minKeep, the most probable). */
function keepAbove(row: Row, p: Float64Array, cut: number, minKeep: number): void {
  for (let i = 0; i < row.n; i++) row.mark[i] = p[i] >= cut ? 1 : 0;
  row.keepMarked(minKeep);
}

/** Epsilon: removes p < ε (float32 rows: z_i ≥ log ε + lse, lse from one pass of the softmax kernel). */
export function epsilonStage(c: ChainConfig): Stage {
  return {
    name: 'epsilonCutoff',
    active: c.epsilon > 0,
    apply(row: Row): void {
      if (row.f32) {
        row.keepAtLeast(Math.log(c.epsilon) + row.lseFrom(row.softmax32()), c.minKeep);
        return;
      }
      keepAbove(row, row.probs(), c.epsilon, c.minKeep);
    },
  };
}

/**
 * Eta: removes p < min(η, √η·e^(−H)), H = −Σ p log p (terms with p = 0 count 0). Float32 rows:
 * one softmax kernel pass gives p and lse, H = Σ p_i (lse − z_i), then z_i ≥ log(cut) + lse.
 */
export function etaStage(c: ChainConfig): Stage {
  const eta = c.eta;
  return {
    name: 'etaCutoff',
    active: eta > 0,
    apply(row: Row): void {
      if (row.f32) {
        const p32 = row.softmax32();
        const lse = row.lseFrom(p32);
        const H = row.entropyFrom(p32, lse);
        row.keepAtLeast(Math.log(Math.min(eta, Math.sqrt(eta) * Math.exp(-H))) + lse, c.minKeep);
        return;
      }
      const n = row.n;
      const lp = row.logProbs();
      let H = 0;
      for (let i = 0; i < n; i++) if (lp[i] !== -Infinity) H -= Math.exp(lp[i]) * lp[i];
      const cut = Math.min(eta, Math.sqrt(eta) * Math.exp(-H));
      const p = row.probs();
      keepAbove(row, p, cut, c.minKeep);
    },
  };
}
