/// <reference types="node" />
// The command tree of `sigmax`: demo, train, eval, gradcheck, bench. Commander parses and
// writes --help; errors from parsing or from a command become one line on stderr and an exit code.

import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { SigmaxError } from 'sigmax';
import { DatasetUnavailableError } from './datasets/index.js';
import { benchCommand } from './commands/bench.js';
import { demoCommand } from './commands/demo.js';
import { evalCommand } from './commands/eval.js';
import { gradcheckCommand } from './commands/gradcheck.js';
import { trainCommand } from './commands/train.js';
import { EXIT, UsageError } from './ui.js';

/** The package version, read from package.json one folder up (from src or dist alike). */
function version(): string {
  try {
    return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Makes `cmd` (and the commands added to it later) report errors in one line and throw instead of exiting. */
export function configure(cmd: Command): Command {
  return cmd
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      // commander puts its suggestion on a second line, "(Did you mean --x?)": one line here
      outputError: (str, write) => {
        const msg = str.trim().replace(/^error: /, '').replace(/\s*\n\s*\(Did you mean (.*)\)$/, (_, s: string) => `; did you mean ${s}`);
        write(`sigmax: ${msg.replace(/\s*\n\s*/g, ' ')} (see 'sigmax ${cmd.name() === 'sigmax' ? '' : `${cmd.name()} `}--help')\n`);
      },
    });
}

/** Where a command leaves its exit code (0 unless it says otherwise). */
export interface RunState {
  code: number;
}

export function buildProgram(state: RunState = { code: EXIT.ok }): Command {
  const program = configure(new Command('sigmax'));
  program
    .description(
      'Exact sigmoid, softmax and cross-entropy, forward and backward — and classifiers trained on real data with nothing but their gradients p − y and σ(x) − y.',
    )
    .version(version(), '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .option('--no-color', 'print without colours (also: NO_COLOR=1)')
    .addHelpText(
      'after',
      `
Examples:
  $ sigmax demo                          the whole story in under a minute (also: npm start)
  $ sigmax eval softmax 1 2 3            p = [0.090, 0.245, 0.665]
  $ sigmax train iris --plot loss.svg    softmax regression on Iris, loss curve as SVG
  $ sigmax train names --model mlp       a 3-character MLP language model that samples names
  $ sigmax gradcheck                     every op and loss against central differences

Every command takes --help, and --json to print one JSON object for scripts.
Exit codes: 0 ok, 1 a check or run failed, 2 bad arguments, 130 interrupted (Ctrl-C).`,
    );
  for (const add of [demoCommand, trainCommand, evalCommand, gradcheckCommand, benchCommand]) {
    configure(add(program, state));
  }
  return program;
}

/** An error from the operating system (ENOSPC, EACCES, …), whose message already says what failed. */
function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** Runs the command line and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const state: RunState = { code: EXIT.ok };
  const program = buildProgram(state);
  try {
    await program.parseAsync([...argv]);
    return state.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed the message (or the help, or the version) already.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof UsageError || e instanceof SigmaxError) {
      process.stderr.write(`sigmax: ${e.message}\n`);
      return EXIT.usage;
    }
    if (e instanceof DatasetUnavailableError) {
      process.stderr.write(`sigmax: ${e.message}\n`);
      return EXIT.failure;
    }
    if (isSystemError(e)) {
      // A file that cannot be written after all (disk full, a race with another process): one line.
      process.stderr.write(`sigmax: ${e.message}\n`);
      return EXIT.failure;
    }
    process.stderr.write(`sigmax: ${(e as Error)?.stack ?? String(e)}\n`);
    return EXIT.failure;
  }
}
