// Row kernels of sigmax/llm's fused linear cross-entropy over float64 logits (tiles of rows back
// to back): the softmax statistics of a row (max, Σ e^(x − max) and the label-smoothing gap as
// double-doubles) and the gradient rows e^(z − max)·a − b·w. Each is the reference's arithmetic
// (src/reference/dd.ts' expDD, ddAdd, ddMul, twoProd by Dekker's splitting, and
// src/reference/softmax.ts' softmaxStats, src/reference/crossEntropy.ts' crossEntropyGradFromStats)
// operation for operation in float64 lanes, so the results are the reference's bits: the
// statistics run two rows per vector (each lane sums its own row in the reference's order), the
// gradient two columns of a row. Rows the fast path does not cover (a NaN, +∞, all −∞; with the
// gap, a −∞ entry or a spread beyond 2^500) are flagged for the reference.

/** 2^(j/64) as [hi, lo] pairs: src/reference/exp-table.ts' EXP2_TABLE, the same doubles. */
const EXP2: usize = memory.data<f64>([
1, 0,
  1.0108892860517005, -1.5234778603368577e-17,
  1.0218971486541166, 5.109225028973444e-17,
  1.0330248790212284, 7.600838874027088e-18,
  1.0442737824274138, 8.551889705537965e-17,
  1.0556451783605572, 1.759325738772092e-18,
  1.0671404006768237, -7.899853966841582e-17,
  1.0787607977571199, -6.656660436056593e-17,
  1.0905077326652577, -3.046782079812471e-17,
  1.102382583307841, 5.2660368715706944e-17,
  1.1143867425958924, 1.0410278456845571e-16,
  1.1265216186082418, 5.165856758795457e-17,
  1.1387886347566916, 8.912812676025408e-17,
  1.1511892299529827, 3.250710218863827e-17,
  1.1637248587775775, 3.8292048369240935e-17,
  1.1763969916502812, 5.554203254218079e-17,
  1.189207115002721, 3.982015231465646e-17,
  1.202156731452703, 6.644981499252301e-17,
  1.215247359980469, -7.712630692681488e-17,
  1.22848053610687, -1.89878163130253e-17,
  1.241857812073484, 4.658027591836937e-17,
  1.255380757024691, -6.7113898212968784e-18,
  1.2690509571917332, 2.667932131342186e-18,
  1.2828700160787783, 1.713594918243561e-17,
  1.2968395546510096, 2.5382502794888315e-17,
  1.3109612115247644, -7.181536135519454e-17,
  1.3252366431597413, -2.8587312100388614e-17,
  1.339667524053303, 8.927282594831732e-17,
  1.3542555469368927, 7.70094837980299e-17,
  1.3690024229745905, 9.593797919118849e-17,
  1.383909881963832, -6.770511658794786e-17,
  1.3989796725383112, -9.614213209051323e-17,
  1.4142135623730951, -9.667293313452913e-17,
  1.42961333839197, -1.2031642489053655e-17,
  1.4451808069770467, -3.0237581349939873e-17,
  1.460917794180647, -5.600377186075216e-17,
  1.4768261459394993, -3.483994556892796e-17,
  1.4929077282912648, 1.4192920154284036e-17,
  1.5091644275934228, -1.016455327754295e-16,
  1.5255981507445384, -1.1024941712342561e-16,
  1.5422108254079407, 7.949834809697621e-17,
  1.559004400237837, 3.7812070533575275e-17,
  1.5759808451078865, -1.0136916471278304e-17,
  1.593142151342267, -1.0094406542311964e-16,
  1.6104903319492543, 2.4707192569797888e-17,
  1.6280274218573478, -6.712955084707084e-17,
  1.645755478153965, -1.0125679913674773e-16,
  1.6636765803267364, 5.8909926967131e-17,
  1.681792830507429, 8.199010020581497e-17,
  1.7001063537185235, -8.0237193703977e-18,
  1.718619298122478, -1.851380418263111e-17,
  1.7373338352737062, 3.164389299292957e-17,
  1.7562521603732995, 2.960140695448873e-17,
  1.7753764925265212, 6.429731796556572e-17,
  1.7947090750031072, 1.8227458427912087e-17,
  1.8142521755003989, -9.969531538920349e-17,
  1.8340080864093424, 3.283107224245627e-17,
  1.8539791250833855, 9.761887490727594e-17,
  1.8741676341103, -6.122763413004143e-17,
  1.8945759815869656, 3.4034035352165297e-17,
  1.9152065613971474, -1.0619946056195963e-16,
  1.9360617934922943, 1.0332385960676326e-16,
  1.9571441241754002, 8.960767791036668e-17,
  1.978456026387951, 4.0388753109278167e-17,
], 16);

