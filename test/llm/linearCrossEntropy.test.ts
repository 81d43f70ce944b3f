import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SigmaxError, gradcheck, tensor, type Tensor } from '../../src/index.js';
import { linearCrossEntropy, type LinearCrossEntropyOptions } from '../../src/llm/index.js';
import { chooseChunks, TILE_BUDGET } from '../../src/llm/linearCrossEntropy.js';
import { rand, unfused, type UnfusedOptions } from './unfused.js';

const EPS32 = 2 ** -23;
const EPS64 = 2 ** -52;

interface Case {
  N: number;
  D: number;
  V: number;
  f32: boolean;
  opts: UnfusedOptions & { chunkSize?: number; tokenChunkSize?: number };
  seed: number;
}

function data(c: Case) {
  const r = rand(c.seed);
  const mk = (n: number) => {
    const a = Float64Array.from({ length: n }, () => (r() - 0.5) * 3);
    return c.f32 ? Float32Array.from(a) : a;
  };
  const hidden = tensor(mk(c.N * c.D), [c.N, c.D]);
  const weight = tensor(mk(c.V * c.D), [c.V, c.D]);
  // Only row 1 is ignored (when N > 2): a draw that hits ignoreIndex moves to the next class, so
  // no case ignores every row (a mean over no items, which the edge test covers on its own).
  const ignore = c.opts.ignoreIndex ?? -100;
  const target = Int32Array.from({ length: c.N }, () => {
    const t = Math.floor(r() * c.V);
    return t === ignore ? (t + 1) % c.V : t;
  });
  if (c.N > 2) target[1] = ignore;
  return { hidden, weight, target };
}

/** Largest |a − b| / (atol + rtol·scale) over the elements; ≤ 1 passes. */
function ratio(a: ArrayLike<number>, b: ArrayLike<number>, scale: ArrayLike<number> | number, rtol: number, atol = 0): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const s = typeof scale === 'number' ? scale : scale[i];
    const r = Math.abs(a[i] - b[i]) / (atol + rtol * s);
    if (!(r <= worst)) worst = r;
  }
  return worst;
}

function fusedOpts(c: Case, extra: Partial<LinearCrossEntropyOptions> = {}): LinearCrossEntropyOptions {
  const o = c.opts;
  return {
    ...(o.bias ? { bias: c.f32 ? Float32Array.from(o.bias) : Float64Array.from(o.bias) } : {}),
    ...(o.weight ? { weight: o.weight } : {}),
    ...(o.ignoreIndex !== undefined ? { ignoreIndex: o.ignoreIndex } : {}),
    ...(o.labelSmoothing !== undefined ? { labelSmoothing: o.labelSmoothing } : {}),
    ...(o.reduction ? { reduction: o.reduction } : {}),
    ...(o.zLoss !== undefined ? { zLoss: o.zLoss } : {}),
    ...(o.softcap !== undefined ? { softcap: o.softcap } : {}),
    ...(o.gradOutput !== undefined ? { gradOutput: o.gradOutput } : {}),
    ...(o.chunkSize !== undefined ? { chunkSize: o.chunkSize } : {}),
    ...(o.tokenChunkSize !== undefined ? { tokenChunkSize: o.tokenChunkSize } : {}),
    ...extra,
  } as LinearCrossEntropyOptions;
}

/** Random shapes and option sets, V often not a multiple of the chunk. */
function cases(count: number, f32: boolean): Case[] {
  const r = rand(f32 ? 77 : 78);
  const out: Case[] = [];
  for (let k = 0; k < count; k++) {
    const N = 1 + Math.floor(r() * 9);
    const D = 1 + Math.floor(r() * 7);
    const V = 2 + Math.floor(r() * 40);
    const opts: Case['opts'] = {};
    if (r() < 0.5) opts.bias = Float64Array.from({ length: V }, () => r() - 0.5);
    if (r() < 0.4) opts.weight = Float64Array.from({ length: V }, () => 0.2 + r());
    if (r() < 0.3) opts.ignoreIndex = 3;
    if (r() < 0.4) opts.labelSmoothing = Math.round(r() * 30) / 100;
    opts.reduction = (['mean', 'sum', 'none'] as const)[Math.floor(r() * 3)];
    if (r() < 0.4) opts.zLoss = 1e-3 + r() * 0.05;
    if (r() < 0.4) opts.softcap = 1 + r() * 4;
    if (r() < 0.3) opts.gradOutput = opts.reduction === 'none' ? Float64Array.from({ length: N }, () => r() * 2 - 0.5) : 0.5 + r();
    if (f32 && opts.gradOutput instanceof Float64Array) opts.gradOutput = Float32Array.from(opts.gradOutput);
    if (r() < 0.75) opts.chunkSize = 1 + Math.floor(r() * (V + 3));
    if (r() < 0.6) opts.tokenChunkSize = 1 + Math.floor(r() * (N + 1));
    out.push({ N, D, V, f32, opts, seed: 1000 + k });
  }
  return out;
}

