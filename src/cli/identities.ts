// The numerical checks behind `sigmax demo` (the tutorial's identities) and `sigmax gradcheck`
// (every op and loss against central differences), at seeded random points, in float64.

import {
  binaryCrossEntropy,
  binaryCrossEntropyBackward,
  binaryCrossEntropyWithGrad,
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsBackward,
  binaryCrossEntropyWithLogitsWithGrad,
  crossEntropy,
  crossEntropyBackward,
  crossEntropyWithGrad,
  gradcheck,
  logSigmoid,
  logSigmoidBackward,
  logSoftmax,
  logSoftmaxBackward,
  logSumExp,
  nllLoss,
  nllLossWithGrad,
  sigmoid,
  sigmoidBackward,
  softmax,
  softmaxBackward,
  softmaxJacobian,
  softmaxJvp,
  softplus,
  softplusBackward,
  tensor,
  type GradcheckResult,
  type Tensor,
} from '../index.js';
import { Rng } from '../train/rng.js';

/** One check: what was compared, the largest error measured and the tolerance it must meet. */
export interface Check {
  name: string;
  /** How it was measured. */
  method: string;
  maxError: number;
  /** The bound, in words (absolute, relative, or gradcheck's atol + rtol·|numeric|). */
  tolerance: string;
  ok: boolean;
  points: number;
}

/** Float64 machine epsilon, 2^−52. */
const EPS = 2 ** -52;
/** gradcheck's float64 defaults, spelled out for the report. */
const GRADCHECK_TOL = '1e-7 + 1e-5·|num|';

const uniform = (rng: Rng, n: number, lo: number, hi: number) => Float64Array.from({ length: n }, () => rng.uniform(lo, hi));
const labels = (rng: Rng, n: number, classes: number) => Int32Array.from({ length: n }, () => rng.int(classes));
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

const count = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

function fromGradcheck(name: string, method: string, points: number, r: GradcheckResult): Check {
  method = `${method}, ${count(points, 'point')}`;
  return { name, method, maxError: r.maxAbsError, tolerance: GRADCHECK_TOL, ok: r.ok, points };
}

/** Several gradchecks counted as one line: ok when all pass, the largest error reported. */
function merge(name: string, method: string, rows: number, rs: GradcheckResult[]): Check {
  return {
    name,
    method: `${method}, ${count(rows, 'row')}`,
    maxError: Math.max(...rs.map((r) => r.maxAbsError)),
    tolerance: GRADCHECK_TOL,
    ok: rs.every((r) => r.ok),
    points: rows,
  };
}

