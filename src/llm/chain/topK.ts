// Top-k (Fan et al. 2018; HF's TopKLogitsWarper, llama.cpp's top_k): a selection by the existing
// top-k engine (heap or quickselect on the logits, src/llm/topK.ts), never a sort.

import type { ChainConfig } from './options.js';
import type { Row } from './row.js';
import type { Stage } from './types.js';

/** Keeps the max(topK, minKeep) largest logits; ties at the k-th value: lower ids first. */
export function topKStage(c: ChainConfig): Stage {
  const k = Math.max(c.topK, c.minKeep);
  return {
    name: 'topK',
    active: c.topK > 0,
    apply(row: Row): void {
      row.keepTopK(k);
    },
  };
}
