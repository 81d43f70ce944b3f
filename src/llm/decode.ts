// The decoding API of sigmax/llm, two layers over the chain (chain/run.ts): processLogits, the
// stateless transform to processed logits, and createSampler, the stateful step (history window,
// DRY, mirostat μ) that draws one token per row. `sample` (sample.ts) routes here for chain options.

import { fail, show } from '../core/errors.js';
import { readIndices } from '../core/losses.js';
import { enumOption, numberOption, booleanOption } from '../core/options.js';
import { type Rng } from '../core/rng.js';
import { layoutOf, normalizeAxis } from '../core/shape.js';
import { type FloatArray, type Input, type Tensor, readArg } from '../core/tensor.js';
import { kernels } from '../backend/index.js';
import { createRng } from './sample.js';
import { SamplerScratch } from './sampleScratch.js';
import { gatherTopK } from './topK.js';
import { type ChainConfig, type DecodeOptions, type LogProbOptions, LOGPROB_KEYS, readChainOptions } from './chain/options.js';
import { Chain, LOAD_ALL_NEG_INF, LOAD_NAN } from './chain/run.js';
import type { StepContext } from './chain/types.js';

/** A history: one sequence of token ids (number[], Int32Array, BigInt64Array), or one per row for a batch. */
export type History = readonly number[] | Int32Array | BigInt64Array | readonly (readonly number[] | Int32Array | BigInt64Array)[];

/** One sampler step's result: the tokens, and the log-probabilities asked for. */
export interface SampleStep {
  /** The drawn token id of each row. */
  tokens: Int32Array;
  /** log p of each drawn token (logProbs), of the distribution logProbsOf names. */
  logProbs?: Float64Array;
  /** topLogProbs = k: the k most probable ids of each row (row-major, k per row; most probable first, ties by lower id). */
  topIds?: Int32Array;
  /** Their log-probabilities, aligned with topIds. */
  topLogProbs?: Float64Array;
}

interface Rows {
  data: FloatArray;
  shape: readonly number[];
  kind: string;
  outer: number;
  inner: number;
  V: number;
  rows: number;
}

function readRows(fn: string, logits: unknown, axisOpt: number): Rows {
  const a = readArg(fn, 'logits', logits);
  if (a.shape.length === 0) fail(fn, 'SHAPE_MISMATCH', 'logits must have a vocabulary axis (rank ≥ 1), got a 0-d tensor');
  const axis = normalizeAxis(fn, axisOpt, a.shape.length);
  const { outer, size: V, inner } = layoutOf(a.shape, axis);
  if (V === 0) fail(fn, 'SHAPE_MISMATCH', 'logits has an empty vocabulary axis');
  return { data: a.data, shape: a.shape, kind: a.kind, outer, inner, V, rows: outer * inner };
}

const EMPTY: number[] = [];

/** One sequence of ids as numbers (BigInt64 ids checked exactly by the shared reader; negative ids rejected). */
function readSequence(fn: string, name: string, h: unknown): ArrayLike<number> {
  const r = readIndices(fn, name, h, Infinity, -1);
  const ix = r.index;
  for (let i = 0; i < r.length; i++) {
    const v = ix[i];
    if (!Number.isSafeInteger(v) || v < 0) fail(fn, 'INVALID_INPUT', `${name}[${i}] = ${show(v)} is not a token id (an integer ≥ 0)`);
  }
  return ix;
}

/** The history of each row: one sequence for a single row, one per row for a batch. */
function readHistory(fn: string, h: unknown, rows: number): ArrayLike<number>[] | null {
  if (h === undefined || h === null) return null;
  const nested = Array.isArray(h) && h.length > 0 && typeof h[0] !== 'number';
  if (!nested) {
    if (rows !== 1) fail(fn, 'SHAPE_MISMATCH', `history for ${rows} rows must be an array of ${rows} sequences, one per row`);
    return [readSequence(fn, 'history', h)];
  }
  const list = h as unknown[];
  if (list.length !== rows) fail(fn, 'SHAPE_MISMATCH', `history has ${list.length} sequences for ${rows} rows`);
  return list.map((s, r) => readSequence(fn, `history[${r}]`, s));
}

function resolveRng(fn: string, opts: DecodeOptions | undefined): Rng {
  if (opts?.rng !== undefined) {
    const r = opts.rng as unknown as { nextFloat?: unknown };
    if (typeof r !== 'object' || r === null || typeof r.nextFloat !== 'function') fail(fn, 'INVALID_OPTION', 'rng must be a generator with nextFloat() (see createRng)');
    return opts.rng;
  }
  if (opts?.seed !== undefined) {
    if (typeof opts.seed !== 'number' || !Number.isSafeInteger(opts.seed)) fail(fn, 'INVALID_OPTION', `seed must be a safe integer, got ${show(opts.seed)}`);
    return createRng(opts.seed);
  }
  return createRng(Math.floor(Math.random() * 2 ** 53));
}

