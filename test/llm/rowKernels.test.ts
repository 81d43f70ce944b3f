// The decoding chain's row kernels: the wasm kernels (assembly/ops/sampling.ts) against their
// JavaScript twins and against the rules written out directly, on row lengths around the SIMD
// width and the draw's block size, with −∞ entries, ties and thresholds that are not float32;
// and proof that the chain and `sample` run them (traceKernels).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setBackend, getBackend } from '../../src/index.js';
import { traceKernels } from '../../src/debug/index.js';
import { createSampler, sample, samplingSet } from '../../src/llm/index.js';
import { DRAW_BLOCK, absInterval, jsKernels, kthCap, makeSpace, rowKernels, type RowSpace } from '../../src/llm/chain/rowKernels.js';
import { Xoshiro128 } from '../../src/core/rng.js';

setBackend('wasm');
const hasWasm = getBackend() === 'wasm' && makeSpace(8, true).inWasm;

const LENGTHS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 1023, 1024, 1025, 2047, 3001];

/** Logits with ties (rounded to 1/8) and −∞ entries, from a seed. */
function logits(seed: number, n: number): Float32Array {
  const g = new Xoshiro128(seed);
  return Float32Array.from({ length: n }, () => {
    const u = g.nextFloat();
    if (u < 0.05) return -Infinity;
    return Math.round(8 * 3 * Math.sqrt(-2 * Math.log(1 - g.nextFloat())) * Math.cos(2 * Math.PI * g.nextFloat())) / 8;
  });
}

/** softmax of a row in float64, rounded to float32 (the kernels take any non-negative p). */
function probs(z: Float32Array): Float32Array {
  let m = -Infinity;
  for (const v of z) m = Math.max(m, v);
  let s = 0;
  for (const v of z) s += Math.exp(v - m);
  return Float32Array.from(z, (v) => Math.exp(v - m) / s);
}

function spaces(n: number, z: Float32Array): [RowSpace, RowSpace] {
  const w = makeSpace(n, true);
  const j = makeSpace(n, false);
  const p = probs(z);
  for (const s of [w, j]) {
    s.z.set(z);
    s.p.set(p);
  }
  return [w, j];
}

