// npm run bench: sigmax against tfjs (cpu, wasm), onnxruntime (node, web) and a plain JS loop.
// See bench/README.md for what is measured and how. Writes bench/RESULTS.md and bench/results.json.
//
//   node --import tsx bench/run.ts [--quick] [--systems a,b,...] [--no-gemm] [--no-lce] [--no-sampling]
//     --quick        small shapes only (no 8192×32000, no sigmoid 16M), linearCrossEntropy on few
//                    tokens (projected), the sampling benchmark with 20 calls per cell
//     --systems      a subset of sigmax-wasm, sigmax-js, plain-js, tfjs-cpu, tfjs-wasm, ort-node, ort-web
//     --no-gemm      skip the GEMM rows
//     --no-lce       skip the linearCrossEntropy rows
//     --no-sampling  skip the sampling benchmark (bench/sampling.bench.ts) at the end

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIG, type Case, allCases, caseKey, makeInput, shapeName } from './lib/cases.js';
import { float64MeanLoss } from './lib/check.js';
import { type CopyResult, copy1, copy2, freshMemory } from './lib/copy.js';
import { GEMM_SHAPE } from './lib/gemm.js';
import { LCE_CHECK, LCE_SHAPE } from './lib/lce.js';
import { collect, cpuStallUs } from './lib/measure.js';
import { type Machine, accuracyTable, caseTable, targetTable, targets } from './lib/report.js';
import { type ChildConfig, type GemmRow, type LceRow, type SystemReport, type TaskReport, fromJson, toJson } from './lib/results.js';
import { embedSection, gemmTable, lceTable, userTargets } from './lib/userReport.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..');
const ALL_SYSTEMS = ['sigmax-wasm', 'sigmax-js', 'plain-js', 'tfjs-cpu', 'tfjs-wasm', 'ort-node', 'ort-web'];
/** Systems that can use a second thread (the others are timed at 1 thread only). */
const MULTI = new Set(['sigmax-wasm', 'sigmax-js', 'ort-node']);

/** Systems with GEMM rows, and with linear cross-entropy rows. */
const GEMM_SYSTEMS = ['sigmax-wasm', 'tfjs-wasm', 'ort-node', 'ort-web'];
const LCE_SYSTEMS = ['sigmax-wasm', 'tfjs-wasm'];

const args = process.argv.slice(2);
const FLAGS = ['--quick', '--systems', '--no-gemm', '--no-lce', '--no-sampling'];
for (const a of args) if (a.startsWith('--') && !FLAGS.includes(a)) throw new Error(`unknown option '${a}' (expected ${FLAGS.join(', ')})`);
const quick = args.includes('--quick');
const sysArg = args.indexOf('--systems');
const systemIds = sysArg >= 0 ? args[sysArg + 1].split(',') : ALL_SYSTEMS;
for (const s of systemIds) if (!ALL_SYSTEMS.includes(s)) throw new Error(`unknown system '${s}' (expected ${ALL_SYSTEMS.join(', ')})`);
const doGemm = !args.includes('--no-gemm');
const doLce = !args.includes('--no-lce');
const doSampling = !args.includes('--no-sampling');
/** The sampling benchmark's calls per cell (the full run's command is `--iters 200`). */
const SAMPLING_ITERS = quick ? 20 : 200;

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
  'sigmax-wasm': 170,
  'sigmax-js': 35,
  'plain-js': 40,
  'tfjs-cpu': 40,
  'tfjs-wasm': 50,
  'ort-node': 150,
  'ort-web': 65,
};
/** The GEMM child's share, s (about 10 s is enough on this project's machine). */
const GEMM_BUDGET_S = 40;
/**
 * The linear cross-entropy child's share, s: the measurement takes the largest token count whose
 * projection (from the probe) fits what is left of it. sigmax's covers the full N = 4096 at the
 * speed of this project's machine; the tfjs-wasm composition (about 5× slower per token) is
 * timed on fewer tokens and projected.
 */
const LCE_BUDGET_S: Record<string, number> = quick ? { 'sigmax-wasm': 20, 'tfjs-wasm': 20 } : { 'sigmax-wasm': 150, 'tfjs-wasm': 40 };
const LCE_PROBE_N = quick ? 128 : 256;
/** A child is killed this long after its budget (a call in flight may take tens of seconds on a busy machine). */
const GRACE_S = 120;

