// Fast elementwise kernels for float32 built on float64 scalar math (AssemblyScript's exp/log1p,
// about 1 ulp of float64), rounded once to float32: logSigmoid, softplus (β, threshold),
// their backwards, and the fused binaryCrossEntropyWithLogits loss + gradient.
// softplus(t) = max(t, 0) + log1p(e^-|t|): two non-negative terms, no overflow, no cancellation.

// @ts-ignore: decorator
@inline
function softplus64(t: f64): f64 {
  return (t > 0 ? t : 0) + Math.log1p(Math.exp(-abs(t)));
}

// @ts-ignore: decorator
@inline
function sigmoid64(t: f64): f64 {
  if (t >= 0) return 1.0 / (1.0 + Math.exp(-t));
  const e = Math.exp(t);
  return e / (1.0 + e);
}

// @ts-ignore: decorator
@inline
function at(p: usize, i: i32): f64 {
  return <f64>load<f32>(p + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline
function put(p: usize, i: i32, v: f64): void {
  store<f32>(p + (<usize>i << 2), <f32>v);
}

export function logSigmoidF32(x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) put(out, i, -softplus64(-at(x, i)));
}

/** PyTorch's cut-off: x itself where x·β > threshold (compared in float64). */
export function softplusF32(x: usize, out: usize, n: i32, beta: f64, threshold: f64): void {
  for (let i = 0; i < n; i++) {
    const v = at(x, i);
    const t = v * beta;
    // β·x beyond float64 (threshold ∞): softplus(βx)/β is x itself, or 0 below
    put(out, i, t > threshold || t == Infinity ? v : t == -Infinity ? 0 : softplus64(t) / beta);
  }
}

export function logSigmoidBackwardF32(dy: usize, x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) put(out, i, at(dy, i) * sigmoid64(-at(x, i)));
}

export function softplusBackwardF32(dy: usize, x: usize, out: usize, n: i32, beta: f64, threshold: f64): void {
  for (let i = 0; i < n; i++) {
    const v = at(x, i);
    put(out, i, v * beta > threshold ? at(dy, i) : at(dy, i) * sigmoid64(v * beta));
  }
}

/**
 * binaryCrossEntropyWithLogits per element: loss = w·[pw·y·softplus(−x) + (1 − y)·softplus(x)]
 * (a zero coefficient adds nothing even against ∞) into lossOut (f64), and, when grad ≠ 0, the
 * gradient w·[(1 − y)·σ(x) − pw·y·σ(−x)]·scale. w and pw are f64 arrays already broadcast to n
 * (0 for none); gradScales f64 per element (or 0).
 */
export function bceWithLogitsF32(
  x: usize, y: usize, w: usize, pw: usize, lossOut: usize, grad: usize, n: i32,
  gradScale: f64, gradScales: usize, gradDivisor: f64,
): void {
  for (let i = 0; i < n; i++) {
    const v = at(x, i);
    const t = at(y, i);
    const wi = w ? load<f64>(w + (<usize>i << 3)) : 1.0;
    const p = pw ? load<f64>(pw + (<usize>i << 3)) : 1.0;
    const l = Math.log1p(Math.exp(-abs(v)));
    const pos = (v > 0 ? v : 0) + l; // softplus(x)
    const neg = (v < 0 ? -v : 0) + l; // softplus(−x)
    const py = p * t;
    const oy = 1.0 - t;
    let loss = (py != 0 ? py * neg : 0) + (oy != 0 ? oy * pos : 0);
    if (v != v) loss = NaN;
    store<f64>(lossOut + (<usize>i << 3), wi * loss);
    if (!grad) continue;
    const g = gradScale * (gradScales ? load<f64>(gradScales + (<usize>i << 3)) : 1.0) / gradDivisor;
    const s = sigmoid64(v);
    const sn = sigmoid64(-v);
    put(grad, i, wi * (oy * s - py * sn) * g);
  }
}
