// The README's tour of the sigmax API, runnable: `npm run tour`.
import {
  sigmoid, logSigmoid, sigmoidBackward, softmax, logSoftmax, logSumExp, softmaxJacobian,
  crossEntropy, crossEntropyWithGrad, binaryCrossEntropyWithLogits, gradcheck, tensor,
} from 'sigmax';

// Elementwise, exact in both tails: σ(−100) is 3.7e−44, not 0.
console.log('sigmoid      ', sigmoid([-100, 0, 20]));
console.log('logSigmoid   ', logSigmoid(new Float32Array([-1e4, 1e-8])));
console.log('σ′ at 20 (f32)', sigmoidBackward(new Float32Array([1]), new Float32Array([20])));

// Softmax along the last axis; z = ±3e38 does not overflow; log-softmax keeps −1e−8.
const z = tensor(new Float32Array([1, 2, 3, 3e38, -3e38, 0]), [2, 3]);
console.log('softmax      ', softmax(z).data);
console.log('logSoftmax   ', logSoftmax([0, -18.420680743952367]));
console.log('logSumExp    ', logSumExp(z).data);
console.log('Jacobian     ', softmaxJacobian([1, 2]));

// Cross-entropy: class indices, PyTorch options, fused loss + gradient (p − y) in one pass.
const logits = tensor(Float64Array.from([2, 1, 0.1, 0.5, 2.5, 0.3]), [2, 3]);
const { loss, grad, weightSum } = crossEntropyWithGrad(logits, [0, 1], { labelSmoothing: 0.1 });
console.log('crossEntropy ', loss, 'grad', grad.data, 'weightSum', weightSum);
console.log('p_t = 1e−30  ', crossEntropy([0, -69.07755278982137], 1));
console.log('BCE logits   ', binaryCrossEntropyWithLogits([3, -2], [1, 0], { posWeight: [2] }));

// Check any gradient against central differences.
console.log('gradcheck    ', gradcheck((x) => crossEntropyWithGrad(x, [0, 1]), logits));