/**
 * The processed logits: the chain of `options` (default order LLAMA_CPP_ORDER; see DecodeOptions
 * for every stage's formula) applied to each row along `axis`, with `history` feeding the
 * penalties, no-repeat n-grams and DRY. Same shape and element type as the input (float32 for
 * float32 and 16-bit inputs, float64 for float64 and number[]; a Tensor for tensor inputs):
 * −∞ where a stage removed the token, the processed logit (biased, penalised, divided by the
 * temperature) elsewhere. Stateless: mirostat truncates with μ = 2τ and XTC draws its coin from
 * `seed`/`rng` (a fresh random generator when neither is given). A NaN row throws INVALID_INPUT;
 * a row of all −∞ (or one the chain empties) comes back all −∞.
 */
export function processLogits(logits: Input, options?: DecodeOptions, history?: History): FloatArray | Tensor {
  const fn = 'processLogits';
  const c = readChainOptions(fn, options, 'llama.cpp');
  const r = readRows(fn, logits, c.axis);
  const hist = readHistory(fn, history, r.rows);
  const needsRng = c.xtcP > 0;
  const rng = needsRng ? resolveRng(fn, options) : createRng(0);
  const chain = new Chain(c);
  const out = r.data instanceof Float32Array ? new Float32Array(r.data.length) : new Float64Array(r.data.length);
  out.fill(-Infinity);
  for (let o = 0; o < r.outer; o++) {
    for (let i = 0; i < r.inner; i++) {
      const row = o * r.inner + i;
      const base = o * r.V * r.inner + i;
      const st = chain.load(r.data, base, r.inner, r.V);
      if (st === LOAD_NAN) fail(fn, 'INVALID_INPUT', `logits row ${row} contains NaN`);
      if (st === LOAD_ALL_NEG_INF) continue;
      const ctx: StepContext = { history: hist?.[row] ?? EMPTY, rng, mu: Number.NaN };
      if (!chain.process(ctx)) continue;
      const { ids, z, n } = chain.row;
      for (let k = 0; k < n; k++) out[base + ids[k] * r.inner] = z[k];
    }
  }
  return r.kind === 'tensor' ? { data: out, shape: r.shape } : out;
}

/** A stateful sampler (createSampler). */
export interface Sampler {
  /** Draws one token per row of `logits` (a [V] row or [B, V] rows along `axis`); see createSampler. */
  next(logits: Input, history?: History): Int32Array;
  /** As next, with the log-probabilities of `options.logProbs`/`topLogProbs`. */
  step(logits: Input, history?: History): SampleStep;
  /** Forgets every row's recorded tokens and mirostat's μ (the generator is not rewound). */
  reset(): void;
}

/**
 * A sampler holding state across decoding steps, per row: the tokens it drew (its history when
 * `next` is given none), and mirostat's μ. `next(logits, history?)`: when `history` is given it
 * is the row's whole sequence so far (prompt and generated) and replaces the record; the drawn
 * token is then appended. One generator (`seed`/`rng`, else a random seed) serves every step,
 * so a seed gives the same tokens on every platform and thread count. Options as DecodeOptions
 * (default order LLAMA_CPP_ORDER) plus the LogProbOptions, which `step` reports.
 */
export function createSampler(options?: DecodeOptions & LogProbOptions): Sampler {
  const fn = 'createSampler';
  const c = readChainOptions(fn, options, 'llama.cpp', LOGPROB_KEYS);
  const lp = readLogProbOptions(fn, options);
  const rng = resolveRng(fn, options);
  const chain = new Chain(c);
  let records: number[][] = [];
  let mus: number[] = [];
  const run = (name: string, logits: Input, history: History | undefined, want: boolean): SampleStep => {
    const r = readRows(name, logits, c.axis);
    const hist = readHistory(name, history, r.rows);
    while (records.length < r.rows) {
      records.push([]);
      mus.push(Number.NaN);
    }
    if (hist !== null) for (let k = 0; k < r.rows; k++) records[k] = Array.from(hist[k]);
    const res = drawRows(name, chain, c, r, (row) => records[row], mus, rng, want ? lp : null);
    for (let k = 0; k < r.rows; k++) records[k].push(res.tokens[k]);
    return res;
  };
  return {
    next: (logits, history) => run('next', logits, history, false).tokens,
    step: (logits, history) => run('step', logits, history, true),
    reset: () => {
      records = [];
      mus = [];
    },
  };
}

