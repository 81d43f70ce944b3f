// The experiments behind `sigmax train` and `sigmax demo`, shared with the tests that check the
// acceptance figures: seeded splits, preprocessing, default hyper-parameters, training and the
// figures reported (losses in nats, accuracies, confusion matrices, sampled names).

import { loadIris, loadNames, loadSpam } from './datasets/index.js';
import {
  ALPHABET, BigramLM, LogisticRegression, MLP, Rng, SoftmaxRegression, Standardizer, SYMBOLS, bigramCounts, bigramProbabilities, bigramTableLoss,
  contextDataset, countEvents, createOptimizer, sampleNames, splitNames, trainTestSplit,
  type Activation, type AnyClassifier, type BatchLog, type Dataset, type EpochLog, type History, type OptimizerSpec,
} from 'sigmax/train';

export type TaskName = 'iris' | 'spam' | 'names';
export type TaskModel = 'softmax' | 'logistic' | 'mlp' | 'bigram';

/** The models each dataset can train, the first being its default. */
export const TASK_MODELS: Record<TaskName, readonly TaskModel[]> = {
  iris: ['softmax', 'mlp'],
  spam: ['logistic', 'softmax', 'mlp'],
  names: ['bigram', 'mlp'],
};

export interface TaskOptions {
  model?: TaskModel;
  /** Seeds the splits, the initial weights, the shuffles and the samples (default 42). */
  seed?: number;
  /** Epochs (full-batch steps for the bigram model). */
  epochs?: number;
  lr?: number;
  optimizer?: 'sgd' | 'adam';
  /** SGD momentum (default 0.9 when the optimizer is SGD). */
  momentum?: number;
  weightDecay?: number;
  batchSize?: number;
  /** Early-stopping patience in epochs. */
  patience?: number;
  /** MLP hidden layer sizes (one or two). */
  hidden?: readonly number[];
  activation?: Activation;
  /** Bigram add-α smoothing (default 1). */
  smoothing?: number;
  /** Names to sample from a names model (default 10). */
  samples?: number;
  /** Hash buckets of the spam features, as log2 (default 16). */
  hashBits?: number;
  signal?: AbortSignal;
  onEpoch?: (log: EpochLog) => void;
  onBatch?: (log: BatchLog) => void;
}

export interface TaskResult {
  dataset: TaskName;
  model: TaskModel;
  sizes: { train: number; validation: number; test: number };
  history: History;
  /** Loss on the training set with the final weights (a full pass), nats. */
  trainLoss: number;
  validationLoss: number;
  testLoss: number;
  testAccuracy: number;
  confusionMatrix?: number[][];
  classNames?: string[];
  /** Names models: the loss of the count-based bigram table on the training names (same smoothing). */
  closedFormLoss?: number;
  /** Names models: the closed-form bigram's validation loss, the baseline an MLP must beat. */
  bigramValidationLoss?: number;
  samples?: string[];
  /** What `--out` saves: the model JSON with the dataset and preprocessing it needs. */
  artifact: Record<string, unknown>;
}

const DEFAULT_SEED = 42;

/** Default learning rates per optimizer: Adam's steps are about lr in size, SGD's scale with the gradient. */
interface Rates {
  adam: number;
  sgd: number;
}

function optimizerOf(o: TaskOptions, lr: Rates): OptimizerSpec {
  if ((o.optimizer ?? 'adam') === 'sgd') return { type: 'sgd', lr: o.lr ?? lr.sgd, momentum: o.momentum ?? 0.9, weightDecay: o.weightDecay ?? 0 };
  return { type: 'adam', lr: o.lr ?? lr.adam, weightDecay: o.weightDecay ?? 0 };
}

function checkModel(task: TaskName, model: TaskModel): void {
  if (!TASK_MODELS[task].includes(model)) throw new RangeError(`${task} trains ${TASK_MODELS[task].join(' or ')}, not '${model}'`);
}

/** Trains a classifier and reports its figures on train, validation and test. */
async function trainClassifier(
  task: TaskName,
  modelName: TaskModel,
  model: AnyClassifier,
  parts: { train: Dataset; validation: Dataset; test: Dataset },
  o: TaskOptions,
  defaults: { epochs: number; batchSize: number; lr: Rates; patience: number },
  preprocessing: Record<string, unknown>,
): Promise<TaskResult> {
  const history = await model.fitAsync(parts.train, {
    epochs: o.epochs ?? defaults.epochs,
    batchSize: o.batchSize ?? defaults.batchSize,
    optimizer: optimizerOf(o, defaults.lr),
    seed: o.seed ?? DEFAULT_SEED,
    validation: parts.validation,
    earlyStopping: { patience: o.patience ?? defaults.patience },
    signal: o.signal,
    onEpoch: o.onEpoch,
    onBatch: o.onBatch,
  });
  const test = model.evaluate(parts.test);
  return {
    dataset: task,
    model: modelName,
    sizes: { train: parts.train.y.length, validation: parts.validation.y.length, test: parts.test.y.length },
    history,
    trainLoss: model.loss(parts.train),
    validationLoss: model.loss(parts.validation),
    testLoss: test.logLoss,
    testAccuracy: test.accuracy,
    confusionMatrix: test.confusionMatrix,
    classNames: test.classNames,
    artifact: { ...model.toJSON(), dataset: task, preprocessing },
  };
}

