// The decoding chain's passes over a whole row, and the memory they work in. A float32 row lives
// in a RowSpace: in the wasm memory when the wasm backend is active (so the softmax kernels and
// the row kernels of assembly/ops/sampling.ts read it in place, with no copy), in ordinary arrays
// otherwise. Each row kernel has two implementations with the same arithmetic in the same order:
// the wasm one and the JavaScript twin below (the js backend's, and the float64 rows' draw).
// Calls are synchronous and no row state outlives a call, so one RowSpace serves every sampler.

import { getBackend } from '../../backend/index.js';
import { traceKernel } from '../../backend/trace.js';
import { freeWasmFloat32Array, isWasmFloat32Array, wasmFloat32Array } from '../../backend/wasm/index.js';
import { getRuntime } from '../../backend/wasm/runtime.js';
import { kthLargestOf } from '../topK.js';

/** Entries per block of the draw's block sums (DRAW_BLOCK in assembly/ops/sampling.ts). */
export const DRAW_BLOCK = 1024;
/** Bins of the mass histograms (top-p's 513 and typical-p's 4096 both fit). */
export const HIST_BINS = 4096;

/** The working memory of one float32 row of V entries. */
export interface RowSpace {
  readonly V: number;
  readonly z: Float32Array;
  readonly p: Float32Array;
  readonly ids: Int32Array;
  readonly bin: Uint16Array;
  /** Top-k's candidate buffer (V + 8 entries). */
  readonly buf: Float32Array;
  /** Positions gathered from one bin (V + 4 entries). */
  readonly pos: Int32Array;
  /**
   * Histogram masses (bins): four tables of nb + 64; after bins(), mass[b] for b < nb − 1, and the
   * last bin's exponent-group sums at j·(nb + 64) + nb + g, j < 4 (see topP.ts's lastBinSum).
   */
  readonly mass: Float64Array;
  readonly sums: Float64Array;
  /** True when every array lives in the wasm memory (the wasm row kernels apply). */
  readonly inWasm: boolean;
  /** The wasm allocation holding every array (null in ordinary memory). */
  readonly block: Float32Array | null;
}

/** The arrays' byte sizes, each rounded up to 16 bytes. */
function layout(V: number): number[] {
  const r = (b: number): number => Math.ceil(b / 16) * 16 + 16;
  return [r(4 * V), r(4 * V), r(4 * V), r(2 * V), r(4 * (V + 8)), r(4 * (V + 4)), r(32 * (HIST_BINS + 64)), r(8 * Math.ceil(V / DRAW_BLOCK))];
}

/** A RowSpace of V entries: in the wasm memory when `wasm` and the wasm backend can hold it there, in ordinary memory otherwise. */
export function makeSpace(V: number, wasm = getBackend() === 'wasm'): RowSpace {
  const sizes = layout(V);
  const total = sizes.reduce((a, b) => a + b, 0);
  let block: Float32Array | null = null;
  if (wasm) {
    const a = wasmFloat32Array(total / 4);
    if (isWasmFloat32Array(a)) block = a;
  }
  const buf = block?.buffer ?? new ArrayBuffer(total);
  let at = block?.byteOffset ?? 0;
  const next = (i: number): number => {
    const o = at;
    at += sizes[i];
    return o;
  };
  return {
    V,
    z: new Float32Array(buf, next(0), V),
    p: new Float32Array(buf, next(1), V),
    ids: new Int32Array(buf, next(2), V),
    bin: new Uint16Array(buf, next(3), V),
    buf: new Float32Array(buf, next(4), V + 8),
    pos: new Int32Array(buf, next(5), V + 4),
    mass: new Float64Array(buf, next(6), 4 * (HIST_BINS + 64)),
    sums: new Float64Array(buf, next(7), Math.ceil(V / DRAW_BLOCK)),
    inWasm: block !== null,
    block,
  };
}

let space: RowSpace | null = null;
let spaceBackend = '';

/**
 * The shared RowSpace for rows of V entries under the active backend (made or regrown on
 * demand; a wasm one stays allocated for the process, like the kernels' own scratch).
 */
export function rowSpace(V: number): RowSpace {
  const b = getBackend();
  if (space === null || space.V < V || spaceBackend !== b) {
    // the outgrown one's wasm memory goes back (nothing outlives a call, so nothing still uses it)
    if (space?.block) freeWasmFloat32Array(space.block);
    space = makeSpace(Math.max(V, space !== null && spaceBackend === b ? space.V : 0));
    spaceBackend = b;
  }
  return space;
}

