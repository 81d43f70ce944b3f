// Row kernels of the decoding chain (src/llm/chain/) for float32 rows that live in the wasm
// memory: the passes over a whole vocabulary that every filter shares — max, division by a
// temperature, the entropy, the mass histogram of top-p and typical-p, the gather of one bin,
// counting and compacting by a threshold, and the inverse-CDF draw. Each has a JavaScript twin
// in src/llm/chain/rowKernels.ts that does the same arithmetic in the same order, so the js and
// the wasm backends decide alike given the same probabilities. No relaxed SIMD here: the draws
// of a seed must not depend on the machine. Pointers are byte offsets; ids are i32, bins u16.

/**
 * Max of z[0 : n); NaN when an entry is NaN. pmax is one instruction (wasm's max is several, for
 * its NaN rule), so NaN is tracked on the side.
 */
export function sampleMaxF32(z: usize, n: i32): f32 {
  let m0 = f32x4.splat(-Infinity);
  let m1 = m0;
  let nan = i32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const q = z + (<usize>i << 2);
    const a = v128.load(q);
    const b = v128.load(q, 16);
    m0 = f32x4.pmax(m0, a);
    m1 = f32x4.pmax(m1, b);
    nan = v128.or(nan, v128.or(f32x4.ne(a, a), f32x4.ne(b, b)));
  }
  m0 = f32x4.pmax(m0, m1);
  let m = max(max(f32x4.extract_lane(m0, 0), f32x4.extract_lane(m0, 1)), max(f32x4.extract_lane(m0, 2), f32x4.extract_lane(m0, 3)));
  for (; i < n; i++) m = max(m, load<f32>(z + (<usize>i << 2)));
  return v128.any_true(nan) ? NaN : m;
}

/** The first i with z[i] = m (n − 1 when none). */
export function sampleFirstEqF32(z: usize, n: i32, m: f32): i32 {
  for (let i = 0; i < n - 1; i++) if (load<f32>(z + (<usize>i << 2)) == m) return i;
  return n - 1;
}

/** z[i] ← z[i]/t, the quotient of the float64 division rounded to float32 (JavaScript's `z[i] /= t` on a Float32Array). */
export function sampleDivF32(z: usize, n: i32, t: f64): void {
  const tv = f64x2.splat(t);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = z + (<usize>i << 2);
    const v = v128.load(q);
    const lo = f64x2.div(f64x2.promote_low_f32x4(v), tv);
    const hi = f64x2.div(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)), tv);
    v128.store(q, v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
  }
  for (; i < n; i++) {
    const q = z + (<usize>i << 2);
    store<f32>(q, <f32>(<f64>load<f32>(q) / t));
  }
}

/**
 * H = Σ_{p_i > 0} p_i·(lse − z_i) in float64, over four lanes (lane j sums the i ≡ j mod 4 in
 * increasing i), returned as (lane 0 + lane 1) + (lane 2 + lane 3).
 */
export function sampleEntropyF32(z: usize, p: usize, n: i32, lse: f64): f64 {
  const L = f64x2.splat(lse);
  const zero = f64x2.splat(0);
  let a01 = zero;
  let a23 = zero;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const zv = v128.load(z + (<usize>i << 2));
    const pv = v128.load(p + (<usize>i << 2));
    const zh = v128.shuffle<f32>(zv, zv, 2, 3, 0, 1);
    const ph = v128.shuffle<f32>(pv, pv, 2, 3, 0, 1);
    const p01 = f64x2.promote_low_f32x4(pv);
    const p23 = f64x2.promote_low_f32x4(ph);
    const t01 = f64x2.mul(p01, f64x2.sub(L, f64x2.promote_low_f32x4(zv)));
    const t23 = f64x2.mul(p23, f64x2.sub(L, f64x2.promote_low_f32x4(zh)));
    a01 = f64x2.add(a01, v128.bitselect(t01, zero, f64x2.gt(p01, zero)));
    a23 = f64x2.add(a23, v128.bitselect(t23, zero, f64x2.gt(p23, zero)));
  }
  let a0 = f64x2.extract_lane(a01, 0);
  let a1 = f64x2.extract_lane(a01, 1);
  let a2 = f64x2.extract_lane(a23, 0);
  for (; i < n; i++) {
    const q = <f64>load<f32>(p + (<usize>i << 2));
    if (!(q > 0)) continue;
    const t = q * (lse - <f64>load<f32>(z + (<usize>i << 2)));
    // the tail has at most 3 entries: lanes 0, 1, 2
    const j = i & 3;
    if (j == 0) a0 += t;
    else if (j == 1) a1 += t;
    else a2 += t;
  }
  return a0 + a1 + (a2 + f64x2.extract_lane(a23, 1));
}