// Constants, one f64 each (read with a splat-load), at byte offsets into KR.
const KR: usize = memory.data<f64>([
  134217729.0, // Veltkamp's splitter 2^27 + 1
  92.33248261689366, // 64/ln2 (INV_LN2_64)
  0.01083042469326756, // ln2/64 in three parts (LN2_64_1, _2, _3)
  2.9815858263172973e-12,
  6.679961858980702e-22,
  0.5,
  2.0,
  1.0 / 6.0, 1.0 / 24.0, 1.0 / 120.0, 1.0 / 720.0, 1.0 / 5040.0,
  -745.2, // EXP_UNDERFLOW: e^x below it is 0
  2.409919865102884e-181, // 2^-600
  1.0,
  0.0,
], 16);
const K_SPLIT: usize = 0;
const K_INV: usize = 8;
const K_L1: usize = 16;
const K_L2: usize = 24;
const K_L3: usize = 32;
const K_HALF: usize = 40;
const K_TWO: usize = 48;
const K_C6: usize = 56;
const K_C24: usize = 64;
const K_C120: usize = 72;
const K_C720: usize = 80;
const K_C5040: usize = 88;
const K_UNDER: usize = 96;
const K_P600: usize = 104;
const K_ONE: usize = 112;
const K_ZERO: usize = 120;

// @ts-ignore: decorator
@inline
function kr(o: usize): v128 {
  return v128.load64_splat(KR + o);
}

const SIGN: v128 = i64x2(0x8000000000000000, 0x8000000000000000);

/** The error of s = a + b (Knuth's TwoSum; the reference's twoSum for finite sums). */
// @ts-ignore: decorator
@inline
function twoSumLo(a: v128, b: v128, s: v128): v128 {
  const bb = f64x2.sub(s, a);
  return f64x2.add(f64x2.sub(a, f64x2.sub(s, bb)), f64x2.sub(b, bb));
}

/** The error of s = a + b for |a| ≥ |b| (Dekker's FastTwoSum). */
// @ts-ignore: decorator
@inline
function fastLo(a: v128, b: v128, s: v128): v128 {
  return f64x2.sub(b, f64x2.sub(s, a));
}

/** Veltkamp's high half of a (|a| ≤ 2^996). */
// @ts-ignore: decorator
@inline
function splitHi(a: v128): v128 {
  const t = f64x2.mul(kr(K_SPLIT), a);
  return f64x2.sub(t, f64x2.sub(t, a));
}

/** The error of a·b by Dekker's TwoProduct, as the reference evaluates it (operand order matters). */
// @ts-ignore: decorator
@inline
function twoProdLo(a: v128, b: v128): v128 {
  const ah = splitHi(a);
  const al = f64x2.sub(a, ah);
  const bh = splitHi(b);
  const bl = f64x2.sub(b, bh);
  const ps = f64x2.mul(a, b);
  return f64x2.add(f64x2.add(f64x2.add(f64x2.sub(f64x2.mul(ah, bh), ps), f64x2.mul(ah, bl)), f64x2.mul(al, bh)), f64x2.mul(al, bl));
}

/** The low part of the last expDD2 (its high part is the return value). */
let E_LO: v128 = f64x2.splat(0);

