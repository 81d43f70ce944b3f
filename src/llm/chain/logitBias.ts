// Logit bias and token sets: the first stage of both default orders' families of "what may be
// produced" (OpenAI/llama.cpp logit_bias, vLLM allowed_token_ids, HF bad words of one token).
// Touches only the listed ids, except allowedTokens, which removes every other candidate.

import type { ChainConfig } from './options.js';
import type { Row } from './row.js';
import type { Stage } from './types.js';

/** z_id += bias for each listed id; banned ids → −∞; with an allowed set, every other id → −∞ (ids ≥ V are ignored). */
export function logitBiasStage(c: ChainConfig): Stage {
  const bias = [...c.bias.entries()];
  const banned = c.banned;
  const allowed = c.allowed === null ? null : new Set(c.allowed);
  return {
    name: 'logitBias',
    active: bias.length > 0 || banned.length > 0 || allowed !== null,
    apply(row: Row): void {
      // This stage writes logits in place: the row's cached statistics go stale.
      row.changed();
      const z = row.z;
      for (const [id, b] of bias) {
        const i = row.indexOf(id);
        if (i >= 0) z[i] += b;
      }
      for (const id of banned) {
        const i = row.indexOf(id);
        if (i >= 0) z[i] = -Infinity;
      }
      if (allowed !== null) {
        const ids = row.ids;
        for (let i = 0; i < row.n; i++) if (!allowed.has(ids[i])) z[i] = -Infinity;
      }
    },
  };
}
