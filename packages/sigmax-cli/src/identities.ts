// The numerical checks behind `sigmax demo` (the tutorial's identities) and `sigmax gradcheck`
// (every op and loss against central differences), at seeded random points, in float64. The math
// lives here; which op is checked by which check comes from the op manifest (src/ops/manifest.ts:
// `gradcheck` and `identities`), and the random points are drawn in one fixed order whatever runs.

import {
  binaryCrossEntropyWithLogits,
  crossEntropy,
  gradcheck,
  logSoftmax,
  sigmoid,
  softmax,
  softmaxJacobian,
  tensor,
  type GradcheckResult,
  type Tensor,
} from 'sigmax';
import { ALL_OPS, opByName, type GradcheckName, type IdentityName, type Op } from 'sigmax/debug';
import { Rng } from 'sigmax/train';

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

/** One tutorial identity: draws its points from rng (in table order) and measures. */
type Identity = (rng: Rng) => Check;

/** The tutorial's identities, in the tutorial's order (the order they draw their points in). */
const IDENTITIES: Record<IdentityName, Identity> = {
  // σ(z) = 1 − σ(−z): both sides rounded once each, so they differ by at most about eps.
  sigmoidSymmetry(rng) {
    const z = uniform(rng, 1000, -30, 30);
    const s = sigmoid(z);
    const t = sigmoid(z.map((v) => -v));
    let err = 0;
    for (let i = 0; i < z.length; i++) err = Math.max(err, Math.abs(s[i] - (1 - t[i])));
    return { name: 'σ(z) = 1 − σ(−z)', method: `direct comparison, ${z.length} points`, maxError: err, tolerance: `2 eps = ${(2 * EPS).toExponential(1)}`, ok: err <= 2 * EPS, points: z.length };
  },

  // σ′ = σ(1 − σ): the tutorial's derivative, built from σ alone, against central differences.
  sigmoidDerivative(rng) {
    const z = uniform(rng, 64, -8, 8);
    const r = gradcheck((x: Float64Array) => {
      const s = sigmoid(x);
      return { value: s.reduce((a, b) => a + b, 0), grad: s.map((p) => p * (1 - p)) };
    }, z);
    return fromGradcheck("σ′(z) = σ(z)(1 − σ(z))", 'gradcheck of Σσ(z)', z.length, r);
  },

  // ∂p_i/∂z_j = p_i δ_ij − p_i p_j: the Jacobian from the formula, row by row, against central differences of p_i.
  softmaxJacobian(rng) {
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
    return c;
  },

  // ∂L/∂z = p − y for cross-entropy (summed over a batch).
  crossEntropyGradient(rng) {
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
    return fromGradcheck('∂CE/∂z = p − y', 'gradcheck of Σ cross-entropy', B * C, r);
  },

  // ∂L/∂x = σ(x) − y for binary cross-entropy with logits.
  binaryCrossEntropyGradient(rng) {
    const x = uniform(rng, 32, -6, 6);
    const y = Float64Array.from(x, () => rng.int(2));
    const r = gradcheck((v: Float64Array) => {
      const s = sigmoid(v);
      return { value: binaryCrossEntropyWithLogits(v, y, { reduction: 'sum' }), grad: s.map((p, i) => p - y[i]) };
    }, x);
    return fromGradcheck('∂BCE/∂x = σ(x) − y', 'gradcheck of Σ BCE with logits', x.length, r);
  },

  // Formula one −log p_t equals formula two −Σ y_c log p_c with one-hot y.
  formulaOneTwo(rng) {
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
    return { name: 'formula one = formula two', method: `−log p_t vs −Σ y_c log p_c (relative), ${B} rows`, maxError: err, tolerance: `4 eps = ${(4 * EPS).toExponential(1)}`, ok: err <= 4 * EPS, points: B };
  },
};

/** The identities some manifest op names, in the tutorial's order. */
export function identityNames(): IdentityName[] {
  const named = new Set(ALL_OPS.flatMap((o) => o.identities ?? []));
  return (Object.keys(IDENTITIES) as IdentityName[]).filter((k) => named.has(k));
}

/** The tutorial's identities, each measured at random points. */
export function tutorialIdentities(seed = 1): Check[] {
  const rng = new Rng(seed);
  return identityNames().map((k) => IDENTITIES[k](rng));
}