/**
 * e^(xh + xl) as a double-double (hi returned, lo in E_LO) per lane for xh ≤ 0 (−∞ included):
 * the reference's expDD (x = N·ln2/64 + r, e^r − 1 in double-double, 2^(J/64) from the table,
 * scaled by 2^K), lanes with xh ≤ −745.2 giving (0, 0). Math.round(y) is floor(y + 0.5) with
 * y's sign (y ≤ 0 here, where Math.round returns −0 for y in [−0.5, 0)).
 */
// @ts-ignore: decorator
@inline
function expDD2(xh: v128, xl: v128): v128 {
  const keep = f64x2.gt(xh, kr(K_UNDER));
  const x = v128.and(xh, keep);
  const xlo = v128.and(xl, keep);
  const y = f64x2.mul(x, kr(K_INV));
  const n = v128.or(f64x2.floor(f64x2.add(y, kr(K_HALF))), v128.and(y, SIGN));
  const ni = i32x4.trunc_sat_f64x2_s_zero(n);
  const j = v128.and(ni, i32x4.splat(63));
  const k = i64x2.extend_low_i32x4_s(i32x4.shr_s(ni, 6));
  // r = x − n·ln2/64: twoSum(x − n·L1, −(n·L2)), then fastTwoSum(hi, lo + (xl − n·L3))
  const t1 = f64x2.sub(x, f64x2.mul(n, kr(K_L1)));
  const t2 = f64x2.neg(f64x2.mul(n, kr(K_L2)));
  const s1 = f64x2.add(t1, t2);
  const b1 = f64x2.add(twoSumLo(t1, t2, s1), f64x2.sub(xlo, f64x2.mul(n, kr(K_L3))));
  const rh = f64x2.add(s1, b1);
  const rl = fastLo(s1, b1, rh);
  // e^r − 1 = r + r²/2 (exact: twoProd) + r³·P(r)
  const p = f64x2.mul(rh, rh);
  const pl = twoProdLo(rh, rh);
  const h = f64x2.mul(p, kr(K_HALF));
  const hl = f64x2.mul(f64x2.add(pl, f64x2.mul(f64x2.mul(kr(K_TWO), rh), rl)), kr(K_HALF));
  const r3 = f64x2.mul(p, rh);
  const poly = f64x2.add(kr(K_C720), f64x2.mul(rh, kr(K_C5040)));
  const poly2 = f64x2.add(kr(K_C24), f64x2.mul(rh, f64x2.add(kr(K_C120), f64x2.mul(rh, poly))));
  const tail = f64x2.mul(r3, f64x2.add(kr(K_C6), f64x2.mul(rh, poly2)));
  const s2 = f64x2.add(rh, h);
  const b2 = f64x2.add(f64x2.add(f64x2.add(twoSumLo(rh, h, s2), rl), hl), tail);
  const mh = f64x2.add(s2, b2);
  const ml = fastLo(s2, b2, mh);
  // 2^(J/64)·(1 + m) = th + th·m + tl·(1 + m)
  const ja = (<usize>i32x4.extract_lane(j, 0)) << 4;
  const jb = (<usize>i32x4.extract_lane(j, 1)) << 4;
  const th = v128.load64_lane(EXP2 + jb, v128.load64_zero(EXP2 + ja), 1);
  const tl = v128.load64_lane(EXP2 + jb, v128.load64_zero(EXP2 + ja, 8), 1, 8);
  const q = f64x2.mul(th, mh);
  const ql = twoProdLo(th, mh);
  const s3 = f64x2.add(th, q);
  const b3 = f64x2.add(f64x2.add(f64x2.add(twoSumLo(th, q, s3), ql), tl), f64x2.add(f64x2.mul(th, ml), f64x2.mul(tl, mh)));
  let eh = f64x2.add(s3, b3);
  let el = fastLo(s3, b3, eh);
  // × 2^K: exact for K ≥ −1022; below, hi·2^(K+600)·2^-600 (a subnormal, rounded once) and lo 0
  const normal = i64x2.ge_s(k, i64x2.splat(-1022));
  const sc = i64x2.shl(i64x2.add(k, i64x2.splat(1023)), 52);
  if (i64x2.all_true(normal)) {
    eh = f64x2.mul(eh, sc);
    el = f64x2.mul(el, sc);
  } else {
    const sub = f64x2.mul(f64x2.mul(eh, i64x2.shl(i64x2.add(k, i64x2.splat(1623)), 52)), kr(K_P600));
    eh = v128.bitselect(f64x2.mul(eh, sc), sub, normal);
    el = v128.and(f64x2.mul(el, sc), normal);
  }
  E_LO = v128.and(el, keep);
  return v128.and(eh, keep);
}

