// The working row of the decoding chain: the tokens still kept (ids increasing) and their
// processed logits — float32 when the caller's logits are float32 (one float32 scratch copy, so
// the wasm kernels read it directly), float64 otherwise — with the helpers every stage shares:
// id lookup, compaction, probabilities from the backend's softmax kernel, thresholds on the
// logits, and top-k by (logit desc, id asc). Stages read and write only this object and their
// own state, so rows never share anything.

import type { FloatArray } from '../../core/tensor.js';
import { kernels } from '../../backend/index.js';
import { SamplerScratch } from '../sampleScratch.js';
import { gatherTopK } from '../topK.js';
import { type RowKernels, type RowSpace, maxOf, rowKernels, rowSpace } from './rowKernels.js';

/**
 * The rows' working arrays besides the float32 RowSpace, shared by every Row: a call runs one row
 * at a time, start to end, and no row state outlives it, so samplers and one-call `sample`s made
 * per step allocate nothing per call (rowSpace shares the float32 memory the same way).
 */
const SHARED = {
  p: new Float64Array(0),
  mark: new Uint8Array(0),
  z64: new Float64Array(0),
  ids64: new Int32Array(0),
  p32: new Float32Array(0) as Float32Array,
  scratch: new SamplerScratch(),
};

/** pState values (see Row.pState). */
export const P_NONE = 0;
export const P_SOFTMAX = 1;
export const P_SCALED = 2;

/** One row being processed: n candidates, ids[0 : n) increasing, z[i] the logit of ids[i] (−∞: removed). */
export class Row {
  /** Vocabulary size (the row's length). */
  V = 0;
  n = 0;
  /** The candidates' logits: z32 for a float32 input row, z64 otherwise. */
  z: FloatArray = new Float64Array(0);
  /** True when z is the float32 scratch (the input was float32): stages take their float32 paths. */
  f32 = false;
  /** Probabilities or log-probabilities of the candidates (probs/logProbs fill it). */
  p = new Float64Array(0);
  /** The float32 probabilities of softmax32. */
  p32: Float32Array = new Float32Array(0);
  /**
   * What p32[0 : n) holds for the current candidates: P_NONE, P_SOFTMAX (softmax32 of them, so
   * lse and entropy follow from it) or P_SCALED (softmax32 of a superset, carried through
   * compaction: proportional to their probabilities, which is all the draw needs).
   */
  pState = P_NONE;
  /** The candidates' max and lse while maxOk/lseOk: each computed once per row state, not once per stage that asks. */
  private mx = 0;
  private maxOk = false;
  private lseV = 0;
  private lseOk = false;
  private z64 = new Float64Array(0);
  private ids64: Int32Array = new Int32Array(0);
  private idsArr: Int32Array = new Int32Array(0);
  /** Whether idsArr[0 : n) holds the candidates' ids (a dense row's are its positions, written on demand). */
  private idsOk = false;
  /** A float32 row's memory (shared by every row; in the wasm memory under the wasm backend) and the kernels for it. */
  space: RowSpace | null = null;
  k: RowKernels | null = null;
  /** A per-candidate keep mark for compaction. */
  mark = new Uint8Array(0);
  /** True while ids is 0..V−1 (no filter has removed a position), so id lookup is direct. */
  dense = true;
  /** Set by temperature 0: the row's token is its argmax and the draw consumes no random number. */
  greedy = false;
  /** The scratch of the top-k and top-p engines (topK.ts, topP.ts); shared by every row. */
  readonly scratch = SHARED.scratch;

