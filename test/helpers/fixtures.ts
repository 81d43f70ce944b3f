// Test helper: loads the mpmath fixtures and measures errors in ulps.
// A fixture stores each exact value as a double-double [hi, lo] (hi = RN(exact), lo = RN(exact - hi)),
// so the error of a computed value is measured against the true value, not a rounded copy of it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** Reads test/fixtures/<rel> as JSON. */
export function loadFixture<T = unknown>(rel: string): T {
  return JSON.parse(readFileSync(join(root, rel), 'utf8')) as T;
}

/** Decodes a number written as a string ("0.1", "-0.0", "NaN", "Infinity", "-Infinity"). */
export function num(s: string | number): number {
  return typeof s === 'number' ? s : Number(s);
}

export const nums = (a: readonly (string | number)[]): number[] => a.map(num);

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** Distance between adjacent doubles at |v| (the ulp of v's binade; 2^-1074 for subnormals). */
export function ulp64(v: number): number {
  const a = Math.abs(v);
  if (!Number.isFinite(a)) return NaN;
  if (a < 2 ** -1022) return 2 ** -1074;
  f64[0] = a;
  const exp = Number((u64[0] >> 52n) & 0x7ffn) - 1023;
  return 2 ** (exp - 52);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Distance between adjacent float32 values at |v| rounded to float32 (2^-149 below 2^-126). */
export function ulp32(v: number): number {
  const a = Math.abs(v);
  if (!Number.isFinite(a)) return NaN;
  f32[0] = a;
  const e = (u32[0] >>> 23) & 0xff;
  if (e === 0) return 2 ** -149;
  return 2 ** (e - 127 - 23);
}

export type Exact = readonly [string | number, string | number];

/**
 * Error of `got` against the exact value hi + lo, in ulps of the given dtype.
 * Non-finite or zero expectations must match exactly (0 when they do, Infinity when not).
 */
export function ulpError(got: number, exact: Exact, dtype: 'float32' | 'float64'): number {
  const hi = num(exact[0]);
  const lo = num(exact[1]);
  if (Number.isNaN(hi)) return Number.isNaN(got) ? 0 : Infinity;
  if (!Number.isFinite(hi)) return got === hi ? 0 : Infinity;
  if (dtype === 'float32' && Math.abs(hi) > 3.4028235677973366e38) {
    // the float32 value of an exact result beyond FLT_MAX rounds to infinity (or FLT_MAX)
    const r = Math.fround(hi);
    return got === r ? 0 : Infinity;
  }
  if (!Number.isFinite(got)) return Infinity;
  const u = dtype === 'float32' ? ulp32(Math.fround(hi)) : ulp64(hi);
  // (got - hi) is exact whenever got is within a few ulps of hi (Sterbenz); lo corrects the rest.
  return Math.abs((got - hi) - lo) / u;
}
