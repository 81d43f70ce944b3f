// The training loop: seeded shuffles, mini-batches, an optimizer step per batch, the validation
// loss after each epoch, and early stopping that restores the best weights. `Trainer` runs one
// batch at a time so that callers can interleave it with a UI; `fit` and `fitAsync` drive it.

import type { Dataset } from './data.js';
import type { Matrix } from './matrix.js';
import { type Optimizer, type OptimizerSpec, type Param, createOptimizer } from './optim.js';
import { Rng } from './rng.js';

/** What the loop needs from a model. */
export interface Trainable {
  params(): Param[];
  /** Mean loss over rows `rows`; leaves the gradient of that mean in every param's `grad`. */
  lossAndGrad(x: Matrix, y: Int32Array, rows: ArrayLike<number>): number;
  /** Mean loss over a whole dataset. */
  loss(d: Dataset): number;
}

export interface EarlyStoppingOptions {
  /** Epochs without an improvement of the validation loss before stopping (default 10). */
  patience?: number;
  /** How much lower a validation loss must be to count as an improvement (default 0). */
  minDelta?: number;
  /** Put back the weights of the best epoch when training ends (default true). */
  restoreBest?: boolean;
}

export interface EpochLog {
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** Mean of the epoch's mini-batch losses, weighted by batch size. */
  trainLoss: number;
  /** Loss on the validation set after the epoch (null without one). */
  validationLoss: number | null;
  /** This epoch has the lowest validation loss so far. */
  best: boolean;
}

export interface BatchLog {
  epoch: number;
  /** 1-based within the epoch. */
  batch: number;
  batches: number;
  loss: number;
}

export interface FitOptions {
  /** Passes over the training data (default 100). */
  epochs?: number;
  /** Rows per step (default 32); at least the dataset's size means full-batch gradient descent. */
  batchSize?: number;
  /** Default Adam with lr 0.01. */
  optimizer?: Optimizer | OptimizerSpec;
  /** Seeds the shuffle of each epoch (default 0). */
  seed?: number;
  /** Shuffle the rows before each epoch (default true). */
  shuffle?: boolean;
  /** Held-out data for the validation loss and early stopping. */
  validation?: Dataset;
  /** On by default when there is validation data; `false` turns it off. */
  earlyStopping?: boolean | EarlyStoppingOptions;
  onEpoch?: (log: EpochLog) => void;
  onBatch?: (log: BatchLog) => void;
}

export interface FitAsyncOptions extends FitOptions {
  /** Stops at the next batch once aborted; the history then says `interrupted`. */
  signal?: AbortSignal;
  /** Hands control back to the event loop at least this often, in ms (default 50), so timers, progress bars and Ctrl-C run. */
  yieldEveryMs?: number;
}

export interface History {
  /** Epochs completed. */
  epochs: number;
  trainLoss: number[];
  /** Empty without validation data. */
  validationLoss: number[];
  /** 1-based epoch of the lowest validation loss (the last epoch without validation data). */
  bestEpoch: number;
  bestValidationLoss: number | null;
  stoppedEarly: boolean;
  /** The loss became NaN or infinite and training stopped (lower the learning rate). */
  diverged: boolean;
  /** fitAsync's signal stopped it. */
  interrupted: boolean;
}

const DEFAULTS = { epochs: 100, batchSize: 32, patience: 10 };

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`fit: ${name} must be a positive integer, got ${v}`);
  return v;
}

/** Runs training one mini-batch at a time. */
export class Trainer {
  readonly history: History;
  readonly optimizer: Optimizer;
  readonly batches: number;
  private readonly epochs: number;
  private readonly batchSize: number;
  private readonly params: Param[];
  private readonly order: Int32Array;
  private readonly rng: Rng;
  private readonly shuffle: boolean;
  private readonly early: Required<EarlyStoppingOptions> | null;
  private best: Float64Array[] | null = null;
  private sinceBest = 0;
  private epoch = 0;
  private batch = 0;
  private lossSum = 0;
  private seen = 0;
  private finished = false;

