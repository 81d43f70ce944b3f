// sigmax reading the real foreign tensor classes from npm (no mocks): onnxruntime-common's and
// transformers.js's Tensor ({ data, dims, type }) and TensorFlow.js tensors (dataSync/shape/dtype),
// as logits, probability targets, class ids (int64 as BigInt64Array), float16 data and outs.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor as OrtTensor } from 'onnxruntime-common';
import { Tensor as HfTensor } from '@huggingface/transformers';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as sx from '../../src/index.js';
import { linearCrossEntropy } from '../../src/llm/index.js';
import { toFloat16Bits } from '../../src/core/float16.js';
import { eachBackend } from '../helpers/backends.js';

const code = (c: string, re?: RegExp) => (e: unknown) => e instanceof sx.SigmaxError && e.code === c && (re === undefined || re.test(e.message));
const logits = [0.5, -1, 2, 0, 3, 1];
const ref = sx.tensor(Float32Array.from(logits), [2, 3]);

eachBackend('foreign tensors', () => {
  it('an onnxruntime Tensor gives a plain sigmax Tensor with the same values as a Float32Array tensor', () => {
    const t = new OrtTensor('float32', Float32Array.from(logits), [2, 3]);
    const y = sx.softmax(t);
    assert.ok(!(y instanceof OrtTensor));
    assert.deepEqual(y.shape, [2, 3]);
    assert.deepEqual([...y.data], [...sx.softmax(ref).data]);
    assert.equal(sx.crossEntropy(t, new OrtTensor('int64', BigInt64Array.of(2n, 0n), [2])), sx.crossEntropy(ref, [2, 0]));
    assert.equal(sx.crossEntropy(t, new OrtTensor('int32', Int32Array.of(2, 0), [2])), sx.crossEntropy(ref, [2, 0]));
  });

  it('a transformers.js Tensor is read the same way, float32, float64 and int64 alike', () => {
    const t = new HfTensor('float32', Float32Array.from(logits), [2, 3]);
    const r = sx.logSoftmax(t);
    assert.deepEqual([...r.data], [...sx.logSoftmax(ref).data]);
    const t64 = new HfTensor('float64', Float64Array.from(logits), [2, 3]);
    assert.ok(sx.sigmoid(t64).data instanceof Float64Array);
    const ids = new HfTensor('int64', BigInt64Array.of(1n, 2n), [2]);
    const g = sx.crossEntropyWithGrad(t, ids);
    assert.equal(g.loss, sx.crossEntropy(ref, [1, 2]));
    assert.deepEqual(g.grad.shape, [2, 3]);
    const probs = new HfTensor('float32', Float32Array.of(0.2, 0.3, 0.5, 1, 0, 0), [2, 3]);
    assert.equal(sx.crossEntropy(t, probs), sx.crossEntropy(ref, Float32Array.of(0.2, 0.3, 0.5, 1, 0, 0)));
  });

  it('float16 tensors of both libraries (Uint16Array bits) are computed as float32, and a float16 out is written once-rounded', () => {
    const bits = Uint16Array.from(logits, toFloat16Bits);
    const want = sx.softmax(ref);
    for (const t of [new OrtTensor('float16', bits, [2, 3]), new HfTensor('float16', bits, [2, 3])]) {
      const y = sx.softmax(t);
      assert.ok(y.data instanceof Float32Array);
      assert.deepEqual([...y.data], [...want.data]);
    }
    const out = new OrtTensor('float16', new Uint16Array(6), [2, 3]);
    assert.equal(sx.softmax(new OrtTensor('float16', bits, [2, 3]), { out }) as unknown, out);
    const exact = sx.softmax(sx.tensor(Float64Array.from(logits), [2, 3]));
    assert.deepEqual([...(out.data as Uint16Array)], Array.from(exact.data, toFloat16Bits));
  });

  it('tfjs tensors are read through dataSync, shape and dtype; int32 ones are class targets', () => {
    const x = tf.tensor2d(logits, [2, 3]);
    const y = tf.tensor1d([2, 0], 'int32');
    assert.deepEqual([...sx.softmax(x).data], [...sx.softmax(ref).data]);
    assert.equal(sx.crossEntropy(x, y), sx.crossEntropy(ref, [2, 0]));
    const kept = sx.fromTfjs(x);
    x.dispose();
    y.dispose();
    assert.deepEqual(kept.shape, [2, 3]);
    assert.deepEqual([...kept.data], [...ref.data]);
  });

  it('linearCrossEntropy takes transformers.js int64 token ids and onnxruntime hidden states', () => {
    const hidden = new OrtTensor('float32', Float32Array.of(0.1, 0.2, -0.3, 0.4), [2, 2]);
    const weight = sx.tensor(Float32Array.of(1, 0, 0, 1, 1, 1), [3, 2]);
    const a = linearCrossEntropy(hidden, weight, new HfTensor('int64', BigInt64Array.of(2n, 1n), [2]));
    const b = linearCrossEntropy(sx.tensor(Float32Array.of(0.1, 0.2, -0.3, 0.4), [2, 2]), weight, Int32Array.of(2, 1));
    assert.equal(a.loss, b.loss);
  });

  it('what cannot be read throws a SigmaxError naming the foreign type', () => {
    assert.throws(() => sx.softmax(new OrtTensor('string', ['a', 'b'], [2])), code('DTYPE_MISMATCH', /type: 'string'/));
    assert.throws(() => sx.softmax(new OrtTensor('int32', Int32Array.of(1, 2), [2])), code('DTYPE_MISMATCH', /type: 'int32'/));
    assert.throws(() => sx.softmax(tf.tensor1d([1, 2], 'int32')), code('DTYPE_MISMATCH', /tfjs tensor of dtype 'int32'/));
    const gone = tf.tensor1d([1, 2]);
    gone.dispose();
    assert.throws(() => sx.softmax(gone), code('DTYPE_MISMATCH', /disposed tfjs tensor/));
    assert.throws(() => sx.fromTfjs(gone), code('DTYPE_MISMATCH', /disposed tfjs tensor/));
    assert.throws(() => sx.crossEntropy(ref, new HfTensor('int64', BigInt64Array.of(0n, 2n ** 53n + 1n), [2])), code('INVALID_TARGET', /9007199254740993/));
    assert.throws(() => sx.nllLoss(ref, tf.tensor1d([0.5, 0.5])), code('INVALID_TARGET'));
  });
});
