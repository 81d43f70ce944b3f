// The reference matrix product C (+)= op(A)·op(B) in plain TypeScript (the 'js' backend's gemm),
// cache-blocked (Goto/BLIS loop order without packing) around one 3×4 register-blocked
// micro-kernel that reads its operands through strides, so transposes cost nothing. Products are
// exact in float64 for float32 operands and every sum is accumulated in float64; a float32 result
// is rounded once per element at the end. Shapes: A is M×K, B is K×N, C is M×N.

import type { FloatArray } from '../core/tensor.js';
import type { MatView } from '../backend/kernels.js';

/** Rows of A (and C) per micro-kernel call. */
const MR = 3;
/** Columns of B (and C) per micro-kernel call. */
const NR = 4;
/** Depth of one k-block: an MR×KC strip of A and a KC×NR strip of B stay in L1 (KC·(MR+NR)·8 bytes = 14 KB). */
const KC = 256;
/** Rows of A per block: MC×KC of A stays in L2 while the columns of a block of B go by. */
const MC = 96;
/** Columns of B per block (wider when A has few rows, so that B is streamed once: see gemm). */
const NC = 256;
/** Capacity of the float64 block CT: MC·NC elements. */
const CT_CAP = MC * NC;

/** The float64 block that one (ic, jc) block of C is summed in before it is stored. */
const CT = new Float64Array(CT_CAP);

/**
 * C (+)= A·B for an M×K view A, a K×N view B and a row-major C with leading dimension ldc
 * (C[i][j] = c[cOff + i·ldc + j]). Sums run over all K in float64 and each element of C is
 * written once (rounded once when C is a Float32Array). `accumulate` adds to C's previous value
 * (in float64, before that one rounding).
 */
export function gemm(
  M: number, N: number, K: number,
  a: MatView, b: MatView,
  c: FloatArray, cOff: number, ldc: number,
  accumulate: boolean,
): void {
  if (M === 0 || N === 0) return;
  const A = a.data;
  const B = b.data;
  const ais = a.rowStride;
  const aks = a.colStride;
  const bks = b.rowStride;
  const bjs = b.colStride;
  const ct = CT;
  if (K <= KC) {
    // One k-block: every element of C receives one sum, so the micro-kernel stores into C
    // directly (adding to it for accumulate), rounding once, with no float64 block in between.
    for (let jc = 0; jc < N; jc += NC) {
      const nc = Math.min(NC, N - jc);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        const aBase = a.offset + ic * ais;
        const bBase = b.offset + jc * bjs;
        const cBase = cOff + ic * ldc + jc;
        block(mc, nc, K, A, aBase, ais, aks, B, bBase, bks, bjs, c, cBase, ldc, accumulate);
      }
    }
    return;
  }
  // With few rows (M ≤ MC) C is small: widen the column blocks to fill CT, so that every block
  // of B (for example the rows of a vocabulary-sized weight) goes through the cache once.
  let ncb = NC;
  if (M <= MC) ncb = Math.max(NC, Math.min(N, Math.floor(CT_CAP / M / NR) * NR));
  for (let jc = 0; jc < N; jc += ncb) {
    const nc = Math.min(ncb, N - jc);
    for (let ic = 0; ic < M; ic += MC) {
      const mc = Math.min(MC, M - ic);
      // Start the block from C (accumulate) or from zero; CT rows are nc apart.
      for (let i = 0; i < mc; i++) {
        const co = cOff + (ic + i) * ldc + jc;
        const to = i * nc;
        if (accumulate) for (let j = 0; j < nc; j++) ct[to + j] = c[co + j];
        else for (let j = 0; j < nc; j++) ct[to + j] = 0;
      }
      for (let pc = 0; pc < K; pc += KC) {
        const kc = Math.min(KC, K - pc);
        const aBase = a.offset + ic * ais + pc * aks;
        const bBase = b.offset + pc * bks + jc * bjs;
        block(mc, nc, kc, A, aBase, ais, aks, B, bBase, bks, bjs, ct, 0, nc, true);
      }
      for (let i = 0; i < mc; i++) {
        const co = cOff + (ic + i) * ldc + jc;
        const to = i * nc;
        for (let j = 0; j < nc; j++) c[co + j] = ct[to + j];
      }
    }
  }
}

