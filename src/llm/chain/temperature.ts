// Temperature, plain (z/T; HF's TemperatureLogitsWarper, llama.cpp's temp) and dynamic
// (llama.cpp's temp_ext, "dynatemp", after kalomaze): the temperature follows the normalised
// entropy of the kept distribution. T = 0 is greedy: the argmax alone stays.

import type { ChainConfig } from './options.js';
import type { Row } from './row.js';
import type { Stage } from './types.js';

/** Keeps the first candidate with the largest logit (the lowest id among equal maxima) and marks the row greedy. */
function keepArgmax(row: Row): void {
  const z = row.z;
  let best = 0;
  for (let i = 1; i < row.n; i++) if (z[i] > z[best]) best = i;
  row.mark.fill(0, 0, row.n);
  row.mark[best] = 1;
  row.compact();
  row.greedy = true;
}

/**
 * T = 0: greedy (above). Dynamic (range δ > 0, with ≥ 2 finite candidates): with H the entropy
 * of softmax(z) and n the finite candidates, T' = T_min + (T_max − T_min)·(H/log n)^exponent,
 * T_min = max(0, T − δ), T_max = T + δ, then z ← z/T' (T' = 0: greedy). Plain: z ← z/T.
 * A float32 row divides in place (each quotient rounded to float32, as processLogits returns it)
 * and takes H from one softmax kernel pass (H = Σ p_i (lse − z_i)).
 */
export function temperatureStage(c: ChainConfig): Stage {
  const { T, dynRange, dynExp } = c;
  return {
    name: 'temperature',
    active: T !== 1 || dynRange > 0,
    apply(row: Row): void {
      let t = T;
      if (dynRange > 0) {
        const live = row.live();
        if (live < 2) return;
        let H = 0;
        if (row.f32) {
          const p32 = row.softmax32();
          H = row.entropyFrom(p32, row.lseFrom(p32));
        } else {
          const lp = row.logProbs();
          for (let i = 0; i < row.n; i++) if (lp[i] !== -Infinity) H -= Math.exp(lp[i]) * lp[i];
        }
        const lo = Math.max(0, T - dynRange);
        const hi = T + dynRange;
        t = lo + (hi - lo) * Math.pow(H / Math.log(live), dynExp);
      }
      if (!(1 / t < Infinity)) {
        keepArgmax(row);
        return;
      }
      const z = row.z;
      row.changed();
      if (row.k !== null) row.k.div(z as Float32Array, row.n, t);
      else for (let i = 0; i < row.n; i++) z[i] /= t;
    },
  };
}
