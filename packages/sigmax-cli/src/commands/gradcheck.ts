/// <reference types="node" />
// `sigmax gradcheck`: every op and loss of sigmax against central differences, plus the
// tutorial's identities; exits with 1 when any check is outside its tolerance.

import type { Command } from 'commander';
import { integer } from '../args.js';
import { type Check, opGradchecks, tutorialIdentities } from '../identities.js';
import type { RunState } from '../program.js';
import { EXIT, Ui, table } from '../ui.js';

export function gradcheckCommand(program: Command, state: RunState): Command {
  return program
    .command('gradcheck')
    .description('check every op and loss against central differences; exit 1 on a failure')
    .option('--seed <n>', 'seed of the random points', integer, 1)
    .option('--json', 'print one JSON object with every check')
    .addHelpText(
      'after',
      `
Each backward op (…Backward, …WithGrad, softmaxJvp, softmaxJacobian) is compared with
(f(x + h) − f(x − h))/2h element by element in float64, with gradcheck's default tolerance
|analytic − numeric| ≤ 1e-7 + 1e-5·|numeric|. Losses are checked with their options: class
weights, ignoreIndex, label smoothing, probability targets, PyTorch's [N, C, d] layout,
reduction 'none' with a gradOutput, posWeight.`,
    )
    .action((flags: { seed: number; json?: boolean }) => {
      state.code = run(flags.seed, flags.json === true);
    });
}

function run(seed: number, json: boolean): number {
  const ui = new Ui(json);
  const { c } = ui;
  const ops = opGradchecks(seed);
  const identities = tutorialIdentities(seed);
  const show = (title: string, checks: Check[]) => {
    ui.heading(title);
    const rows = checks.map((k) => [k.ok ? c.green('✓') : c.red('✗'), k.name, k.maxError.toExponential(1), c.dim(k.method)]);
    for (const l of table([['', c.dim('check'), c.dim('max |error|'), c.dim('measured by')], ...rows], '  ', 'llrl')) ui.line(l);
  };
  show('Ops and losses against central differences (float64)', ops);
  show("The tutorial's identities", identities);
  const all = [...ops, ...identities];
  const failed = all.filter((k) => !k.ok);
  ui.line();
  ui.line(failed.length === 0 ? c.green(`✓ all ${all.length} checks passed`) : c.red(`✗ ${failed.length} of ${all.length} checks failed: ${failed.map((k) => k.name).join(', ')}`));
  ui.result({ command: 'gradcheck', ok: failed.length === 0, passed: all.length - failed.length, failed: failed.length, checks: ops, identities });
  return failed.length === 0 ? EXIT.ok : EXIT.failure;
}
