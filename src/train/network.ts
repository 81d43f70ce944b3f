// The feed-forward network behind every classifier: dense layers with sigmoid or tanh between
// them and a softmax (cross-entropy) or sigmoid (binary cross-entropy) head. All activation and
// loss math — forward, backward and the p − y gradient — comes from sigmax's own ops; this file
// only does the matrix products. Buffers live in a per-batch-size workspace: no allocation per step.

import {
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsWithGrad,
  crossEntropy,
  crossEntropyWithGrad,
  sigmoid,
  sigmoidBackward,
  tensor,
  type Tensor,
} from '../index.js';
import { type DenseMatrix, type Matrix, addBiasGrad, addInputGrad, affineRows, backpropInput } from './matrix.js';
import type { Param } from './optim.js';
import { Rng } from './rng.js';

export type Activation = 'sigmoid' | 'tanh';
/** 'softmax': C ≥ 2 logits and cross-entropy; 'sigmoid': one logit and binary cross-entropy with logits. */
export type Head = 'softmax' | 'sigmoid';

export interface Layer {
  readonly inputs: number;
  readonly outputs: number;
  /** [inputs, outputs], row-major. */
  readonly W: Param;
  readonly b: Param;
}

/** Scratch buffers for one batch size B. Shapes: pre/post/twice/dPost/dPre of layer l are [B, outputs_l]. */
class Workspace {
  readonly pre: Float64Array[];
  readonly post: Float64Array[];
  readonly twice: Float64Array[];
  readonly dPost: Float64Array[];
  readonly dPre: Float64Array[];
  readonly logits: Tensor<Float64Array>;
  readonly grad: Tensor<Float64Array>;
  readonly classIndex: Int32Array;
  readonly binaryTarget: Float64Array;
  /** Each hidden layer's output seen as the next layer's input matrix, and its row list 0 … B − 1. */
  readonly postMatrix: DenseMatrix[];
  readonly allRows: Int32Array;

  constructor(
    readonly B: number,
    layers: readonly Layer[],
  ) {
    const buf = (l: Layer) => new Float64Array(B * l.outputs);
    this.pre = layers.map(buf);
    this.post = layers.map(buf);
    this.twice = layers.map(buf);
    this.dPost = layers.map(buf);
    this.dPre = layers.map(buf);
    const K = layers[layers.length - 1].outputs;
    this.logits = tensor(this.pre[layers.length - 1], [B, K]);
    this.grad = tensor(this.dPre[layers.length - 1], [B, K]);
    this.classIndex = new Int32Array(B);
    this.binaryTarget = new Float64Array(B);
    this.postMatrix = layers.map((l, i) => ({ kind: 'dense', rows: B, cols: l.outputs, data: this.post[i] }));
    this.allRows = new Int32Array(B);
    for (let i = 0; i < B; i++) this.allRows[i] = i;
  }
}

/** Workspaces kept per batch size; more sizes than this (unusual) start the cache afresh. */
const MAX_WORKSPACES = 8;

export class Network {
  readonly layers: Layer[];
  private readonly workspaces = new Map<number, Workspace>();

