// The softmax row primitives one at a time, for bench/profile.ts: the shipped passes (max; exp
// with the exact shift, e kept in float64, float64 sums; scale from float64) next to a plain
// XNNPACK-style pass over the same exp (x − max rounded, e rounded to float32, float32 sums and
// scale), so the profile shows what each stage and what the exactness cost per element.
import { expN4, expS4, expT4, kc, K_DMIN, K_ZERO, madd } from '../math/expf';
import { expStore, rowMax, scaleRow } from '../ops/softmax';
import { sigmoidF32 } from '../ops/activations';

/** rows × rowMax. */
export function maxRows(x: usize, rows: i32, n: i32): f32 {
  let m: f32 = 0;
  for (let r = 0; r < rows; r++) m += rowMax(x + ((<usize>r * <usize>n) << 2), n);
  return m;
}

/** rows × the shipped exp pass (e as float64 into e, n·8 bytes per row reused). */
export function expRows(x: usize, e: usize, rows: i32, n: i32, m: f32): f64 {
  let s: f64 = 0;
  for (let r = 0; r < rows; r++) s += expStore(x + ((<usize>r * <usize>n) << 2), e, n, m);
  return s;
}

/** rows × the shipped scale pass (float64 e · c rounded to float32). */
export function scaleRows(e: usize, out: usize, rows: i32, n: i32, c: f64): void {
  for (let r = 0; r < rows; r++) scaleRow(e, out + ((<usize>r * <usize>n) << 2), n, c);
}

/** rows × an XNNPACK-style exp pass: d = x − m rounded, e = s·(1 + t) in float32 stored over out, float32 sums. */
export function expRowsPlain(x: usize, out: usize, rows: i32, n: i32, m: f32): f32 {
  const vm = f32x4.splat(m);
  let total: f32 = 0;
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * <usize>n) << 2);
    const orow = out + ((<usize>r * <usize>n) << 2);
    let a0 = f32x4.splat(0);
    let a1 = a0;
    for (let i = 0; i + 8 <= n; i += 8) {
      const d0 = f32x4.pmax(kc(K_DMIN), f32x4.sub(v128.load(xr + (<usize>i << 2)), vm));
      const d1 = f32x4.pmax(kc(K_DMIN), f32x4.sub(v128.load(xr + (<usize>i << 2), 16), vm));
      const n0 = expN4(d0);
      const n1 = expN4(d1);
      const s0 = expS4(n0);
      const s1 = expS4(n1);
      const e0 = madd(s0, expT4(d0, kc(K_ZERO), n0), s0);
      const e1 = madd(s1, expT4(d1, kc(K_ZERO), n1), s1);
      v128.store(orow + (<usize>i << 2), e0);
      v128.store(orow + (<usize>i << 2), e1, 16);
      a0 = f32x4.add(a0, e0);
      a1 = f32x4.add(a1, e1);
    }
    a0 = f32x4.add(a0, a1);
    total += f32x4.extract_lane(a0, 0) + f32x4.extract_lane(a0, 1) + f32x4.extract_lane(a0, 2) + f32x4.extract_lane(a0, 3);
  }
  return total;
}

/** rows × an XNNPACK-style scale pass: out *= c in float32, in place. */
export function scaleRowsPlain(out: usize, rows: i32, n: i32, c: f32): void {
  const vc = f32x4.splat(c);
  for (let r = 0; r < rows; r++) {
    const orow = out + ((<usize>r * <usize>n) << 2);
    for (let i = 0; i + 4 <= n; i += 4) v128.store(orow + (<usize>i << 2), f32x4.mul(v128.load(orow + (<usize>i << 2)), vc));
  }
}

/** The shipped sigmoid (float64 division) and a float32 one: e rounded, 1/(1 + e) in float32. */
export function sigmoidShipped(x: usize, out: usize, n: i32): void {
  sigmoidF32(x, out, n);
}

export function sigmoidPlain(x: usize, out: usize, n: i32): void {
  for (let i = 0; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const d = f32x4.pmax(kc(K_DMIN), f32x4.neg(f32x4.abs(v)));
    const vn = expN4(d);
    const sc = expS4(vn);
    const e = f32x4.mul(madd(sc, expT4(d, kc(K_ZERO), vn), sc), f32x4.splat(7.888609052210118e-31)); // 2^-100
    const one = f32x4.splat(1);
    const q = f32x4.div(one, f32x4.add(one, e));
    v128.store(out + (<usize>i << 2), v128.bitselect(q, f32x4.mul(e, q), f32x4.ge(v, kc(K_ZERO))));
  }
}

/** A plain copy of n floats (the memory-bandwidth yardstick inside wasm). */
export function copyF32(x: usize, out: usize, n: i32): void {
  memory.copy(out, x, <usize>n << 2);
}

export { softmaxF32, logSoftmaxF32 } from '../ops/softmax';
export { crossEntropyF32 } from '../ops/crossEntropy';

// float64: the fast float64 kernels' stages
import { expStoreD, rowMaxD } from '../ops/softmaxF64';
import { setRowD } from '../math/expd';
export { softmaxF64 } from '../ops/softmaxF64';

export function maxRowsD(x: usize, rows: i32, n: i32): f64 {
  let m: f64 = 0;
  for (let r = 0; r < rows; r++) m += rowMaxD(x + ((<usize>r * <usize>n) << 3), n);
  return m;
}

export function expRowsD(x: usize, e: usize, rows: i32, n: i32, m: f64): f64 {
  let s: f64 = 0;
  setRowD(m);
  for (let r = 0; r < rows; r++) s += expStoreD(x + ((<usize>r * <usize>n) << 3), e + ((<usize>r * <usize>n) << 3), n);
  return s;
}

export function divRowsD(e: usize, rows: i32, n: i32, s: f64): void {
  const vs = f64x2.splat(s);
  const total = rows * n;
  for (let i = 0; i + 2 <= total; i += 2) v128.store(e + (<usize>i << 3), f64x2.div(v128.load(e + (<usize>i << 3)), vs));
}

export function mulRowsD(e: usize, rows: i32, n: i32, s: f64): void {
  const vs = f64x2.splat(s);
  const total = rows * n;
  for (let i = 0; i + 2 <= total; i += 2) v128.store(e + (<usize>i << 3), f64x2.mul(v128.load(e + (<usize>i << 3)), vs));
}