/** Result registers of ddAdd2 (high, low). */
let DD_HI: v128 = f64x2.splat(0);
let DD_LO: v128 = f64x2.splat(0);

/** (ah + al) + (bh + bl) into DD_HI, DD_LO: the reference's ddAdd (finite sums). */
// @ts-ignore: decorator
@inline
function ddAdd2(ah: v128, al: v128, bh: v128, bl: v128): void {
  const sh = f64x2.add(ah, bh);
  const sl = twoSumLo(ah, bh, sh);
  const th = f64x2.add(al, bl);
  const tl = twoSumLo(al, bl, th);
  const u = f64x2.add(sl, th);
  const v = f64x2.add(sh, u);
  const w = f64x2.add(fastLo(sh, u, v), tl);
  const hi = f64x2.add(v, w);
  DD_HI = hi;
  DD_LO = fastLo(v, w, hi);
}

/** Row scan results: the first index of the max, and whether the row takes the fast path. */
let ARG: i32 = 0;
let SCAN_OK: bool = false;

/** Spread (max − min) above which a row with the gap goes to the reference (Dekker's split and products stay finite). */
const GAP_SPREAD: f64 = 3.273390607896142e150; // 2^500

/**
 * Max of row x (n entries of T), its first index in ARG and in SCAN_OK whether the fast path
 * takes it: a finite max, no NaN, and with `gap` no −∞ entry and max − min below 2^500.
 */
// @ts-ignore: decorator
@inline
function scanRow<T>(x: usize, n: i32, gap: bool): f64 {
  let m: f64 = -Infinity;
  let lo: f64 = Infinity;
  let nan = false;
  let i = 0;
  if (sizeof<T>() == 8) {
    let m0 = f64x2.splat(-Infinity);
    let m1 = m0;
    let l0 = f64x2.splat(Infinity);
    let l1 = l0;
    let bad = f64x2.splat(0);
    for (; i + 4 <= n; i += 4) {
      const a = v128.load(x + (<usize>i << 3));
      const b = v128.load(x + (<usize>i << 3), 16);
      m0 = f64x2.pmax(m0, a);
      m1 = f64x2.pmax(m1, b);
      l0 = f64x2.pmin(l0, a);
      l1 = f64x2.pmin(l1, b);
      bad = v128.or(bad, v128.or(f64x2.ne(a, a), f64x2.ne(b, b)));
    }
    m0 = f64x2.pmax(m0, m1);
    l0 = f64x2.pmin(l0, l1);
    m = max(f64x2.extract_lane(m0, 0), f64x2.extract_lane(m0, 1));
    lo = min(f64x2.extract_lane(l0, 0), f64x2.extract_lane(l0, 1));
    nan = v128.any_true(bad);
  }
  for (; i < n; i++) {
    const v = <f64>load<T>(x + ((<usize>i) << alignof<T>()));
    if (v != v) nan = true;
    else {
      if (v > m) m = v;
      if (v < lo) lo = v;
    }
  }
  SCAN_OK = !nan && m - m == 0 && (!gap || (lo > -Infinity && m - lo < GAP_SPREAD));
  ARG = 0;
  if (SCAN_OK) {
    let c = 0;
    while (<f64>load<T>(x + ((<usize>c) << alignof<T>())) != m) c++;
    ARG = c;
  }
  return m;
}

