/// <reference types="node" />
// `sigmax bench`: a quick timing of the main ops (a few seconds), in ns per element and
// millions of elements per second, float64 and float32. Timings vary between runs and machines;
// they are reported, never asserted.

import { type Command, Option } from 'commander';
import * as sx from 'sigmax';
import { boundedInt, boundedNumber } from '../args.js';
import type { RunState } from '../program.js';
import { EXIT, Ui, UsageError, table } from '../ui.js';
import { Rng } from 'sigmax/train';
import { getFastFloat64, setFastFloat64 } from 'sigmax/wasm';

interface Case {
  name: string;
  run: (x: sx.Tensor, y: sx.Tensor, t: Int32Array, out: sx.Tensor) => void;
}

/** Upper limits: --size allocates a few arrays of that many elements per dtype; --time is per op and dtype. */
export const BENCH_LIMITS = { size: 10_000_000, time: 60_000 } as const;

/** Row length of the softmax-family cases: a vocabulary-sized row is where these ops matter. */
const ROW = 1000;

const CASES: Case[] = [
  { name: 'sigmoid', run: (x, _y, _t, out) => void sx.sigmoid(x, { out }) },
  { name: 'sigmoidBackward', run: (x, y, _t, out) => void sx.sigmoidBackward(y, x, { out }) },
  { name: 'softplus', run: (x, _y, _t, out) => void sx.softplus(x, { out }) },
  { name: 'softmax', run: (x, _y, _t, out) => void sx.softmax(x, { out }) },
  { name: 'logSoftmax', run: (x, _y, _t, out) => void sx.logSoftmax(x, { out }) },
  { name: 'logSumExp', run: (x) => void sx.logSumExp(x) },
  { name: 'crossEntropyWithGrad', run: (x, _y, t, out) => void sx.crossEntropyWithGrad(x, t, { out }) },
  { name: 'binaryCrossEntropyWithLogitsWithGrad', run: (x, y, _t, out) => void sx.binaryCrossEntropyWithLogitsWithGrad(x, y, { out }) },
];

export function benchCommand(program: Command, state: RunState): Command {
  return program
    .command('bench')
    .description('a quick benchmark of the main ops (ns per element)')
    .option('--size <n>', `elements per call (rows of 1000 for the softmax family), at most ${BENCH_LIMITS.size.toLocaleString('en-US')}`, boundedInt(BENCH_LIMITS.size), 100_000)
    .option('--time <ms>', `time spent per op and dtype, at most ${BENCH_LIMITS.time} ms`, boundedNumber(BENCH_LIMITS.time), 200)
    .option('--ops <names>', `comma-separated subset of: ${CASES.map((c) => c.name).join(', ')}`)
    .addOption(new Option('--dtype <d>', 'float64, float32 or both').choices(['float64', 'float32', 'both']).default('both'))
    .option('--fast-float64', 'time float64 on the fast float64 kernels (sigmax/wasm setFastFloat64) instead of the exact ones')
    .option('--json', 'print one JSON object with the timings')
    .addHelpText('after', '\nEach op runs repeatedly on seeded random inputs for --time ms after one warm-up call;\nthe figure is wall time per element. A rough guide, not a measurement to compare across machines.')
    .action((flags: BenchFlags) => {
      const was = getFastFloat64();
      setFastFloat64(flags.fastFloat64 === true);
      try {
        state.code = bench(flags);
      } finally {
        setFastFloat64(was);
      }
    });
}

interface BenchFlags {
  size: number;
  time: number;
  ops?: string;
  dtype: string;
  fastFloat64?: boolean;
  json?: boolean;
}

function bench(f: BenchFlags): number {
  const ui = new Ui(f.json === true);
  const wanted = f.ops?.split(',').map((s) => s.trim());
  const unknown = wanted?.filter((w) => !CASES.some((c) => c.name === w));
  if (unknown?.length) throw new UsageError(`bench: unknown op '${unknown[0]}' (ops: ${CASES.map((c) => c.name).join(', ')})`);
  const cases = wanted ? CASES.filter((c) => wanted.includes(c.name)) : CASES;
  const dtypes = f.dtype === 'both' ? ['float64', 'float32'] : [f.dtype];
  const n = Math.max(ROW, Math.round(f.size / ROW) * ROW);
  const rng = new Rng(7);
  const rows: { op: string; dtype: string; elements: number; calls: number; nsPerElement: number; megaElementsPerSecond: number }[] = [];
  ui.line(ui.c.bold('sigmax bench') + ui.c.dim(` — ${n.toLocaleString('en-US')} elements per call, ${f.time} ms per op; backend ${sx.getBackend()}${f.fastFloat64 && sx.getBackend() === 'wasm' ? ', fast float64 kernels' : ''}`));
  for (const dtype of dtypes) {
    const make = (lo: number, hi: number) => {
      const a = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = rng.uniform(lo, hi);
      return sx.tensor(a, [n / ROW, ROW]);
    };
    const x = make(-10, 10);
    const y = sx.tensor((() => {
      const a = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) a[i] = rng.int(2);
      return a;
    })(), [n / ROW, ROW]);
    const t = Int32Array.from({ length: n / ROW }, () => rng.int(ROW));
    const out = sx.tensor(dtype === 'float32' ? new Float32Array(n) : new Float64Array(n), [n / ROW, ROW]);
    for (const c of cases) {
      c.run(x, y, t, out); // warm-up: compile before timing
      let calls = 0;
      const start = performance.now();
      let elapsed = 0;
      while (elapsed < f.time) {
        c.run(x, y, t, out);
        calls++;
        elapsed = performance.now() - start;
      }
      const ns = (elapsed * 1e6) / (calls * n);
      rows.push({ op: c.name, dtype, elements: n, calls, nsPerElement: ns, megaElementsPerSecond: 1e3 / ns });
    }
  }
  const lines = table([
    [ui.c.dim('op'), ui.c.dim('dtype'), ui.c.dim('ns/element'), ui.c.dim('M elements/s')],
    ...rows.map((r) => [r.op, r.dtype, r.nsPerElement.toFixed(1), r.megaElementsPerSecond.toFixed(2)]),
  ]);
  for (const l of lines) ui.line(l);
  ui.result({ command: 'bench', backend: sx.getBackend(), fastFloat64: f.fastFloat64 === true && sx.getBackend() === 'wasm', elementsPerCall: n, msPerOp: f.time, results: rows });
  return EXIT.ok;
}
