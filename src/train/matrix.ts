// Feature matrices for training, dense (row-major Float64Array) or sparse (CSR), and the few
// products a dense layer needs. Products write into caller-owned buffers and allocate nothing;
// zero inputs are skipped, so one-hot and bag-of-words rows cost what they hold.

import { kernels } from '../backend/index.js';
import type { MatView } from '../backend/kernels.js';

/** A row-major matrix of `rows` × `cols` doubles. */
export interface DenseMatrix {
  readonly kind: 'dense';
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** A compressed-sparse-row matrix: row r holds values[indptr[r] … indptr[r+1]) at columns indices[…]. */
export interface SparseMatrix {
  readonly kind: 'sparse';
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

export type Matrix = DenseMatrix | SparseMatrix;

/** What the models accept as features: a Matrix or plain rows of numbers. */
export type Features = Matrix | readonly (readonly number[])[];

/** A dense matrix from rows of numbers, or from flat data and a column count. */
export function denseMatrix(rows: readonly (readonly number[])[]): DenseMatrix;
export function denseMatrix(data: Float64Array, cols: number): DenseMatrix;
export function denseMatrix(a: readonly (readonly number[])[] | Float64Array, cols?: number): DenseMatrix {
  if (a instanceof Float64Array) {
    const c = cols ?? 0;
    if (!Number.isInteger(c) || c <= 0 || a.length % c !== 0) {
      throw new RangeError(`denseMatrix: ${a.length} values do not split into rows of ${c}`);
    }
    return { kind: 'dense', rows: a.length / c, cols: c, data: a };
  }
  const n = a.length;
  const c = n === 0 ? 0 : a[0].length;
  const data = new Float64Array(n * c);
  for (let r = 0; r < n; r++) {
    if (a[r].length !== c) throw new RangeError(`denseMatrix: row ${r} has ${a[r].length} values, row 0 has ${c}`);
    for (let k = 0; k < c; k++) data[r * c + k] = a[r][k];
  }
  return { kind: 'dense', rows: n, cols: c, data };
}

/** Builds a sparse matrix row by row, in typed arrays that double when full. */
export class SparseBuilder {
  private indptr = new Int32Array(64);
  private indices = new Int32Array(256);
  private values = new Float64Array(256);
  private rows = 0;
  private nnz = 0;
  constructor(readonly cols: number) {}

  /** Appends a row; `indices` must be distinct columns in [0, cols). */
  addRow(indices: ArrayLike<number>, values: ArrayLike<number>): void {
    const n = indices.length;
    if (this.nnz + n > this.indices.length) {
      const size = Math.max(2 * this.indices.length, this.nnz + n);
      this.indices = grow(this.indices, new Int32Array(size));
      this.values = grow(this.values, new Float64Array(size));
    }
    if (this.rows + 2 > this.indptr.length) this.indptr = grow(this.indptr, new Int32Array(2 * this.indptr.length));
    for (let i = 0; i < n; i++) {
      const k = indices[i];
      if (!Number.isInteger(k) || k < 0 || k >= this.cols) throw new RangeError(`SparseBuilder: column ${k} is outside [0, ${this.cols})`);
      this.indices[this.nnz] = k;
      this.values[this.nnz++] = values[i];
    }
    this.indptr[++this.rows] = this.nnz;
  }