  /**
   * `sizes` = [inputs, hidden…, outputs]. Hidden weights start Glorot-uniform (×4 for sigmoid, as
   * Glorot & Bengio advise); the output layer starts at zero, so the first loss is exactly log C
   * (log 2 for the sigmoid head) and a linear model's start does not depend on the seed.
   */
  constructor(
    sizes: readonly number[],
    readonly activation: Activation,
    readonly head: Head,
    seed = 0,
  ) {
    for (const s of sizes) if (!Number.isInteger(s) || s < 1) throw new RangeError(`Network: layer sizes must be positive integers, got [${sizes.join(', ')}]`);
    if (head === 'sigmoid' && sizes[sizes.length - 1] !== 1) throw new RangeError('Network: the sigmoid head takes one output');
    if (head === 'softmax' && sizes[sizes.length - 1] < 2) throw new RangeError('Network: the softmax head needs at least 2 classes');
    const rng = new Rng(seed);
    this.layers = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const inputs = sizes[l];
      const outputs = sizes[l + 1];
      const W = new Float64Array(inputs * outputs);
      if (l + 2 < sizes.length) {
        const limit = (activation === 'sigmoid' ? 4 : 1) * Math.sqrt(6 / (inputs + outputs));
        for (let i = 0; i < W.length; i++) W[i] = rng.uniform(-limit, limit);
      }
      this.layers.push({
        inputs,
        outputs,
        W: { name: `layer${l}.W`, value: W, grad: new Float64Array(W.length), decay: true },
        b: { name: `layer${l}.b`, value: new Float64Array(outputs), grad: new Float64Array(outputs), decay: false },
      });
    }
  }

  get inputs(): number {
    return this.layers[0].inputs;
  }

  get outputs(): number {
    return this.layers[this.layers.length - 1].outputs;
  }

  params(): Param[] {
    return this.layers.flatMap((l) => [l.W, l.b]);
  }

  private workspace(B: number): Workspace {
    let ws = this.workspaces.get(B);
    if (ws === undefined) {
      if (this.workspaces.size >= MAX_WORKSPACES) this.workspaces.clear();
      this.workspaces.set(B, (ws = new Workspace(B, this.layers)));
    }
    return ws;
  }

  /** Runs rows `rows` of x through the network; the logits land in ws.logits ([B, outputs]). */
  private forward(x: Matrix, rows: ArrayLike<number>): Workspace {
    if (x.cols !== this.inputs) throw new RangeError(`the model takes ${this.inputs} features, got ${x.cols}`);
    const ws = this.workspace(rows.length);
    const L = this.layers.length;
    const first = this.layers[0];
    affineRows(x, rows, first.W.value, first.b.value, first.outputs, ws.pre[0]);
    for (let l = 0; l < L; l++) {
      if (l > 0) {
        const layer = this.layers[l];
        affineRows(ws.postMatrix[l - 1], ws.allRows, layer.W.value, layer.b.value, layer.outputs, ws.pre[l]);
      }
      if (l + 1 < L) this.activate(ws, l);
    }
    return ws;
  }

  /** post = act(pre). tanh(a) = 2σ(2a) − 1, so both activations come from sigmax's sigmoid. */
  private activate(ws: Workspace, l: number): void {
    const pre = ws.pre[l];
    const post = ws.post[l];
    if (this.activation === 'sigmoid') {
      sigmoid(pre, { out: post });
      return;
    }
    const twice = ws.twice[l];
    for (let i = 0; i < pre.length; i++) twice[i] = 2 * pre[i];
    sigmoid(twice, { out: post });
    for (let i = 0; i < post.length; i++) post[i] = 2 * post[i] - 1;
  }

  /** dPre = dPost ⊙ act′(pre): σ′ from sigmoidBackward; tanh′(a) = 4σ′(2a), the same op at 2a. */
  private activateBackward(ws: Workspace, l: number): void {
    if (this.activation === 'sigmoid') {
      sigmoidBackward(ws.dPost[l], ws.pre[l], { out: ws.dPre[l] });
      return;
    }
    const d = ws.dPre[l];
    sigmoidBackward(ws.dPost[l], ws.twice[l], { out: d });
    for (let i = 0; i < d.length; i++) d[i] *= 4;
  }

  private gatherTargets(ws: Workspace, y: Int32Array, rows: ArrayLike<number>): void {
    if (this.head === 'softmax') for (let r = 0; r < rows.length; r++) ws.classIndex[r] = y[rows[r]];
    else for (let r = 0; r < rows.length; r++) ws.binaryTarget[r] = y[rows[r]];
  }

  /**
   * The mean loss over rows `rows` and its gradient wrt every parameter (written into each
   * param's `grad`). The gradient at the logits is sigmax's fused (p − y)/B, or (σ(z) − y)/B.
   */
  lossAndGrad(x: Matrix, y: Int32Array, rows: ArrayLike<number>): number {
    const ws = this.forward(x, rows);
    this.gatherTargets(ws, y, rows);
    const L = this.layers.length;
    const loss =
      this.head === 'softmax'
        ? crossEntropyWithGrad(ws.logits, ws.classIndex, { out: ws.grad }).loss
        : binaryCrossEntropyWithLogitsWithGrad(ws.logits.data, ws.binaryTarget, { out: ws.grad.data }).loss;
    for (let l = L - 1; l >= 0; l--) {
      const layer = this.layers[l];
      const G = ws.dPre[l];
      layer.W.grad.fill(0);
      layer.b.grad.fill(0);
      addBiasGrad(G, ws.B, layer.outputs, layer.b.grad);
      if (l === 0) {
        addInputGrad(x, rows, G, layer.outputs, layer.W.grad);
      } else {
        addInputGrad(ws.postMatrix[l - 1], ws.allRows, G, layer.outputs, layer.W.grad);
        backpropInput(G, ws.B, layer.W.value, layer.inputs, layer.outputs, ws.dPost[l - 1]);
        this.activateBackward(ws, l - 1);
      }
    }
    return loss;
  }

  /** The summed loss over rows `rows` (no gradient). */
  lossSum(x: Matrix, y: Int32Array, rows: ArrayLike<number>): number {
    const ws = this.forward(x, rows);
    this.gatherTargets(ws, y, rows);
    return this.head === 'softmax'
      ? crossEntropy(ws.logits, ws.classIndex, { reduction: 'sum' })
      : binaryCrossEntropyWithLogits(ws.logits.data, ws.binaryTarget, { reduction: 'sum' });
  }

  /** The logits of rows `rows` copied into out ([B, outputs], starting at offset). */
  logitsInto(x: Matrix, rows: ArrayLike<number>, out: Float64Array, offset: number): void {
    const ws = this.forward(x, rows);
    out.set(ws.logits.data, offset);
  }
}
