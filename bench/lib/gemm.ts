// The GEMM rows: float32 C = A·B at one shape, its seeded operands, and the check of a product
// against a float64 reference on sampled rows. Shared by the orchestrator and the child.

import { uniform } from '../../src/core/rng.js';

/**
 * The shape: M = 256 tokens of hidden size K = 512 against a vocabulary of N = 32000 (one token
 * block of the linear cross-entropy's logits), 8.4 GFLOP, well under a second per call on every
 * system here.
 */
export const GEMM_SHAPE = { M: 256, K: 512, N: 32_000 };

export const gemmFlops = (s: { M: number; K: number; N: number }): number => 2 * s.M * s.N * s.K;

/** Seeded operands, uniform on [−1, 1). */
export function gemmInputs(M: number, K: number, N: number): { a: Float32Array; b: Float32Array } {
  const fill = (n: number, seed: number): Float32Array => {
    const r = uniform(seed);
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = 2 * r() - 1;
    return x;
  };
  return { a: fill(M * K, 0x9e11), b: fill(K * N, 0x9e12) };
}

/** The rows of C checked: first, last and 6 between. */
export function gemmCheckRows(M: number): number[] {
  const s = new Set<number>([0, M - 1]);
  for (let k = 1; k <= 6; k++) s.add(Math.floor((k * M) / 7));
  return [...s].sort((x, y) => x - y);
}

/**
 * The largest |C − C_ref| over the checked rows, relative to K·max|a|·max|b| (the scale of a sum
 * of K products); a NaN or a missing output gives Infinity. float32 sums stay near 1e−7 here.
 */
export function gemmError(c: Float32Array | null, a: Float32Array, b: Float32Array, M: number, K: number, N: number): number {
  if (!c || c.length !== M * N) return Infinity;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) ma = Math.max(ma, Math.abs(a[i]));
  for (let i = 0; i < b.length; i++) mb = Math.max(mb, Math.abs(b[i]));
  const scale = K * ma * mb || 1;
  const row = new Float64Array(N);
  let worst = 0;
  for (const i of gemmCheckRows(M)) {
    row.fill(0);
    for (let k = 0; k < K; k++) {
      const aik = a[i * K + k];
      const o = k * N;
      for (let j = 0; j < N; j++) row[j] += aik * b[o + j];
    }
    for (let j = 0; j < N; j++) {
      const e = Math.abs(c[i * N + j] - row[j]) / scale;
      if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
    }
  }
  return worst;
}

/** The check's bound on gemmError: far above float32 rounding (about 1e−7), far below a wrong product. */
export const GEMM_TOLERANCE = 1e-5;
