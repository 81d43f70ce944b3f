// The decoding options of processLogits, createSampler and sample: their types, documented with
// formula and source, and their checks into a plain config the stages read. The two named orders
// (llama.cpp's and Hugging Face's) live here too.

import { fail, show } from '../../core/errors.js';
import { checkOptions, numberOption } from '../../core/options.js';
import type { Rng } from '../../core/rng.js';
import type { StageName } from './types.js';

/**
 * llama.cpp's default chain (common/common.h, `common_params_sampling::samplers`: penalties, DRY,
 * top-n-σ, top-k, typical, top-p, min-p, XTC, temperature; logit bias first, as
 * common_sampler_init adds it), with the stages llama.cpp lacks placed by kind: the no-repeat
 * n-gram ban after the penalties, the epsilon and eta cutoffs after min-p; mirostat last (in
 * llama.cpp it replaces top-k … XTC after temperature; here set those off to get its chain).
 * Temperature comes after the filters, so they see the distribution at temperature 1.
 */
export const LLAMA_CPP_ORDER: readonly StageName[] = [
  'logitBias', 'penalties', 'noRepeatNgram', 'dry', 'topNSigma', 'topK', 'typicalP', 'topP', 'minP',
  'epsilonCutoff', 'etaCutoff', 'xtc', 'temperature', 'mirostat',
];

/**
 * Hugging Face transformers' order (generation/utils.py `_get_logits_processor`): the processors
 * (repetition penalty, no-repeat n-gram, bad words / sequence bias) before the warpers
 * (temperature, top-k, top-p, min-p, typical, epsilon, eta); DRY, top-n-σ, XTC and mirostat,
 * which HF lacks, where llama.cpp's relative order puts them. Temperature comes first among the
 * warpers, so the filters see the tempered distribution. `sample`'s default (its historic order).
 */
export const HF_ORDER: readonly StageName[] = [
  'penalties', 'noRepeatNgram', 'logitBias', 'dry', 'temperature', 'topK', 'topP', 'minP', 'typicalP',
  'epsilonCutoff', 'etaCutoff', 'topNSigma', 'xtc', 'mirostat',
];

const STAGES = new Set<string>(LLAMA_CPP_ORDER);

/** A list of token ids: number[], Int32Array, or BigInt64Array (onnxruntime's and transformers.js' id type). */
export type TokenIds = readonly number[] | Int32Array | BigInt64Array;

