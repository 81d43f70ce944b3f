// Every bad-input path throws a SigmaxError with a code and a message naming the function, the
// argument, the position and what was expected vs got — and leaves `out` untouched.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as sx from '../src/index.js';
import { SigmaxError, tensor } from '../src/index.js';

function throwsWith(f: () => unknown, code: string, message: string | RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof SigmaxError, `expected a SigmaxError, got ${String(e)}`);
    assert.ok(e instanceof Error);
    assert.equal(e.code, code);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

const z23 = () => tensor(Float64Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
const z10 = () => tensor(new Float64Array(80), [8, 10]);

describe('errors', () => {
  it('reports a target out of range with its position, the class count and ignoreIndex', () => {
    const t = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 12]);
    throwsWith(() => sx.crossEntropy(z10(), t), 'INVALID_TARGET', 'crossEntropy: target[7] = 12 is out of range for 10 classes (ignoreIndex = -100)');
  });

  it('reports a negative target other than ignoreIndex', () => {
    throwsWith(() => sx.crossEntropy(z23(), [0, -1]), 'INVALID_TARGET', 'crossEntropy: target[1] = -1 is out of range for 3 classes (ignoreIndex = -100)');
    throwsWith(() => sx.nllLoss(z23(), [-5, 0], { ignoreIndex: -1 }), 'INVALID_TARGET', 'nllLoss: target[0] = -5 is out of range for 3 classes (ignoreIndex = -1)');
  });

  it('reports a non-integer target', () => {
    throwsWith(() => sx.crossEntropy(z23(), [0, 1.5]), 'INVALID_TARGET', 'crossEntropy: target[1] = 1.5 is not an integer class index');
    throwsWith(() => sx.crossEntropy(z23(), [NaN, 1]), 'INVALID_TARGET', 'crossEntropy: target[0] = NaN is not an integer class index');
  });

  it('reports a target of the wrong kind', () => {
    throwsWith(() => sx.crossEntropy(z23(), 'a' as never), 'INVALID_TARGET', 'crossEntropy: target must hold class indices (a number, number[], integer typed array or {data, shape}), got string');
    throwsWith(() => sx.nllLoss(z23(), new Float64Array(6)), 'INVALID_TARGET', /^nllLoss: target must hold class indices/);
  });

  it('reports shape mismatches between logits and targets', () => {
    throwsWith(() => sx.crossEntropy(z23(), [0, 1, 2]), 'SHAPE_MISMATCH', 'crossEntropy: target has 3 elements, expected 2 (one class index per item, items of shape [2])');
    throwsWith(() => sx.crossEntropy(z23(), 1), 'SHAPE_MISMATCH', /^crossEntropy: target is a single number, which needs 1-D logits/);
    throwsWith(() => sx.crossEntropy(z23(), { data: new Int32Array([0, 1]), shape: [1, 2] }), 'SHAPE_MISMATCH', 'crossEntropy: target has shape [1, 2], expected [2] (the input\'s shape without the class axis)');
    throwsWith(() => sx.crossEntropy(z23(), tensor(new Float64Array(4), [2, 2])), 'SHAPE_MISMATCH', 'crossEntropy: target has shape [2, 2] but input has shape [2, 3]');
    throwsWith(() => sx.binaryCrossEntropyWithLogits(z23(), new Float64Array(5)), 'SHAPE_MISMATCH', 'binaryCrossEntropyWithLogits: target has shape [5] but input has shape [2, 3]');
    throwsWith(() => sx.sigmoidBackward([1, 2], [1, 2, 3]), 'SHAPE_MISMATCH', 'sigmoidBackward: dy has shape [2] but x has shape [3]');
    throwsWith(() => sx.softmaxBackward(z23(), tensor(new Float64Array(6), [3, 2])), 'SHAPE_MISMATCH', 'softmaxBackward: dy has shape [2, 3] but y has shape [3, 2]');
  });

  it('reports a tensor whose shape does not match its data', () => {
    throwsWith(() => tensor(new Float32Array(5), [2, 3]), 'SHAPE_MISMATCH', 'tensor: data.shape [2, 3] holds 6 elements but data.data has 5');
    throwsWith(() => tensor(new Float32Array(2), [2, -1] as number[]), 'SHAPE_MISMATCH', 'tensor: data.shape[1] = -1 is not a non-negative integer');
    throwsWith(() => sx.softmax({ data: new Float64Array(3), shape: [2] } as never), 'SHAPE_MISMATCH', 'softmax: x.shape [2] holds 2 elements but x.data has 3');
    throwsWith(() => tensor([1, 2] as never), 'DTYPE_MISMATCH', 'tensor: data must be a Float32Array or Float64Array, got number[]');
  });

  it('reports an axis out of range', () => {
    throwsWith(() => sx.softmax(z23(), { axis: 2 }), 'INVALID_AXIS', 'softmax: axis 2 is out of range for a tensor of rank 2 (expected -2 to 1)');
    throwsWith(() => sx.logSumExp(z23(), { axis: -3 }), 'INVALID_AXIS', 'logSumExp: axis -3 is out of range for a tensor of rank 2 (expected -2 to 1)');
    throwsWith(() => sx.crossEntropy(z23(), [0, 1], { axis: 1.5 }), 'INVALID_AXIS', 'crossEntropy: axis must be an integer, got 1.5');
  });

  it('reports a class weight of the wrong length', () => {
    throwsWith(() => sx.crossEntropy(z23(), [0, 1], { weight: [1, 2] }), 'SHAPE_MISMATCH', 'crossEntropy: weight has shape [2], expected [3] (one weight per class)');
    throwsWith(() => sx.binaryCrossEntropy(z23().data.map(() => 0.5), new Float64Array(6), { weight: [1, 2] }), 'SHAPE_MISMATCH', 'binaryCrossEntropy: weight of shape [2] does not broadcast to the input\'s shape [6] (dimension 0: 2 vs 6)');
    throwsWith(() => sx.binaryCrossEntropyWithLogits(z23(), tensor(new Float64Array(6), [2, 3]), { posWeight: [1, 2] }), 'SHAPE_MISMATCH', /posWeight of shape \[2\] does not broadcast/);
  });

  it('reports bad option values', () => {
    throwsWith(() => sx.crossEntropy(z23(), [0, 1], { labelSmoothing: 1.5 }), 'INVALID_OPTION', 'crossEntropy: labelSmoothing must be a number in [0, 1], got 1.5');
    throwsWith(() => sx.crossEntropy(z23(), [0, 1], { labelSmoothing: -0.1 }), 'INVALID_OPTION', 'crossEntropy: labelSmoothing must be a number in [0, 1], got -0.1');
    throwsWith(() => sx.softmax(z23(), { temperature: 0 }), 'INVALID_OPTION', 'softmax: temperature must be a finite number > 0, got 0');
    throwsWith(() => sx.logSoftmax(z23(), { temperature: -1 }), 'INVALID_OPTION', 'logSoftmax: temperature must be a finite number > 0, got -1');
    throwsWith(() => sx.crossEntropy(z23(), [0, 1], { reduction: 'avg' as never }), 'INVALID_OPTION', "crossEntropy: reduction must be 'mean' or 'sum' or 'none', got 'avg'");
    throwsWith(() => sx.softmax(z23(), { allMasked: 'skip' as never }), 'INVALID_OPTION', "softmax: allMasked must be 'nan' or 'zero', got 'skip'");
    throwsWith(() => sx.softplus([1], { beta: 0 }), 'INVALID_OPTION', 'softplus: beta must be a finite number > 0, got 0');
    throwsWith(() => sx.crossEntropy(z23(), [0, 1], { ignoreIndex: 0.5 }), 'INVALID_OPTION', 'crossEntropy: ignoreIndex must be an integer, got 0.5');
    throwsWith(() => sx.logSumExp(z23(), { keepDims: 1 as never }), 'INVALID_OPTION', 'logSumExp: keepDims must be true or false, got 1');
    throwsWith(() => sx.crossEntropyBackward(z23(), [0, 1], { gradOutput: [1, 2] }), 'INVALID_OPTION', "crossEntropyBackward: gradOutput must be a number for reduction 'mean', got number[]");
    throwsWith(() => sx.crossEntropyBackward(z23(), [0, 1], { reduction: 'none', gradOutput: [1, 2, 3] }), 'SHAPE_MISMATCH', 'crossEntropyBackward: gradOutput has shape [3], expected [2] (one value per item)');
    throwsWith(() => sx.setThreads(0), 'INVALID_OPTION', 'setThreads: n must be a positive integer, got 0');
    throwsWith(() => sx.setBackend('gpu' as never), 'INVALID_OPTION', "setBackend: backend must be 'auto', 'js' or 'wasm', got 'gpu'");
    throwsWith(() => sx.gradcheck((x) => ({ value: 0, grad: x }), [1], { eps: 0 }), 'INVALID_OPTION', 'gradcheck: eps must be a finite number > 0, got 0');
  });

  it('reports unknown options, catching typos', () => {
    throwsWith(() => sx.softmax(z23(), { temprature: 2 } as never), 'INVALID_OPTION', "softmax: unknown option 'temprature' (expected one of axis, temperature, allMasked, out)");
    throwsWith(() => sx.crossEntropy(z23(), [0, 1], { ignore_index: 1 } as never), 'INVALID_OPTION', /^crossEntropy: unknown option 'ignore_index'/);
    throwsWith(() => sx.sigmoid([1], 3 as never), 'INVALID_OPTION', 'sigmoid: options must be an object, got number');
  });

  it('reports mixed float dtypes between inputs and out', () => {
    throwsWith(() => sx.softmax(new Float32Array(3), { out: new Float64Array(3) }), 'DTYPE_MISMATCH', 'softmax: out is Float64Array but x is Float32Array; out must have the result\'s dtype');
    throwsWith(() => sx.sigmoidBackward(new Float32Array(2), new Float64Array(2)), 'DTYPE_MISMATCH', 'sigmoidBackward: x is Float64Array but dy is Float32Array; pass them in one dtype');
    throwsWith(() => sx.crossEntropy(new Float32Array(3), new Float64Array(3)), 'DTYPE_MISMATCH', 'crossEntropy: target is Float64Array but input is Float32Array; pass them in one dtype');
    throwsWith(() => sx.sigmoid(['a'] as never), 'DTYPE_MISMATCH', 'sigmoid: x[0] is string, expected a number');
    throwsWith(() => sx.sigmoid(new Int32Array(2) as never), 'DTYPE_MISMATCH', 'sigmoid: x must be a Tensor, Float32Array, Float64Array or number[], got Int32Array');
  });

  it('reports an out of the wrong size', () => {
    throwsWith(() => sx.sigmoid([1, 2], { out: new Float64Array(3) }), 'SHAPE_MISMATCH', 'sigmoid: out has 3 elements, expected 2 for a result of shape [2]');
    throwsWith(() => sx.logSumExp(z23(), { out: new Float64Array(6) }), 'SHAPE_MISMATCH', 'logSumExp: out has 6 elements, expected 2 for a result of shape [2]');
  });

  it('reports probabilities outside [0, 1] given to binaryCrossEntropy', () => {
    throwsWith(() => sx.binaryCrossEntropy([0.5, 1.5], [1, 1]), 'INVALID_INPUT', 'binaryCrossEntropy: input[1] = 1.5 is outside [0, 1]: binaryCrossEntropy takes probabilities (use binaryCrossEntropyWithLogits for logits)');
  });


  it('writes nothing into out when it throws', () => {
    const out = new Float64Array(6).fill(7);
    assert.throws(() => sx.crossEntropyBackward(z23(), [0, 5], { out }));
    assert.throws(() => sx.crossEntropyWithGrad(z23(), [0, 1], { out, labelSmoothing: 2 }));
    assert.throws(() => sx.binaryCrossEntropyBackward(Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 2]), new Float64Array(6), { out }));
    assert.throws(() => sx.softmax(z23(), { out, axis: 5 }));
    assert.deepEqual([...out], [7, 7, 7, 7, 7, 7]);
  });
});
