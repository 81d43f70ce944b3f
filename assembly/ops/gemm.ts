// Blocked, packed matrix products C (+)= A·B (Goto/BLIS loops: B block of KC×NC packed per
// (jc, pc), A block of MC×KC packed per ic, a register-tiled micro-kernel over packed panels).
// Every element of C gets the same arithmetic wherever it lies (edge tiles run the full micro-kernel
// on zero-padded panels), summed over k-blocks of KC in order, so any split of C across threads
// gives the same bits. Operands are strided (strides in elements), so transposes cost nothing.

/** Depth of a k-block: a KC×NR panel of B stays in L1 while the A panels go by. */
const KC: i32 = 256;
/** Rows of A per packed block (a multiple of both micro-kernels' MR): MC×KC stays in L2. */
const MC: i32 = 96;
/** Columns of B per packed block (float32; float64 packs half as many). */
const NC32: i32 = 2048;
const NC64: i32 = 1024;
/** Micro-tiles: float32 4 rows × 8 columns (8 f32x4 accumulators), float64 4 × 4 (8 f64x2). */
const MR: i32 = 4;
const NR32: i32 = 8;
const NR64: i32 = 4;

/** Scratch bytes one call needs: packed A block, packed B block and one micro-tile. */
export function gemmScratch(f64: i32): i32 {
  return f64 ? (MC * KC + KC * NC64 + MR * NR64) * 8 : (MC * KC + KC * NC32 + MR * NR32) * 4;
}

// @ts-ignore: decorator
@inline
function madd32(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// @ts-ignore: decorator
@inline
function madd64(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(f64x2.mul(a, b), c);
}

/**
 * Packs the mc×kc block of A at `a` (byte strides ais, aks) into panels of MR rows, k-major
 * (panel p holds rows p·MR…p·MR+MR−1 as kc groups of MR), rows past mc as zeros.
 */
// @ts-ignore: decorator
@inline
function packA<S, D>(dst: usize, a: usize, ais: usize, aks: usize, mc: i32, kc: i32): void {
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const rows = min(MR, mc - i0);
    for (let r = 0; r < MR; r++) {
      let d = dst + (<usize>r) * sizeof<D>();
      if (r < rows) {
        let s = a + (<usize>(i0 + r)) * ais;
        for (let k = 0; k < kc; k++, s += aks, d += <usize>MR * sizeof<D>()) store<D>(d, <D>load<S>(s));
      } else {
        for (let k = 0; k < kc; k++, d += <usize>MR * sizeof<D>()) store<D>(d, <D>0);
      }
    }
    dst += <usize>(MR * kc) * sizeof<D>();
  }
}

/**
 * Packs the kc×nc block of B at `b` (byte strides bks, bjs) into panels of nr columns, k-major
 * (panel q holds columns q·nr…q·nr+nr−1 as kc groups of nr), columns past nc as zeros.
 */
// @ts-ignore: decorator
@inline
function packB<S, D>(dst: usize, b: usize, bks: usize, bjs: usize, kc: i32, nc: i32, nr: i32): void {
  for (let j0 = 0; j0 < nc; j0 += nr) {
    const cols = min(nr, nc - j0);
    for (let j = 0; j < nr; j++) {
      let d = dst + (<usize>j) * sizeof<D>();
      if (j < cols) {
        let s = b + (<usize>(j0 + j)) * bjs;
        for (let k = 0; k < kc; k++, s += bks, d += <usize>nr * sizeof<D>()) store<D>(d, <D>load<S>(s));
      } else {
        for (let k = 0; k < kc; k++, d += <usize>nr * sizeof<D>()) store<D>(d, <D>0);
      }
    }
    dst += <usize>(nr * kc) * sizeof<D>();
  }
}

/**
 * float32 micro-kernel, shape [4 × kc]·[kc × 8] → 4×8 at c (row stride ldc bytes): eight f32x4
 * accumulators summed from zero over the k-block, then added to c (add) or stored.
 */
