// High-precision reference values for the precision panel: binary floating point with a 256-bit
// BigInt mantissa. Every double is exact in it, and each function below uses a form that never
// adds a tiny term to 1 or subtracts nearly equal numbers, so results are good to about 2^−250
// relative — far below a float64 ulp (2^−52). Independent of sigmax: it is the yardstick.

const P = 256; // mantissa bits kept after each operation
const G = P + 32; // fixed-point fraction bits inside the exp and log series
const BG = BigInt(G);
const ONE_G = 1n << BG;

/** The value m · 2^e; m is 0 or has exactly P bits in magnitude. */
export interface BF {
  readonly m: bigint;
  readonly e: number;
}

function bitLength(n: bigint): number {
  const h = n.toString(16);
  return (h.length - 1) * 4 + (32 - Math.clz32(parseInt(h[0], 16)));
}

const ZERO: BF = { m: 0n, e: 0 };

function make(m: bigint, e: number): BF {
  if (m === 0n) return ZERO;
  const neg = m < 0n;
  let a = neg ? -m : m;
  const shift = bitLength(a) - P;
  if (shift > 0) a >>= BigInt(shift);
  else if (shift < 0) a <<= BigInt(-shift);
  return { m: neg ? -a : a, e: e + shift };
}

/** A finite double, exactly. */
export function fromNumber(x: number): BF {
  if (!Number.isFinite(x)) throw new RangeError(`reference: ${x} is not finite`);
  if (x === 0) return ZERO;
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  const hi = dv.getUint32(0);
  const lo = dv.getUint32(4);
  const exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e = -1074;
  if (exp !== 0) {
    mant |= 1n << 52n;
    e = exp - 1075;
  }
  return make(hi >>> 31 ? -mant : mant, e);
}

export const ONE = fromNumber(1);

export function add(a: BF, b: BF): BF {
  if (a.m === 0n) return b;
  if (b.m === 0n) return a;
  if (a.e < b.e) [a, b] = [b, a];
  const d = a.e - b.e;
  // Both mantissas have P bits, so a larger e means a larger magnitude; b below a's last kept
  // bit by a margin cannot change the rounded result.
  if (d > P + 8) return a;
  return make((a.m << BigInt(d)) + b.m, b.e);
}

export function neg(a: BF): BF {
  return { m: -a.m, e: a.e };
}

export function sub(a: BF, b: BF): BF {
  return add(a, neg(b));
}

export function mul(a: BF, b: BF): BF {
  return make(a.m * b.m, a.e + b.e);
}

export function div(a: BF, b: BF): BF {
  if (b.m === 0n) throw new RangeError('reference: division by zero');
  return make((a.m << BigInt(P + 2)) / b.m, a.e - b.e - P - 2);
}

export function sign(a: BF): number {
  return a.m > 0n ? 1 : a.m < 0n ? -1 : 0;
}

/** floor(log2 |a|) for a ≠ 0. */
export function exponent(a: BF): number {
  return bitLength(a.m < 0n ? -a.m : a.m) - 1 + a.e;
}

/** a as a fixed-point integer with `frac` fraction bits (truncated towards −∞). */
function toFixed(a: BF, frac: number): bigint {
  const s = a.e + frac;
  return s >= 0 ? a.m << BigInt(s) : a.m >> BigInt(-s);
}

// ln 2 = Σ_{k≥1} 1/(k·2^k), summed with 16 guard bits: each of the ~300 truncations costs at most
// one unit of 2^−(G+16).
const LN2_G: bigint = (() => {
  const W = G + 16;
  let s = 0n;
  for (let k = 1; k <= W; k++) s += (1n << BigInt(W - k)) / BigInt(k);
  return s >> 16n;
})();

/** The value as the nearest double (round half to even, subnormals and overflow included). */
export function toNumber(a: BF): number {
  if (a.m === 0n) return 0;
  const negative = a.m < 0n;
  let m = negative ? -a.m : a.m;
  let e = a.e;
  const bl = bitLength(m);
  const E = bl - 1 + e;
  if (E > 1023) return negative ? -Infinity : Infinity;
  const keep = E < -1022 ? 53 - (-1022 - E) : 53; // fewer bits in the subnormal range
  const shift = bl - keep;
  if (shift > 0) {
    let q = m >> BigInt(shift);
    const rem = m - (q << BigInt(shift));
    const half = 1n << BigInt(shift - 1);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q++;
    m = q;
    e += shift;
  }
  // m < 2^54 is exact as a double; scale in two exact steps so that 2^e cannot underflow alone.
  const r = Number(m) * 2 ** (e + 200) * 2 ** -200;
  return negative ? -r : r;
}

/** e^x. Results below 2^−1440000 are returned as 0 (far below any float). */
export function exp(x: BF): BF {
  if (x.m === 0n) return ONE;
  const approx = toNumber(x);
  if (approx > 1e6) throw new RangeError('reference: exp overflow');
  if (approx < -1e6) return ZERO;
  // x = k·ln2 + r with |r| ≤ ln2/2 (about): e^x = 2^k · e^r, e^r by its Taylor series.
  const k = Math.round(approx / Math.LN2);
  const r = toFixed(x, G) - BigInt(k) * LN2_G;
  let term = ONE_G;
  let sum = ONE_G;
  for (let n = 1n; ; n++) {
    term = ((term * r) >> BG) / n;
    if (term === 0n) break;
    sum += term;
  }
  return make(sum, k - G);
}

