// The wasm backend's worker threads: same bits for any thread count, no process kept alive, and a
// failing worker surfaces as an error rather than a hang.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  binaryCrossEntropyWithLogitsWithGrad, crossEntropyWithGrad, logSigmoid, logSigmoidBackward, logSoftmax, logSumExp, setBackend,
  setThreads, sigmoid, sigmoidBackward, softmax, softmaxBackward, softplus, softplusBackward, tensor,
} from '../../src/index.js';
import { Pool, threadsSupported } from '../../src/backend/wasm/pool.js';
import { setWasmThreads, wasmPoolInfo } from '../../src/backend/wasm/index.js';

/** Blocks until `ready()` says every worker has started (they start asynchronously; calls before that run on this thread). */
function waitReady(ready: () => boolean): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  for (let t = 0; !ready(); t += 10) {
    if (t > 20_000) throw new Error('workers did not start within 20 s');
    Atomics.wait(cell, 0, 0, 10);
  }
}

const R = 48;
const C = 4099; // rows of an odd length, so every SIMD tail is exercised
const x = Float32Array.from({ length: R * C }, (_, i) => Math.sin(i * 0.37) * 12 + (i % 101 === 0 ? -Infinity : 0));
const xt = tensor(x, [R, C]);
const t = Int32Array.from({ length: R }, (_, i) => (i % 7 === 3 ? -100 : (i * 131) % C));

function everything(): Float32Array[] {
  const p = softmax(xt);
  const g = crossEntropyWithGrad(xt, t, { labelSmoothing: 0.1, weight: Float64Array.from({ length: C }, (_, i) => 1 + (i % 3)) });
  const h = crossEntropyWithGrad(xt, t, { reduction: 'none' });
  const probs = tensor(Float32Array.from(p.data, (v, i) => (i % 2 ? v : 0)), [R, C]);
  const k = crossEntropyWithGrad(xt, probs, { reduction: 'sum' });
  const y = Float32Array.from(x, (_, i) => (i % 3) / 2);
  const b = binaryCrossEntropyWithLogitsWithGrad(xt, tensor(y, [R, C]), { reduction: 'sum', posWeight: Float32Array.from({ length: C }, (_, i) => 1 + (i % 5)) });
  return [
    logSigmoid(x), softplus(x, { beta: 2 }), logSigmoidBackward(x, x), softplusBackward(x, x), b.grad.data, Float32Array.of(b.loss),
    p.data, logSoftmax(xt).data, logSumExp(xt).data, sigmoid(x), sigmoidBackward(x, x), softmaxBackward(xt, p).data,
    g.grad.data, Float32Array.of(g.loss), h.grad.data, h.loss.data, k.grad.data, Float32Array.of(k.loss),
  ];
}

describe('worker threads', { skip: threadsSupported() ? false : 'worker_threads or SharedArrayBuffer unavailable' }, () => {
  after(() => {
    setThreads(1);
    setBackend('auto');
  });

  it('give the same bits with 1, 2 and 3 threads', () => {
    setBackend('wasm');
    setThreads(1);
    const one = everything();
    for (const n of [2, 3]) {
      // the backend's own setter: setThreads caps n at the cores, and a 3-way split must be tested on 2 cores too
      setWasmThreads(n);
      const early = everything(); // may run before the workers have started: on this thread
      waitReady(() => wasmPoolInfo()?.ready === n - 1);
      const many = everything();
      const runs = wasmPoolInfo()!.runs;
      assert.ok(runs.every((r) => r > 0), `every worker ran parts: ${JSON.stringify(runs)}`);
      for (const [k, a] of one.entries()) assert.ok(a.every((v, i) => Object.is(v, early[k][i])), `early output ${k} with ${n} threads`);
      one.forEach((a, k) => {
        assert.equal(many[k].length, a.length);
        for (let i = 0; i < a.length; i++) {
          if (!Object.is(a[i], many[k][i])) assert.fail(`output ${k}[${i}]: ${a[i]} with 1 thread, ${many[k][i]} with ${n}`);
        }
      });
    }
  });

  it('give the same bits on short rows, which go four at a time, whatever the split', () => {
    // 65539 rows of 10: with 1 thread the staging chunks, with 2 and 3 the thread ranges, start on
    // multiples of 4 rows, so every row takes the same kernel (four-row group or row kernel)
    setBackend('wasm');
    const rows = 65539;
    const c = 10;
    const xs = tensor(Float32Array.from({ length: rows * c }, (_, i) => Math.sin(i * 0.731) * 9 + (i % 13) * 1e-3), [rows, c]);
    const ts = Int32Array.from({ length: rows }, (_, i) => (i % 11 === 5 ? -100 : (i * 7) % c));
    const run = () => {
      const g = crossEntropyWithGrad(xs, ts, { reduction: 'none' });
      return [softmax(xs).data, logSoftmax(xs).data, logSumExp(xs).data, g.grad.data, g.loss.data];
    };
    setThreads(1);
    const one = run();
    for (const n of [2, 3]) {
      setWasmThreads(n);
      waitReady(() => wasmPoolInfo()?.ready === n - 1);
      const many = run();
      one.forEach((a, k) => {
        for (let i = 0; i < a.length; i++) if (!Object.is(a[i], many[k][i])) assert.fail(`output ${k}[${i}]: ${a[i]} with 1 thread, ${many[k][i]} with ${n}`);
      });
    }
    setThreads(1);
  });

  it('cap a thread count past the pool limit and keep every call working (setThreads(100) broke the backend)', () => {
    setBackend('wasm');
    const x = Float32Array.from({ length: 1 << 18 }, (_, i) => Math.sin(i));
    setThreads(1);
    const want = softmax(x);
    try {
      // setThreads caps at the cores; the backend itself caps at its pool's 64 workers
      for (const set of [setThreads, setWasmThreads]) {
        set(100);
        const info = wasmPoolInfo();
        assert.ok(info !== null && info.size <= 64, `pool of ${info?.size} workers`);
        const got = softmax(x);
        assert.ok(got.every((v, i) => Object.is(v, want[i])));
      }
    } finally {
      setThreads(1);
    }
  });

  it('never keep the process alive', () => {
    const src = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
    const code = `import { setBackend, setThreads, softmax } from ${JSON.stringify(src)};
      setBackend('wasm'); setThreads(2); softmax(new Float32Array(1 << 18)); console.log('done');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /done/);
  });

  it('report a failing worker as an error, not a hang', () => {
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 16, shared: true });
    // a module with no exports: asking a worker for a kernel fails inside the worker
    const mod = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    const pool = new Pool(mod, memory, 1);
    try {
      waitReady(() => pool.ready() === 1);
      assert.throws(() => pool.run([{ fn: 'softmaxF32', args: [] }, { fn: 'softmaxF32', args: [] }], () => {}), /a worker thread failed/);
    } finally {
      pool.close();
    }
  });
});