/**
 * One mc×nc block of C over one k-block: column panels of NR outer, row panels of MR inner, so
 * that each KC×NR strip of B stays in L1 while all the MR-row strips of A (in L2) go past it.
 * Partial panels at the borders go through edge().
 */
function block(
  mc: number, nc: number, kc: number,
  A: FloatArray, aBase: number, ais: number, aks: number,
  B: FloatArray, bBase: number, bks: number, bjs: number,
  ct: FloatArray, t0: number, ldt: number, add: boolean,
): void {
  const mFull = mc - (mc % MR);
  let jr = 0;
  for (; jr + NR <= nc; jr += NR) {
    const pb = bBase + jr * bjs;
    let ir = 0;
    for (; ir < mFull; ir += MR) micro(kc, A, aBase + ir * ais, ais, aks, B, pb, bks, bjs, ct, t0 + ir * ldt + jr, ldt, add);
    if (ir < mc) edge(mc - ir, NR, kc, A, aBase + ir * ais, ais, aks, B, pb, bks, bjs, ct, t0 + ir * ldt + jr, ldt, add);
  }
  if (jr < nc) edge(mc, nc - jr, kc, A, aBase, ais, aks, B, bBase + jr * bjs, bks, bjs, ct, t0 + jr, ldt, add);
}

/**
 * The 3×4 register block: s_rs = Σ_k A[pa + r·ais + k·aks]·B[pb + k·bks + s·bjs] for r < 3,
 * s < 4, added to (add) or stored into ct[t + r·ldt + s].
 */
function micro(
  kc: number,
  A: FloatArray, pa: number, ais: number, aks: number,
  B: FloatArray, pb: number, bks: number, bjs: number,
  ct: FloatArray, t: number, ldt: number, add: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  const a1 = ais;
  const a2 = 2 * ais;
  const b1 = bjs;
  const b2 = 2 * bjs;
  const b3 = 3 * bjs;
  for (let k = 0; k < kc; k++, pa += aks, pb += bks) {
    const x0 = A[pa];
    const x1 = A[pa + a1];
    const x2 = A[pa + a2];
    const y0 = B[pb];
    const y1 = B[pb + b1];
    const y2 = B[pb + b2];
    const y3 = B[pb + b3];
    c00 += x0 * y0; c01 += x0 * y1; c02 += x0 * y2; c03 += x0 * y3;
    c10 += x1 * y0; c11 += x1 * y1; c12 += x1 * y2; c13 += x1 * y3;
    c20 += x2 * y0; c21 += x2 * y1; c22 += x2 * y2; c23 += x2 * y3;
  }
  if (add) {
    ct[t] += c00; ct[t + 1] += c01; ct[t + 2] += c02; ct[t + 3] += c03;
    t += ldt;
    ct[t] += c10; ct[t + 1] += c11; ct[t + 2] += c12; ct[t + 3] += c13;
    t += ldt;
    ct[t] += c20; ct[t + 1] += c21; ct[t + 2] += c22; ct[t + 3] += c23;
  } else {
    ct[t] = c00; ct[t + 1] = c01; ct[t + 2] = c02; ct[t + 3] = c03;
    t += ldt;
    ct[t] = c10; ct[t + 1] = c11; ct[t + 2] = c12; ct[t + 3] = c13;
    t += ldt;
    ct[t] = c20; ct[t + 1] = c21; ct[t + 2] = c22; ct[t + 3] = c23;
  }
}

/** The same for a partial block at the border (mr ≤ MR rows or nr ≤ NR columns). */
function edge(
  mr: number, nr: number, kc: number,
  A: FloatArray, pa: number, ais: number, aks: number,
  B: FloatArray, pb: number, bks: number, bjs: number,
  ct: FloatArray, t: number, ldt: number, add: boolean,
): void {
  for (let r = 0; r < mr; r++) {
    for (let s = 0; s < nr; s++) {
      let acc = 0;
      let ia = pa + r * ais;
      let ib = pb + s * bjs;
      for (let k = 0; k < kc; k++, ia += aks, ib += bks) acc += A[ia] * B[ib];
      if (add) ct[t + r * ldt + s] += acc;
      else ct[t + r * ldt + s] = acc;
    }
  }
}
