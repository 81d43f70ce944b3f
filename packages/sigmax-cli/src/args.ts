// Argument parsers for the sigmax command: each turns a string into a checked value or throws
// commander's InvalidArgumentError, which the command reports in one line with exit code 2.

import { InvalidArgumentError } from 'commander';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^[+-]?(Infinity|inf)$|^nan$/i;

/** A decimal number as JavaScript reads it (also inf, -inf and nan). */
export function parseNumber(s: string): number {
  const t = s.trim();
  if (!NUMBER.test(t)) throw new InvalidArgumentError(`'${s}' is not a number`);
  if (/^nan$/i.test(t)) return NaN;
  if (/inf/i.test(t) && !/infinity/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  return Number(t);
}

export function positiveNumber(s: string): number {
  const v = parseNumber(s);
  if (!(v > 0 && v < Infinity)) throw new InvalidArgumentError(`expected a number > 0, got ${s}`);
  return v;
}

export function nonNegativeNumber(s: string): number {
  const v = parseNumber(s);
  if (!(v >= 0 && v < Infinity)) throw new InvalidArgumentError(`expected a number ≥ 0, got ${s}`);
  return v;
}

export function positiveInt(s: string): number {
  const v = parseNumber(s);
  if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(`expected a whole number ≥ 1, got ${s}`);
  return v;
}

/** A whole number in [1, max]: sizes and counts, whose upper limits keep a typo from allocating all memory. */
export function boundedInt(max: number): (s: string) => number {
  return (s) => {
    const v = positiveInt(s);
    if (v > max) throw new InvalidArgumentError(`expected a whole number from 1 to ${max.toLocaleString('en-US')}, got ${s}`);
    return v;
  };
}

/** A number in (0, max]. */
export function boundedNumber(max: number): (s: string) => number {
  return (s) => {
    const v = positiveNumber(s);
    if (v > max) throw new InvalidArgumentError(`expected a number > 0 and ≤ ${max.toLocaleString('en-US')}, got ${s}`);
    return v;
  };
}

/** Comma-separated whole numbers in [1, max]. */
export function boundedSizeList(max: number): (s: string) => number[] {
  return (s) => {
    const v = sizeList(s);
    if (v.some((k) => k > max)) throw new InvalidArgumentError(`expected comma-separated whole numbers from 1 to ${max.toLocaleString('en-US')}, got '${s}'`);
    return v;
  };
}

export function integer(s: string): number {
  const v = parseNumber(s);
  if (!Number.isInteger(v)) throw new InvalidArgumentError(`expected a whole number, got ${s}`);
  return v;
}

/** A fraction in [0, 1). */
export function unitInterval(s: string): number {
  const v = parseNumber(s);
  if (!(v >= 0 && v < 1)) throw new InvalidArgumentError(`expected a number in [0, 1), got ${s}`);
  return v;
}

/** Comma-separated numbers: "0,1,2" or "0.2, 0.8". */
export function numberList(s: string): number[] {
  const parts = s.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new InvalidArgumentError(`expected comma-separated numbers, got '${s}'`);
  return parts.map(parseNumber);
}

/** Comma-separated whole numbers ≥ 1 (a shape, hidden-layer sizes). */
export function sizeList(s: string): number[] {
  const v = numberList(s);
  if (v.some((k) => !Number.isInteger(k) || k < 1)) throw new InvalidArgumentError(`expected comma-separated whole numbers ≥ 1, got '${s}'`);
  return v;
}
