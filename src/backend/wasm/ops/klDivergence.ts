// The wasm binding of the fused klDivergence for float32: per-element losses come back as float64
// and are summed here in element order as a double-double, so the total does not depend on the
// thread count; float64 and anything else on the reference.

import type { FloatArray } from '../../../core/tensor.js';
import type { DDSum, KlDivergenceArgs, Kernels } from '../../kernels.js';
import { jsKernels } from '../../js.js';
import { R, ddAdd } from '../../../reference/dd.js';
import { part, staged } from '../scheduler.js';

const f32OrNull = (v: FloatArray | null) => v === null || v instanceof Float32Array;

function klDivergence(a: KlDivergenceArgs): DDSum {
  const x = a.input;
  if (!(x instanceof Float32Array) || !(a.target instanceof Float32Array) || !f32OrNull(a.lossOut) || !f32OrNull(a.grad) || x.length === 0) {
    return jsKernels.klDivergence(a);
  }
  let th = 0;
  let tl = 0;
  staged({
    rows: x.length,
    n: 1,
    group: 4,
    inputs: [
      { data: x, elem: 'f32', perRow: 1 },
      { data: a.target, elem: 'f32', perRow: 1 },
      { data: a.gradScales, elem: 'f64', perRow: a.gradScales ? 1 : 0 },
    ],
    outputs: [
      { data: a.lossOut, elem: 'f64', perRow: 1 },
      { data: a.grad, elem: 'f32', perRow: a.grad ? 1 : 0 },
    ],
    part: (c, [xo, yo, gso, lso, go]) =>
      part('klDivergenceF32', xo, yo, a.logTarget ? 1 : 0, lso, a.grad ? go : 0, c, a.gradScale, a.gradScales ? gso : 0, a.gradDivisor),
    afterChunk: (rt, rows, at) => {
      const f64 = rt.heap.f64;
      for (let k = 0, i = at[3] / 8; k < rows; k++) {
        ddAdd(th, tl, f64[i + k], 0);
        th = R.hi;
        tl = R.lo;
      }
    },
  });
  return { hi: th, lo: th - th === 0 ? tl : 0 };
}

export const klDivergenceFamily: Pick<Kernels, 'klDivergence'> = { klDivergence };