describe('decoding row kernels: wasm against the JavaScript twins', { skip: !hasWasm && 'no wasm backend here' }, () => {
  const w = () => rowKernels(makeSpace(4, true));

  it('max, first max, entropy, |z − c| max and the moments agree exactly, NaN propagates', () => {
    for (const n of LENGTHS) {
      const z = logits(n, n);
      const [sw, sj] = spaces(n, z);
      const k = w();
      assert.equal(k.max(sw.z, n), jsKernels.max(sj.z, n), `max n=${n}`);
      const m = jsKernels.max(sj.z, n);
      assert.equal(k.firstEq(sw.z, n, m), jsKernels.firstEq(sj.z, n, m));
      assert.equal(k.entropy(sw.z, sw.p, n, 2.5), jsKernels.entropy(sj.z, sj.p, n, 2.5), `entropy n=${n}`);
      assert.equal(k.absDevMax(sw.z, n, 0.3), jsKernels.absDevMax(sj.z, n, 0.3), `absDevMax n=${n}`);
      assert.equal(k.moment(sw.z, n, 0, 1), jsKernels.moment(sj.z, n, 0, 1), `sum n=${n}`);
      assert.equal(k.moment(sw.z, n, 0.7, 2), jsKernels.moment(sj.z, n, 0.7, 2), `squared deviations n=${n}`);
      sw.z[n >> 1] = Number.NaN;
      assert.ok(Number.isNaN(k.max(sw.z, n)), `NaN max n=${n}`);
    }
  });

  it('division by a temperature rounds each quotient of the float64 division to float32, as z /= t does', () => {
    for (const n of LENGTHS) {
      const z = logits(100 + n, n);
      const [sw, sj] = spaces(n, z);
      for (const t of [0.8, 1 / 3, 1.7, 1e-30]) {
        sw.z.set(z);
        sj.z.set(z);
        w().div(sw.z, n, t);
        jsKernels.div(sj.z, n, t);
        assert.deepEqual(sw.z.subarray(0, n), sj.z.subarray(0, n), `t=${t} n=${n}`);
      }
    }
  });

  it('the mass histogram and the gather of one bin agree bit for bit (top-p and typical-p modes)', () => {
    for (const n of LENGTHS) {
      const z = logits(200 + n, n);
      const [sw, sj] = spaces(n, z);
      const m = jsKernels.max(sj.z, n);
      for (const [c, scale, nb, abs] of [[m, 16, 513, false], [m - 2.5, 37.3, 1024, true], [m, 0, 64, true]] as const) {
        w().bins(sw.z, sw.p, n, c, scale, nb, abs, sw);
        jsKernels.bins(sj.z, sj.p, n, c, scale, nb, abs, sj);
        assert.deepEqual(sw.bin.subarray(0, n), sj.bin.subarray(0, n), `bins n=${n}`);
        assert.deepEqual(sw.mass.subarray(0, 2 * (nb + 64)).subarray(0, nb - 1), sj.mass.subarray(0, nb - 1), `mass n=${n}`);
        for (let j = 0; j < 4; j++) {
          const at = j * (nb + 64) + nb;
          assert.deepEqual(sw.mass.subarray(at, at + 64), sj.mass.subarray(at, at + 64), `last-bin groups of table ${j} n=${n}`);
        }
        for (const b of [0, 1, 7, nb - 1]) {
          const kw = w().gatherBin(sw, sw.p, n, b);
          const kj = jsKernels.gatherBin(sj, sj.p, n, b);
          assert.equal(kw, kj);
          assert.deepEqual(sw.pos.subarray(0, kw), sj.pos.subarray(0, kj));
          const direct = [...Array(n).keys()].filter((i) => sj.bin[i] === b && sj.p[i] > 0);
          assert.deepEqual(Array.from(sj.pos.subarray(0, kj)), direct);
        }
      }
    }
  });

  it('count and compaction keep z > t, or z = t at positions ≤ ct, for float32 and non-float32 thresholds', () => {
    for (const n of LENGTHS) {
      const z = logits(300 + n, n);
      const sorted = Array.from(z).filter((v) => v > -Infinity).sort((a, b) => a - b);
      const ts = [-Infinity, Infinity, 0, -0, 2 ** -150, -(2 ** -150), 0.1, -0.1, sorted[sorted.length >> 1] ?? 0, (sorted[sorted.length >> 2] ?? 0) + 1e-12, (sorted[sorted.length >> 2] ?? 0) - 1e-12];
      for (const t of ts) {
        for (const ct of [-1, 0, n >> 1, n]) {
          const rule = [...Array(n).keys()].filter((i) => z[i] > t || (z[i] === t && i <= ct));
          const [sw, sj] = spaces(n, z);
          assert.equal(w().count(sw.z, n, t, ct), rule.length, `count t=${t} ct=${ct} n=${n}`);
          assert.equal(jsKernels.count(sj.z, n, t, ct), rule.length);
          for (const dense of [true, false]) {
            for (const carry of [true, false]) {
              const [a, b] = spaces(n, z);
              for (const s of [a, b]) for (let i = 0; i < n; i++) s.ids[i] = 1000 + 3 * i;
              const kw = w().keep(a.ids, a.z, a.p, n, t, ct, dense, carry);
              const kj = jsKernels.keep(b.ids, b.z, b.p, n, t, ct, dense, carry);
              assert.equal(kw, rule.length);
              assert.equal(kj, rule.length);
              const ids = rule.map((i) => (dense ? i : 1000 + 3 * i));
              assert.deepEqual(Array.from(a.ids.subarray(0, kw)), ids, `keep ids t=${t} ct=${ct} n=${n} dense=${dense}`);
              assert.deepEqual(Array.from(b.ids.subarray(0, kj)), ids);
              assert.deepEqual(Array.from(a.z.subarray(0, kw)), rule.map((i) => z[i]));
              if (carry) assert.deepEqual(a.p.subarray(0, kw), b.p.subarray(0, kj));
            }
          }
        }
      }
    }
  });

  it('|z − c| ≤ τ (float64) as a float32 interval: count and compaction agree with the rule', () => {
    const g = new Xoshiro128(77);
    const cases: [number, number][] = [[0.5, 1.25], [-1, 0], [0, Infinity], [3, 0.125], [1 / 3, 0.1 + 1e-17], [2.5, 1e-9]];
    for (let r = 0; r < 30; r++) cases.push([(g.nextFloat() - 0.5) * 10, g.nextFloat() * 3]);
    for (const n of LENGTHS) {
      const z = logits(400 + n, n);
      // values on the interval's ends and one float32 step around them
      for (const [c, tau] of cases) {
        const [lo, hi] = absInterval(c, tau);
        for (const v of [lo, hi, Math.fround(c - tau), Math.fround(c + tau)]) if (n > 2 && Number.isFinite(v)) z[(v * 7919) & (n - 1) & 0x7fffffff] = Math.fround(v);
        const rule = [...Array(n).keys()].filter((i) => Math.abs(z[i] - c) <= tau);
        assert.deepEqual([...Array(n).keys()].filter((i) => z[i] >= lo && z[i] <= hi), rule, `interval c=${c} τ=${tau}`);
        const [sw, sj] = spaces(n, z);
        assert.equal(w().countRange(sw.z, n, lo, hi), rule.length);
        assert.equal(jsKernels.countRange(sj.z, n, lo, hi), rule.length);
        const kw = w().keepRange(sw.ids, sw.z, sw.p, n, lo, hi, true, true);
        const kj = jsKernels.keepRange(sj.ids, sj.z, sj.p, n, lo, hi, true, true);
        assert.deepEqual(Array.from(sw.ids.subarray(0, kw)), rule);
        assert.deepEqual(Array.from(sj.ids.subarray(0, kj)), rule);
        assert.deepEqual(sw.p.subarray(0, kw), sj.p.subarray(0, kj));
      }
    }
  });

  it('the interval of |z − c| ≤ τ is exact at its float32 ends', () => {
    const g = new Xoshiro128(78);
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    const step = (v: number, d: number): number => {
      f32[0] = v;
      u32[0] += (v > 0 || (v === 0 && d > 0) ? 1 : -1) * d;
      return f32[0];
    };
    for (let r = 0; r < 2000; r++) {
      const c = (g.nextFloat() - 0.5) * 2 ** Math.floor(g.nextFloat() * 10);
      const tau = g.nextFloat() * 2 ** Math.floor(g.nextFloat() * 8 - 4);
      const [lo, hi] = absInterval(c, tau);
      const pass = (v: number) => Math.abs(v - c) <= tau;
      assert.ok(pass(lo) && pass(hi), `ends pass c=${c} τ=${tau}`);
      if (lo !== 0) assert.ok(!pass(step(lo, -1)), `below lo fails c=${c} τ=${tau}`);
      if (hi !== 0) assert.ok(!pass(step(hi, 1)), `above hi fails c=${c} τ=${tau}`);
    }
  });

  it('the k-th largest matches a sort, with ties and −∞, across the buffer refills', () => {
    for (const n of [...LENGTHS, 20000]) {
      const z = logits(500 + n, n);
      const finite = Array.from(z).filter((v) => v > -Infinity).sort((a, b) => b - a);
      for (const k of [1, 2, 5, 40, 1000, n]) {
        if (k > n) continue;
        const want = k <= finite.length ? finite[k - 1] : -Infinity;
        const [sw, sj] = spaces(n, z);
        assert.ok(kthCap(k, n) >= Math.min(n, k + 4));
        assert.equal(w().kth(sw.z, n, k, sw), want, `kth k=${k} n=${n}`);
        assert.equal(jsKernels.kth(sj.z, n, k, sj), want);
      }
    }
  });

  it('the blocked draw picks the same index as the rule written out, for both twins', () => {
    const g = new Xoshiro128(9);
    for (const n of [...LENGTHS, 3 * DRAW_BLOCK + 17]) {
      const z = logits(600 + n, n);
      const [sw, sj] = spaces(n, z);
      sw.p[0] = 0;
      sj.p[0] = 0;
      for (let r = 0; r < 20; r++) {
        const u = r === 0 ? 0 : r === 1 ? 1 - 2 ** -53 : g.nextFloat();
        const a = w().draw(sw.p, n, u, sw);
        const b = jsKernels.draw(sj.p, n, u, sj);
        assert.equal(a, b, `draw u=${u} n=${n}`);
        // the rule: the first index whose running mass exceeds u·S (S = Σp), zeros skipped;
        // within rounding, so check the mass before and at the pick
        let S = 0;
        for (let i = 0; i < n; i++) S += sj.p[i];
        if (S === 0) {
          assert.equal(a, -1, 'a row of zeros draws nothing');
          continue;
        }
        let before = 0;
        for (let i = 0; i < a; i++) before += sj.p[i];
        assert.ok(sj.p[a] > 0, 'never a zero entry');
        assert.ok(before <= u * S * (1 + 1e-12) + 1e-300, `mass before the pick ≤ target (n=${n})`);
        assert.ok(before + sj.p[a] >= u * S * (1 - 1e-12), `mass through the pick ≥ target (n=${n})`);
      }
    }
  });
});