describe('linearCrossEntropy', () => {
  it('equals the unfused composition in float64: loss, z-loss and all three gradients, every option, any chunking', () => {
    for (const c of cases(80, false)) {
      const { hidden, weight, target } = data(c);
      const ref = unfused(hidden, weight, target, c.opts);
      const f = linearCrossEntropy(hidden, weight, target, fusedOpts(c));
      const what = JSON.stringify({ N: c.N, D: c.D, V: c.V, ...c.opts, bias: !!c.opts.bias, weight: !!c.opts.weight, gradOutput: c.opts.gradOutput !== undefined });
      if (typeof ref.loss === 'number') {
        assert.ok(Math.abs((f.loss as number) - ref.loss) <= 64 * EPS64 * (1 + Math.abs(ref.loss)), `loss ${f.loss} vs ${ref.loss} ${what}`);
        assert.ok(Math.abs((f.zLoss as number) - (ref.zLoss as number)) <= 64 * EPS64 * (1 + Math.abs(ref.zLoss as number)), `zLoss ${what}`);
      } else {
        const l = (f.loss as unknown as Tensor).data;
        assert.ok(ratio(l, ref.loss, ref.loss.map((v) => 1 + Math.abs(v)), 64 * EPS64) <= 1, `loss none ${what}`);
      }
      assert.ok(ratio(f.gradHidden!.data, ref.gradHidden, ref.absHidden, 64 * EPS64, 1e-300) <= 1, `gradHidden ${what}`);
      assert.ok(ratio(f.gradWeight!.data, ref.gradWeight, ref.absWeight, 64 * EPS64, 1e-300) <= 1, `gradWeight ${what}`);
      if (c.opts.bias) {
        assert.ok(ratio(f.gradBias as Float64Array, ref.gradBias, 1, 256 * EPS64) <= 1, `gradBias ${what}`);
      } else assert.equal(f.gradBias, null);
    }
  });

  it('equals the unfused float32 composition within float32 rounding (loss and gradients rounded once)', () => {
    for (const c of cases(60, true)) {
      const { hidden, weight, target } = data(c);
      const f = linearCrossEntropy(hidden, weight, target, fusedOpts(c));
      assert.ok(f.gradHidden!.data instanceof Float32Array && f.gradWeight!.data instanceof Float32Array);
      // Against the same composition evaluated in float64 on the float32 inputs: one rounding apart.
      const c64 = { ...c, f32: false };
      const h64 = tensor(Float64Array.from(hidden.data), hidden.shape);
      const w64 = tensor(Float64Array.from(weight.data), weight.shape);
      const o64 = { ...c.opts, ...(c.opts.bias ? { bias: Float64Array.from(Float32Array.from(c.opts.bias)) } : {}), ...(c.opts.gradOutput instanceof Float32Array ? { gradOutput: Float64Array.from(c.opts.gradOutput) } : {}) };
      const ref = unfused(h64, w64, target, o64);
      void c64;
      if (typeof ref.loss === 'number') {
        assert.ok(Math.abs((f.loss as number) - ref.loss) <= 1e-12 * (1 + Math.abs(ref.loss)), `loss ${f.loss} vs ${ref.loss}`);
      }
      // Gradients: float32 results of a float64 sum, so ½ ulp plus the float64 sum's error.
      assert.ok(ratio(f.gradHidden!.data, ref.gradHidden, ref.absHidden, EPS32, 1e-30) <= 1, 'gradHidden f32');
      // One-pass mode rounds gradWeight once per token block.
      const blocks = Math.ceil(c.N / chooseChunks(c.N, c.D, c.V, c.opts.chunkSize, c.opts.tokenChunkSize).tokenChunk);
      assert.ok(ratio(f.gradWeight!.data, ref.gradWeight, ref.absWeight, blocks * EPS32, 1e-30) <= 1, 'gradWeight f32');
      // And against the float32 composition itself (float32 logits): within float32 rounding of the logits.
      const r32 = unfused(hidden, weight, target, c.opts);
      if (typeof r32.loss === 'number') {
        let zmax = 0;
        for (const v of r32.logits) zmax = Math.max(zmax, Math.abs(v));
        const scale = typeof c.opts.gradOutput === 'number' ? c.opts.gradOutput : 1;
        const lam = c.opts.zLoss ?? 0;
        assert.ok(Math.abs((f.loss as number) - r32.loss) <= 16 * EPS32 * scale * (1 + zmax) * (1 + 4 * lam * (1 + zmax)) * (c.opts.reduction === 'sum' ? c.N * 2 : 2), `loss vs f32 composition ${f.loss} ${r32.loss}`);
      }
    }
  });

  it('gives the same results in one pass (whole rows) and in two passes (online log-sum-exp over chunks)', () => {
    const c: Case = { N: 13, D: 6, V: 37, f32: false, seed: 5, opts: { labelSmoothing: 0.1, zLoss: 0.01, softcap: 2.5, bias: Float64Array.from({ length: 37 }, (_, i) => Math.sin(i)) } };
    const { hidden, weight, target } = data(c);
    const one = linearCrossEntropy(hidden, weight, target, fusedOpts(c, { chunkSize: 37, tokenChunkSize: 5 }));
    for (const chunkSize of [1, 2, 7, 36]) {
      const two = linearCrossEntropy(hidden, weight, target, fusedOpts(c, { chunkSize, tokenChunkSize: 4 }));
      assert.ok(Math.abs((one.loss as number) - (two.loss as number)) <= 8 * EPS64 * Math.abs(one.loss as number));
      assert.ok(ratio(one.gradHidden!.data, two.gradHidden!.data, 1, 1e-14) <= 1);
      assert.ok(ratio(one.gradWeight!.data, two.gradWeight!.data, 1, 1e-14) <= 1);
      assert.ok(ratio(one.lse, two.lse, 1, 1e-14) <= 1);
    }
  });

  it('passes gradcheck wrt hidden, weight and bias with every option on', () => {
    const r = rand(9);
    const N = 4;
    const D = 3;
    const V = 7;
    const H = tensor(Float64Array.from({ length: N * D }, () => r() * 2 - 1), [N, D]);
    const W = tensor(Float64Array.from({ length: V * D }, () => r() * 2 - 1), [V, D]);
    const b = Float64Array.from({ length: V }, () => r() - 0.5);
    const t = Int32Array.from([2, -100, 6, 0]);
    const cw = Float64Array.from({ length: V }, () => 0.5 + r());
    for (const opts of [
      { chunkSize: 3, tokenChunkSize: 3 },
      { labelSmoothing: 0.2, zLoss: 0.05, softcap: 1.5, weight: cw, chunkSize: 2 },
      { labelSmoothing: 0.1, zLoss: 0.02, weight: cw, reduction: 'sum' as const },
    ]) {
      const o = { ...opts, bias: b };
      const gh = gradcheck((h: Tensor) => {
        const res = linearCrossEntropy(h, W, t, o);
        return { value: res.loss as number, grad: res.gradHidden! };
      }, H);
      assert.ok(gh.ok, `hidden ${JSON.stringify(gh)}`);
      const gw = gradcheck((w: Tensor) => {
        const res = linearCrossEntropy(H, w, t, o);
        return { value: res.loss as number, grad: res.gradWeight! };
      }, W);
      assert.ok(gw.ok, `weight ${JSON.stringify(gw)}`);
      const gb = gradcheck((bb: Float64Array) => {
        const res = linearCrossEntropy(H, W, t, { ...o, bias: bb });
        return { value: res.loss as number, grad: res.gradBias! };
      }, b);
      assert.ok(gb.ok, `bias ${JSON.stringify(gb)}`);
    }
  });

  it('keeps −log p_t of a confident target: loss 2.06e−9 where z = (20, 0), not 0', () => {
    const H = tensor(Float64Array.from([20, 0]), [1, 2]);
    const W = tensor(Float64Array.from([1, 0, 0, 1]), [2, 2]);
    const r = linearCrossEntropy(H, W, [0], { chunkSize: 1 });
    assert.equal(r.loss, Math.log1p(Math.exp(-20)));
    const r32 = linearCrossEntropy(tensor(Float32Array.from([20, 0]), [1, 2]), tensor(Float32Array.from([1, 0, 0, 1]), [2, 2]), [0]);
    // The reduced loss is a float64 number for float32 inputs too (as crossEntropy's).
    assert.ok(Math.abs(r32.loss - Math.log1p(Math.exp(-20))) <= 2 ** -60);
    // p_t − 1 = −2.06e−9 at the target, exact where float32 p_t rounds to 1: ∂/∂h_0 = (p_0 − 1)·1.
    assert.ok(Math.abs(r32.gradHidden!.data[0] - Math.fround(-Math.exp(-20) / (1 + Math.exp(-20)))) <= 2 ** -24 * 2.1e-9);
  });

  it('follows crossEntropy on edges: ignored items, empty means, masked classes, NaN rows', () => {
    const H = tensor(Float64Array.from([1, 2, 3, 4, 5, 6]), [3, 2]);
    const W = tensor(Float64Array.from([1, 0, 0, 1, 1, 1]), [3, 2]);
    const all = linearCrossEntropy(H, W, [-100, -100, -100]);
    assert.ok(Number.isNaN(all.loss));
    assert.ok(all.gradHidden!.data.every((v) => v === 0) && all.gradWeight!.data.every((v) => v === 0));
    assert.equal(linearCrossEntropy(H, W, [-100, -100, -100], { emptyMean: 'zero' }).loss, 0);
    assert.equal(linearCrossEntropy(H, W, [-100, -100, -100], { reduction: 'sum' }).loss, 0);
    // A −∞ bias masks a class: probability 0, zero gradient there; +∞ loss if it is the target.
    const masked = linearCrossEntropy(H, W, [0, 1, 0], { bias: [0, 0, -Infinity], reduction: 'none' });
    assert.ok((masked.gradBias as Float64Array)[2] === 0);
    const inf = linearCrossEntropy(H, W, [2, 1, 0], { bias: [0, 0, -Infinity], reduction: 'none' });
    assert.equal(inf.loss.data[0], Infinity);
    assert.ok(Number.isFinite(inf.gradHidden!.data[0]));
    // NaN in one row: NaN loss for that row; the others are untouched.
    const Hn = tensor(Float64Array.from([NaN, 2, 3, 4, 5, 6]), [3, 2]);
    const nr = linearCrossEntropy(Hn, W, [0, 1, 2], { reduction: 'none', chunkSize: 2 });
    assert.ok(Number.isNaN(nr.loss.data[0]) && Number.isFinite(nr.loss.data[1]) && Number.isFinite(nr.loss.data[2]));
    assert.ok(Number.isNaN(nr.lse[0]));
  });

  it('accepts [batch, seq, D] hidden with [batch, seq] targets and returns per-item losses of that shape', () => {
    const r = rand(3);
    const H = tensor(Float32Array.from({ length: 2 * 3 * 4 }, () => r() - 0.5), [2, 3, 4]);
    const W = tensor(Float32Array.from({ length: 5 * 4 }, () => r() - 0.5), [5, 4]);
    const t = { data: Int32Array.from([0, 1, 2, 3, 4, 0]), shape: [2, 3] };
    const res = linearCrossEntropy(H, W, t, { reduction: 'none' });
    assert.deepEqual(res.loss.shape, [2, 3]);
    assert.deepEqual(res.gradHidden!.shape, [2, 3, 4]);
    assert.deepEqual(res.gradWeight!.shape, [5, 4]);
  });

  it('never writes its inputs and honours preallocated outputs', () => {
    const r = rand(4);
    const h = Float64Array.from({ length: 12 }, () => r());
    const w = Float64Array.from({ length: 15 }, () => r());
    const hc = h.slice();
    const wc = w.slice();
    const gradHiddenOut = new Float64Array(12);
    const gradWeightOut = new Float64Array(15);
    const res = linearCrossEntropy(tensor(h, [4, 3]), tensor(w, [5, 3]), [0, 1, 2, 3], { gradHiddenOut, gradWeightOut, chunkSize: 2 });
    assert.deepEqual(h, hc);
    assert.deepEqual(w, wc);
    assert.equal(res.gradHidden!.data, gradHiddenOut);
    assert.equal(res.gradWeight!.data, gradWeightOut);
  });

  it('bounds its tile: chunkSize·tokenChunkSize float64 logits never exceed the 32 MB budget by default', () => {
    for (const [N, D, V] of [[4096, 512, 32000], [1024, 1024, 151936], [8, 64, 1 << 20], [1, 1, 1]]) {
      const { chunk, tokenChunk } = chooseChunks(N, D, V, undefined, undefined);
      assert.ok(chunk * tokenChunk <= Math.max(TILE_BUDGET, chunk), `${N} ${D} ${V}: ${chunk} × ${tokenChunk}`);
    }
    assert.equal(chooseChunks(4096, 512, 32000, undefined, undefined).chunk, 32000);
    assert.ok(chooseChunks(8, 64, 1 << 20, undefined, undefined).chunk < 1 << 20);
    // one pass needs 64 whole rows per tile (or all N): fewer make gradWeight's round trips dominate
    assert.ok(chooseChunks(1024, 1024, 151936, undefined, undefined).chunk < 151936);
    assert.equal(chooseChunks(20, 1024, 151936, undefined, undefined).chunk, 151936);
  });

  it('throws SigmaxError naming the argument for bad input', () => {
    const H = tensor(new Float64Array(6), [2, 3]);
    const W = tensor(new Float64Array(12), [4, 3]);
    const expect = (f: () => unknown, code: string, re: RegExp) =>
      assert.throws(f, (e: unknown) => e instanceof SigmaxError && e.code === code && re.test(e.message));
    expect(() => linearCrossEntropy(H, tensor(new Float64Array(8), [4, 2]), [0, 1]), 'SHAPE_MISMATCH', /linearCrossEntropy: weight has shape \[4, 2\]/);
    expect(() => linearCrossEntropy(H, W, [0, 4]), 'INVALID_TARGET', /target\[1\] = 4 is out of range for 4 classes/);
    expect(() => linearCrossEntropy(H, W, new Float64Array(8)), 'INVALID_TARGET', /probability targets/);
    expect(() => linearCrossEntropy(H, W, [0, 1], { softcap: 0 }), 'INVALID_OPTION', /softcap must be a finite number > 0/);
    expect(() => linearCrossEntropy(H, W, [0, 1], { zLoss: -1 }), 'INVALID_OPTION', /zLoss/);
    expect(() => linearCrossEntropy(H, W, [0, 1], { chunkSize: 0 }), 'INVALID_OPTION', /chunkSize/);
    expect(() => linearCrossEntropy(H, W, [0, 1], { bias: [1, 2] }), 'SHAPE_MISMATCH', /bias has shape \[2\], expected \[4\]/);
    expect(() => linearCrossEntropy(H, tensor(new Float32Array(12), [4, 3]), [0, 1]), 'DTYPE_MISMATCH', /weight is Float32Array but hidden is Float64Array/);
    expect(() => linearCrossEntropy(H, W, [0, 1], { chunk: 3 } as never), 'INVALID_OPTION', /unknown option 'chunk'/);
  });
});

