// sigmax/debug's traceKernels: it names the kernel that served each call, as the README shows,
// records nothing outside a trace, and nests (an inner trace sees its own calls, the outer all).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setBackend, softmax, tensor } from '../../src/index.js';
import { traceKernels } from '../../src/debug/index.js';
import { wasmSimdSupported } from '../../src/backend/wasm/index.js';

describe('traceKernels', () => {
  it('names the wasm kernel for float32 rows and the reference for another axis, as the README shows', { skip: !wasmSimdSupported() && 'no WebAssembly SIMD' }, () => {
    setBackend('wasm');
    assert.deepEqual(traceKernels(() => softmax(new Float32Array([1, 2, 3]))).kernels, ['wasm:softmaxF32']);
    assert.deepEqual(traceKernels(() => softmax(tensor(new Float32Array(6), [3, 2]), { axis: 0 })).kernels, ['js:softmax']);
    setBackend('auto');
  });

  it('names the reference kernel on the js backend and returns the call result', () => {
    setBackend('js');
    const { result, kernels } = traceKernels(() => softmax([0, 0]));
    assert.deepEqual(kernels, ['js:softmax']);
    assert.deepEqual(Array.from(result), [0.5, 0.5]);
    setBackend('auto');
  });

  it('nests: the inner trace sees its own calls, the outer one every call', () => {
    setBackend('js');
    let inner: string[] = [];
    const outer = traceKernels(() => {
      softmax([1, 2]);
      inner = traceKernels(() => softmax(tensor(new Float64Array(4), [2, 2]), { axis: 0 })).kernels;
    }).kernels;
    assert.deepEqual(inner, ['js:softmax']);
    assert.deepEqual(outer, ['js:softmax']);
    setBackend('auto');
  });

  it('keeps the outer trace intact when the traced call throws', () => {
    let caught = false;
    const outer = traceKernels(() => {
      try {
        traceKernels(() => {
          throw new Error('boom');
        });
      } catch {
        caught = true;
      }
      softmax([1, 2]);
    }).kernels;
    assert.ok(caught);
    assert.equal(outer.length, 1);
  });
});
