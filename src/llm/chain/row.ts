// The working row of the decoding chain: the tokens still kept (ids increasing) and their
// processed logits in float64, with the helpers every stage shares — id lookup, compaction,
// probabilities from the backend's softmax kernel, and top-k by (logit desc, id asc).
// Stages read and write only this object and their own state, so rows never share anything.

import { kernels } from '../../backend/index.js';
import { SamplerScratch } from '../sampleScratch.js';
import { gatherTopK } from '../topK.js';

/** One row being processed: n candidates, ids[0 : n) increasing, z[i] the logit of ids[i] (−∞: removed). */
export class Row {
  /** Vocabulary size (the row's length). */
  V = 0;
  n = 0;
  ids = new Int32Array(0);
  z = new Float64Array(0);
  /** Probabilities or log-probabilities of the candidates (probs/logProbs fill it). */
  p = new Float64Array(0);
  /** A per-candidate keep mark for compaction. */
  mark = new Uint8Array(0);
  /** True while ids is 0..V−1 (no filter has removed a position), so id lookup is direct. */
  dense = true;
  /** Set by temperature 0: the row's token is its argmax and the draw consumes no random number. */
  greedy = false;
  /** The scratch of the top-k and top-p engines (topK.ts, topP.ts). */
  readonly scratch = new SamplerScratch();

  /** Loads x[base + c·stride], c < V, as the candidates (all of them). */
  load(x: ArrayLike<number>, base: number, stride: number, V: number): void {
    if (this.ids.length < V) {
      this.ids = new Int32Array(V);
      this.z = new Float64Array(V);
      this.p = new Float64Array(V);
      this.mark = new Uint8Array(V);
    }
    const ids = this.ids;
    const z = this.z;
    for (let c = 0, k = base; c < V; c++, k += stride) {
      ids[c] = c;
      z[c] = x[k];
    }
    this.V = V;
    this.n = V;
    this.dense = true;
    this.greedy = false;
  }

  /** The candidate index of token `id`, or −1 when it is no longer a candidate (binary search once filtered). */
  indexOf(id: number): number {
    if (this.dense) return id >= 0 && id < this.n ? id : -1;
    const ids = this.ids;
    let lo = 0;
    let hi = this.n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = ids[mid];
      if (v === id) return mid;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** The largest candidate logit (−∞ when none is finite). */
  max(): number {
    const z = this.z;
    let m = -Infinity;
    for (let i = 0; i < this.n; i++) if (z[i] > m) m = z[i];
    return m;
  }

  /** Number of candidates with a finite logit (or +∞). */
  live(): number {
    const z = this.z;
    let c = 0;
    for (let i = 0; i < this.n; i++) if (z[i] !== -Infinity) c++;
    return c;
  }

  /** p[0 : n) ← softmax(z[0 : n)) through the active backend's kernel (needs a finite max). */
  probs(): Float64Array {
    const n = this.n;
    kernels().softmax(this.z.subarray(0, n), this.p.subarray(0, n), { outer: 1, size: n, inner: 1 }, 1, false);
    return this.p;
  }

  /** p[0 : n) ← logSoftmax(z[0 : n)) through the active backend's kernel (needs a finite max). */
  logProbs(): Float64Array {
    const n = this.n;
    kernels().logSoftmax(this.z.subarray(0, n), this.p.subarray(0, n), { outer: 1, size: n, inner: 1 }, 1, false);
    return this.p;
  }

  /** Keeps the candidates with mark[i] = 1 (order preserved). */
  compact(): void {
    const { ids, z, mark } = this;
    let w = 0;
    for (let i = 0; i < this.n; i++) {
      if (mark[i] === 0) continue;
      ids[w] = ids[i];
      z[w++] = z[i];
    }
    if (w !== this.n) this.dense = false;
    this.n = w;
  }

  /**
   * Keeps the k candidates with the largest logits (ties at the k-th value: lower ids first,
   * gatherTopK's rule); nothing changes when k ≥ n or fewer than k logits are finite.
   */
  keepTopK(k: number): void {
    const n = this.n;
    if (k >= n) return;
    const s = this.scratch;
    s.grow(n);
    if (!gatherTopK(s, this.z, 0, 1, n, k)) return;
    const ids = this.ids;
    const z = this.z;
    const pos = s.pos;
    const xs = s.xs;
    for (let i = 0; i < k; i++) {
      ids[i] = ids[pos[i]];
      z[i] = xs[i];
    }
    this.n = k;
    this.dense = false;
  }

  /**
   * A truncating filter's last step: keeps the marked candidates, or, when fewer than minKeep
   * are marked, the minKeep most probable (a superset of the marked ones for every filter that
   * keeps a head of the distribution).
   */
  keepMarked(minKeep: number): void {
    let kept = 0;
    for (let i = 0; i < this.n; i++) kept += this.mark[i];
    if (kept < minKeep) this.keepTopK(minKeep);
    else this.compact();
  }
}
