// Type tests for the input forms (compiled by `npm run typecheck`; here, not in test/types/, so the
// real foreign classes resolve): each op's result type per input — foreign tensors give plain
// sigmax Tensors — and what is refused.
import { Tensor as OrtTensor } from 'onnxruntime-common';
import * as tf from '@tensorflow/tfjs-core';
import { type Output, type Tensor, crossEntropy, fromTfjs, sigmoid, softmax } from '../../src/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expect = <T extends true>(_: T): void => undefined;

const nested = softmax([[1, 2], [3, 4]]);
expect<Equal<typeof nested, Tensor<Float64Array>>>(true);
const flat = softmax([1, 2, 3]);
expect<Equal<typeof flat, Float64Array>>(true);
const ort = sigmoid(new OrtTensor('float32', new Float32Array(2), [2]));
expect<Equal<typeof ort, Tensor<Float32Array>>>(true);
const half = sigmoid({ data: new Uint16Array(2), dims: [2], type: 'float16' as const });
expect<Equal<typeof half, Tensor<Float32Array>>>(true);
const tfx = softmax(tf.zeros([2, 3]));
expect<Equal<typeof tfx, Tensor<Float32Array>>>(true);
const kept = fromTfjs(tf.zeros([2]));
expect<Equal<typeof kept, Tensor<Float32Array>>>(true);
expect<Equal<Output<{ data: Float64Array; dims: number[]; type: 'float64' }>, Tensor<Float64Array>>>(true);
const ce = crossEntropy(tf.zeros([2, 3]), BigInt64Array.of(0n, 1n));
expect<Equal<typeof ce, number>>(true);

// @ts-expect-error a string is no tensor
softmax('1 2 3');
// @ts-expect-error an array of strings is no tensor
softmax(['1', '2']);
// @ts-expect-error a Map is no tensor
sigmoid(new Map<number, number>());

export { nested, flat, ort, half, tfx, kept, ce };
