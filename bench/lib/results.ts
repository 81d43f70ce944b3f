// The records a child writes and the orchestrator reads, reports and stores in results.json.

import type { Case } from './cases.js';
import type { Accuracy } from './check.js';
import type { Timing } from './measure.js';
import type { VariantKind } from './types.js';

/** JSON that keeps ±Infinity and NaN (an ulp distance to a NaN is Infinity). */
export const toJson = (v: unknown, space?: number): string =>
  JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x), space);
export const fromJson = <T>(s: string): T =>
  JSON.parse(s, (_k, x) => (x === 'Infinity' ? Infinity : x === '-Infinity' ? -Infinity : x === 'NaN' ? NaN : x)) as T;

export type Status = 'ok' | 'check-failed' | 'not-timed' | 'error' | 'unavailable' | 'n/a';

export interface Row {
  system: string;
  systemName: string;
  variant: string;
  kind: VariantKind | '-';
  label: string;
  op: Case['op'];
  rows: number;
  cols: number;
  threads: number;
  status: Status;
  note?: string;
  firstCallMs?: number;
  timing?: Timing;
  nsPerElement?: number;
  gbPerS?: number;
  accuracy?: Accuracy;
  reference?: string;
  /** Big shapes not timed: the projected ns/element the decision was based on. */
  projectedNsPerElement?: number;
  /** The user's call with the library's default settings (no thread count set). */
  defaults?: boolean;
  /** The threads the call ran with, as the report shows them ('1', '2', 'defaults (2)'); absent: `threads`. */
  threadsLabel?: string;
}

/** One GEMM measurement: float32 C = A·B, A M×K, B K×N. */
export interface GemmRow {
  system: string;
  systemName: string;
  variant: string;
  label: string;
  threads: string;
  threadCount?: number;
  M: number;
  K: number;
  N: number;
  status: Status;
  note?: string;
  timing?: Timing;
  /** 2·M·N·K / the median call, in 10^9 per second. */
  gflops?: number;
  /** The same from the fastest sample. */
  gflopsBest?: number;
  /** Largest |C − C_ref| / (K·max|a|·max|b|) over the rows checked (float64 reference). */
  maxErr?: number;
}

/** One linear cross-entropy measurement (forward + backward). */
export interface LceRow {
  system: string;
  systemName: string;
  variant: string;
  label: string;
  threads: string;
  /** The shape the figures are for (the target's). */
  N: number;
  D: number;
  V: number;
  status: Status;
  note?: string;
  /** The small-shape check against a float64 reference: passed, or why not. */
  check?: string;
  /** The token count actually timed (N, or fewer when the full shape would not fit the time share). */
  measuredN?: number;
  /** Seconds of the call at measuredN tokens. */
  measuredS?: number;
  /** Seconds per call at N tokens: measured, or measuredS · N / measuredN (the work is linear in N). */
  seconds?: number;
  projected?: boolean;
  /** Calls timed at measuredN tokens (the median is measuredS). */
  calls?: number;
  /** Peak resident memory of the process beyond what it held before the first timed call, MiB. */
  peakExtraMiB?: number;
  /** N·V·4 bytes at measuredN, MiB. */
  logitsMiB?: number;
  /** The mean loss at measuredN tokens. */
  loss?: number;
  /** A small-shape timing (the probe that sized the measurement), seconds at probeN tokens. */
  probeN?: number;
  probeS?: number;
}

/** What a gemm or linear-cross-entropy child hands back. */
export interface TaskReport {
  system: string;
  name: string;
  info: string;
  available: boolean;
  gemm: GemmRow[];
  lce: LceRow[];
  exit?: string;
  maxRssMB?: number;
  seconds?: number;
}

export interface SystemReport {
  system: string;
  name: string;
  /** Version / configuration line, or why the system is unavailable. */
  info: string;
  available: boolean;
  rows: Row[];
  exit?: string;
  /** Peak resident memory of the system's process, MB. */
  maxRssMB?: number;
  /** Seconds the system's process ran. */
  seconds?: number;
}

export interface ChildConfig {
  system: string;
  /** What this child does: the op cases (default), the GEMM rows, or the linear cross-entropy rows. */
  task?: 'ops' | 'gemm' | 'lce';
  /** task 'gemm': the shape. */
  gemm?: { M: number; K: number; N: number };
  /** task 'lce': the target shape, and the token count of the probe that sizes the measurement. */
  lce?: { N: number; D: number; V: number; probeN: number };
  cases: Case[];
  /** Reference mean loss of big crossEntropy shapes, by `${rows}x${cols}`. */
  bigLoss: Record<string, number>;
  /** Big shapes: a call projected (from the fastest sample at 32×32000) to take longer than this is not timed. */
  maxCallS: number;
  /** Big shapes: a first call longer than this is the only one timed. */
  singleCallS: number;
  /** Big shapes: samples = clamp(bigBudgetS / first call, 3, 5). */
  bigBudgetS: number;
  /** Small shapes: sampling time per measurement, ms. */
  smallBudgetMs: number;
  warmupMs: number;
  /** Time budget of this system's process, s: cases not started by then are reported as not timed. */
  budgetS: number;
}
