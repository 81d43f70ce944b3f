// Sampling a token from logits for LLM inference: temperature, top-k, top-p (nucleus) and min-p,
// in that order (Hugging Face transformers' warper order), from a seeded, reproducible generator.
// This file is the API and its option checks; the selection engine is selection.ts (with topK.ts
// and topP.ts), working in a SamplerScratch (sampleScratch.ts). No row is ever fully sorted.

import { fail, show } from '../core/errors.js';
import { checkOptions, numberOption } from '../core/options.js';
import { type FloatArray, type Input, type Output, readArg } from '../core/tensor.js';
import { layoutOf, normalizeAxis } from '../core/shape.js';
import { logSoftmax, type SoftmaxOptions } from '../ops/softmax.js';
import { type Rng, Xoshiro128 } from '../core/rng.js';
import { SamplerScratch } from './sampleScratch.js';
import { ROW_ALL_NEG_INF, ROW_NAN, keptPositions, sampleRow, scanRow } from './selection.js';
import { type DecodeOptions, type LogProbOptions, LOGPROB_KEYS, readChainOptions } from './chain/options.js';
import { Chain } from './chain/run.js';
import { type History, type SampleStep, drawRows, processLogits, readHistory, resolveRng, readLogProbOptions, readRows } from './decode.js';
import { getBackend } from '../backend/index.js';

export type { Rng } from '../core/rng.js';

/**
 * A reproducible generator: the library's shared xoshiro128** (src/core/rng.ts; the same stream
 * as sigmax/train's Rng for the same seed) seeded through splitmix32 from an integer seed (any
 * safe integer; its low and high 32 bits both count). The same seed gives the same sequence on
 * every platform.
 */
export function createRng(seed: number): Rng {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) fail('createRng', 'INVALID_OPTION', `seed must be a safe integer, got ${show(seed)}`);
  const g = new Xoshiro128(seed);
  return { nextUint32: () => g.nextUint32(), nextFloat: () => g.nextFloat() };
}

/**
 * sample's options: the historic four filters and seed/rng/axis/out below, and every option of
 * the decoding chain (DecodeOptions: penalties, DRY, typical, top-n-σ, cutoffs, XTC, mirostat,
 * dynamic temperature, `order`, …) with the log-probability options. sample's default order is
 * 'hf' (HF_ORDER: temperature first, then top-k, top-p, min-p), the order it has always used.
 */
export interface SampleOptions extends Omit<DecodeOptions, 'temperature' | 'topK' | 'topP' | 'minP' | 'seed' | 'rng' | 'axis'>, LogProbOptions {
  /** Divides the logits: p ∝ e^(z/T). A finite number ≥ 0; 0 (or below 2^−1024) picks the argmax (greedy). Default 1. */
  temperature?: number;
  /** Keep only the k largest logits (ties: lower index first). 0 (default) keeps all. */
  topK?: number;
  /** Keep the smallest set of most probable tokens whose probability is ≥ p, in (0, 1]. Default 1 (all). */
  topP?: number;
  /** Keep tokens with probability ≥ minP·(the largest probability), in [0, 1]. Default 0 (all). */
  minP?: number;
  /** Seed of a fresh generator for this call (see createRng). */
  seed?: number;
  /** A generator to draw from (advanced by one draw per row); takes precedence over seed. */
  rng?: Rng;
  /** The class (vocabulary) axis. Default −1. */
  axis?: number;
  /** Preallocated token indices, one per row (tensor input). */
  out?: Int32Array;
  /** The row's token history (or one per row), for the penalties, no-repeat n-grams and DRY. */
  history?: History;
}

/** The options sample has always had: given only these, sample runs its original engine (selection.ts), except for long float32 rows under the wasm backend (onChain). */
const LEGACY_KEYS = new Set(['temperature', 'topK', 'topP', 'minP', 'seed', 'rng', 'axis', 'out']);

/**
 * The sampler's scratch, made on the first call and reused: its arrays grow to the largest row
 * seen, and every call writes what it reads, so calls of any sizes in any order are independent.
 */
let scratch: SamplerScratch | null = null;
const getScratch = (): SamplerScratch => (scratch ??= new SamplerScratch());

/** The generator of calls given neither seed nor rng: one per process, seeded from Math.random on first use. */
let defaultRng: Rng | null = null;

