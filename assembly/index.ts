// The fast kernels' exports: every function takes byte offsets into the module's (imported)
// memory that the JS side (src/backend/wasm/) manages; nothing here allocates. The build
// (scripts/build-wasm.mjs) reads this list and the signatures to generate the typed
// WasmExports interface of src/backend/wasm/exports.ts.
export { sigmoidF32, sigmoidBackwardF32, logSigmoidF32, softplusF32, logSigmoidBackwardF32, softplusBackwardF32, sigmoidF64 } from './ops/activations';
export { softmaxF32, logSoftmaxF32, logSumExpF32, softmaxBackwardF32 } from './ops/softmax';
export { softmaxBlockStatsF32, softmaxBlockScaleF32, logSoftmaxBlockShiftF32 } from './ops/softmax';
export { softmaxF64, logSoftmaxF64, logSumExpF64 } from './ops/softmaxF64';
export { crossEntropyF32, crossEntropySoftF32, crossEntropyF64 } from './ops/crossEntropy';
export { bceWithLogitsF32 } from './ops/binaryCrossEntropy';
export { klDivergenceF32 } from './ops/klDivergence';
export { ddSumF64 } from './ops/sum';
export { gemmF32, gemmF64, gemmScratch } from './ops/gemm';
export { statsRowsF64, gradRowsF64 } from './ops/rowStats';
export { sampleMaxF32, sampleFirstEqF32, sampleDivF32, sampleEntropyF32, sampleAbsDevMaxF32, sampleBinsF32, sampleGatherBinF32, sampleCountF32, sampleCountRangeF32, sampleKeepF32, sampleKeepRangeF32, sampleDrawF32, sampleDrawSum, sampleKthLargestF32, sampleGatherF32, sampleRemoveF32, sampleMomentF32 } from './ops/sampling';

/** The end of the module's static data (its math tables): the JS side keeps its own control block above it. */
export function dataEnd(): usize {
  return __heap_base;
}
