// The shared shape of the elementwise float32 loss bindings (binaryCrossEntropyWithLogits,
// klDivergence): input and target element by element, extra per-element inputs, a float64 loss
// region and a float32 gradient; the per-element losses are summed here, on the calling thread,
// in element order, as a double-double, so the total is the same bits for any thread count.

import type { FloatArray } from '../../../core/tensor.js';
import type { DDSum } from '../../kernels.js';
import { R, ddAdd } from '../../../reference/dd.js';
import type { Part } from '../pool.js';
import { type Stream, staged } from '../scheduler.js';

/** The arrays of an elementwise loss call. */
export interface ElementwiseLoss {
  readonly input: Float32Array;
  readonly target: Float32Array;
  readonly lossOut: FloatArray | null;
  readonly grad: FloatArray | null;
  readonly gradScales: FloatArray | null;
}

/** Byte offsets of one part's arrays (0 for an absent gradient or gradScales). */
export interface LossOffsets {
  readonly x: number;
  readonly y: number;
  /** The extra inputs, in order. */
  readonly extra: readonly number[];
  readonly gradScales: number;
  readonly loss: number;
  readonly grad: number;
}

/** Whether a loss's optional outputs suit the float32 kernels (absent, or float32). */
export const f32OrNull = (v: FloatArray | null): boolean => v === null || v instanceof Float32Array;

/** Runs `call` over every element and returns the sum of the losses. */
export function elementwiseLoss(a: ElementwiseLoss, extra: readonly Stream[], call: (n: number, at: LossOffsets) => Part): DDSum {
  let th = 0;
  let tl = 0;
  const k = extra.length;
  staged({
    rows: a.input.length,
    n: 1,
    group: 4,
    inputs: [
      { data: a.input, elem: 'f32', perRow: 1 },
      { data: a.target, elem: 'f32', perRow: 1 },
      ...extra,
      { data: a.gradScales, elem: 'f64', perRow: a.gradScales ? 1 : 0 },
    ],
    outputs: [
      { data: a.lossOut, elem: 'f64', perRow: 1 },
      { data: a.grad, elem: 'f32', perRow: a.grad ? 1 : 0 },
    ],
    part: (c, at) =>
      call(c, { x: at[0], y: at[1], extra: at.slice(2, 2 + k), gradScales: a.gradScales ? at[2 + k] : 0, loss: at[3 + k], grad: a.grad ? at[4 + k] : 0 }),
    afterChunk: (rt, rows, at) => {
      const f64 = rt.heap.f64;
      for (let j = 0, i = at[3 + k] / 8; j < rows; j++) {
        ddAdd(th, tl, f64[i + j], 0);
        th = R.hi;
        tl = R.lo;
      }
    },
  });
  // a non-finite total keeps lo = 0
  return { hi: th, lo: th - th === 0 ? tl : 0 };
}