/**
 * The statistics of rows a and b (lanes 0 and 1; b may equal a) of n entries of T, max ma, mb and
 * first argmax ia, ib: the reference's rowExp sum (every e^(x − max) but the argmax's, in order)
 * plus 1, and with `gap` Σ w_c·(max − x_c) skipping w_c = 0 (w null: all ones). Writes lane 0 to
 * row ra's record and lane 1 to row rb's (out: six f64 per row: max, sumExp, sumExpLo, gap, gapLo, status).
 */
// @ts-ignore: decorator
@inline
function statsPair<T>(xa: usize, xb: usize, n: i32, ma: f64, mb: f64, ia: i32, ib: i32, w: usize, gap: bool, out: usize, ra: i32, rb: i32): void {
  const nm = f64x2.neg(f64x2(ma, mb));
  const arg = i64x2(<i64>ia, <i64>ib);
  let sh = kr(K_ZERO);
  let sl = sh;
  let gh = sh;
  let gl = sh;
  const sz = alignof<T>();
  for (let c = 0; c < n; c++) {
    const o = (<usize>c) << sz;
    const xv = f64x2(<f64>load<T>(xa + o), <f64>load<T>(xb + o));
    const dh = f64x2.add(xv, nm);
    const dl = twoSumLo(xv, nm, dh);
    const notArg = v128.not(i64x2.eq(i64x2.splat(<i64>c), arg));
    const eh = v128.and(expDD2(dh, dl), notArg);
    const el = v128.and(E_LO, notArg);
    ddAdd2(sh, sl, eh, el);
    sh = DD_HI;
    sl = DD_LO;
    if (gap) {
      const wc = w == 0 ? 1.0 : load<f64>(w + ((<usize>c) << 3));
      if (wc != 0) {
        // ddMulD(−dh, −dl, w_c), then ddAdd into the gap
        const a = f64x2.neg(dh);
        const wv = f64x2.splat(wc);
        const p = f64x2.mul(a, wv);
        const b = f64x2.add(twoProdLo(a, wv), f64x2.mul(f64x2.neg(dl), wv));
        const ph = f64x2.add(p, b);
        ddAdd2(gh, gl, ph, fastLo(p, b, ph));
        gh = DD_HI;
        gl = DD_LO;
      }
    }
  }
  ddAdd2(kr(K_ONE), kr(K_ZERO), sh, sl);
  const s = DD_HI;
  const sLo = DD_LO;
  const pa = out + (<usize>ra) * 48;
  const pb = out + (<usize>rb) * 48;
  store<f64>(pa, ma);
  store<f64>(pb, mb);
  v128.store64_lane(pa, s, 0, 8);
  v128.store64_lane(pb, s, 1, 8);
  v128.store64_lane(pa, sLo, 0, 16);
  v128.store64_lane(pb, sLo, 1, 16);
  v128.store64_lane(pa, gh, 0, 24);
  v128.store64_lane(pb, gh, 1, 24);
  v128.store64_lane(pa, gl, 0, 32);
  v128.store64_lane(pb, gl, 1, 32);
  store<f64>(pa, 0, 40);
  store<f64>(pb, 0, 40);
}

// @ts-ignore: decorator
@inline
function statsRows<T>(x: usize, rows: i32, n: i32, w: usize, gap: bool, out: usize): void {
  const rowBytes = (<usize>n) << alignof<T>();
  let pending = -1;
  let pm: f64 = 0;
  let pi = 0;
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>r) * rowBytes;
    const m = scanRow<T>(xr, n, gap);
    if (!SCAN_OK) {
      store<f64>(out + (<usize>r) * 48, 1, 40);
      continue;
    }
    if (pending < 0) {
      pending = r;
      pm = m;
      pi = ARG;
      continue;
    }
    statsPair<T>(x + (<usize>pending) * rowBytes, xr, n, pm, m, pi, ARG, w, gap, out, pending, r);
    pending = -1;
  }
  if (pending >= 0) {
    const xp = x + (<usize>pending) * rowBytes;
    statsPair<T>(xp, xp, n, pm, pm, pi, pi, w, gap, out, pending, pending);
  }
}

