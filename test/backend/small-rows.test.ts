// Short rows take the wasm backend's four-rows-at-a-time kernels (assembly/ops/small.ts), and
// longer ones the row kernels with a masked last vector. Both must agree with the exact 'js'
// reference (within the wasm bound plus the reference's half ulp) for every row length around
// the SIMD width and the four-row grouping, with special rows mixed into the groups: NaN, +∞,
// all −∞, some −∞, maxima beyond 2^22 (the fallback) and ignored targets.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { crossEntropyWithGrad, logSoftmax, logSumExp, setBackend, softmax, tensor } from '../../src/index.js';
import { setWasmRelaxed, wasmRelaxed } from '../../src/backend/wasm/index.js';
import { ulp32 } from '../helpers/fixtures.js';
import { WASM_F32_BOUND } from '../helpers/backends.js';

const LENGTHS = [1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 15, 16, 17, 31, 32, 33, 36];
const ROWS = [1, 3, 4, 5, 8, 9, 13];

/** A random-looking row of n logits; kind picks a special row. */
function row(n: number, r: number, kind: number): number[] {
  const v = Array.from({ length: n }, (_, i) => Math.sin(r * 7.1 + i * 1.7) * 9 + Math.cos(i * r) * 3);
  switch (kind) {
    case 1: v[(r * 3) % n] = NaN; break;
    case 2: v[(r * 5) % n] = Infinity; break;
    case 3: v.fill(-Infinity); break;
    case 4: for (let i = 0; i < n; i += 2) v[i] = -Infinity; break;
    case 5: v[(r * 7) % n] = 9e6; break; // beyond 2^22: the row kernels' float64 path
    case 6: v.fill(2.5); break; // every entry is the max
    case 7: for (let i = 0; i < n; i++) v[i] = -1e4 - i; break; // all far below zero
    default: break;
  }
  return v;
}

function close(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w) || !Number.isFinite(w)) {
      assert.ok(Object.is(g, w), `${what}[${i}]: ${g} vs reference ${w}`);
      continue;
    }
    const err = Math.abs(g - w) / ulp32(w);
    assert.ok(err <= WASM_F32_BOUND + 0.5, `${what}[${i}]: ${g} vs reference ${w} (${err.toFixed(2)} ulp)`);
  }
}

function compare(label: string): void {
  for (const n of LENGTHS) {
    for (const rows of ROWS) {
      const data = new Float32Array(rows * n);
      const target = new Int32Array(rows);
      for (let r = 0; r < rows; r++) {
        data.set(row(n, r, (r * 5 + n) % 9), r * n);
        target[r] = (r + n) % 6 === 0 ? -100 : (r * 3 + 1) % n;
      }
      const x = tensor(data, [rows, n]);
      const run = () => {
        const ce = crossEntropyWithGrad(x, target, { reduction: 'none' });
        const w = crossEntropyWithGrad(x, target, { weight: Float64Array.from({ length: n }, (_, i) => 1 + (i % 3)), reduction: 'sum' });
        return [softmax(x).data, logSoftmax(x).data, logSumExp(x).data, ce.loss.data, ce.grad.data, w.grad.data, Float32Array.of(w.loss)] as Float32Array[];
      };
      setBackend('js');
      const want = run();
      setBackend('wasm');
      const got = run();
      const names = ['softmax', 'logSoftmax', 'logSumExp', 'crossEntropy loss', 'crossEntropy grad', 'weighted grad', 'weighted loss'];
      names.forEach((nm, k) => close(got[k], want[k], `${label} ${nm} ${rows}×${n}`));
    }
  }
}

describe('short and odd rows on the wasm backend', () => {
  after(() => {
    setWasmRelaxed(true);
    setBackend('auto');
  });
  it('match the reference with relaxed SIMD (where available)', () => {
    setWasmRelaxed(true);
    compare(wasmRelaxed() ? 'relaxed' : 'plain');
  });
  it('keep e^(x − max) in float64 until the division (a float32 e costs up to 2 ulp of p)', () => {
    // e's relative ulp can be twice p's: rounding e to float32 first put this row 2.5 ulp off
    const row = new Float32Array([0, ...new Array<number>(15).fill(-0.32149145), -5.1985135]);
    for (const n of [row.length, 4 * row.length]) {
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = row[i % row.length];
      const x = tensor(data, [n / row.length, row.length]);
      setBackend('js');
      const want = softmax(x).data;
      for (const relaxed of [true, false]) {
        setWasmRelaxed(relaxed);
        setBackend('wasm');
        const got = softmax(x).data;
        for (let i = 0; i < n; i++) {
          const err = Math.abs(got[i] - want[i]) / ulp32(want[i]);
          assert.ok(err <= 1.5, `element ${i}: ${got[i]} vs ${want[i]} (${err} ulp of the correctly rounded value)`);
        }
      }
    }
  });
  it('match the reference with plain SIMD', () => {
    setWasmRelaxed(false);
    compare('plain');
  });
});
