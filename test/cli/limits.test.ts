// Bad sizes and output paths on the command line: every size argument has a
// documented upper limit and every output path is checked before any work starts, each failure
// one line on stderr with exit code 2 — never a stack trace, never a run that ends in an error.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sigmax } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'sigmax-limits-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function usage(args: string[], pattern: RegExp): Promise<void> {
  const r = await sigmax(...args);
  assert.equal(r.code, 2, `exit code of sigmax ${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stderr.trim().split('\n').length, 1, `one line for sigmax ${args.join(' ')}: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

describe('size arguments beyond their limits', () => {
  it('are refused at once with one line and exit code 2', { timeout: 60_000 }, async () => {
    const cases: [string[], RegExp][] = [
      [['bench', '--size', '1e12'], /--size .*from 1 to 10,000,000, got 1e12/],
      [['bench', '--time', '1e9'], /--time .*≤ 60,000, got 1e9/],
      [['train', 'names', '--model', 'mlp', '--hidden', '100000000'], /--hidden .*from 1 to 4,096/],
      [['train', 'iris', '--epochs', '1e9'], /--epochs .*from 1 to 100,000/],
      [['train', 'iris', '--batch-size', '1e12'], /--batch-size .*from 1 to 1,000,000/],
      [['train', 'iris', '--patience', '1e12'], /--patience .*from 1 to 100,000/],
      [['train', 'names', '--model', 'mlp', '--samples', '1e9'], /--samples .*from 1 to 10,000/],
      [['train', 'spam', '--hash-bits', '30'], /--hash-bits applies to spam and must be 1–24/],
      [['train', 'spam', '--model', 'mlp', '--hash-bits', '24'], /an MLP of sizes \[16777216, 32, 2\] has \d+ weights, more than the 33554432 allowed/],
    ];
    await Promise.all(cases.map(([args, pattern]) => usage(args, pattern)));
  });
});

describe('output paths', () => {
  it('are checked before training: a missing directory, a directory, an empty name, a file as directory, the same file twice', { timeout: 60_000 }, async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const cases: [string[], RegExp][] = [
      [['train', 'iris', '--out', '/no/such/dir/m.json'], /--out '\/no\/such\/dir\/m\.json': the directory \/no\/such\/dir does not exist/],
      [['train', 'iris', '--out', dir], /--out '.*' is a directory/],
      [['train', 'iris', '--out', ''], /--out needs a file name/],
      [['train', 'iris', '--out', join(file, 'm.json')], /--out .*does not exist|is not a directory/],
      [['train', 'iris', '--plot', '/no/such/dir/loss.svg'], /--plot '\/no\/such\/dir\/loss\.svg': the directory \/no\/such\/dir does not exist/],
      [['train', 'iris', '--plot', join(dir, 'sub.svg') + '/'], /--plot/],
      [['train', 'iris', '--out', join(dir, 'same.svg'), '--plot', join(dir, 'same.svg')], /--out and --plot name the same file/],
    ];
    await Promise.all(cases.map(([args, pattern]) => usage(args, pattern)));
    assert.deepEqual(readdirSync(dir), ['a-file'], 'nothing was written');
  });
});
