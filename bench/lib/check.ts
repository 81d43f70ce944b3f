// The check every system passes before it is timed, and the accuracy it reports: outputs are
// compared with sigmax's 'js' backend (correctly rounded float32) element by element, in float32
// ulps. Big shapes are compared on sampled rows (sigmoid 16M: sampled windows); the reference
// loss of a big shape comes from the orchestrator (a float64 loop over all rows).

import * as sx from '../../src/index.js';
import { opByName } from '../../src/ops/manifest.js';
import { type Case, sampleRows, sampleWindows } from './cases.js';
import type { OpOutput } from './types.js';

export interface Reference {
  /** [start, end) ranges of the op's output that `values` holds, back to back. */
  regions: [number, number][];
  values: Float32Array;
  /** crossEntropy: the mean loss (float64). */
  loss?: number;
  /** How the reference was made, for the report. */
  how: string;
}

export interface Accuracy {
  pass: boolean;
  /** Why the check failed, if it did. */
  reason?: string;
  compared: number;
  maxAbs: number;
  maxRel: number;
  /** Max distance to the reference in float32 ulps (Infinity for NaN against a number). */
  maxUlp: number;
  /** Share of compared elements more than 1 ulp away. */
  over1Ulp: number;
  /** crossEntropy: |loss − reference| in float32 ulps and relative. */
  lossUlp?: number;
  lossRel?: number;
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** Position of a float32 on the ordered integer line (−0 and +0 both at 0). */
function ord(v: number): number {
  f32[0] = v;
  const b = i32[0];
  return b < 0 ? -(b & 0x7fffffff) : b;
}

export function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  return Math.abs(ord(a) - ord(b));
}

/** The sigmax 'js' result for a case (the caller has selected the 'js' backend). */
export function reference(c: Case, x: Float32Array, target: Int32Array, bigLoss: number | undefined): Reference {
  const { rows, cols } = c;
  const op = opByName(c.op)!;
  const per = op.kind === 'reduce' ? 1 : cols;
  // a row op on [rows, cols]: its values (a loss: its gradient, as the systems report it)
  const rowOp = (z: sx.Tensor<Float32Array>, t: ArrayLike<number>, opts?: object): Float32Array =>
    op.kind === 'loss' ? (op.withGrad!(z, t, opts) as { grad: sx.Tensor<Float32Array> }).grad.data : (op.fn(z) as sx.Tensor<Float32Array>).data;
  if (!c.big) {
    if (op.bench!.layout === 'elements') return { regions: [[0, x.length]], values: op.fn(x) as Float32Array, how: 'full' };
    const z = sx.tensor(x, [rows, cols]);
    if (op.kind === 'loss') {
      const r = op.withGrad!(z, target) as { loss: number; grad: sx.Tensor<Float32Array> };
      return { regions: [[0, x.length]], values: r.grad.data, loss: r.loss, how: 'full' };
    }
    return { regions: [[0, rows * per]], values: rowOp(z, target), how: 'full' };
  }
  if (op.bench!.layout === 'elements') {
    const w = sampleWindows(x.length);
    const values = new Float32Array(w.reduce((s, [a, b]) => s + b - a, 0));
    let o = 0;
    for (const [a, b] of w) {
      values.set(op.fn(x.subarray(a, b)) as Float32Array, o);
      o += b - a;
    }
    return { regions: w, values, how: `${w.length} windows of ${w[0][1] - w[0][0]} elements` };
  }
  const rs = sampleRows(rows);
  const values = new Float32Array(rs.length * per);
  const regions: [number, number][] = [];
  rs.forEach((r, k) => {
    const row = sx.tensor(x.subarray(r * cols, (r + 1) * cols), [1, cols]);
    // The mean's gradient of one row is the row's gradient scaled by 1/rows.
    const v = rowOp(row, [target[r]], { reduction: 'sum', gradOutput: 1 / rows });
    values.set(v, k * per);
    regions.push([r * per, (r + 1) * per]);
  });
  return {
    regions,
    values,
    loss: op.kind === 'loss' ? bigLoss : undefined,
    how: `${rs.length} sampled rows${op.kind === 'loss' ? '; loss against a float64 loop over all rows' : ''}`,
  };
}

