// The per-row (per-element) gradient factor of the reference loss kernels, scale·gradScales[r]/divisor,
// applied to a double-double gradient in double-double steps and rounded once when stored.

import type { FloatArray } from '../core/tensor.js';
import { R, ddDiv, ddMulD, roundF32, unscaleTo } from './dd.js';

/** The factor of the row being stored: R · mul / div. A loss kernel sets both before storing its gradients. */
export const GRAD = { mul: 1, div: 1 };

/** Stores R · GRAD.mul / GRAD.div into grad[k], rounded once; `scaled`: R holds its value times 2^TAIL. */
export function storeGrad(grad: FloatArray, f32: boolean, k: number, scaled = false): void {
  if (GRAD.mul !== 1) ddMulD(R.hi, R.lo, GRAD.mul);
  if (GRAD.div !== 1) ddDiv(R.hi, R.lo, GRAD.div, 0);
  grad[k] = scaled ? unscaleTo(f32) : f32 ? roundF32(R.hi, R.lo) : R.hi;
}
