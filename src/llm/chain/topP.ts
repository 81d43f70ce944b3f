// Top-p (nucleus) through the existing exact engine (src/llm/topP.ts): a histogram of the logits
// and exps only where the decision needs them; the kept mass is ≥ p exactly.

import { R, ddAdd, ddMulD } from '../../reference/dd.js';
import { BINS_PER_UNIT, NBINS } from '../sampleScratch.js';
import { selectMass, topPSet } from '../topP.js';
import type { ChainConfig } from './options.js';
import type { Row } from './row.js';
import type { Stage } from './types.js';

const binSum = new Float64Array(NBINS);
const binComp = new Float64Array(NBINS);

/**
 * Top-p of a float32 row on the wasm kernel's probabilities: p = softmax(z) in one kernel pass
 * (within 2 ulp), a histogram of d = z_max − z (topP.ts's bins, 1/16 wide) whose per-bin masses
 * are Kahan sums of p, the bins' cumulative mass in double-double up to the first bin reaching
 * need = topP·Σp, and selectMass (largest logits first, ties by lower id) inside that bin for
 * the rest of need. So the kept set's mass, summed from the same p, is ≥ topP·Σp, and dropping
 * its least probable token takes it below.
 */
function topPF32(row: Row, topP: number, minKeep: number): void {
  const n = row.n;
  const z = row.z;
  const s = row.scratch;
  s.grow(n);
  const p = row.softmax32();
  const m = row.max();
  const BIN = s.binIdx;
  binSum.fill(0);
  binComp.fill(0);
  for (let c = 0; c < n; c++) {
    // Math.min first: the scaled gap is +∞ for a −∞ logit, which `| 0` would turn into 0.
    const b = Math.min((m - z[c]) * BINS_PER_UNIT, NBINS - 1) | 0;
    BIN[c] = b;
    const y = p[c] - binComp[b];
    const t = binSum[b] + y;
    binComp[b] = t - binSum[b] - y;
    binSum[b] = t;
  }
  let th = 0;
  let tl = 0;
  for (let b = 0; b < NBINS; b++) {
    ddAdd(th, tl, binSum[b], -binComp[b]);
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
    ddAdd(ch, cl, binSum[bStar], -binComp[bStar]);
    if (R.hi > needH || (R.hi === needH && R.lo >= needL)) break;
    ch = R.hi;
    cl = R.lo;
  }
  const E = s.e;
  const KEEP = s.keep;
  const BUCKET = s.bucket;
  let nb = 0;
  for (let c = 0; c < n; c++) {
    if (BIN[c] !== bStar || !(p[c] > 0)) continue;
    BUCKET[nb++] = c;
    E[c] = p[c];
    KEEP[c] = 0;
  }
  ddAdd(needH, needL, -ch, -cl);
  if (R.hi > 0 || (R.hi === 0 && R.lo > 0)) selectMass(s, nb, z, 0, 1, R.hi, R.lo);
  const mark = row.mark;
  for (let c = 0; c < n; c++) {
    const b = BIN[c];
    mark[c] = b < bStar || (b === bStar && p[c] > 0 && KEEP[c] === 1) ? 1 : 0;
  }
  row.keepMarked(minKeep);
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
