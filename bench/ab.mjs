// node bench/ab.mjs <dist folder>: times 30 float32 calls (alloc, out and zero-copy; softmax, logSoftmax,
// logSumExp, cross-entropy, sigmoid; short and long rows) of one built sigmax (npm run build's dist/) and prints
// ns/element, the median of 9. Run it for two builds in turn (e.g. a worktree of an earlier commit and this one)
// to compare them on the same machine within minutes; the full peer comparison is npm run bench. A second
// argument sets the threads (default 1). The data comes from a tiny LCG of its own, not src/core/rng.ts, so that
// builds from before that generator existed can be compared on the same inputs.
const sx = await import(new URL(process.argv[2] + '/index.js', 'file://' + process.cwd() + '/').href);
const W = await import(new URL(process.argv[2] + '/wasm/index.js', 'file://' + process.cwd() + '/').href);
sx.setBackend('wasm');
sx.setThreads(Number(process.argv[3] ?? 1));
function rand(n) { const a = new Float32Array(n); let x = 12345; for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; a[i] = (x / 2 ** 32 - 0.5) * 8; } return a; }
const cases = [['softmax', 32, 32000], ['logSoftmax', 32, 32000], ['crossEntropy', 32, 32000], ['softmax', 4096, 10], ['logSoftmax', 4096, 10], ['crossEntropy', 4096, 10], ['logSumExp', 4096, 10], ['softmax', 1, 151936], ['sigmoid', 1, 1 << 20], ['softmax', 512, 1000]];
const res = [];
for (const [op, rows, cols] of cases) for (const mode of ['alloc', 'out', 'zc']) {
  const n = rows * cols; const zc = mode === 'zc';
  const xd = zc ? W.allocFloat32(n) : new Float32Array(n); xd.set(rand(n));
  const x = sx.tensor(xd, [rows, cols]); const t = new Int32Array(rows).map((_, i) => (i * 7) % cols);
  const out = mode === 'alloc' ? undefined : zc ? W.allocFloat32(n) : new Float32Array(n);
  const o = out ? { out } : undefined; const lo = out ? { out: out.subarray(0, rows) } : undefined;
  const f = { softmax: () => sx.softmax(x, o), logSoftmax: () => sx.logSoftmax(x, o), logSumExp: () => sx.logSumExp(x, lo), sigmoid: () => sx.sigmoid(xd, o), crossEntropy: () => sx.crossEntropyWithGrad(x, t, o) }[op];
  const reps = Math.max(3, Math.round(2e7 / n / 5)); f();
  const ts = []; for (let k = 0; k < 9; k++) { const t0 = performance.now(); for (let i = 0; i < reps; i++) f(); ts.push((performance.now() - t0) / reps); }
  ts.sort((a, b) => a - b); res.push(`${op} ${rows}x${cols} ${mode} ${(ts[4] * 1e6 / n).toFixed(3)}`);
}
console.log(res.join('\n'));
