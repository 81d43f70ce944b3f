import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SigmaxError, tensor } from '../../src/index.js';
import { matmul } from '../../src/llm/index.js';
import { rand } from './unfused.js';

function naive(a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number, ta: boolean, tb: boolean): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (ta ? a[k * M + i] : a[i * K + k]) * (tb ? b[j * K + k] : b[k * N + j]);
      c[i * N + j] = s;
    }
  }
  return c;
}

describe('matmul', () => {
  it('matches the naive product for every transpose and sizes around the block edges', () => {
    const r = rand(11);
    for (const [M, K, N] of [[1, 1, 1], [3, 4, 5], [7, 300, 9], [97, 17, 260], [2, 513, 3]]) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const a = Float64Array.from({ length: M * K }, () => r() - 0.5);
          const b = Float64Array.from({ length: K * N }, () => r() - 0.5);
          const c = matmul(tensor(a, ta ? [K, M] : [M, K]), tensor(b, tb ? [N, K] : [K, N]), { transposeA: ta, transposeB: tb });
          assert.deepEqual(c.shape, [M, N]);
          const ref = naive(a, b, M, K, N, ta, tb);
          for (let i = 0; i < M * N; i++) assert.ok(Math.abs(c.data[i] - ref[i]) <= 1e-13 * K, `${M}×${K}×${N} ${ta} ${tb}`);
        }
      }
    }
  });

  it('sums float32 operands in float64 and rounds once', () => {
    const a = tensor(Float32Array.from([1, 2 ** -24, 2 ** -24]), [1, 3]);
    const b = tensor(Float32Array.from([1, 1, 1]), [3, 1]);
    // 1 + 2^-24 + 2^-24 = 1 + 2^-23 exactly; summing in float32 would give 1.
    assert.equal(matmul(a, b).data[0], 1 + 2 ** -23);
  });

  it('accumulates into out when asked', () => {
    const out = new Float64Array([10, 20]);
    matmul(tensor(Float64Array.from([1, 2]), [2, 1]), tensor(Float64Array.from([3]), [1, 1]), { out, accumulate: true });
    assert.deepEqual(out, Float64Array.from([13, 26]));
  });

  it('throws SigmaxError for mismatched shapes and dtypes', () => {
    assert.throws(() => matmul(tensor(new Float64Array(6), [2, 3]), tensor(new Float64Array(8), [4, 2])), (e: unknown) => e instanceof SigmaxError && e.code === 'SHAPE_MISMATCH' && /inner dimensions differ/.test(e.message));
    assert.throws(() => matmul(tensor(new Float64Array(4), [2, 2]), tensor(new Float32Array(4), [2, 2]) as never), (e: unknown) => e instanceof SigmaxError && e.code === 'DTYPE_MISMATCH');
  });
});