/** max |z_i − c| over the finite z_i (float64; 0 when none). */
export function sampleAbsDevMaxF32(z: usize, n: i32, c: f64): f64 {
  const cv = f64x2.splat(c);
  const ninf = f64x2.splat(-Infinity);
  let m01 = f64x2.splat(0);
  let m23 = m01;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(z + (<usize>i << 2));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    // −∞ entries: their distance ∞ masked to 0
    m01 = f64x2.pmax(m01, v128.and(f64x2.abs(f64x2.sub(lo, cv)), f64x2.ne(lo, ninf)));
    m23 = f64x2.pmax(m23, v128.and(f64x2.abs(f64x2.sub(hi, cv)), f64x2.ne(hi, ninf)));
  }
  m01 = f64x2.pmax(m01, m23);
  let m = max(f64x2.extract_lane(m01, 0), f64x2.extract_lane(m01, 1));
  for (; i < n; i++) {
    const v = load<f32>(z + (<usize>i << 2));
    if (v == -Infinity) continue;
    const d = abs(<f64>v - c);
    if (d > m) m = d;
  }
  return m;
}

/**
 * The mass histogram: for each i, d = c − z_i (ABS = 0; top-p with c the max) or |z_i − c|
 * (ABS = 1; typical-p), b = trunc(min(d·scale, nb − 1)) (0 for NaN), stored at bin[i] (u16).
 * Four tables of nb + 64 float64 entries (table j takes the i ≡ j mod 4, each in increasing i,
 * so neighbouring entries never wait on each other's store): bins b < nb − 1 add p_i at b; the last bin, whose entries span any range, adds
 * p_i at nb + g with g = (bits(p_i) >>> 25) & 63, its exponent group (4 binades: fewer than 2^25
 * such values add exactly in 53 bits), so the caller can sum it exactly in double-double. At the
 * end mass[b] = (t0 + t1) + (t2 + t3) for b < nb − 1 (those sums are exact where the caller
 * needs them: see src/llm/chain/topP.ts); mass[nb − 1] = 0 and the 4·64 group sums stay where
 * they are (table j's at j·(nb + 64) + nb).
 * The bins of four entries come from one SIMD pass in float64; only the additions are scalar.
 */
export function sampleBinsF32(z: usize, p: usize, n: i32, c: f64, scale: f64, nb: i32, ABS: i32, bin: usize, mass: usize): void {
  const nt = nb + 64;
  memory.fill(mass, 0, <usize>nt << 5);
  if (ABS) binLoop(z, p, n, c, scale, nb, true, bin, mass);
  else binLoop(z, p, n, c, scale, nb, false, bin, mass);
  const t = <usize>nt << 3;
  for (let b = 0; b < nb - 1; b++) {
    const q = mass + (<usize>b << 3);
    store<f64>(q, load<f64>(q) + load<f64>(q + t) + (load<f64>(q + 2 * t) + load<f64>(q + 3 * t)));
  }
}

// @ts-ignore: decorator
@inline
function binsOf2(v: v128, cv: v128, sv: v128, tv: v128, ABS: bool): v128 {
  const d = ABS ? f64x2.abs(f64x2.sub(v, cv)) : f64x2.sub(cv, v);
  // pmin keeps a NaN first operand (top < NaN is false), and trunc_sat takes NaN to 0
  return i32x4.trunc_sat_f64x2_s_zero(f64x2.pmin(f64x2.mul(d, sv), tv));
}

