// Accuracy of the softmax family against the exact mpmath fixtures (test/fixtures/softmax/gen.py);
// the measurement and the bounds are described in softmax.cases.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { measureOnEachBackend } from '../helpers/backends.js';
import { type Measurement, OPS, longRowSums, measure } from './softmax.cases.js';

const RANGE: Record<string, string> = {
  tiny: 'tiny rows (|z| < 1e-30)',
  small: 'small rows (1e-30 ≤ |z| < 1e-3)',
  moderate: 'moderate rows (1e-3 ≤ |z| < 10)',
  large: 'large rows (10 ≤ |z| < 100)',
  huge: 'huge rows (|z| ≥ 100)',
  shift: 'rows from [90, 100] and [700, 720] (a missing max-shift overflows)',
  edge: 'rows with ±88, ±89, ±3e38 and the largest finite values',
  'near-zero': 'rows whose log-probability at the maximum is nearly 0',
  'tiny-prob': 'rows with a probability near 1e-30',
  nonfinite: 'rows with NaN, ±∞ or zeros',
  cancel: 'inputs whose result comes from a cancellation (constant or one-hot dy and v)',
  'long-row': 'rows of 1e6 nearly equal values',
};

const measurements = measureOnEachBackend(measure);

test('the softmax fixtures cover every op in both dtypes', () => {
  for (const op of OPS) {
    for (const dtype of ['float32', 'float64']) {
      for (const range of ['tiny', 'small', 'moderate', 'large', 'huge', 'shift', 'edge', 'nonfinite']) {
        assert.ok(
          measurements.some((m) => m.op === op && m.dtype === dtype && m.range === range && m.count > 0),
          `no measurement for ${op} ${dtype} on ${range}`,
        );
      }
    }
  }
});

/** The bound in words; m.bound is the number asserted (the wasm backend's float32 bound is 2 ulp). */
function boundText(m: Measurement): string {
  if (m.dtype === 'float32') return `${m.bound} ulp`;
  return m.op === 'logSoftmax' ? '4 ulps or 4·eps·|logSumExp|' : '4 ulps';
}

for (const m of measurements) {
  const what = m.what === 'grad' ? 'derivative' : 'value';
  test(`[${m.backend}] ${m.op} ${m.dtype} on ${RANGE[m.range] ?? m.range} is within ${boundText(m)} of the exact ${what}`, () => {
    assert.ok(
      m.maxUlp <= m.bound,
      `max error ${m.maxUlp} ulp > ${m.bound} over ${m.count} values; worst at ${m.worstInput}`,
    );
  });
}

for (const s of longRowSums()) {
  test(`softmax ${s.dtype} of the long row ${s.recipe} (T = ${s.temperature}) sums to 1 within its bound`, () => {
    assert.ok(s.error <= s.allowed, `|Σp − 1| = ${s.error} > ${s.allowed} (Σ bound·ulp(p_i))`);
  });
}
