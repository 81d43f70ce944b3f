import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SigmaxError, tensor, type Tensor } from '../../src/index.js';
import { createVocabParallelPool, linearCrossEntropy, type LinearCrossEntropyOptions } from '../../src/llm/index.js';
import { rand } from './unfused.js';

function problem(f32: boolean, N: number, D: number, V: number, seed: number) {
  const r = rand(seed);
  const mk = (n: number) => {
    const a = Float64Array.from({ length: n }, () => (r() - 0.5) * 3);
    return f32 ? Float32Array.from(a) : a;
  };
  const hidden = tensor(mk(N * D), [N, D]);
  const weight = tensor(mk(V * D), [V, D]);
  const target = Int32Array.from({ length: N }, () => Math.floor(r() * V));
  target[2] = -100;
  const bias = mk(V);
  const classWeight = Float64Array.from({ length: V }, () => 0.5 + r());
  return { hidden, weight, target, bias, classWeight };
}

const dataUrl = (code: string) => new URL(`data:text/javascript,${encodeURIComponent(code)}`);

describe('createVocabParallelPool', () => {
  it('gives the single-process loss and gradients with the vocabulary split over 2 or 3 workers', async () => {
    for (const f32 of [false, true]) {
      const { hidden, weight, target, bias, classWeight } = problem(f32, 11, 5, 53, f32 ? 1 : 2);
      const opts: LinearCrossEntropyOptions = { bias, weight: classWeight, labelSmoothing: 0.1, zLoss: 1e-3, softcap: 4, chunkSize: 8, tokenChunkSize: 4 };
      const single = linearCrossEntropy(hidden, weight, target, opts);
      for (const workers of [f32 ? 2 : 3]) {
        const pool = await createVocabParallelPool(weight, { workers });
        try {
          assert.deepEqual(pool.ranges, workers === 2 ? [[0, 26], [26, 53]] : [[0, 17], [17, 35], [35, 53]]);
          const res = await pool.run(hidden, target, opts);
          // The merged statistics agree to about 2^−70 and gradHidden is summed over slices in
          // another order: equal to a few float64 ulps (and float32 results to one float32 ulp).
          const tol = f32 ? 2 ** -23 : 2 ** -49;
          const near = (a: number, b: number, scale = 0) => Math.abs(a - b) <= tol * (Math.abs(b) + scale) || a === b;
          assert.ok(near(res.loss as number, single.loss as number), `loss ${res.loss} vs ${single.loss}`);
          assert.ok(near(res.zLoss as number, single.zLoss as number));
          res.lse.forEach((v, i) => assert.ok(near(v, single.lse[i])));
          const pairs: [ArrayLike<number>, ArrayLike<number>][] = [
            [(res.gradWeight as Tensor).data, (single.gradWeight as Tensor).data],
            [res.gradBias as Float64Array, single.gradBias as Float64Array],
            [(res.gradHidden as Tensor).data, (single.gradHidden as Tensor).data],
          ];
          for (const [a, b] of pairs) {
            let scale = 0;
            for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
            for (let i = 0; i < a.length; i++) assert.ok(near(a[i], b[i], 1e-3 * scale), `${workers} workers: ${a[i]} vs ${b[i]}`);
          }
          const none = await pool.run(hidden, target, { ...opts, reduction: 'none' });
          const ln = (none.loss as Tensor).data;
          const ls = (linearCrossEntropy(hidden, weight, target, { ...opts, reduction: 'none' }).loss as Tensor).data;
          for (let i = 0; i < ln.length; i++) assert.ok(near(ln[i], ls[i]));
        } finally {
          await pool.close();
        }
      }
    }
  });

  it('gives the single-process gradWeight and gradBias bit for bit: the same gradient logits, multiplied out over the same token blocks', async () => {
    for (const f32 of [false, true]) {
      const { hidden, weight, target, bias, classWeight } = problem(f32, 11, 5, 53, f32 ? 1 : 2);
      const opts: LinearCrossEntropyOptions = { bias, weight: classWeight, labelSmoothing: 0.1, zLoss: 1e-3, softcap: 4, chunkSize: 8, tokenChunkSize: 4 };
      const single = linearCrossEntropy(hidden, weight, target, opts);
      for (const workers of [2, 3]) {
        const pool = await createVocabParallelPool(weight, { workers });
        try {
          const res = await pool.run(hidden, target, opts);
          assert.deepEqual((res.gradWeight as Tensor).data, (single.gradWeight as Tensor).data, `${workers} workers, f32 ${f32}`);
          assert.deepEqual(res.gradBias, single.gradBias, `${workers} workers, f32 ${f32}`);
        } finally {
          await pool.close();
        }
      }
    }
  });

  it('returns what the single-process call returns for N = 0 rows (NaN mean, 0 sum, empty per-item losses)', async () => {
    const { weight } = problem(false, 4, 3, 9, 5);
    const H = tensor(new Float64Array(0), [0, 3]);
    const pool = await createVocabParallelPool(weight, { workers: 2 });
    try {
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        const opts = { reduction, bias: new Float64Array(9) };
        const got = await pool.run(H, new Int32Array(0), opts);
        const want = linearCrossEntropy(H, weight, new Int32Array(0), opts);
        assert.deepEqual(got.loss, want.loss, reduction);
        assert.deepEqual((got.gradWeight as Tensor).data, (want.gradWeight as Tensor).data);
        assert.deepEqual(got.gradBias, want.gradBias);
        assert.deepEqual((got.gradHidden as Tensor).shape, [0, 3]);
      }
    } finally {
      await pool.close();
    }
  });

  it('rejects with SigmaxError on bad input, and after close()', async () => {
    const { weight } = problem(false, 4, 3, 9, 3);
    const pool = await createVocabParallelPool(weight, { workers: 1 });
    await assert.rejects(pool.run(tensor(new Float64Array(8), [2, 4]), [0, 1]), (e: unknown) => e instanceof SigmaxError && e.code === 'SHAPE_MISMATCH');
    await pool.close();
    await assert.rejects(pool.run(tensor(new Float64Array(6), [2, 3]), [0, 1]), /closed/);
  });

  it('surfaces a worker that fails to start, or fails during a run, as a rejected promise', async () => {
    const { weight, hidden, target } = problem(false, 4, 3, 9, 4);
    await assert.rejects(createVocabParallelPool(weight, { workers: 2, workerUrl: dataUrl('throw new Error("cannot start");') }), /cannot start/);
    const crashing = dataUrl(
      'import { parentPort } from "node:worker_threads";\n' +
        'parentPort.postMessage({ ready: true });\n' +
        'parentPort.on("message", () => { throw new Error("boom in the worker"); });\n',
    );
    const pool = await createVocabParallelPool(weight, { workers: 2, workerUrl: crashing });
    await assert.rejects(pool.run(hidden, target), /boom in the worker/);
    await assert.rejects(pool.run(hidden, target), /boom in the worker/);
    await pool.close();
  });

  it('gives up on workers that never say they are ready, instead of waiting forever', async () => {
    const { weight } = problem(false, 4, 3, 9, 4);
    const silent = dataUrl('import { parentPort } from "node:worker_threads";\nparentPort.on("message", () => {});\n');
    await assert.rejects(createVocabParallelPool(weight, { workers: 2, workerUrl: silent, startTimeout: 300 }), /did not start within 300 ms/);
    await assert.rejects(createVocabParallelPool(weight, { startTimeout: -1 }), (e: unknown) => e instanceof SigmaxError && e.code === 'INVALID_OPTION');
  });

  it('does not keep the process alive: a script that never closes its pool exits', () => {
    const script = fileURLToPath(new URL('./fixtures/poolExit.ts', import.meta.url));
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const res = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: root, timeout: 60000, encoding: 'utf8' });
    assert.equal(res.signal, null, `timed out: ${res.stderr}`);
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stdout.trim(), 'done true');
  });
});
