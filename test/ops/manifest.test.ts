// The op manifest (src/ops/manifest.ts) is complete and consistent: every public op of src/index.ts
// is declared exactly once (as an entry or as a loss's Backward/WithGrad sibling), every entry's
// fixtures exist, its kernels exist, and `sigmax eval`, demo and gradcheck take their ops from it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sx from '../../src/index.js';
import { jsKernels } from '../../src/backend/js.js';
import { ALL_OPS, OPS, OPTIONS, opByName } from '../../src/ops/manifest.js';
import { EVAL_OPS } from '../../packages/sigmax-cli/src/commands/eval.js';
import { identityNames, opGradchecks, tutorialIdentities } from '../../packages/sigmax-cli/src/identities.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** Exports of src/index.ts that are functions but not ops. */
const NOT_OPS = new Set(['tensor', 'fromTfjs', 'gradcheck', 'setBackend', 'getBackend', 'setThreads', 'getThreads', 'SigmaxError']);

/** Every function the manifest holds: entries and their siblings. */
function declared(): string[] {
  return ALL_OPS.flatMap((o) => [o.fn, o.backward, o.withGrad].filter((f) => f !== undefined).map((f) => f.name));
}

describe('the op manifest', () => {
  it('declares every op exported from src/index.ts exactly once, and nothing else', () => {
    const exported = Object.entries(sx)
      .filter(([name, v]) => typeof v === 'function' && !NOT_OPS.has(name))
      .map(([name]) => name)
      .sort();
    const names = declared();
    assert.deepEqual([...names].sort(), exported);
    assert.equal(new Set(names).size, names.length, 'a function appears twice');
  });

  it('keys every entry by its function’s name, and holds the functions src/index.ts exports', () => {
    for (const op of ALL_OPS) {
      assert.equal(op.fn.name, op.name);
      for (const f of [op.fn, op.backward, op.withGrad]) if (f) assert.equal(f, (sx as Record<string, unknown>)[f.name], f.name);
      if (op.backward) assert.equal(op.backward.name, `${op.name}Backward`);
      if (op.withGrad) assert.equal(op.withGrad.name, `${op.name}WithGrad`);
    }
  });

  it('gives every loss its Backward and WithGrad siblings, and no other op any', () => {
    for (const op of ALL_OPS) {
      assert.equal(op.backward !== undefined, op.kind === 'loss', op.name);
      assert.equal(op.withGrad !== undefined, op.kind === 'loss', op.name);
    }
  });

  it('names a forward op that exists for every backward op', () => {
    for (const op of ALL_OPS.filter((o) => o.kind === 'backward' || o.kind === 'softmax-backward')) {
      assert.ok(op.forward !== undefined && opByName(op.forward) !== undefined, `${op.name}: forward ${op.forward}`);
    }
  });

  it('points every entry at fixture files that exist', () => {
    for (const op of ALL_OPS) {
      assert.ok(op.fixtures.length > 0, `${op.name} has no fixture`);
      for (const f of op.fixtures) assert.ok(existsSync(join(fixtures, f)), `${op.name}: test/fixtures/${f} is missing`);
    }
  });

  it('names a reference kernel of the backend contract for every entry', () => {
    for (const op of ALL_OPS) assert.equal(typeof jsKernels[op.kernel], 'function', `${op.name}: kernel ${op.kernel}`);
  });

  it('names wasm kernels by their export names (…F32, …F64)', () => {
    for (const op of ALL_OPS) {
      const { float32, float64, also = [] } = op.wasm;
      for (const k of [float32, ...also]) if (k !== null) assert.match(k, /F32$/, op.name);
      if (float64 !== null) assert.match(float64, /F64$/, op.name);
    }
  });

  it('gives only options it describes, and takes them as the op does', () => {
    for (const op of ALL_OPS) for (const o of op.options) assert.ok(o in OPTIONS, `${op.name}: option ${o}`);
  });

  it('gives every target input its kind', () => {
    for (const op of ALL_OPS) {
      for (const input of op.inputs) assert.equal(input.target !== undefined, input.role === 'target', `${op.name}: ${input.name}`);
      assert.ok(op.inputs.filter((i) => i.role === 'input').length <= 1, `${op.name} has one main input at most`);
    }
  });
});

describe('the consumers of the manifest', () => {
  it('sigmax eval offers exactly the manifest’s ops that have a formula, in manifest order', () => {
    assert.deepEqual(
      EVAL_OPS.map((o) => o.name),
      ALL_OPS.filter((o) => o.about !== undefined).map((o) => o.name),
    );
    for (const o of EVAL_OPS) assert.equal(o, opByName(o.name));
  });

  it('sigmax gradcheck checks every op the manifest gives a gradcheck', () => {
    const names = opGradchecks().map((c) => c.name);
    for (const op of ALL_OPS.filter((o) => o.gradcheck)) assert.ok(names.some((n) => n.startsWith(op.name)), `${op.name} is not checked`);
    assert.ok(opGradchecks().every((c) => c.ok));
  });

  it('sigmax demo measures every identity the manifest names', () => {
    const named = new Set(ALL_OPS.flatMap((o) => o.identities ?? []));
    assert.deepEqual(new Set(identityNames()), named);
    assert.equal(tutorialIdentities().length, named.size);
  });

  it('keeps the bench’s ops among the manifest’s, each with a title', () => {
    const bench = ALL_OPS.filter((o) => o.bench);
    assert.ok(bench.length > 0);
    for (const o of bench) assert.ok(o.bench!.title.length > 0 && o.wasm.float32 !== null, `${o.name}: a bench case without a float32 kernel`);
    assert.ok(OPS.crossEntropy.bench.layout === 'rows');
  });
});
