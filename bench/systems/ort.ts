// ONNX Runtime: onnxruntime-node (native CPU execution provider, intraOpNumThreads = 1 or 2,
// and a session with its defaults: no intraOpNumThreads, its own intra-op thread pool) and
// onnxruntime-web (its WebAssembly build, SIMD, run in Node with its defaults: env.wasm.numThreads
// unset, which it resolves to min(4, ceil(cores / 2)) threads). Each op is a single-op model from
// bench/models (written by bench/models/gen.py, committed).
//
// Timed as 'api' = what a user's call costs (new ort.Tensor over the Float32Array, await
// session.run, the output's .data), and for onnxruntime-node also 'op' = session.run on input
// tensors made beforehand into preallocated output tensors (fetches), and 'api, defaults' = the
// api call on a session created with default options. onnxruntime-web ignores preallocated CPU
// outputs, so it has the 'api' row only (its defaults).
//
// GEMM: models/matmul.onnx (MatMul, float32 [M, K]·[K, N]) run on input tensors made beforehand.
//
// Cross-entropy: model ce_loss_grad = SoftmaxCrossEntropyLoss (mean; it also returns log p)
// followed by grad = (exp(log p) − OneHot(t)) / N, so loss and gradient come from one run. The
// 'loss only' row runs ONNX's fused SoftmaxCrossEntropyLoss alone: no gradient.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Case, Op } from '../lib/cases.js';
import type { GemmVariant, OpOutput, Runner, System, Variant } from '../lib/types.js';

type Ort = typeof import('onnxruntime-node');
type Session = import('onnxruntime-node').InferenceSession;
type OrtTensor = import('onnxruntime-node').Tensor;

const MODELS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'models');
const MODEL: Record<Op, string> = {
  softmax: 'softmax',
  logSoftmax: 'log_softmax',
  sigmoid: 'sigmoid',
  logSumExp: 'logsumexp',
  crossEntropy: 'ce_loss_grad',
};

