// Locally typical sampling (Meister et al. 2022) as HF's TypicalLogitsWarper defines it: tokens
// ranked by how far their surprise is from the entropy, the smallest prefix of mass ≥ typicalP
// kept. The boundary is found by a weighted quickselect, not a sort.

import type { ChainConfig } from './options.js';
import type { Row } from './row.js';
import type { Stage } from './types.js';
import { absInterval } from './rowKernels.js';

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

/**
 * The score threshold τ, lowered to keep at least minKeep tokens: where fewer than minKeep scores
 * are ≤ τ (rare: minKeep above the typical set), the minKeep lowest scores over the whole row
 * decide instead (keys and ws are scratch, overwritten).
 */
function atLeastMinKeep(tau: number, score: Float64Array, keys: Float64Array, ws: Float64Array, n: number, minKeep: number): number {
  let kept = 0;
  for (let i = 0; i < n; i++) kept += score[i] <= tau ? 1 : 0;
  if (kept >= minKeep) return tau;
  keys.set(score.subarray(0, n));
  ws.fill(1, 0, n);
  return weightedQuantile(keys, ws, n, Math.min(minKeep, n));
}

/** The scores, keys and weights of the quickselect: shared by every typical stage, since rows run one at a time. */
let keys = new Float64Array(0);
let ws = new Float64Array(0);
let score = new Float64Array(0);

/** Bins of typical's score histogram (float32 rows): the kernel's four float64 tables of it stay in the L1 cache. */
const NB = 512;

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
  /**
   * Float32 rows: with p and lse from one softmax kernel pass and c = lse − H, the score is
   * s_i = |z_i − c|. A histogram of s (NB bins, mass per bin summed in float64) finds the bin
   * where the cumulative mass reaches typicalP; the weighted quickselect runs on that bin only,
   * with the target less the bins below. Same τ as the quickselect over the whole row, up to the
   * order of the float64 mass sums.
   */
  const applyF32 = (row: Row): void => {
    const n = row.n;
    const z = row.z as Float32Array;
    const k = row.k!;
    const sp = row.space!;
    const p32 = row.softmax32();
    const lse = row.lseFrom(p32);
    const center = lse - row.entropyFrom(p32, lse);
    const smax = k.absDevMax(z, n, center);
    // Scores map to [0, NB); the largest lands in the last bin.
    const scale = smax > 0 ? (NB - 1) / smax : 0;
    k.bins(z, p32, n, center, scale, NB, true, sp);
    const binMass = sp.mass;
    let below = 0;
    let bStar = 0;
    while (bStar < NB - 1 && below + binMass[bStar] < mass) below += binMass[bStar++];
    const nb = k.gatherBin(sp, p32, n, bStar);
    const pos = sp.pos;
    for (let j = 0; j < nb; j++) {
      const i = pos[j];
      keys[j] = Math.abs(z[i] - center);
      ws[j] = p32[i];
    }
    let tau = weightedQuantile(keys, ws, nb, mass - below);
    // The kept set |z − c| ≤ τ is an interval of float32 logits. At least one score is ≤ τ (τ is
    // a score), so minKeep ≤ 1 needs no count.
    let [lo, hi] = absInterval(center, tau);
    if (c.minKeep > 1 && k.countRange(z, n, lo, hi) < c.minKeep) {
      // Rare (minKeep above the typical set): the minKeep lowest scores over the whole row.
      for (let i = 0; i < n; i++) score[i] = Math.abs(z[i] - center);
      tau = atLeastMinKeep(tau, score, keys, ws, n, c.minKeep);
      [lo, hi] = absInterval(center, tau);
    }
    row.keepRange(lo, hi);
  };
  return {
    name: 'typicalP',
    active: mass < 1,
    apply(row: Row): void {
      const n = row.n;
      if (keys.length < n) {
        // shared by every typical stage (rows run one at a time)
        keys = new Float64Array(n);
        ws = new Float64Array(n);
        score = new Float64Array(n);
      }
      if (row.f32) {
        applyF32(row);
        return;
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
      const tau = atLeastMinKeep(weightedQuantile(keys, ws, n, mass), score, keys, ws, n, c.minKeep);
      for (let i = 0; i < n; i++) row.mark[i] = score[i] <= tau ? 1 : 0;
      row.compact();
    },
  };
}
