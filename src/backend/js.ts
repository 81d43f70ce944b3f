// The 'js' backend: the reference kernels, plain TypeScript evaluated in double-double.
// It is the ground truth every other backend is tested against.

import type { Kernels } from './kernels.js';
import { traceKernel } from './trace.js';
import * as act from '../reference/activations.js';
import * as sm from '../reference/softmax.js';
import * as ce from '../reference/crossEntropy.js';
import * as bce from '../reference/binaryCrossEntropy.js';
import * as kl from '../reference/klDivergence.js';
import { gemm } from '../reference/gemm.js';

const reference: Kernels = {
  name: 'js',
  sigmoid: act.sigmoid,
  logSigmoid: act.logSigmoid,
  softplus: act.softplus,
  sigmoidBackward: act.sigmoidBackward,
  logSigmoidBackward: act.logSigmoidBackward,
  softplusBackward: act.softplusBackward,
  softmax: sm.softmax,
  logSoftmax: sm.logSoftmax,
  logSumExp: sm.logSumExp,
  softmaxBackward: sm.softmaxBackward,
  logSoftmaxBackward: sm.logSoftmaxBackward,
  softmaxJvp: sm.softmaxJvp,
  softmaxJacobian: sm.softmaxJacobian,
  crossEntropy: ce.crossEntropy,
  softmaxStats: sm.softmaxStats,
  crossEntropyFromStats: ce.crossEntropyFromStats,
  crossEntropyGradFromStats: ce.crossEntropyGradFromStats,
  statsTile: (length) => new Float64Array(length),
  releaseStatsTile: () => {},
  nllLoss: ce.nllLoss,
  binaryCrossEntropy: bce.binaryCrossEntropy,
  binaryCrossEntropyWithLogits: bce.binaryCrossEntropyWithLogits,
  klDivergence: kl.klDivergence,
  gemm: (g) => gemm(g.M, g.N, g.K, g.a, g.b, g.c, g.cOff, g.ldc, g.accumulate),
};

/** Each reference kernel, recorded as `js:<name>` for sigmax/debug's traceKernels. */
function traced(k: Kernels): Kernels {
  const out: Record<string, unknown> = { name: k.name };
  for (const [name, f] of Object.entries(k)) {
    if (typeof f !== 'function') continue;
    const tag = `js:${name}`;
    out[name] = (...args: unknown[]) => {
      traceKernel(tag);
      return (f as (...a: unknown[]) => unknown)(...args);
    };
  }
  return out as unknown as Kernels;
}

// statsTile and releaseStatsTile hand out memory rather than compute: left out of the trace
export const jsKernels: Kernels = { ...traced(reference), statsTile: reference.statsTile, releaseStatsTile: reference.releaseStatsTile };
