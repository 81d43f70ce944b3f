// The public-API fuzz test: every op of the manifest (src/ops/manifest.ts), on both
// backends, fed random shapes, dtypes, views, options, targets and foreign objects. The contract for
// every case: a SigmaxError (never another error) or the result of a plain float64 computation,
// inputs never mutated, `out` untouched when the call throws, and no hang (each test has a timeout).

import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import * as sx from '../../src/index.js';
import { ALL_OPS, type Op } from '../../src/ops/manifest.js';
import { eachBackend } from '../helpers/backends.js';

const SEED = 15_2026;
type G = fc.GeneratorValue;
type Dt = 'f32' | 'f64';
type FA = Float32Array | Float64Array;
type Variant = 'fn' | 'backward' | 'withGrad';

const pick = <T>(g: G, xs: readonly T[]): T => xs[g(fc.nat, { max: xs.length - 1 })];
const chance = (g: G, p: number): boolean => g(fc.integer, { min: 0, max: 999 }) < p * 1000;
const int = (g: G, min: number, max: number): number => g(fc.integer, { min, max });
const doubles = (g: G, n: number, min: number, max: number): number[] =>
  n === 0 ? [] : g(fc.array, fc.double({ min, max, noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n });

/** Row lengths around the SIMD widths (4 and 8 lanes, 16 and 32 unrolled). */
const ROW = [1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33];
const SPECIALS = [NaN, Infinity, -Infinity, 3e38, -3e38, 1e300, -1e300, -0, 5e-324, 1e-45];

const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
function layout(shape: readonly number[], axis: number) {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, size: shape[axis], inner };
}
/** The flat indices of each row along `axis`, rows in row-major order of the other dimensions. */
function rows(shape: readonly number[], axis: number): number[][] {
  const { outer, size, inner } = layout(shape, axis);
  const out: number[][] = [];
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) out.push(Array.from({ length: size }, (_, c) => o * size * inner + c * inner + i));
  return out;
}
const reduced = (shape: readonly number[], axis: number, keep = false) => {
  const s = shape.slice();
  if (keep) s[axis] = 1;
  else s.splice(axis, 1);
  return s;
};

// ---------------------------------------------------------------------------------------------
// Plain float64 references. Each returns values and a per-element scale: the sum of the absolute
// values of the terms, so a difference of nearly equal terms is judged against its terms.

interface Vals {
  shape: number[] | null;
  v: number[];
  s: number[];
}
interface Expected {
  out?: Vals;
  loss?: Vals;
  grad?: Vals;
  weightSum?: number;
}

const sig = (x: number) => 1 / (1 + Math.exp(-x));
const sp = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));

/** Softmax statistics of a row of z/T: p, −log p (as (m − z)/T + log1p(s′)), with s′ the terms other than the first max. */
function stats(z: number[], T = 1) {
  if (z.length === 0) return { p: [], nlp: [], m: -Infinity, L: 0 };
  let a = 0;
  for (let c = 1; c < z.length; c++) if (z[c] > z[a]) a = c;
  const m = z[a];
  const e = z.map((v) => Math.exp((v - m) / T));
  let s = 0;
  for (let c = 0; c < z.length; c++) if (c !== a) s += e[c];
  const L = Math.log1p(s);
  return { p: e.map((v) => v / (1 + s)), nlp: z.map((v) => (m - v) / T + L), m, L };
}

interface Call {
  op: Op;
  variant: Variant;
  shape: number[];
  axis: number; // normalized class/softmax axis (0 for rank 0)
  a: number[]; // first float argument's values (as the op reads them)
  b: number[]; // second float argument's values (elementwise ops) or []
  index: number[] | null; // class indices (crossEntropy, nllLoss)
  opts: Record<string, unknown>; // the valid options (no out/lossOut)
  gradOutput: number[] | number | undefined;
}

function reference(c: Call): Expected {
  const { op, shape, axis, a, b, opts } = c;
  const n = a.length;
  const ew = (f: (i: number) => [number, number]): Vals => {
    const v: number[] = [];
    const s: number[] = [];
    for (let i = 0; i < n; i++) {
      const [x, sc] = f(i);
      v.push(x);
      s.push(sc);
    }
    return { shape, v, s };
  };
  const eff = shape.length === 0 ? [1] : shape;
  const R = n === 0 ? [] : rows(eff, axis);
  const T = (opts.temperature as number | undefined) ?? 1;
  const zero = opts.allMasked === 'zero';
  void zero;
  switch (op.name) {
    case 'sigmoid':
      return { out: ew((i) => [sig(a[i]), sig(a[i])]) };
    case 'logSigmoid':
      return { out: ew((i) => [-sp(-a[i]), sp(-a[i])]) };
    case 'softplus':
    case 'softplusBackward': {
      const beta = (opts.beta as number | undefined) ?? 1;
      const th = (opts.threshold as number | undefined) ?? 20;
      if (op.name === 'softplus') return { out: ew((i) => (beta * a[i] > th ? [a[i], Math.abs(a[i])] : [sp(beta * a[i]) / beta, sp(beta * a[i]) / beta])) };
      return { out: ew((i) => { const r = beta * b[i] > th ? a[i] : a[i] * sig(beta * b[i]); return [r, Math.abs(r)]; }) };
    }
    case 'sigmoidBackward':
      return { out: ew((i) => { const r = a[i] * sig(b[i]) * sig(-b[i]); return [r, Math.abs(r)]; }) };
    case 'logSigmoidBackward':
      return { out: ew((i) => { const r = a[i] * sig(-b[i]); return [r, Math.abs(r)]; }) };
    case 'softmax':
    case 'logSoftmax':
    case 'softmaxBackward':
    case 'logSoftmaxBackward':
    case 'softmaxJvp': {
      const v = new Array<number>(n).fill(0);
      const s = new Array<number>(n).fill(0);
      for (const r of R) {
        const za = r.map((i) => a[i]);
        const zb = r.map((i) => b[i]);
        if (op.name === 'softmax' || op.name === 'logSoftmax') {
          const st = stats(za, T);
          r.forEach((i, k) => {
            if (op.name === 'softmax') [v[i], s[i]] = [st.p[k], st.p[k]];
            else [v[i], s[i]] = [-st.nlp[k], Math.abs((st.m - za[k]) / T) + st.L];
          });
        } else if (op.name === 'softmaxBackward') {
          // (dy, y): y ⊙ (dy − Σ dy·y)
          let d = 0;
          let ad = 0;
          r.forEach((_, k) => { d += za[k] * zb[k]; ad += Math.abs(za[k] * zb[k]); });
          r.forEach((i, k) => { v[i] = zb[k] * (za[k] - d); s[i] = Math.abs(zb[k]) * (Math.abs(za[k]) + ad); });
        } else if (op.name === 'logSoftmaxBackward') {
          // (dy, y): dy − e^y Σ dy
          let d = 0;
          let ad = 0;
          r.forEach((_, k) => { d += za[k]; ad += Math.abs(za[k]); });
          r.forEach((i, k) => { v[i] = za[k] - Math.exp(zb[k]) * d; s[i] = Math.abs(za[k]) + Math.exp(zb[k]) * ad; });
        } else {
          // softmaxJvp (x, v): p ⊙ (v − Σ p v)
          const p = stats(za).p;
          let d = 0;
          let ad = 0;
          r.forEach((_, k) => { d += p[k] * zb[k]; ad += Math.abs(p[k] * zb[k]); });
          r.forEach((i, k) => { v[i] = p[k] * (zb[k] - d); s[i] = p[k] * (Math.abs(zb[k]) + ad); });
        }
      }
      return { out: { shape, v, s } };
    }
    case 'logSumExp': {
      const keep = opts.keepDims === true;
      const oshape = shape.length === 0 ? [] : reduced(shape, axis, keep);
      const m = sizeOf(oshape);
      if (n === 0) return { out: { shape: oshape, v: new Array(m).fill(-Infinity), s: new Array(m).fill(0) } };
      const v: number[] = [];
      const s: number[] = [];
      for (const r of R) {
        const st = stats(r.map((i) => a[i]));
        v.push(st.m + st.L);
        s.push(Math.abs(st.m) + st.L);
      }
      return { out: { shape: oshape, v, s } };
    }
    case 'softmaxJacobian': {
      const C = eff[axis];
      const oshape = shape.length === 0 ? [1, 1] : [...reduced(shape, axis), C, C];
      const v: number[] = [];
      const s: number[] = [];
      if (n === 0) return { out: { shape: oshape, v, s } };
      for (const r of R) {
        const p = stats(r.map((i) => a[i])).p;
        for (let i = 0; i < C; i++)
          for (let j = 0; j < C; j++) {
            if (i === j) {
              let rest = 0;
              for (let k = 0; k < C; k++) if (k !== i) rest += p[k];
              v.push(p[i] * rest);
              s.push(p[i] * rest + p[i] * p[i]);
            } else {
              v.push(-p[i] * p[j]);
              s.push(p[i] * p[j]);
            }
          }
      }
      return { out: { shape: oshape, v, s } };
    }
    default:
      return lossReference(c, R);
  }
}

