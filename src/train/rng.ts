// Seeded pseudo-random numbers for training: the shared xoshiro128** of src/core/rng.ts with
// helpers (uniform, int, normal, shuffle, categorical), so a seed fixes every shuffle, initial
// weight and sampled name. Not for cryptography.

import { Xoshiro128 } from '../core/rng.js';

/**
 * A deterministic generator: the same seed gives the same stream on every platform. It draws
 * from the library's shared generator (src/core/rng.ts), so `new Rng(s)` and sigmax/llm's
 * `createRng(s)` give the same numbers; the helpers below only shape them.
 */
export class Rng {
  private readonly g: Xoshiro128;
  private spare = NaN;

  constructor(seed = 0) {
    if (!Number.isFinite(seed)) throw new RangeError(`Rng: seed must be a finite number, got ${seed}`);
    this.g = new Xoshiro128(seed);
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    return this.g.nextUint32();
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  next(): number {
    return this.g.nextFloat();
  }

  /** The same as next(), under the name sigmax/llm's generators use. */
  nextFloat(): number {
    return this.g.nextFloat();
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A uniform double in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A standard normal deviate (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spare === this.spare) {
      const v = this.spare;
      this.spare = NaN;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next(); // log(0) would give −∞
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Shuffles `a` in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: any }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** An index drawn with probability proportional to weights[i] (weights ≥ 0, not all 0). */
  categorical(weights: ArrayLike<number>, offset = 0, length = weights.length - offset): number {
    let total = 0;
    for (let i = 0; i < length; i++) total += weights[offset + i];
    let u = this.next() * total;
    for (let i = 0; i < length; i++) {
      u -= weights[offset + i];
      if (u < 0) return i;
    }
    // Rounding can leave u ≥ 0 after the last weight: return the last class with weight > 0.
    for (let i = length - 1; i >= 0; i--) if (weights[offset + i] > 0) return i;
    return length - 1;
  }
}