/**
 * Iris: a stratified 30% test split, then 20% of the rest for validation; features standardized
 * with the training rows' statistics. Softmax regression (or an MLP) on 3 classes.
 */
export async function trainIris(o: TaskOptions = {}): Promise<TaskResult> {
  const model = o.model ?? 'softmax';
  checkModel('iris', model);
  const seed = o.seed ?? DEFAULT_SEED;
  const all = await loadIris();
  const { train: rest, test } = trainTestSplit(all, 0.3, { seed });
  const { train, test: validation } = trainTestSplit(rest, 0.2, { seed: seed + 1 });
  const scaler = Standardizer.fit(train.x);
  const parts = { train: scaler.apply(train), validation: scaler.apply(validation), test: scaler.apply(test) };
  const opts = { inputs: 4, classes: 3, classNames: all.classNames };
  const clf = model === 'mlp' ? new MLP({ ...opts, hidden: o.hidden ?? [16], activation: o.activation, seed }) : new SoftmaxRegression(opts);
  // Small data: many short epochs, and patience to ride out the noise of a 21-flower validation set.
  return trainClassifier('iris', model, clf, parts, o, { epochs: 300, batchSize: 16, lr: { adam: 0.05, sgd: 0.1 }, patience: 30 }, {
    type: 'standardize',
    features: all.featureNames,
    ...scaler.toJSON(),
  });
}

/**
 * SpamAssassin: hashed bag-of-words of subject and body; a stratified 15% test split, then 15%
 * of the corpus for validation. Logistic regression by default.
 */
export async function trainSpam(o: TaskOptions = {}): Promise<TaskResult> {
  const model = o.model ?? 'logistic';
  checkModel('spam', model);
  const seed = o.seed ?? DEFAULT_SEED;
  const bits = o.hashBits ?? 16;
  const all = await loadSpam({ bits });
  const { train: rest, test } = trainTestSplit(all, 0.15, { seed });
  const { train, test: validation } = trainTestSplit(rest, 0.15 / 0.85, { seed: seed + 1 });
  const opts = { inputs: all.x.cols, classNames: all.classNames };
  const clf =
    model === 'mlp'
      ? new MLP({ ...opts, classes: 2, hidden: o.hidden ?? [32], activation: o.activation, seed })
      : model === 'softmax'
        ? new SoftmaxRegression({ ...opts, classes: 2 })
        : new LogisticRegression(opts);
  // Unit-length sparse rows give small gradients per weight: Adam at 0.01 (or SGD at 0.5) settles
  // within 30 epochs; 900 validation emails make the validation loss steady enough for patience 5.
  return trainClassifier('spam', model, clf, { train, validation, test }, o, { epochs: 30, batchSize: 64, lr: { adam: 0.01, sgd: 0.5 }, patience: 5 }, {
    type: 'hashed-bag-of-words',
    bits,
    tokens: 'subject and body, lower-cased [a-z0-9$]{2,24} words and !, FNV-1a signed buckets, log1p counts, unit rows',
  });
}

/** Names: 80/10/10 split of the names; the bigram model by gradient descent, or an MLP over 3 characters. */
export async function trainNames(o: TaskOptions = {}): Promise<TaskResult> {
  const model = o.model ?? 'bigram';
  checkModel('names', model);
  const seed = o.seed ?? DEFAULT_SEED;
  const smoothing = o.smoothing ?? 1;
  const names = await loadNames();
  const split = splitNames(names, { validation: 0.1, test: 0.1, seed });
  const sizes = { train: split.train.length, validation: split.validation.length, test: split.test.length };
  const closed = bigramProbabilities(bigramCounts(split.train), smoothing);
  const closedFormLoss = bigramTableLoss(closed, split.train);
  const bigramValidationLoss = bigramTableLoss(closed, split.validation);
  const rng = new Rng(seed);
  const sampleCount = o.samples ?? 10;
  return model === 'bigram'
    ? namesBigram(split, sizes, o, smoothing, closedFormLoss, bigramValidationLoss, rng, sampleCount)
    : namesMLP(split, sizes, o, seed, closedFormLoss, bigramValidationLoss, rng, sampleCount);
}

