// Float64 scalar helpers of the elementwise kernels: softplus and sigmoid in float64
// (AssemblyScript's exp/log1p, about 1 ulp of float64), and float32 loads and stores by index.
// softplus(t) = max(t, 0) + log1p(e^-|t|): two non-negative terms, no overflow, no cancellation.

// @ts-ignore: decorator
@inline
export function softplus64(t: f64): f64 {
  return (t > 0 ? t : 0) + Math.log1p(Math.exp(-abs(t)));
}

// @ts-ignore: decorator
@inline
export function sigmoid64(t: f64): f64 {
  if (t >= 0) return 1.0 / (1.0 + Math.exp(-t));
  const e = Math.exp(t);
  return e / (1.0 + e);
}

// @ts-ignore: decorator
@inline
export function at(p: usize, i: i32): f64 {
  return <f64>load<f32>(p + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline
export function put(p: usize, i: i32, v: f64): void {
  store<f32>(p + (<usize>i << 2), <f32>v);
}