export interface LogProbConfig {
  logProbs: boolean;
  top: number;
  of: 'raw' | 'processed';
}

export function readLogProbOptions(fn: string, o: LogProbOptions | undefined): LogProbConfig {
  return {
    logProbs: booleanOption(fn, 'logProbs', o?.logProbs, false),
    top: numberOption(fn, 'topLogProbs', o?.topLogProbs, 0, (k) => Number.isInteger(k) && k >= 0, 'an integer ≥ 0'),
    of: enumOption(fn, 'logProbsOf', o?.logProbsOf, 'raw', ['raw', 'processed']),
  };
}

const lpScratch = new SamplerScratch();
let lpRow = new Float64Array(0);

/** The k most probable of lp[0 : n) (ids via `idOf`), most probable first, ties by lower id, into the result arrays at `at`. */
function topOf(lp: Float64Array, n: number, k: number, idOf: (i: number) => number, ids: Int32Array, vals: Float64Array, at: number): void {
  const kk = Math.min(k, n);
  lpScratch.grow(n);
  const idx: number[] = [];
  if (kk < n && gatherTopK(lpScratch, lp, 0, 1, n, kk)) for (let j = 0; j < kk; j++) idx.push(lpScratch.pos[j]);
  else for (let j = 0; j < n; j++) idx.push(j);
  idx.sort((a, b) => lp[b] - lp[a] || idOf(a) - idOf(b));
  for (let j = 0; j < k; j++) {
    ids[at + j] = j < idx.length && j < kk ? idOf(idx[j]) : -1;
    vals[at + j] = j < idx.length && j < kk ? lp[idx[j]] : -Infinity;
  }
}

/** Draws every row through the chain; fills the log-probabilities when `lp` asks for them. */
export function drawRows(fn: string, chain: Chain, c: ChainConfig, r: Rows, historyOf: (row: number) => ArrayLike<number>, mus: number[], rng: Rng, lp: LogProbConfig | null): SampleStep {
  const tokens = new Int32Array(r.rows);
  const want = lp !== null && (lp.logProbs || lp.top > 0);
  const res: SampleStep = { tokens };
  if (want && lp.logProbs) res.logProbs = new Float64Array(r.rows);
  if (want && lp.top > 0) {
    res.topIds = new Int32Array(r.rows * lp.top);
    res.topLogProbs = new Float64Array(r.rows * lp.top);
  }
  for (let o = 0; o < r.outer; o++) {
    for (let i = 0; i < r.inner; i++) {
      const row = o * r.inner + i;
      const base = o * r.V * r.inner + i;
      const st = chain.load(r.data, base, r.inner, r.V);
      if (st === LOAD_NAN) fail(fn, 'INVALID_INPUT', `logits row ${row} contains NaN; cannot sample from it`);
      if (st === LOAD_ALL_NEG_INF) fail(fn, 'INVALID_INPUT', `every logit of row ${row} is −∞; there is no token to sample`);
      const ctx: StepContext = { history: historyOf(row), rng, mu: mus[row] ?? Number.NaN };
      if (!chain.process(ctx)) fail(fn, 'INVALID_INPUT', `the chain removed every token of row ${row}; there is no token to sample`);
      const t = chain.draw(ctx);
      tokens[row] = t;
      mus[row] = ctx.mu;
      if (!want) continue;
      if (lp.of === 'processed') {
        const cr = chain.row;
        const l = cr.logProbs();
        const ids = cr.ids;
        if (res.logProbs) res.logProbs[row] = l[cr.indexOf(t)];
        if (res.topIds && res.topLogProbs) topOf(l, cr.n, lp.top, (j) => ids[j], res.topIds, res.topLogProbs, row * lp.top);
      } else {
        if (lpRow.length < r.V) lpRow = new Float64Array(r.V);
        const x = r.data;
        const rowData = x instanceof Float32Array ? new Float32Array(r.V) : new Float64Array(r.V);
        for (let k = 0, q = base; k < r.V; k++, q += r.inner) rowData[k] = x[q];
        const outRow = x instanceof Float32Array ? new Float32Array(r.V) : lpRow;
        kernels().logSoftmax(rowData, outRow, { outer: 1, size: r.V, inner: 1 }, 1, false);
        if (outRow !== lpRow) lpRow.set(outRow);
        if (res.logProbs) res.logProbs[row] = lpRow[t];
        if (res.topIds && res.topLogProbs) topOf(lpRow, r.V, lp.top, (j) => j, res.topIds, res.topLogProbs, row * lp.top);
      }
    }
  }
  return res;
}

export { readRows, readHistory, resolveRng };