/** Σ dy ⊙ f(x) with gradient from the op's VJP: checks an elementwise op and its backward. */
function vjpCheck(name: string, x: Float64Array | Tensor<Float64Array>, dy: Float64Array, f: (x: any) => ArrayLike<number>, vjp: (x: any) => ArrayLike<number>): Check {
  const r = gradcheck((v: any) => ({ value: dot(dy, f(v) as ArrayLike<number>), grad: vjp(v) }), x);
  return fromGradcheck(name, 'gradcheck of Σ dy·f(x)', dy.length, r);
}

const dataOf = (t: Float64Array | Tensor<Float64Array>) => (t instanceof Float64Array ? t : t.data);

/** The random points of the gradchecks, drawn in one fixed order so that each check sees the same points whichever checks run. */
function gradcheckPoints(seed: number) {
  const rng = new Rng(seed);
  const n = 40;
  const B = 4;
  const C = 6;
  const x = uniform(rng, n, -8, 8);
  const dy = uniform(rng, n, -1, 1);
  const z = tensor(uniform(rng, B * C, -5, 5), [B, C]);
  const g = uniform(rng, B * C, -1, 1);
  const row = uniform(rng, C, -5, 5);
  const v = uniform(rng, C, -1, 1);
  const u = uniform(rng, C, -1, 1);
  const t = labels(rng, B, C);
  const weight = uniform(rng, C, 0.5, 2);
  const soft = tensor(uniform(rng, B * C, 0, 1), [B, C]);
  const z3 = tensor(uniform(rng, 2 * C * 3, -4, 4), [2, C, 3]);
  const t3 = { data: labels(rng, 6, C), shape: [2, 3] };
  const go = uniform(rng, B, -1, 1);
  const p = uniform(rng, n, 0.05, 0.95);
  const y = uniform(rng, n, 0, 1);
  const w = uniform(rng, n, 0.5, 2);
  const pw = uniform(rng, n, 0.5, 3);
  return { n, B, C, x, dy, z, g, gt: tensor(g, [B, C]), row, v, u, t, weight, soft, z3, t3, go, p, y, w, pw };
}

type Points = ReturnType<typeof gradcheckPoints>;
type T = Tensor<Float64Array>;

const lossCheck = (name: string, at: Float64Array | Tensor<Float64Array>, f: (v: any) => { loss: unknown; grad: unknown }) =>
  fromGradcheck(name, 'gradcheck of the loss', dataOf(at).length, gradcheck((v: any) => f(v) as { loss: number; grad: unknown }, at));

/** The forward op of a backward op's manifest entry. */
const forwardOf = (op: Op) => opByName(op.forward!)!.fn;

