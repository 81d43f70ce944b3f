// The wasm bindings of the elementwise activations: float32 sigmoid and sigmoidBackward on the
// SIMD kernels, logSigmoid, softplus and their backwards on the float64 scalar kernels, float64
// sigmoid on the fast float64 kernel when switched on; anything else on the reference.

import type { FloatArray } from '../../../core/tensor.js';
import type { Kernels } from '../../kernels.js';
import { jsKernels } from '../../js.js';
import type { Part } from '../pool.js';
import { fastFloat64 } from '../paths.js';
import { type Elem, part, staged } from '../scheduler.js';

/** An elementwise kernel over arrays of one element type, in SIMD vectors of 4 (only the last part has a tail). */
function elementwise(elem: Elem, inputs: FloatArray[], out: FloatArray, call: (n: number, at: readonly number[]) => Part): void {
  staged({
    rows: out.length,
    n: 1,
    group: 4,
    inputs: inputs.map((data) => ({ data, elem, perRow: 1 })),
    outputs: [{ data: out, elem, perRow: 1 }],
    part: (n, at) => call(n, at),
  });
}

const isF32 = (x: FloatArray): x is Float32Array => x instanceof Float32Array && x.length > 0;

export const activations: Pick<Kernels, 'sigmoid' | 'sigmoidBackward' | 'logSigmoid' | 'softplus' | 'logSigmoidBackward' | 'softplusBackward'> = {
  sigmoid(x, out) {
    if (fastFloat64() && x instanceof Float64Array && x.length > 0) return elementwise('f64', [x], out, (n, [xo, oo]) => part('sigmoidF64', xo, oo, n));
    if (!isF32(x)) return jsKernels.sigmoid(x, out);
    elementwise('f32', [x], out, (n, [xo, oo]) => part('sigmoidF32', xo, oo, n));
  },
  sigmoidBackward(dy, x, out) {
    if (!isF32(x)) return jsKernels.sigmoidBackward(dy, x, out);
    elementwise('f32', [dy, x], out, (n, [go, xo, oo]) => part('sigmoidBackwardF32', go, xo, oo, n));
  },
  logSigmoid(x, out) {
    if (!isF32(x)) return jsKernels.logSigmoid(x, out);
    elementwise('f32', [x], out, (n, [xo, oo]) => part('logSigmoidF32', xo, oo, n));
  },
  softplus(x, out, beta, threshold) {
    if (!isF32(x)) return jsKernels.softplus(x, out, beta, threshold);
    elementwise('f32', [x], out, (n, [xo, oo]) => part('softplusF32', xo, oo, n, beta, threshold));
  },
  logSigmoidBackward(dy, x, out) {
    if (!isF32(x)) return jsKernels.logSigmoidBackward(dy, x, out);
    elementwise('f32', [dy, x], out, (n, [go, xo, oo]) => part('logSigmoidBackwardF32', go, xo, oo, n));
  },
  softplusBackward(dy, x, out, beta, threshold) {
    if (!isF32(x)) return jsKernels.softplusBackward(dy, x, out, beta, threshold);
    elementwise('f32', [dy, x], out, (n, [go, xo, oo]) => part('softplusBackwardF32', go, xo, oo, n, beta, threshold));
  },
};
