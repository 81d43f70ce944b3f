// The allocating calls (softmax(x) with no `out`) on the wasm backend: their results are fresh
// Float32Arrays of their own (an ArrayBuffer, not the shared wasm memory, not aliased with the
// input or with another result), and they hold the same bits as `out` calls and zero-copy calls
// (in and out, or inputs only), at 1 thread and with worker threads, pipelined (this thread copies
// chunks in and out while the workers compute others) or not: for rows of 3 to 33 elements (the
// four-row kernels and their group boundaries), row counts around the staging chunks of either
// path, and rows long enough for the block path.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  crossEntropyWithGrad, logSoftmax, logSumExp, setBackend, setThreads, sigmoid, sigmoidBackward, softmax, softmaxBackward, tensor,
} from '../../src/index.js';
import { allocFloat32, freeFloat32, isWasmFloat32 } from '../../src/wasm/index.js';
import { setWasmThreads, wasmPoolInfo } from '../../src/backend/wasm/index.js';
import { staging } from '../../src/backend/wasm/scheduler.js';
import { threadsSupported } from '../../src/backend/wasm/pool.js';

function waitReady(ready: () => boolean): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (let t = 0; !ready(); t += 10) {
    if (t > 20_000) throw new Error('workers did not start within 20 s');
    Atomics.wait(cell, 0, 0, 10);
  }
}

function logits(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(i * 0.613 + seed) * 13 + (i % 89 === 5 ? -Infinity : 0) + (i % 1031 === 7 ? 40 : 0);
  return a;
}

