// Locally typical sampling (Meister et al. 2022) as HF's TypicalLogitsWarper defines it: tokens
// ranked by how far their surprise is from the entropy, the smallest prefix of mass ≥ typicalP
// kept. The boundary is found by a weighted quickselect, not a sort.

import type { ChainConfig } from './options.js';
import type { Row } from './row.js';
import type { Stage } from './types.js';

/**
 * The smallest value τ among key[0 : n) with Σ_{key_i ≤ τ} w_i ≥ target (three-way quickselect
 * carrying the weights; +∞ when no prefix reaches the target). Reorders k and w.
 */
function weightedQuantile(k: Float64Array, w: Float64Array, n: number, target: number): number {
  let lo = 0;
  let hi = n;
  let below = 0;
  while (lo < hi) {
    const pivot = k[lo + ((hi - lo) >>> 1)];
    // Partition [lo, hi) into < pivot | = pivot | > pivot.
    let lt = lo;
    let i = lo;
    let gt = hi;
    let massLt = 0;
    let massEq = 0;
    while (i < gt) {
      const v = k[i];
      if (v < pivot) {
        massLt += w[i];
        swap(k, w, lt++, i++);
      } else if (v > pivot) swap(k, w, i, --gt);
      else {
        massEq += w[i];
        i++;
      }
    }
    if (below + massLt >= target) hi = lt;
    else if (below + massLt + massEq >= target) return pivot;
    else {
      below += massLt + massEq;
      lo = gt;
    }
  }
  return Infinity;
}

function swap(k: Float64Array, w: Float64Array, a: number, b: number): void {
  const t = k[a];
  k[a] = k[b];
  k[b] = t;
  const u = w[a];
  w[a] = w[b];
  w[b] = u;
}

/**
 * With log-probabilities ℓ_i (the backend's logSoftmax) and H = −Σ p_i ℓ_i, the score
 * s_i = |−ℓ_i − H|; keeps every token with s_i ≤ τ, τ the score at which the cumulative mass in
 * increasing score first reaches typicalP (HF keeps all ties of that score, as here; when
 * rounding leaves the total below typicalP, all are kept). If fewer than minKeep remain, the
 * minKeep lowest scores are kept (ties at the last one included).
 */
export function typicalStage(c: ChainConfig): Stage {
  const mass = c.typicalP;
  let keys = new Float64Array(0);
  let ws = new Float64Array(0);
  let score = new Float64Array(0);
  return {
    name: 'typicalP',
    active: mass < 1,
    apply(row: Row): void {
      const n = row.n;
      if (keys.length < n) {
        keys = new Float64Array(n);
        ws = new Float64Array(n);
        score = new Float64Array(n);
      }
      const lp = row.logProbs();
      let H = 0;
      for (let i = 0; i < n; i++) if (lp[i] !== -Infinity) H -= Math.exp(lp[i]) * lp[i];
      for (let i = 0; i < n; i++) {
        const s = Math.abs(-lp[i] - H);
        score[i] = s;
        keys[i] = s;
        ws[i] = lp[i] === -Infinity ? 0 : Math.exp(lp[i]);
      }
      let tau = weightedQuantile(keys, ws, n, mass);
      let kept = 0;
      for (let i = 0; i < n; i++) kept += score[i] <= tau ? 1 : 0;
      if (kept < c.minKeep) {
        keys.set(score.subarray(0, n));
        ws.fill(1, 0, n);
        tau = weightedQuantile(keys, ws, n, Math.min(c.minKeep, n));
      }
      for (let i = 0; i < n; i++) row.mark[i] = score[i] <= tau ? 1 : 0;
      row.compact();
    },
  };
}