export interface DecodeOptions {
  /**
   * Added to the logits before anything else: z_id ← z_id + bias (OpenAI's and llama.cpp's
   * `logit_bias`; HF's SequenceBiasLogitsProcessor with single-token sequences). −∞ bans a token.
   * A record or Map from token id to a number (finite or −∞).
   */
  logitBias?: Readonly<Record<number, number>> | ReadonlyMap<number, number>;
  /** Only these ids can be produced: every other logit becomes −∞ (vLLM's `allowed_token_ids`). Applied with logitBias. */
  allowedTokens?: TokenIds;
  /** These ids are never produced: their logits become −∞ (HF's bad_words_ids of single tokens, vLLM's `bad_words`). Applied with logitBias. */
  bannedTokens?: TokenIds;
  /**
   * Multiplicative repetition penalty θ > 0 over the distinct tokens of the last `lastN` history
   * tokens (CTRL, Keskar et al. 2019, as HF's RepetitionPenaltyLogitsProcessor and llama.cpp's
   * penalties sampler): z ← z/θ where z > 0, z·θ where z ≤ 0 — θ > 1 makes a seen token less
   * likely whatever its sign. Default 1 (off).
   */
  repetitionPenalty?: number;
  /**
   * Additive frequency penalty (OpenAI, vLLM, llama.cpp): z ← z − count·frequencyPenalty, count
   * the token's occurrences in the window. vLLM counts generated tokens only; here the window of
   * the history given decides. Any finite number; default 0.
   */
  frequencyPenalty?: number;
  /** Additive presence penalty (OpenAI, vLLM, llama.cpp): z ← z − presencePenalty when the token occurs in the window (count > 0). Default 0. */
  presencePenalty?: number;
  /** The penalty window: the last `lastN` history tokens; 0 = no penalties, −1 = the whole history. Default 64 (llama.cpp's `penalty_last_n`). */
  lastN?: number;
  /**
   * HF's NoRepeatNGramLogitsProcessor: with size n ≥ 1, any token that would complete an n-gram
   * already present in the history (its previous n − 1 tokens followed by it) gets −∞. Default 0 (off).
   */
  noRepeatNgramSize?: number;
  /**
   * Divides the logits: z ← z/T, so p ∝ e^(z/T). T = 0 (or below 2^−1024) is greedy: only the
   * argmax stays (the lowest id among equal maxima), every other logit becomes −∞, and the draw
   * uses no random number (llama.cpp's temp ≤ 0). A finite number ≥ 0; default 1.
   */
  temperature?: number;
  /**
   * Dynamic temperature (llama.cpp's temp_ext, "dynatemp"): with range δ > 0 the temperature is
   * T' = T_min + (T_max − T_min)·(H/log n)^exponent, T_min = max(0, T − δ), T_max = T + δ, H the
   * entropy of the kept distribution and n the number of kept tokens (so a flat distribution gets
   * T_max, a peaked one T_min). Default 0 (off: the plain temperature).
   */
  dynatempRange?: number;
  /** The exponent of dynamic temperature's entropy map, > 0. Default 1. */
  dynatempExponent?: number;
  /** Keeps the k largest logits (ties at the k-th value: lower ids first). 0 = all. Default 0. */
  topK?: number;
  /**
   * Nucleus sampling (Holtzman et al. 2019): keeps the smallest set of most probable tokens
   * (ties: lower ids first) whose probability is ≥ p — exactly, the kept mass is never below p.
   * In (0, 1]; default 1 (off).
   */
  topP?: number;
  /** Keeps tokens with p ≥ minP·p_max (llama.cpp's and HF's min-p). In [0, 1]; default 0 (off). */
  minP?: number;
  /**
   * Locally typical sampling (Meister et al. 2022, HF's TypicalLogitsWarper, llama.cpp's typical):
   * with H = −Σ p log p, tokens are ranked by |−log p − H| (closest to the entropy first; ties:
   * lower ids first) and the smallest prefix whose mass is ≥ typicalP is kept. In (0, 1]; default 1 (off).
   */
  typicalP?: number;
  /**
   * Top-n-σ (Tang et al. 2024, llama.cpp's top_n_sigma): keeps z ≥ max − n·σ, σ the population
   * standard deviation of the finite logits (computed on the logits, not probabilities). A number
   * > 0; default 0 (off; llama.cpp's −1).
   */
  topNSigma?: number;
  /** HF's EpsilonLogitsWarper (Hewitt et al. 2022, truncation sampling): removes tokens with p < ε. In [0, 1); default 0 (off). */
  epsilonCutoff?: number;
  /**
   * HF's EtaLogitsWarper (Hewitt et al. 2022): removes tokens with p < η' where
   * η' = min(η, √η·e^(−H)), H the entropy of the distribution. In [0, 1); default 0 (off).
   */
  etaCutoff?: number;
  /**
   * XTC, "exclude top choices" (llama.cpp's xtc sampler): with probability xtcProbability (one
   * uniform draw u from the generator, applied when u ≤ xtcProbability), every token with
   * p ≥ xtcThreshold except the least probable of them is removed — only when at least two reach
   * the threshold and at least minKeep tokens remain. In [0, 1]; default 0 (off).
   */
  xtcProbability?: number;
  /** XTC's threshold, in [0, 1]; above 0.5 XTC never acts (two tokens cannot both exceed it). Default 0.1 (llama.cpp's). */
  xtcThreshold?: number;
  /**
   * DRY, "don't repeat yourself" (p-e-w's algorithm, llama.cpp's dry sampler): for each token t
   * that would extend a repeat — an earlier occurrence of the history's last L tokens followed by
   * t, L ≥ dryAllowedLength — z_t ← z_t − multiplier·base^(L − allowedLength), L the longest such
   * match (capped where a sequence breaker last occurred). Default 0 (off).
   */
  dryMultiplier?: number;
  /** DRY's base, ≥ 1. Default 1.75. */
  dryBase?: number;
  /** DRY's allowed repeat length before any penalty, an integer ≥ 1. Default 2. */
  dryAllowedLength?: number;
  /**
   * DRY's sequence breakers as token ids (llama.cpp takes strings and tokenizes them; give their
   * token ids here): a number, or an array for a multi-token breaker. No repeat is matched across
   * a breaker, and a single-token breaker is never penalised. Default none.
   */
  drySequenceBreakers?: readonly (number | readonly number[])[];
  /** DRY's window: the last dryLastN history tokens; −1 = all, 0 = off. Default −1. */
  dryLastN?: number;
  /**
   * Mirostat (Basu et al. 2021, llama.cpp's mirostat and mirostat_v2), a stateful terminal filter
   * aiming at surprise τ (mirostatTau) with learning rate η (mirostatEta); μ starts at 2τ.
   * v1: s estimated from the 100 most probable tokens, k = ((ŝ−1)·2^μ/(1 − V^(1−ŝ)))^(1/ŝ), top-k.
   * v2: keeps the tokens with −log2 p ≤ μ (at least one). After each draw of token t (createSampler,
   * sample): μ ← μ − η·(−log2 p_t − τ), p_t over the kept tokens. 0 (off), 1 or 2; default 0.
   */
  mirostat?: 0 | 1 | 2;
  /** Mirostat's target surprise τ > 0. Default 5. */
  mirostatTau?: number;
  /** Mirostat's learning rate η ≥ 0. Default 0.1. */
  mirostatEta?: number;
  /** Every truncating filter keeps at least this many tokens (its most probable ones; HF's min_tokens_to_keep). Integer ≥ 1; default 1. */
  minKeep?: number;
  /**
   * The order of the stages: 'llama.cpp' (LLAMA_CPP_ORDER), 'hf' (HF_ORDER), or an array of
   * stage names (each at most once; stages left out do not run). Default: 'llama.cpp' for
   * processLogits and createSampler, 'hf' for sample (the order it has always used).
   */
  order?: 'llama.cpp' | 'hf' | readonly StageName[];
  /** Seed of a fresh generator (see createRng): for createSampler, seeded once at creation. */
  seed?: number;
  /** A generator to draw from; takes precedence over seed. */
  rng?: Rng;
  /** The vocabulary axis. Default −1. */
  axis?: number;
}