/** The row passes (see assembly/ops/sampling.ts for each one's exact rule). */
export interface RowKernels {
  max(z: Float32Array, n: number): number;
  firstEq(z: Float32Array, n: number, m: number): number;
  div(z: Float32Array, n: number, t: number): void;
  entropy(z: Float32Array, p: Float32Array, n: number, lse: number): number;
  absDevMax(z: Float32Array, n: number, c: number): number;
  bins(z: Float32Array, p: Float32Array, n: number, c: number, scale: number, nb: number, abs: boolean, s: RowSpace): void;
  gatherBin(s: RowSpace, p: Float32Array, n: number, b: number): number;
  count(z: Float32Array, n: number, t: number, ct: number): number;
  /** How many z_i lie in [lo, hi]. */
  countRange(z: Float32Array, n: number, lo: number, hi: number): number;
  keep(ids: Int32Array, z: Float32Array, p: Float32Array, n: number, t: number, ct: number, dense: boolean, carry: boolean): number;
  /** Compaction keeping lo ≤ z_i ≤ hi. */
  keepRange(ids: Int32Array, z: Float32Array, p: Float32Array, n: number, lo: number, hi: number, dense: boolean, carry: boolean): number;
  /** Σ (z_i − c)^pow over the finite z_i, pow 1 or 2, in four float64 lanes ((l0 + l1) + (l2 + l3)). */
  moment(z: Float32Array, n: number, c: number, pow: 1 | 2): number;
  /** s.pos[0 : k) ← the positions passing the threshold rule of count; returns k. */
  gather(s: RowSpace, z: Float32Array, n: number, t: number, ct: number): number;
  /** Removes the entries at s.pos[0 : m) (increasing) as sampleRemoveF32 does; returns the new length. */
  remove(s: RowSpace, ids: Int32Array, z: Float32Array, p: Float32Array, n: number, m: number, dense: boolean, carry: boolean): number;
  /** The k-th largest of z[0 : n) (k ≥ 1), −∞ when fewer than k entries are above −∞. */
  kth(z: Float32Array, n: number, k: number, s: RowSpace): number;
  /** The draw over p[0 : n); its total mass goes to DRAW.sum. */
  draw(p: Float32Array, n: number, u: number, s: RowSpace): number;
}

/** The total mass of the last draw (for the drawn token's probability). */
export const DRAW = { sum: 0 };

/** Four-lane sum of p[lo : hi) (lo a multiple of 4): lane j adds the i ≡ j mod 4 in order; (l0 + l1) + (l2 + l3). */
function blockSum(p: Float32Array | Float64Array, lo: number, hi: number): number {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let i = lo;
  for (; i + 4 <= hi; i += 4) {
    a0 += p[i];
    a1 += p[i + 1];
    a2 += p[i + 2];
    a3 += p[i + 3];
  }
  if (i < hi) a0 += p[i++];
  if (i < hi) a1 += p[i++];
  if (i < hi) a2 += p[i];
  return a0 + a1 + (a2 + a3);
}

/**
 * The draw rule of every row (float32 or float64 probabilities, or any non-negative multiple of
 * them), u ∈ [0, 1): blocks of DRAW_BLOCK entries summed in four lanes, the total S their sums
 * in order, target u·S; whole blocks are added while the running mass stays ≤ the target, then
 * the entries of the block that passes it one by one (zeros skipped): the first index whose
 * running mass exceeds the target, or, where rounding leaves it unreached, the last positive
 * entry. −1 when every entry is 0. `sums` holds ⌈n/DRAW_BLOCK⌉ entries.
 */
export function drawBlocked(p: Float32Array | Float64Array, n: number, u: number, sums: Float64Array): number {
  const nb = Math.ceil(n / DRAW_BLOCK);
  let S = 0;
  for (let b = 0; b < nb; b++) {
    const s = blockSum(p, b * DRAW_BLOCK, Math.min(n, (b + 1) * DRAW_BLOCK));
    sums[b] = s;
    S += s;
  }
  DRAW.sum = S;
  const target = u * S;
  let acc = 0;
  let last = -1;
  for (let b = 0; b < nb; b++) {
    const s = sums[b];
    if (s === 0) continue;
    const lo = b * DRAW_BLOCK;
    const hi = Math.min(n, lo + DRAW_BLOCK);
    if (acc + s <= target) {
      acc += s;
      for (let i = hi - 1; i >= lo; i--) {
        if (p[i] > 0) {
          last = i;
          break;
        }
      }
      continue;
    }
    for (let i = lo; i < hi; i++) {
      const v = p[i];
      if (v === 0) continue;
      acc += v;
      last = i;
      if (acc > target) return i;
    }
  }
  return last;
}