  /** Loads x[base + c·stride], c < V, as the candidates (all of them). */
  load(x: FloatArray, base: number, stride: number, V: number): void {
    if (SHARED.mark.length < V) {
      SHARED.p = new Float64Array(V);
      SHARED.mark = new Uint8Array(V);
    }
    this.p = SHARED.p;
    this.mark = SHARED.mark;
    this.f32 = x instanceof Float32Array;
    if (this.f32) {
      const sp = (this.space = rowSpace(V));
      this.k = rowKernels(sp);
      this.z = sp.z;
      this.p32 = sp.p;
      this.idsArr = sp.ids;
      if (stride === 1) sp.z.set(x.subarray(base, base + V));
      else for (let c = 0, k = base; c < V; c++, k += stride) sp.z[c] = x[k];
    } else {
      if (SHARED.z64.length < V) {
        SHARED.z64 = new Float64Array(V);
        SHARED.ids64 = new Int32Array(V);
        SHARED.p32 = new Float32Array(V);
      }
      this.z64 = SHARED.z64;
      this.ids64 = SHARED.ids64;
      this.p32 = SHARED.p32;
      this.space = null;
      this.k = null;
      this.z = this.z64;
      this.idsArr = this.ids64;
      for (let c = 0, k = base; c < V; c++, k += stride) this.z64[c] = x[k];
    }
    this.V = V;
    this.n = V;
    this.dense = true;
    this.idsOk = false;
    this.greedy = false;
    this.changed();
  }

  /** The candidates' ids, increasing (a dense row's are written here on first use). */
  get ids(): Int32Array {
    if (!this.idsOk) {
      const ids = this.idsArr;
      for (let c = 0; c < this.n; c++) ids[c] = c;
      this.idsOk = true;
    }
    return this.idsArr;
  }

  /** The id of candidate i. */
  idAt(i: number): number {
    return this.idsOk ? this.idsArr[i] : i;
  }

  /**
   * Forgets the cached statistics (max, lse, p32). Every writer of z calls it: a stage that
   * changes logits in place, and load. Compaction keeps what stays true (see keepAtLeast/compact).
   */
  changed(): void {
    this.maxOk = false;
    this.lseOk = false;
    this.pState = P_NONE;
  }

