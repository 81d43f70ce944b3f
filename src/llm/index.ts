// sigmax/llm: the large-vocabulary ops. Fused linear cross-entropy without materialised logits,
// mergeable softmax statistics, a vocabulary-parallel pool over worker threads (Node), token
// sampling and the decoding chain (processLogits, createSampler), and the matrix product they share. Math: docs/math.md#large-vocabularies.

export {
  linearCrossEntropy,
  type LinearCrossEntropyOptions,
  type LinearCrossEntropyResult,
} from './linearCrossEntropy.js';
export {
  softmaxStats,
  mergeSoftmaxStats,
  logSumExpFromStats,
  emptySoftmaxStats,
  type SoftmaxStats,
  type SoftmaxStatsOptions,
} from './softmaxStats.js';
export { createVocabParallelPool, type VocabParallelPool, type VocabParallelOptions } from './vocabParallel.js';
export { sample, samplingSet, logProbs, createRng, type SampleOptions, type Rng } from './sample.js';
export { processLogits, createSampler, type Sampler, type SampleStep, type History } from './decode.js';
export { LLAMA_CPP_ORDER, HF_ORDER, type DecodeOptions, type LogProbOptions, type TokenIds } from './chain/options.js';
export type { StageName } from './chain/types.js';
export { matmul, type MatmulOptions } from './matmul.js';
export { sigmaxLogitsProcessor, type TransformersProcessorOptions, type SigmaxProcessorState, type LogitsProcessorClass, type TransformersTensorLike } from './adapters/transformersjs.js';
export { WebLlmLogitProcessor, type WebLlmProcessorOptions, type WebLlmLogitProcessorLike } from './adapters/webllm.js';
export { createOrtDecoder, type OrtDecoder, type OrtTensorLike } from './adapters/onnxruntime.js';