type NameSplit = { train: string[]; validation: string[]; test: string[] };

/** Next-symbol accuracy of a bigram table: the most probable symbol after each context. */
function bigramAccuracy(probs: Float64Array, names: readonly string[]): number {
  const counts = bigramCounts(names);
  let right = 0;
  for (let a = 0; a < SYMBOLS; a++) {
    let best = 0;
    for (let b = 1; b < SYMBOLS; b++) if (probs[a * SYMBOLS + b] > probs[a * SYMBOLS + best]) best = b;
    right += counts[a * SYMBOLS + best];
  }
  return right / countEvents(names);
}

async function namesBigram(
  split: NameSplit,
  sizes: TaskResult['sizes'],
  o: TaskOptions,
  smoothing: number,
  closedFormLoss: number,
  bigramValidationLoss: number,
  rng: Rng,
  sampleCount: number,
): Promise<TaskResult> {
  const lm = new BigramLM();
  // Full-batch steps see no noise, so large steps are safe: Adam at 0.2 (or SGD with momentum at
  // 20) is within 1e-5 nats of the closed form after 300 steps.
  const steps = o.epochs ?? 300;
  const optimizer = createOptimizer(optimizerOf(o, { adam: 0.2, sgd: 20 }));
  const history: History = { epochs: 0, trainLoss: [], validationLoss: [], bestEpoch: 0, bestValidationLoss: null, stoppedEarly: false, diverged: false, interrupted: false };
  const trainCounts = bigramCounts(split.train);
  const validationCounts = bigramCounts(split.validation);
  // Full-batch steps are cheap (27 × 27 logits): run them in slices and yield between slices,
  // so that progress bars draw and Ctrl-C is heard. The one optimizer keeps its moments across slices.
  const slice = 25;
  for (let done = 0; done < steps; done += slice) {
    if (o.signal?.aborted) {
      history.interrupted = true;
      break;
    }
    lm.fit(split.train, {
      smoothing,
      steps: Math.min(slice, steps - done),
      optimizer,
      onStep: () => {
        // The data's loss (no pseudo-counts) on both sets, at the weights this step starts from.
        const trainLoss = lm.lossOfCounts(trainCounts);
        const validationLoss = lm.lossOfCounts(validationCounts);
        history.epochs++;
        history.trainLoss.push(trainLoss);
        history.validationLoss.push(validationLoss);
        const best = history.bestValidationLoss === null || validationLoss < history.bestValidationLoss;
        if (best) {
          history.bestValidationLoss = validationLoss;
          history.bestEpoch = history.epochs;
        }
        o.onEpoch?.({ epoch: history.epochs, epochs: steps, trainLoss, validationLoss, best });
      },
    });
    if (!Number.isFinite(lm.lossOfCounts(trainCounts))) {
      history.diverged = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  const probs = lm.probabilities();
  return {
    dataset: 'names',
    model: 'bigram',
    sizes,
    history,
    trainLoss: lm.loss(split.train),
    validationLoss: lm.loss(split.validation),
    testLoss: lm.loss(split.test),
    testAccuracy: bigramAccuracy(probs, split.test),
    closedFormLoss,
    bigramValidationLoss,
    samples: lm.sample(rng, sampleCount),
    artifact: { ...lm.toJSON(), dataset: 'names', smoothing, alphabet: ALPHABET },
  };
}

async function namesMLP(
  split: NameSplit,
  sizes: TaskResult['sizes'],
  o: TaskOptions,
  seed: number,
  closedFormLoss: number,
  bigramValidationLoss: number,
  rng: Rng,
  sampleCount: number,
): Promise<TaskResult> {
  const parts = { train: contextDataset(split.train, BLOCK), validation: contextDataset(split.validation, BLOCK), test: contextDataset(split.test, BLOCK) };
  const mlp = new MLP({ inputs: BLOCK * SYMBOLS, classes: SYMBOLS, hidden: o.hidden ?? [64], activation: o.activation, seed, classNames: [...ALPHABET] });
  // An epoch is 55,000 events (seconds of sigmoid evaluations): a gentle rate that improves every
  // epoch, and patience 2 so that a run ends soon after the validation loss turns.
  const r = await trainClassifier('names', 'mlp', mlp, parts, o, { epochs: 20, batchSize: 32, lr: { adam: 0.005, sgd: 0.05 }, patience: 2 }, {
    type: 'context-one-hot',
    block: BLOCK,
    alphabet: ALPHABET,
  });
  // Sizes in names, as for the bigram model (the datasets count events).
  return { ...r, sizes, closedFormLoss, bigramValidationLoss, samples: sampleNames(mlp, rng, sampleCount, BLOCK) };
}

/** Characters of context the names MLP sees. */
const BLOCK = 3;