/**
 * Compares an output with the reference. The check is a sanity check of semantics (right op,
 * axis, mean, no NaN), not of accuracy: |got − ref| ≤ 1e−5·max|ref| + 1e−3·|ref| everywhere, and
 * the loss within 1e−4 relative. Accuracy is what maxUlp reports.
 */
export function compare(ref: Reference, out: OpOutput, hasValues: boolean): Accuracy {
  const acc: Accuracy = { pass: true, compared: 0, maxAbs: 0, maxRel: 0, maxUlp: 0, over1Ulp: 0 };
  if (hasValues) {
    const got = out.values;
    const need = ref.regions[ref.regions.length - 1][1];
    if (!got || got.length < need) {
      return { ...acc, pass: false, reason: `output has ${got ? got.length : 0} values, expected at least ${need}` };
    }
    let scale = 0;
    for (let i = 0; i < ref.values.length; i++) scale = Math.max(scale, Math.abs(ref.values[i]));
    let k = 0;
    let over = 0;
    let bad = -1;
    for (const [a, b] of ref.regions) {
      for (let i = a; i < b; i++, k++) {
        const r = ref.values[k];
        const g = got[i];
        const u = ulpDistance(g, r);
        if (u > acc.maxUlp) acc.maxUlp = u;
        if (u > 1) over++;
        const d = Math.abs(g - r);
        if (d > acc.maxAbs || Number.isNaN(d)) acc.maxAbs = Number.isNaN(d) ? Infinity : d;
        if (r !== 0 && d / Math.abs(r) > acc.maxRel) acc.maxRel = d / Math.abs(r);
        if (bad < 0 && !(d <= 1e-5 * scale + 1e-3 * Math.abs(r)) && !(g === r)) bad = i;
      }
    }
    acc.compared = k;
    acc.over1Ulp = k ? over / k : 0;
    if (bad >= 0) {
      acc.pass = false;
      const kk = findRefIndex(ref, bad);
      acc.reason = `element ${bad}: got ${got[bad]}, reference ${ref.values[kk]}`;
    }
  }
  if (ref.loss !== undefined) {
    if (out.loss === undefined) return { ...acc, pass: false, reason: 'no loss returned' };
    acc.lossUlp = ulpDistance(Math.fround(out.loss), Math.fround(ref.loss));
    acc.lossRel = Math.abs(out.loss - ref.loss) / Math.abs(ref.loss);
    if (!(acc.lossRel <= 1e-4)) {
      acc.pass = false;
      acc.reason = `${acc.reason ? acc.reason + '; ' : ''}loss ${out.loss}, reference ${ref.loss}`;
    }
  }
  return acc;
}

function findRefIndex(ref: Reference, i: number): number {
  let k = 0;
  for (const [a, b] of ref.regions) {
    if (i >= a && i < b) return k + i - a;
    k += b - a;
  }
  return -1;
}

/** Mean cross-entropy of a big input in float64 (max-shifted), the loss reference of big shapes. */
export function float64MeanLoss(x: Float32Array, target: Int32Array, rows: number, cols: number): number {
  let sum = 0;
  let comp = 0;
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    let m = -Infinity;
    for (let j = o; j < o + cols; j++) if (x[j] > m) m = x[j];
    let s = 0;
    let cs = 0;
    for (let j = o; j < o + cols; j++) {
      // Kahan-summed exponentials: the row sum is good to ~1e−16 relative.
      const y = Math.exp(x[j] - m) - cs;
      const t = s + y;
      cs = t - s - y;
      s = t;
    }
    const l = Math.log(s) + m - x[o + target[r]] - comp;
    const t = sum + l;
    comp = t - sum - l;
    sum = t;
  }
  return sum / rows;
}