// @ts-ignore: decorator
@inline
function addAt(mass: usize, b: i32, v: f32): void {
  const q = mass + (<usize>b << 3);
  store<f64>(q, load<f64>(q) + <f64>v);
}

// @ts-ignore: decorator
@inline
function binLoop(z: usize, p: usize, n: i32, c: f64, scale: f64, nb: i32, ABS: bool, bin: usize, mass: usize): void {
  const top = nb - 1;
  const t = <usize>(nb + 64) << 3;
  const m1 = mass + t;
  const m2 = mass + 2 * t;
  const m3 = mass + 3 * t;
  const cv = f64x2.splat(c);
  const sv = f64x2.splat(scale);
  const tv = f64x2.splat(<f64>top);
  const topv = i32x4.splat(top);
  const nbv = i32x4.splat(nb);
  const g63 = i32x4.splat(63);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(z + (<usize>i << 2));
    const lo = binsOf2(f64x2.promote_low_f32x4(v), cv, sv, tv, ABS);
    const hi = binsOf2(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)), cv, sv, tv, ABS);
    const b = v128.shuffle<i32>(lo, hi, 0, 1, 4, 5);
    v128.store64_lane(bin + (<usize>i << 1), i16x8.narrow_i32x4_u(b, b), 0);
    const pv = v128.load(p + (<usize>i << 2));
    // the table slot: b, or nb + the exponent group of p for the last bin
    const grp = i32x4.add(nbv, v128.and(i32x4.shr_u(pv, 25), g63));
    const slot = v128.bitselect(grp, b, i32x4.eq(b, topv));
    addAt(mass, i32x4.extract_lane(slot, 0), f32x4.extract_lane(pv, 0));
    addAt(m1, i32x4.extract_lane(slot, 1), f32x4.extract_lane(pv, 1));
    addAt(m2, i32x4.extract_lane(slot, 2), f32x4.extract_lane(pv, 2));
    addAt(m3, i32x4.extract_lane(slot, 3), f32x4.extract_lane(pv, 3));
  }
  for (; i < n; i++) {
    const v = <f64>load<f32>(z + (<usize>i << 2));
    const d = ABS ? abs(v - c) : c - v;
    const x = min(d * scale, <f64>top);
    const b = x == x ? <i32>x : 0;
    store<u16>(bin + (<usize>i << 1), <u16>b);
    const bits = load<u32>(p + (<usize>i << 2));
    addAt(mass + <usize>(i & 3) * t, b == top ? nb + <i32>((bits >>> 25) & 63) : b, reinterpret<f32>(bits));
  }
}

/** Lane indices 0..3. */
const IOTA: usize = memory.data<i32>([0, 1, 2, 3], 16);

/**
 * Left-pack shuffles: entry m (16 bytes) moves the 4-byte lanes set in the 4-bit mask m to the
 * front, in order (the rest is don't-care).
 */
const PACK: usize = memory.data<u8>([
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, // 0000
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, // 0001: lane 0
  4, 5, 6, 7, 0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, // 0010: lane 1
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, // 0011: 0 1
  8, 9, 10, 11, 0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, // 0100: 2
  0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 12, 13, 14, 15, // 0101: 0 2
  4, 5, 6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 12, 13, 14, 15, // 0110: 1 2
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, // 0111: 0 1 2
  12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, // 1000: 3
  0, 1, 2, 3, 12, 13, 14, 15, 4, 5, 6, 7, 8, 9, 10, 11, // 1001: 0 3
  4, 5, 6, 7, 12, 13, 14, 15, 0, 1, 2, 3, 8, 9, 10, 11, // 1010: 1 3
  0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 8, 9, 10, 11, // 1011: 0 1 3
  8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, // 1100: 2 3
  0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 4, 5, 6, 7, // 1101: 0 2 3
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, // 1110: 1 2 3
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, // 1111
], 16);

/**
 * The threshold rule of count and keep, on float32 values: z_i > a, or z_i = a and i ≤ ct. The
 * caller turns a float64 threshold t into a float32 a with the same decisions (a = t when t is a
 * float32; otherwise a = the largest float32 below t and ct = −1).
 */
