// The textbook formulas, evaluated the obvious way in float64 or (simulated, each operation
// rounded with Math.fround) float32: what the precision panel compares sigmax against.

export type Round = (v: number) => number;

export const round64: Round = (v) => v;
export const round32: Round = Math.fround;

/** 1 / (1 + e^−x). */
export function sigmoid(x: number, r: Round): number {
  return r(1 / r(1 + r(Math.exp(-x))));
}

/** 1 − σ(x) by subtraction. */
export function oneMinusSigmoid(x: number, r: Round): number {
  return r(1 - sigmoid(x, r));
}

/** σ′(x) = s(1 − s) from the rounded s = σ(x). */
export function sigmoidGrad(x: number, r: Round): number {
  const s = sigmoid(x, r);
  return r(s * r(1 - s));
}

/** log(1 / (1 + e^−x)). */
export function logSigmoid(x: number, r: Round): number {
  return r(Math.log(sigmoid(x, r)));
}

/** −[y log s + (1 − y) log(1 − s)] with s = σ(x). */
export function bce(x: number, y: number, r: Round): number {
  const s = sigmoid(x, r);
  const a = y === 0 ? 0 : r(y * r(Math.log(s)));
  const b = y === 1 ? 0 : r(r(1 - y) * r(Math.log(r(1 - s))));
  return r(-r(a + b));
}

function sum(values: readonly number[], r: Round): number {
  let s = 0;
  for (const v of values) s = r(s + v);
  return s;
}

/** e^z_i / Σ e^z_c, without subtracting the max. */
export function softmax(z: readonly number[], r: Round): number[] {
  const e = z.map((v) => r(Math.exp(v)));
  const s = sum(e, r);
  return e.map((v) => r(v / s));
}

/** The careful textbook softmax: subtract the max first. */
export function softmaxShifted(z: readonly number[], r: Round): number[] {
  const m = Math.max(...z);
  return softmax(
    z.map((v) => r(v - m)),
    r,
  );
}

/** log(softmax(z)), with the max-shifted softmax. */
export function logOfSoftmax(z: readonly number[], r: Round): number[] {
  return softmaxShifted(z, r).map((p) => r(Math.log(p)));
}

/** log Σ e^z_c, directly. */
export function logSumExp(z: readonly number[], r: Round): number {
  return r(Math.log(sum(z.map((v) => r(Math.exp(v))), r)));
}

/** The cross-entropy gradient at class t as p_t − 1, from the max-shifted softmax. */
export function ceGradAt(z: readonly number[], t: number, r: Round): number {
  return r(softmaxShifted(z, r)[t] - 1);
}