/** Top-k's buffer capacity: enough above k that each quickselect discards most of what it sees. */
export const kthCap = (k: number, n: number): number => Math.min(n + 4, Math.max(4 * k, k + 2048));

/** The twins' compaction: the entries passing `pass` move to [0, w) in order (ids: i itself when dense). */
function compactBy(ids: Int32Array, z: Float32Array, p: Float32Array, n: number, dense: boolean, carry: boolean, pass: (v: number, i: number) => boolean): number {
  let w = 0;
  for (let i = 0; i < n; i++) {
    const v = z[i];
    ids[w] = dense ? i : ids[i];
    z[w] = v;
    if (carry) p[w] = p[i];
    w += pass(v, i) ? 1 : 0;
  }
  return w;
}

/** Max of z[0 : n) in four independent lanes (NaN propagates through Math.max): the twin of sampleMaxF32, and the float64 rows' max. */
export function maxOf(z: Float32Array | Float64Array, n: number): number {
  let m0 = -Infinity;
  let m1 = -Infinity;
  let m2 = -Infinity;
  let m3 = -Infinity;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    m0 = Math.max(m0, z[i]);
    m1 = Math.max(m1, z[i + 1]);
    m2 = Math.max(m2, z[i + 2]);
    m3 = Math.max(m3, z[i + 3]);
  }
  for (; i < n; i++) m0 = Math.max(m0, z[i]);
  return Math.max(Math.max(m0, m1), Math.max(m2, m3));
}

