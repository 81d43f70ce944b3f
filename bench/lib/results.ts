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