  constructor(
    private readonly model: Trainable,
    private readonly train: Dataset,
    private readonly opts: FitOptions = {},
  ) {
    if (train.y.length === 0) throw new RangeError('fit: the training set is empty');
    this.epochs = positiveInt('epochs', opts.epochs ?? DEFAULTS.epochs);
    this.batchSize = Math.min(positiveInt('batchSize', opts.batchSize ?? DEFAULTS.batchSize), train.y.length);
    this.batches = Math.ceil(train.y.length / this.batchSize);
    this.optimizer = createOptimizer(opts.optimizer ?? { type: 'adam', lr: 0.01 });
    this.params = model.params();
    this.order = new Int32Array(train.y.length);
    for (let i = 0; i < this.order.length; i++) this.order[i] = i;
    this.rng = new Rng(opts.seed ?? 0);
    this.shuffle = opts.shuffle ?? true;
    const es = opts.earlyStopping ?? true;
    this.early =
      es === false || opts.validation === undefined
        ? null
        : {
            patience: positiveInt('earlyStopping.patience', (es === true ? undefined : es.patience) ?? DEFAULTS.patience),
            minDelta: (es === true ? undefined : es.minDelta) ?? 0,
            restoreBest: (es === true ? undefined : es.restoreBest) ?? true,
          };
    this.history = {
      epochs: 0,
      trainLoss: [],
      validationLoss: [],
      bestEpoch: 0,
      bestValidationLoss: null,
      stoppedEarly: false,
      diverged: false,
      interrupted: false,
    };
  }

  get done(): boolean {
    return this.finished;
  }

  /** Runs one mini-batch; returns the epoch's log when the batch ended an epoch, else null. */
  step(): EpochLog | null {
    if (this.finished) return null;
    if (this.batch === 0 && this.shuffle) this.rng.shuffle(this.order);
    const start = this.batch * this.batchSize;
    const rows = this.order.subarray(start, Math.min(start + this.batchSize, this.order.length));
    const loss = this.model.lossAndGrad(this.train.x, this.train.y, rows);
    if (!Number.isFinite(loss)) {
      this.history.diverged = true;
      this.stop();
      return null;
    }
    this.optimizer.step(this.params);
    this.lossSum += loss * rows.length;
    this.seen += rows.length;
    this.batch++;
    this.opts.onBatch?.({ epoch: this.epoch + 1, batch: this.batch, batches: this.batches, loss });
    if (this.batch < this.batches) return null;
    return this.endEpoch();
  }

  /** Ends training now (as an interruption); the weights stay as they are. */
  interrupt(): void {
    this.history.interrupted = true;
    this.finished = true;
  }

  private endEpoch(): EpochLog {
    const h = this.history;
    this.epoch++;
    this.batch = 0;
    const trainLoss = this.lossSum / this.seen;
    this.lossSum = 0;
    this.seen = 0;
    h.epochs = this.epoch;
    h.trainLoss.push(trainLoss);
    let validationLoss: number | null = null;
    let best = false;
    if (this.opts.validation !== undefined) {
      validationLoss = this.model.loss(this.opts.validation);
      h.validationLoss.push(validationLoss);
      const minDelta = this.early?.minDelta ?? 0;
      if (h.bestValidationLoss === null || validationLoss < h.bestValidationLoss - minDelta) {
        best = true;
        h.bestValidationLoss = validationLoss;
        h.bestEpoch = this.epoch;
        this.sinceBest = 0;
        if (this.early?.restoreBest) this.best = this.params.map((p) => p.value.slice());
      } else {
        this.sinceBest++;
      }
    } else {
      h.bestEpoch = this.epoch;
    }
    const log: EpochLog = { epoch: this.epoch, epochs: this.epochs, trainLoss, validationLoss, best };
    this.opts.onEpoch?.(log);
    if (this.early !== null && this.sinceBest >= this.early.patience) {
      h.stoppedEarly = true;
      this.stop();
    } else if (this.epoch >= this.epochs) {
      this.stop();
    }
    return log;
  }

  private stop(): void {
    if (this.best !== null) this.params.forEach((p, i) => p.value.set((this.best as Float64Array[])[i]));
    this.finished = true;
  }
}

/** Trains `model` on `train` synchronously and returns the history. */
export function fit(model: Trainable, train: Dataset, opts: FitOptions = {}): History {
  const t = new Trainer(model, train, opts);
  while (!t.done) t.step();
  return t.history;
}

/** As `fit`, but yields to the event loop now and then and stops when `signal` aborts. */
export async function fitAsync(model: Trainable, train: Dataset, opts: FitAsyncOptions = {}): Promise<History> {
  const t = new Trainer(model, train, opts);
  const every = opts.yieldEveryMs ?? 50;
  let last = performance.now();
  while (!t.done) {
    if (opts.signal?.aborted) {
      t.interrupt();
      break;
    }
    t.step();
    if (performance.now() - last >= every) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      last = performance.now();
    }
  }
  return t.history;
}