/** The log-probability options of sample and a sampler's step. */
export interface LogProbOptions {
  /** Report the log-probability of each drawn token. */
  logProbs?: boolean;
  /** Also report the k most probable tokens with their log-probabilities (vLLM's and OpenAI's top_logprobs). Default 0. */
  topLogProbs?: number;
  /** Of which distribution: 'raw' (log-softmax of the logits given, vLLM's default) or 'processed' (after the chain, at its temperature). Default 'raw'. */
  logProbsOf?: 'raw' | 'processed';
}

export const DECODE_KEYS = [
  'logitBias', 'allowedTokens', 'bannedTokens', 'repetitionPenalty', 'frequencyPenalty', 'presencePenalty', 'lastN',
  'noRepeatNgramSize', 'temperature', 'dynatempRange', 'dynatempExponent', 'topK', 'topP', 'minP', 'typicalP',
  'topNSigma', 'epsilonCutoff', 'etaCutoff', 'xtcProbability', 'xtcThreshold', 'dryMultiplier', 'dryBase',
  'dryAllowedLength', 'drySequenceBreakers', 'dryLastN', 'mirostat', 'mirostatTau', 'mirostatEta', 'minKeep',
  'order', 'seed', 'rng', 'axis',
] as const;
export const LOGPROB_KEYS = ['logProbs', 'topLogProbs', 'logProbsOf'] as const;