export function ortSystem(flavor: 'node' | 'web'): System {
  let ort: Ort;
  let threads = 1;
  /** onnxruntime-web's resolved env.wasm.numThreads (its defaults), for the report. */
  let webThreads = 'defaults';
  const sessions = new Map<string, Session>();

  /**
   * A session of a model: onnxruntime-node with `n` intra-op threads (or, n = 'defaults', the
   * options left at their defaults); onnxruntime-web always with its defaults.
   */
  async function session(model: string, n: number | 'defaults' = threads): Promise<Session> {
    const t = flavor === 'web' ? 'defaults' : n;
    const key = `${model}/${t}`;
    let s = sessions.get(key);
    if (!s) {
      // One session at a time: each keeps its own memory arena, and at 8192×32000 three of them
      // (1, 2 threads and the defaults) would hold several GB each.
      for (const old of sessions.values()) await old.release();
      sessions.clear();
      s = await ort.InferenceSession.create(
        path.join(MODELS, `${model}.onnx`),
        t === 'defaults'
          ? { executionProviders: [flavor === 'node' ? 'cpu' : 'wasm'] }
          : {
              executionProviders: ['cpu'],
              intraOpNumThreads: t,
              interOpNumThreads: 1,
              executionMode: 'sequential',
              graphOptimizationLevel: 'all',
            },
      );
      sessions.set(key, s);
    }
    return s;
  }

  function feeds(c: Case, x: Float32Array, target: Int32Array): Record<string, OrtTensor> {
    const f: Record<string, OrtTensor> = { X: new ort.Tensor('float32', x, [c.rows, c.cols]) };
    if (c.op === 'crossEntropy') f.T = new ort.Tensor('int32', target, [c.rows]);
    return f;
  }

  function read(c: Case, r: Record<string, OrtTensor>): OpOutput {
    if (c.op === 'crossEntropy') {
      return { loss: (r.loss.data as Float32Array)[0], values: r.grad ? (r.grad.data as Float32Array) : null };
    }
    return { values: r.Y.data as Float32Array };
  }

  const api = (lossOnly: boolean, defaults = false): Variant => ({
    id: lossOnly ? 'api-loss' : defaults ? 'api-defaults' : 'api',
    kind: 'api',
    label: lossOnly
      ? 'loss only: new Tensor + run(SoftmaxCrossEntropyLoss) + .data (no gradient)'
      : defaults
        ? 'new ort.Tensor(x) + await run + output .data, on a session created with default options (its own intra-op threads)'
        : 'new ort.Tensor(x) + await run + output .data',
    ...(defaults || flavor === 'web' ? { defaults: true, threadsLabel: () => (flavor === 'web' ? webThreads : 'defaults') } : {}),
    supports: (c) => (!lossOnly || c.op === 'crossEntropy') && (!defaults || c.threads === 1),
    async prepare(c, x, target): Promise<Runner> {
      const s = await session(lossOnly ? 'ce_loss' : MODEL[c.op], defaults ? 'defaults' : threads);
      let last: OpOutput = { values: null };
      return {
        async: true,
        call: async () => {
          last = read(c, await s.run(feeds(c, x, target)));
        },
        output: () => last,
        dispose: () => void (last = { values: null }),
      };
    },
  });

  const op: Variant = {
    id: 'op',
    kind: 'op',
    label: 'await run on input tensors made beforehand, into preallocated outputs',
    supports: () => true,
    async prepare(c, x, target): Promise<Runner> {
      const s = await session(MODEL[c.op]);
      const f = feeds(c, x, target);
      const fetches: Record<string, OrtTensor> =
        c.op === 'crossEntropy'
          ? {
              loss: new ort.Tensor('float32', new Float32Array(1), []),
              grad: new ort.Tensor('float32', new Float32Array(c.rows * c.cols).fill(0), [c.rows, c.cols]),
            }
          : {
              Y: new ort.Tensor(
                'float32',
                new Float32Array(c.op === 'logSumExp' ? c.rows : c.rows * c.cols).fill(0),
                c.op === 'logSumExp' ? [c.rows] : [c.rows, c.cols],
              ),
            };
      return {
        async: true,
        call: () => s.run(f, fetches),
        output: () => read(c, fetches),
        dispose: () => {},
      };
    },
  };

  /** MatMul (models/matmul.onnx) on input tensors made beforehand; ort allocates the output. */
  const gemmVariant = (n: number | 'defaults'): GemmVariant => ({
    id: `MatMul-${n === 'defaults' ? 'defaults' : `t${n}`}`,
    label: 'await run({ a, b }) of MatMul on input tensors made beforehand (output allocated by onnxruntime)',
    get threads() {
      return n === 'defaults' ? (flavor === 'web' ? webThreads : 'defaults') : String(n);
    },
    ...(typeof n === 'number' ? { threadCount: n } : {}),
    async prepare(M, K, N, a, b): Promise<Runner> {
      const s = await session('matmul', n);
      const feeds = { a: new ort.Tensor('float32', a, [M, K]), b: new ort.Tensor('float32', b, [K, N]) };
      let c: Float32Array | null = null;
      return {
        async: true,
        call: async () => {
          c = (await s.run(feeds)).c.data as Float32Array;
        },
        output: () => ({ values: c }),
        dispose: () => void (c = null),
      };
    },
  });

  return {
    id: `ort-${flavor}`,
    name: `onnxruntime-${flavor}`,
    async setup() {
      if (flavor === 'node') {
        ort = await import('onnxruntime-node');
      } else {
        ort = (await import('onnxruntime-web')) as unknown as Ort;
        const env = ort.env as unknown as { wasm: { numThreads?: number; simd?: boolean; proxy: boolean } };
        env.wasm.proxy = false;
      }
      // A first session loads the runtime (and for web, instantiates the .wasm).
      await session('sigmoid');
      const v = ort.env.versions as Record<string, string>;
      if (flavor === 'node') return `onnxruntime-node ${v.node}, CPU execution provider; sessions with intraOpNumThreads 1 or 2, and one with default options for the 'api, defaults' rows`;
      const n = (ort.env as unknown as { wasm: { numThreads?: number } }).wasm.numThreads;
      webThreads = `defaults (${n ?? '?'})`;
      return `onnxruntime-web ${v.web}, wasm execution provider (SIMD build), its defaults: env.wasm.numThreads resolved to ${n ?? 'unknown'}`;
    },
    async threads(n) {
      if (flavor === 'web' && n !== 1) return 'run with 1 thread here';
      threads = n;
      return true;
    },
    variants: flavor === 'node' ? [api(false), op, api(false, true), api(true)] : [api(false), api(true)],
    gemm: flavor === 'node' ? [gemmVariant(1), gemmVariant(2)] : [gemmVariant('defaults')],
  };
}
