// The wasm binding of the fused cross-entropy: float32 logits along the last axis on the SIMD
// kernels (class indices, probability targets, label smoothing), float64 rows with class indices
// on the fast float64 kernel when switched on; anything else (and nllLoss) on the reference.
// Per-row losses come back as float64 and are summed on this thread in row order (ddSumF64), so
// the total is the same bits for any split across threads. Rows of LONG_N and more with class
// indices (no smoothing) take the block path of longRows.ts, so one long row uses every thread.

import type { ClassLossArgs, DDSum, Kernels } from '../../kernels.js';
import { jsKernels } from '../../js.js';
import { f32Rows, f64Rows, rowGroup, scratchPer } from '../paths.js';
import { type Elem, type Fixed, type Stream, part, staged } from '../scheduler.js';
import { f32OrNull } from './elementwiseLoss.js';
import { BLOCK, blockScale, blocksPerRow, isLong, mergeRow, outputPass, row, rowLogSum, rowSum, statsPass } from './longRows.js';
import { R, ddDiv, ddMul } from '../../../reference/dd.js';

function crossEntropy(a: ClassLossArgs): DDSum {
  const x = a.input;
  const l = a.layout;
  // the kernels read targets and ignoreIndex as int32
  const int32 = a.ignoreIndex === (a.ignoreIndex | 0);
  const hard = a.probs === null && a.labelSmoothing === 0;
  if (f64Rows(x, l) && hard && int32 && !(a.lossOut instanceof Float32Array) && !(a.grad instanceof Float32Array)) return run(a, 'f64');
  if (!f32Rows(x, l) || !f32OrNull(a.probs) || !f32OrNull(a.lossOut) || !f32OrNull(a.grad) || !int32) return jsKernels.crossEntropy(a);
  if (hard && isLong(l.size)) return runLong(a, x);
  return run(a, 'f32');
}

/** Float32 rows of LONG_N and more with class indices on the block path: the row kernel's loss and gradient, block by block. */
function runLong(a: ClassLossArgs, x: Float32Array): DDSum {
  const n = a.layout.size;
  const nb = blocksPerRow(n);
  const idx = a.index as ArrayLike<number>;
  const w = a.classWeight;
  const gs = a.gradScales;
  const grad = a.grad !== null;
  let hi = 0;
  let lo = 0;
  staged({
    rows: a.layout.outer,
    n,
    group: 1,
    inputs: [{ data: x, elem: 'f32', perRow: n }],
    outputs: [{ data: a.lossOut, elem: 'f64', perRow: 1 }, { data: a.grad, elem: 'f32', perRow: grad ? n : 0 }],
    fixed: [{ bytes: 16, init: (rt, at) => rt.heap.f64.fill(0, at / 8, at / 8 + 2) }],
    // e (float64, with a gradient), then 4 f64 of statistics and 2 of output parameters per block
    chunkScratch: (grad ? n * 8 : 0) + nb * 48,
    chunk: (rt, r0, rows, [xo, lso, go], sc, [acc]) => {
      const items = rows * nb;
      const stats = sc + (grad ? rows * n * 8 : 0);
      const params = stats + items * 32;
      statsPass(rt, xo, grad ? sc : 0, stats, items, n);
      const f64 = rt.heap.f64;
      const s = stats / 8;
      const p = params / 8;
      // the target's gradient entry, −g·(1 − p_t), written after the output pass: row, value
      const fix: number[] = [];
      for (let r = 0; r < rows; r++) {
        const t = idx[r0 + r];
        let loss = 0;
        let fill = 0;
        let g = 0;
        let sh = 0;
        let sl = 0;
        if (t !== a.ignoreIndex) {
          const wt = w ? w[t] : 1.0;
          mergeRow(f64, s, r * nb, nb);
          const m = row.m;
          if (m !== m || m === Infinity || m === -Infinity) {
            loss = NaN;
            fill = NaN;
          } else {
            loss = wt * (rowLogSum() - (x[(r0 + r) * n + t] - m));
            if (grad) {
              g = (a.gradScale * (gs ? gs[r0 + r] : 1.0) * wt) / a.gradDivisor;
              rowSum();
              sh = R.hi;
              sl = R.lo;
              const et = f64[sc / 8 + r * n + t];
              const b = Math.floor(t / BLOCK);
              let oneMinusPt: number;
              // 1 − p_t without cancellation: for the only max, rest/S
              if (x[(r0 + r) * n + t] === m && row.k === 1) {
                ddDiv(row.restHi, row.restLo, sh, sl);
                oneMinusPt = R.hi + R.lo;
              } else {
                ddMul(et * row.g[b], 0, row.factor[2 * b], row.factor[2 * b + 1]);
                ddDiv(R.hi, R.lo, sh, sl);
                oneMinusPt = 1.0 - (R.hi + R.lo);
              }
              fix.push(r * n + t, -g * oneMinusPt);
            }
          }
        }
        f64[lso / 8 + r] = loss;
        if (!grad) continue;
        const finite = loss === loss && t !== a.ignoreIndex;
        for (let b = 0; b < nb; b++) {
          const q = p + 2 * (r * nb + b);
          if (!finite || row.factor[2 * b] === 0) {
            f64[q] = NaN;
            f64[q + 1] = finite ? 0 : fill;
          } else {
            f64[q] = blockScale(b, g, sh, sl);
            f64[q + 1] = 0;
          }
        }
      }
      if (grad) {
        outputPass(rt, 'softmaxBlockScaleF32', sc, go, params, items, n);
        const f32 = rt.heap.f32;
        for (let k = 0; k < fix.length; k += 2) f32[go / 4 + fix[k]] = fix[k + 1];
      }
      rt.exports.ddSumF64(lso, rows, acc);
      hi = f64[acc / 8];
      lo = f64[acc / 8 + 1];
    },
    part: () => {
      throw new Error('sigmax: the block path runs whole chunks');
    },
  });
  return { hi, lo: hi === hi ? lo : 0 };
}

