// Top-k of the sampler: the k-th largest logit of a row by a min-heap of the k best (k ≤ 1024,
// one comparison per logit) or by quickselect, then the k largest gathered in position order
// (ties at the k-th value: lower positions first). Works in a SamplerScratch; sorts nothing.

import type { FloatArray } from '../core/tensor.js';
import { HEAP_MAX, type SamplerScratch } from './sampleScratch.js';

/** The k-th largest of s.vals[0 : n) (1 ≤ k ≤ n), by quickselect. Reorders s.vals. */
function kthLargest(s: SamplerScratch, n: number, k: number): number {
  return kthLargestOf(s.vals, n, k);
}

/**
 * The k-th largest of v[0 : n) (1 ≤ k ≤ n, no NaN) by quickselect (Hoare partition, median-of-3
 * pivot); reorders v, leaving the k largest in v[0 : k). The wasm twin is assembly/ops/sampling.ts's selectKth.
 */
export function kthLargestOf(v: Float32Array | Float64Array, n: number, k: number): number {
  const want = k - 1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const a = v[lo];
    const b = v[(lo + hi) >>> 1];
    const c = v[hi];
    const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (v[i] > pivot) i++;
      while (v[j] < pivot) j--;
      if (i <= j) {
        const t = v[i];
        v[i] = v[j];
        v[j] = t;
        i++;
        j--;
      }
    }
    if (want <= j) hi = j;
    else if (want >= i) lo = i;
    else return pivot;
  }
  return v[want];
}

/**
 * The k-th largest logit of a row (1 ≤ k ≤ HEAP_MAX, k ≤ n) from a min-heap of the k largest
 * seen so far: each logit is compared with the heap's least and enters only when larger.
 */
function kthLargestHeap(s: SamplerScratch, x: FloatArray, base: number, stride: number, n: number, k: number): number {
  const h = s.heap;
  let size = 0;
  for (let c = 0, q = base; c < n; c++, q += stride) {
    const v = x[q];
    if (size < k) {
      // Sift up.
      let i = size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (h[parent] <= v) break;
        h[i] = h[parent];
        i = parent;
      }
      h[i] = v;
    } else if (v > h[0]) {
      // Replace the least and sift down.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= k) break;
        const r = l + 1;
        const m = r < k && h[r] < h[l] ? r : l;
        if (h[m] >= v) break;
        h[i] = h[m];
        i = m;
      }
      h[i] = v;
    }
  }
  return h[0];
}

/**
 * s.xs[0 : k) ← the k largest logits (ties at the k-th value: lower positions first) in position
 * order, s.pos their positions; returns false (leaving them unset) when fewer than k logits are
 * finite, so that top-k keeps everything. Needs s.grow(n).
 */
export function gatherTopK(s: SamplerScratch, x: FloatArray, base: number, stride: number, n: number, topK: number): boolean {
  let tau: number;
  if (topK <= HEAP_MAX) tau = kthLargestHeap(s, x, base, stride, n, topK);
  else {
    const v = s.vals;
    for (let c = 0, k = base; c < n; c++, k += stride) v[c] = x[k];
    tau = kthLargest(s, n, topK);
  }
  if (tau === -Infinity) return false;
  // Entries above τ all belong; entries equal to τ (collected in work1) fill the rest in position order.
  const xs = s.xs;
  const pos = s.pos;
  const tied = s.work1;
  let len = 0;
  let nt = 0;
  for (let c = 0, k = base; c < n; c++, k += stride) {
    const v = x[k];
    if (v > tau) {
      xs[len] = v;
      pos[len++] = c;
    } else if (v === tau) tied[nt++] = c;
  }
  const ties = topK - len;
  if (ties > 0) {
    // Merge the first `ties` tied positions into pos from the back (both lists increasing).
    let a = len - 1;
    let w = topK - 1;
    for (let i = ties - 1; i >= 0; i--) {
      const q = tied[i];
      while (a >= 0 && pos[a] > q) {
        pos[w] = pos[a];
        xs[w--] = xs[a--];
      }
      pos[w] = q;
      xs[w--] = tau;
    }
  }
  return true;
}
