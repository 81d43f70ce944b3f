// The 'js' backend: the reference kernels, plain TypeScript evaluated in double-double.
// It is the ground truth every other backend is tested against.

import type { Kernels } from './kernels.js';
import * as act from '../reference/activations.js';
import * as sm from '../reference/softmax.js';
import * as ce from '../reference/crossEntropy.js';
import * as bce from '../reference/binaryCrossEntropy.js';

export const jsKernels: Kernels = {
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
  nllLoss: ce.nllLoss,
  binaryCrossEntropy: bce.binaryCrossEntropy,
  binaryCrossEntropyWithLogits: bce.binaryCrossEntropyWithLogits,
};
