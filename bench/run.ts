// npm run bench: sigmax against tfjs (cpu, wasm), onnxruntime (node, web) and a plain JS loop.
// See bench/README.md for what is measured and how. Writes bench/RESULTS.md and bench/results.json.
//
//   node --import tsx bench/run.ts [--quick] [--systems a,b,...]
//     --quick       small shapes only (no 8192×32000, no sigmoid 16M)
//     --systems     a subset of sigmax-wasm, sigmax-js, plain-js, tfjs-cpu, tfjs-wasm, ort-node, ort-web

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIG, type Case, allCases, caseKey, makeInput, shapeName } from './lib/cases.js';
import { float64MeanLoss } from './lib/check.js';
import { type CopyResult, copy1, copy2, freshMemory } from './lib/copy.js';
import { collect, cpuStallUs } from './lib/measure.js';
import { type Machine, accuracyTable, caseTable, targetTable, targets } from './lib/report.js';
import { type ChildConfig, type SystemReport, fromJson, toJson } from './lib/results.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..');
const ALL_SYSTEMS = ['sigmax-wasm', 'sigmax-js', 'plain-js', 'tfjs-cpu', 'tfjs-wasm', 'ort-node', 'ort-web'];
/** Systems that can use a second thread (the others are timed at 1 thread only). */
const MULTI = new Set(['sigmax-wasm', 'sigmax-js', 'ort-node']);

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const sysArg = args.indexOf('--systems');
const systemIds = sysArg >= 0 ? args[sysArg + 1].split(',') : ALL_SYSTEMS;
for (const s of systemIds) if (!ALL_SYSTEMS.includes(s)) throw new Error(`unknown system '${s}' (expected ${ALL_SYSTEMS.join(', ')})`);

const say = (s: string): void => void process.stderr.write(s + '\n');
const t00 = performance.now();