/** The tutorial's identities, each measured at random points. */
export function tutorialIdentities(seed = 1): Check[] {
  const rng = new Rng(seed);
  const checks: Check[] = [];

  // σ(z) = 1 − σ(−z): both sides rounded once each, so they differ by at most about eps.
  {
    const z = uniform(rng, 1000, -30, 30);
    const s = sigmoid(z);
    const t = sigmoid(z.map((v) => -v));
    let err = 0;
    for (let i = 0; i < z.length; i++) err = Math.max(err, Math.abs(s[i] - (1 - t[i])));
    checks.push({ name: 'σ(z) = 1 − σ(−z)', method: `direct comparison, ${z.length} points`, maxError: err, tolerance: `2 eps = ${(2 * EPS).toExponential(1)}`, ok: err <= 2 * EPS, points: z.length });
  }

  // σ′ = σ(1 − σ): the tutorial's derivative, built from σ alone, against central differences.
  {
    const z = uniform(rng, 64, -8, 8);
    const r = gradcheck((x: Float64Array) => {
      const s = sigmoid(x);
      return { value: s.reduce((a, b) => a + b, 0), grad: s.map((p) => p * (1 - p)) };
    }, z);
    checks.push(fromGradcheck("σ′(z) = σ(z)(1 − σ(z))", 'gradcheck of Σσ(z)', z.length, r));
  }

  // ∂p_i/∂z_j = p_i δ_ij − p_i p_j: the Jacobian from the formula, row by row, against central differences of p_i.
  {
    const rs: GradcheckResult[] = [];
    let jacobianError = 0;
    const C = 5;
    const rows = 6;
    for (let r = 0; r < rows; r++) {
      const z = uniform(rng, C, -4, 4);
      const p = softmax(z);
      const J = softmaxJacobian(z);
      for (let i = 0; i < C; i++) {
        const row = Float64Array.from({ length: C }, (_, j) => (i === j ? p[i] : 0) - p[i] * p[j]);
        for (let j = 0; j < C; j++) jacobianError = Math.max(jacobianError, Math.abs(row[j] - J[i * C + j]));
        rs.push(gradcheck((x: Float64Array) => ({ value: softmax(x)[i], grad: row }), z));
      }
    }
    const c = merge('∂p_i/∂z_j = p_i δ_ij − p_i p_j', 'gradcheck of each p_i', rows, rs);
    // The library's own Jacobian must agree with the formula too (both built from the same p).
    c.method += `; softmaxJacobian within ${jacobianError.toExponential(1)}`;
    c.ok &&= jacobianError <= 4 * EPS;
    checks.push(c);
  }

  // ∂L/∂z = p − y for cross-entropy (summed over a batch).
  {
    const B = 8;
    const C = 5;
    const z = tensor(uniform(rng, B * C, -4, 4), [B, C]);
    const t = labels(rng, B, C);
    const r = gradcheck((x: Tensor<Float64Array>) => {
      const p = softmax(x).data;
      const grad = p.slice();
      for (let b = 0; b < B; b++) grad[b * C + t[b]] -= 1;
      return { value: crossEntropy(x, t, { reduction: 'sum' }), grad };
    }, z);
    checks.push(fromGradcheck('∂CE/∂z = p − y', 'gradcheck of Σ cross-entropy', B * C, r));
  }

  // ∂L/∂x = σ(x) − y for binary cross-entropy with logits.
  {
    const x = uniform(rng, 32, -6, 6);
    const y = Float64Array.from(x, () => rng.int(2));
    const r = gradcheck((v: Float64Array) => {
      const s = sigmoid(v);
      return { value: binaryCrossEntropyWithLogits(v, y, { reduction: 'sum' }), grad: s.map((p, i) => p - y[i]) };
    }, x);
    checks.push(fromGradcheck('∂BCE/∂x = σ(x) − y', 'gradcheck of Σ BCE with logits', x.length, r));
  }

  // Formula one −log p_t equals formula two −Σ y_c log p_c with one-hot y.
  {
    const B = 200;
    const C = 3;
    const z = tensor(uniform(rng, B * C, -10, 10), [B, C]);
    const t = labels(rng, B, C);
    const oneHot = tensor(new Float64Array(B * C), [B, C]);
    for (let b = 0; b < B; b++) oneHot.data[b * C + t[b]] = 1;
    const one = logSoftmax(z).data;
    const two = crossEntropy(z, oneHot, { reduction: 'none' }).data;
    let err = 0;
    for (let b = 0; b < B; b++) {
      const f1 = -one[b * C + t[b]];
      err = Math.max(err, Math.abs(f1 - two[b]) / Math.max(Math.abs(f1), Number.MIN_VALUE));
    }
    checks.push({ name: 'formula one = formula two', method: `−log p_t vs −Σ y_c log p_c (relative), ${B} rows`, maxError: err, tolerance: `4 eps = ${(4 * EPS).toExponential(1)}`, ok: err <= 4 * EPS, points: B });
  }
  return checks;
}

/** Σ dy ⊙ f(x) with gradient from the op's VJP: checks an elementwise op and its backward. */
function vjpCheck(name: string, x: Float64Array | Tensor<Float64Array>, dy: Float64Array, f: (x: any) => ArrayLike<number>, vjp: (x: any) => ArrayLike<number>): Check {
  const r = gradcheck((v: any) => ({ value: dot(dy, f(v) as ArrayLike<number>), grad: vjp(v) }), x);
  return fromGradcheck(name, 'gradcheck of Σ dy·f(x)', dy.length, r);
}

const dataOf = (t: Float64Array | Tensor<Float64Array>) => (t instanceof Float64Array ? t : t.data);

