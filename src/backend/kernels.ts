// The backend contract: every backend ('js', 'wasm') implements every kernel of `Kernels`, so a
// missing kernel is a compile error. Kernels get validated, same-dtype arrays and write results
// only into the arrays they are given; shapes arrive as a Layout (outer × size × inner).

import type { FloatArray } from '../core/tensor.js';
import type { Layout } from '../core/shape.js';

/** Reading of an optional weight broadcast over the input: data[index(i)] is the weight of element i. */
export interface Broadcast {
  readonly data: Float64Array;
  /** Per input dimension, the stride into data (0 where the weight is broadcast). */
  readonly strides: readonly number[];
  /** The input's shape. */
  readonly shape: readonly number[];
}

/** Arguments of the fused cross-entropy / nll kernels. Row r = o·inner + i of the layout. */
export interface ClassLossArgs {
  readonly input: FloatArray;
  readonly layout: Layout;
  /** Class indices, one per row (exactly one of `index` and `probs` is set). */
  readonly index: ArrayLike<number> | null;
  /** Class probabilities in the input's layout. */
  readonly probs: FloatArray | null;
  /** Class weights, one per class, or null for all ones. */
  readonly classWeight: Float64Array | null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  /** Per-row losses (unscaled), or null. */
  readonly lossOut: FloatArray | null;
  /** Gradient wrt the input, or null for the forward pass only. */
  readonly grad: FloatArray | null;
  /** The gradient of row r is multiplied by gradScale · (gradScales ? gradScales[r] : 1) / gradDivisor. */
  readonly gradScale: number;
  readonly gradScales: FloatArray | null;
  readonly gradDivisor: number;
}

/** Arguments of the elementwise binary cross-entropy kernels. */
export interface BinaryLossArgs {
  readonly input: FloatArray;
  readonly target: FloatArray;
  readonly weight: Broadcast | null;
  /** binaryCrossEntropyWithLogits only. */
  readonly posWeight: Broadcast | null;
  readonly lossOut: FloatArray | null;
  readonly grad: FloatArray | null;
  /** The gradient of element i is multiplied by gradScale · (gradScales ? gradScales[i] : 1) / gradDivisor. */
  readonly gradScale: number;
  readonly gradScales: FloatArray | null;
  readonly gradDivisor: number;
}

/** Arguments of the elementwise KL divergence kernel (klDivergence). */
export interface KlDivergenceArgs {
  /** Log-probabilities. */
  readonly input: FloatArray;
  /** Probabilities, or log-probabilities when logTarget. */
  readonly target: FloatArray;
  readonly logTarget: boolean;
  readonly lossOut: FloatArray | null;
  readonly grad: FloatArray | null;
  /** The gradient of element i is multiplied by gradScale · (gradScales ? gradScales[i] : 1) / gradDivisor. */
  readonly gradScale: number;
  readonly gradScales: FloatArray | null;
  readonly gradDivisor: number;
}

/** A sum as a double-double, as the loss kernels return it. */
export interface DDSum {
  hi: number;
  lo: number;
}

/**
 * A strided matrix: element (i, j) is data[offset + i·rowStride + j·colStride]. Transposing a
 * view swaps its strides; no data moves.
 */
export interface MatView {
  readonly data: FloatArray;
  readonly offset: number;
  readonly rowStride: number;
  readonly colStride: number;
}

/** Arguments of gemm: C (+)= A·B with A an M×K view, B a K×N view, C row-major from cOff with leading dimension ldc. */
export interface GemmArgs {
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly a: MatView;
  readonly b: MatView;
  readonly c: FloatArray;
  readonly cOff: number;
  readonly ldc: number;
  /** Add the product to C's previous values instead of overwriting them. */
  readonly accumulate: boolean;
  /**
   * 'f64': every sum in float64 (float32·float32 products are exact there), each element of C
   * rounded once to C's dtype. 'f32': the caller accepts float32 sums (float32 a, b and c; the
   * wasm backend then sums in float32 with fused multiply-adds where it has them; the reference
   * still sums in float64).
   */
  readonly precision: 'f64' | 'f32';
}

export interface Kernels extends StatsKernels {
  readonly name: 'js' | 'wasm';

  // Elementwise, out[i] = f(x[i]) (out may be x itself).
  sigmoid(x: FloatArray, out: FloatArray): void;
  logSigmoid(x: FloatArray, out: FloatArray): void;
  softplus(x: FloatArray, out: FloatArray, beta: number, threshold: number): void;
  sigmoidBackward(dy: FloatArray, x: FloatArray, out: FloatArray): void;
  logSigmoidBackward(dy: FloatArray, x: FloatArray, out: FloatArray): void;
  softplusBackward(dy: FloatArray, x: FloatArray, out: FloatArray, beta: number, threshold: number): void;