// ---- the machine ----------------------------------------------------------------------------
function lscpu(field: string): string | undefined {
  try {
    const out = execFileSync('lscpu', { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    return new RegExp(`^${field}:\\s*(.+)$`, 'm').exec(out)?.[1]?.trim();
  } catch {
    return undefined;
  }
}
const load = (): string => os.loadavg().map((v) => v.toFixed(2)).join(' / ');
const machine: Machine = {
  cpu: lscpu('Model name') ?? os.cpus()[0]?.model ?? 'unknown',
  cores: os.availableParallelism?.() ?? os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  loadBefore: load(),
};
const stall0 = cpuStallUs();
say(`sigmax bench: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; load average ${machine.loadBefore}`);
if (os.loadavg()[0] > machine.cores * 0.5) say(`  note: the machine is busy (load ${machine.loadBefore}); timings will be noisy`);

const cases: Case[] = allCases().filter((c) => !quick || !c.big);

// ---- the copy yardstick and the big-shape loss reference --------------------------------------
const copies = new Map<string, CopyResult>();
const copies2 = new Map<string, CopyResult>();
for (const c of cases) {
  const key = `${c.rows}x${c.cols}`;
  if (copies.has(key)) continue;
  copies.set(key, await copy1(c.rows * c.cols, c.big));
  say(`  copy ${shapeName(c).padEnd(18)} 1 thread  ${copies.get(key)!.nsPerElement.toFixed(3)} ns/element, ${copies.get(key)!.gbPerS.toFixed(1)} GB/s`);
}
if (!quick) {
  const key = `${BIG[0]}x${BIG[1]}`;
  copies2.set(key, await copy2(BIG[0] * BIG[1]));
  say(`  copy ${shapeName({ rows: BIG[0], cols: BIG[1] }).padEnd(18)} 2 threads ${copies2.get(key)!.nsPerElement.toFixed(3)} ns/element, ${copies2.get(key)!.gbPerS.toFixed(1)} GB/s`);
}
const fresh = await freshMemory(1 << 24);
machine.freshMemory = `allocating and first touching fresh memory costs ${fresh.nsPerElement.toFixed(2)} ns per float32 (${fresh.usPerPage.toFixed(1)} µs per 4 KB page), measured as new Float32Array(16M).fill() minus filling an existing array`;
say(`  ${machine.freshMemory}`);
const bigLoss: Record<string, number> = {};
if (!quick) {
  collect();
  const { x, target } = makeInput(BIG[0], BIG[1], 'crossEntropy');
  bigLoss[`${BIG[0]}x${BIG[1]}`] = float64MeanLoss(x, target, BIG[0], BIG[1]);
}
collect();

// ---- one child process per system --------------------------------------------------------------
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sigmax-bench-'));
const reports: SystemReport[] = [];
/** Each system's share of the run, s (its process stops starting new cases after it). */
const BUDGET_S: Record<string, number> = {
  'sigmax-wasm': 150,
  'sigmax-js': 35,
  'plain-js': 40,
  'tfjs-cpu': 40,
  'tfjs-wasm': 50,
  'ort-node': 135,
  'ort-web': 65,
};
/** A child is killed this long after its budget (a call in flight may take tens of seconds on a busy machine). */
const GRACE_S = 120;

for (const id of systemIds) {
  const cfg: ChildConfig = {
    system: id,
    cases: cases.filter((c) => c.threads === 1 || MULTI.has(id)),
    bigLoss,
    maxCallS: 5,
    singleCallS: 2.5,
    bigBudgetS: 2.5,
    smallBudgetMs: 150,
    warmupMs: 40,
    budgetS: BUDGET_S[id],
  };
  const cfgPath = path.join(tmp, `${id}.config.json`);
  const outPath = path.join(tmp, `${id}.json`);
  writeFileSync(cfgPath, JSON.stringify(cfg));
  say(`\n${id}:`);
  const t0 = performance.now();
  const exit = await new Promise<string | undefined>((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(HERE, 'child.ts'), cfgPath, outPath], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let tail = '';
    child.stderr.on('data', (d: Buffer) => {
      const s = d.toString();
      process.stderr.write(s);
      tail = (tail + s).slice(-2000);
    });
    const limit = cfg.budgetS + GRACE_S;
    const timer = setTimeout(() => child.kill('SIGKILL'), limit * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(undefined);
      else resolve(`exited with ${signal ?? `code ${code}`}${signal === 'SIGKILL' ? ` (killed at ${limit} s)` : ''}: ${tail.trim().split('\n').slice(-3).join(' | ')}`);
    });
  });
  let rep: SystemReport;
  if (existsSync(outPath)) rep = fromJson<SystemReport>(readFileSync(outPath, 'utf8'));
  else rep = { system: id, name: id, info: exit ?? 'no output', available: false, rows: [] };
  if (exit) rep.exit = exit;
  if (!rep.available) {
    say(`  ${rep.info}`);
    rep.rows = cfg.cases.map((c) => ({
      system: id, systemName: rep.name, variant: '-', kind: '-', label: '', op: c.op, rows: c.rows, cols: c.cols, threads: c.threads,
      status: 'unavailable', note: rep.info,
    }));
  } else if (exit) {
    // Cases the child never reached.
    for (const c of cfg.cases) {
      if (!rep.rows.some((r) => caseKey(r) === caseKey(c))) {
        rep.rows.push({ system: id, systemName: rep.name, variant: '-', kind: '-', label: '', op: c.op, rows: c.rows, cols: c.cols, threads: c.threads, status: 'error', note: `not reached: ${exit}` });
      }
    }
  }
  say(`  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  reports.push(rep);
}
rmSync(tmp, { recursive: true, force: true });

// The big copies once more: the yardstick is the faster of the two (a busy moment at the start
// must not flatter the ops), and both are in results.json.
const copiesStart = new Map(copies);
const copies2Start = new Map(copies2);
const again1 = new Set<string>();
for (const c of cases) {
  const key = `${c.rows}x${c.cols}`;
  if (!c.big || again1.has(key)) continue;
  again1.add(key);
  const again = await copy1(c.rows * c.cols, true);
  say(`  copy ${shapeName(c).padEnd(18)} 1 thread  ${again.nsPerElement.toFixed(3)} ns/element at the end`);
  if (again.nsPerElement < copies.get(key)!.nsPerElement) copies.set(key, again);
}
for (const [key, first] of copies2Start) {
  const again = await copy2(first.n);
  say(`  copy ${key.padEnd(18)} 2 threads ${again.nsPerElement.toFixed(3)} ns/element at the end`);
  if (again.nsPerElement < first.nsPerElement) copies2.set(key, again);
}

// ---- the report ------------------------------------------------------------------------------
const stall1 = cpuStallUs();
machine.durationS = (performance.now() - t00) / 1000;
machine.loadAfter = load();
if (stall0 !== undefined && stall1 !== undefined) machine.cpuPressure = (stall1 - stall0) / (machine.durationS * 1e6);

const sigmaxRef = reports.find((r) => r.system === 'sigmax-wasm' && r.available) ? 'sigmax-wasm' : 'sigmax-js';
const tgt = targets(reports, cases, copies, copies2);
const md: string[] = [];
md.push('# sigmax benchmark results', '');
md.push('Generated by `npm run bench` (bench/run.ts); what is measured and how: [README.md](README.md). Raw numbers: [results.json](results.json).', '');
md.push('## Machine', '');
md.push(`- CPU: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB memory; ${machine.os}`);
md.push(`- Node ${machine.node}; date ${machine.date}; the whole run took ${machine.durationS.toFixed(0)} s (after the peers' install)`);
md.push(`- Memory: ${machine.freshMemory}. Calls that allocate large outputs (sigmax alloc, the peers' api rows, and whatever a library allocates inside) pay this on every call.`);
md.push(
  `- Load average (1/5/15 min) before ${machine.loadBefore}, after ${machine.loadAfter}` +
    (machine.cpuPressure !== undefined ? `; CPU pressure (share of time some task waited for a CPU) over the run: ${(100 * machine.cpuPressure).toFixed(1)}%` : '') +
    '. Rows marked ⚠ had more than 10% CPU pressure while they were sampled (another process competed for the cores).',
);
md.push('');
md.push('## Systems', '');
for (const r of reports) {
  const res = r.seconds !== undefined ? ` (its process: ${r.seconds} s, peak ${(r.maxRssMB! / 1024).toFixed(1)} GB resident)` : '';
  md.push(`- **${r.name}** (${r.system}): ${r.available ? r.info : `not measured: ${r.info}`}${res}${r.exit ? ` — child ${r.exit}` : ''}`);
}
md.push('');
md.push('## Speed targets, on the sigmax wasm backend', '');
md.push(
  'Absolute targets are read on sigmax\'s faster kernel call: with a preallocated `out` (input and output copied in and out of the wasm memory), or zero-copy with sigmax/wasm arrays that live in the wasm memory (both shown, and the allocating call beside them); "faster than" compares the user-facing calls (sigmax allocating vs the peer\'s tensor-in/array-out API) and the kernels (sigmax out/zero-copy vs the peer\'s op alone) and passes only if both are faster.',
  '',
);
md.push(targetTable(tgt));
md.push('## Accuracy: max error in float32 ulps against the sigmax js reference (correctly rounded)', '');
md.push(
  'Over every shape checked (big shapes on sampled rows). Cross-entropy: the gradient, and in parentheses the mean loss. ✗: failed the sanity check somewhere (see the tables). The plain JS loop and most peers round p_t − 1 after p_t was rounded to float32, which loses the gradient at confident targets (every 8th row of the input).',
  '',
);
md.push(accuracyTable(reports));
md.push('## Timings', '');
md.push(
  `Median time per call, as ns per input element. GB/s counts the input read once and the output written once. × copy: time ÷ the copy of the same number of floats in this run. ÷ ${sigmaxRef.replace('-', ' ')}: time ÷ that of sigmax (its allocating call for alloc/api rows, its \`out\` call for out/op rows), so > 1 means sigmax is faster. Timed calls: **alloc** sigmax's allocating call; **out** a preallocated output; **api** the peer's user call (tensor from the Float32Array, the op, the result back in a typed array); **op alone** the peer's op on a tensor made beforehand; **api, loss only** onnxruntime's SoftmaxCrossEntropyLoss without a gradient.`,
  '',
);
const seenCase = new Set<string>();
for (const c of cases) {
  const k = caseKey(c);
  if (seenCase.has(k)) continue;
  seenCase.add(k);
  const key = `${c.rows}x${c.cols}`;
  md.push(caseTable(reports, c, copies.get(key), c.threads === 2 ? copies2.get(key) : undefined, sigmaxRef));
}
const text = md.join('\n');
writeFileSync(path.join(HERE, 'RESULTS.md'), text);
writeFileSync(
  path.join(HERE, 'results.json'),
  toJson(
    {
      machine,
      copies: Object.fromEntries(copies),
      copies2threads: Object.fromEntries(copies2),
      copiesAtStart: Object.fromEntries(copiesStart),
      copies2threadsAtStart: Object.fromEntries(copies2Start),
      bigLossReference: bigLoss,
      targets: tgt,
      systems: reports,
    },
    1,
  ),
);
process.stdout.write(text + '\n');
say(`\nwrote bench/RESULTS.md and bench/results.json (${machine.durationS.toFixed(0)} s)`);
