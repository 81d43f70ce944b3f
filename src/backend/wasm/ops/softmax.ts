// The wasm bindings of the softmax family: float32 rows along the last axis with temperature 1 on
// the SIMD row kernels (short rows four at a time), float64 rows on the fast float64 kernels when
// switched on; other axes, temperatures and ops (jvp, jacobian, logSoftmaxBackward) on the reference.
// Float32 rows of LONG_N elements and more take the block path of longRows.ts (threads along a row).

import type { FloatArray } from '../../../core/tensor.js';
import type { Layout } from '../../../core/shape.js';
import type { Kernels } from '../../kernels.js';
import { jsKernels } from '../../js.js';
import type { Part } from '../pool.js';
import { f32Rows, f64Rows, rowGroup, scratchPer } from '../paths.js';
import { type Elem, part, staged } from '../scheduler.js';
import { blockScale, blocksPerRow, isLong, mergeRow, outputPass, row, rowLogSum, rowSum, statsPass } from './longRows.js';
import { R } from '../../../reference/dd.js';

/** A row kernel from rows of x to `outPerRow` results per row, with the float32 kernels' scratch. */
function rows(elem: Elem, x: FloatArray, out: FloatArray, l: Layout, outPerRow: number, call: (rows: number, xo: number, oo: number, scratch: number) => Part): void {
  const n = l.size;
  staged({
    rows: l.outer,
    n,
    group: rowGroup(n),
    inputs: [{ data: x, elem, perRow: n }],
    outputs: [{ data: out, elem, perRow: outPerRow }],
    scratch: elem === 'f32' ? scratchPer(n) : 0,
    part: (c, [xo, oo], so) => call(c, xo, oo, so),
  });
}

type LongOp = 'softmax' | 'logSoftmax' | 'logSumExp';

/** Float32 rows of LONG_N and more on the block path (longRows.ts); z: an all −∞ row gives 0 (−∞ for logSoftmax). */
function longRows(op: LongOp, x: Float32Array, out: FloatArray, l: Layout, z: boolean): void {
  const n = l.size;
  const nb = blocksPerRow(n);
  const keepE = op === 'softmax';
  staged({
    rows: l.outer,
    n,
    group: 1,
    inputs: [{ data: x, elem: 'f32', perRow: n }],
    outputs: [{ data: out, elem: 'f32', perRow: op === 'logSumExp' ? 1 : n }],
    // e (float64, softmax only), then 4 f64 of statistics and 2 of output parameters per block
    chunkScratch: (keepE ? n * 8 : 0) + nb * 48,
    chunk: (rt, _r0, rows, [xo, oo], sc) => {
      const items = rows * nb;
      const stats = sc + (keepE ? rows * n * 8 : 0);
      const params = stats + items * 32;
      statsPass(rt, xo, keepE ? sc : 0, stats, items, n, keepE);
      const f64 = rt.heap.f64;
      const s = stats / 8;
      const p = params / 8;
      for (let r = 0; r < rows; r++) {
        mergeRow(f64, s, r * nb, nb);
        const m = row.m;
        const finite = m === m && m !== Infinity && m !== -Infinity;
        if (op === 'logSumExp') {
          rt.heap.f32[oo / 4 + r] = finite ? m + rowLogSum() : m;
          continue;
        }
        // [a, b] per block: a NaN fills the block with b
        const fill = m === -Infinity ? (z ? (op === 'softmax' ? 0 : -Infinity) : NaN) : NaN;
        let sh = 0;
        let sl = 0;
        let lsum = 0;
        if (finite && op === 'softmax') {
          rowSum();
          sh = R.hi;
          sl = R.lo;
        } else if (finite) lsum = rowLogSum();
        for (let b = 0; b < nb; b++) {
          const q = p + 2 * (r * nb + b);
          if (!finite) {
            f64[q] = NaN;
            f64[q + 1] = fill;
          } else if (op === 'logSoftmax') {
            f64[q] = m;
            f64[q + 1] = lsum;
          } else if (row.factor[2 * b] === 0) {
            f64[q] = NaN;
            f64[q + 1] = 0;
          } else {
            f64[q] = blockScale(b, 1, sh, sl);
            f64[q + 1] = 0;
          }
        }
      }
      if (op === 'softmax') outputPass(rt, 'softmaxBlockScaleF32', sc, oo, params, items, n);
      else if (op === 'logSoftmax') outputPass(rt, 'logSoftmaxBlockShiftF32', xo, oo, params, items, n);
    },
    part: () => {
      throw new Error('sigmax: the block path runs whole chunks');
    },
  });
}

export const softmaxFamily: Pick<Kernels, 'softmax' | 'logSoftmax' | 'logSumExp' | 'softmaxBackward'> = {
  softmax(x, out, l, temperature, zero) {
    const z = zero ? 1 : 0;
    if (f64Rows(x, l) && temperature === 1) return rows('f64', x, out, l, l.size, (c, xo, oo) => part('softmaxF64', xo, oo, c, l.size, z));
    if (!f32Rows(x, l) || temperature !== 1) return jsKernels.softmax(x, out, l, temperature, zero);
    if (isLong(l.size)) return longRows('softmax', x, out, l, zero);
    rows('f32', x, out, l, l.size, (c, xo, oo, so) => part('softmaxF32', xo, oo, so, c, l.size, z));
  },
  logSoftmax(x, out, l, temperature, zero) {
    const z = zero ? 1 : 0;
    if (f64Rows(x, l) && temperature === 1) return rows('f64', x, out, l, l.size, (c, xo, oo) => part('logSoftmaxF64', xo, oo, c, l.size, z));
    if (!f32Rows(x, l) || temperature !== 1) return jsKernels.logSoftmax(x, out, l, temperature, zero);
    if (isLong(l.size)) return longRows('logSoftmax', x, out, l, zero);
    rows('f32', x, out, l, l.size, (c, xo, oo, so) => part('logSoftmaxF32', xo, oo, so, c, l.size, z));
  },
  logSumExp(x, out, l) {
    if (f64Rows(x, l)) {
      rows('f64', x, out, l, 1, (c, xo, oo) => part('logSumExpF64', xo, oo, c, l.size));
      // max + log S cancels where the result is small next to log S (≤ log n), e.g. the
      // logSumExp of log-probabilities, ≈ 0: those rows are recomputed by the reference
      const small = 0.5 * Math.log(l.size);
      for (let r = 0; r < l.outer; r++) {
        if (Math.abs(out[r]) < small) jsKernels.logSumExp(x.subarray(r * l.size, (r + 1) * l.size), out.subarray(r, r + 1), { outer: 1, size: l.size, inner: 1 });
      }
      return;
    }
    if (!f32Rows(x, l)) return jsKernels.logSumExp(x, out, l);
    if (isLong(l.size)) return longRows('logSumExp', x, out, l, false);
    rows('f32', x, out, l, 1, (c, xo, oo, so) => part('logSumExpF32', xo, oo, so, c, l.size));
  },
  softmaxBackward(dy, y, out, l) {
    if (!f32Rows(y, l)) return jsKernels.softmaxBackward(dy, y, out, l);
    const n = l.size;
    staged({
      rows: l.outer,
      n,
      group: 1,
      inputs: [{ data: dy, elem: 'f32', perRow: n }, { data: y, elem: 'f32', perRow: n }],
      outputs: [{ data: out, elem: 'f32', perRow: n }],
      part: (c, [go, yo, oo]) => part('softmaxBackwardF32', go, yo, oo, c, n),
    });
  },
};