/** The broadcast weight of element k (NumPy rules, trailing dimensions aligned). */
function broadcastAt(w: { v: number[]; shape: number[] } | undefined, shape: number[], k: number): number {
  if (w === undefined) return 1;
  let idx = 0;
  let stride = 1;
  let rem = k;
  const dims: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    dims[d] = rem % shape[d];
    rem = Math.floor(rem / shape[d]);
  }
  for (let d = w.shape.length - 1; d >= 0; d--) {
    const sd = shape.length - w.shape.length + d;
    if (w.shape[d] !== 1) idx += dims[sd] * stride;
    stride *= w.shape[d];
  }
  return w.v[idx];
}

function lossReference(c: Call, R: number[][]): Expected {
  const { op, shape, axis, a, b, opts } = c;
  const red = (opts.reduction as string | undefined) ?? 'mean';
  const emptyZero = opts.emptyMean === 'zero';
  let itemShape: number[];
  const lv: number[] = [];
  const ls: number[] = [];
  const gv = new Array<number>(a.length).fill(0);
  const gs = new Array<number>(a.length).fill(0);
  let weightSum = 0;
  let count = 0;
  if (op.name === 'crossEntropy' || op.name === 'nllLoss') {
    itemShape = reduced(shape, axis);
    const C = shape[axis];
    const w = opts.weight as number[] | undefined;
    const eps = (opts.labelSmoothing as number | undefined) ?? 0;
    const ignore = (opts.ignoreIndex as number | undefined) ?? -100;
    const R2 = a.length === 0 ? Array.from({ length: sizeOf(itemShape) }, () => [] as number[]) : R;
    R2.forEach((r, ri) => {
      const wc = (k: number) => (w === undefined ? 1 : w[k]);
      if (c.index !== null) {
        const t = c.index[ri];
        if (t === ignore) {
          lv.push(0);
          ls.push(0);
          return;
        }
        count++;
        weightSum += wc(t);
        if (op.name === 'nllLoss') {
          lv.push(-wc(t) * a[r[t]]);
          ls.push(Math.abs(wc(t) * a[r[t]]));
          gv[r[t]] = -wc(t);
          gs[r[t]] = Math.abs(wc(t));
          return;
        }
        const st = stats(r.map((i) => a[i]));
        const yp = r.map((_, k) => (1 - eps) * (k === t ? 1 : 0) + eps / C);
        let l = 0;
        let lsc = 0;
        let W = 0;
        r.forEach((_, k) => {
          if (yp[k] !== 0) { l += wc(k) * yp[k] * st.nlp[k]; lsc += Math.abs(wc(k) * yp[k]) * st.nlp[k]; }
          W += wc(k) * yp[k];
        });
        lv.push(l);
        ls.push(lsc);
        r.forEach((i, k) => { gv[i] = st.p[k] * W - wc(k) * yp[k]; gs[i] = Math.abs(st.p[k] * W) + Math.abs(wc(k) * yp[k]); });
      } else {
        // probability targets
        count++;
        weightSum++;
        const st = stats(r.map((i) => a[i]));
        const yp = r.map((i) => (1 - eps) * b[i] + eps / C);
        let l = 0;
        let lsc = 0;
        let W = 0;
        r.forEach((_, k) => {
          if (yp[k] !== 0) { l += wc(k) * yp[k] * st.nlp[k]; lsc += Math.abs(wc(k) * yp[k]) * st.nlp[k]; }
          W += wc(k) * yp[k];
        });
        lv.push(l);
        ls.push(lsc);
        r.forEach((i, k) => { gv[i] = st.p[k] * W - wc(k) * yp[k]; gs[i] = Math.abs(st.p[k] * W) + Math.abs(wc(k) * yp[k]); });
      }
    });
    if (c.index === null) {
      // the mean's denominator is the number of items (one item for 1-D logits, even empty ones)
      count = weightSum = itemShape.length === 0 ? 1 : R2.length;
    }
  } else {
    itemShape = shape;
    const n = a.length;
    const w = opts.weight as { v: number[]; shape: number[] } | undefined;
    const pw = opts.posWeight as { v: number[]; shape: number[] } | undefined;
    for (let i = 0; i < n; i++) {
      const x = a[i];
      const y = b[i];
      const wi = broadcastAt(w, shape, i);
      if (op.name === 'binaryCrossEntropy') {
        const lp = Math.max(Math.log(x), -100);
        const l1p = Math.max(Math.log1p(-x), -100);
        const t1 = y === 0 ? 0 : y * lp;
        const t2 = y === 1 ? 0 : (1 - y) * l1p;
        lv.push(-wi * (t1 + t2));
        ls.push(Math.abs(wi) * (Math.abs(t1) + Math.abs(t2)));
        const g1 = y === 1 ? 0 : (1 - y) / (1 - x);
        const g2 = y === 0 ? 0 : y / x;
        gv[i] = wi * (g1 - g2);
        gs[i] = Math.abs(wi) * (Math.abs(g1) + Math.abs(g2));
      } else if (op.name === 'binaryCrossEntropyWithLogits') {
        const p = broadcastAt(pw, shape, i);
        const t1 = p * y * sp(-x);
        const t2 = (1 - y) * sp(x);
        lv.push(wi * (t1 + t2));
        ls.push(Math.abs(wi) * (Math.abs(t1) + Math.abs(t2)));
        const g1 = (1 - y) * sig(x);
        const g2 = p * y * sig(-x);
        gv[i] = wi * (g1 - g2);
        gs[i] = Math.abs(wi) * (Math.abs(g1) + Math.abs(g2));
      } else {
        // klDivergence
        if (opts.logTarget === true) {
          lv.push(Math.exp(y) * (y - x));
          ls.push(Math.exp(y) * (Math.abs(y) + Math.abs(x)));
          gv[i] = -Math.exp(y);
          gs[i] = Math.exp(y);
        } else {
          lv.push(y === 0 ? 0 : y * (Math.log(y) - x));
          ls.push(y === 0 ? 0 : y * (Math.abs(Math.log(y)) + Math.abs(x)));
          gv[i] = -y;
          gs[i] = y;
        }
      }
    }
    count = weightSum = n;
    if (red === 'batchmean') count = weightSum = shape.length === 0 ? 1 : sizeOf(shape.filter((_, d) => d !== axis));
  }
  const e: Expected = { weightSum };
  const sum = lv.reduce((p, q) => p + q, 0);
  const ssum = ls.reduce((p, q) => p + q, 0);
  if (red === 'none') e.loss = { shape: itemShape, v: lv, s: ls };
  else if (red === 'sum') e.loss = { shape: null, v: [sum], s: [ssum] };
  else if (count === 0) e.loss = { shape: null, v: [emptyZero ? 0 : NaN], s: [0] };
  else e.loss = { shape: null, v: [sum / weightSum], s: [ssum / Math.abs(weightSum)] };
  // gradient scaling: gradOutput (per item under 'none'), ÷ the mean's denominator
  const go = c.gradOutput;
  const itemOf = op.name === 'crossEntropy' || op.name === 'nllLoss' ? rowIndexOf(shape, axis) : (i: number) => i;
  const scaleAt = (i: number) => {
    const g = go === undefined ? 1 : typeof go === 'number' ? go : go[itemOf(i)];
    return red === 'mean' || red === 'batchmean' ? g / weightSum : g;
  };
  e.grad = { shape, v: gv.map((v, i) => (v === 0 && gs[i] === 0 ? 0 : v * scaleAt(i))), s: gs.map((s, i) => (s === 0 ? 0 : s * Math.abs(scaleAt(i)))) };
  return e;
}