function sameBits(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

/** A fresh result: a plain Float32Array over a whole ArrayBuffer of its own, outside the wasm memory. */
function assertFresh(r: Float32Array, n: number, inputs: readonly Float32Array[], what: string): void {
  assert.ok(r instanceof Float32Array, `${what}: a Float32Array`);
  assert.equal(r.length, n, `${what}: length`);
  assert.ok(r.buffer instanceof ArrayBuffer, `${what}: an ArrayBuffer`);
  assert.ok(typeof SharedArrayBuffer !== 'function' || !(r.buffer instanceof SharedArrayBuffer), `${what}: not shared`);
  assert.equal(isWasmFloat32(r), false, `${what}: not in the wasm memory`);
  assert.equal(r.byteOffset, 0, `${what}: its own buffer`);
  assert.equal(r.buffer.byteLength, n * 4, `${what}: its own buffer`);
  for (const x of inputs) assert.notEqual(r.buffer, x.buffer, `${what}: not the input's buffer`);
}

type Outs = Float32Array[];

type How = 'alloc' | 'out' | 'zc' | 'zc-in';

/** Every fast float32 op on rows × n, allocating ('alloc'), into plain `out` arrays ('out'), zero-copy ('zc'), or from zero-copy inputs into plain outputs ('zc-in'). */
function everything(rows: number, n: number, how: How): Outs {
  const size = rows * n;
  const make = (k: number) => (how === 'zc' ? allocFloat32(k) : new Float32Array(k).fill(7));
  const input = (k: number) => (how === 'zc-in' ? allocFloat32(k) : make(k));
  const x = input(size);
  x.set(logits(size, 1));
  const dy = input(size);
  dy.set(logits(size, 2));
  const xt = tensor(x, [rows, n]);
  const t = Int32Array.from({ length: rows }, (_, i) => (i % 9 === 4 ? -100 : (i * 131) % n));
  const res: Outs = [];
  const arrays = [x, dy];
  const one = (f: (out: Float32Array | undefined) => Float32Array, k = size) => {
    if (how === 'alloc') {
      const r = f(undefined);
      assertFresh(r, k, arrays, `result ${res.length}`);
      res.push(r);
      return;
    }
    const o = make(k);
    const r = f(o);
    assert.equal(r.buffer, o.buffer);
    res.push(how === 'zc' ? o.slice() : o);
    arrays.push(o);
  };
  one((out) => softmax(xt, { out }).data);
  one((out) => logSoftmax(xt, { out }).data);
  one((out) => logSumExp(xt, { out }).data, rows);
  one((out) => sigmoid(x, { out }));
  one((out) => sigmoidBackward(dy, x, { out }));
  const p = res[0];
  one((out) => softmaxBackward(tensor(dy, [rows, n]), tensor(how === 'zc' ? arrays[2] : p, [rows, n]), { out }).data);
  let loss = NaN;
  one((out) => {
    const g = crossEntropyWithGrad(xt, t, { out });
    loss = g.loss;
    return g.grad.data;
  });
  res.push(Float32Array.of(loss));
  one((out) => {
    const g = crossEntropyWithGrad(xt, t, { out, labelSmoothing: 0.1 });
    loss = g.loss;
    return g.grad.data;
  });
  res.push(Float32Array.of(loss));
  if (how === 'zc') for (const a of arrays) freeFloat32(a);
  if (how === 'zc-in') [x, dy].forEach(freeFloat32);
  return res;
}

/**
 * [rows, n]: short rows around the four-row groups, rows around the 1-thread staging chunks (65536
 * elements), calls of eight pipelined chunks (262144 elements each) and a few rows more, long rows.
 */
const SHAPES: [number, number][] = [
  [1, 3], [7, 4], [4099, 4], [16387, 4], [524288, 4], [5, 5], [4101, 8], [65539, 8], [33, 31], [2001, 33],
  [65, 1000], [66, 1000], [131, 1000], [2096, 1000], [2301, 1000],
  [9, 65535], [2, 65536], [3, 70001], [1, 151936],
];

describe('fresh outputs of the allocating calls', () => {
  after(() => {
    staging.pipeline = true;
    setThreads(1);
    setBackend('auto');
  });

  it('are fresh arrays with the bits of out and zero-copy calls at 1 thread', () => {
    setBackend('wasm');
    setThreads(1);
    for (const [rows, n] of SHAPES) {
      const a = everything(rows, n, 'alloc');
      const o = everything(rows, n, 'out');
      const z = everything(rows, n, 'zc');
      const zi = everything(rows, n, 'zc-in');
      a.forEach((v, k) => {
        sameBits(v, o[k], `${rows}×${n} output ${k}, alloc vs out`);
        sameBits(v, z[k], `${rows}×${n} output ${k}, alloc vs zero-copy`);
        sameBits(v, zi[k], `${rows}×${n} output ${k}, alloc vs zero-copy inputs`);
      });
    }
  });

  it('are not shared with each other or with later calls', () => {
    setBackend('wasm');
    setThreads(1);
    const x = logits(4 * 70001, 3);
    const a = softmax(x);
    const b = softmax(x);
    assert.notEqual(a.buffer, b.buffer);
    sameBits(a, b, 'two calls');
    a.fill(0);
    sameBits(b, softmax(x), 'a result written after the call');
  });

  it('hold the same bits with 2 and 3 threads, pipelined or not (2 threads)', { skip: threadsSupported() ? false : 'worker_threads or SharedArrayBuffer unavailable' }, () => {
    setBackend('wasm');
    setThreads(1);
    const one = SHAPES.map(([rows, n]) => everything(rows, n, 'alloc'));
    try {
      for (const threads of [2, 3]) {
        // the backend's own setter: setThreads caps at the cores, and a 3-way split must be tested on 2 cores too
        setWasmThreads(threads);
        softmax(new Float32Array(1 << 18)); // starts the workers
        waitReady(() => wasmPoolInfo()?.ready === threads - 1);
        // zero-copy in and out stages nothing, so it runs the same path either way: 'zc' once
        for (const pipeline of threads === 2 ? [true, false] : [true]) {
          staging.pipeline = pipeline;
          SHAPES.forEach(([rows, n], s) => {
            for (const how of pipeline ? (['alloc', 'out', 'zc', 'zc-in'] as const) : (['alloc', 'out', 'zc-in'] as const)) {
              const got = everything(rows, n, how);
              one[s].forEach((v, k) => sameBits(got[k], v, `${rows}×${n} output ${k}, ${how}, ${threads} threads${pipeline ? '' : ', unpipelined'}`));
            }
          });
        }
      }
    } finally {
      staging.pipeline = true;
      setThreads(1);
    }
  });

  it('run a large threaded call in several chunks, each on the workers', { skip: threadsSupported() ? false : 'worker_threads or SharedArrayBuffer unavailable' }, () => {
    setBackend('wasm');
    try {
      setWasmThreads(2);
      softmax(new Float32Array(1 << 18));
      waitReady(() => wasmPoolInfo()?.ready === 1);
      const x = logits(64 * 32000, 4);
      const before = wasmPoolInfo()!.runs[0];
      const p = softmax(tensor(x, [64, 32000])).data;
      const parts = wasmPoolInfo()!.runs[0] - before;
      assert.ok(parts >= 4, `the worker ran ${parts} parts for 8 chunks`);
      assertFresh(p, x.length, [x], 'softmax');
    } finally {
      setThreads(1);
    }
  });
});
