// The contract between the per-system adapters (bench/systems/*) and the child that times them.

import type { Case } from './cases.js';

/** What one call produced, read back for the check (never inside the timed region). */
export interface OpOutput {
  /** The op's output; for crossEntropy the gradient wrt the logits (null for loss-only variants). */
  values: Float32Array | null;
  /** crossEntropy: the mean loss. */
  loss?: number;
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
}
