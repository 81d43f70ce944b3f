// The sampler's selection engine over one row of logits: the row scan (max, NaN, all −∞), the
// exponentials and their mass (double-double), top-k (topK.ts), top-p (topP.ts) and min-p, and
// the draw u·(kept mass) walked in position order. Every buffer and register is the caller's
// SamplerScratch, so calls never share state through this module.

import type { FloatArray } from '../core/tensor.js';
import type { Rng } from '../core/rng.js';
import { R, ddAdd } from '../reference/dd.js';
import { expNeg } from './expNeg.js';
import type { SamplerScratch } from './sampleScratch.js';
import { gatherTopK } from './topK.js';
import { topPSet } from './topP.js';
import { drawF32 } from './chain/draw.js';
import { rowKernels, rowSpace } from './chain/rowKernels.js';

/** sampleRow's result for a row holding NaN. */
export const ROW_NAN = -2;
/** sampleRow's result for a row of all −∞. */
export const ROW_ALL_NEG_INF = -3;

/**
 * Max of a row into s.rowM (NaN when the row holds a NaN: Math.max propagates it), in four
 * independent lanes; s.rowArg ← −1 for a row of all −∞ (or empty), else 0. False for a NaN row.
 */
export function scanRow(s: SamplerScratch, x: FloatArray, base: number, stride: number, n: number): boolean {
  let m0 = -Infinity;
  let m1 = -Infinity;
  let m2 = -Infinity;
  let m3 = -Infinity;
  let c = 0;
  let k = base;
  for (; c + 4 <= n; c += 4, k += 4 * stride) {
    m0 = Math.max(m0, x[k]);
    m1 = Math.max(m1, x[k + stride]);
    m2 = Math.max(m2, x[k + 2 * stride]);
    m3 = Math.max(m3, x[k + 3 * stride]);
  }
  for (; c < n; c++, k += stride) m0 = Math.max(m0, x[k]);
  const m = Math.max(Math.max(m0, m1), Math.max(m2, m3));
  s.rowM = m;
  s.rowArg = m === -Infinity ? -1 : 0;
  return m === m;
}

/** The first position of the row's max m. */
export function argmaxRow(x: FloatArray, base: number, stride: number, n: number, m: number): number {
  for (let c = 0, k = base; c < n; c++, k += stride) if (x[k] === m) return c;
  return 0;
}

/** Number of entries equal to v in a row. */
function countEqual(x: FloatArray, base: number, stride: number, n: number, v: number): number {
  let count = 0;
  for (let c = 0, k = base; c < n; c++, k += stride) if (x[k] === v) count++;
  return count;
}

/** Min-p: Σ e[c] over c in the top-p set (when `marks`) with e[c] ≥ minP, as a double-double in s.keptH/s.keptL. */
function keptMass(s: SamplerScratch, n: number, marks: boolean, minP: number): void {
  const E = s.e;
  const KLIST = s.klist;
  let sum = 0;
  let comp = 0;
  const len = marks ? s.nKept : n;
  for (let i = 0; i < len; i++) {
    const e = E[marks ? KLIST[i] : i];
    if (e < minP) continue;
    const y = e - comp;
    const t = sum + y;
    comp = t - sum - y;
    sum = t;
  }
  ddAdd(sum, -comp, 0, 0);
  s.keptH = R.hi;
  s.keptL = R.lo;
}

/** The draw: the first position where the running kept mass exceeds u·(kept mass). */
function walk(s: SamplerScratch, n: number, marks: boolean, minP: number, u: number): number {
  const E = s.e;
  const target = u * s.keptH;
  let acc = 0;
  let last = -1;
  if (marks) {
    const KLIST = s.klist;
    for (let i = 0; i < s.nKept; i++) {
      const c = KLIST[i];
      const e = E[c];
      if (e < minP) continue;
      acc += e;
      last = c;
      if (acc > target) return c;
    }
    return last;
  }
  for (let c = 0; c < n; c++) {
    const e = E[c];
    if (e === 0 || e < minP) continue;
    acc += e;
    last = c;
    if (acc > target) return c;
  }
  return last;
}

/**
 * Without top-p no histogram is needed: s.e[c] = e^((z_c − m)·invT) and their sum into
 * s.keptH/s.keptL — four interleaved Kahan sums (so that no single chain of dependent additions
 * sets the pace), added in double-double.
 */
function expSum(s: SamplerScratch, x: FloatArray, base: number, stride: number, n: number, m: number, invT: number): void {
  const E = s.e;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let c0 = 0;
  let c1 = 0;
  let c2 = 0;
  let c3 = 0;
  let c = 0;
  let k = base;
  for (; c + 4 <= n; c += 4, k += 4 * stride) {
    const e0 = expNeg((x[k] - m) * invT);
    const e1 = expNeg((x[k + stride] - m) * invT);
    const e2 = expNeg((x[k + 2 * stride] - m) * invT);
    const e3 = expNeg((x[k + 3 * stride] - m) * invT);
    E[c] = e0;
    E[c + 1] = e1;
    E[c + 2] = e2;
    E[c + 3] = e3;
    const y0 = e0 - c0;
    const t0 = s0 + y0;
    c0 = t0 - s0 - y0;
    s0 = t0;
    const y1 = e1 - c1;
    const t1 = s1 + y1;
    c1 = t1 - s1 - y1;
    s1 = t1;
    const y2 = e2 - c2;
    const t2 = s2 + y2;
    c2 = t2 - s2 - y2;
    s2 = t2;
    const y3 = e3 - c3;
    const t3 = s3 + y3;
    c3 = t3 - s3 - y3;
    s3 = t3;
  }
  for (; c < n; c++, k += stride) {
    const e = expNeg((x[k] - m) * invT);
    E[c] = e;
    const y = e - c0;
    const t = s0 + y;
    c0 = t - s0 - y;
    s0 = t;
  }
  ddAdd(s0, -c0, s1, -c1);
  ddAdd(R.hi, R.lo, s2, -c2);
  ddAdd(R.hi, R.lo, s3, -c3);
  s.keptH = R.hi;
  s.keptL = R.lo;
}

