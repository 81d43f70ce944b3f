// Top-p (nucleus) through the existing exact engine (src/llm/topP.ts): a histogram of the logits
// and exps only where the decision needs them; the kept mass is ≥ p exactly.

import { topPSet } from '../topP.js';
import type { ChainConfig } from './options.js';
import type { Row } from './row.js';
import type { Stage } from './types.js';

/**
 * Keeps the smallest set of the most probable candidates (largest logits; ties: lower ids first)
 * whose probability, renormalised over the candidates, is ≥ topP; at least minKeep. HF's
 * TopPLogitsWarper removes the tokens whose ascending cumulative mass is ≤ 1 − p, the same set
 * up to the rounding of its cumulative sum.
 */
export function topPStage(c: ChainConfig): Stage {
  const { topP, minKeep } = c;
  return {
    name: 'topP',
    active: topP < 1,
    apply(row: Row): void {
      const n = row.n;
      const s = row.scratch;
      s.grow(n);
      topPSet(s, row.z, 0, 1, n, row.max(), 1, topP);
      const mark = row.mark;
      mark.fill(0, 0, n);
      for (let i = 0; i < s.nKept; i++) mark[s.klist[i]] = 1;
      row.keepMarked(minKeep);
    },
  };
}
