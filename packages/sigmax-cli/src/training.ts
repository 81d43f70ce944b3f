/// <reference types="node" />
// Running a training task with a progress bar, and reporting its figures: the human summary
// (losses, accuracy, confusion matrix, sparkline, names) and the camelCase JSON figures.

import { type TaskName, type TaskOptions, type TaskResult, trainIris, trainNames, trainSpam } from './tasks.js';
import { type Ui, num, percent, sparkline, table } from './ui.js';

const TASKS: Record<TaskName, (o: TaskOptions) => Promise<TaskResult>> = { iris: trainIris, spam: trainSpam, names: trainNames };

const MODEL_NAMES: Record<string, string> = {
  softmax: 'softmax regression',
  logistic: 'logistic regression',
  mlp: 'MLP',
  bigram: 'bigram softmax (full-batch gradient descent)',
};

export function modelTitle(model: string): string {
  return MODEL_NAMES[model] ?? model;
}

/** Trains a task with a progress bar over epochs (steps for the bigram model). */
export async function trainWithProgress(ui: Ui, task: TaskName, opts: TaskOptions, label: string): Promise<TaskResult> {
  let bar: ReturnType<Ui['progress']> | null = null;
  try {
    return await TASKS[task]({
      ...opts,
      onEpoch: (log) => {
        bar ??= ui.progress(label, log.epochs, task === 'names' && (opts.model ?? 'bigram') === 'bigram' ? 'step' : 'epoch');
        const val = log.validationLoss === null ? '' : `  val ${num(log.validationLoss)}`;
        bar.update(log.epoch, { info: `loss ${num(log.trainLoss)}${val}` });
        opts.onEpoch?.(log);
      },
    });
  } finally {
    (bar as ReturnType<Ui['progress']> | null)?.stop();
  }
}

/** The figures a script reads (camelCase, nats and fractions). */
export function resultFigures(r: TaskResult): Record<string, unknown> {
  const f: Record<string, unknown> = {
    dataset: r.dataset,
    model: r.model,
    sizes: r.sizes,
    epochs: r.history.epochs,
    bestEpoch: r.history.bestEpoch,
    stoppedEarly: r.history.stoppedEarly,
    diverged: r.history.diverged,
    trainLoss: r.trainLoss,
    validationLoss: r.validationLoss,
    testLoss: r.testLoss,
    testAccuracy: r.testAccuracy,
  };
  if (r.confusionMatrix) f.confusionMatrix = r.confusionMatrix;
  if (r.classNames) f.classNames = r.classNames;
  if (r.closedFormLoss !== undefined) {
    f.closedFormLoss = r.closedFormLoss;
    f.closedFormGap = Math.abs(r.trainLoss - r.closedFormLoss);
  }
  if (r.bigramValidationLoss !== undefined) f.bigramValidationLoss = r.bigramValidationLoss;
  if (r.samples) f.samples = r.samples;
  f.lossCurve = { train: r.history.trainLoss, validation: r.history.validationLoss };
  return f;
}

/** The human summary of a finished run. */
export function printResult(ui: Ui, r: TaskResult, opts: { confusion?: boolean } = {}): void {
  const { c } = ui;
  const h = r.history;
  const stop = h.diverged ? c.red(' (diverged: try a lower --lr)') : h.stoppedEarly ? ` (early stop; best weights from epoch ${h.bestEpoch})` : '';
  ui.field(r.model === 'bigram' ? 'steps' : 'epochs', `${h.epochs}${stop}`);
  ui.field('loss', `train ${num(r.trainLoss)}  validation ${num(r.validationLoss)}  test ${num(r.testLoss)} ${c.dim('nats')}`);
  if (h.trainLoss.length > 1) {
    const all = [...h.trainLoss, ...h.validationLoss].filter(Number.isFinite);
    const range = { min: Math.min(...all), max: Math.max(...all) };
    ui.field('curve', `${c.cyan(sparkline(h.trainLoss, 40, range))} ${c.dim('train')}`);
    if (h.validationLoss.length > 1) ui.field('', `${c.yellow(sparkline(h.validationLoss, 40, range))} ${c.dim('validation')}`);
  }
  const what = r.dataset === 'names' ? 'next-letter accuracy' : 'test accuracy';
  ui.field('accuracy', `${c.bold(c.green(percent(r.testAccuracy)))} ${c.dim(`${what}, ${r.sizes.test} held-out ${r.dataset === 'names' ? 'names' : 'rows'}`)}`);
  if (r.closedFormLoss !== undefined && r.model === 'bigram') {
    const gap = Math.abs(r.trainLoss - r.closedFormLoss);
    ui.field('closed form', `${num(r.closedFormLoss, 6)} nats from the counts; gradient descent ${num(r.trainLoss, 6)} ${c.dim(`(|Δ| = ${gap.toExponential(1)})`)}`);
  }
  if (r.bigramValidationLoss !== undefined && r.model !== 'bigram') {
    ui.field('vs bigram', `validation ${num(r.validationLoss)} nats, the counts-based bigram ${num(r.bigramValidationLoss)}`);
  }
  if (opts.confusion && r.confusionMatrix && r.classNames && r.confusionMatrix.length <= 10) {
    ui.field('confusion', c.dim('rows: true class, columns: predicted'));
    const names = r.classNames;
    const rows = [['', ...names.map((n) => c.dim(n))], ...r.confusionMatrix.map((row, i) => [c.dim(names[i]), ...row.map((v, j) => (i === j ? c.green(String(v)) : v ? c.red(String(v)) : String(v)))])];
    for (const l of table(rows, ' '.repeat(14))) ui.line(l);
  }
  if (r.samples?.length) ui.field('samples', r.samples.map((s) => c.magenta(s || '(empty)')).join(' '));
}