  build(): SparseMatrix {
    return {
      kind: 'sparse',
      rows: this.rows,
      cols: this.cols,
      indptr: this.indptr.slice(0, this.rows + 1),
      indices: this.indices.slice(0, this.nnz),
      values: this.values.slice(0, this.nnz),
    };
  }
}

function grow<A extends Int32Array | Float64Array>(from: A, to: A): A {
  to.set(from);
  return to;
}

/** Features as a Matrix: rows of numbers become a dense matrix; a Matrix passes through. */
export function toMatrix(x: Features): Matrix {
  if (!Array.isArray(x) && typeof x === 'object' && x !== null && 'kind' in x) return x as Matrix;
  return denseMatrix(x as readonly (readonly number[])[]);
}

/** A new matrix of the given rows, in that order. */
export function selectRows(m: Matrix, rows: ArrayLike<number>): Matrix {
  if (m.kind === 'dense') {
    const data = new Float64Array(rows.length * m.cols);
    for (let r = 0; r < rows.length; r++) data.set(m.data.subarray(rows[r] * m.cols, (rows[r] + 1) * m.cols), r * m.cols);
    return { kind: 'dense', rows: rows.length, cols: m.cols, data };
  }
  let nnz = 0;
  for (let r = 0; r < rows.length; r++) nnz += m.indptr[rows[r] + 1] - m.indptr[rows[r]];
  const indptr = new Int32Array(rows.length + 1);
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let p = 0;
  for (let r = 0; r < rows.length; r++) {
    const s = m.indptr[rows[r]];
    const e = m.indptr[rows[r] + 1];
    indices.set(m.indices.subarray(s, e), p);
    values.set(m.values.subarray(s, e), p);
    p += e - s;
    indptr[r + 1] = p;
  }
  return { kind: 'sparse', rows: rows.length, cols: m.cols, indptr, indices, values };
}

/** The rows 0, 1, …, n − 1 (for passes over a whole matrix). */
export function range(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

// Shapes below: x [·, k] (rows picked by `rows`, B of them), W [k, n] row-major, b [n], out/G [B, n].
// Dense products over consecutive rows go through the backend's gemm (float64 sums: the wasm
// SIMD kernels, or the JavaScript reference under setBackend('js')); sparse or scattered rows, and
// products too small to pay for the call, use the loops below, which skip zero inputs.

/** Fewest multiply-adds for which a dense product goes through the backend's gemm. */
const GEMM_MIN = 1 << 14;

/** The first of `rows` when they are consecutive (r0, r0 + 1, …), else −1. */
function consecutive(rows: ArrayLike<number>): number {
  const r0 = rows.length > 0 ? rows[0] : 0;
  for (let r = 1; r < rows.length; r++) if (rows[r] !== r0 + r) return -1;
  return r0;
}

/** The dense x's rows as a B × k view when they are consecutive and the product is large enough for gemm, else null. */
function denseRows(x: Matrix, rows: ArrayLike<number>, n: number): MatView | null {
  if (x.kind !== 'dense' || rows.length * x.cols * n < GEMM_MIN) return null;
  const r0 = consecutive(rows);
  return r0 < 0 ? null : { data: x.data, offset: r0 * x.cols, rowStride: x.cols, colStride: 1 };
}

/** out = x[rows] · W + b. */
export function affineRows(x: Matrix, rows: ArrayLike<number>, W: Float64Array, b: Float64Array, n: number, out: Float64Array): void {
  const B = rows.length;
  const xv = denseRows(x, rows, n);
  if (xv !== null) {
    for (let r = 0; r < B; r++) out.set(b.subarray(0, n), r * n);
    kernels().gemm({ M: B, N: n, K: x.cols, a: xv, b: { data: W, offset: 0, rowStride: n, colStride: 1 }, c: out, cOff: 0, ldc: n, accumulate: true, precision: 'f64' });
    return;
  }
  for (let r = 0; r < B; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) out[o + j] = b[j];
    const row = rows[r];
    if (x.kind === 'dense') {
      const k0 = row * x.cols;
      for (let k = 0; k < x.cols; k++) {
        const v = x.data[k0 + k];
        if (v === 0) continue;
        const w0 = k * n;
        for (let j = 0; j < n; j++) out[o + j] += v * W[w0 + j];
      }
    } else {
      for (let p = x.indptr[row]; p < x.indptr[row + 1]; p++) {
        const v = x.values[p];
        const w0 = x.indices[p] * n;
        for (let j = 0; j < n; j++) out[o + j] += v * W[w0 + j];
      }
    }
  }
}

/** dW += x[rows]ᵀ · G. */
export function addInputGrad(x: Matrix, rows: ArrayLike<number>, G: Float64Array, n: number, dW: Float64Array): void {
  const xv = denseRows(x, rows, n);
  if (xv !== null) {
    // xᵀ: swap the strides of the rows' view
    const xt: MatView = { data: xv.data, offset: xv.offset, rowStride: 1, colStride: x.cols };
    kernels().gemm({ M: x.cols, N: n, K: rows.length, a: xt, b: { data: G, offset: 0, rowStride: n, colStride: 1 }, c: dW, cOff: 0, ldc: n, accumulate: true, precision: 'f64' });
    return;
  }
  for (let r = 0; r < rows.length; r++) {
    const g0 = r * n;
    const row = rows[r];
    if (x.kind === 'dense') {
      const k0 = row * x.cols;
      for (let k = 0; k < x.cols; k++) {
        const v = x.data[k0 + k];
        if (v === 0) continue;
        const w0 = k * n;
        for (let j = 0; j < n; j++) dW[w0 + j] += v * G[g0 + j];
      }
    } else {
      for (let p = x.indptr[row]; p < x.indptr[row + 1]; p++) {
        const v = x.values[p];
        const w0 = x.indices[p] * n;
        for (let j = 0; j < n; j++) dW[w0 + j] += v * G[g0 + j];
      }
    }
  }
}

/** db += column sums of G [B, n]. */
export function addBiasGrad(G: Float64Array, B: number, n: number, db: Float64Array): void {
  for (let r = 0; r < B; r++) for (let j = 0; j < n; j++) db[j] += G[r * n + j];
}

/** dX [B, k] = G [B, n] · Wᵀ (the gradient flowing back into a dense layer's input). */
export function backpropInput(G: Float64Array, B: number, W: Float64Array, k: number, n: number, dX: Float64Array): void {
  if (B * k * n >= GEMM_MIN) {
    kernels().gemm({ M: B, N: k, K: n, a: { data: G, offset: 0, rowStride: n, colStride: 1 }, b: { data: W, offset: 0, rowStride: 1, colStride: n }, c: dX, cOff: 0, ldc: k, accumulate: false, precision: 'f64' });
    return;
  }
  for (let r = 0; r < B; r++) {
    const g0 = r * n;
    for (let i = 0; i < k; i++) {
      const w0 = i * n;
      let s = 0;
      for (let j = 0; j < n; j++) s += G[g0 + j] * W[w0 + j];
      dX[r * k + i] = s;
    }
  }
}