describe('the decoding chain and sample run the row kernels', { skip: !hasWasm && 'no wasm backend here' }, () => {
  const V = 6000;
  const z = logits(7, V);
  z[3] = 40;

  it('on the wasm backend: histogram, compaction, selection and draw in wasm', () => {
    setBackend('wasm');
    const tp = traceKernels(() => createSampler({ topP: 0.9, seed: 1 }).next(z)).kernels;
    for (const k of ['wasm:sampleMaxF32', 'wasm:sampleBinsF32', 'wasm:sampleKeepF32', 'wasm:sampleDrawF32']) assert.ok(tp.includes(k), `${k} in ${tp}`);
    const tk = traceKernels(() => createSampler({ topK: 40, temperature: 0.8, seed: 1 }).next(z)).kernels;
    for (const k of ['wasm:sampleKthLargestF32', 'wasm:sampleKeepF32', 'wasm:sampleDivF32']) assert.ok(tk.includes(k), `${k} in ${tk}`);
    const ty = traceKernels(() => createSampler({ typicalP: 0.9, seed: 1 }).next(z)).kernels;
    for (const k of ['wasm:sampleEntropyF32', 'wasm:sampleBinsF32']) assert.ok(ty.includes(k), `${k} in ${ty}`);
    const s = traceKernels(() => sample(z, { seed: 1 })).kernels;
    assert.ok(s.includes('wasm:sampleMaxF32'), `${s}`);
    assert.ok(!s.some((k) => k.startsWith('js:')), `no reference kernel in ${s}`);
  });

  it('on the js backend: the twins, and the same tokens where the probabilities agree', () => {
    const peaked = new Float32Array(V).fill(-5);
    peaked[17] = 10;
    peaked[4000] = 9.5;
    setBackend('wasm');
    const a = createSampler({ topP: 0.9, topK: 10, seed: 3 }).next(peaked);
    setBackend('js');
    try {
      const tr = traceKernels(() => createSampler({ topP: 0.9, topK: 10, seed: 3 }).next(peaked));
      assert.ok(tr.kernels.includes('js:sampleKeep'), `${tr.kernels}`);
      assert.ok(!tr.kernels.some((k) => k.startsWith('wasm:')), `${tr.kernels}`);
      assert.deepEqual(tr.result, a);
    } finally {
      setBackend('wasm');
    }
  });

  it("sample's own options on a long float32 row run the chain: the draw is in samplingSet, equals the chain's 'hf' step and the exact engine's set", () => {
    const g = new Xoshiro128(21);
    const row = Float32Array.from({ length: 8000 }, () => 2 * Math.sqrt(-2 * Math.log(1 - g.nextFloat())) * Math.cos(2 * Math.PI * g.nextFloat()));
    for (const o of [{ topP: 0.9 }, { topK: 40, topP: 0.95, minP: 0.05, temperature: 0.8 }, { minP: 0.1 }, { temperature: 0.5 }]) {
      setBackend('wasm');
      const tr = traceKernels(() => sample(row, { ...o, seed: 5 }));
      assert.ok(tr.kernels.some((k) => k.startsWith('wasm:sample')), `${JSON.stringify(o)}: ${tr.kernels}`);
      const set = Array.from(samplingSet(row, o));
      assert.ok(set.includes(tr.result), `${JSON.stringify(o)}: the draw is in the set`);
      assert.equal(tr.result, createSampler({ ...o, order: 'hf', seed: 5 }).next(row)[0]);
      setBackend('js');
      try {
        assert.deepEqual(Array.from(samplingSet(row, o)), set, `${JSON.stringify(o)}: the exact engine keeps the same set`);
      } finally {
        setBackend('wasm');
      }
    }
  });
});
