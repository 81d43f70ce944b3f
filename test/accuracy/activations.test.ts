// Accuracy of sigmoid, logSigmoid, softplus and their backwards against the exact mpmath fixtures
// (test/fixtures/activations/gen.py); the measurement is in activations.cases.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureOnEachBackend } from '../helpers/backends.js';
import { type Measurement, OPS, measure } from './activations.cases.js';

const RANGE: Record<string, string> = {
  tiny: 'tiny inputs (|x| < 1e-30)',
  small: 'small inputs (1e-30 ≤ |x| < 1e-3)',
  moderate: 'moderate inputs (1e-3 ≤ |x| < 10)',
  large: 'large inputs (10 ≤ |x| < 100)',
  huge: 'huge inputs (|x| ≥ 100)',
  tail: 'the deep tails (σ subnormal or near underflow)',
  nonfinite: '±0, ±∞ and NaN',
  threshold: 'inputs next to the softplus threshold',
};

const measurements = measureOnEachBackend(measure);

test('the activation fixtures cover every op in both dtypes and every range', () => {
  for (const op of OPS) {
    for (const dtype of ['float32', 'float64']) {
      for (const range of ['tiny', 'small', 'moderate', 'large', 'huge', 'tail', 'nonfinite']) {
        assert.ok(
          measurements.some((m) => m.op === op && m.dtype === dtype && m.range === range && m.count > 0),
          `no measurement for ${op} ${dtype} on ${range}`,
        );
      }
    }
  }
});

const text = (m: Measurement) => `${m.bound} ulp${m.bound === 1 ? '' : 's'}`;

for (const m of measurements) {
  const what = m.what === 'grad' ? 'gradient' : 'value';
  test(`[${m.backend}] ${m.op} ${m.dtype} on ${RANGE[m.range] ?? m.range} is within ${text(m)} of the exact ${what}`, () => {
    assert.ok(
      m.maxUlp <= m.bound,
      `max error ${m.maxUlp} ulp > ${m.bound} over ${m.count} values; worst at ${m.worstInput}`,
    );
  });
}
