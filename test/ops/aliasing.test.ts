// Aliasing as a rule: an output that is a view over the same buffer as an input, at any offset,
// gives what the same call gives on separate arrays — on both backends, in both dtypes, for every
// op with an `out` (and lossOut); an output identical to its input is computed in place; lossOut
// and out sharing memory is refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  binaryCrossEntropyWithLogitsWithGrad, crossEntropyWithGrad, logSigmoid, logSoftmax, logSumExp, sigmoid, sigmoidBackward, softmax, softmaxBackward, softplus, tensor,
  SigmaxError,
} from '../../src/index.js';
import { eachBackend } from '../helpers/backends.js';

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
type Arr = Float32Array | Float64Array;

/** An op writing `out` from `x` (a [rows, n] view) and maybe a second input `y`; the result is read from out. */
interface Case {
  name: string;
  /** How many elements out has, from rows and n. */
  outLen: (rows: number, n: number) => number;
  run: (x: Arr, out: Arr, rows: number, n: number, y: Arr) => void;
}

const CASES: Case[] = [
  { name: 'softmax', outLen: (r, n) => r * n, run: (x, out, r, n) => void softmax(tensor(x, [r, n]), { out }) },
  { name: 'logSoftmax', outLen: (r, n) => r * n, run: (x, out, r, n) => void logSoftmax(tensor(x, [r, n]), { out }) },
  { name: 'logSumExp', outLen: (r) => r, run: (x, out, r, n) => void logSumExp(tensor(x, [r, n]), { out }) },
  { name: 'sigmoid', outLen: (r, n) => r * n, run: (x, out) => void sigmoid(x, { out }) },
  { name: 'logSigmoid', outLen: (r, n) => r * n, run: (x, out) => void logSigmoid(x, { out }) },
  { name: 'softplus', outLen: (r, n) => r * n, run: (x, out) => void softplus(x, { out }) },
  { name: 'sigmoidBackward', outLen: (r, n) => r * n, run: (x, out, r, n, y) => void sigmoidBackward(y.subarray(0, r * n), x, { out }) },
  { name: 'softmaxBackward', outLen: (r, n) => r * n, run: (x, out, r, n, y) => void softmaxBackward(tensor(x, [r, n]), tensor(softmax(tensor(y.subarray(0, r * n), [r, n])).data, [r, n]), { out }) },
  {
    name: 'crossEntropyWithGrad (gradient)',
    outLen: (r, n) => r * n,
    run: (x, out, r, n) => void crossEntropyWithGrad(tensor(x, [r, n]), Int32Array.from({ length: r }, (_, i) => i % n), { out }),
  },
  {
    name: 'crossEntropyWithGrad (per-row losses)',
    outLen: (r) => r,
    run: (x, out, r, n) => void crossEntropyWithGrad(tensor(x, [r, n]), Int32Array.from({ length: r }, (_, i) => (i * 3) % n), { reduction: 'none', lossOut: out }),
  },
  {
    name: 'binaryCrossEntropyWithLogitsWithGrad (gradient)',
    outLen: (r, n) => r * n,
    run: (x, out, r, n, y) => void binaryCrossEntropyWithLogitsWithGrad(x, y.subarray(0, r * n).map((v) => (v > 0 ? 1 : 0)), { out }),
  },
];

function fill(a: Arr, seed: number): void {
  for (let i = 0; i < a.length; i++) a[i] = Math.sin(i * 0.731 + seed) * 7;
}

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

eachBackend('outputs that share memory with an input', () => {
  for (const C of [Float32Array, Float64Array] as Ctor[]) {
    for (const c of CASES) {
      it(`${c.name} (${C.name}): an output view at any offset of the input's buffer gives the separate-array result`, () => {
        fc.assert(
          fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 400 }), fc.nat(), (rows, n, xAt, outAt, seed) => {
            const len = rows * n;
            const buf = new C(xAt + outAt + len + c.outLen(rows, n) + 8);
            fill(buf, seed);
            const y = new C(len);
            fill(y, seed + 1);
            const x = buf.subarray(xAt, xAt + len);
            const out = buf.subarray(outAt, outAt + c.outLen(rows, n));
            // expected: the same inputs on separate arrays
            const xs = C.from(x);
            const want = new C(c.outLen(rows, n));
            c.run(xs, want, rows, n, y);
            c.run(x, out, rows, n, y);
            assert.ok(sameBits(out, want), `${c.name} ${rows}×${n}, x at ${xAt}, out at ${outAt}`);
          }),
          { numRuns: 40, seed: 20261207 },
        );
      });
    }
  }

  it('computes in place when out is the input itself', () => {
    const x = Float32Array.from({ length: 24 }, (_, i) => i / 3);
    const want = softmax(tensor(Float32Array.from(x), [4, 6])).data;
    softmax(tensor(x, [4, 6]), { out: x });
    assert.deepEqual(x, want);
  });

  it('refuses lossOut and out sharing memory', () => {
    const buf = new Float32Array(40);
    const x = tensor(Float32Array.from({ length: 30 }, (_, i) => Math.cos(i)), [3, 10]);
    assert.throws(
      () => crossEntropyWithGrad(x, new Int32Array(3), { reduction: 'none', out: buf.subarray(0, 30), lossOut: buf.subarray(28, 31) }),
      (e: unknown) => e instanceof SigmaxError && e.code === 'INVALID_OPTION' && /lossOut and out/.test(e.message),
    );
  });
});