/** The JavaScript twins. */
export const jsKernels: RowKernels = {
  max(z, n) {
    traceKernel('js:sampleMax');
    return maxOf(z, n);
  },
  firstEq(z, n, m) {
    let a = 0;
    while (a < n - 1 && z[a] !== m) a++;
    return a;
  },
  div(z, n, t) {
    traceKernel('js:sampleDiv');
    for (let i = 0; i < n; i++) z[i] /= t;
  },
  entropy(z, p, n, lse) {
    traceKernel('js:sampleEntropy');
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      if (p[i] > 0) a0 += p[i] * (lse - z[i]);
      if (p[i + 1] > 0) a1 += p[i + 1] * (lse - z[i + 1]);
      if (p[i + 2] > 0) a2 += p[i + 2] * (lse - z[i + 2]);
      if (p[i + 3] > 0) a3 += p[i + 3] * (lse - z[i + 3]);
    }
    for (; i < n; i++) {
      if (!(p[i] > 0)) continue;
      const t = p[i] * (lse - z[i]);
      const j = i & 3;
      if (j === 0) a0 += t;
      else if (j === 1) a1 += t;
      else a2 += t;
    }
    return a0 + a1 + (a2 + a3);
  },
  absDevMax(z, n, c) {
    let m = 0;
    for (let i = 0; i < n; i++) {
      const v = z[i];
      if (v === -Infinity) continue;
      const d = Math.abs(v - c);
      if (d > m) m = d;
    }
    return m;
  },
  bins(z, p, n, c, scale, nb, abs, s) {
    traceKernel('js:sampleBins');
    const { bin, mass } = s;
    // Table i mod 4 of four of nb + 64; the last bin by exponent group (the wasm kernel's layout).
    const nt = nb + 64;
    mass.fill(0, 0, 4 * nt);
    const top = nb - 1;
    const bits = new Uint32Array(p.buffer, p.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const d = abs ? Math.abs(z[i] - c) : c - z[i];
      const b = Math.min(d * scale, top) | 0;
      bin[i] = b;
      mass[(b === top ? nb + ((bits[i] >>> 25) & 63) : b) + (i & 3) * nt] += p[i];
    }
    for (let b = 0; b < top; b++) mass[b] = mass[b] + mass[b + nt] + (mass[b + 2 * nt] + mass[b + 3 * nt]);
  },
  gatherBin(s, p, n, b) {
    const { bin, pos } = s;
    let k = 0;
    for (let i = 0; i < n; i++) if (bin[i] === b && p[i] > 0) pos[k++] = i;
    return k;
  },
  count(z, n, t, ct) {
    let k = 0;
    for (let i = 0; i < n; i++) {
      const v = z[i];
      k += (v > t ? 1 : 0) | (v === t && i <= ct ? 1 : 0);
    }
    return k;
  },
  countRange(z, n, lo, hi) {
    let k = 0;
    for (let i = 0; i < n; i++) k += z[i] >= lo && z[i] <= hi ? 1 : 0;
    return k;
  },
  keep(ids, z, p, n, t, ct, dense, carry) {
    traceKernel('js:sampleKeep');
    return compactBy(ids, z, p, n, dense, carry, (v, i) => v > t || (v === t && i <= ct));
  },
  keepRange(ids, z, p, n, lo, hi, dense, carry) {
    traceKernel('js:sampleKeep');
    return compactBy(ids, z, p, n, dense, carry, (v) => v >= lo && v <= hi);
  },
  moment(z, n, c, pow) {
    traceKernel('js:sampleMoment');
    const a = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      const v = z[i];
      if (v === -Infinity) continue;
      const d = v - c;
      a[i & 3] += pow === 2 ? d * d : d;
    }
    return a[0] + a[1] + (a[2] + a[3]);
  },
  gather(s, z, n, t, ct) {
    const pos = s.pos;
    let k = 0;
    for (let i = 0; i < n; i++) if (z[i] > t || (z[i] === t && i <= ct)) pos[k++] = i;
    return k;
  },
  remove(s, ids, z, p, n, m, dense, carry) {
    traceKernel('js:sampleRemove');
    if (m === 0) return n;
    const at = s.pos;
    if (dense) for (let i = 0; i < n; i++) ids[i] = i;
    let w = at[0];
    for (let j = 0; j < m; j++) {
      const from = at[j] + 1;
      const to = j + 1 < m ? at[j + 1] : n;
      ids.copyWithin(w, from, to);
      z.copyWithin(w, from, to);
      if (carry) p.copyWithin(w, from, to);
      w += to - from;
    }
    return w;
  },
  kth(z, n, k, s) {
    traceKernel('js:sampleKthLargest');
    const buf = s.buf;
    let cnt = 0;
    for (let i = 0; i < n; i++) if (z[i] > -Infinity) buf[cnt++] = z[i];
    return cnt < k ? -Infinity : kthLargestOf(buf, cnt, k);
  },
  draw(p, n, u, s) {
    traceKernel('js:sampleDraw');
    return drawBlocked(p, n, u, s.sums);
  },
};

const f32b = new Float32Array(1);
const u32b = new Uint32Array(f32b.buffer);

/**
 * The float32 form of the threshold rule "z > t, or z = t and i ≤ ct" for float32 z: t itself
 * when it is a float32; otherwise the largest float32 below t, with no ties (ct = −1), since no
 * float32 lies in (that, t]. Result in TH.
 */
const TH = { a: 0, ct: 0 };
function threshold32(t: number, ct: number): void {
  const f = Math.fround(t);
  if (f === t || t !== t) {
    TH.a = f;
    TH.ct = ct;
    return;
  }
  TH.ct = -1;
  if (f < t) {
    TH.a = f;
    return;
  }
  // f > t: one float32 step down (toward −∞).
  if (f === 0) {
    TH.a = -(2 ** -149);
    return;
  }
  f32b[0] = f;
  u32b[0] += f > 0 ? -1 : 1;
  TH.a = f32b[0];
}

/** The float32 after f (toward +∞) and before it (toward −∞); f finite or ±∞ where the step stays defined. */
function nextUp32(f: number): number {
  if (f === Infinity || f !== f) return f;
  if (f === 0) return 2 ** -149;
  f32b[0] = f;
  u32b[0] += f > 0 ? 1 : -1;
  return f32b[0];
}
const nextDown32 = (f: number): number => -nextUp32(-f);

/**
 * The float32 interval [lo, hi] of the z with |z − c| ≤ τ computed in float64 (typical-p's kept
 * set as an interval: fl(|z − c|) is monotone on either side of c, so the z that pass are one run
 * of float32 values). Each end starts at the float32 nearest c ∓ τ and steps to the last value
 * that passes. Empty (lo > hi) when none does.
 */