/**
 * Softmax statistics of `rows` rows of n entries at x (float64, or float32 with f32 = 1), rows
 * back to back, into out: six f64 per row (max, sumExp, sumExpLo, gap, gapLo, status),
 * status 0 where the row was done here, 1 where the reference must do it. gap = 1 adds Σ w_c·(max
 * − x_c) with w the n float64 weights at w (0: all ones); their magnitudes must stay below 2^500.
 */
export function statsRowsF64(x: usize, rows: i32, n: i32, f32: i32, w: usize, gap: i32, out: usize): void {
  if (f32) statsRows<f32>(x, rows, n, w, gap != 0, out);
  else statsRows<f64>(x, rows, n, w, gap != 0, out);
}

/** One gradient entry pair: the reference's ddMul(e, a), less ddMulD(b, w) where the row has b ≠ 0. */
// @ts-ignore: decorator
@inline
function gradPair(v: v128, nm: v128, ah: v128, al: v128, bh: v128, bl: v128, hasB: bool, wv: v128): v128 {
  const dh = f64x2.add(v, nm);
  const dl = twoSumLo(v, nm, dh);
  const eh = expDD2(dh, dl);
  const el = E_LO;
  const p = f64x2.mul(eh, ah);
  const b = f64x2.add(twoProdLo(eh, ah), f64x2.add(f64x2.mul(eh, al), f64x2.mul(el, ah)));
  const rh = f64x2.add(p, b);
  if (!hasB) return rh;
  const rl = fastLo(p, b, rh);
  const q = f64x2.mul(bh, wv);
  const b2 = f64x2.add(twoProdLo(bh, wv), f64x2.mul(bl, wv));
  const qh = f64x2.add(q, b2);
  ddAdd2(rh, rl, f64x2.neg(qh), f64x2.neg(fastLo(q, b2, qh)));
  return DD_HI;
}

/**
 * Gradient rows in place: row r of the `rows` rows of n float64 at g becomes, entry c,
 * e^(z_c − m_r)·a_r − b_r·w_c (the reference's double-double evaluation, rounded once; w the n
 * float64 weights at w, or all ones for w = 0), or 0 (kind 0) or NaN (kind 2). co: six f64 per
 * row: kind, m, a, aLo, b, bLo. The target's entry is left to the caller. Magnitudes:
 * |a| < 2^900, |b|, |w| < 2^450.
 */
export function gradRowsF64(g: usize, rows: i32, n: i32, co: usize, w: usize): void {
  for (let r = 0; r < rows; r++) {
    const c0 = co + (<usize>r) * 48;
    const kind = load<f64>(c0);
    const row = g + (<usize>r) * ((<usize>n) << 3);
    if (kind != 1) {
      const v = kind == 0 ? 0.0 : NaN;
      for (let c = 0; c < n; c++) store<f64>(row + ((<usize>c) << 3), v);
      continue;
    }
    const nm = f64x2.splat(-load<f64>(c0, 8));
    const ah = v128.load64_splat(c0, 16);
    const al = v128.load64_splat(c0, 24);
    const bs = load<f64>(c0, 32);
    const bh = f64x2.splat(bs);
    const bl = v128.load64_splat(c0, 40);
    const hasB = bs != 0;
    let c = 0;
    for (; c + 2 <= n; c += 2) {
      const p = row + ((<usize>c) << 3);
      const wv = hasB ? (w == 0 ? kr(K_ONE) : v128.load(w + ((<usize>c) << 3))) : kr(K_ONE);
      v128.store(p, gradPair(v128.load(p), nm, ah, al, bh, bl, hasB, wv));
    }
    if (c < n) {
      const p = row + ((<usize>c) << 3);
      const wv = hasB && w != 0 ? v128.load64_splat(w + ((<usize>c) << 3)) : kr(K_ONE);
      v128.store64_lane(p, gradPair(v128.load64_splat(p), nm, ah, al, bh, bl, hasB, wv), 0);
    }
  }
}