  // Along rows of a layout.
  softmax(x: FloatArray, out: FloatArray, l: Layout, temperature: number, allMaskedZero: boolean): void;
  logSoftmax(x: FloatArray, out: FloatArray, l: Layout, temperature: number, allMaskedZero: boolean): void;
  /** out has outer·inner entries. */
  logSumExp(x: FloatArray, out: FloatArray, l: Layout): void;
  softmaxBackward(dy: FloatArray, y: FloatArray, out: FloatArray, l: Layout): void;
  /** allMaskedZero: a row of y that is all −∞ gets a zero gradient. */
  logSoftmaxBackward(dy: FloatArray, y: FloatArray, out: FloatArray, l: Layout, allMaskedZero: boolean): void;
  softmaxJvp(x: FloatArray, v: FloatArray, out: FloatArray, l: Layout, allMaskedZero: boolean): void;
  /** out is [outer, inner, size, size]. */
  softmaxJacobian(x: FloatArray, out: FloatArray, l: Layout, allMaskedZero: boolean): void;

  // Fused losses: per-row loss, gradient and the sum of losses in one pass.
  crossEntropy(a: ClassLossArgs): DDSum;
  nllLoss(a: ClassLossArgs): DDSum;
  binaryCrossEntropy(a: BinaryLossArgs): DDSum;
  binaryCrossEntropyWithLogits(a: BinaryLossArgs): DDSum;
  klDivergence(a: KlDivergenceArgs): DDSum;

  /** Matrix product C (+)= A·B (see GemmArgs); NaN and ±∞ propagate as IEEE arithmetic says. */
  gemm(a: GemmArgs): void;
}

/**
 * Arguments of the softmaxStats kernel: per-row softmax statistics of `input` along the layout's
 * rows, row r = o·inner + i written at index rowOffset + r of each output array.
 */
export interface SoftmaxStatsArgs {
  readonly input: FloatArray;
  readonly layout: Layout;
  /** Index of row 0 in the output arrays (a tile of rows writing into whole-problem arrays). */
  readonly rowOffset: number;
  readonly max: Float64Array;
  readonly sumExp: Float64Array;
  readonly sumExpLo: Float64Array;
  /** Σ_c w_c·(max − x_c) as a double-double (label smoothing's sum), or both null to skip it. */
  readonly gap: Float64Array | null;
  readonly gapLo: Float64Array | null;
  /** w of the gap sum, one per position in the row; null for all ones. */
  readonly gapWeight: Float64Array | null;
}

/**
 * Per-row statistics from which cross-entropy is formed without the row (merged over vocabulary
 * slices by sigmax/llm's mergeSoftmaxStats): those of SoftmaxStatsArgs plus the target's logit.
 */
export interface RowStats {
  readonly max: Float64Array;
  readonly sumExp: Float64Array;
  readonly sumExpLo: Float64Array;
  /** z at the row's target class (0 for ignored rows). */
  readonly targetLogit: Float64Array;
  /** With labelSmoothing > 0: Σ_c w_c (max − z_c) (double-double) and Σ_c w_c over all C classes. */
  readonly gap: Float64Array | null;
  readonly gapLo: Float64Array | null;
  readonly gapWeight: Float64Array | null;
}

/**
 * Per-row gradient coefficients of cross-entropy, from crossEntropyFromStats, read by
 * crossEntropyGradFromStats. With p_c = e^(z_c − max)/S the gradient wrt z_c of row r is
 * e^(z_c − max)·a_r − b_r·w_c, except at the target class, where it is gt_r.
 */
export interface RowCoefs {
  /** 0: ignored row (zero gradient), 1: active, 2: non-finite row (NaN gradient). */
  readonly kind: Uint8Array;
  readonly max: Float64Array;
  /** a = Y'·scale/S as a double-double (Y' below). */
  readonly a: Float64Array;
  readonly aLo: Float64Array;
  /** b = (ε/C)·scale as a double-double. */
  readonly b: Float64Array;
  readonly bLo: Float64Array;
  /** The whole gradient at the target, cancellation-free, scaled, rounded to float64. */
  readonly gt: Float64Array;
}

/** Arguments of crossEntropyFromStats: rows [rowStart, rowEnd) of C classes from their statistics. */
export interface StatsLossArgs {
  readonly stats: RowStats;
  readonly rowStart: number;
  readonly rowEnd: number;
  /** Number of classes C (label smoothing's ε/C). */
  readonly classes: number;
  /** Class index per row. */
  readonly index: ArrayLike<number>;
  readonly classWeight: Float64Array | null;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  /** λ of the z-loss λ·w_t·lse². */
  readonly zLoss: number;
  /** Per-row losses (z-loss included) and z-losses, indexed by row; null to skip. */
  readonly lossOut: FloatArray | null;
  readonly zLossOut: FloatArray | null;
  /** Whether lossOut/zLossOut entries are rounded to float32. */
  readonly f32: boolean;
  /** log Σ_c e^(z_c) per row (always written). */
  readonly lse: Float64Array;
  /** Gradient coefficients per row, or null for the forward pass only. */
  readonly coefs: RowCoefs | null;
  /** The gradient of row r is multiplied by gradScale · (gradScales ? gradScales[r] : 1) / gradDivisor. */
  readonly gradScale: number;
  readonly gradScales: FloatArray | null;
  readonly gradDivisor: number;
}

