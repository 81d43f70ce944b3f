// The plain JS loop a user would write: Math.exp in float64, stored to a preallocated
// Float32Array. The baseline every library has to beat.

import type { Case } from '../lib/cases.js';
import type { OpOutput, Runner, System } from '../lib/types.js';

function softmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    let m = -Infinity;
    for (let j = o; j < o + cols; j++) if (x[j] > m) m = x[j];
    let s = 0;
    for (let j = o; j < o + cols; j++) {
      const e = Math.exp(x[j] - m);
      out[j] = e;
      s += e;
    }
    const inv = 1 / s;
    for (let j = o; j < o + cols; j++) out[j] *= inv;
  }
}

function logSoftmax(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    let m = -Infinity;
    for (let j = o; j < o + cols; j++) if (x[j] > m) m = x[j];
    let s = 0;
    for (let j = o; j < o + cols; j++) s += Math.exp(x[j] - m);
    const l = m + Math.log(s);
    for (let j = o; j < o + cols; j++) out[j] = x[j] - l;
  }
}

function logSumExp(x: Float32Array, out: Float32Array, rows: number, cols: number): void {
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    let m = -Infinity;
    for (let j = o; j < o + cols; j++) if (x[j] > m) m = x[j];
    let s = 0;
    for (let j = o; j < o + cols; j++) s += Math.exp(x[j] - m);
    out[r] = m + Math.log(s);
  }
}

function sigmoid(x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < x.length; i++) out[i] = 1 / (1 + Math.exp(-x[i]));
}

/** Mean cross-entropy and its gradient (p − onehot)/rows in two passes over each row. */
function crossEntropy(x: Float32Array, t: Int32Array, grad: Float32Array, rows: number, cols: number): number {
  let loss = 0;
  const scale = 1 / rows;
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    let m = -Infinity;
    for (let j = o; j < o + cols; j++) if (x[j] > m) m = x[j];
    let s = 0;
    for (let j = o; j < o + cols; j++) {
      const e = Math.exp(x[j] - m);
      grad[j] = e;
      s += e;
    }
    loss += Math.log(s) + m - x[o + t[r]];
    const k = scale / s;
    for (let j = o; j < o + cols; j++) grad[j] *= k;
    grad[o + t[r]] -= scale;
  }
  return loss * scale;
}

export function plainSystem(): System {
  return {
    id: 'plain-js',
    name: 'plain JS loop',
    async setup() {
      return `Math.exp in float64, results stored to float32, Node ${process.version}`;
    },
    async threads(n) {
      return n === 1 ? true : 'single-threaded';
    },
    variants: [
      {
        id: 'out',
        kind: 'out',
        label: 'loop into a preallocated Float32Array',
        supports: () => true,
        async prepare(c: Case, x, target): Promise<Runner> {
          const out = new Float32Array(c.op === 'logSumExp' ? c.rows : c.rows * c.cols).fill(0);
          let loss: number | undefined;
          const { rows, cols } = c;
          const fns: Record<Case['op'], () => void> = {
            softmax: () => softmax(x, out, rows, cols),
            logSoftmax: () => logSoftmax(x, out, rows, cols),
            logSumExp: () => logSumExp(x, out, rows, cols),
            sigmoid: () => sigmoid(x, out),
            crossEntropy: () => {
              loss = crossEntropy(x, target, out, rows, cols);
            },
          };
          return {
            async: false,
            call: fns[c.op],
            output: (): OpOutput => ({ values: out, loss }),
            dispose: () => {},
          };
        },
      },
    ],
  };
}
