/// <reference types="node" />
// `sigmax demo` (and `npm start`): the tutorial's story end to end — its identities measured at
// random points, softmax regression on Iris and logistic regression on spam trained with p − y
// and σ(x) − y, and a bigram name model that gradient descent drives to the counts' optimum.

import type { Command } from 'commander';
import { DatasetUnavailableError } from '../datasets/index.js';
import type { TaskResult } from '../tasks.js';
import { tutorialIdentities } from '../identities.js';
import type { RunState } from '../program.js';
import { printResult, resultFigures, trainWithProgress } from '../training.js';
import { EXIT, Ui, num, table } from '../ui.js';
import { integer } from '../args.js';

/** What the bigram check demands: gradient descent within this many nats of the closed form. */
const CLOSED_FORM_TOLERANCE = 0.01;

export function demoCommand(program: Command, state: RunState): Command {
  return program
    .command('demo')
    .description('the whole story in under a minute: identities, Iris, spam, names (npm start)')
    .option('--seed <n>', 'seed of the random points, splits and samples', integer, 42)
    .option('--json', 'print one JSON object with every figure')
    .addHelpText(
      'after',
      `
What it shows:
  (a) the tutorial's identities, each measured at random points against its tolerance:
      σ(z) = 1 − σ(−z), σ′ = σ(1 − σ), ∂p_i/∂z_j = p_i δ_ij − p_i p_j, ∂CE/∂z = p − y,
      ∂BCE/∂x = σ(x) − y, and −log p_t = −Σ y_c log p_c (formula one = formula two);
  (b) softmax regression on Iris and logistic regression on the SpamAssassin emails, trained
      with no gradient but p − y (or σ(x) − y), with their test accuracy;
  (c) a bigram model of first names trained by gradient descent, whose loss meets the
      closed-form optimum of the letter-pair counts, and names sampled from it.
Exits with 1 if an identity is outside its tolerance.`,
    )
    .action(async (flags: { seed: number; json?: boolean }) => {
      state.code = await demo(flags.seed, flags.json === true);
    });
}

async function demo(seed: number, json: boolean): Promise<number> {
  const ui = new Ui(json);
  const { c } = ui;
  const started = performance.now();
  ui.line(c.bold('sigmax demo') + c.dim(' — the gradient of softmax + cross-entropy is p − y; here it is at work.'));

  ui.heading("(a) The tutorial's identities, measured at random points");
  const identities = tutorialIdentities(seed);
  const rows = identities.map((k) => [k.ok ? c.green('✓') : c.red('✗'), k.name, k.maxError.toExponential(1), c.dim(`≤ ${k.tolerance}`), c.dim(k.method)]);
  for (const l of table([['', c.dim('identity'), c.dim('error'), c.dim('tolerance'), c.dim('measured by')], ...rows], '  ', 'llrll')) ui.line(l);

  ui.heading('(b) Classifiers trained with p − y and σ(x) − y');
  ui.line(c.dim('  Iris: softmax regression, 3 species, seeded 30% test split'));
  const iris = await trainWithProgress(ui, 'iris', { seed }, 'iris');
  printResult(ui, iris);
  ui.line();
  ui.line(c.dim('  SpamAssassin: logistic regression on hashed words of 6,046 raw emails'));
  let spam: TaskResult | { skipped: string };
  try {
    spam = await trainWithProgress(ui, 'spam', { seed }, 'spam');
    printResult(ui, spam);
  } catch (e) {
    if (!(e instanceof DatasetUnavailableError)) throw e;
    spam = { skipped: e.message };
    ui.field('skipped', c.yellow(`the corpus is not installed (93 MB); to include it run\n${' '.repeat(14)}${e.install}`));
  }

  ui.heading('(c) A bigram language model of first names');
  ui.line(c.dim('  softmax over the next letter, trained by full-batch gradient descent; its target is the'));
  ui.line(c.dim('  closed form p(b | a) = (N_ab + 1)/(N_a + 27), the smoothed letter-pair frequencies'));
  const names = await trainWithProgress(ui, 'names', { seed, samples: 12 }, 'names');
  printResult(ui, names);
  const gap = Math.abs(names.trainLoss - (names.closedFormLoss as number));
  const bigramOk = gap <= CLOSED_FORM_TOLERANCE;

  const ok = identities.every((k) => k.ok) && bigramOk;
  const seconds = (performance.now() - started) / 1000;
  ui.line();
  ui.line(
    ok
      ? c.green(`✓ every identity within its tolerance; gradient descent within ${num(gap, 2)} nats of the closed form (≤ ${CLOSED_FORM_TOLERANCE}); ${seconds.toFixed(1)} s`)
      : c.red(`✗ a check failed (see above); ${seconds.toFixed(1)} s`),
  );
  ui.line(c.dim("  next: sigmax train names --model mlp · sigmax eval softmax 1 2 3 · sigmax --help"));
  ui.result({
    command: 'demo',
    ok,
    identities,
    iris: resultFigures(iris),
    spam: 'skipped' in spam ? spam : resultFigures(spam),
    names: resultFigures(names),
    closedFormTolerance: CLOSED_FORM_TOLERANCE,
    seconds,
  });
  return ok ? EXIT.ok : EXIT.failure;
}
