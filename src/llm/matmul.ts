// The public matrix product of the large-vocabulary ops: C = op(A)·op(B) through the backend's
// gemm (kernels()): the wasm SIMD kernels of assembly/ops/gemm.ts, or the exact JavaScript
// reference of src/reference/gemm.ts under setBackend('js'). Sums run in float64 (float32
// products are exact there) unless the caller asks for float32 sums. A is M×K, B is K×N, C is M×N.

import { fail, show } from '../core/errors.js';
import { booleanOption, checkOptions } from '../core/options.js';
import { kernels } from '../backend/index.js';
import type { MatView } from '../backend/kernels.js';
import { type FloatArray, type Out, type Tensor, describe, isFloatArray, isTensorLike, readArg, tensor } from '../core/tensor.js';

export type { MatView } from '../backend/kernels.js';
/** The reference (float64-summing JavaScript) product, as the 'js' backend's gemm runs it. */
export { gemm } from '../reference/gemm.js';

export interface MatmulOptions {
  /** Use Aᵀ: `a` is stored K×M. Default false. */
  transposeA?: boolean;
  /** Use Bᵀ: `b` is stored N×K (for `hidden · weightᵀ` with weight [V, D]). Default false. */
  transposeB?: boolean;
  /** Preallocated result, M×N, of the operands' dtype. */
  out?: Out;
  /** Add the product to `out` (C += A·B) instead of overwriting it. Needs `out`. Default false. */
  accumulate?: boolean;
  /**
   * Sum float32 operands in float32 ('float32': the wasm backend's fused multiply-add kernel,
   * about twice as fast, error about K·2^−24·Σ_k |a_ik b_kj|) instead of float64 ('float64', the
   * default). Float64 operands are always summed in float64; the 'js' backend always sums in float64.
   */
  precision?: 'float32' | 'float64';
}

function matrix(fn: string, name: string, x: unknown): { data: FloatArray; rows: number; cols: number } {
  const arg = readArg(fn, name, x);
  if (arg.shape.length !== 2) fail(fn, 'SHAPE_MISMATCH', `${name} must be a 2-D tensor, got shape ${show(arg.shape)}`);
  return { data: arg.data, rows: arg.shape[0], cols: arg.shape[1] };
}

/**
 * The matrix product C = op(A)·op(B) of 2-D tensors, op(X) = X or Xᵀ by `transposeA`/`transposeB`.
 * Every element is Σ_k a_ik·b_kj summed in float64 (products of float32 operands are exact in
 * float64) in a fixed order, then rounded once to the operands' dtype: a float32 result is within
 * about K·2^−53·Σ_k |a_ik b_kj| + ½ ulp of the exact value. Both operands must have one dtype.
 * NaN and ±∞ propagate as IEEE arithmetic says (0·∞ = NaN). Shape: op(A) M×K, op(B) K×N, C M×N.
 * On the wasm backend: packed SIMD kernels threaded over whole output tiles (same bits for any
 * thread count); `precision: 'float32'` sums float32 operands in float32 instead.
 */
export function matmul<A extends FloatArray>(a: Tensor<A>, b: Tensor<A>, opts?: MatmulOptions): Tensor<A> {
  const fn = 'matmul';
  checkOptions(fn, opts, ['transposeA', 'transposeB', 'out', 'accumulate', 'precision']);
  const precision = opts?.precision ?? 'float64';
  if (precision !== 'float32' && precision !== 'float64') fail(fn, 'INVALID_OPTION', `precision must be 'float32' or 'float64', got ${show(precision)}`);
  const ta = booleanOption(fn, 'transposeA', opts?.transposeA, false);
  const tb = booleanOption(fn, 'transposeB', opts?.transposeB, false);
  const acc = booleanOption(fn, 'accumulate', opts?.accumulate, false);
  const x = matrix(fn, 'a', a);
  const y = matrix(fn, 'b', b);
  if (!isFloatArray(x.data) || !isFloatArray(y.data) || x.data.constructor !== y.data.constructor) {
    fail(fn, 'DTYPE_MISMATCH', `a is ${describe(x.data)} but b is ${describe(y.data)}; pass them in one dtype`);
  }
  const M = ta ? x.cols : x.rows;
  const K = ta ? x.rows : x.cols;
  const K2 = tb ? y.cols : y.rows;
  const N = tb ? y.rows : y.cols;
  if (K !== K2) {
    fail(fn, 'SHAPE_MISMATCH', `inner dimensions differ: op(a) is ${M}×${K} but op(b) is ${K2}×${N}`);
  }
  let c: FloatArray;
  let outTensor: Tensor<A> | null = null;
  const out = opts?.out;
  if (out !== undefined) {
    const od = isFloatArray(out) ? out : isTensorLike(out) && isFloatArray(out.data) ? out.data : null;
    if (od === null) fail(fn, 'DTYPE_MISMATCH', `out must be a Float32Array, Float64Array or Tensor, got ${describe(out)}`);
    if (od.constructor !== x.data.constructor) fail(fn, 'DTYPE_MISMATCH', `out is ${describe(od)}, expected ${describe(x.data)}`);
    if (od.length !== M * N) fail(fn, 'SHAPE_MISMATCH', `out has ${od.length} elements, expected ${M * N} for a ${M}×${N} result`);
    c = od;
    if (!isFloatArray(out)) outTensor = out as Tensor<A>;
  } else {
    if (acc) fail(fn, 'INVALID_OPTION', 'accumulate needs out (the array to add the product to)');
    c = x.data instanceof Float32Array ? new Float32Array(M * N) : new Float64Array(M * N);
  }
  if (c === x.data || c === y.data) fail(fn, 'INVALID_OPTION', 'out must not be one of the operands');
  const av: MatView = ta ? { data: x.data, offset: 0, rowStride: 1, colStride: x.cols } : { data: x.data, offset: 0, rowStride: x.cols, colStride: 1 };
  const bv: MatView = tb ? { data: y.data, offset: 0, rowStride: 1, colStride: y.cols } : { data: y.data, offset: 0, rowStride: y.cols, colStride: 1 };
  kernels().gemm({ M, N, K, a: av, b: bv, c, cOff: 0, ldc: N, accumulate: acc, precision: precision === 'float32' ? 'f32' : 'f64' });
  if (outTensor !== null && outTensor.shape.length === 2 && outTensor.shape[0] === M && outTensor.shape[1] === N) return outTensor;
  return tensor(c as A, [M, N]);
}