/** The checked options, every field set. */
export interface ChainConfig {
  bias: Map<number, number>;
  allowed: number[] | null;
  banned: number[];
  repetition: number;
  frequency: number;
  presence: number;
  lastN: number;
  ngram: number;
  T: number;
  dynRange: number;
  dynExp: number;
  topK: number;
  topP: number;
  minP: number;
  typicalP: number;
  topNSigma: number;
  epsilon: number;
  eta: number;
  xtcP: number;
  xtcThreshold: number;
  dryMult: number;
  dryBase: number;
  dryAllowed: number;
  dryBreakers: number[][];
  dryLastN: number;
  mirostat: 0 | 1 | 2;
  tau: number;
  mEta: number;
  minKeep: number;
  order: readonly StageName[];
  axis: number;
}

const finite = (x: number) => Number.isFinite(x);

/** Reads a list of token ids (number[], Int32Array, BigInt64Array), each a safe integer ≥ 0. */
export function readIdList(fn: string, name: string, v: unknown): number[] {
  const ok = Array.isArray(v) || v instanceof Int32Array || v instanceof BigInt64Array;
  if (!ok) fail(fn, 'INVALID_OPTION', `${name} must be a number[], Int32Array or BigInt64Array of token ids, got ${show(v)}`);
  const out: number[] = [];
  for (const x of v as ArrayLike<number | bigint> & Iterable<number | bigint>) {
    const id = typeof x === 'bigint' && x >= 0n && x < 2n ** 53n ? Number(x) : x;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) fail(fn, 'INVALID_OPTION', `${name} holds ${show(x)}, not a token id (an integer ≥ 0)`);
    out.push(id);
  }
  return out;
}

function readBias(fn: string, v: unknown): Map<number, number> {
  const m = new Map<number, number>();
  if (v === undefined) return m;
  const entries: [unknown, unknown][] = v instanceof Map ? [...v.entries()] : typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.entries(v) : (fail(fn, 'INVALID_OPTION', `logitBias must be a record or Map from token id to bias, got ${show(v)}`) as never);
  for (const [k, b] of entries) {
    const id = Number(k);
    if (!Number.isSafeInteger(id) || id < 0) fail(fn, 'INVALID_OPTION', `logitBias has key ${show(k)}, not a token id`);
    if (typeof b !== 'number' || Number.isNaN(b) || b === Infinity) fail(fn, 'INVALID_OPTION', `logitBias[${id}] must be a finite number or −∞, got ${show(b)}`);
    m.set(id, (m.get(id) ?? 0) + b);
  }
  return m;
}

function readOrder(fn: string, v: unknown, def: 'llama.cpp' | 'hf'): readonly StageName[] {
  const o = v ?? def;
  if (o === 'llama.cpp') return LLAMA_CPP_ORDER;
  if (o === 'hf') return HF_ORDER;
  if (!Array.isArray(o)) fail(fn, 'INVALID_OPTION', `order must be 'llama.cpp', 'hf' or an array of stage names, got ${show(o)}`);
  const seen = new Set<string>();
  for (const s of o as unknown[]) {
    if (typeof s !== 'string' || !STAGES.has(s)) fail(fn, 'INVALID_OPTION', `order holds ${show(s)}, not a stage name (${LLAMA_CPP_ORDER.join(', ')})`);
    if (seen.has(s)) fail(fn, 'INVALID_OPTION', `order names '${s}' twice`);
    seen.add(s);
  }
  return o as StageName[];
}

