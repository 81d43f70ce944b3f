// XTC, "exclude top choices" (p-e-w, text-generation-webui #6335; llama.cpp's xtc sampler): with
// some probability, removes every token above a probability threshold but the least probable of
// them, steering away from the most predictable continuations.

import type { ChainConfig } from './options.js';
import type { Row } from './row.js';
import type { Stage, StepContext } from './types.js';

/**
 * XTC on a float32 row: the candidates with z ≥ cut, all but the smallest (ties: the highest id
 * stays) removed. The row kernels gather their positions and cut the few removed ones out.
 */
function applyF32(row: Row, cut: number, minKeep: number): void {
  const z = row.z as Float32Array;
  const n = row.n;
  const k = row.k!;
  const sp = row.space!;
  const count = k.gather(sp, z, n, cut, n);
  if (count < 2 || n - (count - 1) < minKeep) return;
  const pos = sp.pos;
  let last = 0;
  for (let j = 1; j < count; j++) if (z[pos[j]] <= z[pos[last]]) last = j;
  pos.copyWithin(last, last + 1, count);
  row.removePositions(count - 1);
}

/**
 * When xtcProbability > 0, xtcThreshold ≤ 0.5 and ≥ 2 candidates are finite: draws u from the
 * generator (the one random number XTC uses); if u ≤ xtcProbability and c ≥ 2 tokens have
 * p ≥ xtcThreshold, removes all of them but the least probable (ties in rank by id: the
 * highest id among the least probable stays), unless fewer than minKeep candidates would remain.
 * Float32 rows compare the logits with log(threshold) + lse (one softmax kernel pass for lse).
 */
export function xtcStage(c: ChainConfig): Stage {
  const { xtcP, xtcThreshold: thr, minKeep } = c;
  return {
    name: 'xtc',
    active: xtcP > 0 && thr <= 0.5,
    apply(row: Row, ctx: StepContext): void {
      if (row.live() < 2) return;
      if (ctx.rng.nextFloat() > xtcP) return;
      if (row.f32) {
        applyF32(row, Math.log(thr) + row.lseFrom(row.softmax32()), minKeep);
        return;
      }
      const p = row.probs();
      const n = row.n;
      let count = 0;
      let last = -1;
      for (let i = 0; i < n; i++) {
        if (p[i] < thr) continue;
        count++;
        if (last < 0 || p[i] <= p[last]) last = i;
      }
      if (count < 2 || n - (count - 1) < minKeep) return;
      for (let i = 0; i < n; i++) row.mark[i] = p[i] >= thr && i !== last ? 0 : 1;
      row.compact();
    },
  };
}
