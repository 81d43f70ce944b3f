// Top-p (nucleus) through the existing exact engine (src/llm/topP.ts): a histogram of the logits
// and exps only where the decision needs them; the kept mass is ≥ p exactly.

import { R, ddAdd, ddMulD } from '../../reference/dd.js';
import { BINS_PER_UNIT as BPU_IMPORT, NBINS as NBINS_IMPORT } from '../sampleScratch.js';
import { selectMass, topPSet } from '../topP.js';
import type { ChainConfig } from './options.js';
import type { Row } from './row.js';
import type { Stage } from './types.js';

// Module-local copies: a transpiler that turns imports into getter calls (tsx's CommonJS output)
// would otherwise call one per element in the binning loop, and that loop is the stage's cost.
const BINS_PER_UNIT = BPU_IMPORT;
const NBINS = NBINS_IMPORT;

/**
 * The last bin's mass in double-double (R.hi, R.lo), exact up to the final double-double
 * rounding: the bins kernel summed each of its float32 p into the float64 accumulator of its
 * exponent group (4 binades), where < 2^25 values of 24-bit significands spanning 28 bits sum
 * exactly in 53, in four tables (positions mod 4); the 256 sums add here in double-double.
 */
function lastBinSum(mass: Float64Array, nb: number): void {
  let h = 0;
  let l = 0;
  for (let j = 0; j < 4; j++) {
    const at = j * (nb + 64) + nb;
    for (let g = 0; g < 64; g++) {
      ddAdd(h, l, mass[at + g], 0);
      h = R.hi;
      l = R.lo;
    }
  }
  R.hi = h;
  R.lo = l;
}

/**
 * Top-p of a float32 row on the softmax kernel's probabilities: p = softmax(z) in one kernel pass
 * (within 2 ulp, shared with the draw through row.p32), then one row-kernel pass that bins
 * d = z_max − z (topP.ts's bins, 1/16 wide) and adds p to its bin's float64 sum. Those sums are
 * exact: the p of one bin b < NBINS − 1 lie within a factor e^(1/16)·(1 + 2^−21) < 2 of each
 * other, so their float32 significands add without rounding in 53 bits, in any order and in any
 * split (the kernel's four tables); the last bin, which spans any range, the kernel sums
 * by exponent group (lastBinSum). Both hold for rows below 2^25 entries (a vocabulary is far
 * below; the binades and the count share the 53 bits). The bins' cumulative mass in double-double up to the first bin reaching
 * need = topP·Σp, and selectMass (largest logits first, ties by lower id) inside that bin for the
 * rest of need. So the kept set's mass, summed from the same p, is ≥ topP·Σp, and dropping its
 * least probable token takes it below. Bins are monotone in z, so the kept set is every z above
 * the least selected logit z_t plus the ties at z_t up to the last selected position: one
 * threshold compaction (ids, z and p32) by the row kernels.
 */
function topPF32(row: Row, topP: number, minKeep: number): void {
  const n = row.n;
  const z = row.z as Float32Array;
  const s = row.scratch;
  const sp = row.space!;
  const k = row.k!;
  s.grow(n);
  const m = row.max();
  const p = row.softmax32();
  k.bins(z, p, n, m, BINS_PER_UNIT, NBINS, false, sp);
  const BIN = sp.bin;
  const binSum = sp.mass;
  const binH = s.cumH;
  const binL = s.cumL;
  for (let b = 0; b < NBINS - 1; b++) {
    binH[b] = binSum[b];
    binL[b] = 0;
  }
  lastBinSum(binSum, NBINS);
  binH[NBINS - 1] = R.hi;
  binL[NBINS - 1] = R.lo;
  let th = 0;
  let tl = 0;
  for (let b = 0; b < NBINS; b++) {
    ddAdd(th, tl, binH[b], binL[b]);
    th = R.hi;
    tl = R.lo;
  }
  ddMulD(th, tl, topP);
  const needH = R.hi;
  const needL = R.lo;
  let ch = 0;
  let cl = 0;
  let bStar = 0;
  for (; bStar < NBINS - 1; bStar++) {
    ddAdd(ch, cl, binH[bStar], binL[bStar]);
    if (R.hi > needH || (R.hi === needH && R.lo >= needL)) break;
    ch = R.hi;
    cl = R.lo;
  }
  const E = s.e;
  const KEEP = s.keep;
  const BUCKET = s.bucket;
  const nb = k.gatherBin(sp, p, n, bStar);
  const pos = sp.pos;
  for (let i = 0; i < nb; i++) {
    const c = pos[i];
    BUCKET[i] = c;
    E[c] = p[c];
    KEEP[c] = 0;
  }
  ddAdd(needH, needL, -ch, -cl);
  if (R.hi > 0 || (R.hi === 0 && R.lo > 0)) selectMass(s, nb, z, 0, 1, R.hi, R.lo);
  // The least selected logit and the last selected position holding it.
  let chosen = 0;
  let zt = Infinity;
  let ct = -1;
  for (let i = 0; i < nb; i++) {
    const c = BUCKET[i];
    if (KEEP[c] !== 1) continue;
    chosen++;
    if (z[c] < zt) {
      zt = z[c];
      ct = c;
    } else if (z[c] === zt) ct = c;
  }
  if (chosen === 0) {
    // Rare (rounding left the boundary bin without a selection): by marks.
    const mark = row.mark;
    for (let c = 0; c < n; c++) {
      const b = BIN[c];
      mark[c] = b < bStar || (b === bStar && p[c] > 0 && KEEP[c] === 1) ? 1 : 0;
    }
    row.keepMarked(minKeep);
    return;
  }
  // Fewer than minKeep kept: the minKeep most probable instead (a superset of the nucleus).
  row.keepThreshold(zt, ct, minKeep);
}

/**
 * Keeps the smallest set of the most probable candidates (largest logits; ties: lower ids first)
 * whose probability, renormalised over the candidates, is ≥ topP; at least minKeep. HF's
 * TopPLogitsWarper removes the tokens whose ascending cumulative mass is ≤ 1 − p, the same set
 * up to the rounding of its cumulative sum. Float32 rows take topPF32's path.
 */
export function topPStage(c: ChainConfig): Stage {
  const { topP, minKeep } = c;
  return {
    name: 'topP',
    active: topP < 1,
    apply(row: Row): void {
      if (row.f32) {
        topPF32(row, topP, minKeep);
        return;
      }
      const n = row.n;
      const s = row.scratch;
      s.grow(n);
      topPSet(s, row.z, 0, 1, n, row.max(), 1, topP);
      const mark = row.mark;
      mark.fill(0, 0, n);
      for (let i = 0; i < s.nKept; i++) mark[s.klist[i]] = 1;
      row.keepMarked(minKeep);
    },
  };
}
