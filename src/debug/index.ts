// sigmax/debug: what happened inside a call. traceKernels(fn) runs fn and lists the kernels that
// served it — `wasm:softmaxF32` when the WebAssembly SIMD kernel ran, `js:softmax` when the exact
// reference did (float64 inputs, a non-last axis, a temperature other than 1, the 'js' backend):
//
//   import { traceKernels } from 'sigmax/debug';
//   traceKernels(() => softmax(new Float32Array([1, 2, 3]))).kernels;   // ['wasm:softmaxF32']
//
// Recording costs one comparison per kernel call when no traceKernels call is active.

export { traceKernels } from '../backend/trace.js';

// The op manifest (every op, its options, gradient checks and identities): the sigmax command
// (packages/sigmax-cli) builds its eval, gradcheck and demo commands from it.
export { ALL_OPS, OPTIONS, opByName, type GradcheckName, type IdentityName, type Op, type OptionName } from '../ops/manifest.js';
