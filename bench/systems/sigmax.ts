// sigmax itself, on a named backend ('js': the exact reference; 'wasm': the WebAssembly SIMD
// backend, detected at run time: until setBackend('wasm') works, the system reports itself
// unavailable). Timed two ways: the allocating call and the call with a preallocated `out`; on
// 'wasm' also a third, zero-copy: input and output are sigmax/wasm arrays in the wasm memory.

import * as sx from '../../src/index.js';
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

/** Runs one op through sigmax's public API; `out` preallocated or not. */
function callOp(c: Case, x: Float32Array, target: Int32Array, out: Float32Array | undefined): OpOutput {
  const z = sx.tensor(x, [c.rows, c.cols]);
  switch (c.op) {
    case 'softmax':
      return { values: sx.softmax(z, out ? { out } : undefined).data };
    case 'logSoftmax':
      return { values: sx.logSoftmax(z, out ? { out } : undefined).data };
    case 'logSumExp':
      return { values: sx.logSumExp(z, out ? { out } : undefined).data };
    case 'sigmoid':
      return { values: sx.sigmoid(x, out ? { out } : undefined) };
    case 'crossEntropy': {
      const r = sx.crossEntropyWithGrad(z, target, out ? { out } : undefined);
      return { values: r.grad.data, loss: r.loss };
    }
  }
}

function outLength(c: Case): number {
  return c.op === 'logSumExp' ? c.rows : c.rows * c.cols;
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