// @ts-ignore: decorator
@inline
function passMask(v: v128, av: v128, idx: v128, ctv: v128): v128 {
  return v128.or(f32x4.gt(v, av), v128.and(f32x4.eq(v, av), v128.not(i32x4.gt_s(idx, ctv))));
}

/** Writes the i with bin[i] = b and p_i > 0 to out (increasing; out holds n + 4 entries) and returns their count (left-packed four at a time). */
export function sampleGatherBinF32(bin: usize, p: usize, n: i32, b: i32, out: usize): i32 {
  const bv = i32x4.splat(b);
  const zero = f32x4.splat(0);
  let idx = v128.load(IOTA);
  const four = i32x4.splat(4);
  let k = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const bins = i32x4.extend_low_i16x8_u(v128.load64_zero(bin + (<usize>i << 1)));
    const m = i32x4.bitmask(v128.and(i32x4.eq(bins, bv), f32x4.gt(v128.load(p + (<usize>i << 2)), zero)));
    v128.store(out + (<usize>k << 2), i8x16.swizzle(idx, v128.load(PACK + (<usize>m << 4))));
    k += popcnt<i32>(m);
    idx = i32x4.add(idx, four);
  }
  for (; i < n; i++) {
    store<i32>(out + (<usize>k << 2), i);
    k += i32(<i32>load<u16>(bin + (<usize>i << 1)) == b) & i32(load<f32>(p + (<usize>i << 2)) > 0);
  }
  return k;
}

/** How many i pass the threshold rule (see passMask). */
export function sampleCountF32(z: usize, n: i32, a: f32, ct: i32): i32 {
  const av = f32x4.splat(a);
  const ctv = i32x4.splat(ct);
  let idx = v128.load(IOTA);
  const four = i32x4.splat(4);
  let acc = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    acc = i32x4.sub(acc, passMask(v128.load(z + (<usize>i << 2)), av, idx, ctv));
    idx = i32x4.add(idx, four);
  }
  let k = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  for (; i < n; i++) {
    const v = load<f32>(z + (<usize>i << 2));
    k += i32(v > a) | (i32(v == a) & i32(i <= ct));
  }
  return k;
}

/** How many i have lo ≤ z_i ≤ hi (float32). */
export function sampleCountRangeF32(z: usize, n: i32, lo: f32, hi: f32): i32 {
  const lv = f32x4.splat(lo);
  const hv = f32x4.splat(hi);
  let acc = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(z + (<usize>i << 2));
    acc = i32x4.sub(acc, v128.and(f32x4.ge(v, lv), f32x4.le(v, hv)));
  }
  let k = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  for (; i < n; i++) {
    const v = load<f32>(z + (<usize>i << 2));
    k += i32(v >= lo) & i32(v <= hi);
  }
  return k;
}

/**
 * Compaction by the threshold rule of sampleCountF32: the kept entries move to [0, w) in order —
 * ids (i itself when DENSE, the row still being 0..n−1), z, and p when CARRY — four at a time by
 * a left-pack shuffle (each store writes a whole vector at w ≤ i, past what was read). Returns w.
 */
export function sampleKeepF32(ids: usize, z: usize, p: usize, n: i32, a: f32, ct: i32, dense: i32, carry: i32): i32 {
  if (dense) return carry ? packLoop(ids, z, p, n, a, ct, 0, false, true, true) : packLoop(ids, z, p, n, a, ct, 0, false, true, false);
  return carry ? packLoop(ids, z, p, n, a, ct, 0, false, false, true) : packLoop(ids, z, p, n, a, ct, 0, false, false, false);
}

/** Compaction keeping lo ≤ z_i ≤ hi (float32; typical-p's |z − c| ≤ τ as an interval), otherwise as sampleKeepF32. */
export function sampleKeepRangeF32(ids: usize, z: usize, p: usize, n: i32, lo: f32, hi: f32, dense: i32, carry: i32): i32 {
  if (dense) return carry ? packLoop(ids, z, p, n, lo, 0, hi, true, true, true) : packLoop(ids, z, p, n, lo, 0, hi, true, true, false);
  return carry ? packLoop(ids, z, p, n, lo, 0, hi, true, false, true) : packLoop(ids, z, p, n, lo, 0, hi, true, false, false);
}

