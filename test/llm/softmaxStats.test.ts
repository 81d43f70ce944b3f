import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SigmaxError, logSumExp, tensor } from '../../src/index.js';
import { emptySoftmaxStats, logSumExpFromStats, mergeSoftmaxStats, softmaxStats, type SoftmaxStats } from '../../src/llm/index.js';
import { rand } from './unfused.js';

const ulp = (v: number) => (v === 0 ? 2 ** -1074 : 2 ** (Math.floor(Math.log2(Math.abs(v))) - 52));
/** |a − b| ≤ 1 ulp of b, infinities equal. */
const within1ulp = (a: number, b: number) => a === b || Math.abs(a - b) <= ulp(b);

/** Columns [a, b) of a rows×n row-major array. */
function slice(x: Float64Array, rows: number, n: number, a: number, b: number): Float64Array {
  const out = new Float64Array(rows * (b - a));
  for (let r = 0; r < rows; r++) for (let c = a; c < b; c++) out[r * (b - a) + c - a] = x[r * n + c];
  return out;
}

/** Merges a list of statistics in a random binary tree. */
function mergeTree(parts: SoftmaxStats[], r: () => number): SoftmaxStats {
  const list = parts.slice();
  while (list.length > 1) {
    const i = Math.floor(r() * (list.length - 1));
    const merged = r() < 0.5 ? mergeSoftmaxStats(list[i], list[i + 1]) : mergeSoftmaxStats(list[i + 1], list[i]);
    list.splice(i, 2, merged);
  }
  return list[0];
}

