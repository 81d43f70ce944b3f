// DRY, "don't repeat yourself" (p-e-w, text-generation-webui #5677; llama.cpp's dry sampler):
// penalises the tokens that would extend a verbatim repeat of the history's tail, exponentially
// in the repeat's length. Linear in the window: a Z-function over the reversed window.

import type { ChainConfig } from './options.js';
import type { Row } from './row.js';
import type { Stage, StepContext } from './types.js';
import { windowStart } from './window.js';

/**
 * llama.cpp's algorithm on the window w (the last dryLastN history tokens), r[k] = w[N−1−k]:
 * 1. rep_limit: scanning back from the end, the first position k where a sequence breaker
 *    begins (its head r[k] and tail r[k−1], r[k−2], … match) caps every match at k − (tail length);
 *    below allowedLength nothing happens.
 * 2. Z-function of r: Z[k] = length of the longest common prefix of r and r[k:], i.e. how many
 *    tokens before position N−1−k match the window's tail.
 * 3. For k ≥ 1 with L = min(Z[k], rep_limit) ≥ allowedLength, the token after that occurrence,
 *    t = r[k−1], would extend a repeat of length L; each t keeps its largest L.
 * 4. z_t ← z_t − multiplier·base^(L − allowedLength) for each such t that is not a single-token
 *    breaker; the exponent is capped where base^e would overflow float32 (llama.cpp's 88.72/ln base).
 */
export function dryStage(c: ChainConfig): Stage {
  const { dryMult: mult, dryBase: base, dryAllowed: allowed, dryLastN: lastN } = c;
  const single = new Set<number>();
  const multi: number[][] = [];
  for (const b of c.dryBreakers) (b.length === 1 ? single.add(b[0]) : multi.push(b));
  let zf = new Int32Array(0);
  const best = new Map<number, number>();
  const maxExp = base > 1.000001 ? Math.floor(88.7228391 / Math.log(base)) : 0;
  return {
    name: 'dry',
    active: mult > 0 && lastN !== 0,
    apply(row: Row, ctx: StepContext): void {
      // This stage writes logits in place: the row's cached statistics go stale.
      row.changed();
      const h = ctx.history;
      const start = windowStart(h.length, lastN);
      const N = h.length - start;
      if (N <= allowed) return;
      const r = (k: number) => h[start + N - 1 - k];
      // Step 1: the nearest breaker limits how far back a match may reach.
      let repLimit = N;
      for (let k = 0; k < N; k++) {
        const t = r(k);
        let longest = single.has(t) ? 0 : -1;
        for (const b of multi) {
          const tail = b.length - 1;
          if (b[0] !== t || tail <= longest || tail > k) continue;
          let ok = true;
          for (let o = 0; o < tail && ok; o++) ok = b[1 + o] === r(k - o - 1);
          if (ok) longest = tail;
        }
        if (longest >= 0) {
          repLimit = k - longest;
          break;
        }
      }
      if (repLimit < allowed) return;
      // Step 2: the Z-function of the reversed window.
      if (zf.length < N) zf = new Int32Array(N);
      zf[0] = N;
      let lt = 0;
      let rt = 0;
      for (let k = 1; k < N; k++) {
        let z = 0;
        if (k < rt) z = Math.min(rt - k, zf[k - lt]);
        while (k + z < N && r(z) === r(k + z)) z++;
        zf[k] = z;
        if (k + z > rt) {
          lt = k;
          rt = k + z;
        }
      }
      // Step 3: the longest repeat each next token would extend.
      best.clear();
      for (let k = 1; k < N; k++) {
        const L = Math.min(zf[k], repLimit);
        if (L < allowed) continue;
        const t = r(k - 1);
        if ((best.get(t) ?? -1) < L) best.set(t, L);
      }
      // Step 4: the penalties.
      const z = row.z;
      for (const [t, L] of best) {
        if (single.has(t)) continue;
        const i = row.indexOf(t);
        if (i < 0) continue;
        let e = L - allowed;
        if (maxExp > 0 && e > maxExp) e = maxExp;
        z[i] -= mult * Math.pow(base, e);
      }
    },
  };
}