/** The temperature/top-p/min-p draw over x[base + c·stride], c < n (max m, at least one finite). */
function drawRow(s: SamplerScratch, x: FloatArray, base: number, stride: number, n: number, m: number, T: number, topP: number, minP: number, u: number): number {
  // (z − m)·(1/T): within about 1.5 ulp of (z − m)/T, the same value everywhere it is used.
  const marks = topP < 1;
  if (marks) topPSet(s, x, base, stride, n, m, 1 / T, topP);
  else expSum(s, x, base, stride, n, m, 1 / T);
  if (minP > 0) keptMass(s, n, marks, minP);
  return walk(s, n, marks, minP, u);
}

/** s.keptSet ← the kept positions of drawRow's filters (increasing); returns their count. */
function keptRow(s: SamplerScratch, x: FloatArray, base: number, stride: number, n: number, m: number, T: number, topP: number, minP: number): number {
  const marks = topP < 1;
  if (marks) topPSet(s, x, base, stride, n, m, 1 / T, topP);
  else expSum(s, x, base, stride, n, m, 1 / T);
  const E = s.e;
  const KLIST = s.klist;
  const out = s.keptSet;
  let k = 0;
  const len = marks ? s.nKept : n;
  for (let i = 0; i < len; i++) {
    const c = marks ? KLIST[i] : i;
    const e = E[c];
    if (e === 0 || e < minP) continue;
    out[k++] = c;
  }
  return k;
}

/**
 * One row: the token position drawn from softmax(z/T) restricted by top-k, top-p and min-p.
 * Returns ROW_NAN for a row with NaN and ROW_ALL_NEG_INF for a row of all −∞ (the caller throws).
 */
export function sampleRow(s: SamplerScratch, x: FloatArray, base: number, stride: number, n: number, T: number, topK: number, topP: number, minP: number, rng: Rng): number {
  if (stride === 1 && x instanceof Float32Array && n >= WASM_ROW_MIN) {
    // A long contiguous float32 row under the wasm backend: copied once into the decoding
    // chain's row memory, where the max and every kernel after it read it in place.
    const sp = rowSpace(n);
    if (sp.inWasm) {
      const z = sp.z.subarray(0, n);
      z.set(x.subarray(base, base + n));
      const m = rowKernels(sp).max(z, n);
      s.rowM = m;
      s.rowArg = m === -Infinity ? -1 : 0;
      if (m !== m) return ROW_NAN;
      return sampleScanned(s, z, 0, 1, n, T, topK, topP, minP, rng);
    }
  }
  if (!scanRow(s, x, base, stride, n)) return ROW_NAN;
  return sampleScanned(s, x, base, stride, n, T, topK, topP, minP, rng);
}

/** Rows from this length take the wasm row memory in sampleRow (below it the copy costs more than it saves). */
const WASM_ROW_MIN = 4096;

/** sampleRow after the row's max is in s.rowM. */
function sampleScanned(s: SamplerScratch, x: FloatArray, base: number, stride: number, n: number, T: number, topK: number, topP: number, minP: number, rng: Rng): number {
  if (s.rowArg < 0) return ROW_ALL_NEG_INF;
  const m = s.rowM;
  if (m === Infinity) {
    // Each +∞ logit is infinitely more probable than any finite one: uniform among them.
    let pick = Math.floor(rng.nextFloat() * countEqual(x, base, stride, n, Infinity));
    for (let c = 0, k = base; c < n; c++, k += stride) if (x[k] === Infinity && pick-- === 0) return c;
  }
  if (T === 0) return argmaxRow(x, base, stride, n, m);
  s.grow(n);
  const u = rng.nextFloat();
  // An unfiltered contiguous float32 row at T = 1: the wasm kernel's block sums and one block's
  // exps (chain/draw.ts) instead of an exp per entry in JavaScript.
  if (T === 1 && topP >= 1 && minP === 0 && !(topK > 0 && topK < n) && stride === 1 && x instanceof Float32Array) return drawF32(x.subarray(base, base + n), n, u);
  if (topK > 0 && topK < n && gatherTopK(s, x, base, stride, n, topK)) return s.pos[drawRow(s, s.xs, 0, 1, topK, m, T, topP, minP, u)];
  return drawRow(s, x, base, stride, n, m, T, topP, minP, u);
}

/**
 * The positions sampleRow may draw from a contiguous row x[0 : n) with a finite or +∞ max
 * (scanRow has run: s.rowM), in increasing order: the argmax at T = 0, the +∞ positions, else
 * what top-k, top-p and min-p keep.
 */
export function keptPositions(s: SamplerScratch, x: FloatArray, n: number, T: number, topK: number, topP: number, minP: number): Int32Array {
  const m = s.rowM;
  if (m === Infinity) return Int32Array.from(Array.from(x.keys()).filter((c) => x[c] === Infinity));
  if (T === 0) return Int32Array.of(argmaxRow(x, 0, 1, n, m));
  s.grow(n);
  if (topK > 0 && topK < n && gatherTopK(s, x, 0, 1, n, topK)) {
    const k = keptRow(s, s.xs, 0, 1, topK, m, T, topP, minP);
    const pos = s.pos;
    return Int32Array.from(s.keptSet.subarray(0, k), (i) => pos[i]);
  }
  const k = keptRow(s, x, 0, 1, n, m, T, topP, minP);
  return s.keptSet.slice(0, k);
}