export function absInterval(c: number, tau: number): [number, number] {
  const pass = (z: number): boolean => Math.abs(z - c) <= tau;
  const mid = Math.fround(c);
  let lo = Math.fround(c - tau);
  let hi = Math.fround(c + tau);
  if (!pass(lo)) while (lo < mid && !pass(lo)) lo = nextUp32(lo);
  else while (lo > -Infinity && pass(nextDown32(lo))) lo = nextDown32(lo);
  if (!pass(hi)) while (hi > mid && !pass(hi)) hi = nextDown32(hi);
  else while (hi < Infinity && pass(nextUp32(hi))) hi = nextUp32(hi);
  if (!pass(lo) || !pass(hi)) return [1, 0];
  return [lo, hi];
}

/** The wasm implementations (arrays of a RowSpace in the wasm memory; byte offsets passed). */
function wasmKernels(): RowKernels {
  const ex = getRuntime().exports;
  return {
    max(z, n) {
      traceKernel('wasm:sampleMaxF32');
      return ex.sampleMaxF32(z.byteOffset, n);
    },
    firstEq: (z, n, m) => ex.sampleFirstEqF32(z.byteOffset, n, m),
    div(z, n, t) {
      traceKernel('wasm:sampleDivF32');
      ex.sampleDivF32(z.byteOffset, n, t);
    },
    entropy(z, p, n, lse) {
      traceKernel('wasm:sampleEntropyF32');
      return ex.sampleEntropyF32(z.byteOffset, p.byteOffset, n, lse);
    },
    absDevMax: (z, n, c) => ex.sampleAbsDevMaxF32(z.byteOffset, n, c),
    bins(z, p, n, c, scale, nb, abs, s) {
      traceKernel('wasm:sampleBinsF32');
      ex.sampleBinsF32(z.byteOffset, p.byteOffset, n, c, scale, nb, abs ? 1 : 0, s.bin.byteOffset, s.mass.byteOffset);
    },
    gatherBin: (s, p, n, b) => ex.sampleGatherBinF32(s.bin.byteOffset, p.byteOffset, n, b, s.pos.byteOffset),
    count(z, n, t, ct) {
      threshold32(t, ct);
      return ex.sampleCountF32(z.byteOffset, n, TH.a, TH.ct);
    },
    countRange: (z, n, lo, hi) => ex.sampleCountRangeF32(z.byteOffset, n, lo, hi),
    keep(ids, z, p, n, t, ct, dense, carry) {
      traceKernel('wasm:sampleKeepF32');
      threshold32(t, ct);
      return ex.sampleKeepF32(ids.byteOffset, z.byteOffset, p.byteOffset, n, TH.a, TH.ct, dense ? 1 : 0, carry ? 1 : 0);
    },
    keepRange(ids, z, p, n, lo, hi, dense, carry) {
      traceKernel('wasm:sampleKeepF32');
      return ex.sampleKeepRangeF32(ids.byteOffset, z.byteOffset, p.byteOffset, n, lo, hi, dense ? 1 : 0, carry ? 1 : 0);
    },
    moment(z, n, c, pow) {
      traceKernel('wasm:sampleMomentF32');
      return ex.sampleMomentF32(z.byteOffset, n, c, pow);
    },
    gather(s, z, n, t, ct) {
      threshold32(t, ct);
      return ex.sampleGatherF32(z.byteOffset, n, TH.a, TH.ct, s.pos.byteOffset);
    },
    remove(s, ids, z, p, n, m, dense, carry) {
      traceKernel('wasm:sampleRemoveF32');
      return ex.sampleRemoveF32(ids.byteOffset, z.byteOffset, p.byteOffset, n, s.pos.byteOffset, m, dense ? 1 : 0, carry ? 1 : 0);
    },
    kth(z, n, k, s) {
      traceKernel('wasm:sampleKthLargestF32');
      return ex.sampleKthLargestF32(z.byteOffset, n, k, s.buf.byteOffset, kthCap(k, n));
    },
    draw(p, n, u, s) {
      traceKernel('wasm:sampleDrawF32');
      const pick = ex.sampleDrawF32(p.byteOffset, n, u, s.sums.byteOffset);
      DRAW.sum = ex.sampleDrawSum();
      return pick;
    },
  };
}

let wasmImpl: RowKernels | null = null;

/** The row kernels for a RowSpace: the wasm ones when it lives in the wasm memory, the twins otherwise. */
export function rowKernels(s: RowSpace): RowKernels {
  return s.inWasm ? (wasmImpl ??= wasmKernels()) : jsKernels;
}
