// The wasm bindings of the softmax family: float32 rows along the last axis with temperature 1 on
// the SIMD row kernels (short rows four at a time), float64 rows on the fast float64 kernels when
// switched on; other axes, temperatures and ops (jvp, jacobian, logSoftmaxBackward) on the reference.

import type { FloatArray } from '../../../core/tensor.js';
import type { Layout } from '../../../core/shape.js';
import type { Kernels } from '../../kernels.js';
import { jsKernels } from '../../js.js';
import type { Part } from '../pool.js';
import { f32Rows, f64Rows, rowGroup, scratchPer } from '../paths.js';
import { type Elem, part, staged } from '../scheduler.js';

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

export const softmaxFamily: Pick<Kernels, 'softmax' | 'logSoftmax' | 'logSumExp' | 'softmaxBackward'> = {
  softmax(x, out, l, temperature, zero) {
    const z = zero ? 1 : 0;
    if (f64Rows(x, l) && temperature === 1) return rows('f64', x, out, l, l.size, (c, xo, oo) => part('softmaxF64', xo, oo, c, l.size, z));
    if (!f32Rows(x, l) || temperature !== 1) return jsKernels.softmax(x, out, l, temperature, zero);
    rows('f32', x, out, l, l.size, (c, xo, oo, so) => part('softmaxF32', xo, oo, so, c, l.size, z));
  },
  logSoftmax(x, out, l, temperature, zero) {
    const z = zero ? 1 : 0;
    if (f64Rows(x, l) && temperature === 1) return rows('f64', x, out, l, l.size, (c, xo, oo) => part('logSoftmaxF64', xo, oo, c, l.size, z));
    if (!f32Rows(x, l) || temperature !== 1) return jsKernels.logSoftmax(x, out, l, temperature, zero);
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