/** Checks the chain options (unknown keys included against `extra`) into a ChainConfig. */
export function readChainOptions(fn: string, opts: DecodeOptions | undefined, defOrder: 'llama.cpp' | 'hf', extra: readonly string[] = []): ChainConfig {
  checkOptions(fn, opts, [...DECODE_KEYS, ...extra]);
  const num = (name: keyof DecodeOptions, def: number, ok: (x: number) => boolean, what: string) => numberOption(fn, name, opts?.[name], def, ok, what);
  const int = (x: number) => Number.isInteger(x);
  let T = num('temperature', 1, (t) => t >= 0 && t < Infinity, 'a finite number ≥ 0');
  if (!(1 / T < Infinity)) T = 0;
  const breakers = opts?.drySequenceBreakers;
  if (breakers !== undefined && !Array.isArray(breakers)) fail(fn, 'INVALID_OPTION', `drySequenceBreakers must be an array of token ids or id arrays, got ${show(breakers)}`);
  const mirostat = num('mirostat', 0, (m) => m === 0 || m === 1 || m === 2, '0, 1 or 2') as 0 | 1 | 2;
  return {
    bias: readBias(fn, opts?.logitBias),
    allowed: opts?.allowedTokens === undefined ? null : readIdList(fn, 'allowedTokens', opts.allowedTokens),
    banned: opts?.bannedTokens === undefined ? [] : readIdList(fn, 'bannedTokens', opts.bannedTokens),
    repetition: num('repetitionPenalty', 1, (x) => x > 0 && x < Infinity, 'a finite number > 0'),
    frequency: num('frequencyPenalty', 0, finite, 'a finite number'),
    presence: num('presencePenalty', 0, finite, 'a finite number'),
    lastN: num('lastN', 64, (x) => int(x) && x >= -1, 'an integer ≥ −1'),
    ngram: num('noRepeatNgramSize', 0, (x) => int(x) && x >= 0, 'an integer ≥ 0'),
    T,
    dynRange: num('dynatempRange', 0, (x) => x >= 0 && x < Infinity, 'a finite number ≥ 0'),
    dynExp: num('dynatempExponent', 1, (x) => x > 0 && x < Infinity, 'a finite number > 0'),
    topK: num('topK', 0, (x) => int(x) && x >= 0, 'an integer ≥ 0'),
    topP: num('topP', 1, (x) => x > 0 && x <= 1, 'a number in (0, 1]'),
    minP: num('minP', 0, (x) => x >= 0 && x <= 1, 'a number in [0, 1]'),
    typicalP: num('typicalP', 1, (x) => x > 0 && x <= 1, 'a number in (0, 1]'),
    topNSigma: num('topNSigma', 0, (x) => x >= 0 && x < Infinity, 'a finite number ≥ 0'),
    epsilon: num('epsilonCutoff', 0, (x) => x >= 0 && x < 1, 'a number in [0, 1)'),
    eta: num('etaCutoff', 0, (x) => x >= 0 && x < 1, 'a number in [0, 1)'),
    xtcP: num('xtcProbability', 0, (x) => x >= 0 && x <= 1, 'a number in [0, 1]'),
    xtcThreshold: num('xtcThreshold', 0.1, (x) => x >= 0 && x <= 1, 'a number in [0, 1]'),
    dryMult: num('dryMultiplier', 0, (x) => x >= 0 && x < Infinity, 'a finite number ≥ 0'),
    dryBase: num('dryBase', 1.75, (x) => x >= 1 && x < Infinity, 'a finite number ≥ 1'),
    dryAllowed: num('dryAllowedLength', 2, (x) => int(x) && x >= 1, 'an integer ≥ 1'),
    dryBreakers: (breakers ?? []).map((b, i) => (typeof b === 'number' ? readIdList(fn, `drySequenceBreakers[${i}]`, [b]) : readIdList(fn, `drySequenceBreakers[${i}]`, b))).filter((b) => b.length > 0),
    dryLastN: num('dryLastN', -1, (x) => int(x) && x >= -1, 'an integer ≥ −1'),
    mirostat,
    tau: num('mirostatTau', 5, (x) => x > 0 && x < Infinity, 'a finite number > 0'),
    mEta: num('mirostatEta', 0.1, (x) => x >= 0 && x < Infinity, 'a finite number ≥ 0'),
    minKeep: num('minKeep', 1, (x) => int(x) && x >= 1, 'an integer ≥ 1'),
    order: readOrder(fn, opts?.order, defOrder),
    axis: num('axis', -1, int, 'an integer'),
  };
}
