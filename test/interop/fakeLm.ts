// Weightless stand-ins for a language model, for the adapter tests and the README's decoding
// snippets: a transformers.js PreTrainedModel and an onnxruntime session whose every step returns
// logits from the seeded generator and records the last position, so a test can replay them.
import { Tensor as HfTensor, PreTrainedModel } from '@huggingface/transformers';
import { Tensor as OrtTensor } from 'onnxruntime-common';
import { uniform } from '../../src/core/rng.js';

/** n synthetic logits, uniform in [−3, 3), from the shared generator. */
export function synth(u: () => number, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => 6 * u() - 3);
}

/** The part of a transformers.js Tensor the tests read. */
export interface HfTensorLike {
  data: Float32Array;
  dims: number[];
  tolist(): bigint[][];
}

/** The last position's rows of [B, S, V] logits, as a [B·V] Float32Array. */
function lastPosition(data: Float32Array, B: number, S: number, V: number): Float32Array {
  const last = new Float32Array(B * V);
  for (let b = 0; b < B; b++) last.set(data.subarray((b * S + S - 1) * V, (b * S + S) * V), b * V);
  return last;
}

/**
 * A causal LM with no weights: forward returns [batch, seq, V] logits from a seeded generator and
 * records each step's last position (`seen`), so a test can replay exactly what generate() saw.
 */
export class FakeLM extends (PreTrainedModel as unknown as new (config: object, sessions: object, configs: object) => {
  can_generate: boolean;
  generate(options: Record<string, unknown>): Promise<HfTensorLike>;
}) {
  readonly seen: Float32Array[] = [];
  private readonly u: () => number;

  constructor(seed: number, readonly V: number) {
    super({ model_type: 'fake-lm' }, {}, {});
    // The config names no registered architecture, so generate() must be told this model has a head.
    this.can_generate = true;
    this.u = uniform(seed);
  }

  prepare_inputs_for_generation(_ids: unknown, inputs: Record<string, unknown>): Record<string, unknown> {
    return inputs;
  }

  _update_model_kwargs_for_generation({ generated_input_ids, model_inputs }: { generated_input_ids: bigint[][]; model_inputs: Record<string, unknown> }): Record<string, unknown> {
    model_inputs.input_ids = new HfTensor('int64', generated_input_ids.flat(), [generated_input_ids.length, 1]);
    return model_inputs;
  }

  async forward(inputs: { input_ids: { dims: number[] } }): Promise<{ logits: unknown }> {
    const [B, S] = inputs.input_ids.dims;
    const data = synth(this.u, B * S * this.V);
    this.seen.push(lastPosition(data, B, S, this.V));
    return { logits: new HfTensor('float32', data, [B, S, this.V]) };
  }
}

/** An onnxruntime-like session: run({ input_ids }) answers { logits } of dims [B, S, V] (float32 or float16 bits). */
export class FakeOrtSession {
  readonly seen: Float32Array[] = [];
  private readonly u: () => number;

  constructor(seed: number, readonly V: number) {
    this.u = uniform(seed);
  }

  async run(feeds: { input_ids: OrtTensor }): Promise<{ logits: OrtTensor }> {
    const [B, S] = feeds.input_ids.dims;
    const data = synth(this.u, B * S * this.V);
    this.seen.push(lastPosition(data, B, S, this.V));
    return { logits: new OrtTensor('float32', data, [B, S, this.V]) };
  }
}
