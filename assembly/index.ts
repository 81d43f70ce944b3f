// The fast kernels' exports: every function takes byte offsets into the module's (imported)
// memory that the JS side (src/backend/wasm.ts) manages; nothing here allocates.
export { softmaxF32, logSoftmaxF32, logSumExpF32 } from './ops/softmax';
export { sigmoidF32 } from './ops/sigmoid';
export { crossEntropyF32, crossEntropySoftF32 } from './ops/crossEntropy';
export { sigmoidBackwardF32, softmaxBackwardF32 } from './ops/backward';
export { logSigmoidF32, softplusF32, logSigmoidBackwardF32, softplusBackwardF32, bceWithLogitsF32 } from './ops/activations';
export { ddSumF64 } from './ops/sum';
export { softmaxF64, logSoftmaxF64, logSumExpF64, expD } from './ops/softmaxF64';
export { sigmoidF64 } from './ops/sigmoid';
export { crossEntropyF64 } from './ops/crossEntropy';