  /** After a compaction that removed candidates: lse and normalisation no longer hold; p32 stays proportional when it was. */
  private shrunk(keptMax: boolean): void {
    this.lseOk = false;
    if (!keptMax) this.maxOk = false;
    if (this.pState !== P_NONE) this.pState = P_SCALED;
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

  /** The largest candidate logit (−∞ when none is finite; NaN when one is NaN). */
  max(): number {
    if (this.maxOk) return this.mx;
    this.mx = this.k !== null ? this.k.max(this.z as Float32Array, this.n) : maxOf(this.z, this.n);
    this.maxOk = true;
    return this.mx;
  }

  /** Number of candidates with a finite logit (or +∞). */
  live(): number {
    if (this.k !== null) return this.k.count(this.z as Float32Array, this.n, -Infinity, -1);
    const z = this.z;
    let c = 0;
    for (let i = 0; i < this.n; i++) if (z[i] !== -Infinity) c++;
    return c;
  }

  /** p[0 : n) ← softmax(z[0 : n)) through the active backend's kernel (needs a finite max); widened from float32 for a float32 row. */
  probs(): Float64Array {
    const n = this.n;
    if (this.f32) {
      this.p.set(this.softmax32().subarray(0, n));
      return this.p;
    }
    kernels().softmax(this.z.subarray(0, n), this.p.subarray(0, n), { outer: 1, size: n, inner: 1 }, 1, false);
    return this.p;
  }

  /** p[0 : n) ← logSoftmax(z[0 : n)) through the active backend's kernel (needs a finite max). */
  logProbs(): Float64Array {
    const n = this.n;
    if (this.f32) {
      // p32 is the staging buffer here: it no longer holds probabilities.
      this.pState = P_NONE;
      kernels().logSoftmax(this.z.subarray(0, n), this.p32.subarray(0, n), { outer: 1, size: n, inner: 1 }, 1, false);
      this.p.set(this.p32.subarray(0, n));
      return this.p;
    }
    kernels().logSoftmax(this.z.subarray(0, n), this.p.subarray(0, n), { outer: 1, size: n, inner: 1 }, 1, false);
    return this.p;
  }

  /** Float32 rows: p32[0 : n) ← softmax(z[0 : n)), one pass of the wasm kernel (within 2 ulp; needs a finite max). */
  softmax32(): Float32Array {
    if (this.pState === P_SOFTMAX) return this.p32;
    const n = this.n;
    kernels().softmax(this.z.subarray(0, n), this.p32.subarray(0, n), { outer: 1, size: n, inner: 1 }, 1, false);
    this.pState = P_SOFTMAX;
    return this.p32;
  }

  /**
   * log Σ e^z over the candidates from p = softmax32()'s output: lse = z_a − log p_a at the
   * first argmax a, where p_a ≥ 1/n is within 2 ulp, so lse is within about 2^−22 absolute
   * whatever the logits' magnitude (a float32 log-sum-exp would round at |lse|·2^−24).
   */
  lseFrom(p: Float32Array): number {
    if (this.lseOk) return this.lseV;
    // The first argmax: the first entry equal to the (cached) max — a scan that stops there.
    const z = this.z;
    const m = this.max();
    let a = 0;
    if (this.k !== null) a = this.k.firstEq(z as Float32Array, this.n, m);
    else while (a < this.n - 1 && z[a] !== m) a++;
    this.lseV = z[a] - Math.log(p[a]);
    this.lseOk = true;
    return this.lseV;
  }

  /**
   * Float32 rows: the entropy H = Σ p_i·(lse − z_i) = −Σ p_i log p_i of the candidates, from
   * p = softmax32()'s output and its lse, in one float64 pass (terms with p_i = 0 count 0).
   */
  entropyFrom(p: Float32Array, lse: number): number {
    if (this.k !== null) return this.k.entropy(this.z as Float32Array, p, this.n, lse);
    const z = this.z;
    let h = 0;
    for (let i = 0; i < this.n; i++) {
      const q = p[i];
      if (q > 0) h += q * (lse - z[i]);
    }
    return h;
  }

  /**
   * Keeps the candidates with z_i ≥ thr (an exact comparison of each logit with a threshold
   * derived once; −∞ never passes a finite threshold), or the minKeep largest when fewer pass.
   */
  keepAtLeast(thr: number, minKeep: number): void {
    this.keepThreshold(thr, this.n, minKeep);
  }

  /**
   * Keeps the candidates i with z_i > t, or z_i = t and i ≤ ct (ct ≥ n: every tie), or the
   * minKeep largest when fewer pass. Float32 rows run the row kernels (count, then compaction).
   */
  keepThreshold(thr: number, ct: number, minKeep: number): void {
    const z = this.z;
    const n = this.n;
    const k = this.k;
    let kept = 0;
    if (k !== null) kept = k.count(z as Float32Array, n, thr, ct);
    else for (let i = 0; i < n; i++) kept += z[i] > thr || (z[i] === thr && i <= ct) ? 1 : 0;
    if (kept < minKeep) {
      this.keepTopK(minKeep);
      return;
    }
    if (kept === n) return;
    const keptMax = kept > 0 && this.maxOk && (thr < this.mx || (thr === this.mx && ct >= 0 && this.firstMaxAt(ct)));
    if (k !== null) {
      const w = k.keep(this.idsArr, z as Float32Array, this.p32, n, thr, ct, !this.idsOk, this.pState !== P_NONE);
      this.idsOk = true;
      this.n = w;
      this.dense = false;
      this.shrunk(keptMax);
      return;
    }
    const ids = this.ids;
    // Branch-free: every candidate is written at w, and w moves on only for a kept one (a kept
    // set that is a random half of the row would otherwise mispredict every other branch).
    let w = 0;
    if (this.pState !== P_NONE) {
      const p = this.p32;
      for (let i = 0; i < n; i++) {
        const v = z[i];
        ids[w] = ids[i];
        z[w] = v;
        p[w] = p[i];
        w += v > thr || (v === thr && i <= ct) ? 1 : 0;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const v = z[i];
        ids[w] = ids[i];
        z[w] = v;
        w += v > thr || (v === thr && i <= ct) ? 1 : 0;
      }
    }
    this.n = w;
    this.dense = false;
    this.shrunk(keptMax);
  }

  /** Whether some entry at a position ≤ ct equals the (cached) max. */
  private firstMaxAt(ct: number): boolean {
    const z = this.z;
    const m = this.mx;
    const a = this.k !== null ? this.k.firstEq(z as Float32Array, this.n, m) : z.indexOf(m);
    return a >= 0 && a <= ct && z[a] === m;
  }

  /**
   * Keeps the candidates with lo ≤ z_i ≤ hi, p32 carried when it holds probabilities; float32
   * rows only (typical-p's kept set, an interval of logits). The max may go.
   */
  keepRange(lo: number, hi: number): void {
    const w = this.k!.keepRange(this.idsArr, this.z as Float32Array, this.p32, this.n, lo, hi, !this.idsOk, this.pState !== P_NONE);
    this.idsOk = true;
    if (w !== this.n) {
      this.dense = false;
      this.shrunk(false);
    }
    this.n = w;
  }

  /** Keeps the candidates with mark[i] = 1 (order preserved). */
  compact(): void {
    const { ids, z, mark } = this;
    this.idsOk = true;
    let w = 0;
    if (this.pState !== P_NONE) {
      const p = this.p32;
      for (let i = 0; i < this.n; i++) {
        ids[w] = ids[i];
        z[w] = z[i];
        p[w] = p[i];
        w += mark[i];
      }
    } else {
      for (let i = 0; i < this.n; i++) {
        ids[w] = ids[i];
        z[w] = z[i];
        w += mark[i];
      }
    }
    if (w !== this.n) {
      this.dense = false;
      this.shrunk(false);
    }
    this.n = w;
  }

  /** Float32 rows: removes the candidates at space.pos[0 : m) (increasing, a few) by the row kernel. */
  removePositions(m: number): void {
    if (m === 0) return;
    this.n = this.k!.remove(this.space!, this.idsArr, this.z as Float32Array, this.p32, this.n, m, !this.idsOk, this.pState !== P_NONE);
    this.idsOk = true;
    this.dense = false;
    this.shrunk(false);
  }

  /**
   * Records a compaction a stage did itself (ids, z and, when pState says so, p32 moved to
   * [0 : w)): topPF32 compacts in its last pass over the row instead of marking first.
   */
  setKept(w: number, keptMax: boolean): void {
    this.idsOk = true;
    if (w !== this.n) {
      this.dense = false;
      this.shrunk(keptMax);
    }
    this.n = w;
  }

  /**
   * Keeps the k candidates with the largest logits (ties at the k-th value: lower ids first,
   * gatherTopK's rule); nothing changes when k ≥ n or fewer than k logits are finite.
   */
  keepTopK(k: number): void {
    const n = this.n;
    if (k >= n) return;
    if (this.k !== null) {
      this.keepTopK32(k);
      return;
    }
    const s = this.scratch;
    s.grow(n);
    if (!gatherTopK(s, this.z, 0, 1, n, k)) return;
    const ids = this.ids;
    const z = this.z;
    const pos = s.pos;
    const xs = s.xs;
    this.idsOk = true;
    for (let i = 0; i < k; i++) {
      ids[i] = ids[pos[i]];
      z[i] = xs[i];
    }
    // pos increases (ids stay increasing), so the in-place gather of p32 reads before it writes.
    if (this.pState !== P_NONE) {
      const p = this.p32;
      for (let i = 0; i < k; i++) p[i] = p[pos[i]];
    }
    this.n = k;
    this.dense = false;
    this.shrunk(k > 0);
  }

  /**
   * keepTopK for float32 rows: t = the k-th largest (row kernel), then one threshold compaction
   * keeping z > t and the first k − #{z > t} entries equal to t (a scan for that position only
   * when more entries tie at t than fit).
   */
  private keepTopK32(kk: number): void {
    const k = this.k!;
    const z = this.z as Float32Array;
    const n = this.n;
    const t = k.kth(z, n, kk, this.space!);
    if (t === -Infinity) return;
    const above = k.count(z, n, t, -1);
    let ct = n;
    if (k.count(z, n, t, n) > kk) {
      let need = kk - above;
      for (let i = 0; i < n; i++) {
        if (z[i] === t && --need === 0) {
          ct = i;
          break;
        }
      }
    }
    const w = k.keep(this.idsArr, z, this.p32, n, t, ct, !this.idsOk, this.pState !== P_NONE);
    this.idsOk = true;
    this.n = w;
    this.dense = false;
    this.shrunk(w > 0);
  }

  /**
   * A truncating filter's last step: keeps the marked candidates, or, when fewer than minKeep
   * are marked, the minKeep most probable (a superset of the marked ones for every filter that
   * keeps a head of the distribution).
   */
  keepMarked(minKeep: number): void {
    let kept = 0;
    const mark = this.mark;
    for (let i = 0; i < this.n; i++) kept += mark[i];
    if (kept < minKeep) this.keepTopK(minKeep);
    else this.compact();
  }
}