describe('linearCrossEntropy outputs that share memory', () => {
  const N = 3;
  const D = 4;
  const V = 5;
  const hidden = Float32Array.from({ length: N * D }, (_, i) => Math.sin(i));
  const weight = Float32Array.from({ length: V * D }, (_, i) => Math.cos(i));
  const target = new Int32Array([0, 2, 4]);
  const h = tensor(hidden, [N, D]);
  const w = tensor(weight, [V, D]);

  it('refuses a gradient output that is a view into an input', () => {
    assert.throws(() => linearCrossEntropy(h, w, target, { gradHiddenOut: weight.subarray(2, 2 + N * D) }), (e: unknown) => e instanceof SigmaxError && e.code === 'INVALID_OPTION' && /share memory with an input/.test(e.message));
    assert.throws(() => linearCrossEntropy(h, w, target, { gradWeightOut: tensor(weight.subarray(0, V * D), [V, D]) }), /share memory with an input/);
  });

  it('refuses two outputs that overlap', () => {
    const buf = new Float32Array(64);
    assert.throws(
      () => linearCrossEntropy(h, w, target, { gradHiddenOut: buf.subarray(0, N * D), gradWeightOut: buf.subarray(10, 10 + V * D) }),
      (e: unknown) => e instanceof SigmaxError && /must not share memory/.test(e.message),
    );
  });
});
