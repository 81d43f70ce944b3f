// The contract between the chain runner (run.ts) and its stages (one file per concern): a stage
// is a small object that reads its options once and then rewrites a Row in place — changing
// logits, or truncating the candidates — as llama.cpp composes its samplers into a chain.

import type { Rng } from '../../core/rng.js';
import type { Row } from './row.js';

/** The stage names `order` takes. */
export type StageName =
  | 'logitBias'
  | 'penalties'
  | 'noRepeatNgram'
  | 'dry'
  | 'topNSigma'
  | 'topK'
  | 'typicalP'
  | 'topP'
  | 'minP'
  | 'epsilonCutoff'
  | 'etaCutoff'
  | 'xtc'
  | 'temperature'
  | 'mirostat';

/** What a stage sees besides the row: the row's history and the per-row state that outlives a step. */
export interface StepContext {
  /** The row's token history, oldest first (prompt and generated tokens). */
  readonly history: ArrayLike<number>;
  /** The generator of XTC's coin and of the draw. */
  readonly rng: Rng;
  /** Mirostat's μ (per row, NaN until the first step sets it to 2τ). */
  mu: number;
}

export interface Stage {
  readonly name: StageName;
  /** False when the options make the stage a no-op (the runner skips it). */
  readonly active: boolean;
  /** Rewrites the row (its max is finite when called). */
  apply(row: Row, ctx: StepContext): void;
}
