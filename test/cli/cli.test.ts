import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProgram, main } from '../../packages/sigmax-cli/src/program.js';
import { loadModel } from '../../src/train/index.js';
import { sigmax, start } from './run.js';

const json = (stdout: string) => JSON.parse(stdout) as Record<string, any>;

describe('sigmax --help', () => {
  it('lists every command with a description and examples', async () => {
    const r = await sigmax('--help');
    assert.equal(r.code, 0);
    for (const c of ['demo', 'train', 'eval', 'gradcheck', 'bench']) assert.match(r.stdout, new RegExp(`\\n  ${c} `));
    assert.match(r.stdout, /Examples:/);
    assert.match(r.stdout, /Exit codes: 0 ok, 1 a check or run failed, 2 bad arguments, 130 interrupted/);
  });

  it('gives every command its own help with its options and --json', () => {
    const program = buildProgram();
    for (const cmd of program.commands) {
      const help = cmd.helpInformation();
      assert.match(help, new RegExp(`^Usage: sigmax ${cmd.name()} `), cmd.name());
      assert.match(help, /--json/, cmd.name());
      assert.match(help, /-h, --help/, cmd.name());
    }
  });

  it('exits with 0 for a command help', async () => {
    const r = await sigmax('train', '--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Datasets:\n  iris/);
  });
});

/** Runs main() in this process, capturing what it writes (usage errors stop before any work). */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const writes = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((chunk: string) => ((out.stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((out.stderr += chunk), true)) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'sigmax', ...args]);
    return { code, ...out };
  } finally {
    [process.stdout.write, process.stderr.write] = writes;
  }
}

describe('bad arguments', () => {
  it('give one clear line on stderr and exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['train', 'mnist'], /'mnist' is invalid for argument 'dataset'\. Allowed choices are iris, spam, names/],
      [['train', 'iris', '--lr', 'fast'], /'--lr <rate>' argument 'fast' is invalid\. 'fast' is not a number/],
      [['train', 'iris', '--epochs', '0'], /expected a whole number ≥ 1, got 0/],
      [['train', 'iris', '--model', 'bigram'], /unknown --model 'bigram' \(choose softmax or mlp\)/],
      [['train', 'iris', '--colour'], /unknown option '--colour'/],
      [['eval', 'softmax', '1', '2', '3', '--temprature', '2'], /unknown option '--temprature'; did you mean --temperature\?/],
      [['evl', 'softmax', '1'], /unknown command 'evl'; did you mean eval\?/],
      [['train', 'iris', '--plot', 'loss.png'], /--plot writes SVG/],
      [['eval', 'sigmod', '1'], /unknown op 'sigmod' \(did you mean sigmoid\?/],
      [['eval', 'softmax', '1', 'two'], /'two' is not a number/],
      [['eval', 'softmax'], /missing required argument 'numbers'/],
      [['eval', 'crossEntropy', '1', '2'], /crossEntropy needs --target/],
      [['eval', 'crossEntropy', '1', '2', '--target', '5'], /target\[0\] = 5 is out of range for 2 classes/],
      [['eval', 'sigmoid', '1', '--axis', '0'], /--axis does not apply to sigmoid/],
      [['bench', '--ops', 'tanh'], /unknown op 'tanh'/],
    ];
    for (const [args, message] of cases) {
      const r = await inProcess(args);
      assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}, stderr ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
    }
  });

  it('make the process itself exit with code 2', async () => {
    const r = await sigmax('train', 'iris', '--epochs', 'many');
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "sigmax: option '--epochs <n>' argument 'many' is invalid. 'many' is not a number (see 'sigmax train --help')\n");
  });
});

describe('sigmax eval', () => {
  it('computes softmax, sigmoid in the tails, logSumExp along an axis and a loss with its gradient', async () => {
    const [sm, sg, lse, ce] = await Promise.all([
      sigmax('eval', 'softmax', '1', '2', '3', '--json'),
      sigmax('eval', 'sigmoid', '-100', '0', '20'),
      sigmax('eval', 'logSumExp', '1,2,3,4,5,6', '--shape', '2,3', '--axis', '0', '--json'),
      sigmax('eval', 'crossEntropy', '2', '1', '0.1', '--target', '0', '--grad', '--json'),
    ]);
    assert.equal(sm.code, 0);
    assert.deepEqual(json(sm.stdout).result, [0.09003057317038046, 0.24472847105479764, 0.6652409557748219]);
    assert.equal(sg.code, 0);
    assert.match(sg.stdout, /= \[3\.720075976020836e-44, 0\.5, 0\.9999999979388464\]/);
    const l = json(lse.stdout);
    assert.deepEqual(l.resultShape, [3]);
    assert.ok(Math.abs(l.result[0] - Math.log(Math.exp(1) + Math.exp(4))) < 1e-15);
    const c = json(ce.stdout);
    assert.equal(c.op, 'crossEntropy');
    assert.ok(Math.abs(c.result - 0.4170300162778335) < 1e-15);
    assert.ok(Math.abs(c.grad.reduce((a: number, b: number) => a + b, 0)) < 1e-15); // p − y sums to 0
  });
});

