// Reference elementwise kernels: sigmoid, logSigmoid, softplus and their backwards.
// Each element is evaluated in double-double (scalar.ts) and rounded once to the output dtype.

import type { FloatArray } from '../core/tensor.js';
import { R, TAIL, TAIL_X, ddDiv, ddMulD, expDD, roundF32, twoProd, unscaleTo } from './dd.js';
import { logSigmoidDD, sigmoidDD, sigmoidSlopeDD, softplusDD } from './scalar.js';

/** Stores R (times nothing) into out[i], rounding once to out's dtype. */
function store(out: FloatArray, f32: boolean, i: number): void {
  out[i] = f32 ? roundF32(R.hi, R.lo) : R.hi;
}

/** Stores dy · R into out[i]; `scaled` says R holds its value times 2^TAIL (a deep-tail slope). */
function storeTimes(out: FloatArray, f32: boolean, i: number, dy: number, scaled: boolean): void {
  ddMulD(R.hi, R.lo, dy);
  out[i] = scaled ? unscaleTo(f32) : f32 ? roundF32(R.hi, R.lo) : R.hi;
}

export function sigmoid(x: FloatArray, out: FloatArray): void {
  const f32 = out instanceof Float32Array;
  for (let i = 0; i < x.length; i++) {
    sigmoidDD(x[i], 0);
    store(out, f32, i);
  }
}

export function logSigmoid(x: FloatArray, out: FloatArray): void {
  const f32 = out instanceof Float32Array;
  for (let i = 0; i < x.length; i++) {
    logSigmoidDD(x[i], 0);
    store(out, f32, i);
  }
}

/**
 * softplus with PyTorch's cut-off: x when β·x > threshold (β·x rounded to double), else
 * log(1 + e^(βx))/β with βx kept exact as a double-double.
 */
export function softplus(x: FloatArray, out: FloatArray, beta: number, threshold: number): void {
  const f32 = out instanceof Float32Array;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v * beta > threshold) {
      out[i] = v;
      continue;
    }
    if (beta === 1) {
      softplusDD(v, 0);
    } else {
      twoProd(beta, v);
      if (!(R.hi - R.hi === 0) && v === v) {
        // β·x overflowed (threshold ∞): softplus(βx)/β is x itself, or 0 below
        out[i] = R.hi > 0 ? v : 0;
        continue;
      }
      if (R.hi < TAIL_X) {
        // log1p(e^t) = e^t to 1e-304 relative: divide e^t·2^TAIL by β, then scale back once.
        expDD(R.hi, R.lo, TAIL);
        ddDiv(R.hi, R.lo, beta, 0);
        out[i] = unscaleTo(f32);
        continue;
      }
      softplusDD(R.hi, R.lo);
      ddDiv(R.hi, R.lo, beta, 0);
    }
    store(out, f32, i);
  }
}

/** dy · σ(x)σ(-x): the slope is formed from x, so it stays exact where σ(x) rounds to 1. */
export function sigmoidBackward(dy: FloatArray, x: FloatArray, out: FloatArray): void {
  const f32 = out instanceof Float32Array;
  for (let i = 0; i < x.length; i++) {
    const g = dy[i];
    const v = x[i];
    sigmoidSlopeDD(v, 0, true);
    storeTimes(out, f32, i, g, v < TAIL_X || v > -TAIL_X);
  }
}

/** dy · σ(-x). */
export function logSigmoidBackward(dy: FloatArray, x: FloatArray, out: FloatArray): void {
  const f32 = out instanceof Float32Array;
  for (let i = 0; i < x.length; i++) {
    const g = dy[i];
    const v = -x[i];
    sigmoidDD(v, 0, true);
    storeTimes(out, f32, i, g, v < TAIL_X);
  }
}

/** dy · σ(βx), and dy itself above the threshold (PyTorch). */
export function softplusBackward(dy: FloatArray, x: FloatArray, out: FloatArray, beta: number, threshold: number): void {
  const f32 = out instanceof Float32Array;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const g = dy[i];
    if (v * beta > threshold) {
      out[i] = g;
      continue;
    }
    if (beta === 1) sigmoidDD(v, 0, true);
    else {
      twoProd(beta, v);
      sigmoidDD(R.hi, R.lo, true);
    }
    storeTimes(out, f32, i, g, v * beta < TAIL_X);
  }
}
