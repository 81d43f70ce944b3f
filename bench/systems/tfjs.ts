// TensorFlow.js: @tensorflow/tfjs-core with tfjs-backend-cpu (plain JS kernels) or
// tfjs-backend-wasm (XNNPACK, SIMD; its .wasm binaries ship inside the npm package and are loaded
// from node_modules through setWasmPaths). Both run with their defaults: no thread count is set
// (tfjs-backend-wasm never loads its threaded binary in Node, so it runs on one thread here).
//
// Timed two ways: 'api' = what a user's call costs (tf.tensor2d from the Float32Array, the op,
// dataSync() back to a typed array, dispose), and 'op' = the op alone on a tensor created
// beforehand, its result left in the backend (the computation itself is synchronous on both
// backends, so the time is the kernel's).
//
// Cross-entropy: tf.valueAndGrad of tf.losses.softmaxCrossEntropy(oneHot(t), logits) (tfjs'
// fused loss with its own custom gradient, softmax − labels). tfjs-core's Node bundle registers
// no gradients of the plain ops (@tensorflow/tfjs does that), so the mean is taken as the
// reduction-NONE per-row losses with dy = 1/rows, which is exactly the gradient of the mean.

import { createRequire } from 'node:module';
import path from 'node:path';
import type { Case } from '../lib/cases.js';
import type { GemmVariant, LceVariant, OpOutput, Runner, System, Variant } from '../lib/types.js';

type Tf = typeof import('@tensorflow/tfjs-core');
type Tensor = import('@tensorflow/tfjs-core').Tensor;

let tf: Tf;

function opOn(c: Case, z: Tensor): Tensor {
  switch (c.op) {
    case 'softmax':
      return tf.softmax(z as import('@tensorflow/tfjs-core').Tensor2D);
    case 'logSoftmax':
      return tf.logSoftmax(z);
    case 'logSumExp':
      return tf.logSumExp(z, 1);
    case 'sigmoid':
      return tf.sigmoid(z);
    case 'crossEntropy':
      throw new Error('crossEntropy has its own path');
  }
}

/** Mean loss (a scalar tensor) and gradient wrt z, from one-hot labels and dy = 1/rows. */
function ceLossAndGrad(z: Tensor, labels: Tensor, dy: Tensor): [Tensor, Tensor] {
  const f = (logits: Tensor) => tf.losses.softmaxCrossEntropy(labels, logits, undefined, 0, tf.Reduction.NONE);
  const { value, grad } = tf.valueAndGrad(f)(z, dy);
  return [tf.mean(value), grad];
}

/** The threads tfjs runs with here, for the report: 'defaults (1)'. */
let threadsLabel = 'defaults';

const apiVariant: Variant = {
  id: 'api',
  kind: 'api',
  label: 'tf.tensor2d(x) + op + dataSync(), tensors disposed',
  defaults: true,
  threadsLabel: () => threadsLabel,
  supports: () => true,
  async prepare(c, x, target): Promise<Runner> {
    const shape: [number, number] = [c.rows, c.cols];
    let last: OpOutput = { values: null };
    // tf.tidy disposes the intermediates; the download happens outside it (tidy walks what its
    // callback returns, which would mean every index of a returned typed array).
    const call =
      c.op === 'crossEntropy'
        ? () => {
            const [loss, grad] = tf.tidy(() => {
              const z = tf.tensor2d(x, shape);
              const labels = tf.oneHot(tf.tensor1d(target, 'int32'), c.cols);
              return ceLossAndGrad(z, labels, tf.fill([c.rows], 1 / c.rows));
            });
            last = { loss: loss.dataSync()[0], values: grad.dataSync() as Float32Array };
            tf.dispose([loss, grad]);
          }
        : () => {
            const y = tf.tidy(() => opOn(c, tf.tensor2d(x, shape)));
            last = { values: y.dataSync() as Float32Array };
            y.dispose();
          };
    return { async: false, call, output: () => last, dispose: () => void (last = { values: null }) };
  },
};

const opVariant: Variant = {
  id: 'op',
  kind: 'op',
  label: 'op alone on a tensor made beforehand (result left in the backend)',
  threadsLabel: () => threadsLabel,
  supports: () => true,
  async prepare(c, x, target): Promise<Runner> {
    const z = tf.tensor2d(x, [c.rows, c.cols]);
    const keep: Tensor[] = [z];
    let result: Tensor[] = [];
    let call: () => void;
    if (c.op === 'crossEntropy') {
      const labels = tf.tidy(() => tf.oneHot(tf.tensor1d(target, 'int32'), c.cols));
      const dy = tf.fill([c.rows], 1 / c.rows);
      keep.push(labels, dy);
      call = () => {
        tf.dispose(result);
        result = tf.tidy(() => ceLossAndGrad(z, labels, dy));
      };
    } else {
      call = () => {
        tf.dispose(result);
        result = [tf.tidy(() => opOn(c, z))];
      };
    }
    return {
      async: false,
      call,
      output: () =>
        c.op === 'crossEntropy'
          ? { loss: result[0].dataSync()[0], values: result[1].dataSync() as Float32Array }
          : { values: result[0].dataSync() as Float32Array },
      dispose: () => {
        tf.dispose(result);
        tf.dispose(keep);
      },
    };
  },
};