/** log x for x > 0. */
export function log(x: BF): BF {
  if (x.m <= 0n) throw new RangeError('reference: log of a non-positive number');
  // x = f·2^E with f ∈ [1, 2); fold f into [√½, √2); log f = 2·atanh((f − 1)/(f + 1)).
  let E = x.e + P - 1;
  let f = x.m << BigInt(G - (P - 1));
  const SQRT2 = (ONE_G * 1414213562n) / 1000000000n;
  if (f > SQRT2) {
    f >>= 1n;
    E += 1;
  }
  const s = ((f - ONE_G) << BG) / (f + ONE_G);
  const s2 = (s * s) >> BG;
  let term = s;
  let sum = s;
  for (let n = 3n; ; n += 2n) {
    term = (term * s2) >> BG;
    const t = term / n;
    if (t === 0n) break;
    sum += t;
  }
  return make(2n * sum + BigInt(E) * LN2_G, -G);
}

/** log(1 + t) for t > −1, exact for tiny t (series) where 1 + t would lose t's digits. */
export function log1p(t: BF): BF {
  if (t.m === 0n) return ZERO;
  if (exponent(t) < -8) {
    // t − t²/2 + t³/3 − …: each term is at least 2^8 times smaller than the one before.
    let power = t;
    let sum = t;
    for (let n = 2; n < 200; n++) {
      power = mul(power, t);
      const term = div(power, fromNumber(n));
      if (term.m === 0n || exponent(term) < exponent(sum) - P - 8) break;
      sum = n % 2 === 0 ? sub(sum, term) : add(sum, term);
    }
    return sum;
  }
  return log(add(ONE, t));
}

/**
 * |computed − ref| in ulps of the float type at ref (float32 when `f32`). NaN and ±∞ give
 * Infinity unless ref itself is out of the type's range with the same sign.
 */
export function ulpError(computed: number, ref: BF, f32: boolean): number {
  if (Number.isNaN(computed)) return Infinity;
  const minE = f32 ? -126 : -1022;
  const mantBits = f32 ? 23 : 52;
  if (!Number.isFinite(computed)) {
    const max = f32 ? 3.4028234663852886e38 : Number.MAX_VALUE;
    const r = toNumber(ref);
    return Math.sign(r) === Math.sign(computed) && Math.abs(r) > max ? 0 : Infinity;
  }
  const d = sub(fromNumber(computed), ref);
  if (d.m === 0n) return 0;
  const E = ref.m === 0n ? minE : Math.max(exponent(ref), minE);
  return Math.abs(toNumber({ m: d.m, e: d.e - (E - mantBits) }));
}

// ---- the functions of the precision panel, in forms that lose no bits ----

const half = (x: BF) => ({ m: x.m, e: x.e - 1 });

/** σ(x) = 1/(1 + e^−x) for x ≥ 0, e^x/(1 + e^x) for x < 0 (the exponent is never positive). */
export function sigmoid(x: number): BF {
  if (x === 0) return half(ONE);
  const E = exp(fromNumber(-Math.abs(x)));
  return x > 0 ? div(ONE, add(ONE, E)) : div(E, add(ONE, E));
}

/** σ′(x) = σ(x)·σ(−x). */
export function sigmoidGrad(x: number): BF {
  return mul(sigmoid(x), sigmoid(-x));
}

/** softplus sp(x) = max(x, 0) + log1p(e^−|x|). */
export function softplus(x: number): BF {
  const tail = log1p(exp(fromNumber(-Math.abs(x))));
  return x > 0 ? add(fromNumber(x), tail) : tail;
}

/** log σ(x) = −sp(−x). */
export function logSigmoid(x: number): BF {
  return neg(softplus(-x));
}

/** Binary cross-entropy with logits: −[y log σ(x) + (1 − y) log σ(−x)] = y·sp(−x) + (1 − y)·sp(x). */
export function bceWithLogits(x: number, y: number): BF {
  const a = y === 0 ? ZERO : mul(fromNumber(y), softplus(-x));
  const b = y === 1 ? ZERO : mul(sub(ONE, fromNumber(y)), softplus(x));
  return add(a, b);
}

interface Shifted {
  k: number; // index of the (first) maximum
  e: BF[]; // e^(z_c − m)
  rest: BF; // S′ = Σ_{c≠k} e^(z_c − m)
  d: BF[]; // z_c − m
}

function shifted(z: readonly number[]): Shifted {
  let k = 0;
  for (let c = 1; c < z.length; c++) if (z[c] > z[k]) k = c;
  const m = fromNumber(z[k]);
  const d = z.map((v) => sub(fromNumber(v), m));
  const e = d.map((v) => exp(v));
  let rest = ZERO;
  e.forEach((v, c) => {
    if (c !== k) rest = add(rest, v);
  });
  return { k, e, rest, d };
}

/** p_i = e^(z_i − m)/S with S = 1 + S′. */
export function softmax(z: readonly number[]): BF[] {
  const { e, rest } = shifted(z);
  const S = add(ONE, rest);
  return e.map((v) => div(v, S));
}

/** log p_i = (z_i − m) − log1p(S′). */
export function logSoftmax(z: readonly number[]): BF[] {
  const { d, rest } = shifted(z);
  const l = log1p(rest);
  return d.map((v) => sub(v, l));
}

/** LSE(z) = m + log1p(S′). */
export function logSumExp(z: readonly number[]): BF {
  const { k, rest } = shifted(z);
  return add(fromNumber(z[k]), log1p(rest));
}

/** The cross-entropy gradient at class t, p_t − 1 = −Σ_{j≠t} p_j. */
export function ceGradAt(z: readonly number[], t: number): BF {
  const { e, rest } = shifted(z);
  const S = add(ONE, rest);
  let others = ZERO;
  e.forEach((v, c) => {
    if (c !== t) others = add(others, v);
  });
  return neg(div(others, S));
}
