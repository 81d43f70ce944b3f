// A smoke suite run by test/consumer/consumer.test.ts under Node (also --input-type=module), Bun
// and Deno inside a project that installed the packed tarball: every entry point gives real
// values, and setThreads(2) splits a call over a worker with the same bits as one thread.
// Prints one JSON line; the test asserts on it.
import { crossEntropy, getThreads, logSumExp, setBackend, setThreads, sigmoid, softmax, tensor } from 'sigmax';
import { linearCrossEntropy } from 'sigmax/llm';
import { allocFloat32, freeFloat32, isWasmFloat32 } from 'sigmax/wasm';
import { SoftmaxRegression } from 'sigmax/train';
import { traceKernels } from 'sigmax/debug';
// the pool's state is internal (no entry exports it): read from the installed files, the same module instance as sigmax's own
import { wasmPoolInfo } from './node_modules/sigmax/dist/backend/wasm/index.js';

const out = {};
out.softmax = Array.from(softmax([1, 2, 3]));
out.sigmoid = sigmoid([-100])[0];
out.crossEntropy = crossEntropy(tensor(Float64Array.from([2, 1, 0.1, 0.5, 2.5, 0.3]), [2, 3]), [0, 1]);
const lce = linearCrossEntropy(tensor(Float32Array.of(1, 0, 0, 1), [2, 2]), tensor(Float32Array.of(1, 0, 0, 1, 1, 1), [3, 2]), [0, 1]);
out.linearCrossEntropy = lce.loss;
const a = allocFloat32(3);
a.set([1, 2, 3]);
out.wasmArray = isWasmFloat32(a) && freeFloat32(a);
out.trainInputs = new SoftmaxRegression({ inputs: 2, classes: 3 }).inputs;
out.kernels = traceKernels(() => softmax(new Float32Array([1, 2, 3]))).kernels;

setBackend('wasm');
const x = tensor(Float32Array.from({ length: 256 * 4096 }, (_, i) => Math.sin(i * 0.37) * 12), [256, 4096]);
const one = logSumExp(x).data;
setThreads(2);
logSumExp(x);
for (let t = 0; (wasmPoolInfo()?.ready ?? 0) < (wasmPoolInfo()?.size ?? 0) && t < 200; t++) await new Promise((r) => setTimeout(r, 50));
const two = logSumExp(x).data;
out.threads = getThreads();
out.pool = wasmPoolInfo();
out.sameBits = one.every((v, i) => Object.is(v, two[i]));
setThreads(1);
console.log(JSON.stringify(out));