describe('softmaxStats and mergeSoftmaxStats', () => {
  it('gives logSumExp exactly: max + log(sumExp) rounds to the reference logSumExp', () => {
    const r = rand(1);
    const rows = 20;
    const n = 37;
    const x = Float64Array.from({ length: rows * n }, () => (r() - 0.5) * 60);
    const s = softmaxStats(tensor(x, [rows, n]));
    assert.deepEqual(logSumExpFromStats(s), logSumExp(tensor(x, [rows, n])).data);
    // A tiny S − 1 keeps its digits: log-sum-exp of (0, −40) is 4.2e−18, not 0.
    const t = softmaxStats([0, -40]);
    assert.equal(logSumExpFromStats(t)[0], Math.exp(-40) - Math.exp(-80) / 2);
  });

  it('is associative and commutative over random splits, with empty and all −∞ slices', () => {
    const r = rand(2);
    for (let trial = 0; trial < 60; trial++) {
      const rows = 1 + Math.floor(r() * 4);
      const n = 1 + Math.floor(r() * 60);
      const scale = [1, 30, 700][trial % 3];
      const x = Float64Array.from({ length: rows * n }, () => (r() - 0.5) * scale);
      // Whole stretches of −∞ (masked vocabulary ranges).
      const m0 = Math.floor(r() * n);
      const m1 = Math.min(n, m0 + Math.floor(r() * 8));
      for (let q = 0; q < rows; q++) for (let c = m0; c < m1; c++) x[q * n + c] = -Infinity;
      const target = Int32Array.from({ length: rows }, () => Math.floor(r() * n));
      const cuts = [0, n];
      for (let k = Math.floor(r() * 6); k > 0; k--) cuts.push(Math.floor(r() * (n + 1)));
      cuts.push(cuts[1]); // an empty slice
      cuts.sort((a, b) => a - b);
      const parts: SoftmaxStats[] = [];
      for (let k = 0; k + 1 < cuts.length; k++) {
        const [a, b] = [cuts[k], cuts[k + 1]];
        parts.push(softmaxStats(tensor(slice(x, rows, n, a, b), [rows, b - a]), { target, classOffset: a, gap: true }));
      }
      const whole = softmaxStats(tensor(x, [rows, n]), { target, gap: true });
      const m1s = mergeTree(parts, r);
      const m2s = mergeTree(parts.slice().reverse(), r);
      const ref = logSumExp(tensor(x, [rows, n])).data;
      const l1 = logSumExpFromStats(m1s);
      const l2 = logSumExpFromStats(m2s);
      for (let q = 0; q < rows; q++) {
        assert.ok(within1ulp(l1[q], ref[q]), `row ${q}: ${l1[q]} vs ${ref[q]}`);
        assert.ok(within1ulp(l2[q], ref[q]));
        assert.equal(m1s.max[q], whole.max[q]);
        // Σe as a double-double agrees to ~2^−70 relative (the double-double exp's accuracy) whatever the tree.
        assert.ok(Math.abs(m1s.sumExp[q] - whole.sumExp[q] + (m1s.sumExpLo[q] - whole.sumExpLo[q])) <= 2 ** -66 * whole.sumExp[q], `sumExp ${q}`);
        assert.equal(m1s.targetLogit![q], x[q * n + target[q]]);
        const g = whole.gap![q];
        assert.ok(g === Infinity ? m1s.gap![q] === Infinity : Math.abs(m1s.gap![q] - g) <= 2 ** -66 * Math.abs(g) + 1e-300, `gap ${m1s.gap![q]} vs ${g}`);
        assert.equal(m1s.gapWeight![q], n);
      }
      // Commutative bit for bit.
      const ab = mergeSoftmaxStats(parts[0], parts[parts.length - 1]);
      const ba = mergeSoftmaxStats(parts[parts.length - 1], parts[0]);
      assert.deepEqual(ab, ba);
    }
  });

  it('keeps Σ w exact, so that slices merged in any tree give the same gapWeight bit for bit', () => {
    const r = rand(17);
    const rows = 3;
    const n = 61;
    const x = Float64Array.from({ length: rows * n }, () => (r() - 0.5) * 8);
    const w = Float64Array.from({ length: n }, () => 0.5 + r());
    const whole = softmaxStats(tensor(x, [rows, n]), { gap: true, weight: w });
    for (let trial = 0; trial < 20; trial++) {
      const cuts = [0, n];
      for (let k = 1 + Math.floor(r() * 6); k > 0; k--) cuts.push(Math.floor(r() * (n + 1)));
      cuts.sort((a, b) => a - b);
      const parts: SoftmaxStats[] = [];
      for (let k = 0; k + 1 < cuts.length; k++) {
        const [a, b] = [cuts[k], cuts[k + 1]];
        parts.push(softmaxStats(tensor(slice(x, rows, n, a, b), [rows, b - a]), { gap: true, weight: w.subarray(a, b) }));
      }
      const m = mergeTree(parts, r);
      for (let q = 0; q < rows; q++) {
        assert.equal(m.gapWeight![q], whole.gapWeight![q], `trial ${trial} row ${q}`);
        assert.equal(m.gapWeightLo![q], whole.gapWeightLo![q], `trial ${trial} row ${q}`);
      }
    }
  });

  it('treats empty statistics as the identity and keeps all −∞ rows at −∞', () => {
    const s = softmaxStats(tensor(Float64Array.from([1, 2, 3, -Infinity, -Infinity, -Infinity]), [2, 3]));
    assert.equal(s.max[1], -Infinity);
    assert.equal(s.sumExp[1], 0);
    const e = emptySoftmaxStats([2]);
    assert.deepEqual(mergeSoftmaxStats(s, e), { ...s, shape: [2] });
    assert.deepEqual(Array.from(logSumExpFromStats(mergeSoftmaxStats(e, e))), [-Infinity, -Infinity]);
  });

  it('follows logSumExp on NaN and +∞: NaN spreads, +∞ rows give +∞', () => {
    const a = softmaxStats(tensor(Float64Array.from([1, NaN, 0, Infinity, 2, Infinity]), [2, 3]));
    const b = softmaxStats(tensor(Float64Array.from([5, 6, 7, 8]), [2, 2]));
    const l = logSumExpFromStats(mergeSoftmaxStats(a, b));
    assert.ok(Number.isNaN(l[0]));
    assert.equal(l[1], Infinity);
    assert.equal(a.sumExp[1], 2);
  });

  it('reads float32 input and any class axis', () => {
    const x = Float32Array.from([1, 4, 2, 5, 3, 6]);
    const s = softmaxStats(tensor(x, [3, 2]), { axis: 0 });
    assert.deepEqual(logSumExpFromStats(s), Float64Array.from(logSumExp(tensor(Float64Array.from(x), [3, 2]), { axis: 0 }).data));
  });

  it('throws SigmaxError for mismatched rows and bad targets', () => {
    const a = softmaxStats(tensor(new Float64Array(6), [2, 3]));
    const b = softmaxStats(tensor(new Float64Array(3), [3, 1]));
    assert.throws(() => mergeSoftmaxStats(a, b), (e: unknown) => e instanceof SigmaxError && e.code === 'SHAPE_MISMATCH' && /a has 2 rows but b has 3/.test(e.message));
    assert.throws(() => softmaxStats(tensor(new Float64Array(6), [2, 3]), { target: [0, 1.5] }), (e: unknown) => e instanceof SigmaxError && e.code === 'INVALID_TARGET' && /target\[1\] = 1.5/.test(e.message));
  });
});
