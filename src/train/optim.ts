// Optimizers: SGD (momentum, Nesterov, weight decay) and Adam (optionally AdamW's decoupled
// decay), with PyTorch's update rules. They update parameters in place from the gradients the
// model left in `grad`, keep their state per parameter, and allocate only on the first step.

/** A trainable array and its gradient; `decay` says whether weight decay applies (weights yes, biases no). */
export interface Param {
  readonly name: string;
  readonly value: Float64Array;
  readonly grad: Float64Array;
  readonly decay: boolean;
}

export interface SGDOptions {
  /** Learning rate (default 0.1). */
  lr?: number;
  /** Momentum μ (default 0): v ← μv + g, w ← w − lr·v. */
  momentum?: number;
  /** Nesterov momentum: w ← w − lr·(g + μv) (default false). */
  nesterov?: boolean;
  /** L2 penalty λ added to the gradient as λ·w (default 0). */
  weightDecay?: number;
}

export interface AdamOptions {
  /** Learning rate (default 0.001, Kingma & Ba). */
  lr?: number;
  /** Decay of the first moment (default 0.9). */
  beta1?: number;
  /** Decay of the second moment (default 0.999). */
  beta2?: number;
  /** Added to √v̂ so that a zero gradient does not divide by zero (default 1e-8). */
  eps?: number;
  /** L2 penalty λ (default 0): added to the gradient, or with `decoupled` applied as w ← w − lr·λ·w (AdamW). */
  weightDecay?: number;
  decoupled?: boolean;
}

export type OptimizerSpec = ({ type: 'sgd' } & SGDOptions) | ({ type: 'adam' } & AdamOptions);

export interface Optimizer {
  /** The learning rate; callers may change it between steps (schedules). */
  lr: number;
  /** Applies one update to every parameter from its `grad`. */
  step(params: readonly Param[]): void;
  /** The optimizer's settings, enough to build an equal (fresh) one. */
  toJSON(): OptimizerSpec;
}

function check(name: string, v: number, ok: (v: number) => boolean, what: string): number {
  if (typeof v !== 'number' || !ok(v)) throw new RangeError(`${name} must be ${what}, got ${v}`);
  return v;
}

const positive = (v: number) => v > 0 && v < Infinity;
const nonNegative = (v: number) => v >= 0 && v < Infinity;
const unit = (v: number) => v >= 0 && v < 1;

export class SGD implements Optimizer {
  lr: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private readonly velocity = new Map<Param, Float64Array>();

  constructor(opts: SGDOptions = {}) {
    this.lr = check('SGD: lr', opts.lr ?? 0.1, positive, 'a finite number > 0');
    this.momentum = check('SGD: momentum', opts.momentum ?? 0, unit, 'in [0, 1)');
    this.nesterov = opts.nesterov ?? false;
    this.weightDecay = check('SGD: weightDecay', opts.weightDecay ?? 0, nonNegative, 'a finite number ≥ 0');
    if (this.nesterov && this.momentum === 0) throw new RangeError('SGD: nesterov needs momentum > 0');
  }

  step(params: readonly Param[]): void {
    const { lr, momentum: mu, weightDecay } = this;
    for (const p of params) {
      const w = p.value;
      const g = p.grad;
      const wd = p.decay ? weightDecay : 0;
      if (mu === 0) {
        for (let i = 0; i < w.length; i++) w[i] -= lr * (g[i] + wd * w[i]);
        continue;
      }
      let v = this.velocity.get(p);
      const first = v === undefined;
      if (v === undefined) this.velocity.set(p, (v = new Float64Array(w.length)));
      for (let i = 0; i < w.length; i++) {
        const gi = g[i] + wd * w[i];
        // PyTorch starts the velocity at the first gradient rather than at μ·0 + g (the same here).
        v[i] = first ? gi : mu * v[i] + gi;
        w[i] -= lr * (this.nesterov ? gi + mu * v[i] : v[i]);
      }
    }
  }

  toJSON(): OptimizerSpec {
    return { type: 'sgd', lr: this.lr, momentum: this.momentum, nesterov: this.nesterov, weightDecay: this.weightDecay };
  }
}

export class Adam implements Optimizer {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;
  private t = 0;
  private readonly moments = new Map<Param, [Float64Array, Float64Array]>();

  constructor(opts: AdamOptions = {}) {
    this.lr = check('Adam: lr', opts.lr ?? 0.001, positive, 'a finite number > 0');
    this.beta1 = check('Adam: beta1', opts.beta1 ?? 0.9, unit, 'in [0, 1)');
    this.beta2 = check('Adam: beta2', opts.beta2 ?? 0.999, unit, 'in [0, 1)');
    this.eps = check('Adam: eps', opts.eps ?? 1e-8, positive, 'a finite number > 0');
    this.weightDecay = check('Adam: weightDecay', opts.weightDecay ?? 0, nonNegative, 'a finite number ≥ 0');
    this.decoupled = opts.decoupled ?? false;
  }

  step(params: readonly Param[]): void {
    this.t++;
    const { lr, beta1: b1, beta2: b2, eps } = this;
    // Bias corrections for moments that start at zero.
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (const p of params) {
      const w = p.value;
      const g = p.grad;
      let mv = this.moments.get(p);
      if (mv === undefined) this.moments.set(p, (mv = [new Float64Array(w.length), new Float64Array(w.length)]));
      const [m, v] = mv;
      const wd = p.decay ? this.weightDecay : 0;
      const coupled = this.decoupled ? 0 : wd;
      const shrink = this.decoupled ? 1 - lr * wd : 1;
      for (let i = 0; i < w.length; i++) {
        const gi = g[i] + coupled * w[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        w[i] = shrink * w[i] - (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
      }
    }
  }

  toJSON(): OptimizerSpec {
    const { lr, beta1, beta2, eps, weightDecay, decoupled } = this;
    return { type: 'adam', lr, beta1, beta2, eps, weightDecay, decoupled };
  }
}

/** An optimizer from its settings (`{ type: 'adam', lr: 0.01 }`), or the optimizer itself. */
export function createOptimizer(spec: Optimizer | OptimizerSpec): Optimizer {
  if (typeof (spec as Optimizer).step === 'function') return spec as Optimizer;
  const s = spec as OptimizerSpec;
  if (s.type === 'sgd') return new SGD(s);
  if (s.type === 'adam') return new Adam(s);
  throw new RangeError(`createOptimizer: unknown optimizer type '${(s as { type: unknown }).type}' (expected 'sgd' or 'adam')`);
}
