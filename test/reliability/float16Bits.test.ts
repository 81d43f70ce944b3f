// The float16/bfloat16 conversions, exhaustively over all 65536 bit patterns of each format:
// decoding against an independent bit-manipulation decoder, encoding at every rounding boundary
// (each midpoint between neighbours and the float64 values on either side of it).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bfloat16FromBits, decodeHalf, encodeHalf, float16FromBits, toBfloat16Bits, toFloat16Bits } from '../../src/core/float16.js';

const u32 = new Uint32Array(1);
const f32 = new Float32Array(u32.buffer);

/** float16 bits → float32 bits by shifting fields (renormalising subnormals), the classic way; no arithmetic on values. */
function independentF16(h: number): number {
  const s = (h & 0x8000) << 16;
  let e = (h >>> 10) & 0x1f;
  let m = h & 0x3ff;
  let bits: number;
  if (e === 0x1f) bits = s | 0x7f800000 | (m << 13);
  else if (e !== 0) bits = s | ((e + 112) << 23) | (m << 13);
  else if (m === 0) bits = s;
  else {
    e = 113;
    while ((m & 0x400) === 0) {
      m <<= 1;
      e--;
    }
    bits = s | (e << 23) | ((m & 0x3ff) << 13);
  }
  u32[0] = bits >>> 0;
  return f32[0];
}

/** bfloat16 bits → value by the format's formula (not through float32 bits). */
function independentBf16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 7) & 0xff;
  const f = h & 0x7f;
  if (e === 0xff) return f === 0 ? s * Infinity : NaN;
  if (e === 0) return s * f * 2 ** -133;
  return s * (128 + f) * 2 ** (e - 134);
}

const f64 = new Float64Array(1);
const b64 = new BigInt64Array(f64.buffer);
/** The float64 neighbour of a positive finite x (dir +1 up, −1 down). */
function next(x: number, dir: 1 | -1): number {
  f64[0] = x;
  b64[0] += BigInt(dir);
  return f64[0];
}

const same = (a: number, b: number) => Object.is(a, b) || (a !== a && b !== b);

const formats = [
  { name: 'float16', decode: float16FromBits, encode: toFloat16Bits, independent: independentF16, maxFinite: 0x7bff, inf: 0x7c00, beyondMax: 65536 },
  { name: 'bfloat16', decode: bfloat16FromBits, encode: toBfloat16Bits, independent: independentBf16, maxFinite: 0x7f7f, inf: 0x7f80, beyondMax: 2 ** 128 },
] as const;

for (const F of formats) {
  describe(`${F.name} bits`, () => {
    it('decode every one of the 65536 bit patterns to the value an independent decoder gives', () => {
      for (let b = 0; b < 65536; b++) {
        const want = F.independent(b);
        assert.ok(same(F.decode(b), want), `bits 0x${b.toString(16)}: ${F.decode(b)} vs ${want}`);
      }
      const all = decodeHalf(Uint16Array.from({ length: 65536 }, (_, i) => i), F.name);
      for (let b = 0; b < 65536; b++) assert.ok(same(all[b], F.independent(b)), `decodeHalf at 0x${b.toString(16)}`);
    });

    it('encode every value to its own bits, and every midpoint and its float64 neighbours to the right side (ties to even)', () => {
      for (let b = 0; b <= F.maxFinite; b++) {
        const a = F.decode(b);
        assert.equal(F.encode(a), b, `value ${a}`);
        assert.equal(F.encode(-a), b | 0x8000, `value ${-a}`);
        const c = b === F.maxFinite ? F.beyondMax : F.decode(b + 1);
        const mid = (a + c) / 2;
        const even = b % 2 === 0 ? b : b + 1;
        assert.equal(F.encode(mid), even, `midpoint ${mid} after 0x${b.toString(16)}`);
        assert.equal(F.encode(-mid), even | 0x8000, `midpoint ${-mid}`);
        assert.equal(F.encode(next(mid, 1)), b + 1, `just above ${mid}`);
        assert.equal(F.encode(next(mid, -1)), b, `just below ${mid}`);
      }
    });

    it('keep ±0, ±∞ and NaN, and round values beyond the range to ±∞ or ±0', () => {
      assert.equal(F.encode(0), 0);
      assert.equal(F.encode(-0), 0x8000);
      assert.equal(F.encode(Infinity), F.inf);
      assert.equal(F.encode(-Infinity), F.inf | 0x8000);
      assert.ok(Number.isNaN(F.decode(F.encode(NaN))));
      assert.equal(F.encode(1e300), F.inf);
      assert.equal(F.encode(-1e-300), 0x8000);
      assert.equal(F.encode(Number.MIN_VALUE), 0);
    });

    it('encodeHalf writes the same bits as the scalar encoder', () => {
      const values = Float64Array.from({ length: 4096 }, (_, i) => Math.sinh((i - 2048) / 97) * 1.0001 ** i);
      const bits = new Uint16Array(values.length);
      encodeHalf(values, bits, F.name);
      for (let i = 0; i < values.length; i++) assert.equal(bits[i], F.encode(values[i]));
    });
  });
}

describe('Float16Array, where the runtime has one', () => {
  const F16 = (globalThis as { Float16Array?: new (n: number) => ArrayLike<number> & { [i: number]: number } }).Float16Array;
  it('rounds as the float16 encoder does and reads as the decoder does', { skip: F16 === undefined ? 'this runtime has no Float16Array' : false }, () => {
    const arr = new F16!(1);
    const bits = new Uint16Array((arr as unknown as { buffer: ArrayBuffer }).buffer);
    for (let b = 0; b < 65536; b++) {
      bits[0] = b;
      assert.ok(same(arr[0], float16FromBits(b)));
    }
    for (const x of [1 / 3, 65519.99, 65520, 6e-8, 2.98e-8, -1e-5, Math.PI]) {
      arr[0] = x;
      assert.equal(bits[0], toFloat16Bits(x), `value ${x}`);
    }
  });
});
