// klDivergence, klDivergenceBackward and klDivergenceWithGrad on every backend: the exact mpmath
// fixtures (test/fixtures/klDivergence/gen.py), parity with torch's kl_div
// (test/fixtures/parity/gen_torch_kl.py), PyTorch's edge values, every reduction and its gradient,
// the float32 wasm kernel observed, properties of the divergence, and the errors.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SigmaxError, gradcheck, klDivergence, klDivergenceBackward, klDivergenceWithGrad, logSoftmax, tensor } from '../../src/index.js';
import { EPS64, WASM_F32_BOUND, eachBackend, expectKernel } from '../helpers/backends.js';
import { type Exact, loadFixture, num, nums, ulp32, ulp64, ulpError } from '../helpers/fixtures.js';

type Str = string;
type Reduction = 'none' | 'sum' | 'mean' | 'batchmean';

interface FixtureCase {
  dtype: 'float32' | 'float64';
  range: string;
  variant: string;
  logTarget: boolean;
  input: Str[];
  target: Str[];
  loss: Exact[];
  grad: Exact[];
  scale?: Str[];
}

interface ParityInstance {
  shape: number[];
  axis: number;
  input: Str[];
  target: Str[];
  logTarget: boolean;
  reduction: Reduction;
  gradOutput: Str | Str[];
  loss: Str | Str[];
  grad: Str[];
  torchDivisor?: number;
}

const fixture = loadFixture<{ cases: FixtureCase[] }>('klDivergence/klDivergence.json');
const parity = loadFixture<{ torch: string; tests: { name: string; instances: ParityInstance[] }[] }>('parity/torch_kl.json');

const f64 = (a: readonly (string | number)[]) => Float64Array.from(nums(a));
const typed = (dtype: string, a: readonly Str[]) => (dtype === 'float32' ? Float32Array.from(nums(a)) : f64(a));
const dataOf = (x: unknown): ArrayLike<number> => (x !== null && typeof x === 'object' && 'data' in x ? (x as { data: ArrayLike<number> }).data : (x as ArrayLike<number>));
const errCode = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof SigmaxError, String(e));
    return e.code;
  }
  return 'no error';
};
const same = (a: number, b: number) => (Number.isNaN(a) ? Number.isNaN(b) : a === b);

/** Torch's value, or (batchmean) torch's value rescaled from its divisor input.size(0) to sigmax's numel / shape[axis]. */
function fromTorch(inst: ParityInstance, v: number): number {
  if (inst.reduction !== 'batchmean') return v;
  const a = inst.axis < 0 ? inst.axis + inst.shape.length : inst.axis;
  const ours = inst.shape.reduce((p, d, i) => (i === a ? p : p * d), 1);
  return ours === inst.torchDivisor ? v : (v * (inst.torchDivisor as number)) / ours;
}

function close(got: number, want: number): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= Math.max(1e-12 * Math.abs(want), 1e-14);
}

