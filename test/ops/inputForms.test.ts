// The input forms beyond Tensor/typed array/number[], on both backends: nested number arrays,
// 16-bit float bits in and out, BigInt64Array class ids, a number posWeight/weight, number[]
// probability targets, and `{ data, dims, type }` objects (the real foreign classes: test/interop).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import * as sx from '../../src/index.js';
import { eachBackend } from '../helpers/backends.js';
import { decodeHalf, toBfloat16Bits, toFloat16Bits } from '../../src/core/float16.js';
import { linearCrossEntropy, softmaxStats } from '../../src/llm/index.js';

const code = (c: string) => (e: unknown) => e instanceof sx.SigmaxError && e.code === c;

eachBackend('input forms', () => {
  it('nested number arrays have their shape inferred and give a Float64Array tensor', () => {
    const y = sx.softmax([[1, 2, 3], [0, 0, 0]]);
    assert.deepEqual(y.shape, [2, 3]);
    assert.ok(y.data instanceof Float64Array);
    assert.deepEqual([...y.data], [...sx.softmax(sx.tensor(Float64Array.of(1, 2, 3, 0, 0, 0), [2, 3])).data]);
    const ce = sx.crossEntropy([[[1, 2], [3, 4]]], [[0, 1]]);
    assert.equal(ce, sx.crossEntropy(sx.tensor(Float64Array.of(1, 2, 3, 4), [1, 2, 2]), Int32Array.of(0, 1)));
  });

  it('a ragged nested array throws SHAPE_MISMATCH naming the first bad index', () => {
    assert.throws(() => sx.softmax([[1, 2], [3]]), (e: unknown) => code('SHAPE_MISMATCH')(e) && /x\[1\] has 1 elements but x\[0\] has 2/.test((e as Error).message));
    assert.throws(() => sx.sigmoid([[1, 2], [3, [4]]] as never), (e: unknown) => code('SHAPE_MISMATCH')(e) && /x\[1\]\[1\] is an array/.test((e as Error).message));
    assert.throws(() => sx.sigmoid([[1, 2], 3] as never), (e: unknown) => code('SHAPE_MISMATCH')(e) && /x\[1\] is a number/.test((e as Error).message));
  });

  it('float16 and bfloat16 bits tagged with their type are computed as float32, results float32', () => {
    const values = [-3.5, 0.25, 1, 7.125];
    for (const type of ['float16', 'bfloat16'] as const) {
      const enc = type === 'float16' ? toFloat16Bits : toBfloat16Bits;
      const bits = Uint16Array.from(values, enc);
      const y = sx.softmax({ data: bits, dims: [2, 2], type });
      const want = sx.softmax(sx.tensor(Float32Array.from(values), [2, 2]));
      assert.ok(y.data instanceof Float32Array);
      assert.deepEqual(y.shape, [2, 2]);
      assert.deepEqual([...y.data], [...want.data]);
      const z = sx.sigmoid({ data: bits, shape: [4], dtype: type });
      assert.deepEqual([...z.data], [...sx.sigmoid(Float32Array.from(values))]);
    }
  });

  it('a float16 out is computed in float64 and rounded once (not float32 then float16)', () => {
    const x = Uint16Array.from([0.1, 0.2, 0.3, 9.5, -2, 4], toFloat16Bits);
    const exact = sx.logSoftmax(sx.tensor(Float64Array.from(decodeHalf(x, 'float16')), [2, 3]));
    const out = { data: new Uint16Array(6), dims: [2, 3], type: 'float16' as const };
    const r = sx.logSoftmax({ data: x, dims: [2, 3], type: 'float16' }, { out });
    assert.equal(r as unknown, out, 'the out is returned as given');
    assert.deepEqual([...out.data], Array.from(exact.data, toFloat16Bits));
    const lossOut = { data: new Uint16Array(2), shape: [2], dtype: 'float16' as const };
    sx.crossEntropy({ data: x, dims: [2, 3], type: 'float16' }, [2, 0], { reduction: 'none', out: lossOut });
    const want = sx.crossEntropy(exact, [2, 0], { reduction: 'none' });
    assert.deepEqual([...lossOut.data], Array.from(want.data, toFloat16Bits));
  });

  it('a float16 lossOut next to a float32 gradient out is refused with a message that says why', () => {
    const x = new Float32Array([1, 2, 3]);
    assert.throws(() => sx.crossEntropyWithGrad(x, 1, { reduction: 'none', out: new Float32Array(3), lossOut: { data: new Uint16Array(1), shape: [], dtype: 'float16' } } as never), code('DTYPE_MISMATCH'));
  });

  it('BigInt64Array and BigUint64Array class ids give the Int32Array result', () => {
    const x = sx.tensor(Float64Array.from({ length: 12 }, (_, i) => Math.sin(i)), [3, 4]);
    const want = sx.crossEntropyWithGrad(x, Int32Array.of(3, 0, -100));
    const got = sx.crossEntropyWithGrad(x, BigInt64Array.of(3n, 0n, -100n));
    assert.equal(got.loss, want.loss);
    assert.deepEqual([...got.grad.data], [...want.grad.data]);
    assert.equal(sx.nllLoss(x, BigUint64Array.of(3n, 0n, 1n)), sx.nllLoss(x, [3, 0, 1]));
    assert.equal(sx.crossEntropy(x, { data: BigInt64Array.of(1n, 2n, 3n), dims: [3], type: 'int64' }), sx.crossEntropy(x, [1, 2, 3]));
  });

  it('64-bit ids beyond the range are rejected exactly, 2^53 + 1 included (not rounded to 2^53)', () => {
    const x = sx.tensor(new Float64Array(2 * 4), [2, 4]);
    assert.throws(() => sx.crossEntropy(x, BigInt64Array.of(0n, 4n)), (e: unknown) => code('INVALID_TARGET')(e) && /target\[1\] = 4 is out of range for 4 classes/.test((e as Error).message));
    assert.throws(() => sx.crossEntropy(x, BigInt64Array.of(0n, 2n ** 53n + 1n)), (e: unknown) => /= 9007199254740993 is out/.test((e as Error).message));
    assert.throws(() => sx.crossEntropy(x, BigInt64Array.of(-1n, 0n)), code('INVALID_TARGET'));
    assert.throws(() => sx.crossEntropy(x, BigUint64Array.of(0n, 2n ** 64n - 1n)), (e: unknown) => /= 18446744073709551615 is out/.test((e as Error).message));
    assert.throws(() => sx.crossEntropy(x, BigInt64Array.of(1n)), code('SHAPE_MISMATCH'));
  });

  it('the llm ops take BigInt64Array token ids', () => {
    const hidden = sx.tensor(Float64Array.from({ length: 6 }, (_, i) => i / 7), [2, 3]);
    const weight = sx.tensor(Float64Array.from({ length: 15 }, (_, i) => Math.cos(i)), [5, 3]);
    const a = linearCrossEntropy(hidden, weight, BigInt64Array.of(4n, 1n));
    const b = linearCrossEntropy(hidden, weight, Int32Array.of(4, 1));
    assert.equal(a.loss, b.loss);
    assert.throws(() => linearCrossEntropy(hidden, weight, BigInt64Array.of(5n, 1n)), code('INVALID_TARGET'));
    const logits = sx.tensor(Float64Array.from({ length: 10 }, (_, i) => i % 3), [2, 5]);
    const s1 = softmaxStats(logits, { target: BigInt64Array.of(2n, 4n) });
    const s2 = softmaxStats(logits, { target: [2, 4] });
    assert.deepEqual([...s1.targetLogit!], [...s2.targetLogit!]);
    assert.throws(() => softmaxStats(logits, { target: BigInt64Array.of(2n ** 60n, 4n) }), code('INVALID_TARGET'));
  });

  it('a number posWeight and weight broadcast as a 0-d tensor does in PyTorch', () => {
    const x = sx.tensor(Float64Array.of(-1, 0.5, 2, 3), [2, 2]);
    const y = sx.tensor(Float64Array.of(1, 0, 1, 1), [2, 2]);
    assert.equal(sx.binaryCrossEntropyWithLogits(x, y, { posWeight: 2.5 }), sx.binaryCrossEntropyWithLogits(x, y, { posWeight: Float64Array.of(2.5, 2.5) }));
    assert.equal(sx.binaryCrossEntropyWithLogits(x, y, { weight: 0.5 }), sx.binaryCrossEntropyWithLogits(x, y, { weight: Float64Array.of(0.5, 0.5) }));
    const p = sx.tensor(Float64Array.of(0.1, 0.5, 0.9, 0.3), [2, 2]);
    assert.equal(sx.binaryCrossEntropy(p, y, { weight: 3 }), sx.binaryCrossEntropy(p, y, { weight: Float64Array.of(3, 3) }));
  });

  it('a number[] target with non-integer values and the logits\' size is probabilities, as torch.tensor infers a float dtype', () => {
    assert.equal(sx.crossEntropy([1, 2, 3], [0.2, 0.3, 0.5]), sx.crossEntropy([1, 2, 3], Float64Array.of(0.2, 0.3, 0.5)));
    assert.equal(sx.crossEntropy([[1, 2], [3, 4]], [[0.5, 0.5], [1, 0]]), sx.crossEntropy(sx.tensor(Float64Array.of(1, 2, 3, 4), [2, 2]), Float64Array.of(0.5, 0.5, 1, 0)));
    assert.throws(() => sx.crossEntropy([1, 2, 3], [0, 1, 0]), (e: unknown) => code('SHAPE_MISMATCH')(e) && /read as class indices/.test((e as Error).message));
    assert.throws(() => sx.crossEntropy(sx.tensor(new Float64Array(6), [2, 3]), [1, 2.5]), code('INVALID_TARGET'));
  });

  it('a { data, dims, type } object of integers is refused as logits, naming its type', () => {
    assert.throws(() => sx.softmax({ data: Int32Array.of(1, 2), dims: [2], type: 'int32' }), (e: unknown) => code('DTYPE_MISMATCH')(e) && /type: 'int32'/.test((e as Error).message));
    assert.throws(() => sx.softmax({ data: Float64Array.of(1, 2), dims: [2], type: 'float32' }), code('DTYPE_MISMATCH'));
  });
});
