// The fast path, observed: for every op the manifest gives a float32 WebAssembly kernel, a call on
// Float32Array data under the 'wasm' backend runs that kernel and no reference kernel, for rows of
// every length around the SIMD width; under 'js', and for float64 data (fast float64 off, the
// default), only the exact reference runs. A silent fallback fails here, not in a benchmark.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { getBackend, setBackend, tensor } from '../../src/index.js';
import { traceKernels } from '../../src/debug/index.js';
import { getFastFloat64 } from '../../src/wasm/index.js';
import { ALL_OPS, type Op, opByName } from '../../src/ops/manifest.js';

const LENGTHS = [1, 3, 4, 5, 31, 32, 33, 1000];
const ROWS = 3;

type Dtype = 'float32' | 'float64';

/** The arguments of one call of `op` on [ROWS, n] data of the given dtype, built from its manifest inputs. */
function argsOf(op: Op, n: number, dtype: Dtype): unknown[] {
  const shape = [ROWS, n];
  const data = (f: (i: number) => number) => {
    const a = dtype === 'float32' ? new Float32Array(ROWS * n) : new Float64Array(ROWS * n);
    for (let i = 0; i < a.length; i++) a[i] = f(i);
    return tensor(a, shape);
  };
  const value = (domain: string | undefined, f: (i: number) => number) => data(domain === 'probability' ? (i) => 0.05 + 0.9 * Math.abs(Math.sin(f(i))) : f);
  const x = value(op.inputs[0].domain, (i) => Math.sin(i * 0.7) * 6);
  return op.inputs.map((input) => {
    switch (input.role) {
      case 'input':
        return x;
      case 'dy':
        return data((i) => Math.cos(i * 0.3));
      case 'target':
        if (input.target === 'elementwise') return value(input.domain, (i) => i * 0.4);
        return Int32Array.from({ length: ROWS }, (_, r) => (r * 7) % n);
      default:
        // the forward output a backward op takes (y of softmaxBackward), computed outside the trace, or a tangent
        return op.forward ? opByName(op.forward)!.fn(x) : data((i) => Math.cos(i * 1.1));
    }
  });
}

/** Each public function of an op: the op itself and, for losses, its Backward and WithGrad. */
const callsOf = (op: Op) => [op.fn, op.backward, op.withGrad].filter((f) => f !== undefined);

const FAST = ALL_OPS.filter((o) => o.wasm.float32 !== null);

function onBackend(name: 'js' | 'wasm', body: () => void): void {
  describe(`on the '${name}' backend`, () => {
    let prev: string;
    before(() => {
      prev = getBackend();
      setBackend(name);
    });
    after(() => setBackend(prev as 'js' | 'wasm'));
    body();
  });
}

describe('the fast path', () => {
  it('covers the ops that have float32 kernels', () => {
    assert.ok(FAST.length >= 10, FAST.map((o) => o.name).join(', '));
  });

  onBackend('wasm', () => {
    for (const op of FAST) {
      it(`${op.name} on Float32Array rows of length ${LENGTHS.join(', ')} runs wasm:${op.wasm.float32} and no reference kernel`, () => {
        for (const n of LENGTHS) {
          const args = argsOf(op, n, 'float32');
          for (const f of callsOf(op)) {
            const { kernels } = traceKernels(() => f(...args));
            assert.ok(kernels.includes(`wasm:${op.wasm.float32}`), `${f.name} n=${n}: ran [${kernels.join(', ')}]`);
            assert.ok(!kernels.some((k) => k.startsWith('js:')), `${f.name} n=${n}: ran [${kernels.join(', ')}]`);
          }
        }
      });
    }

    for (const op of ALL_OPS) {
      it(`${op.name} on Float64Array runs the exact reference while fast float64 is off`, () => {
        assert.equal(getFastFloat64(), false);
        for (const n of [1, 5, 33]) {
          const args = argsOf(op, n, 'float64');
          for (const f of callsOf(op)) {
            const { kernels } = traceKernels(() => f(...args));
            assert.ok(kernels.length > 0 && kernels.every((k) => k.startsWith('js:')), `${f.name} n=${n}: ran [${kernels.join(', ')}]`);
            assert.ok(kernels.includes(`js:${op.kernel}`), `${f.name} n=${n}: ran [${kernels.join(', ')}]`);
          }
        }
      });
    }
  });

  onBackend('js', () => {
    for (const op of ALL_OPS) {
      it(`${op.name} runs only the reference kernel js:${op.kernel}, in both dtypes`, () => {
        for (const dtype of ['float32', 'float64'] as const) {
          for (const n of [1, 4, 33]) {
            const args = argsOf(op, n, dtype);
            for (const f of callsOf(op)) {
              const { kernels } = traceKernels(() => f(...args));
              assert.ok(kernels.length > 0 && kernels.every((k) => k.startsWith('js:')), `${f.name} ${dtype} n=${n}: ran [${kernels.join(', ')}]`);
              assert.ok(kernels.includes(`js:${op.kernel}`), `${f.name} ${dtype} n=${n}: ran [${kernels.join(', ')}]`);
            }
          }
        }
      });
    }
  });
});