/** The left-pack compaction of both rules: the threshold rule (a, ct), or a ≤ z ≤ hi when RANGE. */
// @ts-ignore: decorator
@inline
function packLoop(ids: usize, z: usize, p: usize, n: i32, a: f32, ct: i32, hi: f32, RANGE: bool, DENSE: bool, CARRY: bool): i32 {
  const av = f32x4.splat(a);
  const ctv = i32x4.splat(ct);
  const hv = f32x4.splat(hi);
  let idx = v128.load(IOTA);
  const four = i32x4.splat(4);
  let w = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const q = <usize>i << 2;
    const v = v128.load(z + q);
    const m = i32x4.bitmask(RANGE ? v128.and(f32x4.ge(v, av), f32x4.le(v, hv)) : passMask(v, av, idx, ctv));
    const sh = v128.load(PACK + (<usize>m << 4));
    const wq = <usize>w << 2;
    v128.store(ids + wq, i8x16.swizzle(DENSE ? idx : v128.load(ids + q), sh));
    v128.store(z + wq, i8x16.swizzle(v, sh));
    if (CARRY) v128.store(p + wq, i8x16.swizzle(v128.load(p + q), sh));
    w += popcnt<i32>(m);
    idx = i32x4.add(idx, four);
  }
  for (; i < n; i++) {
    const v = load<f32>(z + (<usize>i << 2));
    const wq = <usize>w << 2;
    store<i32>(ids + wq, DENSE ? i : load<i32>(ids + (<usize>i << 2)));
    store<f32>(z + wq, v);
    if (CARRY) store<f32>(p + wq, load<f32>(p + (<usize>i << 2)));
    w += RANGE ? i32(v >= a) & i32(v <= hi) : i32(v > a) | (i32(v == a) & i32(i <= ct));
  }
  return w;
}

/** Entries per block of the draw's block sums. */
const DRAW_BLOCK = 1024;

/** Σ p of the last sampleDrawF32 (its total mass). */
let DRAW_SUM: f64 = 0;

export function sampleDrawSum(): f64 {
  return DRAW_SUM;
}

/**
 * The inverse-CDF draw over p[0 : n) (any non-negative multiple of probabilities) with u ∈ [0, 1):
 * each block of DRAW_BLOCK entries sums in four lanes as sampleEntropyF32 (lane j: i ≡ j mod 4,
 * (l0 + l1) + (l2 + l3)), the total S is the blocks' sums added in order, the target is u·S; the
 * walk adds whole blocks while they stay at or below the target, then the entries of the block
 * that passes it one by one (zeros skipped): the first i whose running mass exceeds the target,
 * or, where rounding leaves it unreached, the last positive entry. −1 when every p is 0.
 */
export function sampleDrawF32(p: usize, n: i32, u: f64, sums: usize): i32 {
  const nb = (n + DRAW_BLOCK - 1) / DRAW_BLOCK;
  let S: f64 = 0;
  for (let b = 0; b < nb; b++) {
    const lo = b * DRAW_BLOCK;
    const hi = min(n, lo + DRAW_BLOCK);
    const s = blockSum(p, lo, hi);
    store<f64>(sums + (<usize>b << 3), s);
    S += s;
  }
  DRAW_SUM = S;
  const target = u * S;
  let acc: f64 = 0;
  let last = -1;
  for (let b = 0; b < nb; b++) {
    const s = load<f64>(sums + (<usize>b << 3));
    if (s == 0) continue;
    if (acc + s <= target) {
      acc += s;
      last = lastPositive(p, b * DRAW_BLOCK, min(n, (b + 1) * DRAW_BLOCK));
      continue;
    }
    const hi = min(n, (b + 1) * DRAW_BLOCK);
    for (let i = b * DRAW_BLOCK; i < hi; i++) {
      const v = <f64>load<f32>(p + (<usize>i << 2));
      if (v == 0) continue;
      acc += v;
      last = i;
      if (acc > target) return i;
    }
  }
  return last;
}

