// The wasm binding of the fused cross-entropy: float32 logits along the last axis on the SIMD
// kernels (class indices, probability targets, label smoothing), float64 rows with class indices
// on the fast float64 kernel when switched on; anything else (and nllLoss) on the reference.
// Per-row losses come back as float64 and are summed on this thread in row order (ddSumF64), so
// the total is the same bits for any split across threads.

import type { ClassLossArgs, DDSum, Kernels } from '../../kernels.js';
import { jsKernels } from '../../js.js';
import { f32Rows, f64Rows, rowGroup, scratchPer } from '../paths.js';
import { type Elem, type Fixed, type Stream, part, staged } from '../scheduler.js';
import { f32OrNull } from './elementwiseLoss.js';

function crossEntropy(a: ClassLossArgs): DDSum {
  const x = a.input;
  const l = a.layout;
  // the kernels read targets and ignoreIndex as int32
  const int32 = a.ignoreIndex === (a.ignoreIndex | 0);
  const hard = a.probs === null && a.labelSmoothing === 0;
  if (f64Rows(x, l) && hard && int32 && !(a.lossOut instanceof Float32Array) && !(a.grad instanceof Float32Array)) return run(a, 'f64');
  if (!f32Rows(x, l) || !f32OrNull(a.probs) || !f32OrNull(a.lossOut) || !f32OrNull(a.grad) || !int32) return jsKernels.crossEntropy(a);
  return run(a, 'f32');
}

function run(a: ClassLossArgs, elem: Elem): DDSum {
  const n = a.layout.size;
  const w = a.classWeight;
  const inputs: Stream[] = [
    { data: a.input, elem, perRow: n },
    { data: a.index, elem: 'i32', perRow: 1 },
    { data: a.probs, elem, perRow: a.probs ? n : 0 },
    { data: a.gradScales, elem: 'f64', perRow: a.gradScales ? 1 : 0 },
  ];
  const outputs: Stream[] = [
    { data: a.lossOut, elem: 'f64', perRow: 1 },
    { data: a.grad, elem, perRow: a.grad ? n : 0 },
  ];
  const fixed: Fixed[] = [
    { bytes: w ? n * 8 : 0, init: (rt, at) => w && rt.heap.f64.set(w, at / 8) },
    { bytes: 16, init: (rt, at) => rt.heap.f64.fill(0, at / 8, at / 8 + 2) },
  ];
  let hi = 0;
  let lo = 0;
  const soft = a.probs !== null || a.labelSmoothing !== 0;
  staged({
    rows: a.layout.outer,
    n,
    group: rowGroup(n),
    inputs,
    outputs,
    fixed,
    scratch: elem === 'f32' ? scratchPer(n) : 0,
    part: (c, [xo, to, po, gso, lso, go], so, [wo]) => {
      const [wAt, gAt, gsAt] = [w ? wo : 0, a.grad ? go : 0, a.gradScales ? gso : 0];
      if (elem === 'f64') return part('crossEntropyF64', xo, to, c, n, wAt, a.ignoreIndex, lso, gAt, a.gradScale, gsAt, a.gradDivisor);
      return soft
        ? part('crossEntropySoftF32', xo, to, a.probs ? po : 0, c, n, wAt, a.ignoreIndex, a.labelSmoothing, lso, gAt, a.gradScale, gsAt, a.gradDivisor, so)
        : part('crossEntropyF32', xo, to, c, n, wAt, a.ignoreIndex, lso, gAt, a.gradScale, gsAt, a.gradDivisor, so);
    },
    afterChunk: (rt, rows, at, [, acc]) => {
      rt.exports.ddSumF64(at[4], rows, acc);
      hi = rt.heap.f64[acc / 8];
      lo = rt.heap.f64[acc / 8 + 1];
    },
  });
  // a non-finite total keeps lo = 0
  return { hi, lo: hi === hi ? lo : 0 };
}

export const crossEntropyFamily: Pick<Kernels, 'crossEntropy'> = { crossEntropy };
