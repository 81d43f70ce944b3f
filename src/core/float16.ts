// float16 (IEEE binary16) and bfloat16 bit patterns ↔ numbers, written out so sigmax needs no
// runtime Float16Array (Node 20 has none). Decoding is exact (every value of either format is a
// float32); encoding rounds a float64 once, to nearest with ties to even, keeping ±0, ±∞, NaN and subnormals.

/** The 16-bit float formats sigmax reads and writes as Uint16Array bits. */
export type HalfDtype = 'float16' | 'bfloat16';

const F64 = new Float64Array(1);
const F64_HI = new Uint32Array(F64.buffer, 4, 1);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The unbiased binary exponent of a positive normal float64. */
function exponentOf(a: number): number {
  F64[0] = a;
  const hi = LITTLE ? F64_HI[0] : new Uint32Array(F64.buffer)[0];
  return ((hi >>> 20) & 0x7ff) - 1023;
}

/** r rounded to an integer, ties to even; r ≥ 0 and exact (a scaled float64). */
function roundHalfEven(r: number): number {
  const f = Math.floor(r);
  const d = r - f;
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f;
}

/**
 * The bits of x rounded once to a binary format with `frac` fraction bits and exponent bias
 * `bias`: ties to even, overflow to ±∞ (anything at or beyond the midpoint between the largest
 * finite value and 2^(emax+1)), underflow through the subnormals to ±0, NaN to the quiet NaN `nan`.
 */
function encode(x: number, frac: number, bias: number, nan: number): number {
  if (x !== x) return nan;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  const expMask = ((1 << (15 - frac)) - 1) << frac;
  if (a === Infinity) return sign | expMask;
  const emin = 1 - bias;
  if (a < 2 ** emin) {
    // Subnormal range: the scaled value is exact (a power-of-two scaling), so one rounding; a
    // result of 2^frac is the smallest normal, which the bit layout gives for free.
    return sign | roundHalfEven(a * 2 ** (frac - emin));
  }
  let e = exponentOf(a);
  let m = roundHalfEven((a / 2 ** e - 1) * 2 ** frac);
  if (m === 2 ** frac) {
    m = 0;
    e++;
  }
  if (e > bias) return sign | expMask;
  return sign | ((e + bias) << frac) | m;
}

/** x rounded once to float16 (round to nearest, ties to even), as its 16 bits. */
export function toFloat16Bits(x: number): number {
  return encode(x, 10, 15, 0x7e00);
}

/** x rounded once to bfloat16 (round to nearest, ties to even), as its 16 bits. */
export function toBfloat16Bits(x: number): number {
  return encode(x, 7, 127, 0x7fc0);
}

/** The exact value of float16 bits. */
export function float16FromBits(b: number): number {
  const s = b & 0x8000 ? -1 : 1;
  const e = (b >>> 10) & 0x1f;
  const f = b & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f === 0 ? s * Infinity : NaN;
  return s * (1024 + f) * 2 ** (e - 25);
}

/** The exact value of bfloat16 bits (the high half of a float32). */
export function bfloat16FromBits(b: number): number {
  const u = new Uint32Array(1);
  u[0] = (b & 0xffff) << 16;
  return new Float32Array(u.buffer)[0];
}

let f16Table: Float32Array | null = null;

/** Decodes 16-bit floats into a new Float32Array (exact: both formats are subsets of float32). */
export function decodeHalf(bits: Uint16Array, dtype: HalfDtype): Float32Array {
  const n = bits.length;
  const out = new Float32Array(n);
  if (dtype === 'bfloat16') {
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) u[i] = bits[i] << 16;
    return out;
  }
  if (f16Table === null) {
    f16Table = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) f16Table[b] = float16FromBits(b);
  }
  const t = f16Table;
  for (let i = 0; i < n; i++) out[i] = t[bits[i]];
  return out;
}

/** Rounds each value once into 16-bit float bits (ties to even), writing `bits`. */
export function encodeHalf(values: ArrayLike<number>, bits: Uint16Array, dtype: HalfDtype): void {
  const enc = dtype === 'float16' ? toFloat16Bits : toBfloat16Bits;
  for (let i = 0; i < values.length; i++) bits[i] = enc(values[i]);
}
