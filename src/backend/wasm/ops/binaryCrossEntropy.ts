// The wasm binding of the fused binaryCrossEntropyWithLogits for float32: broadcast weights are
// read into float64 per element on the way in, per-element losses come back as float64 and are
// summed here in element order as a double-double; anything else on the reference.

import type { FloatArray } from '../../../core/tensor.js';
import type { BinaryLossArgs, Broadcast, DDSum, Kernels } from '../../kernels.js';
import { jsKernels } from '../../js.js';
import { R, ddAdd } from '../../../reference/dd.js';
import { broadcastIndex } from '../../../reference/binaryCrossEntropy.js';
import { type Stream, part, staged } from '../scheduler.js';

const f32OrNull = (v: FloatArray | null) => v === null || v instanceof Float32Array;

/** A weight broadcast over the input, element by element as float64 (an empty stream without one). */
function broadcast(b: Broadcast | null): Stream {
  return {
    data: b === null ? null : b.data,
    elem: 'f64',
    perRow: b === null ? 0 : 1,
    fill: (dst, i, r0, rows) => {
      for (let k = 0; k < rows; k++) dst[i + k] = (b as Broadcast).data[broadcastIndex(b as Broadcast, r0 + k)];
    },
  };
}

function binaryCrossEntropyWithLogits(a: BinaryLossArgs): DDSum {
  const x = a.input;
  if (!(x instanceof Float32Array) || !(a.target instanceof Float32Array) || !f32OrNull(a.lossOut) || !f32OrNull(a.grad) || x.length === 0) {
    return jsKernels.binaryCrossEntropyWithLogits(a);
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
      broadcast(a.weight),
      broadcast(a.posWeight),
      { data: a.gradScales, elem: 'f64', perRow: a.gradScales ? 1 : 0 },
    ],
    outputs: [
      { data: a.lossOut, elem: 'f64', perRow: 1 },
      { data: a.grad, elem: 'f32', perRow: a.grad ? 1 : 0 },
    ],
    part: (c, [xo, yo, wo, po, gso, lso, go]) =>
      part('bceWithLogitsF32', xo, yo, a.weight ? wo : 0, a.posWeight ? po : 0, lso, a.grad ? go : 0, c, a.gradScale, a.gradScales ? gso : 0, a.gradDivisor),
    afterChunk: (rt, rows, at) => {
      const f64 = rt.heap.f64;
      for (let k = 0, i = at[5] / 8; k < rows; k++) {
        ddAdd(th, tl, f64[i + k], 0);
        th = R.hi;
        tl = R.lo;
      }
    },
  });
  return { hi: th, lo: th === th ? tl : 0 };
}

export const binaryCrossEntropyFamily: Pick<Kernels, 'binaryCrossEntropyWithLogits'> = { binaryCrossEntropyWithLogits };
