// Repetition, frequency and presence penalties over the last lastN history tokens: llama.cpp's
// penalties sampler (which applies all three in one pass, as here), with HF's
// RepetitionPenaltyLogitsProcessor and vLLM's/OpenAI's additive penalties as the same formulas.

import type { ChainConfig } from './options.js';
import type { Row } from './row.js';
import type { Stage, StepContext } from './types.js';
import { windowStart } from './window.js';

/**
 * For each distinct token t in the window with count c_t ≥ 1: z_t ← z_t/θ if z_t > 0 else z_t·θ
 * (θ = repetitionPenalty), then z_t ← z_t − c_t·frequencyPenalty − presencePenalty. Tokens not
 * in the window are untouched; −∞ stays −∞.
 */
export function penaltiesStage(c: ChainConfig): Stage {
  const { repetition, frequency, presence, lastN } = c;
  const counts = new Map<number, number>();
  return {
    name: 'penalties',
    active: lastN !== 0 && (repetition !== 1 || frequency !== 0 || presence !== 0),
    apply(row: Row, ctx: StepContext): void {
      // This stage writes logits in place: the row's cached statistics go stale.
      row.changed();
      const h = ctx.history;
      counts.clear();
      for (let i = windowStart(h.length, lastN); i < h.length; i++) counts.set(h[i], (counts.get(h[i]) ?? 0) + 1);
      const z = row.z;
      for (const [t, n] of counts) {
        const i = row.indexOf(t);
        if (i < 0) continue;
        let v = z[i];
        v = v > 0 ? v / repetition : v * repetition;
        z[i] = v - n * frequency - presence;
      }
    },
  };
}
