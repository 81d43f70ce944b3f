// Top-n-σ (Tang et al. 2024, "Top-nσ: Not All Logits Are You Need"; llama.cpp's top_n_sigma):
// a cut on the logits themselves, n standard deviations below the max, so it ignores temperature.

import type { ChainConfig } from './options.js';
import type { Row } from './row.js';
import type { Stage } from './types.js';

/**
 * With μ and σ the mean and population standard deviation of the finite logits (llama.cpp
 * skips −∞ ones), keeps z_i ≥ max − n·σ; at least minKeep. σ is computed in two passes in float64
 * (float32 rows: the row kernels, summing in four lanes).
 */
export function topNSigmaStage(c: ChainConfig): Stage {
  const nSigma = c.topNSigma;
  return {
    name: 'topNSigma',
    active: nSigma > 0,
    apply(row: Row): void {
      const z = row.z;
      const n = row.n;
      const k = row.k;
      if (k !== null) {
        // Float32 rows: the row kernels' count, sum and squared deviations (four float64 lanes).
        const z32 = z as Float32Array;
        const count = k.count(z32, n, -Infinity, -1);
        const mean = k.moment(z32, n, 0, 1) / count;
        row.keepAtLeast(row.max() - nSigma * Math.sqrt(k.moment(z32, n, mean, 2) / count), c.minKeep);
        return;
      }
      let sum = 0;
      let count = 0;
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = z[i];
        if (v === -Infinity) continue;
        sum += v;
        count++;
        if (v > max) max = v;
      }
      const mean = sum / count;
      let acc = 0;
      for (let i = 0; i < n; i++) if (z[i] !== -Infinity) acc += (z[i] - mean) * (z[i] - mean);
      row.keepAtLeast(max - nSigma * Math.sqrt(acc / count), c.minKeep);
    },
  };
}
