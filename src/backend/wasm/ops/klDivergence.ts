// The wasm binding of the fused klDivergence for float32 (loss and gradient in one pass, losses
// summed in element order: ops/elementwiseLoss.ts); float64 and anything else on the reference.

import type { DDSum, KlDivergenceArgs, Kernels } from '../../kernels.js';
import { jsKernels } from '../../js.js';
import { part } from '../scheduler.js';
import { elementwiseLoss, f32OrNull } from './elementwiseLoss.js';

function klDivergence(a: KlDivergenceArgs): DDSum {
  const x = a.input;
  const t = a.target;
  if (!(x instanceof Float32Array) || !(t instanceof Float32Array) || !f32OrNull(a.lossOut) || !f32OrNull(a.grad) || x.length === 0) {
    return jsKernels.klDivergence(a);
  }
  return elementwiseLoss({ ...a, input: x, target: t }, [], (c, at) =>
    part('klDivergenceF32', at.x, at.y, a.logTarget ? 1 : 0, at.loss, at.grad, c, a.gradScale, at.gradScales, a.gradDivisor),
  );
}

export const klDivergenceFamily: Pick<Kernels, 'klDivergence'> = { klDivergence };
