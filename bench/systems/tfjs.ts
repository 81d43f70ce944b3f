// TensorFlow.js: @tensorflow/tfjs-core with tfjs-backend-cpu (plain JS kernels) or
// tfjs-backend-wasm (XNNPACK, SIMD; its .wasm binaries ship inside the npm package and are loaded
// from node_modules through setWasmPaths).
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
import type { OpOutput, Runner, System, Variant } from '../lib/types.js';

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

const apiVariant: Variant = {
  id: 'api',
  kind: 'api',
  label: 'tf.tensor2d(x) + op + dataSync(), tensors disposed',
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
        wasm.setThreadsCount(1);
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
      if (backend === 'wasm') {
        const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
        detail += `, SIMD ${simd ? 'on' : 'off'}, threaded binary ${mt ? 'loaded (1 thread set)' : 'not used'}`;
      }
      return `@tensorflow/tfjs-core ${version}, backend '${tf.getBackend()}'${detail}`;
    },
    async threads(n) {
      return n === 1 ? true : 'single-threaded here';
    },
    variants: [apiVariant, opVariant],
  };
}