/** The item (row) index of flat element i for rows along `axis`. */
function rowIndexOf(shape: number[], axis: number) {
  const { size, inner } = layout(shape, axis);
  return (i: number) => Math.floor(i / (size * inner)) * inner + (i % inner);
}

// ---------------------------------------------------------------------------------------------
// Building a call: every array the call sees is recorded, so the test can check afterwards that
// nothing but `out` (and `lossOut`) changed.

/** The intrinsic typed-array getters: a lying own `length` or a Proxy cannot fool them. */
const TA = Object.getPrototypeOf(Int8Array.prototype) as object;
const getter = (k: string) => Object.getOwnPropertyDescriptor(TA, k)!.get!;
const LEN = getter('length');
const BUF = getter('buffer');
const OFF = getter('byteOffset');
const BLEN = getter('byteLength');
const region = (a: ArrayBufferView) => ({ buf: BUF.call(a) as ArrayBufferLike, from: OFF.call(a) as number, to: (OFF.call(a) as number) + (BLEN.call(a) as number) });

class Ctx {
  readonly buffers = new Set<ArrayBufferLike>();
  readonly plain: unknown[][] = [];
  readonly objects: object[] = [];
  shared: FA | null = null;
  cursor = 0;
  readonly notes: string[] = [];
  constructor(
    readonly g: G,
    readonly dt: Dt,
    sharedCap: number,
  ) {
    if (sharedCap > 0) {
      this.shared = this.alloc(sharedCap);
      this.shared.fill(777.25);
      this.cursor = int(g, 0, 3);
      this.notes.push('one shared buffer');
    }
  }
  alloc(n: number, dt: Dt = this.dt): FA {
    const a = dt === 'f32' ? new Float32Array(n) : new Float64Array(n);
    this.buffers.add(a.buffer);
    return a;
  }
  /** A typed array holding `v`: fresh, a subarray at an offset, or a slice of the shared buffer. */
  typed(v: number[], dt: Dt = this.dt, allowShared = true): FA {
    const g = this.g;
    if (this.shared !== null && allowShared && dt === this.dt && this.cursor + v.length <= this.shared.length) {
      const x = this.shared.subarray(this.cursor, this.cursor + v.length);
      this.cursor += v.length + int(g, 0, 3);
      x.set(v);
      return x;
    }
    if (chance(g, 0.3)) {
      const at = int(g, 1, 9);
      const big = this.alloc(at + v.length + int(g, 0, 5), dt);
      big.fill(-555.5);
      const x = big.subarray(at, at + v.length);
      x.set(v);
      return x;
    }
    const x = this.alloc(v.length, dt);
    x.set(v);
    return x;
  }
  list<T>(a: T[]): T[] {
    this.plain.push(a as unknown[]);
    return a;
  }
  obj<T extends object>(o: T): T {
    this.objects.push(o);
    return o;
  }
}

interface Snapshot {
  bytes: Map<ArrayBufferLike, Uint8Array>;
  plain: unknown[][];
  objects: [string, unknown][][];
}
function snapshot(ctx: Ctx): Snapshot {
  const bytes = new Map<ArrayBufferLike, Uint8Array>();
  for (const b of ctx.buffers) bytes.set(b, new Uint8Array(b as ArrayBuffer).slice());
  return { bytes, plain: ctx.plain.map((a) => a.slice()), objects: ctx.objects.map((o) => Object.entries(o)) };
}

