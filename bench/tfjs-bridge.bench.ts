// Times softmax cross-entropy, value and gradient wrt the logits, in TensorFlow.js on its CPU backend
// against sigmax through the sigmax/tfjs bridge (and sigmax called directly), float32, and writes
// bench/TFJS-BRIDGE-RESULTS.md. Every row is checked against tfjs's loss before it is timed.
// Run: node --import tsx bench/tfjs-bridge.bench.ts (after `npm --prefix bench ci`, see README.md)

import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createLosses } from '../src/tfjs/index.js';
import { crossEntropyWithGrad, getBackend, tensor } from '../src/index.js';
import { uniform } from '../src/core/rng.js';

const SHAPES: [number, number][] = [[512, 1000], [32, 32000]];

/** The median and the best of per-call times in ns over `reps` calls after `warm` untimed ones. */
function time(fn: () => void, warm: number, reps: number): { median: number; best: number } {
  for (let i = 0; i < warm; i++) fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    ts.push(Number(process.hrtime.bigint() - t0));
  }
  ts.sort((a, b) => a - b);
  return { median: ts[ts.length >> 1], best: ts[0] };
}

/** ns per element, median and best. */
interface Timing {
  median: number;
  best: number;
}

const perElement = (t: Timing, el: number): Timing => ({ median: t.median / el, best: t.best / el });
const show = (t: Timing, digits: number): string => `${t.median.toFixed(digits)} (${t.best.toFixed(digits)})`;

interface Row {
  shape: string;
  tfjs: Timing;
  bridgeOneHot: Timing;
  bridgeSparse: Timing;
  direct: Timing;
  lossDiff: number;
}

