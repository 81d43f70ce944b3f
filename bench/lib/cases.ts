// What the benchmark measures: the ops, the shapes, the inputs (deterministic, seeded) and the
// byte counts behind GB/s. Shared by the orchestrator (run.ts) and the per-system child (child.ts).
// The ops, their titles and byte counts are the `bench` cases of the op manifest (src/ops/manifest.ts).

import { type BenchOpName, type BenchSpec, ALL_OPS, OPS } from '../../src/ops/manifest.js';
import { uniform } from '../../src/core/rng.js';

export type Op = BenchOpName;

const BENCH_OPS = ALL_OPS.filter((o) => o.bench !== undefined).map((o) => o.name as Op);
const spec = (op: Op): BenchSpec => OPS[op].bench;

export const OP_TITLE = Object.fromEntries(BENCH_OPS.map((op) => [op, spec(op).title])) as Record<Op, string>;

/** One benchmark case: an op on a [rows, cols] float32 input (softmax-like ops along cols). */
export interface Case {
  op: Op;
  rows: number;
  cols: number;
  threads: 1 | 2;
  /** Shapes too large to check in full: checked on sampled rows (elements for sigmoid). */
  big: boolean;
}

export const caseKey = (c: { op: Op; rows: number; cols: number; threads: number }): string => `${c.op} ${c.rows}x${c.cols} t${c.threads}`;
export const shapeName = (c: Pick<Case, 'rows' | 'cols'>): string =>
  c.rows === 1 && c.cols === 16_777_216 ? '16M (1×16777216)' : `${c.rows}×${c.cols}`;

const ROW_OPS: Op[] = BENCH_OPS.filter((op) => spec(op).layout === 'rows');
const ELEMENT_OPS: Op[] = BENCH_OPS.filter((op) => spec(op).layout === 'elements');
const SMALL: [number, number][] = [
  [1, 151_936],
  [32, 32_000],
  [512, 1_000],
  [4096, 10],
];
export const BIG: [number, number] = [8192, 32_000];
/** One long row of 10^6 (softmax and logSoftmax, 1 and 2 threads): sigmax splits it into fixed blocks across threads. */
export const LONG_ROW: [number, number] = [1, 1_000_000];
export const LONG_ROW_OPS: Op[] = ['softmax', 'logSoftmax'];
export const SIGMOID_BIG: [number, number] = [1, 16_777_216];

/** Every case, in the order they run. */
export function allCases(): Case[] {
  const cases: Case[] = [];
  for (const [rows, cols] of SMALL) {
    for (const op of ROW_OPS) cases.push({ op, rows, cols, threads: 1, big: false });
  }
  for (const op of LONG_ROW_OPS) {
    for (const threads of [1, 2] as const) cases.push({ op, rows: LONG_ROW[0], cols: LONG_ROW[1], threads, big: false });
  }
  for (const op of ELEMENT_OPS) {
    cases.push({ op, rows: 32, cols: 32_000, threads: 1, big: false });
    cases.push({ op, rows: SIGMOID_BIG[0], cols: SIGMOID_BIG[1], threads: 1, big: true });
  }
  // 1 and 2 threads op by op, so that a run short of time still has both for the first ops.
  for (const op of ROW_OPS.filter((o) => spec(o).big)) {
    for (const threads of [1, 2] as const) cases.push({ op, rows: BIG[0], cols: BIG[1], threads, big: true });
  }
  return cases;
}

/** Bytes a kernel must move at least: the input read once and the output written once. */
export function bytesMoved(c: Pick<Case, 'op' | 'rows' | 'cols'>): number {
  // e.g. crossEntropy: logits (4 per element) and targets (4 per row) in, gradient (4 per element) out
  const s = spec(c.op);
  return s.bytesPerElement * c.rows * c.cols + s.bytesPerRow * c.rows;
}

// ---- inputs -------------------------------------------------------------------------------

const POOL_SIZE = 1 << 22;
let pool: Float32Array | null = null;

/** 4M logits, triangular on [−10, 10] (std 4.1): generated once, then copied from at random offsets. */
function logitPool(): Float32Array {
  if (pool) return pool;
  const rnd = uniform(0x5161a);
  pool = new Float32Array(POOL_SIZE);
  for (let i = 0; i < POOL_SIZE; i++) pool[i] = 10 * (rnd() + rnd() - 1);
  return pool;
}

/**
 * The input of a case: rows of logits copied from the pool at seeded random offsets, and one
 * class index per row. Every 8th row (r % 8 == 7) is a confident prediction: its target logit is
 * set to 30, so p_target rounds to 1 in float32 and the gradient there, p_t − 1, shows who keeps it.
 */
export function makeInput(rows: number, cols: number, op: Op): { x: Float32Array; target: Int32Array } {
  const p = logitPool();
  const rnd = uniform(rows * 7919 + cols);
  const n = rows * cols;
  const x = new Float32Array(n);
  const chunk = Math.min(cols, 1 << 16);
  for (let i = 0; i < n; i += chunk) {
    const len = Math.min(chunk, n - i);
    const off = Math.floor(rnd() * (POOL_SIZE - len));
    x.set(p.subarray(off, off + len), i);
  }
  const target = new Int32Array(rows);
  for (let r = 0; r < rows; r++) target[r] = Math.floor(rnd() * cols);
  if (spec(op).layout === 'rows') {
    for (let r = 7; r < rows; r += 8) x[r * cols + target[r]] = 30;
  }
  return { x, target };
}

/** Rows checked against the reference on big shapes: 24 spread over the batch, incl. first and last and confident ones. */
export function sampleRows(rows: number): number[] {
  if (rows <= 64) return Array.from({ length: rows }, (_, i) => i);
  const set = new Set<number>([0, 7, rows - 1]);
  for (let k = 0; k < 21; k++) set.add(Math.floor(((k + 0.5) * rows) / 21));
  return [...set].sort((a, b) => a - b);
}

/** Element windows checked for big elementwise cases (sigmoid 16M): 16 windows of 65536. */
export function sampleWindows(n: number): [number, number][] {
  const w = 1 << 16;
  if (n <= 16 * w) return [[0, n]];
  const out: [number, number][] = [];
  for (let k = 0; k < 16; k++) {
    const start = Math.floor((k * (n - w)) / 15);
    out.push([start, start + w]);
  }
  return out;
}