/** Asserts that nothing changed, except inside the given output regions. */
function assertUntouched(ctx: Ctx, snap: Snapshot, outs: ArrayBufferView[], label: string): void {
  const regions = outs.map(region);
  for (const [b, before] of snap.bytes) {
    const now = new Uint8Array(b as ArrayBuffer);
    for (let i = 0; i < before.length; i++) {
      if (now[i] === before[i]) continue;
      if (regions.some((r) => r.buf === b && i >= r.from && i < r.to)) continue;
      assert.fail(`${label}: byte ${i} of an argument's buffer changed (${before[i]} → ${now[i]})`);
    }
  }
  ctx.plain.forEach((a, k) => {
    assert.equal(a.length, snap.plain[k].length, `${label}: an array argument changed length`);
    a.forEach((v, i) => assert.ok(Object.is(v, snap.plain[k][i]), `${label}: an array argument changed at ${i}`));
  });
  ctx.objects.forEach((o, k) => {
    const e = Object.entries(o);
    assert.equal(e.length, snap.objects[k].length, `${label}: an object argument gained or lost keys`);
    e.forEach(([key, v], i) => assert.ok(key === snap.objects[k][i][0] && Object.is(v, snap.objects[k][i][1]), `${label}: ${key} of an object argument changed`));
  });
}

const RTOL: Record<Dt, number> = { f32: 1e-5, f64: 1e-12 };
const ATOL: Record<Dt, number> = { f32: 1e-44, f64: 1e-290 };

function close(actual: number, want: number, scale: number, dt: Dt): boolean {
  if (Number.isNaN(want)) return Number.isNaN(actual);
  if (!Number.isFinite(want) || !Number.isFinite(actual)) return Object.is(actual, want) || (actual === want);
  return Math.abs(actual - want) <= RTOL[dt] * scale + ATOL[dt];
}

function dataOf(r: unknown): FA {
  if (r !== null && typeof r === 'object' && 'data' in r && !ArrayBuffer.isView(r)) return (r as { data: FA }).data;
  return r as FA;
}

function checkArray(got: unknown, want: Vals, dt: Dt, likeTensor: boolean, out: FA | undefined, label: string, values = true): void {
  const d = dataOf(got);
  assert.ok(ArrayBuffer.isView(d), `${label}: the result is not a typed array`);
  const tag = Object.prototype.toString.call(d);
  assert.equal(tag, dt === 'f32' ? '[object Float32Array]' : '[object Float64Array]', `${label}: result dtype`);
  assert.equal(LEN.call(d), want.v.length, `${label}: result length`);
  if (likeTensor) assert.deepEqual([...(got as sx.Tensor).shape], want.shape, `${label}: result shape`);
  if (out !== undefined) {
    const r1 = region(d);
    const r2 = region(out);
    assert.ok(r1.buf === r2.buf && r1.from === r2.from && r1.to === r2.to, `${label}: the result is not the out array`);
  }
  const n = LEN.call(d) as number;
  if (!values) return;
  const view = dt === 'f32' ? new Float32Array(BUF.call(d) as ArrayBuffer, OFF.call(d) as number, n) : new Float64Array(BUF.call(d) as ArrayBuffer, OFF.call(d) as number, n);
  for (let i = 0; i < n; i++) {
    assert.ok(close(view[i], want.v[i], want.s[i], dt), `${label}: element ${i} is ${view[i]}, expected ${want.v[i]} (scale ${want.s[i]})`);
  }
}

// ---------------------------------------------------------------------------------------------
// The cases.

const SOFTMAX_OPS = new Set(['softmax', 'logSoftmax']);
const MASK_OPS = new Set(['softmax', 'logSoftmax', 'logSoftmaxBackward', 'softmaxJvp', 'softmaxJacobian']);
const AXIS_KINDS = new Set(['softmax', 'softmax-backward', 'reduce', 'jvp', 'jacobian']);
const hasAxis = (op: Op) => AXIS_KINDS.has(op.kind) || op.name === 'crossEntropy' || op.name === 'nllLoss' || op.name === 'klDivergence';
const isIndexLoss = (op: Op) => op.name === 'crossEntropy' || op.name === 'nllLoss';

/** Values of wrong type for any option, including an object without a string form (the error message must not throw). */
const WRONG_TYPES: unknown[] = ['1', true, null, {}, [], [1], () => 1, 1n, Symbol('s'), new Float32Array(1), Object.create(null)];

interface Built {
  label: string;
  run: () => unknown;
  /** The same call on fresh copies of the arguments, without out: tells aliasing from arithmetic in a report. */
  prepareFresh: () => (() => unknown) & { args?: string };
  valid: boolean;
  /** Values are plain (no NaN/∞ injected): compare with the reference. */
  compare: boolean;
  call: Call;
  dt: Dt;
  likeTensor: boolean;
  out?: FA;
  lossOut?: FA;
  outRegions: ArrayBufferView[];
  ctx: Ctx;
}

interface BuildOpts {
  /** Replace one argument with a foreign object (the call must throw a SigmaxError). */
  foreign: boolean;
}

