// Top-p of the sampler: the smallest set of the largest logits whose mass reaches p·S, by a
// histogram of the logits (exps computed only for the head bins, the tail bounded from counts)
// and a stable three-way partition of the one boundary bucket (selectMass). The set is exactly
// the one the full computation gives; works in a SamplerScratch and sorts no row.

import type { FloatArray } from '../core/tensor.js';
import { R, ddAdd, ddMulD } from '../reference/dd.js';
import { expNeg } from './expNeg.js';
import { BINS_PER_UNIT, HIST_DEPTH, NBINS, type SamplerScratch } from './sampleScratch.js';

/** Relative pads that keep float64 sums of bounds on the safe side (far above their rounding). */
const PAD = 2 ** -40;

/** Bounds of e^d over bin b, d ∈ (−(b+1)/16, −b/16] (bounds of the float64 exp, padded); constants. */
const BIN_LO = new Float64Array(NBINS);
const BIN_HI = new Float64Array(NBINS);
for (let b = 0; b < NBINS - 1; b++) {
  BIN_HI[b] = expNeg(-b / BINS_PER_UNIT) * (1 + 2 ** -50);
  BIN_LO[b] = expNeg(-(b + 1) / BINS_PER_UNIT) * (1 - 2 ** -50);
}
BIN_HI[NBINS - 1] = expNeg(-HIST_DEPTH) * (1 + 2 ** -50);
BIN_LO[NBINS - 1] = 0;

/** True when (ah + al) ≥ (bh + bl). */
function ddGe(ah: number, al: number, bh: number, bl: number): boolean {
  ddAdd(ah, al, -bh, -bl);
  return R.hi > 0 || (R.hi === 0 && R.lo >= 0);
}

/**
 * Among the positions s.bucket[0 : n) (increasing), marks in s.keep the smallest set of the
 * largest logits (ties: lower position first) whose mass Σ e reaches `need` (a double-double > 0),
 * and leaves that mass in s.selH/s.selL. Stable three-way partitions around a median-of-3 pivot:
 * expected linear time. If the whole bucket falls short (rounding), all of it is kept.
 */
export function selectMass(s: SamplerScratch, n: number, x: FloatArray, base: number, stride: number, needH: number, needL: number): void {
  const E = s.e;
  const keep = s.keep;
  const bucket = s.bucket;
  let cur = s.work1;
  let nxt = s.work2;
  for (let i = 0; i < n; i++) cur[i] = bucket[i];
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
    for (let i = 0; i < len; i++) if (x[base + cur[i] * stride] > pivot) keep[cur[i]] = 1;
    for (let i = 0; i < len && (rh > 0 || (rh === 0 && rl > 0)); i++) {
      const q = cur[i];
      if (x[base + q * stride] !== pivot) continue;
      keep[q] = 1;
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
  s.selH = kh;
  s.selL = kl;
}

/**
 * Top-p with exps only where the decision needs them. Each bin b holds d ∈ (−(b+1)/16, −b/16],
 * so its tokens' e^d lie in [BIN_LO[b], BIN_HI[b]] and the counts alone bound what the bins from
 * b on add to S. One pass links the positions of each bin into a list; exps are then computed bin
 * by bin from the top, until the exact mass of the head reaches p times the upper bound of S. The
 * tail enters S as an interval [S_lo, S_hi]; if the boundary bin, or the tokens chosen in it
 * (selectMass), differ between p·S_lo and p·S_hi, one more bin is computed exactly and the
 * decision retried — with every bin exact the interval is a point. So the set is exactly the one
 * the full computation gives. Leaves the set's mass in s.keptH/s.keptL and its positions,
 * increasing, in s.klist[0 : s.nKept). Needs s.grow(n).
 */
export function topPSet(s: SamplerScratch, x: FloatArray, base: number, stride: number, n: number, m: number, invT: number, topP: number): void {
  const E = s.e;
  const NEXT = s.next;
  const BINIDX = s.binIdx;
  const KEEPM = s.keep;
  const BUCKET = s.bucket;
  const KLIST = s.klist;
  const BIN_CNT = s.binCnt;
  const BIN_LAST = s.binLast;
  const SUF_LO = s.sufLo;
  const SUF_HI = s.sufHi;
  const CUM_H = s.cumH;
  const CUM_L = s.cumL;
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
      s.selH = 0;
      s.selL = 0;
      if (R.hi > 0 || (R.hi === 0 && R.lo > 0)) selectMass(s, nb, x, base, stride, R.hi, R.lo);
      let count = 0;
      for (let i = 0; i < nb; i++) count += KEEPM[BUCKET[i]];
      if (kept < 0) kept = count;
      else same = count === kept;
    }
    if (!same) continue;
    ddAdd(prevH, prevL, s.selH, s.selL);
    s.keptH = R.hi;
    s.keptL = R.lo;
    // klist ← the bins before bStar and the bucket's chosen tokens, in increasing position: by
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
    s.nKept = k;
    return;
  }
}
