// The float64 sum of per-row losses, in row order, as a double-double (hi, lo) continued from
// out[0], out[1]: each value is added to hi with TwoSum and the rounding errors are summed in lo
// (error about n·2^-106 relative, far below a float64 ulp of the result), then hi + lo is
// renormalised (the caller continues from it chunk by chunk). Done on one thread, in row order, so the total does not depend on how the rows
// were split across threads. A non-finite total keeps lo = 0.

export function ddSumF64(p: usize, n: i32, out: usize): void {
  let hi: f64 = load<f64>(out);
  let lo: f64 = load<f64>(out, 8);
  for (let i = 0; i < n; i++) {
    const v = load<f64>(p + (<usize>i << 3));
    const s = hi + v;
    const bb = s - hi;
    lo += (hi - (s - bb)) + (v - bb);
    hi = s;
  }
  if (hi - hi != 0) {
    // ±∞ or NaN: the errors are meaningless (NaN) and are dropped
    store<f64>(out, hi);
    store<f64>(out, 0, 8);
    return;
  }
  const s = hi + lo;
  store<f64>(out, s);
  store<f64>(out, lo - (s - hi), 8);
}