/** tf.matMul on tensors made beforehand; the product stays in the backend (read back only for the check). */
const gemmVariant: GemmVariant = {
  id: 'matMul',
  label: 'tf.matMul(a, b) on tensors made beforehand (result left in the backend, disposed)',
  get threads() {
    return threadsLabel;
  },
  threadCount: 1,
  async prepare(M, K, N, a, b): Promise<Runner> {
    const ta = tf.tensor2d(a, [M, K]);
    const tb = tf.tensor2d(b, [K, N]);
    let c: Tensor | null = null;
    return {
      async: false,
      call: () => {
        c?.dispose();
        c = tf.matMul(ta, tb);
      },
      output: () => ({ values: c!.dataSync() as Float32Array }),
      dispose: () => {
        c?.dispose();
        tf.dispose([ta, tb]);
      },
    };
  },
};

/**
 * The linear cross-entropy as a tfjs user composes it: logits = matMul(H, Wᵀ), the mean loss and
 * its gradient wrt the logits from tf.losses.softmaxCrossEntropy's own gradient (as the
 * cross-entropy rows), then dH = G·W and dW = Gᵀ·H by two more matMuls (tfjs-core registers no
 * matMul gradient in Node, so the chain rule is written out). Inputs uploaded and results
 * downloaded inside the call.
 */
const lceVariant: LceVariant = {
  id: 'composition',
  label: 'tensor2d(h), tensor2d(w), oneHot(t); matMul(H, Wᵀ); valueAndGrad(softmaxCrossEntropy); matMul(G, W), matMul(Gᵀ, H); dataSync()',
  get threads() {
    return threadsLabel;
  },
  async prepare(N, D, V, h, w, target): Promise<Runner> {
    let last: OpOutput = { values: null };
    return {
      async: false,
      call: () => {
        const [loss, dH, dW] = tf.tidy(() => {
          const H = tf.tensor2d(h, [N, D]);
          const W = tf.tensor2d(w, [V, D]);
          const labels = tf.oneHot(tf.tensor1d(target, 'int32'), V);
          const logits = tf.matMul(H, W, false, true);
          const [l, g] = ceLossAndGrad(logits, labels, tf.fill([N], 1 / N));
          return [l, tf.matMul(g, W), tf.matMul(g, H, true, false)];
        });
        last = { loss: loss.dataSync()[0], values: dH.dataSync() as Float32Array, values2: dW.dataSync() as Float32Array };
        tf.dispose([loss, dH, dW]);
      },
      output: () => last,
      dispose: () => void (last = { values: null }),
    };
  },
};

export function tfjsSystem(backend: 'cpu' | 'wasm'): System {
  return {
    id: `tfjs-${backend}`,
    name: `tfjs-backend-${backend}`,
    async setup() {
      tf = await import('@tensorflow/tfjs-core');
      const require = createRequire(import.meta.url);
      let detail = '';
      if (backend === 'cpu') {
        await import('@tensorflow/tfjs-backend-cpu');
      } else {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
        wasm.setWasmPaths(dir);
        detail = ' (binaries from node_modules/@tensorflow/tfjs-backend-wasm/dist)';
      }
      // tfjs-backend-cpu prints a banner about tfjs-node on its first tensor in Node: keep it off the report.
      const log = console.log;
      const warn = console.warn;
      console.log = console.warn = () => {};
      let ok: boolean;
      try {
        ok = await tf.setBackend(backend);
        await tf.ready();
        tf.tensor1d([1]).dispose(); // the banner comes with the first tensor
      } finally {
        console.log = log;
        console.warn = warn;
      }
      if (!ok || tf.getBackend() !== backend) throw new Error(`tf.setBackend('${backend}') failed`);
      const version = (require('@tensorflow/tfjs-core/package.json') as { version: string }).version;
      threadsLabel = 'defaults (1)';
      if (backend === 'wasm') {
        const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
        const n = (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
        threadsLabel = `defaults (${n})`;
        detail += `, SIMD ${simd ? 'on' : 'off'}, threaded binary ${mt ? 'loaded' : 'not used (tfjs has no wasm threads in Node)'}, its defaults: ${n} thread${n > 1 ? 's' : ''}`;
      }
      return `@tensorflow/tfjs-core ${version}, backend '${tf.getBackend()}'${detail}`;
    },
    async threads(n) {
      return n === 1 ? true : 'single-threaded here';
    },
    variants: [apiVariant, opVariant],
    ...(backend === 'wasm' ? { gemm: [gemmVariant], lce: [lceVariant] } : {}),
  };
}