/** Σ p[lo : hi) in the four-lane order of sampleDrawF32 (lo a multiple of 4). */
function blockSum(p: usize, lo: i32, hi: i32): f64 {
  let a01 = f64x2.splat(0);
  let a23 = a01;
  let i = lo;
  for (; i + 4 <= hi; i += 4) {
    const v = v128.load(p + (<usize>i << 2));
    a01 = f64x2.add(a01, f64x2.promote_low_f32x4(v));
    a23 = f64x2.add(a23, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
  }
  let a0 = f64x2.extract_lane(a01, 0);
  let a1 = f64x2.extract_lane(a01, 1);
  let a2 = f64x2.extract_lane(a23, 0);
  for (; i < hi; i++) {
    const v = <f64>load<f32>(p + (<usize>i << 2));
    const j = i & 3;
    if (j == 0) a0 += v;
    else if (j == 1) a1 += v;
    else a2 += v;
  }
  return a0 + a1 + (a2 + f64x2.extract_lane(a23, 1));
}

/** The last i in [lo, hi) with p_i > 0 (−1 when none). */
function lastPositive(p: usize, lo: i32, hi: i32): i32 {
  for (let i = hi - 1; i >= lo; i--) if (load<f32>(p + (<usize>i << 2)) > 0) return i;
  return -1;
}

/**
 * The k-th largest of z[0 : n) (1 ≤ k), or −∞ when fewer than k entries are above −∞. Candidates
 * above the running threshold are left-packed into buf (cap + 4 entries, cap ≥ k + 4); when cap
 * of them have gathered, a quickselect keeps the k largest and raises the threshold to the k-th,
 * so after the first few thousand entries almost every vector is one comparison.
 */
export function sampleKthLargestF32(z: usize, n: i32, k: i32, buf: usize, cap: i32): f32 {
  let thr: f32 = -Infinity;
  let thv = f32x4.splat(thr);
  let cnt = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(z + (<usize>i << 2));
    const m = i32x4.bitmask(f32x4.gt(v, thv));
    if (m == 0) continue;
    v128.store(buf + (<usize>cnt << 2), i8x16.swizzle(v, v128.load(PACK + (<usize>m << 4))));
    cnt += popcnt<i32>(m);
    if (cnt >= cap) {
      thr = selectKth(buf, cnt, k);
      cnt = k;
      thv = f32x4.splat(thr);
    }
  }
  for (; i < n; i++) {
    const v = load<f32>(z + (<usize>i << 2));
    if (!(v > thr)) continue;
    store<f32>(buf + (<usize>cnt << 2), v);
    if (++cnt >= cap) {
      thr = selectKth(buf, cnt, k);
      cnt = k;
    }
  }
  if (cnt < k) return -Infinity;
  return selectKth(buf, cnt, k);
}

/**
 * The k-th largest of v[0 : n) (1 ≤ k ≤ n, no NaN) by quickselect (Hoare partition, median-of-3
 * pivot); afterwards v[0 : k) holds the k largest values.
 */
function selectKth(v: usize, n: i32, k: i32): f32 {
  const want = k - 1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const a = load<f32>(v + (<usize>lo << 2));
    const b = load<f32>(v + (<usize>((lo + hi) >>> 1) << 2));
    const c = load<f32>(v + (<usize>hi << 2));
    const pivot = max(min(a, b), min(max(a, b), c));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (load<f32>(v + (<usize>i << 2)) > pivot) i++;
      while (load<f32>(v + (<usize>j << 2)) < pivot) j--;
      if (i <= j) {
        const t = load<f32>(v + (<usize>i << 2));
        store<f32>(v + (<usize>i << 2), load<f32>(v + (<usize>j << 2)));
        store<f32>(v + (<usize>j << 2), t);
        i++;
        j--;
      }
    }
    if (want <= j) hi = j;
    else if (want >= i) lo = i;
    else return pivot;
  }
  return load<f32>(v + (<usize>want << 2));
}

