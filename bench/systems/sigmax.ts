// sigmax itself, on a named backend ('js': the exact reference; 'wasm': the WebAssembly SIMD
// backend, detected at run time: until setBackend('wasm') works, the system reports itself
// unavailable). Timed two ways: the allocating call and the call with a preallocated `out`; on
// 'wasm' also a third, zero-copy: input and output are sigmax/wasm arrays in the wasm memory,
// and a fourth, the allocating call with the library's defaults (backend 'auto', threads 'auto':
// what a user who never calls setThreads gets). The 'wasm' system also has the GEMM rows (matmul
// from sigmax/llm) and the linear cross-entropy rows (linearCrossEntropy, at the defaults).

import * as sx from '../../src/index.js';
import { linearCrossEntropy, matmul } from '../../src/llm/index.js';
import { opByName } from '../../src/ops/manifest.js';
import { allocFloat32, freeFloat32, isWasmFloat32 } from '../../src/wasm/index.js';
import { wasmPoolInfo, wasmRelaxed } from '../../src/backend/wasm/index.js';
import type { Case } from '../lib/cases.js';
import type { GemmVariant, LceVariant, OpOutput, Runner, System, Variant } from '../lib/types.js';

type Backend = 'js' | 'wasm';

/** The thread count the system last set (setThreads(n)); the defaults variant puts it back after itself. */
let current = 1;

/** Sets n threads and waits (up to 5 s) until the workers are up, so that no timed call runs on fewer. */
async function threadsNow(n: number | 'auto'): Promise<void> {
  sx.setThreads(n);
  if (n !== 'auto') await poolReady();
}

/** Waits until every worker of the pool has started (the pool exists: an explicit count, or 'auto' after a split call). */
async function poolReady(): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    const p = wasmPoolInfo();
    if (p === null || p.ready >= p.size || performance.now() - t0 > 5000) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * setThreads' documented rule: a call is split only where each thread gets at least 65536
 * elements. Under 'auto' the workers start with the first call that splits; the defaults variant
 * waits for them after such a call, as a user's steady state has them.
 */
const SPLIT_MIN = 65536;

/** setBackend may become async once the wasm backend has to instantiate: accept both. */
export async function useBackend(name: Backend): Promise<void> {
  await (sx.setBackend(name) as unknown);
  if (sx.getBackend() !== name) throw new Error(`setBackend('${name}') left getBackend() = '${sx.getBackend()}'`);
}

/**
 * Runs one op through sigmax's public API, as the op manifest declares it; `out` preallocated or
 * not. Row ops take a [rows, cols] tensor, elementwise ops the flat array; a loss runs as
 * …WithGrad with class indices and reports its gradient and loss.
 */
function callOp(c: Case, x: Float32Array, target: Int32Array, out: Float32Array | undefined): OpOutput {
  const op = opByName(c.op)!;
  const opts = out ? { out } : undefined;
  if (op.bench!.layout === 'elements') return { values: op.fn(x, opts) as Float32Array };
  const z = sx.tensor(x, [c.rows, c.cols]);
  if (op.kind === 'loss') {
    const r = op.withGrad!(z, target, opts) as sx.LossWithGrad<number, sx.Tensor<Float32Array>>;
    return { values: r.grad.data, loss: r.loss };
  }
  return { values: (op.fn(z, opts) as sx.Tensor<Float32Array>).data };
}

/** A reduction (logSumExp) gives one value per row; the other ops one per element. */
function outLength(c: Case): number {
  return opByName(c.op)!.kind === 'reduce' ? c.rows : c.rows * c.cols;
}

function variant(backend: Backend, preallocated: boolean): Variant {
  return {
    id: preallocated ? 'out' : 'alloc',
    kind: preallocated ? 'out' : 'alloc',
    label: preallocated
      ? 'preallocated out: op(tensor(x, shape), { out })'
      : 'allocating call: op(tensor(x, shape)) returns a new array',
    supports: () => true,
    async prepare(c, x, target): Promise<Runner> {
      // A preallocated buffer is one the caller reuses: touch its pages before timing.
      const out = preallocated ? new Float32Array(outLength(c)).fill(0) : undefined;
      let last: OpOutput = { values: null };
      return {
        async: false,
        call: () => {
          last = callOp(c, x, target, out);
        },
        output: () => last,
        dispose: () => {
          last = { values: null };
        },
      };
    },
  };
}

/**
 * The allocating call with the library's defaults: backend 'auto' and threads 'auto' (the state of
 * a process that never called setBackend or setThreads), as a user calls it.
 */
function defaultsVariant(): Variant {
  let label = 'defaults';
  return {
    id: 'alloc-defaults',
    kind: 'alloc',
    label: "allocating call at the library's defaults (setBackend and setThreads never called: 'auto' and 'auto')",
    defaults: true,
    threadsLabel: () => label,
    supports: () => true,
    async prepare(c, x, target): Promise<Runner> {
      await (sx.setBackend('auto') as unknown);
      sx.setThreads('auto');
      const t = sx.getThreads();
      label = `defaults (${sx.getBackend()}, ${t} thread${t > 1 ? 's' : ''})`;
      let last: OpOutput = { values: null };
      if (t > 1 && c.rows * c.cols >= SPLIT_MIN * t) {
        callOp(c, x, target, undefined); // starts the workers
        await poolReady();
      }
      return {
        async: false,
        call: () => {
          last = callOp(c, x, target, undefined);
        },
        output: () => last,
        dispose: async () => {
          last = { values: null };
          await useBackend('wasm');
          await threadsNow(current);
        },
      };
    },
  };
}