describe('sigmax gradcheck', () => {
  it('passes every op and loss and exits with 0', async () => {
    const r = await sigmax('gradcheck', '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = json(r.stdout);
    assert.equal(j.ok, true);
    assert.equal(j.failed, 0);
    assert.ok(j.checks.length >= 20);
    for (const k of j.checks) assert.equal(typeof k.maxError, 'number');
  });
});

describe('sigmax bench', () => {
  it('reports ns per element for the ops asked for', async () => {
    const r = await sigmax('bench', '--ops', 'sigmoid,softmax', '--size', '2000', '--time', '5', '--dtype', 'float64', '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = json(r.stdout);
    assert.deepEqual(j.results.map((x: { op: string }) => x.op), ['sigmoid', 'softmax']);
    for (const x of j.results) assert.ok(x.nsPerElement > 0);
    assert.equal(j.fastFloat64, false);
  });

  it('times float64 on the fast float64 kernels with --fast-float64', async () => {
    const r = await sigmax('bench', '--ops', 'softmax', '--size', '2000', '--time', '5', '--dtype', 'float64', '--fast-float64', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(json(r.stdout).fastFloat64, true);
  });
});

describe('sigmax train', () => {
  it('prints the figures as one JSON object and writes a loadable model and an SVG loss curve', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigmax-'));
    try {
      const out = join(dir, 'iris.json');
      const plot = join(dir, 'loss.svg');
      const r = await sigmax('train', 'iris', '--epochs', '40', '--out', out, '--plot', plot, '--json');
      assert.equal(r.code, 0, r.stderr);
      const j = json(r.stdout);
      for (const k of ['testAccuracy', 'trainLoss', 'validationLoss', 'testLoss']) assert.equal(typeof j[k], 'number', k);
      assert.equal(j.dataset, 'iris');
      assert.equal(j.model, 'softmax');
      assert.equal(j.confusionMatrix.length, 3);
      assert.equal(j.lossCurve.train.length, j.epochs);
      const model = loadModel(readFileSync(out, 'utf8'));
      assert.equal(model.type, 'SoftmaxRegression');
      const svg = readFileSync(plot, 'utf8');
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.equal((svg.match(/<polyline /g) ?? []).length, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports the closed-form loss of the bigram names model in --json', async () => {
    const r = await sigmax('train', 'names', '--epochs', '200', '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = json(r.stdout);
    assert.equal(j.model, 'bigram');
    assert.ok(Math.abs(j.trainLoss - j.closedFormLoss) < 0.01);
    assert.equal(j.samples.length, 10);
  });

  it('trains on the fast float64 kernels by default and on the exact ones with --exact, to the same figures', async () => {
    const fast = json((await sigmax('train', 'iris', '--model', 'mlp', '--epochs', '15', '--json')).stdout);
    const exact = json((await sigmax('train', 'iris', '--model', 'mlp', '--epochs', '15', '--exact', '--json')).stdout);
    assert.equal(fast.float64, 'fast');
    assert.equal(exact.float64, 'exact');
    for (const k of ['trainLoss', 'validationLoss', 'testLoss']) assert.ok(Math.abs(fast[k] - exact[k]) <= 1e-12 * Math.abs(exact[k]), `${k}: ${fast[k]} vs ${exact[k]}`);
    assert.equal(fast.testAccuracy, exact.testAccuracy);
  });

  it('prints a summary with a sparkline and the accuracy', async () => {
    const r = await sigmax('train', 'iris', '--epochs', '30');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /curve +[▁▂▃▄▅▆▇█]+ train/);
    assert.match(r.stdout, /accuracy +\d+\.\d\d% test accuracy/);
  });

  it('saves nothing when interrupted with Ctrl-C, and exits with 130', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sigmax-'));
    try {
      const out = join(dir, 'model.json');
      let sent = false;
      const { done } = start(['train', 'names', '--model', 'mlp', '--epochs', '50', '--out', out, '--plot', join(dir, 'loss.svg')], (text, child) => {
        // The header line comes before the data loads; interrupt once training is under way.
        if (!sent && text.includes('sigmax train names')) {
          sent = true;
          setTimeout(() => child.kill('SIGINT'), 1500);
        }
      });
      const r = await done;
      assert.equal(sent, true);
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /interrupted after \d+ epochs; nothing saved/);
      assert.equal(existsSync(out), false);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sigmax demo', () => {
  it('checks every identity within tolerance, trains Iris, spam and the bigram model, and samples names', async () => {
    const r = await sigmax('demo', '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = json(r.stdout);
    assert.equal(j.ok, true);
    assert.equal(j.identities.length, 6);
    for (const k of j.identities) assert.equal(k.ok, true, k.name);
    assert.ok(j.iris.testAccuracy >= 0.95);
    assert.ok(j.spam.testAccuracy >= 0.95);
    assert.ok(Math.abs(j.names.trainLoss - j.names.closedFormLoss) <= 0.01);
    assert.equal(j.names.samples.length, 12);
  });
});
