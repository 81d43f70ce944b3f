// Number formatting and parsing for the page: sensible significant digits, a real minus sign,
// ∞ and NaN spelled out, and ulp sizes of float32 and float64. Pure functions, no DOM.

const MINUS = '\u2212';

/** Normalises '−' (U+2212) and '–' to ASCII '-' so typed or pasted numbers parse. */
function asciiMinus(s: string): string {
  return s.replace(/[\u2212\u2013]/g, '-');
}

/**
 * `v` with `digits` significant digits: plain notation for 1e−4 ≤ |v| < 1e6, otherwise
 * mantissa·e±exponent. Trailing zeros are dropped; −0 prints as 0.
 */
export function fmt(v: number, digits = 6): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '∞';
  if (v === -Infinity) return `${MINUS}∞`;
  if (v === 0) return '0';
  const a = Math.abs(v);
  let s: string;
  if (a >= 1e-4 && a < 1e6) {
    s = v.toPrecision(digits);
    if (s.includes('e')) s = String(Number(s));
    if (s.includes('.')) s = s.replace(/\.?0+$/, '');
  } else {
    const [m, e] = v.toExponential(digits - 1).split('e');
    const mant = m.includes('.') ? m.replace(/\.?0+$/, '') : m;
    s = `${mant}e${e.replace('+', '')}`;
  }
  return s.replace(/-/g, MINUS);
}

/** A value with a fixed number of decimals (slider read-outs), with a real minus sign. */
export function fixed(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  return (Number(s) === 0 ? s.replace('-', '') : s).replace(/-/g, MINUS);
}

/** An error in ulps: '0', '<0.01', '0.49', '3', '1.2e6', '∞'. */
export function fmtUlps(u: number): string {
  if (Number.isNaN(u)) return 'NaN';
  if (u === Infinity) return '∞';
  if (u === 0) return '0';
  if (u < 0.01) return '<0.01';
  if (u < 10) return String(Number(u.toPrecision(2)));
  if (u < 1e4) return String(Math.round(u));
  return fmt(u, 2);
}

/** Exponent of the largest power of two ≤ |v| (v finite, non-zero), exactly. */
export function exponentOf(v: number): number {
  const a = Math.abs(v);
  let e = Math.floor(Math.log2(a));
  // log2 can be off by one near powers of two: correct with exact comparisons.
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  return e;
}

/** The gap between adjacent float64 numbers at v (the spacing just above |v|). */
export function ulp64(v: number): number {
  if (!Number.isFinite(v)) return NaN;
  if (v === 0) return 2 ** -1074;
  return 2 ** (Math.max(exponentOf(v), -1022) - 52);
}

/** The gap between adjacent float32 numbers at v. */
export function ulp32(v: number): number {
  if (!Number.isFinite(v)) return NaN;
  if (v === 0) return 2 ** -149;
  return 2 ** (Math.max(exponentOf(v), -126) - 23);
}

/** Parses a list of numbers separated by commas, semicolons or white space; null if any is not finite. */
export function parseNumbers(text: string): number[] | null {
  const parts = asciiMinus(text)
    .split(/[\s,;]+/)
    .filter((s) => s.length > 0);
  const out = parts.map(Number);
  return out.every((v) => Number.isFinite(v)) ? out : null;
}

/** Parses one number (accepting a real minus sign); null if it is not finite. */
export function parseNumber(text: string): number | null {
  const s = asciiMinus(text).trim();
  if (s === '') return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

/** Formats logits for a text box: shortest round-trip representation, comma separated. */
export function formatList(values: readonly number[]): string {
  return values.map((v) => String(v)).join(', ');
}
