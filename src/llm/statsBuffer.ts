// Softmax statistics laid out on one (Shared)ArrayBuffer, so that workers can fill them in place
// and the pool can merge them without copies: eight float64 arrays of N rows, in the order max,
// sumExp, sumExpLo, targetLogit, gap, gapLo, gapWeight, gapWeightLo.

import type { SoftmaxStats } from './softmaxStats.js';

/** Bytes the statistics of N rows take. */
export const statsBytes = (N: number): number => 8 * 8 * N;

/** Views of N rows of statistics at byteOffset; `reset` makes them empty (max −∞, sums 0). */
export function statsOnBuffer(buf: ArrayBufferLike, byteOffset: number, N: number, gap: boolean, reset = false): SoftmaxStats {
  const at = (k: number) => new Float64Array(buf, byteOffset + k * 8 * N, N);
  const s: SoftmaxStats = {
    shape: [N],
    max: at(0),
    sumExp: at(1),
    sumExpLo: at(2),
    targetLogit: at(3),
    ...(gap ? { gap: at(4), gapLo: at(5), gapWeight: at(6), gapWeightLo: at(7) } : {}),
  };
  if (reset) {
    s.max.fill(-Infinity);
    for (let k = 1; k < 8; k++) at(k).fill(0);
  }
  return s;
}
