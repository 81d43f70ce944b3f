// gradcheck: compares an analytic gradient with central differences, element by element.

import { fail, show } from '../core/errors.js';
import { checkOptions, numberOption } from '../core/options.js';
import { type FloatArray, type Input, isFloatArray, isTensorLike, readArg, tensor } from '../core/tensor.js';

export interface GradcheckOptions {
  /** Relative step: h = eps·max(1, |x_i|). Default 1e-6 (float64), 1e-3 (float32). */
  eps?: number;
  /** Relative tolerance. Default 1e-5 (float64), 1e-2 (float32). */
  rtol?: number;
  /** Absolute tolerance. Default 1e-7 (float64), 1e-3 (float32). */
  atol?: number;
}

export interface GradcheckResult {
  /** Every element satisfies |analytic − numeric| ≤ atol + rtol·|numeric|. */
  ok: boolean;
  maxAbsError: number;
  maxRelError: number;
  /** The flat index of the element with the largest error relative to its tolerance (−1 for an empty x). */
  worstIndex: number;
}

/** What the checked function returns: its value (`value` or `loss`) and its gradient wrt x. */
export interface ValueAndGrad {
  value?: number;
  loss?: unknown;
  grad: unknown;
}

function gradData(g: unknown): ArrayLike<number> {
  if (isFloatArray(g) || Array.isArray(g)) return g as ArrayLike<number>;
  if (isTensorLike(g) && isFloatArray(g.data)) return g.data;
  return fail('gradcheck', 'INVALID_OPTION', 'f must return { value | loss: number, grad: array or Tensor }');
}

function valueOf(r: ValueAndGrad): number {
  const v = r.value !== undefined ? r.value : r.loss;
  if (typeof v !== 'number') fail('gradcheck', 'INVALID_OPTION', `f must return a scalar value or loss, got ${show(typeof v)}; use reduction 'sum' or 'mean'`);
  return v;
}

/**
 * Checks the gradient returned by `f` against central differences (f(x + h) − f(x − h))/2h,
 * perturbing one element of a copy of x at a time (x itself is never changed). `f` receives an
 * argument of x's kind (Tensor, typed array or Float64Array for number[]) and returns
 * `{ value, grad }` — the `…WithGrad` losses qualify as they are: `{ loss, grad }`.
 */
export function gradcheck(f: (x: any) => ValueAndGrad, x: Input, opts?: GradcheckOptions): GradcheckResult {
  const fn = 'gradcheck';
  checkOptions(fn, opts, ['eps', 'rtol', 'atol']);
  if (typeof f !== 'function') fail(fn, 'INVALID_OPTION', `f must be a function, got ${typeof f}`);
  const a = readArg(fn, 'x', x);
  const f32 = a.data instanceof Float32Array;
  const pos = (v: number) => v > 0 && v < Infinity;
  const eps = numberOption(fn, 'eps', opts?.eps, f32 ? 1e-3 : 1e-6, pos, 'a finite number > 0');
  const rtol = numberOption(fn, 'rtol', opts?.rtol, f32 ? 1e-2 : 1e-5, (v) => v >= 0, 'a number ≥ 0');
  const atol = numberOption(fn, 'atol', opts?.atol, f32 ? 1e-3 : 1e-7, (v) => v >= 0, 'a number ≥ 0');
  const work: FloatArray = a.data.slice();
  const arg = a.kind === 'tensor' ? tensor(work, a.shape) : work;
  const analytic = Float64Array.from(gradData(f(arg).grad));
  if (analytic.length !== work.length) {
    fail(fn, 'SHAPE_MISMATCH', `f returned a gradient of ${analytic.length} elements for an x of ${work.length}`);
  }
  let maxAbs = 0;
  let maxRel = 0;
  let worst = -1;
  let worstRatio = -1;
  let ok = true;
  for (let i = 0; i < work.length; i++) {
    const xi = work[i];
    const h = eps * Math.max(1, Math.abs(xi));
    work[i] = xi + h;
    const up = valueOf(f(arg));
    const hUp = work[i] - xi; // the step actually taken after rounding to x's dtype
    work[i] = xi - h;
    const down = valueOf(f(arg));
    const hDown = xi - work[i];
    work[i] = xi;
    const numeric = (up - down) / (hUp + hDown);
    const err = Math.abs(analytic[i] - numeric);
    const rel = err / Math.max(Math.abs(numeric), Number.MIN_VALUE);
    const tol = atol + rtol * Math.abs(numeric);
    const ratio = err / tol;
    if (!(err <= tol)) ok = false;
    if (err > maxAbs || err !== err) maxAbs = err !== err ? NaN : Math.max(maxAbs, err);
    if (rel > maxRel) maxRel = rel;
    if (ratio > worstRatio || (ratio !== ratio && worstRatio === worstRatio)) {
      worstRatio = ratio;
      worst = i;
    }
  }
  return { ok, maxAbsError: maxAbs, maxRelError: maxRel, worstIndex: worst };
}
