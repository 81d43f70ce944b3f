// The one seeded generator (src/core/rng.ts) seen through every consumer: sigmax/train's Rng,
// sigmax/llm's createRng, the test/bench/web helper `uniform` and the web page's rng. The golden
// values were computed once from xoshiro128** seeded through splitmix32 and must never change.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Xoshiro128, uniform } from '../../src/core/rng.js';
import { Rng } from '../../src/train/rng.js';
import { createRng } from '../../src/llm/index.js';
import { rng as webRng } from '../../web/src/model.js';
import { rand } from '../llm/unfused.js';

const GOLDEN: Record<number, { u32: number[]; float: number }> = {
  0: { u32: [3809008728, 1133695204, 53579671], float: 0.8868539502021594 },
  1: { u32: [2442144158, 3238099751, 3819917871], float: 0.5686059948349658 },
  42: { u32: [2837322924, 544945897, 479756282], float: 0.6606157208001621 },
  [2 ** 32 + 1]: { u32: [746549826, 1282802440, 1266341715], float: 0.17381967826691058 },
};

describe('the shared seeded generator', () => {
  it('gives the golden first values for a seed, through train, llm and the shared core alike', () => {
    for (const [key, want] of Object.entries(GOLDEN)) {
      const seed = Number(key);
      for (const g of [new Xoshiro128(seed), new Rng(seed), createRng(seed)]) {
        assert.deepEqual([g.nextUint32(), g.nextUint32(), g.nextUint32()], want.u32, `seed ${seed}`);
      }
      assert.equal(new Xoshiro128(seed).nextFloat(), want.float);
      assert.equal(new Rng(seed).next(), want.float);
      assert.equal(createRng(seed).nextFloat(), want.float);
      assert.equal(uniform(seed)(), want.float);
      assert.equal(webRng(seed)(), want.float);
      assert.equal(rand(seed)(), want.float);
    }
  });

  it('keeps the same stream over many draws in every consumer', () => {
    const a = new Rng(7);
    const b = createRng(7);
    const c = uniform(7);
    for (let i = 0; i < 1000; i++) {
      const v = a.next();
      assert.equal(b.nextFloat(), v);
      assert.equal(c(), v);
    }
  });

  it('distinguishes seeds beyond 2^32 from their low 32 bits and from each other', () => {
    const first = (seed: number) => createRng(seed).nextUint32();
    // Folding 53 bits into 32 must merge some seeds somewhere; these must all differ.
    const seeds = [0, 1, 2, 2 ** 32, 2 ** 32 + 1, 2 ** 32 + 2, 2 ** 33 + 1, 2 ** 52 + 1, Number.MAX_SAFE_INTEGER];
    assert.equal(new Set(seeds.map(first)).size, seeds.length);
    assert.equal(new Rng(2 ** 32 + 1).nextUint32(), first(2 ** 32 + 1));
    assert.notEqual(new Rng(2 ** 32 + 1).nextUint32(), new Rng(1).nextUint32());
    assert.notEqual(new Rng(2 ** 32 + 1).nextUint32(), new Rng(0).nextUint32());
  });

  it('draws floats in [0, 1) with 53 random bits', () => {
    const g = new Xoshiro128(3);
    for (let i = 0; i < 1000; i++) {
      const v = g.nextFloat();
      assert.ok(v >= 0 && v < 1);
      assert.ok(Number.isInteger(v * 2 ** 53));
    }
  });
});
