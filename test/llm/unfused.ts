// The unfused composition the fused op must agree with: logits = hidden·weightᵀ + bias (matmul,
// materialised), softcap and z-loss written out with the library's ops, crossEntropyWithGrad,
// then gradHidden = G·weight, gradWeight = Gᵀ·hidden, gradBias = Σ_n G.
import { crossEntropyWithGrad, logSumExp, softmax, tensor, type Tensor } from '../../src/index.js';
import { matmul } from '../../src/llm/index.js';
import { uniform } from '../../src/core/rng.js';

export interface UnfusedOptions {
  bias?: Float64Array | Float32Array;
  weight?: Float64Array;
  ignoreIndex?: number;
  labelSmoothing?: number;
  reduction?: 'mean' | 'sum' | 'none';
  zLoss?: number;
  softcap?: number;
  gradOutput?: number | Float64Array | Float32Array;
}

export interface Unfused {
  loss: number | Float64Array | Float32Array;
  zLoss: number | Float64Array;
  gradHidden: Float64Array | Float32Array;
  gradWeight: Float64Array | Float32Array;
  gradBias: Float64Array;
  /** |G|·|W| and |G|ᵀ·|H|: the sums of absolute terms, to scale rounding tolerances. */
  absHidden: Float64Array;
  absWeight: Float64Array;
  logits: Float64Array | Float32Array;
}

/** The unfused composition in the inputs' dtype (logits and G materialised in that dtype). */
export function unfused(hidden: Tensor, weight: Tensor, target: Int32Array, o: UnfusedOptions = {}): Unfused {
  const [N, D] = hidden.shape;
  const V = weight.shape[0];
  const f32 = hidden.data instanceof Float32Array;
  const u = matmul(hidden, weight, { transposeB: true });
  const z = u.data;
  if (o.bias) for (let n = 0; n < N; n++) for (let v = 0; v < V; v++) z[n * V + v] += o.bias[v];
  const c = o.softcap ?? 0;
  const sech2 = new Float64Array(N * V).fill(1);
  if (c > 0) {
    for (let i = 0; i < N * V; i++) {
      const x = z[i] / c;
      const ch = Math.cosh(x);
      sech2[i] = 1 / (ch * ch);
      z[i] = c * Math.tanh(x);
    }
  }
  const ignore = o.ignoreIndex ?? -100;
  const reduction = o.reduction ?? 'mean';
  const ce = crossEntropyWithGrad(u, target, {
    ...(o.weight ? { weight: o.weight } : {}),
    ignoreIndex: ignore,
    labelSmoothing: o.labelSmoothing ?? 0,
    reduction,
    ...(o.gradOutput !== undefined ? { gradOutput: o.gradOutput } : {}),
  } as never);
  const G = Float64Array.from((ce.grad as Tensor).data);
  // z-loss λ·w_t·lse² per item, its gradient 2λ·w_t·lse·p (scaled like the loss).
  const lam = o.zLoss ?? 0;
  const zl = new Float64Array(N);
  let zsum = 0;
  if (lam > 0) {
    const lse = logSumExp(tensor(Float64Array.from(z), [N, V])).data;
    const p = softmax(tensor(Float64Array.from(z), [N, V])).data;
    for (let n = 0; n < N; n++) {
      if (target[n] === ignore) continue;
      const wt = o.weight ? o.weight[target[n]] : 1;
      zl[n] = lam * wt * lse[n] * lse[n];
      zsum += zl[n];
      const g = o.gradOutput === undefined ? 1 : typeof o.gradOutput === 'number' ? o.gradOutput : o.gradOutput[n];
      const scale = reduction === 'mean' ? g / ce.weightSum : g;
      for (let v = 0; v < V; v++) G[n * V + v] += 2 * lam * wt * lse[n] * p[n * V + v] * scale;
    }
  }
  for (let i = 0; i < N * V; i++) G[i] *= sech2[i];
  const Gt = f32 ? Float32Array.from(G) : G;
  const Gm = tensor(Gt, [N, V]);
  const gH = matmul(Gm, weight);
  const gW = matmul(Gm, hidden, { transposeA: true });
  const gB = new Float64Array(V);
  for (let n = 0; n < N; n++) for (let v = 0; v < V; v++) gB[v] += G[n * V + v];
  const absG = tensor(G.map(Math.abs), [N, V]);
  const absHidden = matmul(absG, tensor(Float64Array.from(weight.data, Math.abs), [V, D])).data as Float64Array;
  const absWeight = matmul(absG, tensor(Float64Array.from(hidden.data, Math.abs), [N, D]), { transposeA: true }).data as Float64Array;
  let loss: number | Float64Array | Float32Array;
  let zLoss: number | Float64Array;
  if (reduction === 'none') {
    const l = (ce.loss as Tensor).data;
    loss = f32 ? Float32Array.from(l, (x, n) => x + zl[n]) : Float64Array.from(l, (x, n) => x + zl[n]);
    zLoss = zl;
  } else {
    const div = reduction === 'mean' ? ce.weightSum : 1;
    loss = (ce.loss as unknown as number) + zsum / div;
    zLoss = zsum / div;
  }
  return { loss, zLoss, gradHidden: gH.data, gradWeight: gW.data, gradBias: gB, absHidden, absWeight, logits: z };
}

/** A seeded uniform generator for test data: the library's shared generator. */
export const rand = uniform;
