// onnxruntime adapter: the decode loop's step from a causal LM's output logits Tensor (float32 or
// float16, [batch, seq, V]) to the next token ids as a BigInt64Array, ready to feed back as
// `input_ids`, through a stateful sampler. onnxruntime is never imported: its Tensor is read as { data, dims, type }.

import { fail, show } from '../../core/errors.js';
import { type Sampler, type SampleStep, type History, createSampler } from '../decode.js';
import type { DecodeOptions, LogProbOptions } from '../chain/options.js';

/** An onnxruntime Tensor as read here: float32, float64, float16 (Uint16Array bits or Float16Array) or bfloat16 data. */
export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
  readonly type: string;
}

/** A decoder of one generation (createOrtDecoder). */
export interface OrtDecoder {
  /** The next token of each row, from the last position of `logits` ([batch, seq, V], [batch, V] or [V]). */
  next(logits: OrtTensorLike, history?: History): BigInt64Array;
  /** As next, with the log-probabilities the options ask for (logProbs, topLogProbs). */
  step(logits: OrtTensorLike, history?: History): SampleStep & { ids: BigInt64Array };
  /** Forgets each row's tokens and mirostat's μ (the generator runs on). */
  reset(): void;
}

/** The last position's rows of a [batch, seq, V] tensor as a [batch, V] tensor of the same type (a view when seq is 1). */
function lastPosition(fn: string, t: OrtTensorLike): OrtTensorLike {
  if (typeof t !== 'object' || t === null || !Array.isArray(t.dims)) fail(fn, 'INVALID_INPUT', `logits must be an onnxruntime Tensor ({ data, dims, type }), got ${show(t)}`);
  const dims = t.dims;
  if (dims.length < 3) return t;
  if (dims.length > 3) fail(fn, 'SHAPE_MISMATCH', `logits must be [batch, seq, V], [batch, V] or [V], got dims [${dims.join(', ')}]`);
  const [B, S, V] = dims;
  if (S === 0) fail(fn, 'SHAPE_MISMATCH', 'logits has no position (seq = 0)');
  if (S === 1) return { data: t.data, dims: [B, V], type: t.type };
  const data = t.data as { subarray?: (a: number, b: number) => ArrayLike<number>; length?: number; constructor: unknown };
  if (typeof data?.subarray !== 'function' || data.length !== B * S * V) fail(fn, 'INVALID_INPUT', `logits.data must be a typed array of ${B * S * V} elements for dims [${dims.join(', ')}]`);
  // Only the last position is copied: B·V elements of the B·S·V, in the tensor's own element type.
  const Ctor = data.constructor as new (n: number) => { set(src: ArrayLike<number>, at: number): void };
  const rows = new Ctor(B * V);
  for (let b = 0; b < B; b++) rows.set(data.subarray((b * S + S - 1) * V, (b * S + S) * V), b * V);
  return { data: rows, dims: [B, V], type: t.type };
}

/**
 * A decode-loop helper for onnxruntime (onnxruntime-node, onnxruntime-web): each step takes the
 * model's output logits Tensor (float32 or float16; `[batch, seq, V]`, of which only the last
 * position is read, as after a prefill; or `[batch, V]`) and returns the next token of each row
 * as a BigInt64Array, to wrap as `new ort.Tensor('int64', ids, [batch, 1])` for the next step.
 * Options as createSampler's (DecodeOptions along the last axis, LogProbOptions for `step`); the
 * sampler's state — each row's tokens for the penalties and DRY, mirostat's μ, the seeded
 * generator — lives in the decoder. Give `history` (the prompt's ids, one BigInt64Array per row
 * for a batch) on the first step; later steps may omit it, the decoder then extends its record
 * with the tokens it drew.
 *
 * @example
 * import * as ort from 'onnxruntime-node';
 * import { createOrtDecoder } from 'sigmax/llm';
 *
 * const decoder = createOrtDecoder({ topP: 0.9, minP: 0.05, temperature: 0.8, seed: 1 });
 * let ids = decoder.next((await session.run(feeds)).logits, promptIds); // BigInt64Array, one id per row
 * feeds.input_ids = new ort.Tensor('int64', ids, [ids.length, 1]);
 */
export function createOrtDecoder(options?: Omit<DecodeOptions, 'axis'> & LogProbOptions): OrtDecoder {
  const sampler: Sampler = createSampler(options);
  const toIds = (tokens: Int32Array): BigInt64Array => {
    const ids = new BigInt64Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) ids[i] = BigInt(tokens[i]);
    return ids;
  };
  return {
    next: (logits, history) => toIds(sampler.next(lastPosition('next', logits), history)),
    step: (logits, history) => {
      const s = sampler.step(lastPosition('step', logits), history);
      return { ...s, ids: toIds(s.tokens) };
    },
    reset: () => sampler.reset(),
  };
}