/** Each gradcheck of `sigmax gradcheck`, for the op the manifest gives it. */
const GRADCHECKS: Record<GradcheckName, (op: Op, p: Points) => Check[]> = {
  activationVjp(op, { x, dy }) {
    const f = forwardOf(op);
    const checks = [vjpCheck(op.name, x, dy, (v) => f(v), (v) => op.fn(dy, v))];
    if (op.options.includes('beta')) checks.push(vjpCheck(`${op.name} (β = 2)`, x, dy, (v) => f(v, { beta: 2 }), (v) => op.fn(dy, v, { beta: 2 })));
    return checks;
  },
  softmaxVjpAlongAxes(op, p) {
    const f = forwardOf(op);
    return [
      ...GRADCHECKS.softmaxVjp(op, p),
      vjpCheck(`${op.name} (axis 0)`, p.z, p.g, (v: T) => f(v, { axis: 0 }).data, (v: T) => op.fn(p.gt, f(v, { axis: 0 }), { axis: 0 }).data),
    ];
  },
  softmaxVjp(op, { z, g, gt }) {
    const f = forwardOf(op);
    return [vjpCheck(op.name, z, g, (v: T) => f(v).data, (v: T) => op.fn(gt, f(v)).data)];
  },
  logSumExpGradient(op, { z, g, B, C }) {
    // The gradient of logSumExp is the softmax of its row, scaled by that row's dy.
    const gr = g.subarray(0, B);
    return [
      vjpCheck(`${op.name} (∇ = softmax)`, z, gr, (v: T) => op.fn(v).data, (v: T) => {
        const p = softmax(v).data;
        return p.map((q, k) => q * gr[Math.floor(k / C)]);
      }),
    ];
  },
  softmaxJvp(op, { row, v, u }) {
    // Directional derivative: d/dt Σ u·softmax(z + t v) at t = 0 is u·softmaxJvp(z, v).
    const r = gradcheck((t: Float64Array) => ({ value: dot(u, softmax(row.map((zi, i) => zi + t[0] * v[i]))), grad: [dot(u, op.fn(row, v))] }), new Float64Array(1));
    return [fromGradcheck(op.name, 'gradcheck of t ↦ Σ u·softmax(z + t v)', 1, r)];
  },
  softmaxJacobian(op, { row, u, C }) {
    const J = op.fn(row) as Float64Array;
    const r = gradcheck((w: Float64Array) => ({ value: dot(u, softmax(w)), grad: Float64Array.from({ length: C }, (_, j) => { let s = 0; for (let i = 0; i < C; i++) s += u[i] * J[i * C + j]; return s; }) }), row);
    return [fromGradcheck(op.name, 'gradcheck of Σ u·softmax(z), ∇ = Jᵀu', C, r)];
  },
  crossEntropy(op, { z, t, weight, soft, z3, t3, go }) {
    const ti = Int32Array.from(t);
    ti[1] = -100; // ignored
    return [
      lossCheck(`${op.name}WithGrad`, z, (v) => op.withGrad!(v, t)),
      lossCheck(`${op.name}Backward`, z, (v) => ({ loss: op.fn(v, t), grad: op.backward!(v, t) })),
      lossCheck(`${op.name} (weight, ignoreIndex)`, z, (v) => op.withGrad!(v, ti, { weight })),
      lossCheck(`${op.name} (labelSmoothing 0.1)`, z, (v) => op.withGrad!(v, t, { labelSmoothing: 0.1 })),
      lossCheck(`${op.name} (probability targets)`, z, (v) => op.withGrad!(v, soft, { reduction: 'sum' })),
      lossCheck(`${op.name} (axis 1, [N, C, d])`, z3, (v) => op.withGrad!(v, t3, { axis: 1 })),
      lossCheck(`${op.name} (reduction 'none')`, z, (v) => ({
        loss: dot(go, op.fn(v, t, { reduction: 'none' }).data),
        grad: op.backward!(v, t, { reduction: 'none', gradOutput: go }),
      })),
    ];
  },
  nllLoss(op, { z, t, weight }) {
    const lp = logSoftmax(z);
    return [
      lossCheck(`${op.name}WithGrad (weight)`, lp, (v) => op.withGrad!(v, t, { weight })),
      lossCheck(op.name, lp, (v) => ({ loss: op.fn(v, t), grad: op.withGrad!(v, t).grad })),
    ];
  },
  binaryCrossEntropy(op, { p, y, w }) {
    return [
      lossCheck(`${op.name}WithGrad`, p, (v) => op.withGrad!(v, y, { weight: w })),
      lossCheck(`${op.name}Backward`, p, (v) => ({ loss: op.fn(v, y), grad: op.backward!(v, y) })),
    ];
  },
  binaryCrossEntropyWithLogits(op, { x, y, w, pw }) {
    return [
      lossCheck(`${op.name}WithGrad (posWeight)`, x, (v) => op.withGrad!(v, y, { weight: w, posWeight: pw })),
      lossCheck(`${op.name}Backward`, x, (v) => ({ loss: op.fn(v, y), grad: op.backward!(v, y) })),
    ];
  },
  klDivergence(op, { z, soft, go, B, C }) {
    // log-probabilities against probability and log-probability targets of the same shape
    const lp = logSoftmax(z);
    const lt = logSoftmax(soft);
    const gn = tensor(Float64Array.from({ length: B * C }, (_, k) => go[k % B]), [B, C]);
    return [
      lossCheck(`${op.name}WithGrad (batchmean)`, lp, (v) => op.withGrad!(v, soft, { reduction: 'batchmean' })),
      lossCheck(`${op.name}Backward (logTarget)`, lp, (v) => ({ loss: op.fn(v, lt, { logTarget: true }), grad: op.backward!(v, lt, { logTarget: true }) })),
      lossCheck(`${op.name} (reduction 'none')`, lp, (v) => ({
        loss: dot(gn.data, op.fn(v, soft, { reduction: 'none' }).data),
        grad: op.backward!(v, soft, { reduction: 'none', gradOutput: gn }),
      })),
    ];
  },
};

/** Every op and loss of sigmax that the manifest gives a gradcheck, in manifest order (float64, gradcheck's default tolerances). */
export function opGradchecks(seed = 2): Check[] {
  const points = gradcheckPoints(seed);
  return ALL_OPS.flatMap((op) => (op.gradcheck ? GRADCHECKS[op.gradcheck](op, points) : []));
}