function readSampleOptions(fn: string, opts: SampleOptions | undefined) {
  checkOptions(fn, opts, [...LEGACY_KEYS]);
  let T = numberOption(fn, 'temperature', opts?.temperature, 1, (t) => t >= 0 && t < Infinity, 'a finite number ≥ 0');
  // Below 2^−1024, 1/T overflows: every distribution is then a point mass on the max (greedy).
  if (!(1 / T < Infinity)) T = 0;
  const topK = numberOption(fn, 'topK', opts?.topK, 0, (k) => Number.isInteger(k) && k >= 0, 'an integer ≥ 0');
  const topP = numberOption(fn, 'topP', opts?.topP, 1, (p) => p > 0 && p <= 1, 'a number in (0, 1]');
  const minP = numberOption(fn, 'minP', opts?.minP, 0, (p) => p >= 0 && p <= 1, 'a number in [0, 1]');
  let rng: Rng;
  if (opts?.rng !== undefined) {
    const r = opts.rng as unknown as { nextFloat?: unknown };
    if (typeof r !== 'object' || r === null || typeof r.nextFloat !== 'function') fail(fn, 'INVALID_OPTION', 'rng must be a generator with nextFloat() (see createRng)');
    rng = opts.rng;
  } else if (opts?.seed !== undefined) {
    if (typeof opts.seed !== 'number' || !Number.isSafeInteger(opts.seed)) fail(fn, 'INVALID_OPTION', `seed must be a safe integer, got ${show(opts.seed)}`);
    rng = createRng(opts.seed);
  } else {
    rng = defaultRng ??= createRng(Math.floor(Math.random() * 2 ** 53));
  }
  return { T, topK, topP, minP, rng };
}

/**
 * Draws a token index from softmax(logits / temperature) after Hugging Face's filters, in their
 * order: top-k keeps the k largest logits; top-p keeps, of what remains, the smallest set of the
 * most probable tokens (largest logits; ties: lower index first) whose probability — renormalised
 * over the top-k set — is ≥ topP; min-p then drops tokens below minP·max probability. The draw is
 * u·(kept mass), u = rng.nextFloat(), walked over the kept tokens in index order, so a seed (or
 * an rng in a given state) always gives the same token.
 * Float32 vocabularies of 4096 or more under the wasm backend, with a filter or a temperature,
 * run the decoding chain in the 'hf' order instead (the same rules and draw; probabilities from
 * the softmax kernel, within 2 ulp; see createSampler). Otherwise:
 * Exact selection: probabilities are e^((z − max)/T) in float64 (within 0.52 ulp) with masses
 * summed in double-double; top-k is a selection (a k-heap, or quickselect above k = 1024) and
 * top-p a histogram of the logits plus a stable three-way partition of the one boundary bucket —
 * linear time, no sort of the row. With top-p, exps are computed only for the head of the
 * distribution: the tail's mass is bounded from counts per histogram bin, and the set is accepted
 * only when it is the same at both ends of that bound (else more bins are made exact), so it is
 * exactly the set the full computation gives. Without top-p the draw needs every exp. See
 * docs/math.md#sampling.
 * A flat array gives one index (a number); a Tensor gives an Int32Array with one index per row
 * (rows along `axis`). temperature 0 gives the argmax (first on ties). −∞ logits are never drawn;
 * if any logit is +∞ the draw is uniform among the +∞ ones. A row with NaN, or with every logit −∞,
 * throws INVALID_INPUT naming the row.
 * Any other option (the decoding chain's, `order`, `history`, the log-probability options) runs
 * the chain of createSampler for one step instead, in the 'hf' order unless `order` says
 * otherwise, with the same draw rule (one u per row, walked over the kept ids in increasing
 * order; XTC draws its coin first). With `logProbs: true` or `topLogProbs`, the result is a
 * SampleStep (tokens and log-probabilities) whatever the input form.
 */
export function sample(logits: Input, opts: SampleOptions & ({ logProbs: true } | { topLogProbs: number })): SampleStep;
export function sample(logits: FloatArray | readonly number[], opts?: SampleOptions): number;
export function sample(logits: Input, opts?: SampleOptions): Int32Array;
export function sample(logits: Input, opts?: SampleOptions): number | Int32Array | SampleStep {
  const fn = 'sample';
  if (opts !== undefined && opts !== null && typeof opts === 'object' && Object.keys(opts).some((k) => !LEGACY_KEYS.has(k) && (opts as Record<string, unknown>)[k] !== undefined)) return sampleChain(fn, logits, opts);
  const o = readSampleOptions(fn, opts);
  const a = readArg(fn, 'logits', logits);
  if (a.shape.length === 0) fail(fn, 'SHAPE_MISMATCH', 'logits must have a vocabulary axis (rank ≥ 1), got a 0-d tensor');
  const axis = normalizeAxis(fn, opts?.axis ?? -1, a.shape.length);
  const { outer, size: n, inner } = layoutOf(a.shape, axis);
  if (n === 0) fail(fn, 'SHAPE_MISMATCH', 'logits has an empty vocabulary axis; there is nothing to sample');
  if (onChain(a.data, n, o)) return sampleChain(fn, logits, opts!);
  const rows = outer * inner;
  const out = opts?.out ?? new Int32Array(rows);
  if (!(out instanceof Int32Array) || out.length !== rows) fail(fn, 'SHAPE_MISMATCH', `out must be an Int32Array of ${rows} elements (one per row)`);
  const res = new Int32Array(rows);
  const sc = getScratch();
  for (let oo = 0; oo < outer; oo++) {
    for (let i = 0; i < inner; i++) {
      const r = oo * inner + i;
      const t = sampleRow(sc, a.data, oo * n * inner + i, inner, n, o.T, o.topK, o.topP, o.minP, o.rng);
      if (t === ROW_NAN) fail(fn, 'INVALID_INPUT', `logits row ${r} contains NaN; cannot sample from it`);
      if (t === ROW_ALL_NEG_INF) fail(fn, 'INVALID_INPUT', `every logit of row ${r} is −∞; there is no token to sample`);
      res[r] = t;
    }
  }
  out.set(res);
  return a.kind === 'tensor' ? out : out[0];
}