/** Writes the i that pass the threshold rule (see passMask) to out (increasing; out holds n + 4 entries) and returns their count. */
export function sampleGatherF32(z: usize, n: i32, a: f32, ct: i32, out: usize): i32 {
  const av = f32x4.splat(a);
  const ctv = i32x4.splat(ct);
  let idx = v128.load(IOTA);
  const four = i32x4.splat(4);
  let k = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const m = i32x4.bitmask(passMask(v128.load(z + (<usize>i << 2)), av, idx, ctv));
    if (m == 0) {
      idx = i32x4.add(idx, four);
      continue;
    }
    v128.store(out + (<usize>k << 2), i8x16.swizzle(idx, v128.load(PACK + (<usize>m << 4))));
    k += popcnt<i32>(m);
    idx = i32x4.add(idx, four);
  }
  for (; i < n; i++) {
    const v = load<f32>(z + (<usize>i << 2));
    store<i32>(out + (<usize>k << 2), i);
    k += i32(v > a) | (i32(v == a) & i32(i <= ct));
  }
  return k;
}

/**
 * Removes the entries at the m positions at[0 : m) (increasing) from ids, z and, when CARRY, p:
 * the runs between them move down (memory.copy). A DENSE row's ids (its positions) are written
 * first. Returns the new length.
 */
export function sampleRemoveF32(ids: usize, z: usize, p: usize, n: i32, at: usize, m: i32, dense: i32, carry: i32): i32 {
  if (m == 0) return n;
  if (dense) {
    let idx = v128.load(IOTA);
    const four = i32x4.splat(4);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      v128.store(ids + (<usize>i << 2), idx);
      idx = i32x4.add(idx, four);
    }
    for (; i < n; i++) store<i32>(ids + (<usize>i << 2), i);
  }
  let w = load<i32>(at);
  for (let j = 0; j < m; j++) {
    const from = load<i32>(at + (<usize>j << 2)) + 1;
    const to = j + 1 < m ? load<i32>(at + (<usize>(j + 1) << 2)) : n;
    const len = <usize>(to - from) << 2;
    memory.copy(ids + (<usize>w << 2), ids + (<usize>from << 2), len);
    memory.copy(z + (<usize>w << 2), z + (<usize>from << 2), len);
    if (carry) memory.copy(p + (<usize>w << 2), p + (<usize>from << 2), len);
    w += to - from;
  }
  return w;
}

/**
 * Σ (z_i − c)^POW over the finite z_i (POW 1: c = 0 gives the plain sum; POW 2: squared
 * deviations), in float64 over four lanes as sampleEntropyF32 ((l0 + l1) + (l2 + l3)).
 */
export function sampleMomentF32(z: usize, n: i32, c: f64, pow: i32): f64 {
  return pow == 2 ? momentLoop(z, n, c, true) : momentLoop(z, n, c, false);
}

// @ts-ignore: decorator
@inline
function momentLoop(z: usize, n: i32, c: f64, SQ: bool): f64 {
  const cv = f64x2.splat(c);
  const ninf = f64x2.splat(-Infinity);
  let a01 = f64x2.splat(0);
  let a23 = a01;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(z + (<usize>i << 2));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    let dl = f64x2.sub(lo, cv);
    let dh = f64x2.sub(hi, cv);
    if (SQ) {
      dl = f64x2.mul(dl, dl);
      dh = f64x2.mul(dh, dh);
    }
    a01 = f64x2.add(a01, v128.and(dl, f64x2.ne(lo, ninf)));
    a23 = f64x2.add(a23, v128.and(dh, f64x2.ne(hi, ninf)));
  }
  let a0 = f64x2.extract_lane(a01, 0);
  let a1 = f64x2.extract_lane(a01, 1);
  let a2 = f64x2.extract_lane(a23, 0);
  for (; i < n; i++) {
    const v = <f64>load<f32>(z + (<usize>i << 2));
    if (v == -Infinity) continue;
    const d = SQ ? (v - c) * (v - c) : v - c;
    const j = i & 3;
    if (j == 0) a0 += d;
    else if (j == 1) a1 += d;
    else a2 += d;
  }
  return a0 + a1 + (a2 + f64x2.extract_lane(a23, 1));
}
