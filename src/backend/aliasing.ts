// Every backend's kernels behind one aliasing rule (src/core/alias.ts): an output that partly
// overlaps an input — a view of `x` shifted by a row, a `lossOut` inside the logits — is computed
// into a temporary and copied out once the kernel is done, so no kernel ever reads a value it has
// already overwritten. An output that is exactly an input (out === x) stays in place.

import { clobbers } from '../core/alias.js';
import type { Kernels } from './kernels.js';

type Typed = Float32Array | Float64Array;
type Method = (...args: unknown[]) => unknown;

/** The position of the output among a positional kernel's arguments. */
const OUT_AT: Partial<Record<keyof Kernels, number>> = {
  sigmoid: 1,
  logSigmoid: 1,
  softplus: 1,
  sigmoidBackward: 2,
  logSigmoidBackward: 2,
  softplusBackward: 2,
  softmax: 1,
  logSoftmax: 1,
  logSumExp: 1,
  softmaxBackward: 2,
  logSoftmaxBackward: 2,
  softmaxJvp: 2,
  softmaxJacobian: 1,
};

/** The outputs of the loss kernels' argument objects, and the fields that may hold inputs (a Broadcast's through .data). */
const LOSS_OUTPUTS = ['lossOut', 'grad'] as const;
const LOSS_INPUTS = ['input', 'target', 'probs', 'index', 'gradScales', 'classWeight', 'weight', 'posWeight'] as const;

/** An input value as a view: itself, or the `data` of a broadcast weight. */
const asView = (v: unknown): unknown => (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) ? (v as { data?: unknown }).data : v);

const fresh = (a: Typed): Typed => new (a.constructor as new (n: number) => Typed)(a.length);

/** Whether `out` partly overlaps one of `values` (no allocation: this runs on every call). */
function clobbersAny(out: unknown, values: readonly unknown[], skip: number): boolean {
  if (!ArrayBuffer.isView(out)) return false;
  for (let i = 0; i < values.length; i++) if (i !== skip && clobbers(out, asView(values[i]))) return true;
  return false;
}

function positional(f: Method, at: number): Method {
  return (...args) => {
    const out = args[at] as Typed;
    if (!clobbersAny(out, args, at)) return f(...args);
    const tmp = fresh(out);
    const r = f(...args.map((v, i) => (i === at ? tmp : v)));
    out.set(tmp);
    return r;
  };
}

function lossArgs(f: Method): Method {
  return (a) => {
    const o = a as Record<string, unknown>;
    let swap: string[] | null = null;
    for (const k of LOSS_OUTPUTS) {
      const out = o[k];
      if (!ArrayBuffer.isView(out)) continue;
      for (const i of LOSS_INPUTS) {
        if (clobbers(out, asView(o[i]))) {
          (swap ??= []).push(k);
          break;
        }
      }
    }
    if (swap === null) return f(a);
    const tmp = Object.fromEntries(swap.map((k) => [k, fresh(o[k] as Typed)]));
    const r = f({ ...o, ...tmp });
    for (const k of swap) (o[k] as Typed).set(tmp[k]);
    return r;
  };
}

/** The kernels with the aliasing rule applied to every output argument. */
export function aliasSafe(k: Kernels): Kernels {
  const out: Record<string, unknown> = { ...k };
  for (const [name, f] of Object.entries(k)) {
    if (typeof f !== 'function') continue;
    const at = OUT_AT[name as keyof Kernels];
    if (at !== undefined) out[name] = positional(f as Method, at);
    else if (['crossEntropy', 'nllLoss', 'binaryCrossEntropy', 'binaryCrossEntropyWithLogits', 'klDivergence'].includes(name)) out[name] = lossArgs(f as Method);
  }
  return out as unknown as Kernels;
}