async function main(): Promise<void> {
  // Production mode keeps tfjs-backend-cpu's "install tfjs-node" banner off the output.
  tf.enableProdMode();
  await tf.setBackend('cpu');
  const L = createLosses(tf);
  const load0 = loadavg();
  const rows: Row[] = [];
  for (const [n, c] of SHAPES) {
    const r = uniform(n * 7919 + c);
    const data = Float32Array.from({ length: n * c }, () => 8 * r() - 4);
    const ids = Int32Array.from({ length: n }, () => Math.floor(r() * c));
    const logits = tf.tensor2d(data, [n, c]);
    const idsT = tf.tensor1d(ids, 'int32');
    // One-hot labels made as float32 data, as a dataset holds them (a tf.cast of tf.oneHot's int32
    // would be converted again by every dataSync on the cpu backend).
    const oneHot = new Float32Array(n * c);
    for (let i = 0; i < n; i++) oneHot[i * c + ids[i]] = 1;
    const y = tf.tensor2d(oneHot, [n, c]);
    // tfjs-core's Node bundle registers no gradients of plain ops (@tensorflow/tfjs does), so the
    // mean is taken as the per-row losses with dy = 1/rows: exactly the mean's gradient, through
    // tfjs's own fused softmaxCrossEntropy gradient (softmax − labels).
    const dy = tf.fill([n], 1 / n);
    const tfjsStep = tf.valueAndGrad((z: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, z, undefined, 0, tf.Reduction.NONE));
    const bridgeOneHot = tf.valueAndGrad((z: tf.Tensor) => L.softmaxCrossEntropy(y, z));
    const bridgeSparse = tf.valueAndGrad((z: tf.Tensor) => L.sparseSoftmaxCrossEntropy(idsT, z));

    const ref = tfjsStep(logits, dy);
    const refLoss = tf.mean(ref.value).dataSync()[0];
    const ours = bridgeSparse(logits);
    const lossDiff = Math.abs(ours.value.dataSync()[0] - refLoss) / refLoss;
    const gradDiff = tf.max(tf.abs(tf.sub(ours.grad, ref.grad))).dataSync()[0];
    if (lossDiff > 1e-5 || gradDiff > 1e-6) throw new Error(`${n}×${c}: sigmax and tfjs disagree (loss rel ${lossDiff}, grad abs ${gradDiff})`);
    tf.dispose([ref.value, ref.grad, ours.value, ours.grad]);

    const run = (f: () => { value: tf.Tensor; grad: tf.Tensor }) => () => {
      const o = f();
      tf.dispose([o.value, o.grad]);
    };
    const el = n * c;
    const row: Row = {
      shape: `${n}×${c}`,
      tfjs: perElement(time(run(() => tfjsStep(logits, dy)), 2, 7), el),
      bridgeOneHot: perElement(time(run(() => bridgeOneHot(logits)), 5, 31), el),
      bridgeSparse: perElement(time(run(() => bridgeSparse(logits)), 5, 31), el),
      direct: perElement(time(() => void crossEntropyWithGrad(tensor(data, [n, c]), ids), 5, 31), el),
      lossDiff,
    };
    process.stdout.write(`${row.shape}: ns/element, median (best): tfjs-cpu ${show(row.tfjs, 1)}, sigmax/tfjs one-hot ${show(row.bridgeOneHot, 2)}, sparse ${show(row.bridgeSparse, 2)}, sigmax direct ${show(row.direct, 2)}; tfjs / bridge (sparse, medians) ${(row.tfjs.median / row.bridgeSparse.median).toFixed(0)}×\n`);
    rows.push(row);
    tf.dispose([logits, idsT, y, dy]);
  }
  const load1 = loadavg();
  const require = createRequire(import.meta.url);
  const version = (require('@tensorflow/tfjs-core/package.json') as { version: string }).version;
  const lines = [
    '# sigmax/tfjs bridge benchmark',
    '',
    `Generated by \`node --import tsx bench/tfjs-bridge.bench.ts\` on ${new Date().toISOString()}.`,
    `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load average ${load0.map((x) => x.toFixed(1)).join('/')} at the start, ${load1.map((x) => x.toFixed(1)).join('/')} at the end.`,
    `@tensorflow/tfjs-core ${version} with tfjs-backend-cpu; sigmax backend '${getBackend()}', one thread. Float32 logits, mean over rows.`,
    '',
    'Softmax cross-entropy, loss and gradient wrt the logits, one call = one `tf.valueAndGrad` step',
    '(median of 7 calls for tfjs, 31 for sigmax, after a warm-up; the best call in parentheses, the',
    'steadier figure on a busy machine), in ns per logit element:',
    '',
    '- **tfjs-cpu**: `tf.losses.softmaxCrossEntropy(oneHot, z)`, its own fused gradient (softmax − labels).',
    '- **sigmax/tfjs one-hot**: `softmaxCrossEntropy(oneHot, z)` from `createLosses(tf)`: dataSync, sigmax\'s fused pass, tensors back.',
    '- **sigmax/tfjs sparse**: `sparseSoftmaxCrossEntropy(ids, z)`, the same with int32 class ids.',
    '- **sigmax direct**: `crossEntropyWithGrad` on the Float32Array, no tfjs: what the bridge adds is the difference.',
    '',
    '| logits | tfjs-cpu | sigmax/tfjs one-hot | sigmax/tfjs sparse | sigmax direct | tfjs-cpu / sigmax/tfjs sparse (medians, bests) | loss rel. diff vs tfjs |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.shape} | ${show(r.tfjs, 1)} | ${show(r.bridgeOneHot, 2)} | ${show(r.bridgeSparse, 2)} | ${show(r.direct, 2)} | ${(r.tfjs.median / r.bridgeSparse.median).toFixed(0)}×, ${(r.tfjs.best / r.bridgeSparse.best).toFixed(0)}× | ${r.lossDiff.toExponential(1)} |`),
    '',
  ];
  writeFileSync(new URL('./TFJS-BRIDGE-RESULTS.md', import.meta.url), lines.join('\n'));
}

await main();
