// sigmax: exact sigmoid, softmax and cross-entropy, forward and backward. The public API of the
// core entry point (README.md documents it); this entry point has no runtime dependencies.

export { SigmaxError, type SigmaxErrorCode } from './core/errors.js';
export {
  tensor,
  fromTfjs,
  type Tensor,
  type Input,
  type Out,
  type Output,
  type FloatArray,
  type IntArray,
  type NestedArray,
  type DimsTensor,
  type HalfTensor,
  type TfjsTensorLike,
  type Float16ArrayLike,
} from './core/tensor.js';
export type { HalfDtype } from './core/float16.js';
export {
  sigmoid,
  logSigmoid,
  softplus,
  sigmoidBackward,
  logSigmoidBackward,
  softplusBackward,
  type OutOptions,
  type SoftplusOptions,
} from './ops/activations.js';
export {
  softmax,
  logSoftmax,
  logSumExp,
  softmaxBackward,
  logSoftmaxBackward,
  softmaxJvp,
  softmaxJacobian,
  type AxisOptions,
  type MaskOptions,
  type SoftmaxOptions,
  type LogSumExpOptions,
} from './ops/softmax.js';
export {
  crossEntropy,
  crossEntropyBackward,
  crossEntropyWithGrad,
  nllLoss,
  nllLossBackward,
  nllLossWithGrad,
  type CrossEntropyOptions,
  type NllLossOptions,
  type Target,
  type LossValue,
} from './ops/crossEntropy.js';
export {
  binaryCrossEntropy,
  binaryCrossEntropyBackward,
  binaryCrossEntropyWithGrad,
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsBackward,
  binaryCrossEntropyWithLogitsWithGrad,
  type BinaryCrossEntropyOptions,
  type BinaryCrossEntropyWithLogitsOptions,
} from './ops/binaryCrossEntropy.js';
export {
  klDivergence,
  klDivergenceBackward,
  klDivergenceWithGrad,
  type KlDivergenceOptions,
  type KlReduction,
} from './ops/klDivergence.js';
export type { ReductionOptions, BackwardOptions, WithGradOptions, LossOutOptions, LossWithGrad } from './core/losses.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult, type ValueAndGrad } from './ops/gradcheck.js';
export { setBackend, getBackend, setThreads, getThreads, type BackendName } from './backend/index.js';