eachBackend('klDivergence', (backend) => {
  it('is within 1 ulp of the exact mpmath fixtures (float64 losses: or 4·eps·(|t log t| + |t x|) where they cancel), 2 ulp on the wasm float32 kernel', () => {
    let worst32 = 0;
    let worst64 = 0;
    for (const c of fixture.cases) {
      const x = typed(c.dtype, c.input);
      const t = typed(c.dtype, c.target);
      const loss = dataOf(klDivergence(x, t, { logTarget: c.logTarget, reduction: 'none' }));
      const { grad } = klDivergenceWithGrad(x, t, { logTarget: c.logTarget, reduction: 'sum' });
      const bound = c.dtype === 'float32' && backend === 'wasm' ? WASM_F32_BOUND : 1;
      for (let i = 0; i < x.length; i++) {
        const e = ulpError(loss[i], c.loss[i], c.dtype);
        const hi = num(c.loss[i][0]);
        const scale = c.scale ? num(c.scale[i]) : 0;
        const allow = c.dtype === 'float64' && Number.isFinite(hi) && hi !== 0 ? Math.max(bound, (4 * EPS64 * scale) / ulp64(hi)) : bound;
        assert.ok(e <= allow, `${c.dtype} ${c.range}, ${c.variant}, item ${i}: x = ${c.input[i]}, t = ${c.target[i]}: loss ${loss[i]}, ${e} ulp`);
        if (!(c.dtype === 'float64' && c.range === 'x = log t')) {
          if (c.dtype === 'float32') worst32 = Math.max(worst32, e);
          else worst64 = Math.max(worst64, e);
        }
        const g = ulpError(grad[i], c.grad[i], c.dtype);
        assert.ok(g <= bound, `${c.dtype} ${c.range}, item ${i}: gradient ${grad[i]}, ${g} ulp`);
      }
    }
    assert.ok(worst32 <= (backend === 'wasm' ? WASM_F32_BOUND : 0.5) && worst64 <= 0.5, `worst float32 ${worst32} ulp, float64 ${worst64} ulp`);
  });

  for (const t of parity.tests) {
    it(`${t.name} (torch ${parity.torch})`, () => {
      t.instances.forEach((inst, k) => {
        const x = tensor(f64(inst.input), inst.shape);
        const y = tensor(f64(inst.target), inst.shape);
        const opts = { reduction: inst.reduction, logTarget: inst.logTarget, axis: inst.axis };
        const gradOutput = inst.reduction === 'none' ? tensor(f64(inst.gradOutput as Str[]), inst.shape) : num(inst.gradOutput as Str);
        const wantLoss = Array.isArray(inst.loss) ? nums(inst.loss) : [fromTorch(inst, num(inst.loss))];
        const wantGrad = nums(inst.grad).map((v) => fromTorch(inst, v));
        const loss = klDivergence(x, y, opts as never) as unknown;
        const gotLoss = typeof loss === 'number' ? [loss] : Array.from(dataOf(loss));
        const wg = klDivergenceWithGrad(x, y, { ...opts, gradOutput } as never);
        const wgLoss = typeof wg.loss === 'number' ? [wg.loss] : Array.from(dataOf(wg.loss));
        const back = klDivergenceBackward(x, y, { ...opts, gradOutput } as never);
        for (const [what, got, want] of [
          ['loss', gotLoss, wantLoss],
          ['WithGrad loss', wgLoss, wantLoss],
          ['WithGrad gradient', Array.from(wg.grad.data), wantGrad],
          ['Backward gradient', Array.from(back.data), wantGrad],
        ] as const) {
          assert.equal(got.length, want.length, `instance ${k} ${what}`);
          got.forEach((v, i) => assert.ok(close(v, want[i]), `instance ${k} ${what}[${i}]: sigmax ${v}, torch ${want[i]}`));
        }
      });
    });
  }

  it('follows PyTorch on zero, negative, infinite and NaN values of probability targets', () => {
    const x = [0, -1, -Infinity, Infinity, NaN, 0, -Infinity, Infinity, 0, -1, 5, -1];
    const t = [0, 0, 0, 0, 0, -0.5, 1, 1, Infinity, Infinity, NaN, 1e-320];
    const r = klDivergenceWithGrad(tensor(f64(x), [x.length]), tensor(f64(t), [t.length]), { reduction: 'none' });
    // 0·log 0 = 0; 0·(±∞ or NaN) = NaN; log of a negative target NaN; t = ∞: ∞·log ∞ − ∞·x
    const want = [0, 0, NaN, NaN, NaN, NaN, Infinity, -Infinity, NaN, Infinity, NaN, -7.35819e-318];
    assert.ok(want.every((w, i) => same(r.loss.data[i], w)), `${[...r.loss.data]}`);
    // the gradient −t does not depend on x
    assert.ok([0, 0, 0, 0, 0, 0.5, -1, -1, -Infinity, -Infinity, NaN, -1e-320].every((w, i) => same(r.grad.data[i] + 0, w)), `${[...r.grad.data]}`);
  });

  it('follows PyTorch on infinite and NaN log-probability targets, and gives the exact 0 where t = x overflows', () => {
    const x = [0, -Infinity, 0, Infinity, NaN, 0, 800, 5];
    const t = [-Infinity, -Infinity, Infinity, Infinity, 0, NaN, 800, -800];
    const r = klDivergenceWithGrad(tensor(f64(x), [x.length]), tensor(f64(t), [t.length]), { reduction: 'none', logTarget: true });
    assert.ok([NaN, NaN, Infinity, NaN, NaN, NaN, 0, -0].every((w, i) => same(r.loss.data[i], w)), `${[...r.loss.data]}`);
    assert.ok([-0, -0, -Infinity, -Infinity, -1, NaN, -Infinity, -0].every((w, i) => same(r.grad.data[i], w) || (w === 0 && r.grad.data[i] === 0)), `${[...r.grad.data]}`);
  });

  it('keeps a loss below 1e−304 exact: e^t·(t − x) for t = −750 and x = −1e300', () => {
    const l = klDivergence([-1e300], [-750], { reduction: 'sum', logTarget: true });
    assert.ok(Math.abs(l / (Math.exp(-375) * 1e300 * Math.exp(-375)) - 1) < 1e-12, String(l));
  });

  it('divides the mean by every element and batchmean by the number of distributions numel / shape[axis]', () => {
    const x = tensor(Float64Array.from([-1, -2, -0.5, -3, -1.5, -0.25]), [2, 3]);
    const y = tensor(Float64Array.from([0.2, 0.3, 0.5, 0.1, 0.1, 0.8]), [2, 3]);
    const sum = klDivergence(x, y, { reduction: 'sum' });
    assert.equal(klDivergence(x, y), sum / 6);
    assert.equal(klDivergence(x, y, { reduction: 'batchmean' }), sum / 2);
    assert.equal(klDivergence(x, y, { reduction: 'batchmean', axis: 0 }), sum / 3);
    assert.equal(klDivergence([-1, -2, -0.5], [0.2, 0.3, 0.5], { reduction: 'batchmean' }), klDivergence([-1, -2, -0.5], [0.2, 0.3, 0.5], { reduction: 'sum' }));
    assert.equal(klDivergenceWithGrad(x, y, { reduction: 'batchmean' }).weightSum, 2);
    assert.equal(klDivergenceWithGrad(x, y).weightSum, 6);
    const none = klDivergence(x, y, { reduction: 'none' });
    assert.deepEqual(none.shape, [2, 3]);
  });

  it('has the gradient −t (−e^t) times the reduction’s scale and gradOutput, matching gradcheck for every reduction', () => {
    const lp = logSoftmax(tensor(Float64Array.from([0.3, -1.2, 2, 0.7, 0.1, -0.4, 1.5, -2, 0.9, 0.2, -0.3, 1.1]), [3, 4]));
    const p = tensor(Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.25, 0.25, 0.25, 0.25, 0, 0.5, 0.5, 0]), [3, 4]);
    const lt = logSoftmax(tensor(Float64Array.from([1, 2, 3, 4, 0, 0, 0, 0, -1, 1, -2, 2]), [3, 4]));
    const g = klDivergenceBackward(lp, p, { reduction: 'batchmean', gradOutput: 0.5 });
    assert.ok(g.data.every((v, i) => v === (-p.data[i] * 0.5) / 3));
    for (const reduction of ['sum', 'mean', 'batchmean'] as const) {
      for (const [target, logTarget] of [[p, false], [lt, true]] as const) {
        assert.ok(gradcheck((v) => klDivergenceWithGrad(v, target, { reduction, logTarget }), lp).ok, `${reduction}, logTarget ${logTarget}`);
      }
    }
    const go = tensor(Float64Array.from({ length: 12 }, (_, i) => Math.cos(i)), [3, 4]);
    const r = gradcheck((v: typeof lp) => {
      const l = klDivergence(v, p, { reduction: 'none' });
      return { value: l.data.reduce((s, li, i) => s + li * go.data[i], 0), grad: klDivergenceBackward(v, p, { reduction: 'none', gradOutput: go }) };
    }, lp);
    assert.ok(r.ok);
  });

  it('gives WithGrad the same loss and gradient as the forward op and Backward', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ noNaN: true, min: -30, max: 5 }), fc.double({ noNaN: true, min: 0, max: 1 })), { minLength: 1, maxLength: 20 }),
        fc.constantFrom<Reduction>('none', 'sum', 'mean', 'batchmean'),
        fc.boolean(),
        (items, reduction, logTarget) => {
          const x = Float64Array.from(items, ([v]) => v);
          const t = Float64Array.from(items, ([, p]) => (logTarget ? Math.log(p) : p));
          const wg = klDivergenceWithGrad(x, t, { reduction, logTarget } as never);
          const l = klDivergence(x, t, { reduction, logTarget } as never) as unknown;
          const b = klDivergenceBackward(x, t, { reduction, logTarget } as never);
          const la = typeof l === 'number' ? [l] : Array.from(dataOf(l));
          const lb = typeof wg.loss === 'number' ? [wg.loss] : Array.from(dataOf(wg.loss));
          return la.every((v, i) => same(v, lb[i])) && wg.grad.every((v, i) => same(v, b[i]));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('is ≥ 0 between normalized distributions, 0 from a distribution to itself, and the same in the log-target form', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, min: -10, max: 10 }), { minLength: 1, maxLength: 12 }), fc.integer(), (zs, seed) => {
        const q = logSoftmax(Float64Array.from(zs));
        const lp = logSoftmax(Float64Array.from(zs, (_, i) => 3 * Math.sin(seed + i)));
        const p = lp.map(Math.exp);
        const kl = klDivergence(q, p, { reduction: 'sum' });
        const klLog = klDivergence(q, lp, { reduction: 'sum', logTarget: true });
        const self = klDivergence(lp, p, { reduction: 'sum' });
        const tol = 64 * EPS64 * zs.length * (1 + Math.max(...zs.map(Math.abs)));
        return kl >= -tol && Math.abs(kl - klLog) <= tol * (1 + Math.abs(kl)) && Math.abs(self) <= tol;
      }),
      { numRuns: 200 },
    );
  });

  it('runs the wasm kernel on float32 rows of every length around the SIMD width, agreeing with float64 to float32 rounding', () => {
    for (const n of [1, 3, 4, 5, 7, 8, 9, 15, 16, 17]) {
      for (const logTarget of [false, true]) {
        const z = Float32Array.from({ length: 2 * n }, (_, i) => Math.sin(i * 1.3) * 4);
        const x = tensor(Float32Array.from(logSoftmax(tensor(z, [2, n])).data), [2, n]);
        const tt = tensor(Float32Array.from({ length: 2 * n }, (_, i) => (logTarget ? -Math.abs(Math.cos(i)) * 3 : i % 3 === 0 ? 0 : Math.abs(Math.cos(i)) / n)), [2, n]);
        for (const reduction of ['none', 'sum', 'mean', 'batchmean'] as const) {
          const r32 = expectKernel(() => klDivergenceWithGrad(x, tt, { reduction, logTarget } as never), 'wasm:klDivergenceF32');
          expectKernel(() => klDivergence(x, tt, { reduction, logTarget } as never), 'wasm:klDivergenceF32');
          expectKernel(() => klDivergenceBackward(x, tt, { reduction, logTarget } as never), 'wasm:klDivergenceF32');
          const r64 = klDivergenceWithGrad(tensor(Float64Array.from(x.data), [2, n]), tensor(Float64Array.from(tt.data), [2, n]), { reduction, logTarget } as never);
          const l32 = typeof r32.loss === 'number' ? [r32.loss] : Array.from(dataOf(r32.loss));
          const l64 = typeof r64.loss === 'number' ? [r64.loss] : Array.from(dataOf(r64.loss));
          l32.forEach((v, i) => assert.ok(Math.abs(v - l64[i]) <= 2 * ulp32(l64[i]) + 1e-6 * Math.abs(l64[i]), `n=${n} ${reduction} loss ${v} vs ${l64[i]}`));
          r32.grad.data.forEach((v, i) => assert.ok(Math.abs(v - r64.grad.data[i]) <= 2 * ulp32(r64.grad.data[i]), `n=${n} ${reduction} grad ${v} vs ${r64.grad.data[i]}`));
        }
      }
    }
  });

  it('runs the exact reference on float64, and accepts number[] and typed arrays', () => {
    expectKernel(() => klDivergence(Float64Array.from([-1, -2]), Float64Array.from([0.5, 0.5])), 'js:klDivergence');
    assert.equal(klDivergence([-1, -2], [0.5, 0.5], { reduction: 'sum' }), klDivergence(Float64Array.from([-1, -2]), Float64Array.from([0.5, 0.5]), { reduction: 'sum' }));
    assert.ok(klDivergenceBackward(Float32Array.from([-1, -2]), [0.5, 0.5]) instanceof Float32Array);
  });

  it('gives NaN for a mean or batchmean over an empty input (0 with emptyMean: zero), 0 for the sum', () => {
    assert.ok(Number.isNaN(klDivergence([], [])));
    assert.ok(Number.isNaN(klDivergence(tensor(new Float64Array(0), [0, 3]), tensor(new Float64Array(0), [0, 3]), { reduction: 'batchmean' })));
    assert.equal(klDivergence([], [], { emptyMean: 'zero' }), 0);
    assert.equal(klDivergence([], [], { reduction: 'sum' }), 0);
    assert.equal(klDivergenceBackward(new Float32Array(0), new Float32Array(0)).length, 0);
    assert.equal(klDivergence(tensor(new Float64Array(0), [3, 0]), tensor(new Float64Array(0), [3, 0]), { reduction: 'batchmean' }), 0);
  });

  it('rejects mismatched shapes, a bad axis, a bad reduction, a non-boolean logTarget and mixed dtypes with their codes', () => {
    assert.equal(errCode(() => klDivergence([-1, -2], [0.5])), 'SHAPE_MISMATCH');
    assert.equal(errCode(() => klDivergence(tensor(new Float64Array(6), [2, 3]), tensor(new Float64Array(6), [3, 2]))), 'SHAPE_MISMATCH');
    assert.equal(errCode(() => klDivergence([-1], [1], { axis: 1 })), 'INVALID_AXIS');
    assert.equal(errCode(() => klDivergence([-1], [1], { axis: 0.5 })), 'INVALID_AXIS');
    assert.equal(errCode(() => klDivergence([-1], [1], { reduction: 'avg' as never })), 'INVALID_OPTION');
    assert.equal(errCode(() => klDivergence([-1], [1], { logTarget: 1 as never })), 'INVALID_OPTION');
    assert.equal(errCode(() => klDivergence([-1], [1], { weight: [1] } as never)), 'INVALID_OPTION');
    assert.equal(errCode(() => klDivergenceBackward([-1], [1], { reduction: 'batchmean', gradOutput: [1] })), 'INVALID_OPTION');
    assert.equal(errCode(() => klDivergenceBackward([-1, -2], [1, 0], { reduction: 'none', gradOutput: [1] })), 'SHAPE_MISMATCH');
    assert.equal(errCode(() => klDivergence(new Float32Array(1), new Float64Array(1))), 'DTYPE_MISMATCH');
  });
});