/** Every op and loss of sigmax, gradient against central differences (float64, gradcheck's default tolerances). */
export function opGradchecks(seed = 2): Check[] {
  const rng = new Rng(seed);
  const n = 40;
  const x = uniform(rng, n, -8, 8);
  const dy = uniform(rng, n, -1, 1);
  const checks: Check[] = [];

  checks.push(vjpCheck('sigmoidBackward', x, dy, (v) => sigmoid(v), (v) => sigmoidBackward(dy, v)));
  checks.push(vjpCheck('logSigmoidBackward', x, dy, (v) => logSigmoid(v), (v) => logSigmoidBackward(dy, v)));
  checks.push(vjpCheck('softplusBackward', x, dy, (v) => softplus(v), (v) => softplusBackward(dy, v)));
  checks.push(vjpCheck('softplusBackward (β = 2)', x, dy, (v) => softplus(v, { beta: 2 }), (v) => softplusBackward(dy, v, { beta: 2 })));

  const B = 4;
  const C = 6;
  const z = tensor(uniform(rng, B * C, -5, 5), [B, C]);
  const g = uniform(rng, B * C, -1, 1);
  type T = Tensor<Float64Array>;
  const gt = tensor(g, [B, C]);
  checks.push(vjpCheck('softmaxBackward', z, g, (v: T) => softmax(v).data, (v: T) => softmaxBackward(gt, softmax(v)).data));
  checks.push(vjpCheck('softmaxBackward (axis 0)', z, g, (v: T) => softmax(v, { axis: 0 }).data, (v: T) => softmaxBackward(gt, softmax(v, { axis: 0 }), { axis: 0 }).data));
  checks.push(vjpCheck('logSoftmaxBackward', z, g, (v: T) => logSoftmax(v).data, (v: T) => logSoftmaxBackward(gt, logSoftmax(v)).data));
  {
    // The gradient of logSumExp is the softmax of its row, scaled by that row's dy.
    const gr = g.subarray(0, B);
    checks.push(
      vjpCheck('logSumExp (∇ = softmax)', z, gr, (v: T) => logSumExp(v).data, (v: T) => {
        const p = softmax(v).data;
        return p.map((q, k) => q * gr[Math.floor(k / C)]);
      }),
    );
  }
  {
    // Directional derivative: d/dt Σ u·softmax(z + t v) at t = 0 is u·softmaxJvp(z, v).
    const row = uniform(rng, C, -5, 5);
    const v = uniform(rng, C, -1, 1);
    const u = uniform(rng, C, -1, 1);
    const r = gradcheck((t: Float64Array) => ({ value: dot(u, softmax(row.map((zi, i) => zi + t[0] * v[i]))), grad: [dot(u, softmaxJvp(row, v))] }), new Float64Array(1));
    checks.push(fromGradcheck('softmaxJvp', 'gradcheck of t ↦ Σ u·softmax(z + t v)', 1, r));
    const J = softmaxJacobian(row);
    const r2 = gradcheck((w: Float64Array) => ({ value: dot(u, softmax(w)), grad: Float64Array.from({ length: C }, (_, j) => { let s = 0; for (let i = 0; i < C; i++) s += u[i] * J[i * C + j]; return s; }) }), row);
    checks.push(fromGradcheck('softmaxJacobian', 'gradcheck of Σ u·softmax(z), ∇ = Jᵀu', C, r2));
  }

  const t = labels(rng, B, C);
  const lossCheck = (name: string, at: Float64Array | Tensor<Float64Array>, f: (v: any) => { loss: unknown; grad: unknown }) =>
    fromGradcheck(name, 'gradcheck of the loss', dataOf(at).length, gradcheck((v: any) => f(v) as { loss: number; grad: unknown }, at));
  checks.push(lossCheck('crossEntropyWithGrad', z, (v) => crossEntropyWithGrad(v, t)));
  checks.push(lossCheck('crossEntropyBackward', z, (v) => ({ loss: crossEntropy(v, t), grad: crossEntropyBackward(v, t) })));
  {
    const weight = uniform(rng, C, 0.5, 2);
    const ti = Int32Array.from(t);
    ti[1] = -100; // ignored
    checks.push(lossCheck('crossEntropy (weight, ignoreIndex)', z, (v) => crossEntropyWithGrad(v, ti, { weight })));
    checks.push(lossCheck('crossEntropy (labelSmoothing 0.1)', z, (v) => crossEntropyWithGrad(v, t, { labelSmoothing: 0.1 })));
    const soft = tensor(uniform(rng, B * C, 0, 1), [B, C]);
    checks.push(lossCheck('crossEntropy (probability targets)', z, (v) => crossEntropyWithGrad(v, soft, { reduction: 'sum' })));
    const z3 = tensor(uniform(rng, 2 * C * 3, -4, 4), [2, C, 3]);
    const t3 = { data: labels(rng, 6, C), shape: [2, 3] };
    checks.push(lossCheck('crossEntropy (axis 1, [N, C, d])', z3, (v) => crossEntropyWithGrad(v, t3, { axis: 1 })));
    const go = uniform(rng, B, -1, 1);
    checks.push(
      lossCheck("crossEntropy (reduction 'none')", z, (v) => ({
        loss: dot(go, crossEntropy(v, t, { reduction: 'none' }).data),
        grad: crossEntropyBackward(v, t, { reduction: 'none', gradOutput: go }),
      })),
    );
    const lp = logSoftmax(z);
    checks.push(lossCheck('nllLossWithGrad (weight)', lp, (v) => nllLossWithGrad(v, t, { weight })));
    checks.push(lossCheck('nllLoss', lp, (v) => ({ loss: nllLoss(v, t), grad: nllLossWithGrad(v, t).grad })));
  }
  {
    const p = uniform(rng, n, 0.05, 0.95);
    const y = uniform(rng, n, 0, 1);
    const w = uniform(rng, n, 0.5, 2);
    checks.push(lossCheck('binaryCrossEntropyWithGrad', p, (v) => binaryCrossEntropyWithGrad(v, y, { weight: w })));
    checks.push(lossCheck('binaryCrossEntropyBackward', p, (v) => ({ loss: binaryCrossEntropy(v, y), grad: binaryCrossEntropyBackward(v, y) })));
    const pw = uniform(rng, n, 0.5, 3);
    checks.push(lossCheck('binaryCrossEntropyWithLogitsWithGrad (posWeight)', x, (v) => binaryCrossEntropyWithLogitsWithGrad(v, y, { weight: w, posWeight: pw })));
    checks.push(lossCheck('binaryCrossEntropyWithLogitsBackward', x, (v) => ({ loss: binaryCrossEntropyWithLogits(v, y), grad: binaryCrossEntropyWithLogitsBackward(v, y) })));
  }
  return checks;
}
