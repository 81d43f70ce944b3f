// sigmax/wasm: arrays living in the wasm memory are read and written in place by the fast
// kernels, with the same bits as ordinary arrays (which are copied in and out); they survive the
// memory's growth, can be freed and reused, and stay correct when an output aliases an input
// (that call falls back to copying) and with worker threads.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  crossEntropyWithGrad, logSoftmax, logSumExp, setBackend, setThreads, sigmoid, sigmoidBackward, softmax, softmaxBackward, tensor,
} from '../../src/index.js';
import { allocFloat32, freeFloat32, isWasmFloat32 } from '../../src/wasm/index.js';
import { SigmaxError } from '../../src/core/errors.js';

const R = 37;
const C = 1003;

function fillLogits(a: Float32Array, seed: number): void {
  for (let i = 0; i < a.length; i++) a[i] = Math.sin(i * 0.61 + seed) * 11 + (i % 97 === 0 ? -Infinity : 0);
}

function sameBits(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

/** Every fast op on x (given as `make(n)` arrays), into outputs made the same way. */
function run(make: (n: number) => Float32Array, src: Float32Array, t: Int32Array): Float32Array[] {
  const x = make(R * C);
  x.set(src);
  const xt = tensor(x, [R, C]);
  const p = make(R * C);
  softmax(xt, { out: p });
  const lp = make(R * C);
  logSoftmax(xt, { out: lp });
  const lse = make(R);
  logSumExp(xt, { out: lse });
  const g = make(R * C);
  const ce = crossEntropyWithGrad(xt, t, { out: g });
  const s = make(R * C);
  sigmoid(x, { out: s });
  const sb = make(R * C);
  sigmoidBackward(x, x, { out: sb });
  const pb = make(R * C);
  softmaxBackward(tensor(x, [R, C]), tensor(p, [R, C]), { out: pb });
  return [p, lp, lse, g, Float32Array.of(ce.loss), s, sb, pb];
}

describe('sigmax/wasm arrays', () => {
  after(() => {
    setThreads(1);
    setBackend('auto');
  });
  const src = new Float32Array(R * C);
  fillLogits(src, 1);
  const t = Int32Array.from({ length: R }, (_, i) => (i * 37) % C);

  it('live in the wasm memory and start zeroed', () => {
    setBackend('wasm');
    const a = allocFloat32(1000);
    assert.ok(a instanceof Float32Array);
    assert.equal(a.length, 1000);
    assert.ok(isWasmFloat32(a), 'in the wasm memory (Node has SharedArrayBuffer)');
    assert.ok(a.every((v) => v === 0));
    assert.ok(!isWasmFloat32(new Float32Array(4)));
    assert.equal(freeFloat32(a), true);
    assert.equal(freeFloat32(a), false, 'a second free is refused');
    assert.equal(freeFloat32(new Float32Array(4)), false);
    assert.throws(() => allocFloat32(-1), (e: unknown) => e instanceof SigmaxError && e.code === 'INVALID_OPTION');
  });

  it('give the same bits as ordinary arrays, with 1 and 2 threads', () => {
    setBackend('wasm');
    for (const threads of [1, 2]) {
      setThreads(threads);
      const plain = run((n) => new Float32Array(n), src, t);
      const held: Float32Array[] = [];
      const wasm = run((n) => {
        const a = allocFloat32(n);
        held.push(a);
        return a;
      }, src, t);
      wasm.forEach((a, k) => sameBits(a, plain[k], `output ${k} (${threads} thread${threads > 1 ? 's' : ''})`));
      for (const a of held) assert.equal(freeFloat32(a), true);
    }
    setThreads(1);
  });

  it('survive growth of the memory and reuse of freed blocks', () => {
    setBackend('wasm');
    const keep = allocFloat32(R * C);
    keep.set(src);
    const before = softmax(tensor(keep, [R, C])).data;
    // allocate and free a lot: the memory grows, blocks are reused
    for (let k = 0; k < 5; k++) {
      const big = allocFloat32(3_000_000 + k * 100_000);
      big.fill(k);
      const small = allocFloat32(10 + k);
      assert.equal(freeFloat32(big), true);
      assert.equal(freeFloat32(small), true);
    }
    const huge = allocFloat32(40_000_000); // more than the memory had: it grows, `keep` stays valid
    assert.ok(isWasmFloat32(keep));
    assert.equal(keep[5], src[5]);
    const out = allocFloat32(R * C);
    softmax(tensor(keep, [R, C]), { out });
    sameBits(out, before, 'softmax after growth');
    for (const a of [huge, out, keep]) assert.equal(freeFloat32(a), true);
  });

  it('stay correct when the output is the input (that call copies)', () => {
    setBackend('wasm');
    const want = softmax(tensor(src, [R, C])).data;
    const x = allocFloat32(R * C);
    x.set(src);
    softmax(tensor(x, [R, C]), { out: x });
    sameBits(x, want, 'softmax in place');
    x.set(src);
    const g = crossEntropyWithGrad(tensor(src, [R, C]), t).grad.data;
    crossEntropyWithGrad(tensor(x, [R, C]), t, { out: x });
    sameBits(x, g, 'cross-entropy gradient over its logits');
    // a subarray of a wasm array is in place too
    const sub = x.subarray(C, 3 * C);
    sub.set(src.subarray(0, 2 * C));
    const o = allocFloat32(2 * C);
    softmax(tensor(sub, [2, C]), { out: o });
    sameBits(o, want.subarray(0, 2 * C), 'softmax of a subarray');
    freeFloat32(o);
    freeFloat32(x);
  });
});
