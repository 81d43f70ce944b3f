// sigmax itself, on a named backend ('js': the exact reference; 'wasm': the WebAssembly SIMD
// backend, detected at run time: until setBackend('wasm') works, the system reports itself
// unavailable). Timed two ways: the allocating call and the call with a preallocated `out`; on
// 'wasm' also a third, zero-copy: input and output are sigmax/wasm arrays in the wasm memory.

import * as sx from '../../src/index.js';
import { opByName } from '../../src/ops/manifest.js';
import { allocFloat32, freeFloat32, isWasmFloat32 } from '../../src/wasm/index.js';
import { wasmRelaxed } from '../../src/backend/wasm/index.js';
import type { Case } from '../lib/cases.js';
import type { OpOutput, Runner, System, Variant } from '../lib/types.js';

type Backend = 'js' | 'wasm';

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
      sx.setThreads(n);
      return true;
    },
    variants: backend === 'wasm' ? [variant(backend, false), variant(backend, true), zeroCopy()] : [variant(backend, false), variant(backend, true)],
  };
}