// @ts-ignore: decorator
@inline
function micro32(kc: i32, ap: usize, bp: usize, c: usize, ldc: usize, add: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = madd32(a, b0, c00); c01 = madd32(a, b1, c01);
    a = v128.load32_splat(ap, 4);
    c10 = madd32(a, b0, c10); c11 = madd32(a, b1, c11);
    a = v128.load32_splat(ap, 8);
    c20 = madd32(a, b0, c20); c21 = madd32(a, b1, c21);
    a = v128.load32_splat(ap, 12);
    c30 = madd32(a, b0, c30); c31 = madd32(a, b1, c31);
    ap += 16;
    bp += 32;
  }
  if (add) {
    c00 = f32x4.add(v128.load(c), c00); c01 = f32x4.add(v128.load(c, 16), c01);
    c10 = f32x4.add(v128.load(c + ldc), c10); c11 = f32x4.add(v128.load(c + ldc, 16), c11);
    c20 = f32x4.add(v128.load(c + 2 * ldc), c20); c21 = f32x4.add(v128.load(c + 2 * ldc, 16), c21);
    c30 = f32x4.add(v128.load(c + 3 * ldc), c30); c31 = f32x4.add(v128.load(c + 3 * ldc, 16), c31);
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
}

/** Two float64 lanes from C of type T at c + o (a float32 C promoted exactly). */
// @ts-ignore: decorator
@inline
function loadC<T>(c: usize, o: usize): v128 {
  if (sizeof<T>() == 4) return f64x2.promote_low_f32x4(v128.load64_zero(c + o));
  return v128.load(c + o);
}

/** Stores two float64 lanes into C of type T at c + o (a float32 C rounded once, to nearest). */
// @ts-ignore: decorator
@inline
function storeC<T>(c: usize, o: usize, v: v128): void {
  if (sizeof<T>() == 4) v128.store64_lane(c + o, f32x4.demote_f64x2_zero(v), 0);
  else v128.store(c + o, v);
}

/**
 * float64 micro-kernel, shape [4 × kc]·[kc × 4] → 4×4 at c (row stride ldc bytes): eight f64x2
 * accumulators summed from zero over the k-block, then added to c (add) or stored; c holds T
 * (float64, or float32 promoted for the addition and rounded once when stored).
 */
// @ts-ignore: decorator
@inline
function micro64<T>(kc: i32, ap: usize, bp: usize, c: usize, ldc: usize, add: bool): void {
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0), c10 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0), c21 = f64x2.splat(0), c30 = f64x2.splat(0), c31 = f64x2.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load64_splat(ap);
    c00 = madd64(a, b0, c00); c01 = madd64(a, b1, c01);
    a = v128.load64_splat(ap, 8);
    c10 = madd64(a, b0, c10); c11 = madd64(a, b1, c11);
    a = v128.load64_splat(ap, 16);
    c20 = madd64(a, b0, c20); c21 = madd64(a, b1, c21);
    a = v128.load64_splat(ap, 24);
    c30 = madd64(a, b0, c30); c31 = madd64(a, b1, c31);
    ap += 32;
    bp += 32;
  }
  const h: usize = 2 * sizeof<T>();
  if (add) {
    c00 = f64x2.add(loadC<T>(c, 0), c00); c01 = f64x2.add(loadC<T>(c, h), c01);
    c10 = f64x2.add(loadC<T>(c + ldc, 0), c10); c11 = f64x2.add(loadC<T>(c + ldc, h), c11);
    c20 = f64x2.add(loadC<T>(c + 2 * ldc, 0), c20); c21 = f64x2.add(loadC<T>(c + 2 * ldc, h), c21);
    c30 = f64x2.add(loadC<T>(c + 3 * ldc, 0), c30); c31 = f64x2.add(loadC<T>(c + 3 * ldc, h), c31);
  }
  storeC<T>(c, 0, c00); storeC<T>(c, h, c01);
  storeC<T>(c + ldc, 0, c10); storeC<T>(c + ldc, h, c11);
  storeC<T>(c + 2 * ldc, 0, c20); storeC<T>(c + 2 * ldc, h, c21);
  storeC<T>(c + 3 * ldc, 0, c30); storeC<T>(c + 3 * ldc, h, c31);
}