function build(g: G, op: Op, bo: BuildOpts): Built {
  const variant: Variant = op.kind === 'loss' ? pick(g, ['fn', 'backward', 'withGrad'] as const) : 'fn';
  const fn = variant === 'fn' ? op.fn : variant === 'backward' ? op.backward! : op.withGrad!;
  const fname = variant === 'fn' ? op.name : `${op.name}${variant === 'backward' ? 'Backward' : 'WithGrad'}`;
  const dt: Dt = pick(g, ['f32', 'f64'] as const);
  const notes: string[] = [];
  let valid = true;
  const invalid = (why: string) => {
    valid = false;
    notes.push(`INVALID ${why}`);
  };

  // shape: rank 0–4, the axis dimension a row length around the SIMD widths, others 1–3, sometimes a 0
  const minRank = isIndexLoss(op) ? 1 : 0;
  const rank = int(g, minRank, 4);
  const shape = Array.from({ length: rank }, () => int(g, 1, 3));
  const axis = rank === 0 ? 0 : int(g, 0, rank - 1);
  if (rank > 0) shape[axis] = pick(g, ROW);
  if (rank > 0 && chance(g, 0.08)) shape[int(g, 0, rank - 1)] = 0;
  const n = sizeOf(shape);
  const C = rank === 0 ? 1 : shape[axis];

  // values of the first and second float arguments
  const special = chance(g, 0.12);
  let a: number[];
  let b: number[] = [];
  const second = op.inputs[1];
  if (op.name === 'binaryCrossEntropy') a = doubles(g, n, 0, 1);
  else a = doubles(g, n, -30, 30);
  if (second !== undefined && second.role !== 'target') b = op.kind === 'softmax-backward' && op.name === 'logSoftmaxBackward' ? doubles(g, n, -30, 2) : doubles(g, n, -30, 30);
  // y of the softmax VJPs is the forward output, as documented: a softmax (log-softmax) of each row
  if ((op.name === 'softmaxBackward' || op.name === 'logSoftmaxBackward') && n > 0) {
    const y = b.slice();
    for (const r of rows(rank === 0 ? [1] : shape, axis)) {
      const st = stats(r.map((i) => y[i]));
      r.forEach((i, k) => (b[i] = op.name === 'softmaxBackward' ? st.p[k] : -st.nlp[k]));
    }
  }
  if (second !== undefined && second.target === 'elementwise') b = op.name === 'klDivergence' ? doubles(g, n, 0, 1) : doubles(g, n, 0, 1);
  if (special && n > 0) {
    for (let k = int(g, 1, 3); k > 0; k--) {
      const arr = b.length > 0 && chance(g, 0.3) && op.kind !== 'loss' ? b : a;
      arr[int(g, 0, n - 1)] = op.name === 'binaryCrossEntropy' ? NaN : pick(g, SPECIALS);
    }
    notes.push('special values');
  }
  const fr = dt === 'f32' ? Math.fround : (x: number) => x;
  a = a.map(fr);
  b = b.map(fr);

  // options (valid)
  const opts: Record<string, unknown> = {};
  if (hasAxis(op) && chance(g, 0.6)) opts.axis = rank === 0 ? pick(g, [0, -1]) : pick(g, [axis, axis - rank]);
  else if (hasAxis(op) && rank > 0 && axis !== rank - 1) opts.axis = axis;
  if (SOFTMAX_OPS.has(op.name) && chance(g, 0.4)) opts.temperature = pick(g, [0.25, 0.5, 1, 2, 3.7]);
  if (MASK_OPS.has(op.name) && chance(g, 0.2)) opts.allMasked = pick(g, ['nan', 'zero']);
  if (op.name === 'logSumExp' && chance(g, 0.4)) opts.keepDims = pick(g, [true, false]);
  if ((op.name === 'softplus' || op.name === 'softplusBackward') && chance(g, 0.5)) opts.beta = pick(g, [0.5, 1, 2, 3.3]);
  if ((op.name === 'softplus' || op.name === 'softplusBackward') && chance(g, 0.5)) opts.threshold = pick(g, [20, 1, 5, -2, 0.5]);
  if (op.kind === 'loss') {
    if (chance(g, 0.7)) opts.reduction = pick(g, op.name === 'klDivergence' ? ['mean', 'sum', 'none', 'batchmean'] : ['mean', 'sum', 'none']);
    if (chance(g, 0.15)) opts.emptyMean = pick(g, ['nan', 'zero']);
    if (op.name === 'crossEntropy' && chance(g, 0.3)) opts.labelSmoothing = pick(g, [0, 0.1, 0.5, 1]);
    if (isIndexLoss(op) && chance(g, 0.3)) opts.weight = doubles(g, C, 0.1, 3).map(fr);
    if (isIndexLoss(op) && chance(g, 0.3)) opts.ignoreIndex = pick(g, [-100, -1, 0, 2]);
    if (op.name === 'klDivergence' && chance(g, 0.3)) opts.logTarget = pick(g, [true, false]);
    if (op.family === 'binaryCrossEntropy' && rank > 0 && chance(g, 0.3)) {
      const ws = pick(g, [[1], [shape[rank - 1]], shape.slice()]);
      opts.weight = { v: doubles(g, sizeOf(ws), 0.1, 3).map(fr), shape: ws };
    }
    if (op.name === 'binaryCrossEntropyWithLogits' && rank > 0 && chance(g, 0.3)) {
      const ws = pick(g, [[1], [shape[rank - 1]]]);
      opts.posWeight = { v: doubles(g, sizeOf(ws), 0.1, 3).map(fr), shape: ws };
    }
  }
  if (op.name === 'klDivergence' && opts.logTarget === true) b = doubles(g, n, -30, 2).map(fr);
  const red = (opts.reduction as string | undefined) ?? 'mean';
  const perItem = red === 'none';

  // class-index targets
  let index: number[] | null = null;
  const ignore = (opts.ignoreIndex as number | undefined) ?? -100;
  const probTarget = op.name === 'crossEntropy' && chance(g, 0.3);
  const items = isIndexLoss(op) ? sizeOf(reduced(shape, axis)) : 0;
  if (isIndexLoss(op) && !probTarget) {
    index = Array.from({ length: items }, () => (C === 0 || chance(g, 0.1) ? ignore : int(g, 0, C - 1)));
  }
  if (probTarget) b = doubles(g, n, 0, 1).map(fr);

  // gradOutput
  let gradOutput: number | number[] | undefined;
  if (variant !== 'fn' && chance(g, 0.4)) {
    const itemN = isIndexLoss(op) ? items : n;
    gradOutput = perItem && chance(g, 0.6) ? doubles(g, itemN, -3, 3) : pick(g, [1, 0.5, -2, 3]);
  }
  const call: Call = { op, variant, shape, axis, a, b, index, opts, gradOutput };

  // the expected output shape (and the loss's), to place outs
  const exp = reference(call);
  const resVals = op.kind === 'loss' ? (variant === 'fn' ? exp.loss! : exp.grad!) : exp.out!;
  const outLen = resVals.shape === null ? 0 : resVals.v.length;
  const lossLen = variant === 'withGrad' && perItem ? exp.loss!.v.length : 0;

  // containers: a tensor, a flat typed array (rank 1), number[] or a Proxy of one (rank 1)
  const flat = rank === 1;
  const containerA = flat ? pick(g, ['tensor', 'typed', 'typed', 'array', 'proxy', 'lying'] as const) : 'tensor';
  const sharedLayout = chance(g, 0.3);
  const ctx = new Ctx(g, dt, sharedLayout ? 2 * n + outLen + lossLen + 16 : 0);
  const typedIn = (v: number[]) => ctx.typed(v);
  const makeFloat = (v: number[], container: string, shp: number[]): unknown => {
    if (container === 'array') return ctx.list(v.slice());
    if (container === 'proxy') return new Proxy(ctx.list(v.slice()), {});
    if (container === 'typed') return typedIn(v);
    if (container === 'lying') {
      const x = typedIn(v);
      Object.defineProperty(x, 'length', { value: v.length + 1000 });
      return x;
    }
    return ctx.obj({ data: typedIn(v), shape: ctx.list(shp.slice()) });
  };
  const argA = makeFloat(a, containerA, shape);
  let argB: unknown;
  // probability targets are float typed arrays (a number[] target holds class indices)
  const containerB = probTarget ? pick(g, ['tensor', 'typed'] as const) : flat || n === 0 ? pick(g, ['tensor', 'typed', 'array'] as const) : pick(g, ['tensor', 'tensor', 'typed'] as const);
  if (op.inputs.length > 1 && index === null) argB = makeFloat(b, containerB, shape);
  if (index !== null) {
    const kind = pick(g, ['number', 'array', 'proxy', 'int32', 'int16', 'uint8', 'tensor'] as const);
    const canUnsigned = index.every((t) => t >= 0 && t < 256);
    if (kind === 'number' && shape.length === 1) argB = index[0];
    else if (kind === 'array') argB = ctx.list(index.slice());
    else if (kind === 'proxy') argB = new Proxy(ctx.list(index.slice()), {});
    else if (kind === 'uint8' && canUnsigned) argB = Uint8Array.from(index);
    else if (kind === 'int16') argB = Int16Array.from(index);
    else if (kind === 'tensor') argB = ctx.obj({ data: Int32Array.from(index), shape: ctx.list(reduced(shape, axis)) });
    else argB = Int32Array.from(index);
    if (ArrayBuffer.isView(argB)) ctx.buffers.add(argB.buffer);
    if (isTensorLike(argB)) ctx.buffers.add((argB as { data: Int32Array }).data.buffer);
    notes.push(`target ${kind}`);
  }
  // mixed containers: the number[] ones take the typed ones' dtype; all number[] is float64
  const anyTyped = containerA !== 'array' && containerA !== 'proxy' ? true : argB !== undefined && index === null && containerB !== 'array';
  const rdt: Dt = anyTyped ? dt : 'f64';
  if (!anyTyped && dt === 'f32') {
    // reference values are the unrounded ones then: rebuild with float64 semantics
    notes.push('all number[]');
  }

  // options objects as the op sees them
  const o: Record<string, unknown> = { ...opts };
  if (Array.isArray(opts.weight)) o.weight = chance(g, 0.5) ? ctx.list((opts.weight as number[]).slice()) : ctx.typed(opts.weight as number[], rdt, false);
  for (const k of ['weight', 'posWeight'] as const) {
    const w = opts[k] as { v: number[]; shape: number[] } | undefined;
    if (w !== undefined && !Array.isArray(w)) o[k] = chance(g, 0.5) ? ctx.obj({ data: ctx.typed(w.v, rdt, false), shape: ctx.list(w.shape.slice()) }) : w.shape.length === 1 ? ctx.list(w.v.slice()) : ctx.obj({ data: ctx.typed(w.v, rdt, false), shape: ctx.list(w.shape.slice()) });
  }
  if (gradOutput !== undefined) o.gradOutput = typeof gradOutput === 'number' ? gradOutput : ctx.list(gradOutput.slice());

  // outputs
  let out: FA | undefined;
  let lossOut: FA | undefined;
  const outRegions: ArrayBufferView[] = [];
  const outUsed = op.kind !== 'loss' || variant !== 'fn' || perItem;
  const placeOut = (len: number, shp: number[] | null): { user: unknown; view: FA } | undefined => {
    const mode = pick(g, ['none', 'none', 'typed', 'tensor', 'shared', 'inplace', 'lying'] as const);
    if (mode === 'none') return undefined;
    let view: FA;
    if (mode === 'shared' && ctx.shared !== null && dt === rdt) {
      const at = int(g, 0, ctx.shared.length - len);
      view = ctx.shared.subarray(at, at + len);
    } else if (mode === 'inplace' && ArrayBuffer.isView(argA) && LEN.call(argA) === len && dt === rdt) {
      view = argA as FA;
    } else {
      view = ctx.typed(new Array(len).fill(-9.75), rdt, false);
    }
    notes.push(`out ${mode}`);
    if (mode === 'lying' && view !== argA) {
      Object.defineProperty(view, 'length', { value: len + 7 });
      return { user: view, view };
    }
    if (mode === 'tensor' && shp !== null) return { user: ctx.obj({ data: view, shape: ctx.list(shp.slice()) }), view };
    return { user: view, view };
  };
  if (outUsed) {
    const p = placeOut(outLen, resVals.shape);
    if (p !== undefined) {
      o.out = p.user;
      out = p.view;
    }
  }
  if (lossLen > 0 || (variant === 'withGrad' && perItem)) {
    const p = placeOut(lossLen, exp.loss!.shape);
    if (p !== undefined) {
      o.lossOut = p.user;
      lossOut = p.view;
      // both written: overlapping lossOut and out is refused
      if (out !== undefined && overlapsView(out, lossOut) && lossLen > 0 && outLen > 0) invalid('lossOut overlaps out');
    }
  }

  let A: unknown = argA;
  let B: unknown = argB;
  // invalid options, one at a time
  if (!bo.foreign && chance(g, 0.25)) {
    const what = pick(g, ['unknown', 'axis', 'reduction', 'temperature', 'beta', 'labelSmoothing', 'ignoreIndex', 'keepDims', 'allMasked', 'logTarget', 'emptyMean', 'wrongType', 'dtype', 'outSize', 'notObject'] as const);
    const keys = Object.keys(o).filter((k) => k !== 'out' && k !== 'lossOut' && k !== 'gradOutput' && k !== 'weight' && k !== 'posWeight');
    if (what === 'unknown') { o[pick(g, ['temprature', 'foo', 'Axis', 'dim'])] = 1; invalid('unknown option'); }
    else if (what === 'axis' && hasAxis(op)) { o.axis = pick(g, [Math.max(rank, 1), -Math.max(rank, 1) - 1, 0.5, NaN, Infinity, '0']); invalid('axis'); }
    else if (what === 'reduction' && op.kind === 'loss') { o.reduction = pick(g, ['avg', '', 'MEAN', 'batchmean ', 1]); invalid('reduction'); }
    else if (what === 'temperature' && SOFTMAX_OPS.has(op.name)) { o.temperature = pick(g, [0, -1, NaN, Infinity, -Infinity, '2']); invalid('temperature'); }
    else if (what === 'beta' && op.name.startsWith('softplus')) { o[pick(g, ['beta', 'threshold'])] = NaN; invalid('beta/threshold NaN'); }
    else if (what === 'labelSmoothing' && op.name === 'crossEntropy') { o.labelSmoothing = pick(g, [-0.1, 1.5, NaN]); invalid('labelSmoothing'); }
    else if (what === 'ignoreIndex' && isIndexLoss(op)) { o.ignoreIndex = pick(g, [1.5, NaN, '-100']); invalid('ignoreIndex'); }
    else if (what === 'keepDims' && op.name === 'logSumExp') { o.keepDims = pick(g, ['yes', 1]); invalid('keepDims'); }
    else if (what === 'allMasked' && MASK_OPS.has(op.name)) { o.allMasked = pick(g, ['none', 'NaN']); invalid('allMasked'); }
    else if (what === 'logTarget' && op.name === 'klDivergence') { o.logTarget = 'true'; invalid('logTarget'); }
    else if (what === 'emptyMean' && op.kind === 'loss') { o.emptyMean = 'one'; invalid('emptyMean'); }
    else if (what === 'wrongType' && keys.length > 0) {
      const key = pick(g, keys);
      // true is a valid boolean option; axis: null is read as the default (?? -1)
      o[key] = pick(g, WRONG_TYPES.filter((v) => !(v === true && (key === 'keepDims' || key === 'logTarget')) && !(v === null && key === 'axis')));
      invalid('wrong type');
    } else if (what === 'dtype' && out !== undefined && LEN.call(out) > 0 && anyTyped) {
      o.out = ctx.typed(new Array(LEN.call(out) as number).fill(0), rdt === 'f32' ? 'f64' : 'f32', false);
      out = o.out as FA;
      invalid('out dtype');
    } else if (what === 'outSize' && out !== undefined) {
      o.out = ctx.typed(new Array((LEN.call(out) as number) + 1).fill(0), rdt, false);
      out = o.out as FA;
      invalid('out size');
    } else if (what === 'notObject') {
      notes.push('options not an object');
      return finish(pick(g, ['opts', 7, [], () => 1, new Float32Array(2)]), 'options not an object');
    }
  }

  if (bo.foreign) {
    const slot = pick(g, ['a', 'shape', ...(op.inputs.length > 1 ? ['b'] : []), ...(outUsed ? ['out'] : [])]);
    const junk = pick(g, foreignFor(slot, op, n, dt));
    notes.push(`foreign ${slot}: ${describeJunk(junk)}`);
    if (slot === 'a') A = junk;
    else if (slot === 'b') B = junk;
    else if (slot === 'out') {
      o.out = junk;
      out = undefined;
    } else {
      A = { data: ctx.typed(a), shape: junk };
    }
    valid = false;
  }
  return finish(o, '');

  function finish(optsArg: unknown, why: string): Built {
    if (why !== '') invalid(why);
    if (out !== undefined) outRegions.push(out);
    if (lossOut !== undefined) outRegions.push(lossOut);
    const args = op.inputs.length > 1 ? [A, B, optsArg] : [A, optsArg];
    if (typeof optsArg === 'object' && optsArg !== null && !ArrayBuffer.isView(optsArg)) ctx.objects.push(optsArg);
    // the reference on the values the op reads: number[] arguments follow the typed ones' dtype
    const frr = rdt === 'f32' ? Math.fround : (x: number) => x;
    const call2: Call = { ...call, a: a.map(frr), b: b.map(frr) };
    const likeTensor = op.kind === 'loss' ? containerA === 'tensor' : containerA === 'tensor' || (op.inputs.length > 1 && containerB === 'tensor' && index === null);
    const label = `${fname}(${notes.join('; ')}) shape [${shape}] axis ${axis} ${rdt} a=${containerA} b=${index === null ? containerB : 'indices'} opts ${JSON.stringify(o, (_k, v) => (ArrayBuffer.isView(v) ? (v instanceof DataView ? "DataView" : `${Object.prototype.toString.call(v).slice(8, -1)}(${LEN.call(v)})`) : typeof v === 'bigint' ? `${v}n` : v))}`;
    return {
      label,
      run: () => (fn as (...x: unknown[]) => unknown)(...args),
      prepareFresh: () => {
        const o2 = typeof optsArg === 'object' && optsArg !== null ? { ...(optsArg as object) } : optsArg;
        if (typeof o2 === 'object' && o2 !== null) for (const k of ['out', 'lossOut']) delete (o2 as Record<string, unknown>)[k];
        const args2 = op.inputs.length > 1 ? [clone(A), clone(B), o2] : [clone(A), o2];
        const run2 = () => (fn as (...x: unknown[]) => unknown)(...args2);
        run2.args = args2.slice(0, -1).map(describeJunk).join(', ');
        return run2;
      },
      valid,
      compare: !special,
      call: call2,
      dt: rdt,
      likeTensor,
      out,
      lossOut,
      outRegions,
      ctx,
    };
  }
}