/**
 * GEMM through sigmax/llm's matmul (the wasm backend's packed SIMD kernels), float32 operands into
 * a preallocated out: with float64 sums (the default) and with precision 'float32' (float32 sums,
 * fused multiply-add where built), at 1 and 2 threads.
 */
function gemmVariants(): GemmVariant[] {
  const vs: GemmVariant[] = [];
  for (const precision of ['float32', 'float64'] as const) {
    for (const t of [1, 2]) {
      vs.push({
        id: `matmul-${precision === 'float32' ? 'f32' : 'f64'}-t${t}`,
        label:
          precision === 'float32'
            ? "matmul(A, B, { out, precision: 'float32' }): float32 sums"
            : 'matmul(A, B, { out }): float64 sums (the default)',
        threads: String(t),
        threadCount: t,
        async prepare(M, K, N, a, b): Promise<Runner> {
          await threadsNow(t);
          current = t;
          const A = sx.tensor(a, [M, K]);
          const B = sx.tensor(b, [K, N]);
          const C = new Float32Array(M * N).fill(0);
          const opts = precision === 'float32' ? { out: C, precision } : { out: C };
          return { async: false, call: () => matmul(A, B, opts), output: () => ({ values: C }), dispose: () => {} };
        },
      });
    }
  }
  return vs;
}

/**
 * linearCrossEntropy(H, W, t) at the library's defaults (backend and threads 'auto'), loss and
 * both gradients, into preallocated gradient outputs (so that the memory it reports is the op's
 * own working memory, not its results).
 */
function lceVariants(): LceVariant[] {
  let label = 'defaults';
  return [
    {
      id: 'fused-defaults',
      label: "linearCrossEntropy(tensor(h, [N, D]), tensor(w, [V, D]), t, { gradHiddenOut, gradWeightOut }) at the library's defaults",
      get threads() {
        return label;
      },
      async warm() {
        await (sx.setBackend('auto') as unknown);
        sx.setThreads('auto');
        const t = sx.getThreads();
        label = `defaults (${sx.getBackend()}, ${t} thread${t > 1 ? 's' : ''})`;
        // one call large enough to split starts the workers, as in any process that made one
        if (t > 1) {
          sx.softmax(sx.tensor(new Float32Array(SPLIT_MIN * t * 2), [2 * t, SPLIT_MIN]));
          await poolReady();
        }
      },
      async prepare(N, D, V, h, w, target, out): Promise<Runner> {
        const H = sx.tensor(h, [N, D]);
        const W = sx.tensor(w, [V, D]);
        const gH = out.dH.subarray(0, N * D);
        const gW = out.dW.subarray(0, V * D);
        let loss = NaN;
        return {
          async: false,
          call: () => {
            loss = linearCrossEntropy(H, W, target, { gradHiddenOut: gH, gradWeightOut: gW }).loss;
          },
          output: () => ({ loss, values: gH, values2: gW }),
          dispose: () => {},
        };
      },
    },
  ];
}

/**
 * Zero-copy (wasm backend): input and output are sigmax/wasm arrays living in the wasm memory,
 * filled once before timing; the kernels read and write them in place.
 */
function zeroCopy(): Variant {
  return {
    id: 'zero-copy',
    kind: 'out',
    label: "sigmax/wasm arrays: x = allocFloat32(n) (filled once), op(tensor(x, shape), { out: allocFloat32(m) })",
    supports: () => true,
    async prepare(c, x, target): Promise<Runner> {
      const xs = allocFloat32(x.length);
      xs.set(x);
      const out = allocFloat32(outLength(c));
      if (!isWasmFloat32(xs) || !isWasmFloat32(out)) throw new Error('allocFloat32 did not give wasm arrays here');
      let last: OpOutput = { values: null };
      return {
        async: false,
        call: () => {
          last = callOp(c, xs, target, out);
        },
        output: () => last,
        dispose: () => {
          last = { values: null };
          freeFloat32(xs);
          freeFloat32(out);
        },
      };
    },
  };
}

export function sigmaxSystem(backend: Backend): System {
  return {
    id: `sigmax-${backend}`,
    name: `sigmax ${backend}`,
    async setup() {
      try {
        await useBackend(backend);
      } catch (e) {
        throw new Error(backend === 'wasm' ? `wasm backend not available (${(e as Error).message})` : (e as Error).message);
      }
      return `setBackend('${backend}'), getBackend() = '${sx.getBackend()}'${backend === 'wasm' ? `; kernels: ${wasmRelaxed() ? 'relaxed SIMD (fused multiply-add)' : 'plain SIMD'}` : ''}`;
    },
    async threads(n) {
      await threadsNow(n);
      current = n;
      return true;
    },
    variants:
      backend === 'wasm'
        ? [variant(backend, false), variant(backend, true), zeroCopy(), defaultsVariant()]
        : [variant(backend, false), variant(backend, true)],
    ...(backend === 'wasm' ? { gemm: gemmVariants(), lce: lceVariants() } : {}),
  };
}
