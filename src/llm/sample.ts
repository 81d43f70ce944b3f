// Sampling a token from logits for LLM inference: temperature, top-k, top-p (nucleus) and min-p,
// in that order (Hugging Face transformers' warper order), from a seeded, reproducible generator.
// Top-k is a selection (a heap of the k best for k ≤ 1024, else quickselect) and top-p a
// selection by probability mass (a histogram of the logits plus a stable three-way partition
// of the one boundary bucket), so no row is ever fully sorted.

import { fail, show } from '../core/errors.js';
import { checkOptions, numberOption } from '../core/options.js';
import { type FloatArray, type Input, type Output, readArg } from '../core/tensor.js';
import { layoutOf, normalizeAxis } from '../core/shape.js';
import { logSoftmax, type SoftmaxOptions } from '../ops/softmax.js';
import { R, ddAdd, ddMulD } from '../reference/dd.js';
import { expNeg } from './expNeg.js';

/** A seeded uniform generator (xoshiro128**). */
export interface Rng {
  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number;
  /** A uniform double in [0, 1) with 53 random bits. */
  nextFloat(): number;
}

/** splitmix32: expands a 32-bit seed into well-mixed state words. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A reproducible generator: xoshiro128** (Blackman and Vigna) seeded through splitmix32 from an
 * integer seed (any safe integer; its low and high 32 bits both count). The same seed gives the
 * same sequence on every platform.
 */
export function createRng(seed: number): Rng {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) fail('createRng', 'INVALID_OPTION', `seed must be a safe integer, got ${show(seed)}`);
  const st = { s: (seed | 0) ^ Math.imul(Math.floor(seed / 4294967296) | 0, 0x27d4eb2f) };
  let a = splitmix32(st);
  let b = splitmix32(st);
  let c = splitmix32(st);
  let d = splitmix32(st);
  if ((a | b | c | d) === 0) a = 1;
  const next = (): number => {
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return r;
  };
  return {
    nextUint32: next,
    nextFloat: () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992,
  };
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

export interface SampleOptions {
  /** Divides the logits: p ∝ e^(z/T). A finite number ≥ 0; 0 (or below 2^−1024) picks the argmax (greedy). Default 1. */
  temperature?: number;
  /** Keep only the k largest logits (ties: lower index first). 0 (default) keeps all. */
  topK?: number;
  /** Keep the smallest set of most probable tokens whose probability is ≥ p, in (0, 1]. Default 1 (all). */
  topP?: number;
  /** Keep tokens with probability ≥ minP·(the largest probability), in [0, 1]. Default 0 (all). */
  minP?: number;
  /** Seed of a fresh generator for this call (see createRng). */
  seed?: number;
  /** A generator to draw from (advanced by one draw per row); takes precedence over seed. */
  rng?: Rng;
  /** The class (vocabulary) axis. Default −1. */
  axis?: number;
  /** Preallocated token indices, one per row (tensor input). */
  out?: Int32Array;
}

// Scratch grown on demand, indexed by position in the row: exponentials, histogram bins and
// keep marks; the boundary bucket and two work lists for selectMass; the top-k candidates.
let E = new Float64Array(0);
let BINIDX = new Uint16Array(0);
let KEEPM = new Uint8Array(0);
let BUCKET = new Int32Array(0);
let WORK1 = new Int32Array(0);
let WORK2 = new Int32Array(0);
let XS = new Float64Array(0);
let POS = new Int32Array(0);
let VALS = new Float64Array(0);

function grow(n: number): void {
  if (E.length >= n) return;
  KLIST = new Int32Array(n);
  E = new Float64Array(n);
  BINIDX = new Uint16Array(n);
  KEEPM = new Uint8Array(n);
  BUCKET = new Int32Array(n);
  WORK1 = new Int32Array(n);
  WORK2 = new Int32Array(n);
  XS = new Float64Array(n);
  POS = new Int32Array(n);
  VALS = new Float64Array(n);
}

