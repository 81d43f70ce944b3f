// The contract between the per-system adapters (bench/systems/*) and the child that times them.

import type { Case } from './cases.js';

/** What one call produced, read back for the check (never inside the timed region). */
export interface OpOutput {
  /** The op's output; for crossEntropy the gradient wrt the logits (null for loss-only variants). */
  values: Float32Array | null;
  /** crossEntropy: the mean loss. */
  loss?: number;
  /** linearCrossEntropy: the gradient wrt the weight (`values` holds the one wrt the hidden states). */
  values2?: Float32Array | null;
}

/** A prepared call: `call` is what is timed; `output` reads the last call's result back. */
export interface Runner {
  call(): unknown;
  /** True when call returns a promise (it is awaited inside the timed region). */
  async: boolean;
  output(): OpOutput | Promise<OpOutput>;
  dispose(): void | Promise<void>;
}

export type VariantKind = 'alloc' | 'out' | 'api' | 'op';

export interface Variant {
  /** Short id, unique within the system. */
  id: string;
  kind: VariantKind;
  /** What exactly the timed call does. */
  label: string;
  /** True; false where the variant has no meaning for the case (no row); or why it can't run it. */
  supports(c: Case): boolean | string;
  prepare(c: Case, x: Float32Array, target: Int32Array): Promise<Runner>;
  /**
   * The user's call with the library's default settings (no thread count set): its row sits in
   * the 1-thread table and its own threads are described by `threadsLabel`.
   */
  defaults?: boolean;
  /** The threads this variant ran with, for the report (read after prepare); default: the case's count. */
  threadsLabel?(): string;
}

/** One way of timing float32 C = A·B (A M×K, B K×N, both row-major); `output` gives C. */
export interface GemmVariant {
  id: string;
  label: string;
  /** The threads it runs with, as the report shows them ('1', '2', 'defaults (1)'). */
  threads: string;
  /** Threads per GFLOP/s figure: the count the per-thread target divides by (undefined: not judged per thread). */
  threadCount?: number;
  prepare(M: number, K: number, N: number, a: Float32Array, b: Float32Array): Promise<Runner>;
}

/**
 * One way of computing the linear cross-entropy forward and backward: logits = H·Wᵀ (H N×D,
 * W V×D), mean cross-entropy against class indices, gradients wrt H and W. `output` gives the
 * loss, dH (values) and dW (values2).
 */
export interface LceVariant {
  id: string;
  label: string;
  threads: string;
  /** Gets the library to its steady state before the memory baseline (e.g. starts its worker threads). */
  warm?(): Promise<void>;
  /**
   * `out`: gradient arrays the child allocated (and touched) before the memory baseline, dH at
   * least N·D long and dW V·D, for an API that writes into preallocated outputs.
   */
  prepare(N: number, D: number, V: number, h: Float32Array, w: Float32Array, target: Int32Array, out: { dH: Float32Array; dW: Float32Array }): Promise<Runner>;
}

export interface System {
  id: string;
  /** Display name, e.g. 'tfjs-backend-wasm'. */
  name: string;
  /** Loads the library; returns a version/config line, or throws with why it is not available. */
  setup(): Promise<string>;
  /** Selects the thread count for the next cases; true, or why it can't. */
  threads(n: number): Promise<true | string>;
  variants: Variant[];
  /** Its matrix product, where it has one (the GEMM rows). */
  gemm?: GemmVariant[];
  /** Its linear cross-entropy, where the bench has one (the linearCrossEntropy rows). */
  lce?: LceVariant[];
}