/**
 * Whether a call with only sample's own options runs the decoding chain: float32 vocabularies of
 * at least CHAIN_ROW_MIN under the wasm backend with a filter or a temperature ≠ 1 (the chain's
 * probabilities come from the softmax kernel, within 2 ulp; its row kernels run in the wasm
 * memory). An unfiltered draw at T = 1 stays on the engine below, which has its own kernel path.
 */
function onChain(data: FloatArray, n: number, o: { T: number; topK: number; topP: number; minP: number }): boolean {
  if (!(data instanceof Float32Array) || n < CHAIN_ROW_MIN || getBackend() !== 'wasm') return false;
  return o.T !== 1 || (o.topK > 0 && o.topK < n) || o.topP < 1 || o.minP > 0;
}

/** Vocabularies from this size take the chain in sample and samplingSet (below it the exact engine is as fast). */
const CHAIN_ROW_MIN = 4096;

/** sample through the decoding chain (createSampler's step, stateless, 'hf' order by default). */
function sampleChain(fn: string, logits: Input, opts: SampleOptions): number | Int32Array | SampleStep {
  const { out, history, ...rest } = opts;
  const c = readChainOptions(fn, rest as DecodeOptions, 'hf', [...LOGPROB_KEYS]);
  const lp = readLogProbOptions(fn, opts);
  const r = readRows(fn, logits, c.axis);
  if (out !== undefined && (!(out instanceof Int32Array) || out.length !== r.rows)) fail(fn, 'SHAPE_MISMATCH', `out must be an Int32Array of ${r.rows} elements (one per row)`);
  const hist = readHistory(fn, history, r.rows);
  const rng = opts.rng !== undefined || opts.seed !== undefined ? resolveRng(fn, rest as DecodeOptions) : (defaultRng ??= createRng(Math.floor(Math.random() * 2 ** 53)));
  const res = drawRows(fn, new Chain(c), c, r, (row) => hist?.[row] ?? [], [], rng, lp);
  if (out !== undefined) out.set(res.tokens);
  if (opts.logProbs === true || opts.topLogProbs !== undefined) return res;
  return r.kind === 'tensor' ? (out ?? res.tokens) : res.tokens[0];
}

/**
 * The tokens `sample` may draw from a 1-D row of logits under the same options (temperature,
 * topK, topP, minP; seed and rng are not used): their indices in increasing order. With topP < 1
 * their probability mass (renormalised over the top-k set) is ≥ topP and dropping the least
 * probable of them takes it below topP; minP then removes tokens below minP·max probability.
 * temperature 0 gives the argmax alone; +∞ logits give the +∞ positions. Errors as sample.
 */
export function samplingSet(logits: FloatArray | readonly number[], opts?: Omit<SampleOptions, 'seed' | 'rng' | 'out' | 'axis'>): Int32Array {
  const fn = 'samplingSet';
  checkOptions(fn, opts, ['temperature', 'topK', 'topP', 'minP']);
  const o = readSampleOptions(fn, { ...opts, seed: 0 });
  const a = readArg(fn, 'logits', logits);
  if (a.shape.length !== 1) fail(fn, 'SHAPE_MISMATCH', `logits must be 1-D, got shape ${show(a.shape)}`);
  const x = a.data;
  const n = x.length;
  if (n === 0) fail(fn, 'SHAPE_MISMATCH', 'logits is empty; there is nothing to sample');
  const sc = getScratch();
  if (!scanRow(sc, x, 0, 1, n)) fail(fn, 'INVALID_INPUT', 'logits contains NaN; cannot sample from it');
  if (sc.rowArg < 0) fail(fn, 'INVALID_INPUT', 'every logit is −∞; there is no token to sample');
  if (onChain(x, n, o)) {
    // The chain's kept set (what sample draws from for this row): the finite entries of processLogits.
    const kept = processLogits(x, { temperature: o.T, topK: o.topK, topP: o.topP, minP: o.minP, order: 'hf' }) as Float32Array;
    const out: number[] = [];
    for (let i = 0; i < n; i++) if (kept[i] !== -Infinity) out.push(i);
    return Int32Array.from(out);
  }
  return keptPositions(sc, x, n, o.T, o.topK, o.topP, o.minP);
}

/**
 * Log-probabilities log softmax(logits / temperature) along `axis` (default −1): the library's
 * logSoftmax, exact to rounding (the largest keeps −1e−8 rather than 0). Options as logSoftmax.
 */
export function logProbs<X extends Input>(logits: X, opts?: SoftmaxOptions): Output<X> {
  return logSoftmax(logits, opts);
}

