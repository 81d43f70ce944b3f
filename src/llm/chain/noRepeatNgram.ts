// HF's NoRepeatNGramLogitsProcessor: bans every token that would complete an n-gram already in
// the row's history (Paulus et al. 2017). Reads the whole history, as HF reads input_ids.

import type { ChainConfig } from './options.js';
import type { Row } from './row.js';
import type { Stage, StepContext } from './types.js';

/**
 * With L = history.length and n = noRepeatNgramSize: when L + 1 ≥ n, every token t such that
 * history[j .. j+n−2] equals the last n − 1 tokens and history[j+n−1] = t for some j gets −∞
 * (n = 1 bans every token already in the history). Nothing happens while L + 1 < n, as in HF.
 */
export function noRepeatNgramStage(c: ChainConfig): Stage {
  const n = c.ngram;
  return {
    name: 'noRepeatNgram',
    active: n > 0,
    apply(row: Row, ctx: StepContext): void {
      // This stage writes logits in place: the row's cached statistics go stale.
      row.changed();
      const h = ctx.history;
      const L = h.length;
      if (L + 1 < n) return;
      const p = L - (n - 1);
      for (let j = 0; j + n - 1 < L; j++) {
        let same = true;
        for (let k = 0; k < n - 1 && same; k++) same = h[j + k] === h[p + k];
        if (!same) continue;
        const i = row.indexOf(h[j + n - 1]);
        if (i >= 0) row.z[i] = -Infinity;
      }
    },
  };
}
