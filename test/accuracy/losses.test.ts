// Loss accuracy against the exact mpmath fixtures (test/fixtures/losses/gen.py); the measurement
// and the bounds are described in losses.cases.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureOnEachBackend } from '../helpers/backends.js';
import * as sx from '../../src/index.js';
import { loadFixture, nums } from '../helpers/fixtures.js';
import { opsWhere } from '../../src/ops/manifest.js';
import { type Measurement, measure } from './losses.cases.js';

const WHAT: Record<Measurement['what'], string> = { loss: 'per-item loss', grad: 'gradient', value: 'value' };

function boundText(m: Measurement): string {
  if (m.what === 'grad') {
    const base = m.dtype === 'float32' ? 2 : 8;
    return m.range.includes('soft labels') || m.range.includes('label smoothing') || m.range.includes('probabilities')
      ? `${base} ulp or 4·eps·scale`
      : `${base} ulp`;
  }
  if (m.op === 'crossEntropy' && m.dtype === 'float64') return '4 ulp or 4·eps·|logSumExp|';
  if (m.op === 'klDivergence') return m.dtype === 'float64' ? '1 ulp or 4·eps·(|t log t| + |t x|)' : '1 ulp';
  // m.bound is the number asserted (the wasm backend's float32 bound is 2 ulp)
  return m.dtype === 'float32' ? `${m.bound} ulp` : '2 ulp';
}

const measurements = measureOnEachBackend(measure);

test('the loss fixtures cover every loss in both dtypes', () => {
  for (const { name: op } of opsWhere((o) => o.kind === 'loss')) {
    for (const dtype of ['float32', 'float64']) {
      for (const what of ['loss', 'grad']) {
        assert.ok(
          measurements.some((m) => m.op === op && m.dtype === dtype && m.what === what && m.count > 0),
          `no ${what} measurement for ${op} ${dtype}`,
        );
      }
    }
  }
});

for (const m of measurements) {
  test(`[${m.backend}] ${m.op} ${m.dtype} ${WHAT[m.what]} on ${m.range} is within ${boundText(m)}`, () => {
    assert.ok(
      m.maxUlp <= m.bound,
      `${m.count} elements; worst error ${m.maxUlp} ulp against a bound of ${m.bound} ulp at ${m.worstInput ?? '?'}`,
    );
  });
}

interface CeCase {
  dtype: 'float32' | 'float64';
  range: string;
  variant: string;
  shape: [number, number];
  targetKind: 'index' | 'prob';
  logits: string[];
  target: number[] | string[];
}

for (const dtype of ['float32', 'float64'] as const) {
  test(`crossEntropy ${dtype} where the target probability is 1e-30 gives ≈ 69.08, not Infinity`, () => {
    const fx = loadFixture<{ cases: CeCase[] }>(`losses/crossEntropy.${dtype}.json`);
    const cases = fx.cases.filter(
      (c) => c.range === 'rows with target p = 1e-30' && (c.variant === 'hard labels' || c.variant === 'one-hot probabilities'),
    );
    assert.ok(cases.length > 0);
    const Arr = dtype === 'float32' ? Float32Array : Float64Array;
    for (const c of cases) {
      const [N, C] = c.shape;
      const logits = sx.tensor(Arr.from(nums(c.logits)), [N, C]);
      const target = c.targetKind === 'index' ? Int32Array.from(c.target as number[]) : sx.tensor(Arr.from(nums(c.target as string[])), [N, C]);
      const out = sx.crossEntropy(logits, target, { reduction: 'none' });
      const losses = typeof out === 'number' ? [out] : Array.from(out.data);
      for (let r = 0; r < N; r++) {
        const l = losses[r];
        assert.ok(Number.isFinite(l) && Math.abs(l - 69.07755278982137) < 1e-3, `${c.variant}, ${C} classes, row ${r}: loss ${l}`);
      }
      const sum = sx.crossEntropy(logits, target, { reduction: 'sum' });
      assert.ok(typeof sum === 'number' && Math.abs(sum - 69.07755278982137 * N) < 1e-3 * N, `sum ${String(sum)}`);
    }
  });
}