function clone(x: unknown): unknown {
  if (ArrayBuffer.isView(x) && !(x instanceof DataView)) {
    const C = (x as FA).constructor as Float64ArrayConstructor;
    return new C(BUF.call(x) as ArrayBuffer, OFF.call(x) as number, LEN.call(x) as number).slice();
  }
  if (Array.isArray(x)) return x.slice();
  if (isTensorLike(x)) return { data: clone((x as sx.Tensor).data), shape: Array.isArray((x as sx.Tensor).shape) ? [...(x as sx.Tensor).shape] : (x as sx.Tensor).shape };
  return x;
}

function overlapsView(x: ArrayBufferView, y: ArrayBufferView): boolean {
  const p = region(x);
  const q = region(y);
  return p.buf === q.buf && p.from < q.to && q.from < p.to;
}

function isTensorLike(x: unknown): boolean {
  return typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) && !Array.isArray(x) && 'data' in x && 'shape' in x;
}

function describeJunk(x: unknown): string {
  try {
    if (ArrayBuffer.isView(x) && !(x instanceof DataView) && !(x instanceof BigInt64Array)) return `${Object.prototype.toString.call(x).slice(8, -1)} [${Array.from(clone(x) as FA).slice(0, 40).join(', ')}]`;
    if (ArrayBuffer.isView(x)) return Object.prototype.toString.call(x);
    if (isTensorLike(x)) return `{ data: ${describeJunk((x as sx.Tensor).data)}, shape: ${describeJunk((x as sx.Tensor).shape)} }`;
    if (typeof x === 'bigint' || typeof x === 'symbol' || typeof x === 'function') return typeof x;
    return JSON.stringify(x, (_k, v) => (ArrayBuffer.isView(v) ? (v instanceof DataView ? "DataView" : `${Object.prototype.toString.call(v).slice(8, -1)}(${LEN.call(v)})`) : v)) ?? String(x);
  } catch {
    return 'an object';
  }
}