/** Arguments of crossEntropyGradFromStats: a tile of rows × a slice of classes, overwritten by its gradient. */
export interface StatsGradArgs {
  /** Logits z of the tile, rows of `classes` contiguous entries; overwritten by ∂loss/∂z. */
  readonly logits: Float64Array;
  readonly rows: number;
  readonly classes: number;
  /** Index of the tile's row 0 in coefs and index. */
  readonly rowOffset: number;
  /** Global class index of the tile's column 0 (classWeight and index are global). */
  readonly classOffset: number;
  readonly coefs: RowCoefs;
  readonly index: ArrayLike<number>;
  readonly classWeight: Float64Array | null;
}

/** Per-row losses' sums from crossEntropyFromStats, as double-doubles. */
export interface StatsLossSums {
  loss: DDSum;
  zLoss: DDSum;
}

/**
 * Row primitives of sigmax/llm (vocabulary-chunked cross-entropy): statistics of a slice of each
 * row, the loss from merged statistics, and the gradient of a slice given those statistics.
 */
export interface StatsKernels {
  /**
   * Per row of the layout: max (−∞ for an empty or all −∞ row, NaN if the row has a NaN),
   * Σ_c e^(x_c − max) as a double-double (sumExp + sumExpLo: 1 + Σ_{c≠argmax} e^(d_c) with
   * d_c = x_c − max exact and each exponential a double-double; 0 for an all −∞ row; the count of
   * +∞ entries, sumExpLo 0, when max is +∞; NaN, sumExpLo 0, for a NaN row) and, when gap is
   * given, Σ_c w_c·(max − x_c) in double-double, skipping w_c = 0 (0 for an all −∞ row, NaN for
   * a row with a NaN or a +∞; a −∞ entry with w_c > 0 makes it +∞; gapLo is 0 whenever gap is
   * not finite). Exact to about 2^−70 relative, as the other reference kernels.
   */
  softmaxStats(a: SoftmaxStatsArgs): void;
  /**
   * Cross-entropy of rows from their merged statistics (rows of the whole vocabulary): with
   * S = sumExp, L = log S (through log1p near 1), lse = max + L,
   * loss = (1 − ε)·w_t·((max − z_t) + L) + (ε/C)·(gap + W·L) + λ·w_t·lse² (ε = labelSmoothing,
   * W = gapWeight, w_t = classWeight[t] or 1), all in double-double, rounded once per output.
   * Ignored rows: loss 0, kind 0. A row whose max is not finite: loss NaN, kind 2, NaN sums.
   * Coefficients (active rows): Y' = (1 − ε)w_t + (ε/C)W + 2λw_t·lse, a = Y'·scale/S,
   * b = (ε/C)·scale, gt = scale·(p_t(Y' − wy_t) − wy_t(1 − p_t)) with wy_t = ((1 − ε) + ε/C)w_t
   * and 1 − p_t = (S − e^(z_t − max))/S, so the target's gradient keeps its digits as p_t → 1.
   * Returns the sums of the rows' losses and z-losses.
   */
  crossEntropyFromStats(a: StatsLossArgs): StatsLossSums;
  /**
   * Overwrites each tile row with ∂loss/∂z from crossEntropyFromStats' coefficients: entry c of
   * row r is e^(z_c − max_r)·a_r − b_r·w_{classOffset+c} evaluated in double-double (the exp a
   * double-double of the exact difference) and rounded once, and gt_r at the row's target when
   * it lies in the slice; ignored rows become 0 and non-finite rows NaN.
   */
  crossEntropyGradFromStats(a: StatsGradArgs): void;
  /**
   * A float64 work array of `length` elements for sigmax/llm's logits tiles: on 'wasm' it lives in
   * the kernels' memory where that memory is shared, so softmaxStats, crossEntropyGradFromStats
   * and gemm read and write it in place instead of copying it in and out; elsewhere (and on 'js')
   * an ordinary Float64Array. Its contents start undefined. Give it back with releaseStatsTile.
   */
  statsTile(length: number): Float64Array;
  /** Frees a tile from statsTile (a no-op for anything else). */
  releaseStatsTile(tile: Float64Array): void;
}