/** edge<T> for a float64 tile into C of type CT (a float32 C: the float64 sum rounded once). */
// @ts-ignore: decorator
@inline
function edge64<CT>(mr: i32, nr: i32, tmp: usize, c: usize, ldc: usize, add: bool): void {
  for (let r = 0; r < mr; r++) {
    const t = tmp + (<usize>(r * NR64)) * 8;
    const d = c + (<usize>r) * ldc;
    for (let j = 0; j < nr; j++) {
      const v = load<f64>(t + ((<usize>j) << 3));
      const o = (<usize>j) * sizeof<CT>();
      store<CT>(d + o, <CT>(add ? <f64>load<CT>(d + o) + v : v));
    }
  }
}

/** The mr×nr corner of an edge tile computed into tmp (row stride nr·T), added to or stored into c, lane by lane as the full tile would. */
// @ts-ignore: decorator
@inline
function edge<T>(mr: i32, nr: i32, tmp: usize, tnr: i32, c: usize, ldc: usize, add: bool): void {
  for (let r = 0; r < mr; r++) {
    const t = tmp + (<usize>(r * tnr)) * sizeof<T>();
    const d = c + (<usize>r) * ldc;
    for (let j = 0; j < nr; j++) {
      const o = (<usize>j) * sizeof<T>();
      const v = load<T>(t + o);
      store<T>(d + o, add ? load<T>(d + o) + v : v);
    }
  }
}

/** C = 0 for an empty sum (K = 0) without accumulate. */
// @ts-ignore: decorator
@inline
function zeroC<T>(m: i32, n: i32, c: usize, ldc: usize): void {
  for (let i = 0; i < m; i++) memory.fill(c + (<usize>i) * ldc, 0, (<usize>n) * sizeof<T>());
}

/**
 * float32 C (+)= A·B with float32 sums (fused multiply-adds in the relaxed builds). Shape: A m×k
 * (element (i, p) at a + 4·(i·ais + p·aks)), B k×n (element (p, j) at b + 4·(p·bks + j·bjs)), C m×n
 * row-major with leading dimension ldc; scratch: gemmScratch(0) bytes, 16-aligned.
 */
export function gemmF32(m: i32, n: i32, k: i32, a: usize, ais: i32, aks: i32, b: usize, bks: i32, bjs: i32, c: usize, ldc: i32, accumulate: i32, scratch: usize): void {
  if (m <= 0 || n <= 0) return;
  const ldcB = (<usize>ldc) << 2;
  if (k <= 0) {
    if (!accumulate) zeroC<f32>(m, n, c, ldcB);
    return;
  }
  const aisB = (<usize>ais) << 2, aksB = (<usize>aks) << 2, bksB = (<usize>bks) << 2, bjsB = (<usize>bjs) << 2;
  const pa = scratch;
  const pb = pa + (<usize>(MC * KC) << 2);
  const tmp = pb + (<usize>(KC * NC32) << 2);
  for (let jc = 0; jc < n; jc += NC32) {
    const nc = min(NC32, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const add = accumulate != 0 || pc > 0;
      packB<f32, f32>(pb, b + (<usize>pc) * bksB + (<usize>jc) * bjsB, bksB, bjsB, kc, nc, NR32);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA<f32, f32>(pa, a + (<usize>ic) * aisB + (<usize>pc) * aksB, aisB, aksB, mc, kc);
        for (let jr = 0; jr < nc; jr += NR32) {
          const nr = min(NR32, nc - jr);
          const bpan = pb + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const apan = pa + (<usize>(ir * kc) << 2);
            const cp = c + (<usize>(ic + ir)) * ldcB + (<usize>(jc + jr) << 2);
            if (mr == MR && nr == NR32) micro32(kc, apan, bpan, cp, ldcB, add);
            else {
              micro32(kc, apan, bpan, tmp, NR32 << 2, false);
              edge<f32>(mr, nr, tmp, NR32, cp, ldcB, add);
            }
          }
        }
      }
    }
  }
}