function run(a: ClassLossArgs, elem: Elem): DDSum {
  const n = a.layout.size;
  const w = a.classWeight;
  const inputs: Stream[] = [
    { data: a.input, elem, perRow: n },
    { data: a.index, elem: 'i32', perRow: 1 },
    { data: a.probs, elem, perRow: a.probs ? n : 0 },
    { data: a.gradScales, elem: 'f64', perRow: a.gradScales ? 1 : 0 },
  ];
  const outputs: Stream[] = [
    { data: a.lossOut, elem: 'f64', perRow: 1 },
    { data: a.grad, elem, perRow: a.grad ? n : 0 },
  ];
  const fixed: Fixed[] = [
    { bytes: w ? n * 8 : 0, init: (rt, at) => w && rt.heap.f64.set(w, at / 8) },
    { bytes: 16, init: (rt, at) => rt.heap.f64.fill(0, at / 8, at / 8 + 2) },
  ];
  let hi = 0;
  let lo = 0;
  const soft = a.probs !== null || a.labelSmoothing !== 0;
  staged({
    rows: a.layout.outer,
    n,
    group: rowGroup(n),
    inputs,
    outputs,
    fixed,
    scratch: elem === 'f32' ? scratchPer(n) : 0,
    part: (c, [xo, to, po, gso, lso, go], so, [wo]) => {
      const [wAt, gAt, gsAt] = [w ? wo : 0, a.grad ? go : 0, a.gradScales ? gso : 0];
      if (elem === 'f64') return part('crossEntropyF64', xo, to, c, n, wAt, a.ignoreIndex, lso, gAt, a.gradScale, gsAt, a.gradDivisor);
      return soft
        ? part('crossEntropySoftF32', xo, to, a.probs ? po : 0, c, n, wAt, a.ignoreIndex, a.labelSmoothing, lso, gAt, a.gradScale, gsAt, a.gradDivisor, so)
        : part('crossEntropyF32', xo, to, c, n, wAt, a.ignoreIndex, lso, gAt, a.gradScale, gsAt, a.gradDivisor, so);
    },
    afterChunk: (rt, rows, at, [, acc]) => {
      rt.exports.ddSumF64(at[4], rows, acc);
      hi = rt.heap.f64[acc / 8];
      lo = rt.heap.f64[acc / 8 + 1];
    },
  });
  // a non-finite total keeps lo = 0
  return { hi, lo: hi === hi ? lo : 0 };
}

export const crossEntropyFamily: Pick<Kernels, 'crossEntropy'> = { crossEntropy };
