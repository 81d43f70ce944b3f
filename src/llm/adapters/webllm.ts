// web-llm adapter: sigmax's decoding chain behind web-llm's LogitProcessor interface
// (processLogits, processSampledToken, resetState), which MLCEngine calls on the CPU each step.
// web-llm is never imported: the class matches its interface structurally.

import { fail } from '../../core/errors.js';
import { type Rng } from '../../core/rng.js';
import { type Sampler, createSampler, processLogits } from '../decode.js';
import { createRng } from '../sample.js';
import type { DecodeOptions } from '../chain/options.js';

/** web-llm's LogitProcessor (lib/types.d.ts of @mlc-ai/web-llm 0.2.x), written out so sigmax needs no import of it. */
export interface WebLlmLogitProcessorLike {
  processLogits: (logits: Float32Array) => Float32Array;
  processSampledToken: (token: number) => void;
  resetState: () => void;
}

/** The options of WebLlmLogitProcessor: the decoding chain's (one row of V logits) and the mode. */
export interface WebLlmProcessorOptions extends Omit<DecodeOptions, 'axis'> {
  /**
   * true (default): sigmax draws the token (seeded, mirostat's μ carried across steps) and
   * processLogits returns 0 at it and −∞ elsewhere, so web-llm's sampler, whatever its
   * temperature and top_p, can only take it. false: the processed logits (−∞ where the chain
   * removed a token), and web-llm draws from them with its own temperature and top_p (set those
   * to 1 so the chain alone decides; mirostat then truncates with μ = 2τ every step).
   */
  draw?: boolean;
}

/**
 * web-llm's LogitProcessor running sigmax's decoding chain: top-k, min-p, typical-p, DRY, XTC,
 * mirostat and the rest (see DecodeOptions), which web-llm's own sampler lacks. The history of
 * the penalties, the no-repeat n-gram ban and DRY is the tokens web-llm reports through
 * processSampledToken (the generated ones, as vLLM counts them); resetState, which
 * MLCEngine.resetChat calls, forgets them and mirostat's μ. processLogits does not write its
 * input. Register it per model in the engine config's `logitProcessorRegistry`.
 *
 * @example
 * import { CreateMLCEngine } from '@mlc-ai/web-llm';
 * import { WebLlmLogitProcessor } from 'sigmax/llm';
 *
 * const processor = new WebLlmLogitProcessor({ topK: 40, minP: 0.05, temperature: 0.8, seed: 1 });
 * const engine = await CreateMLCEngine(modelId, { logitProcessorRegistry: new Map([[modelId, processor]]) });
 */
export class WebLlmLogitProcessor implements WebLlmLogitProcessorLike {
  private readonly decode: Omit<DecodeOptions, 'axis'>;
  private readonly sampler: Sampler;
  private readonly draw: boolean;
  private readonly rng: Rng | undefined;
  private history: number[] = [];

  constructor(options?: WebLlmProcessorOptions) {
    const { draw = true, ...decode } = options ?? {};
    if (typeof draw !== 'boolean') fail('WebLlmLogitProcessor', 'INVALID_OPTION', 'draw must be true or false');
    this.decode = decode;
    this.draw = draw;
    // Built in both modes: createSampler checks the options, so a bad one throws here.
    this.sampler = createSampler(decode);
    // One generator for every step, so that XTC's coin differs from step to step under a seed.
    this.rng = decode.rng ?? (decode.seed !== undefined ? createRng(decode.seed) : undefined);
  }

  /** The processed logits of one step's `[V]` logits, given the tokens sampled so far. */
  processLogits(logits: Float32Array): Float32Array {
    if (!this.draw) return processLogits(logits, { ...this.decode, rng: this.rng }, this.history) as Float32Array;
    const token = this.sampler.next(logits, this.history)[0];
    const out = new Float32Array(logits.length).fill(-Infinity);
    out[token] = 0;
    return out;
  }

  /** Appends the token web-llm sampled to the history. */
  processSampledToken(token: number): void {
    this.history.push(token);
  }

  /** Forgets the history and mirostat's μ (the generator runs on). */
  resetState(): void {
    this.history = [];
    this.sampler.reset();
  }

  /** The tokens recorded since the last resetState. */
  get tokens(): readonly number[] {
    return this.history;
  }
}
