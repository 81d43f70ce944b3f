// setBackend applies to sigmax/llm: its row passes run through kernels(), so on the 'js' backend
// only reference kernels serve a call, and on 'wasm' they reach the wasm kernels where one exists
// (logProbs' logSoftmax; the fused op's gemm, statistics and gradient rows) and the rest through
// the contract (js fallbacks, traced).

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setBackend, tensor } from '../../src/index.js';
import { traceKernels } from '../../src/debug/index.js';
import { linearCrossEntropy, logProbs, softmaxStats } from '../../src/llm/index.js';
import { rand } from './unfused.js';

function problem() {
  const r = rand(21);
  const hidden = tensor(Float32Array.from({ length: 6 * 4 }, () => r() - 0.5), [6, 4]);
  const weight = tensor(Float32Array.from({ length: 9 * 4 }, () => r() - 0.5), [9, 4]);
  const target = Int32Array.from([0, 3, 8, 1, 2, 5]);
  return { hidden, weight, target };
}

describe('sigmax/llm and setBackend', () => {
  after(() => setBackend('auto'));

  it("runs only 'js:' kernels on the js backend, one-pass and chunked alike", () => {
    setBackend('js');
    const { hidden, weight, target } = problem();
    for (const chunkSize of [9, 4]) {
      const k = traceKernels(() => linearCrossEntropy(hidden, weight, target, { chunkSize, labelSmoothing: 0.1 })).kernels;
      assert.ok(k.length > 0 && k.every((n) => n.startsWith('js:')), k.join());
      assert.ok(k.includes('js:softmaxStats') && k.includes('js:crossEntropyFromStats') && k.includes('js:crossEntropyGradFromStats'), k.join());
    }
    const s = traceKernels(() => softmaxStats(hidden)).kernels;
    assert.deepEqual(s, ['js:softmaxStats']);
    assert.deepEqual(traceKernels(() => logProbs(hidden)).kernels, ['js:logSoftmax']);
  });

  it('goes through kernels() on the wasm backend: float32 log-probabilities and the fused op\'s products and row passes on wasm kernels', () => {
    setBackend('wasm');
    const { hidden, weight, target } = problem();
    const lp = traceKernels(() => logProbs(hidden)).kernels;
    assert.ok(lp.length > 0 && lp.every((n) => n.startsWith('wasm:')), lp.join());
    for (const chunkSize of [9, 4]) {
      const k = traceKernels(() => linearCrossEntropy(hidden, weight, target, { chunkSize, labelSmoothing: 0.1 })).kernels;
      for (const want of ['wasm:gemmF64', 'wasm:statsRowsF64', 'wasm:gradRowsF64', 'js:crossEntropyFromStats']) assert.ok(k.includes(want), `${want} in ${k.join()}`);
      assert.ok(!k.includes('js:softmaxStats') && !k.includes('js:crossEntropyGradFromStats'), k.join());
    }
    assert.ok(traceKernels(() => softmaxStats(hidden)).kernels.length > 0);
  });

  it('gives the same fused results on both backends', () => {
    const { hidden, weight, target } = problem();
    setBackend('js');
    const a = linearCrossEntropy(hidden, weight, target, { labelSmoothing: 0.1, zLoss: 1e-3, chunkSize: 4 });
    setBackend('wasm');
    const b = linearCrossEntropy(hidden, weight, target, { labelSmoothing: 0.1, zLoss: 1e-3, chunkSize: 4 });
    assert.equal(a.loss, b.loss);
    assert.deepEqual(a.gradHidden!.data, b.gradHidden!.data);
    assert.deepEqual(a.gradWeight!.data, b.gradWeight!.data);
  });
});
