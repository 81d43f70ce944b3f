// The chain runner: builds the stages of an order from checked options, runs them over one row,
// and draws the token (one uniform per row, walked over the kept ids in increasing order), then
// feeds the draw back to mirostat's μ. Used by processLogits, createSampler and sample.

import type { FloatArray } from '../../core/tensor.js';
import type { ChainConfig } from './options.js';
import { P_NONE, Row } from './row.js';
import { DRAWN, drawF32, drawP } from './draw.js';
import { DRAW } from './rowKernels.js';
import type { Stage, StageName, StepContext } from './types.js';
import { logitBiasStage } from './logitBias.js';
import { penaltiesStage } from './penalties.js';
import { noRepeatNgramStage } from './noRepeatNgram.js';
import { dryStage } from './dry.js';
import { topNSigmaStage } from './topNSigma.js';
import { topKStage } from './topK.js';
import { typicalStage } from './typical.js';
import { topPStage } from './topP.js';
import { minPStage } from './minP.js';
import { epsilonStage, etaStage } from './cutoffs.js';
import { xtcStage } from './xtc.js';
import { temperatureStage } from './temperature.js';
import { mirostatStage } from './mirostat.js';

const MAKE: Record<StageName, (c: ChainConfig) => Stage> = {
  logitBias: logitBiasStage,
  penalties: penaltiesStage,
  noRepeatNgram: noRepeatNgramStage,
  dry: dryStage,
  topNSigma: topNSigmaStage,
  topK: topKStage,
  typicalP: typicalStage,
  topP: topPStage,
  minP: minPStage,
  epsilonCutoff: epsilonStage,
  etaCutoff: etaStage,
  xtc: xtcStage,
  temperature: temperatureStage,
  mirostat: mirostatStage,
};

/** loadRow's results besides a loaded row. */
export const LOAD_OK = 0;
export const LOAD_NAN = 1;
export const LOAD_ALL_NEG_INF = 2;

export class Chain {
  readonly stages: Stage[];
  readonly row = new Row();
  /** Whether mirostat runs (the draw then updates μ). */
  readonly mirostat: boolean;

  constructor(readonly config: ChainConfig) {
    this.stages = config.order.map((name) => MAKE[name](config)).filter((s) => s.active);
    this.mirostat = this.stages.some((s) => s.name === 'mirostat');
  }

  /**
   * Loads x[base + c·stride], c < V, into the row. A row holding +∞ becomes 0 at its +∞ entries
   * and −∞ elsewhere (each +∞ logit infinitely more probable than any finite one: uniform among
   * them, as `sample` has always drawn). Returns LOAD_NAN or LOAD_ALL_NEG_INF for those rows.
   */
  load(x: FloatArray, base: number, stride: number, V: number): number {
    const row = this.row;
    row.load(x, base, stride, V);
    const z = row.z;
    const m = row.max();
    if (m !== m) return LOAD_NAN;
    if (m === -Infinity) return LOAD_ALL_NEG_INF;
    if (m === Infinity) {
      for (let i = 0; i < V; i++) z[i] = z[i] === Infinity ? 0 : -Infinity;
      row.changed();
    }
    return LOAD_OK;
  }

  /** Runs the stages over the loaded row; false when no candidate is left finite (everything banned). */
  process(ctx: StepContext): boolean {
    const row = this.row;
    // The loaded row has a finite (or +∞-turned-0) max, so the check runs after each stage only.
    for (const s of this.stages) {
      s.apply(row, ctx);
      if (row.max() === -Infinity) return false;
    }
    return true;
  }

  /**
   * The token drawn from softmax of the processed row: u = rng.nextFloat() (none for a greedy
   * row), target u·Σp, the first id in increasing order whose running mass exceeds it. Updates μ
   * when mirostat runs. Float32 rows draw through drawF32 (the same rule; the mass of each block
   * of 1024 candidates from the wasm logSumExp kernel, within 2 ulp).
   */
  draw(ctx: StepContext): number {
    const row = this.row;
    if (row.greedy) return row.idAt(0);
    if (row.f32) {
      // Float32 rows whose stages already computed softmax32 (and compacted it along with the
      // candidates): the row kernels' blocked walk over those probabilities, no second pass of
      // exps. Otherwise no probability vector: the kernel's block sums and one block's exps (draw.ts).
      let pick: number;
      if (row.pState !== P_NONE) {
        pick = row.k!.draw(row.p32, row.n, ctx.rng.nextFloat(), row.space!);
        DRAWN.p = row.p32[pick] / DRAW.sum;
      } else pick = drawF32(row.z as Float32Array, row.n, ctx.rng.nextFloat());
      if (this.mirostat) ctx.mu -= this.config.mEta * (-Math.log2(DRAWN.p) - this.config.tau);
      return row.idAt(pick);
    }
    const p = row.probs();
    const pick = drawP(p, row.n, ctx.rng.nextFloat());
    if (this.mirostat) {
      const { tau, mEta } = this.config;
      ctx.mu -= mEta * (-Math.log2(p[pick]) - tau);
    }
    return row.idAt(pick);
  }
}
