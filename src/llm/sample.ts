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
import { type Rng, Xoshiro128 } from '../core/rng.js';

export type { Rng } from '../core/rng.js';

/**
 * A reproducible generator: the library's shared xoshiro128** (src/core/rng.ts; the same stream
 * as sigmax/train's Rng for the same seed) seeded through splitmix32 from an integer seed (any
 * safe integer; its low and high 32 bits both count). The same seed gives the same sequence on
 * every platform.
 */
export function createRng(seed: number): Rng {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) fail('createRng', 'INVALID_OPTION', `seed must be a safe integer, got ${show(seed)}`);
  const g = new Xoshiro128(seed);
  return { nextUint32: () => g.nextUint32(), nextFloat: () => g.nextFloat() };
}

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

/**
 * Max of a row into ROW_M (NaN when the row holds a NaN: Math.max propagates it), in four
 * independent lanes; ROW_ARG ← −1 for a row of all −∞ (or empty), else 0 (see argmaxRow).
 */
function scanRow(x: FloatArray, base: number, stride: number, n: number): boolean {
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
  ROW_M = m;
  ROW_ARG = m === -Infinity ? -1 : 0;
  return m === m;
}

/** The first position of the row's max ROW_M. */
function argmaxRow(x: FloatArray, base: number, stride: number, n: number): number {
  const m = ROW_M;
  for (let c = 0, k = base; c < n; c++, k += stride) if (x[k] === m) return c;
  return 0;
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

// Mass of the kept set (double-double), from topPSet or expSum.
let KEPT_H = 0;
let KEPT_L = 0;
/** The top-p set's positions (increasing) and their count, from topPSet. */
let KLIST = new Int32Array(0);
let NKEPT = 0;

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

// Top-p by bins: counts per bin, bounds of e^d per bin, a counting sort of the positions by bin,
// exact cumulative masses of the head bins.
const BIN_CNT = new Int32Array(NBINS);
/** The last position in each bin; NEXT[c] is the previous one (−1 ends a bin's list). */
const BIN_LAST = new Int32Array(NBINS);
const BIN_LO = new Float64Array(NBINS);
const BIN_HI = new Float64Array(NBINS);
/** Σ_{b' ≥ b} count·bound: what the bins from b on can add to S at least and at most. */
const SUF_LO = new Float64Array(NBINS + 1);
const SUF_HI = new Float64Array(NBINS + 1);
const CUM_H = new Float64Array(NBINS);
const CUM_L = new Float64Array(NBINS);
let NEXT = new Int32Array(0);
/** Relative pads that keep float64 sums of bounds on the safe side (far above their rounding). */
const PAD = 2 ** -40;

function initBounds(): void {
  for (let b = 0; b < NBINS - 1; b++) {
    BIN_HI[b] = expNeg(-b / BINS_PER_UNIT) * (1 + 2 ** -50);
    BIN_LO[b] = expNeg(-(b + 1) / BINS_PER_UNIT) * (1 - 2 ** -50);
  }
  BIN_HI[NBINS - 1] = expNeg(-HIST_DEPTH) * (1 + 2 ** -50);
  BIN_LO[NBINS - 1] = 0;
}

/** True when (ah + al) ≥ (bh + bl). */
function ddGe(ah: number, al: number, bh: number, bl: number): boolean {
  ddAdd(ah, al, -bh, -bl);
  return R.hi > 0 || (R.hi === 0 && R.lo >= 0);
}

/**
 * Top-p with exps only where the decision needs them. Each bin b holds d ∈ (−(b+1)/16, −b/16],
 * so its tokens' e^d lie in [BIN_LO[b], BIN_HI[b]] (bounds of the float64 exp, padded) and the
 * counts alone bound what the bins from b on add to S. One pass links the positions of each bin
 * into a list; exps are then computed bin by bin from the top, until the exact mass of the head reaches
 * p times the upper bound of S. The tail enters S as an interval [S_lo, S_hi]; if the boundary
 * bin, or the tokens chosen in it (selectMass), differ between p·S_lo and p·S_hi, one more bin
 * is computed exactly and the decision retried — with every bin exact the interval is a point.
 * So the set is exactly the one the full computation gives. Leaves the set's mass in
 * KEPT_H/KEPT_L and its positions, increasing, in KLIST[0 : NKEPT).
 */
function topPSet(x: FloatArray, base: number, stride: number, n: number, m: number, invT: number, topP: number): void {
  if (BIN_HI[0] === 0) initBounds();
  if (NEXT.length < n) NEXT = new Int32Array(E.length);
  BIN_CNT.fill(0);
  BIN_LAST.fill(-1);
  for (let c = 0, k = base; c < n; c++, k += stride) {
    // Math.min first: −d·16 is +∞ for a −∞ logit, which `| 0` would turn into 0.
    const b = Math.min((m - x[k]) * invT * BINS_PER_UNIT, NBINS - 1) | 0;
    BINIDX[c] = b;
    BIN_CNT[b]++;
    NEXT[c] = BIN_LAST[b];
    BIN_LAST[b] = c;
  }
  SUF_LO[NBINS] = 0;
  SUF_HI[NBINS] = 0;
  for (let b = NBINS - 1; b >= 0; b--) {
    SUF_LO[b] = SUF_LO[b + 1] + BIN_CNT[b] * BIN_LO[b];
    SUF_HI[b] = SUF_HI[b + 1] + BIN_CNT[b] * BIN_HI[b];
  }
  let ch = 0;
  let cl = 0;
  let J = -1;
  for (;;) {
    // Make bin J + 1 exact.
    const b = ++J;
    let sum = 0;
    let comp = 0;
    for (let c = BIN_LAST[b]; c >= 0; c = NEXT[c]) {
      const e = expNeg((x[base + c * stride] - m) * invT);
      E[c] = e;
      const y = e - comp;
      const t = sum + y;
      comp = t - sum - y;
      sum = t;
    }
    ddAdd(ch, cl, sum, -comp);
    ch = R.hi;
    cl = R.lo;
    CUM_H[b] = ch;
    CUM_L[b] = cl;
    const last = J === NBINS - 1;
    // S ∈ [S_lo, S_hi] and need = p·S at both ends.
    const tHi = last ? 0 : SUF_HI[J + 1] * (1 + PAD);
    const tLo = last ? 0 : SUF_LO[J + 1] * (1 - PAD);
    ddAdd(ch, cl, tHi, 0);
    ddMulD(R.hi, R.lo, topP);
    const needHiH = R.hi;
    const needHiL = R.lo;
    if (!last && !ddGe(ch, cl, needHiH, needHiL)) continue;
    ddAdd(ch, cl, tLo, 0);
    ddMulD(R.hi, R.lo, topP);
    const needLoH = R.hi;
    const needLoL = R.lo;
    // The boundary bin: the first whose cumulative mass reaches need, the same at both ends.
    let bStar = 0;
    while (bStar < J && !ddGe(CUM_H[bStar], CUM_L[bStar], needHiH, needHiL)) bStar++;
    if (bStar > 0 && ddGe(CUM_H[bStar - 1], CUM_L[bStar - 1], needLoH, needLoL)) continue;
    const prevH = bStar > 0 ? CUM_H[bStar - 1] : 0;
    const prevL = bStar > 0 ? CUM_L[bStar - 1] : 0;
    // The tokens chosen in the bucket, the same at both ends.
    let nb = 0;
    for (let c = BIN_LAST[bStar]; c >= 0; c = NEXT[c]) if (E[c] > 0) BUCKET[nb++] = c;
    BUCKET.subarray(0, nb).reverse();
    let kept = -1;
    let same = true;
    for (let pass = 0; pass < (last ? 1 : 2); pass++) {
      for (let i = 0; i < nb; i++) KEEPM[BUCKET[i]] = 0;
      if (pass === 0) ddAdd(needHiH, needHiL, -prevH, -prevL);
      else ddAdd(needLoH, needLoL, -prevH, -prevL);
      SEL_H = 0;
      SEL_L = 0;
      if (R.hi > 0 || (R.hi === 0 && R.lo > 0)) selectMass(nb, x, base, stride, R.hi, R.lo);
      let count = 0;
      for (let i = 0; i < nb; i++) count += KEEPM[BUCKET[i]];
      if (kept < 0) kept = count;
      else same = count === kept;
    }
    if (!same) continue;
    ddAdd(prevH, prevL, SEL_H, SEL_L);
    KEPT_H = R.hi;
    KEPT_L = R.lo;
    // KLIST ← the bins before bStar and the bucket's chosen tokens, in increasing position: by
    // sorting when the set is small, else by one pass over the positions.
    let before = 0;
    for (let bb = 0; bb < bStar; bb++) before += BIN_CNT[bb];
    let k = 0;
    if ((before + kept) * 16 < n) {
      for (let bb = 0; bb < bStar; bb++) for (let c = BIN_LAST[bb]; c >= 0; c = NEXT[c]) KLIST[k++] = c;
      for (let i = 0; i < nb; i++) if (KEEPM[BUCKET[i]] === 1) KLIST[k++] = BUCKET[i];
      KLIST.subarray(0, k).sort();
    } else {
      for (let c = 0; c < n; c++) {
        const bc = BINIDX[c];
        if (bc < bStar || (bc === bStar && KEEPM[c] === 1 && E[c] > 0)) KLIST[k++] = c;
      }
    }
    NKEPT = k;
    return;
  }
}

/** The temperature/top-p/min-p draw over x[base + c·stride], c < n (max m, at least one finite). */
function drawRow(x: FloatArray, base: number, stride: number, n: number, m: number, T: number, topP: number, minP: number, u: number): number {
  // (z − m)·(1/T): within about 1.5 ulp of (z − m)/T, the same value everywhere it is used.
  const marks = topP < 1;
  if (marks) topPSet(x, base, stride, n, m, 1 / T, topP);
  else expSum(x, base, stride, n, m, 1 / T);
  if (minP > 0) keptMass(n, marks, minP);
  return walk(n, marks, minP, u);
}

/** KEPT_SET ← the kept positions of drawRow's filters (increasing), returns their count. */
let KEPT_SET = new Int32Array(0);
function keptRow(x: FloatArray, base: number, stride: number, n: number, m: number, T: number, topP: number, minP: number): number {
  const marks = topP < 1;
  if (marks) topPSet(x, base, stride, n, m, 1 / T, topP);
  else expSum(x, base, stride, n, m, 1 / T);
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
  if (T === 0) return argmaxRow(x, base, stride, n);
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
 * linear time, no sort of the row. With top-p, exps are computed only for the head of the
 * distribution: the tail's mass is bounded from counts per histogram bin, and the set is accepted
 * only when it is the same at both ends of that bound (else more bins are made exact), so it is
 * exactly the set the full computation gives. Without top-p the draw needs every exp. See
 * docs/math.md#sampling.
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
  if (o.T === 0) return Int32Array.of(argmaxRow(x, 0, 1, n));
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

