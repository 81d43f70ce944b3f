// sigmax/train: classifiers trained with sigmax's own losses and gradients (p − y, σ(z) − y),
// optimizers, seeded data handling and character-level name models. Dependency-free and runs
// anywhere; the dataset loaders and the experiments of `sigmax train` live in sigmax-cli.

export { Rng } from './rng.js';
export {
  type Matrix,
  type DenseMatrix,
  type SparseMatrix,
  type Features,
  denseMatrix,
  SparseBuilder,
  selectRows,
  toMatrix,
  range,
  affineRows,
  addInputGrad,
} from './matrix.js';
export { type Dataset, type SplitOptions, dataset, subset, splitIndices, trainTestSplit, Standardizer } from './data.js';
export { type Param, type Optimizer, type OptimizerSpec, type SGDOptions, type AdamOptions, SGD, Adam, createOptimizer } from './optim.js';
export {
  type Trainable,
  type FitOptions,
  type FitAsyncOptions,
  type EarlyStoppingOptions,
  type EpochLog,
  type BatchLog,
  type History,
  Trainer,
  fit,
  fitAsync,
} from './fit.js';
export { type Evaluation, confusionMatrix, accuracy } from './metrics.js';
export type { Activation, Head } from './network.js';
export {
  type ModelJSON,
  type ModelType,
  type LinearOptions,
  type MLPOptions,
  type AnyClassifier,
  Classifier,
  LogisticRegression,
  SoftmaxRegression,
  MLP,
  loadModel,
  MAX_MODEL_SIZE,
  MAX_MODEL_WEIGHTS,
} from './models.js';
export {
  ALPHABET,
  SYMBOLS,
  BOUNDARY,
  type BigramFitOptions,
  BigramLM,
  encodeName,
  countEvents,
  bigramCounts,
  bigramProbabilities,
  bigramTableLoss,
  contextDataset,
  sampleNames,
  splitNames,
} from './charlm.js';
