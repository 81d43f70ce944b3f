// The wasm binding of the fused binaryCrossEntropyWithLogits for float32: broadcast weights are
// read into float64 per element on the way in, per-element losses summed in element order
// (ops/elementwiseLoss.ts); anything else on the reference.

import type { BinaryLossArgs, Broadcast, DDSum, Kernels } from '../../kernels.js';
import { jsKernels } from '../../js.js';
import { broadcastIndex } from '../../../reference/binaryCrossEntropy.js';
import { type Stream, part } from '../scheduler.js';
import { elementwiseLoss, f32OrNull } from './elementwiseLoss.js';

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
  const y = a.target;
  if (!(x instanceof Float32Array) || !(y instanceof Float32Array) || !f32OrNull(a.lossOut) || !f32OrNull(a.grad) || x.length === 0) {
    return jsKernels.binaryCrossEntropyWithLogits(a);
  }
  return elementwiseLoss({ ...a, input: x, target: y }, [broadcast(a.weight), broadcast(a.posWeight)], (c, at) => {
    const [wo, po] = at.extra;
    return part('bceWithLogitsF32', at.x, at.y, a.weight ? wo : 0, a.posWeight ? po : 0, at.loss, at.grad, c, a.gradScale, at.gradScales, a.gradDivisor);
  });
}

export const binaryCrossEntropyFamily: Pick<Kernels, 'binaryCrossEntropyWithLogits'> = { binaryCrossEntropyWithLogits };
