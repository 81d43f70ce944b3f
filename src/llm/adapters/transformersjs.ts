// transformers.js adapter: sigmax's decoding chain as one of its LogitsProcessors, for
// `generate({ logits_processor })`. transformers.js is never imported: the caller hands over its
// module (or its LogitsProcessor class), and the processor subclasses that class at run time.

import { fail } from '../../core/errors.js';
import { type Rng } from '../../core/rng.js';
import { type Tensor as SigmaxTensor } from '../../core/tensor.js';
import { type Sampler, createSampler, processLogits } from '../decode.js';
import { createRng } from '../sample.js';
import type { DecodeOptions } from '../chain/options.js';

/** The part of a transformers.js Tensor the processor reads: its float data, dims and type; its class builds the result. */
export interface TransformersTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
  readonly type?: string;
}

/** A constructor of transformers.js' LogitsProcessor (or any class whose instances call `_call`). */
export type LogitsProcessorClass = abstract new () => object;

/** The options of sigmaxLogitsProcessor: the decoding chain's, along the last axis, and the mode. */
export interface TransformersProcessorOptions extends Omit<DecodeOptions, 'axis'> {
  /**
   * true (default): sigmax draws each row's token (seeded, with mirostat's μ carried across
   * steps) and the logits come back 0 at that token and −∞ elsewhere, so transformers.js' greedy
   * or multinomial sampler can only pick it. false: the processed logits (−∞ where the chain
   * removed a token), and transformers.js draws (mirostat then truncates with μ = 2τ every step,
   * since the processor never learns which token was drawn).
   */
  draw?: boolean;
}

/** What the processor adds to its LogitsProcessor base. */
export interface SigmaxProcessorState {
  /** Forgets mirostat's μ per row, so the next generate() starts fresh (the generator runs on). */
  reset(): void;
}

/**
 * A transformers.js LogitsProcessor running sigmax's decoding chain (processLogits,
 * createSampler) on each step's `[batch, V]` logits, with each row's `input_ids` (prompt and
 * generated tokens) as its history. It brings exact top-p, min-p, typical-p and the rest of the
 * chain (see DecodeOptions) to `generate()`, whose own top-p warper does nothing. transformers.js
 * is not imported: pass its module, or its LogitsProcessor class.
 *
 * In the default draw mode, leave `do_sample` false: transformers.js' greedy sampler then takes
 * the token sigmax drew, and its own temperature warper (do_sample only) stays out of the way.
 * With `draw: false`, set `do_sample: true`, `temperature: 1` and `top_k: 0` in generate() so
 * that only sigmax's chain shapes the distribution transformers.js draws from (its default
 * top_k is 50). The input Tensor is not written; a new float32 Tensor of its class is returned.
 * A processor keeps mirostat's μ across steps: use one per generate() call, or reset() between.
 *
 * @example
 * import * as transformers from '@huggingface/transformers';
 * import { sigmaxLogitsProcessor } from 'sigmax/llm';
 *
 * const logits_processor = new transformers.LogitsProcessorList();
 * logits_processor.push(sigmaxLogitsProcessor(transformers, { topP: 0.9, minP: 0.05, temperature: 0.8, seed: 1 }));
 * const ids = await model.generate({ ...inputs, max_new_tokens: 64, logits_processor });
 */
export function sigmaxLogitsProcessor<C extends LogitsProcessorClass>(
  transformers: { readonly LogitsProcessor: C } | C,
  options?: TransformersProcessorOptions,
): InstanceType<C> & SigmaxProcessorState {
  const fn = 'sigmaxLogitsProcessor';
  const Base = typeof transformers === 'function' ? transformers : (transformers as { LogitsProcessor?: C } | null)?.LogitsProcessor;
  if (typeof Base !== 'function') fail(fn, 'INVALID_INPUT', 'pass the transformers.js module (import * as transformers from \'@huggingface/transformers\') or its LogitsProcessor class');
  const { draw = true, ...decode } = options ?? {};
  if (typeof draw !== 'boolean') fail(fn, 'INVALID_OPTION', 'draw must be true or false');
  // createSampler checks the options in both modes, so a bad one throws here, not mid-generate.
  const checked = createSampler(decode);
  const sampler: Sampler | null = draw ? checked : null;
  // One generator for every step, so that XTC's coin differs from step to step under a seed.
  const rng: Rng | undefined = decode.rng ?? (decode.seed !== undefined ? createRng(decode.seed) : undefined);
  const Concrete = class extends (Base as unknown as new () => object) {
    /** transformers.js' entry point: the processed logits of `logits` ([batch, V] or [V]) given each row's ids. */
    _call(inputIds: readonly (readonly bigint[])[], logits: TransformersTensorLike): TransformersTensorLike {
      const history = inputIds.map((row) => BigInt64Array.from(row));
      const dims = [...logits.dims];
      let out: Float32Array;
      if (sampler !== null) {
        const tokens = sampler.next(logits, history);
        const V = dims[dims.length - 1];
        out = new Float32Array(tokens.length * V).fill(-Infinity);
        for (let r = 0; r < tokens.length; r++) out[r * V + tokens[r]] = 0;
      } else {
        const z = (processLogits(logits, { ...decode, rng }, history) as SigmaxTensor).data;
        out = z instanceof Float32Array ? z : Float32Array.from(z);
      }
      // The input's own class (transformers.js' Tensor), so later processors and its sampler get their type.
      const TensorClass: unknown = logits.constructor;
      if (TensorClass === Object || typeof TensorClass !== 'function') return { data: out, dims, type: 'float32' };
      return new (TensorClass as new (type: string, data: Float32Array, dims: number[]) => TransformersTensorLike)('float32', out, dims);
    }

    reset(): void {
      sampler?.reset();
    }
  };
  return new Concrete() as unknown as InstanceType<C> & SigmaxProcessorState;
}