/**
 * float64 C (+)= A·B with float64 sums: operands float32 (bit 0 of `types` for A, bit 1 for B) or
 * float64, promoted exactly when packed, so float32·float32 products are exact. Shape and strides
 * as gemmF32 (element sizes of each operand's type), C float64, or float32 with bit 2 of `types`
 * (then k ≤ KC: the whole sum, plus C's previous value with accumulate, is rounded once to
 * float32); scratch: gemmScratch(1) bytes.
 */
export function gemmF64(m: i32, n: i32, k: i32, a: usize, ais: i32, aks: i32, b: usize, bks: i32, bjs: i32, c: usize, ldc: i32, accumulate: i32, scratch: usize, types: i32): void {
  if (m <= 0 || n <= 0) return;
  if (types & 4) gemm64<f32>(m, n, k, a, ais, aks, b, bks, bjs, c, ldc, accumulate, scratch, types);
  else gemm64<f64>(m, n, k, a, ais, aks, b, bks, bjs, c, ldc, accumulate, scratch, types);
}

// @ts-ignore: decorator
@inline
function gemm64<CT>(m: i32, n: i32, k: i32, a: usize, ais: i32, aks: i32, b: usize, bks: i32, bjs: i32, c: usize, ldc: i32, accumulate: i32, scratch: usize, types: i32): void {
  const ldcB = (<usize>ldc) * sizeof<CT>();
  if (k <= 0) {
    if (!accumulate) zeroC<CT>(m, n, c, ldcB);
    return;
  }
  const aSh: usize = types & 1 ? 2 : 3;
  const bSh: usize = types & 2 ? 2 : 3;
  const aisB = (<usize>ais) << aSh, aksB = (<usize>aks) << aSh, bksB = (<usize>bks) << bSh, bjsB = (<usize>bjs) << bSh;
  const pa = scratch;
  const pb = pa + (<usize>(MC * KC) << 3);
  const tmp = pb + (<usize>(KC * NC64) << 3);
  for (let jc = 0; jc < n; jc += NC64) {
    const nc = min(NC64, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const add = accumulate != 0 || pc > 0;
      const bsrc = b + (<usize>pc) * bksB + (<usize>jc) * bjsB;
      if (types & 2) packB<f32, f64>(pb, bsrc, bksB, bjsB, kc, nc, NR64);
      else packB<f64, f64>(pb, bsrc, bksB, bjsB, kc, nc, NR64);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        const asrc = a + (<usize>ic) * aisB + (<usize>pc) * aksB;
        if (types & 1) packA<f32, f64>(pa, asrc, aisB, aksB, mc, kc);
        else packA<f64, f64>(pa, asrc, aisB, aksB, mc, kc);
        for (let jr = 0; jr < nc; jr += NR64) {
          const nr = min(NR64, nc - jr);
          const bpan = pb + (<usize>(jr * kc) << 3);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const apan = pa + (<usize>(ir * kc) << 3);
            const cp = c + (<usize>(ic + ir)) * ldcB + (<usize>(jc + jr)) * sizeof<CT>();
            if (mr == MR && nr == NR64) micro64<CT>(kc, apan, bpan, cp, ldcB, add);
            else {
              micro64<f64>(kc, apan, bpan, tmp, NR64 << 3, false);
              edge64<CT>(mr, nr, tmp, cp, ldcB, add);
            }
          }
        }
      }
    }
  }
}