/** Foreign objects for a slot; none of them is a valid argument there. */
function foreignFor(slot: string, op: Op, n: number, dt: Dt): unknown[] {
  const F = dt === 'f32' ? Float32Array : Float64Array;
  const common: unknown[] = [
    null,
    'abc',
    true,
    Symbol('x'),
    () => 1,
    new Map(),
    new ArrayBuffer(8 * Math.max(n, 1)),
    new DataView(new ArrayBuffer(8 * Math.max(n, 1))),
    new BigInt64Array(Math.max(n, 1)),
    new Uint8ClampedArray(Math.max(n, 1)),
    new Proxy(new F(Math.max(n, 1)), {}),
    { data: Array.from({ length: n }, () => 0), shape: [n] },
    { data: new F(n), shape: String(n) },
    { data: new F(n), shape: [n + 1] },
    { data: new F(n), shape: [n, 0.5] },
    { data: new F(n), shape: [-n - 1] },
    { data: new Int32Array(n), shape: [n] },
    { data: 'x', shape: [1] },
    { data: null, shape: null },
    Object.create(null),
    { data: new F(n), shape: [Object.create(null)] },
  ];
  if (slot === 'shape') return [String(n), [n, 'a'], [NaN], [-1], [n + 0.5], null, 7, { length: 1, 0: n }, [[n]], Array.from({ length: 65 }, () => 1), [1n]];
  // a tensor-like out is used for its data alone: those with float data of the right size are not foreign there
  if (slot === 'out') return [...common.filter((x) => !(isTensorLike(x) && ArrayBuffer.isView((x as { data: unknown }).data) && (x as { data: unknown }).data instanceof F)), [0, 0], new Int32Array(Math.max(n, 1)), {}, { data: new F(n) }];
  if (slot === 'b' && (op.name === 'crossEntropy' || op.name === 'nllLoss')) {
    // (BigInt64Array ids, number[] probabilities and nested arrays are valid targets since 1788edf)
    return [null, undefined, 'abc', {}, -7, new Float32Array(3 * n + 5), new Proxy(new Int32Array(1), {}), ['0'], { data: new Float64Array(2), shape: [7] }, { data: new Int32Array(1), shape: 'x' }];
  }
  // nested number arrays are valid inputs since 1788edf; ragged ones are not
  return [undefined, {}, [[1, 2], [3]], ['a'], [null], [1, '2'], ...common];
}