/** Runs one child (bench/child.ts) with its config; its output file (if any) and why it stopped (if not with 0). */
async function runChild(cfg: ChildConfig, tag: string): Promise<{ out?: string; exit?: string }> {
  const cfgPath = path.join(tmp, `${tag}.config.json`);
  const outPath = path.join(tmp, `${tag}.json`);
  writeFileSync(cfgPath, JSON.stringify(cfg));
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
  return { out: existsSync(outPath) ? readFileSync(outPath, 'utf8') : undefined, exit };
}

const childDefaults = { bigLoss, maxCallS: 5, singleCallS: 2.5, bigBudgetS: 2.5, smallBudgetMs: 150, warmupMs: 40 };

for (const id of systemIds) {
  const cfg: ChildConfig = {
    system: id,
    task: 'ops',
    cases: cases.filter((c) => c.threads === 1 || MULTI.has(id)),
    ...childDefaults,
    budgetS: BUDGET_S[id],
  };
  say(`\n${id}:`);
  const t0 = performance.now();
  const { out, exit } = await runChild(cfg, id);
  let rep: SystemReport;
  if (out !== undefined) rep = fromJson<SystemReport>(out);
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
  delete (rep as Partial<TaskReport>).gemm;
  delete (rep as Partial<TaskReport>).lce;
  say(`  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  reports.push(rep);
}

// ---- GEMM and linear cross-entropy: one child per system and task ------------------------------
const gemmRows: GemmRow[] = [];
const lceRows: LceRow[] = [];
/** Each task child's process: its info line, peak memory and time, for the report. */
const taskInfo: { task: string; system: string; line: string }[] = [];
for (const task of ['gemm', 'lce'] as const) {
  if ((task === 'gemm' && !doGemm) || (task === 'lce' && !doLce)) continue;
  for (const id of systemIds.filter((s) => (task === 'gemm' ? GEMM_SYSTEMS : LCE_SYSTEMS).includes(s))) {
    const cfg: ChildConfig = {
      system: id,
      task,
      cases: [],
      ...childDefaults,
      budgetS: task === 'gemm' ? GEMM_BUDGET_S : LCE_BUDGET_S[id],
      ...(task === 'gemm' ? { gemm: GEMM_SHAPE } : { lce: { ...LCE_SHAPE, probeN: LCE_PROBE_N } }),
    };
    say(`\n${id} ${task === 'gemm' ? 'GEMM' : 'linearCrossEntropy'}:`);
    const t0 = performance.now();
    const { out, exit } = await runChild(cfg, `${id}.${task}`);
    const rep = out !== undefined ? fromJson<TaskReport>(out) : undefined;
    const name = rep?.name ?? id;
    const list = task === 'gemm' ? rep?.gemm ?? [] : rep?.lce ?? [];
    if (!rep?.available || (exit && list.length === 0)) {
      const note = rep?.available === false ? `not available: ${rep.info}` : `no result: ${exit ?? 'no output'}`;
      say(`  ${note}`);
      if (task === 'gemm') gemmRows.push({ system: id, systemName: name, variant: '-', label: '–', threads: '–', ...GEMM_SHAPE, status: 'error', note });
      else lceRows.push({ system: id, systemName: name, variant: '-', label: '–', threads: '–', ...LCE_SHAPE, status: 'error', note });
    } else {
      if (exit) for (const r of list) if (r.status === 'ok' && (task === 'lce' ? (r as LceRow).seconds === undefined : (r as GemmRow).gflops === undefined)) Object.assign(r, { status: 'error', note: `child ${exit}` });
      if (task === 'gemm') gemmRows.push(...(list as GemmRow[]));
      else lceRows.push(...(list as LceRow[]));
    }
    if (rep?.seconds !== undefined) taskInfo.push({ task, system: id, line: `${name}: ${rep.seconds} s, peak ${((rep.maxRssMB ?? 0) / 1024).toFixed(1)} GB resident${exit ? ` — child ${exit}` : ''}` });
    say(`  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
}
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

// ---- the sampling benchmark ------------------------------------------------------------------
/**
 * bench/sampling.bench.ts as a child process. Where it takes `--out <path>` it writes there (a
 * temporary file); otherwise it writes bench/SAMPLING-RESULTS.md, which is read and then put back
 * as it was (unless something else changed it meanwhile), so that a bench run leaves that file's
 * committed text alone.
 */
async function sampling(): Promise<{ ok: boolean; command: string; text: string; seconds: number }> {
  const script = path.join(HERE, 'sampling.bench.ts');
  const command = `node --import tsx bench/sampling.bench.ts --iters ${SAMPLING_ITERS}`;
  const t0 = performance.now();
  const secs = () => (performance.now() - t0) / 1000;
  if (!existsSync(script)) return { ok: false, command, text: 'bench/sampling.bench.ts is missing', seconds: 0 };
  const takesOut = /['"]--out['"]/.test(readFileSync(script, 'utf8'));
  const resultsFile = path.join(HERE, 'SAMPLING-RESULTS.md');
  const target = takesOut ? path.join(tmp, 'sampling.md') : resultsFile;
  const before = !takesOut && existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8') : undefined;
  const argv = ['--import', 'tsx', script, '--iters', String(SAMPLING_ITERS), ...(takesOut ? ['--out', target] : [])];
  say(`\nsampling: ${command}${takesOut ? ` --out <temporary file>` : ''}`);
  const exit = await new Promise<string | undefined>((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let tail = '';
    child.stderr.on('data', (d: Buffer) => {
      const s = d.toString();
      process.stderr.write(s);
      tail = (tail + s).slice(-2000);
    });
    const limit = 600;
    const timer = setTimeout(() => child.kill('SIGKILL'), limit * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // the error line of a stack trace says more than its last lines
      const lines = tail.trim().split('\n');
      const err = lines.find((l) => /^\w*Error\b/.test(l));
      resolve(code === 0 ? undefined : `exited with ${signal ?? `code ${code}`}${signal === 'SIGKILL' ? ` (killed at ${limit} s)` : ''}: ${err ?? lines.slice(-3).join(' | ')}`);
    });
  });
  const after = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
  if (!takesOut && before !== undefined && after !== undefined && after !== before) writeFileSync(resultsFile, before);
  if (exit) return { ok: false, command, text: exit, seconds: secs() };
  if (after === undefined || (!takesOut && after === before)) return { ok: false, command, text: `it exited without writing ${takesOut ? 'its output' : 'bench/SAMPLING-RESULTS.md'}`, seconds: secs() };
  return { ok: true, command, text: after, seconds: secs() };
}
const samp = doSampling ? await sampling() : undefined;
if (samp) say(`  (${samp.seconds.toFixed(0)} s${samp.ok ? '' : `; failed: ${samp.text}`})`);
rmSync(tmp, { recursive: true, force: true });

// ---- the report ------------------------------------------------------------------------------
const stall1 = cpuStallUs();
machine.durationS = (performance.now() - t00) / 1000;
machine.loadAfter = load();
if (stall0 !== undefined && stall1 !== undefined) machine.cpuPressure = (stall1 - stall0) / (machine.durationS * 1e6);

const sigmaxRef = reports.find((r) => r.system === 'sigmax-wasm' && r.available) ? 'sigmax-wasm' : 'sigmax-js';
const tgt = targets(reports, cases, copies, copies2);
const userTgt = userTargets(reports, cases, gemmRows, lceRows);
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
for (const t of taskInfo) md.push(`- ${t.task === 'gemm' ? 'GEMM' : 'linearCrossEntropy'} process of ${t.line}`);
md.push('');
md.push('## Targets at the defaults: user calls, threads, GEMM and linearCrossEntropy', '');
md.push(
  "Read on the sigmax wasm backend. **Default settings** means the call as a user makes it without tuning: sigmax never given setBackend or setThreads ('auto' and 'auto': " +
    `${reports.find((r) => r.system === 'sigmax-wasm')?.rows.find((r) => r.variant === 'alloc-defaults' && r.threadsLabel)?.threadsLabel ?? 'see the tables'} here), ` +
    "onnxruntime-node on a session created without intraOpNumThreads (its own intra-op thread pool), tfjs-wasm and onnxruntime-web as they come (both run one thread in Node on this machine). The **1-thread kernel** is sigmax's faster of the preallocated `out` and zero-copy calls at setThreads(1). A ratio is sigmax's time ÷ the other's (below 1: sigmax faster); ✗ marks the comparisons that miss. A target over several ops passes when every op measured passes.",
  '',
);
md.push(targetTable(userTgt));
md.push('## Per-op speed targets, on the sigmax wasm backend', '');
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
if (doGemm) {
  const { M, K, N } = GEMM_SHAPE;
  md.push(`## GEMM: float32 C = A·B, ${M}×${K}·${K}×${N}`, '');
  md.push(
    `One token block of the linear cross-entropy's logits (${M} tokens, hidden size ${K}, vocabulary ${N}): 2·M·N·K = ${((2 * M * N * K) / 1e9).toFixed(1)} GFLOP per call. GFLOP/s from the median of 3 to 7 calls after a checked first call (best: the fastest call). Each call is checked on 8 rows against a float64 product; max error is |C − C_ref| ÷ (K·max|a|·max|b|). sigmax's calls include staging the operands into the wasm memory and the result out; tfjs-wasm's leaves its product in the backend; onnxruntime's allocates its output.`,
    '',
  );
  md.push(gemmTable(gemmRows));
}
if (doLce) {
  const { N, D, V } = LCE_SHAPE;
  md.push(`## linearCrossEntropy forward + backward, N = ${N}, D = ${D}, V = ${V}`, '');
  md.push(
    `Loss (mean over the tokens) and the gradients wrt the hidden states and the weight, float32, one process per system. Each is first checked at ${LCE_CHECK.N}×${LCE_CHECK.D}×${LCE_CHECK.V} (N×D×V) against a float64 reference (loss within 1e−5 relative, gradients within 1e−5·max + 1e−3·|ref|). Then a probe at N = ${LCE_PROBE_N} tokens, and the measurement at the largest N (halving from ${N}) whose projection fits the system's time share (${Object.entries(LCE_BUDGET_S).map(([k, v]) => `${k} ${v} s`).join(', ')}); where that is less than ${N}, the time at ${N} is projected linearly (every part of the work is linear in N). **Peak extra memory**: the process's resident high-water mark over the probe and the measurement minus its resident memory before them (inputs, the preallocated gradient outputs and the started worker threads are already resident), against the logits' N·V·4 bytes at the timed N.`,
    '',
  );
  md.push(lceTable(lceRows));
}
md.push('## Timings', '');
md.push(
  `Median time per call, as ns per input element. GB/s counts the input read once and the output written once. × copy: time ÷ the copy of the same number of floats in this run. ÷ ${sigmaxRef.replace('-', ' ')}: time ÷ that of sigmax (its \`out\` call for out/op rows, its allocating call at the defaults for the rows at a library's defaults, its 1-thread allocating call for the other alloc/api rows), so > 1 means sigmax is faster. Timed calls: **alloc** sigmax's allocating call; **out** a preallocated output; **zero-copy** sigmax/wasm arrays in the wasm memory; **alloc, defaults** sigmax's allocating call in a state where setBackend and setThreads were never called; **api** the peer's user call (tensor from the Float32Array, the op, the result back in a typed array); **api, defaults** onnxruntime-node's user call on a session created with default options; **op alone** the peer's op on a tensor made beforehand; **api, loss only** onnxruntime's SoftmaxCrossEntropyLoss without a gradient. **threads**: 1 or 2 where the bench set the count (sigmax setThreads, onnxruntime-node intraOpNumThreads); "defaults (n)" where the library chose (n: the count it resolved to; onnxruntime-node does not report its pool's size). tfjs and onnxruntime-web run at their defaults throughout.`,
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
if (samp) {
  md.push('');
  if (samp.ok) md.push(embedSection(samp.text, 'Sampling', `From \`${samp.command}\`, run by bench/run.ts at the end of this run (${samp.seconds.toFixed(0)} s); the section below is that command's output.`));
  else md.push('## Sampling', '', `The sampling benchmark (\`${samp.command}\`, run by bench/run.ts at the end of this run) failed: ${samp.text}`, '');
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
      targetsAtDefaults: userTgt,
      systems: reports,
      gemm: gemmRows,
      linearCrossEntropy: lceRows,
      taskProcesses: taskInfo,
      ...(samp ? { sampling: { command: samp.command, ok: samp.ok, seconds: samp.seconds, ...(samp.ok ? {} : { error: samp.text }) } } : {}),
    },
    1,
  ),
);
process.stdout.write(text + '\n');
say(`\nwrote bench/RESULTS.md and bench/results.json (${machine.durationS.toFixed(0)} s)`);
