// The page of test/web/threads.test.ts: the wasm backend with 1 and 2 threads in a browser.
// window.runThreads() returns what the test asserts: whether the page is cross-origin isolated,
// the pool's state, and whether every result has the same bits with both thread counts.
import { crossEntropyWithGrad, logSoftmax, setBackend, setThreads, sigmoid, softmax, tensor } from '../../../src/index.js';
import { wasmPoolInfo } from '../../../src/backend/wasm/index.js';

const R = 64;
const C = 4099;

function results(): Float32Array[] {
  const data = Float32Array.from({ length: R * C }, (_, i) => Math.sin(i * 0.37) * 12 + (i % 101 === 0 ? -Infinity : 0));
  const x = tensor(data, [R, C]);
  const t = Int32Array.from({ length: R }, (_, i) => (i * 131) % C);
  const g = crossEntropyWithGrad(x, t);
  return [softmax(x).data, logSoftmax(x).data, sigmoid(data), g.grad.data, Float32Array.of(g.loss)];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runThreads() {
  setBackend('wasm');
  setThreads(1);
  const one = results();
  setThreads(2);
  const first = results(); // creates the pool; its worker has not started yet, so this runs here
  let waited = 0;
  while ((wasmPoolInfo()?.ready ?? 0) < (wasmPoolInfo()?.size ?? 0) && waited < 10_000) {
    await sleep(20);
    waited += 20;
  }
  const two = results();
  const same = (a: Float32Array[], b: Float32Array[]) =>
    a.every((v, k) => v.length === b[k].length && v.every((y, i) => Object.is(y, b[k][i])));
  const info = wasmPoolInfo();
  setThreads(1);
  return { isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true, info, sameFirst: same(one, first), same: same(one, two), waited };
}

(window as unknown as { runThreads: typeof runThreads }).runThreads = runThreads;
document.body.dataset.ready = 'true';