/** Histogram of d = (z − max)/T: BINS_PER_UNIT bins per unit of d down to −HIST_DEPTH, the rest (e^d < 1.3e−14) in the last bin. */
const BINS_PER_UNIT = 16;
const HIST_DEPTH = 32;
const NBINS = BINS_PER_UNIT * HIST_DEPTH + 1;
const BIN_SUM = new Float64Array(NBINS);

/** The k-th largest of VALS[0 : n) (1 ≤ k ≤ n), by quickselect (Hoare partition, median-of-3 pivot). Reorders VALS. */
function kthLargest(n: number, k: number): number {
  const v = VALS;
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

/** Up to this k, top-k selects with a heap of the k largest seen (one comparison per logit). */
const HEAP_MAX = 1024;
const HEAP = new Float64Array(HEAP_MAX);

/**
 * The k-th largest logit of a row (1 ≤ k ≤ HEAP_MAX, k ≤ n) from a min-heap of the k largest
 * seen so far: each logit is compared with the heap's least and enters only when larger.
 */
function kthLargestHeap(x: FloatArray, base: number, stride: number, n: number, k: number): number {
  const h = HEAP;
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

/** Mass registers of selectMass: the mass it kept, as a double-double. */
let SEL_H = 0;
let SEL_L = 0;

/**
 * Among the positions BUCKET[0 : n) (increasing), marks in KEEPM the smallest set of the largest
 * logits (ties: lower position first) whose mass Σ E reaches `need` (a double-double > 0), and
 * leaves that mass in SEL_H/SEL_L. Stable three-way partitions around a median-of-3 pivot:
 * expected linear time. If the whole bucket falls short (rounding), all of it is kept.
 */
function selectMass(n: number, x: FloatArray, base: number, stride: number, needH: number, needL: number): void {
  let cur = WORK1;
  let nxt = WORK2;
  for (let i = 0; i < n; i++) cur[i] = BUCKET[i];
  let len = n;
  let kh = 0;
  let kl = 0;
  while (len > 0) {
    const z0 = x[base + cur[0] * stride];
    const z1 = x[base + cur[len >>> 1] * stride];
    const z2 = x[base + cur[len - 1] * stride];
    const pivot = Math.max(Math.min(z0, z1), Math.min(Math.max(z0, z1), z2));
    // Mass of the entries above the pivot (Kahan, then double-double).
    let gs = 0;
    let gc = 0;
    let ng = 0;
    for (let i = 0; i < len; i++) {
      const q = cur[i];
      if (x[base + q * stride] > pivot) {
        const y = E[q] - gc;
        const t = gs + y;
        gc = t - gs - y;
        gs = t;
        ng++;
      }
    }
    ddAdd(gs, -gc, -needH, -needL);
    if (ng > 0 && (R.hi > 0 || (R.hi === 0 && R.lo >= 0))) {
      // The set lies within the part above the pivot.
      let k = 0;
      for (let i = 0; i < len; i++) if (x[base + cur[i] * stride] > pivot) nxt[k++] = cur[i];
      [cur, nxt] = [nxt, cur];
      len = k;
      continue;
    }
    // Keep the part above, then entries equal to the pivot in position order until the mass is reached.
    ddAdd(kh, kl, gs, -gc);
    kh = R.hi;
    kl = R.lo;
    ddAdd(needH, needL, -gs, gc);
    let rh = R.hi;
    let rl = R.lo;
    for (let i = 0; i < len; i++) if (x[base + cur[i] * stride] > pivot) KEEPM[cur[i]] = 1;
    for (let i = 0; i < len && (rh > 0 || (rh === 0 && rl > 0)); i++) {
      const q = cur[i];
      if (x[base + q * stride] !== pivot) continue;
      KEEPM[q] = 1;
      ddAdd(rh, rl, -E[q], 0);
      rh = R.hi;
      rl = R.lo;
      ddAdd(kh, kl, E[q], 0);
      kh = R.hi;
      kl = R.lo;
    }
    if (!(rh > 0 || (rh === 0 && rl > 0))) break;
    // Still short: continue among the entries below the pivot.
    let k = 0;
    for (let i = 0; i < len; i++) if (x[base + cur[i] * stride] < pivot) nxt[k++] = cur[i];
    [cur, nxt] = [nxt, cur];
    len = k;
    needH = rh;
    needL = rl;
  }
  SEL_H = kh;
  SEL_L = kl;
}

// Row scan results (module registers: the helpers allocate nothing).
let ROW_M = 0;
let ROW_ARG = 0;

/** Max and argmax of a row (first on ties); false when it holds a NaN. */
function scanRow(x: FloatArray, base: number, stride: number, n: number): boolean {
  let m = -Infinity;
  let arg = -1;
  let nan = false;
  for (let c = 0, k = base; c < n; c++, k += stride) {
    const v = x[k];
    if (v > m) {
      m = v;
      arg = c;
    } else if (v !== v) nan = true;
  }
  ROW_M = m;
  ROW_ARG = arg;
  return !nan;
}

/** Number of entries equal to v in a row. */
function countEqual(x: FloatArray, base: number, stride: number, n: number, v: number): number {
  let count = 0;
  for (let c = 0, k = base; c < n; c++, k += stride) if (x[k] === v) count++;
  return count;
}

/**
 * XS[0 : k) ← the k largest logits (ties at the k-th value: lower positions first) in position
 * order, POS their positions; returns false (leaving them unset) when fewer than k logits are
 * finite, so that top-k keeps everything.
 */
function gatherTopK(x: FloatArray, base: number, stride: number, n: number, topK: number): boolean {
  let tau: number;
  if (topK <= HEAP_MAX) tau = kthLargestHeap(x, base, stride, n, topK);
  else {
    for (let c = 0, k = base; c < n; c++, k += stride) VALS[c] = x[k];
    tau = kthLargest(n, topK);
  }
  if (tau === -Infinity) return false;
  // Entries above τ all belong; entries equal to τ (collected in WORK1) fill the rest in position order.
  let len = 0;
  let nt = 0;
  for (let c = 0, k = base; c < n; c++, k += stride) {
    const v = x[k];
    if (v > tau) {
      XS[len] = v;
      POS[len++] = c;
    } else if (v === tau) WORK1[nt++] = c;
  }
  const ties = topK - len;
  if (ties > 0) {
    // Merge the first `ties` tied positions into POS from the back (both lists increasing).
    let a = len - 1;
    let w = topK - 1;
    for (let i = ties - 1; i >= 0; i--) {
      const q = WORK1[i];
      while (a >= 0 && POS[a] > q) {
        POS[w] = POS[a];
        XS[w--] = XS[a--];
      }
      POS[w] = q;
      XS[w--] = tau;
    }
  }
  return true;
}

/**
 * E[c] = e^((z_c − m)·invT), its histogram bin BINIDX[c], the bins' masses (plain sums: they
 * only locate the boundary bin, which topPMarks then checks with exact sums) and the total S
 * (two interleaved Kahan sums, added in double-double) into TOTAL_H/TOTAL_L.
 */
function expAndBin(x: FloatArray, base: number, stride: number, n: number, m: number, invT: number): void {
  BIN_SUM.fill(0);
  const cut = -HIST_DEPTH;
  let s0 = 0;
  let s1 = 0;
  let c0 = 0;
  let c1 = 0;
  let c = 0;
  let k = base;
  for (; c + 2 <= n; c += 2, k += 2 * stride) {
    const d0 = (x[k] - m) * invT;
    const d1 = (x[k + stride] - m) * invT;
    const e0 = expNeg(d0);
    const e1 = expNeg(d1);
    E[c] = e0;
    E[c + 1] = e1;
    const b0 = d0 > cut ? (-d0 * BINS_PER_UNIT) | 0 : NBINS - 1;
    const b1 = d1 > cut ? (-d1 * BINS_PER_UNIT) | 0 : NBINS - 1;
    BINIDX[c] = b0;
    BINIDX[c + 1] = b1;
    BIN_SUM[b0] += e0;
    BIN_SUM[b1] += e1;
    const y0 = e0 - c0;
    const t0 = s0 + y0;
    c0 = t0 - s0 - y0;
    s0 = t0;
    const y1 = e1 - c1;
    const t1 = s1 + y1;
    c1 = t1 - s1 - y1;
    s1 = t1;
  }
  for (; c < n; c++, k += stride) {
    const d = (x[k] - m) * invT;
    const e = expNeg(d);
    E[c] = e;
    const b = d > cut ? (-d * BINS_PER_UNIT) | 0 : NBINS - 1;
    BINIDX[c] = b;
    BIN_SUM[b] += e;
    const y = e - c0;
    const t = s0 + y;
    c0 = t - s0 - y;
    s0 = t;
  }
  ddAdd(s0, -c0, s1, -c1);
  TOTAL_H = R.hi;
  TOTAL_L = R.lo;
}

let TOTAL_H = 0;
let TOTAL_L = 0;

// Mass of the kept set (double-double), from topPMarks or the histogram; the boundary bin.
let KEPT_H = 0;
let KEPT_L = 0;
let BSTAR = 0;
/** The top-p set's positions (increasing) and their count, from topPMarks. */
let KLIST = new Int32Array(0);
let NKEPT = 0;

/**
 * Top-p: the smallest set of the largest logits whose mass reaches p·S (S = TOTAL) is every
 * position in a bin before BSTAR plus the positions of bin BSTAR marked in KEEPM; its mass goes
 * to KEPT_H/KEPT_L. The cumulative histogram proposes the boundary bin; one pass then sums the
 * bins before it exactly (Kahan) and collects the bin's positions; if rounding in the histogram
 * put the boundary one bin off, the next bin is tried. Only that bin's entries are searched
 * (selectMass).
 */
function topPMarks(x: FloatArray, base: number, stride: number, n: number, topP: number): void {
  ddMulD(TOTAL_H, TOTAL_L, topP);
  const needH = R.hi;
  const needL = R.lo;
  let ch = 0;
  let cl = 0;
  let bStar = NBINS - 1;
  for (let b = 0; b < NBINS; b++) {
    ddAdd(ch, cl, BIN_SUM[b], 0);
    ch = R.hi;
    cl = R.lo;
    ddAdd(ch, cl, -needH, -needL);
    if (R.hi > 0 || (R.hi === 0 && R.lo >= 0)) {
      bStar = b;
      break;
    }
  }
  let bh = 0;
  let bl = 0;
  let nb = 0;
  let nk = 0;
  for (;;) {
    // Exact mass before bStar and of bStar, and bStar's positions.
    let s = 0;
    let comp = 0;
    let sb = 0;
    let cb = 0;
    nb = 0;
    nk = 0;
    for (let c = 0; c < n; c++) {
      const b = BINIDX[c];
      if (b > bStar) continue;
      const e = E[c];
      if (b < bStar) {
        KLIST[nk++] = c;
        const y = e - comp;
        const t = s + y;
        comp = t - s - y;
        s = t;
      } else if (e > 0) {
        BUCKET[nb++] = c;
        const y = e - cb;
        const t = sb + y;
        cb = t - sb - y;
        sb = t;
      }
    }
    ddAdd(s, -comp, 0, 0);
    bh = R.hi;
    bl = R.lo;
    ddAdd(bh, bl, -needH, -needL);
    if ((R.hi > 0 || (R.hi === 0 && R.lo >= 0)) && bStar > 0) {
      bStar--; // the bins before already reach p·S
      continue;
    }
    ddAdd(bh, bl, sb, -cb);
    ddAdd(R.hi, R.lo, -needH, -needL);
    if (R.hi < 0 && bStar < NBINS - 1) {
      bStar++; // this bin does not reach it yet
      continue;
    }
    break;
  }
  for (let i = 0; i < nb; i++) KEEPM[BUCKET[i]] = 0;
  ddAdd(needH, needL, -bh, -bl);
  SEL_H = 0;
  SEL_L = 0;
  if (nb > 0 && (R.hi > 0 || (R.hi === 0 && R.lo > 0))) selectMass(nb, x, base, stride, R.hi, R.lo);
  ddAdd(bh, bl, SEL_H, SEL_L);
  KEPT_H = R.hi;
  KEPT_L = R.lo;
  BSTAR = bStar;
  // KLIST ← the whole top-p set in increasing position: the bins before bStar merged with the
  // bucket's marked entries.
  let k = nk + nb;
  let a = nk - 1;
  for (let i = nb - 1; i >= 0; i--) {
    const q = BUCKET[i];
    if (KEEPM[q] !== 1) continue;
    while (a >= 0 && KLIST[a] > q) KLIST[--k] = KLIST[a--];
    KLIST[--k] = q;
  }
  while (a >= 0) KLIST[--k] = KLIST[a--];
  // Entries were written from the back; shift the list to start at 0.
  if (k > 0) KLIST.copyWithin(0, k, nk + nb);
  NKEPT = nk + nb - k;
}

/** Σ E[c] over c in the top-p set (when `marks`) with E[c] ≥ minP, as a double-double in KEPT_H/KEPT_L. */
function keptMass(n: number, marks: boolean, minP: number): void {
  let s = 0;
  let comp = 0;
  const len = marks ? NKEPT : n;
  for (let i = 0; i < len; i++) {
    const e = E[marks ? KLIST[i] : i];
    if (e < minP) continue;
    const y = e - comp;
    const t = s + y;
    comp = t - s - y;
    s = t;
  }
  ddAdd(s, -comp, 0, 0);
  KEPT_H = R.hi;
  KEPT_L = R.lo;
}

/** The draw: the first position where the running kept mass exceeds u·(kept mass). */
function walk(n: number, marks: boolean, minP: number, u: number): number {
  const target = u * KEPT_H;
  let acc = 0;
  let last = -1;
  if (marks) {
    for (let i = 0; i < NKEPT; i++) {
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
 * Without top-p no histogram is needed: E[c] = e^((z_c − m)·invT) and their sum into
 * KEPT_H/KEPT_L — four interleaved Kahan sums (so that no single chain of dependent additions
 * sets the pace), added in double-double.
 */
function expSum(x: FloatArray, base: number, stride: number, n: number, m: number, invT: number): void {
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
  KEPT_H = R.hi;
  KEPT_L = R.lo;
}

/** The temperature/top-p/min-p draw over x[base + c·stride], c < n (max m, at least one finite). */
function drawRow(x: FloatArray, base: number, stride: number, n: number, m: number, T: number, topP: number, minP: number, u: number): number {
  // (z − m)·(1/T): within about 1.5 ulp of (z − m)/T, the same value everywhere it is used.
  const marks = topP < 1;
  if (marks) {
    expAndBin(x, base, stride, n, m, 1 / T);
    topPMarks(x, base, stride, n, topP);
  } else expSum(x, base, stride, n, m, 1 / T);
  if (minP > 0) keptMass(n, marks, minP);
  return walk(n, marks, minP, u);
}

/** KEPT_SET ← the kept positions of drawRow's filters (increasing), returns their count. */
let KEPT_SET = new Int32Array(0);
function keptRow(x: FloatArray, base: number, stride: number, n: number, m: number, T: number, topP: number, minP: number): number {
  const marks = topP < 1;
  if (marks) {
    expAndBin(x, base, stride, n, m, 1 / T);
    topPMarks(x, base, stride, n, topP);
  } else expSum(x, base, stride, n, m, 1 / T);
  if (KEPT_SET.length < n) KEPT_SET = new Int32Array(n);
  let k = 0;
  const len = marks ? NKEPT : n;
  for (let i = 0; i < len; i++) {
    const c = marks ? KLIST[i] : i;
    const e = E[c];
    if (e === 0 || e < minP) continue;
    KEPT_SET[k++] = c;
  }
  return k;
}

/**
 * One row: the token position drawn from softmax(z/T) restricted by top-k, top-p and min-p.
 * Returns −2 for a row with NaN and −3 for a row of all −∞ (the caller throws).
 */
function sampleRow(x: FloatArray, base: number, stride: number, n: number, T: number, topK: number, topP: number, minP: number, rng: Rng): number {
  if (!scanRow(x, base, stride, n)) return -2;
  if (ROW_ARG < 0) return -3;
  const m = ROW_M;
  if (m === Infinity) {
    // Each +∞ logit is infinitely more probable than any finite one: uniform among them.
    let pick = Math.floor(rng.nextFloat() * countEqual(x, base, stride, n, Infinity));
    for (let c = 0, k = base; c < n; c++, k += stride) if (x[k] === Infinity && pick-- === 0) return c;
  }
  if (T === 0) return ROW_ARG;
  grow(n);
  const u = rng.nextFloat();
  if (topK > 0 && topK < n && gatherTopK(x, base, stride, n, topK)) return POS[drawRow(XS, 0, 1, topK, m, T, topP, minP, u)];
  return drawRow(x, base, stride, n, m, T, topP, minP, u);
}

let defaultRng: Rng | null = null;

function readSampleOptions(fn: string, opts: SampleOptions | undefined) {
  checkOptions(fn, opts, ['temperature', 'topK', 'topP', 'minP', 'seed', 'rng', 'axis', 'out']);
  let T = numberOption(fn, 'temperature', opts?.temperature, 1, (t) => t >= 0 && t < Infinity, 'a finite number ≥ 0');
  // Below 2^−1024, 1/T overflows: every distribution is then a point mass on the max (greedy).
  if (!(1 / T < Infinity)) T = 0;
  const topK = numberOption(fn, 'topK', opts?.topK, 0, (k) => Number.isInteger(k) && k >= 0, 'an integer ≥ 0');
  const topP = numberOption(fn, 'topP', opts?.topP, 1, (p) => p > 0 && p <= 1, 'a number in (0, 1]');
  const minP = numberOption(fn, 'minP', opts?.minP, 0, (p) => p >= 0 && p <= 1, 'a number in [0, 1]');
  let rng: Rng;
  if (opts?.rng !== undefined) {
    const r = opts.rng as unknown as { nextFloat?: unknown };
    if (typeof r !== 'object' || r === null || typeof r.nextFloat !== 'function') fail(fn, 'INVALID_OPTION', 'rng must be a generator with nextFloat() (see createRng)');
    rng = opts.rng;
  } else if (opts?.seed !== undefined) {
    if (typeof opts.seed !== 'number' || !Number.isSafeInteger(opts.seed)) fail(fn, 'INVALID_OPTION', `seed must be a safe integer, got ${show(opts.seed)}`);
    rng = createRng(opts.seed);
  } else {
    rng = defaultRng ??= createRng(Math.floor(Math.random() * 2 ** 53));
  }
  return { T, topK, topP, minP, rng };
}

/**
 * Draws a token index from softmax(logits / temperature) after Hugging Face's filters, in their
 * order: top-k keeps the k largest logits; top-p keeps, of what remains, the smallest set of the
 * most probable tokens (largest logits; ties: lower index first) whose probability — renormalised
 * over the top-k set — is ≥ topP; min-p then drops tokens below minP·max probability. The draw is
 * u·(kept mass), u = rng.nextFloat(), walked over the kept tokens in index order, so a seed (or
 * an rng in a given state) always gives the same token.
 * Exact selection: probabilities are e^((z − max)/T) in float64 (within 0.52 ulp) with masses
 * summed in double-double; top-k is a selection (a k-heap, or quickselect above k = 1024) and
 * top-p a histogram of the logits plus a stable three-way partition of the one boundary bucket —
 * linear time, no sort of the row. The cost is one float64 exp per vocabulary entry (the exact
 * normaliser needs them all) plus a few cheap passes. See docs/math.md#sampling.
 * A flat array gives one index (a number); a Tensor gives an Int32Array with one index per row
 * (rows along `axis`). temperature 0 gives the argmax (first on ties). −∞ logits are never drawn;
 * if any logit is +∞ the draw is uniform among the +∞ ones. A row with NaN, or with every logit −∞,
 * throws INVALID_INPUT naming the row.
 */
export function sample(logits: FloatArray | readonly number[], opts?: SampleOptions): number;
export function sample(logits: Input, opts?: SampleOptions): Int32Array;
export function sample(logits: Input, opts?: SampleOptions): number | Int32Array {
  const fn = 'sample';
  const o = readSampleOptions(fn, opts);
  const a = readArg(fn, 'logits', logits);
  if (a.shape.length === 0) fail(fn, 'SHAPE_MISMATCH', 'logits must have a vocabulary axis (rank ≥ 1), got a 0-d tensor');
  const axis = normalizeAxis(fn, opts?.axis ?? -1, a.shape.length);
  const { outer, size: n, inner } = layoutOf(a.shape, axis);
  if (n === 0) fail(fn, 'SHAPE_MISMATCH', 'logits has an empty vocabulary axis; there is nothing to sample');
  const rows = outer * inner;
  const out = opts?.out ?? new Int32Array(rows);
  if (!(out instanceof Int32Array) || out.length !== rows) fail(fn, 'SHAPE_MISMATCH', `out must be an Int32Array of ${rows} elements (one per row)`);
  const res = new Int32Array(rows);
  for (let oo = 0; oo < outer; oo++) {
    for (let i = 0; i < inner; i++) {
      const r = oo * inner + i;
      const t = sampleRow(a.data, oo * n * inner + i, inner, n, o.T, o.topK, o.topP, o.minP, o.rng);
      if (t === -2) fail(fn, 'INVALID_INPUT', `logits row ${r} contains NaN; cannot sample from it`);
      if (t === -3) fail(fn, 'INVALID_INPUT', `every logit of row ${r} is −∞; there is no token to sample`);
      res[r] = t;
    }
  }
  out.set(res);
  return a.kind === 'tensor' ? out : out[0];
}

/**
 * The tokens `sample` may draw from a 1-D row of logits under the same options (temperature,
 * topK, topP, minP; seed and rng are not used): their indices in increasing order. With topP < 1
 * their probability mass (renormalised over the top-k set) is ≥ topP and dropping the least
 * probable of them takes it below topP; minP then removes tokens below minP·max probability.
 * temperature 0 gives the argmax alone; +∞ logits give the +∞ positions. Errors as sample.
 */
export function samplingSet(logits: FloatArray | readonly number[], opts?: Omit<SampleOptions, 'seed' | 'rng' | 'out' | 'axis'>): Int32Array {
  const fn = 'samplingSet';
  checkOptions(fn, opts, ['temperature', 'topK', 'topP', 'minP']);
  const o = readSampleOptions(fn, { ...opts, seed: 0 });
  const a = readArg(fn, 'logits', logits);
  if (a.shape.length !== 1) fail(fn, 'SHAPE_MISMATCH', `logits must be 1-D, got shape ${show(a.shape)}`);
  const x = a.data;
  const n = x.length;
  if (n === 0) fail(fn, 'SHAPE_MISMATCH', 'logits is empty; there is nothing to sample');
  if (!scanRow(x, 0, 1, n)) fail(fn, 'INVALID_INPUT', 'logits contains NaN; cannot sample from it');
  if (ROW_ARG < 0) fail(fn, 'INVALID_INPUT', 'every logit is −∞; there is no token to sample');
  if (ROW_M === Infinity) return Int32Array.from(Array.from(x.keys()).filter((c) => x[c] === Infinity));
  if (o.T === 0) return Int32Array.of(ROW_ARG);
  grow(n);
  if (o.topK > 0 && o.topK < n && gatherTopK(x, 0, 1, n, o.topK)) {
    const k = keptRow(XS, 0, 1, o.topK, ROW_M, o.T, o.topP, o.minP);
    return Int32Array.from(KEPT_SET.subarray(0, k), (i) => POS[i]);
  }
  const k = keptRow(x, 0, 1, n, ROW_M, o.T, o.topP, o.minP);
  return KEPT_SET.slice(0, k);
}

/**
 * Log-probabilities log softmax(logits / temperature) along `axis` (default −1): the library's
 * logSoftmax, exact to rounding (the largest keeps −1e−8 rather than 0). Options as logSoftmax.
 */
export function logProbs<X extends Input>(logits: X, opts?: SoftmaxOptions): Output<X> {
  return logSoftmax(logits, opts);
}

