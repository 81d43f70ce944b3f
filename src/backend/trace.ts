// Which kernel served a call: every backend names the kernel it ran (`wasm:softmaxF32`,
// `js:softmax`) through traceKernel, which costs one comparison unless a traceKernels call is
// recording. Tests use it to prove that the fast path really ran, and users to see why a call
// was slow (a float64 input, a non-last axis or a temperature runs the reference).

let log: string[] | null = null;

/** Records that `name` ran; a kernel run chunk by chunk is recorded once. */
export function traceKernel(name: string): void {
  if (log !== null && log[log.length - 1] !== name) log.push(name);
}

/**
 * Runs `fn` and returns its result with the kernels that served it, in order: `wasm:<export>` for
 * a WebAssembly kernel (its export name, e.g. `wasm:softmaxF32`), `js:<kernel>` for the exact
 * reference (e.g. `js:softmax`). Calls nest: an inner traceKernels sees only its own calls.
 */
export function traceKernels<T>(fn: () => T): { result: T; kernels: string[] } {
  const outer = log;
  const mine: string[] = [];
  log = mine;
  try {
    const result = fn();
    return { result, kernels: mine };
  } finally {
    log = outer;
    if (outer !== null) for (const k of mine) traceKernel(k);
  }
}
