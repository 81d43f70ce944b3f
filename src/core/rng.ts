// The library's one seeded generator: xoshiro128** (Blackman and Vigna) seeded through
// splitmix32. Training, sampling (sigmax/llm's createRng), tests, benchmarks and the web page all
// draw from it, so a seed names the same stream everywhere. Not for cryptography.

/** A seeded uniform generator. */
export interface Rng {
  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number;
  /** A uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number;
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/**
 * xoshiro128** on four 32-bit words. The seed's low 32 bits and its high bits (multiplied by an
 * odd constant, so that 2^32 + 1 and 1 differ) are folded into one word, which splitmix32
 * spreads over the state. Seeds in [0, 2^32) give the stream train's Rng has always given.
 * Takes any finite number; a fractional seed counts by its integer part.
 */
export class Xoshiro128 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = (seed | 0) ^ Math.imul(Math.floor(seed / 4294967296) | 0, 0x27d4eb2f);
    const w = [0, 0, 0, 0];
    for (let i = 0; i < 4; i++) {
      // splitmix32: one Weyl step, then a finaliser.
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      w[i] = (z ^ (z >>> 16)) >>> 0;
    }
    [this.a, this.b, this.c, this.d] = w;
    // The all-zero state is xoshiro's one fixed point; splitmix32 never gives it, but be sure.
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  nextUint32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992; // (hi·2^26 + lo) / 2^53
  }
}

/** A `() => number` of uniform doubles in [0, 1) from the shared generator (for test data, benchmarks, the web page). */
export function uniform(seed: number): () => number {
  const g = new Xoshiro128(seed);
  return () => g.nextFloat();
}
