// Option parsing shared by every op: unknown keys, wrong types and out-of-range values become
// INVALID_OPTION errors that name the function, the option and what was expected.

import { fail, show } from './errors.js';

/** Checks that `opts` is undefined or a plain object with only the allowed keys. */
export function checkOptions(fn: string, opts: unknown, allowed: readonly string[]): void {
  if (opts === undefined) return;
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts) || ArrayBuffer.isView(opts)) {
    fail(fn, 'INVALID_OPTION', `options must be an object, got ${opts === null ? 'null' : Array.isArray(opts) ? 'an array' : typeof opts}`);
  }
  for (const key in opts) {
    if (!allowed.includes(key)) {
      fail(fn, 'INVALID_OPTION', `unknown option ${show(key)} (expected one of ${allowed.join(', ')})`);
    }
  }
}

/** A numeric option with a default, checked by `ok`, described by `expected` in the error. */
export function numberOption(fn: string, name: string, v: unknown, def: number, ok: (x: number) => boolean, expected: string): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !ok(v)) fail(fn, 'INVALID_OPTION', `${name} must be ${expected}, got ${show(v)}`);
  return v;
}

/** One of a fixed set of strings, with a default. */
export function enumOption<T extends string>(fn: string, name: string, v: unknown, def: T, values: readonly T[]): T {
  if (v === undefined) return def;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    fail(fn, 'INVALID_OPTION', `${name} must be ${values.map((x) => `'${x}'`).join(' or ')}, got ${show(v)}`);
  }
  return v as T;
}

export type Reduction = 'mean' | 'sum' | 'none';
export const reductionOption = (fn: string, v: unknown): Reduction => enumOption(fn, 'reduction', v, 'mean', ['mean', 'sum', 'none']);

export const isFinitePositive = (x: number): boolean => x > 0 && x < Infinity;

/** A boolean option with a default. */
export function booleanOption(fn: string, name: string, v: unknown, def: boolean): boolean {
  if (v === undefined) return def;
  if (typeof v !== 'boolean') fail(fn, 'INVALID_OPTION', `${name} must be true or false, got ${show(v)}`);
  return v;
}