// ---------------------------------------------------------------------------------------------
// One case: run it and check the contract.

function check(c: Built): void {
  const snap = snapshot(c.ctx);
  const runFresh = c.prepareFresh();
  let result: unknown;
  let error: unknown;
  let threw = false;
  try {
    result = c.run();
  } catch (e) {
    threw = true;
    error = e;
  }
  if (threw) {
    assert.ok(error instanceof sx.SigmaxError, `${c.label}: threw ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`);
    assert.ok(!c.valid, `${c.label}: a valid call threw ${(error as Error).message}`);
    assertUntouched(c.ctx, snap, [], `${c.label} (threw ${(error as Error).message})`);
    return;
  }
  assert.ok(c.valid, `${c.label}: an invalid call returned ${describeJunk(result)}`);
  assertUntouched(c.ctx, snap, c.outRegions, c.label);
  const e = reference(c.call);
  const { op, variant } = c.call;
  const fresh = () => {
    try {
      return `${describeJunk(runFresh())} (arguments ${runFresh.args})`;
    } catch (e) {
      return `threw ${(e as Error).message}`;
    }
  };
  const vals = (want: Vals, got: unknown, out: FA | undefined, what: string) => {
    try {
      checkArray(got, want, c.dt, c.likeTensor, out, `${c.label} ${what}`, c.compare);
    } catch (e) {
      assert.fail(`${(e as Error).message}\n  the same call on fresh arrays without out gives ${fresh()}\n  got ${describeJunk(dataOf(got))}`);
    }
  };
  if (op.kind !== 'loss') return vals(e.out!, result, c.out, 'result');
  const scalar = (got: unknown, want: Vals) => {
    assert.equal(typeof got, 'number', `${c.label}: the loss is not a number`);
    if (c.compare) assert.ok(close(got as number, want.v[0], want.s[0], 'f64') || close(got as number, want.v[0], want.s[0], c.dt), `${c.label}: loss ${got}, expected ${want.v[0]}`);
  };
  const loss = (got: unknown, out: FA | undefined) => (e.loss!.shape === null ? scalar(got, e.loss!) : vals(e.loss!, got, out, 'loss'));
  if (variant === 'fn') return loss(result, c.out);
  if (variant === 'backward') return vals(e.grad!, result, c.out, 'gradient');
  const r = result as { loss: unknown; grad: unknown; weightSum: number };
  loss(r.loss, c.lossOut);
  vals(e.grad!, r.grad, c.out, 'gradient');
  if (c.compare) assert.ok(close(r.weightSum, e.weightSum!, Math.abs(e.weightSum!), 'f64'), `${c.label}: weightSum ${r.weightSum}, expected ${e.weightSum}`);
}

// ---------------------------------------------------------------------------------------------

eachBackend('the public API under fuzzing', () => {
  for (const op of ALL_OPS) {
    it(`${op.name}: every random valid call returns the float64 reference and mutates nothing, every invalid one throws a SigmaxError and writes nothing`, { timeout: 30_000 }, () => {
      fc.assert(
        fc.property(fc.gen(), (g) => check(build(g, op, { foreign: false }))),
        { numRuns: 150, seed: SEED, endOnFailure: true, includeErrorInReport: true },
      );
    });
  }

  it('a foreign object in any argument of any op gives a SigmaxError, never another error, and writes nothing', { timeout: 30_000 }, () => {
    fc.assert(
      fc.property(fc.gen(), (g) => check(build(g, pick(g, ALL_OPS), { foreign: true }))),
      { numRuns: 1000, seed: SEED, endOnFailure: true, includeErrorInReport: true },
    );
  });
});

// A null-prototype object (no valueOf/toString) used to make the error message builder (show() in
// src/core/errors.ts) throw a TypeError instead of the SigmaxError.
it('an option value, shape element or target element without a string form gives a SigmaxError', () => {
  const bare = Object.create(null) as unknown;
  const isSx = (e: unknown) => e instanceof sx.SigmaxError;
  assert.throws(() => sx.softmax([1, 2], { temperature: bare as number }), isSx);
  assert.throws(() => sx.softmax({ data: new Float64Array(2), shape: [bare as number] }), isSx);
  assert.throws(() => sx.crossEntropy([1, 2], [bare as number]), isSx);
  assert.throws(() => sx.logSumExp([1, 2], { keepDims: bare as boolean }), isSx);
  assert.throws(() => sx.crossEntropy([1, 2], 0, { reduction: bare as 'mean' }), isSx);
});
