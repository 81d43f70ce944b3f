// One system's run, in its own process (so one library's threads, heaps and JIT state never
// weigh on another's timings): node --expose-gc --import tsx bench/child.ts CONFIG.json OUT.json
// Task 'ops' (the default): for each case, make the input, compute the sigmax 'js' reference,
// then for each variant run one call, check it against the reference, and time it. Task 'gemm':
// the system's matrix products at one shape, checked on sampled rows, in GFLOP/s. Task 'lce':
// its linear cross-entropy, checked at a small shape, then timed at the target's shape (or fewer
// tokens, projected, when that would not fit its time share), with the process's peak extra
// memory. OUT.json is rewritten after each case, so a crash still leaves what was measured.

import { readFileSync, writeFileSync } from 'node:fs';
import { type Case, bytesMoved, caseKey, makeInput } from './lib/cases.js';
import { type Reference, compare, reference } from './lib/check.js';
import { GEMM_TOLERANCE, gemmError, gemmFlops, gemmInputs } from './lib/gemm.js';
import { LCE_CHECK, lceCheck, lceInputs, lceMeasureN, lceReference } from './lib/lce.js';
import { collect, measure } from './lib/measure.js';
import { type ChildConfig, type GemmRow, type LceRow, type Row, type SystemReport, toJson } from './lib/results.js';
import type { Runner, System, Variant } from './lib/types.js';
import { useBackend } from './systems/sigmax.js';

const [configPath, outPath] = process.argv.slice(2);
const cfg = JSON.parse(readFileSync(configPath, 'utf8')) as ChildConfig;

async function load(id: string): Promise<System> {
  switch (id) {
    case 'sigmax-js':
    case 'sigmax-wasm':
      return (await import('./systems/sigmax.js')).sigmaxSystem(id === 'sigmax-js' ? 'js' : 'wasm');
    case 'plain-js':
      return (await import('./systems/plain.js')).plainSystem();
    case 'tfjs-cpu':
    case 'tfjs-wasm':
      return (await import('./systems/tfjs.js')).tfjsSystem(id === 'tfjs-cpu' ? 'cpu' : 'wasm');
    case 'ort-node':
    case 'ort-web':
      return (await import('./systems/ort.js')).ortSystem(id === 'ort-node' ? 'node' : 'web');
  }
  throw new Error(`unknown system ${id}`);
}

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0].slice(0, 300);
const log = (s: string): void => void process.stderr.write(s + '\n');
const T0 = performance.now();
const clock = (): string => `${((performance.now() - T0) / 1000).toFixed(1).padStart(5)}s`;

const report: SystemReport & { gemm: GemmRow[]; lce: LceRow[] } = { system: cfg.system, name: cfg.system, info: '', available: false, rows: [], gemm: [], lce: [] };
/** The resident high-water mark before the last reset (lceTask resets it to measure one call). */
let peakBeforeReset = 0;
const save = (): void => {
  // VmHWM is this process's own; maxRSS (getrusage) starts from the parent's at the fork.
  report.maxRssMB = Math.round(Math.max(peakBeforeReset, memory().peak) / 2 ** 20);
  report.seconds = Math.round((performance.now() - T0) / 1000);
  writeFileSync(outPath, toJson(report));
};
const overBudget = (): boolean => performance.now() - T0 > cfg.budgetS * 1000;
const OVER = (): string => `not timed: this system's ${cfg.budgetS} s share of the run's time ran out (the machine was busy)`;

let system: System;
try {
  system = await load(cfg.system);
  report.name = system.name;
  report.info = await system.setup();
  report.available = true;
} catch (e) {
  report.info = msg(e);
  save();
  process.exit(0);
}
save();

/** Runs a prepared call once, timed, ms. */
async function timeOnce(r: Runner): Promise<number> {
  const t0 = performance.now();
  if (r.async) await r.call();
  else r.call();
  return performance.now() - t0;
}

/**
 * The GEMM rows: each of the system's products at cfg.gemm's shape, one checked call (against a
 * float64 reference on 8 rows; it is also the warm-up), then at least 3 and up to 7 calls within
 * about 1.5 s, their median in GFLOP/s (and the fastest sample's).
 */
async function gemmTask(): Promise<void> {
  const { M, K, N } = cfg.gemm!;
  const { a, b } = gemmInputs(M, K, N);
  for (const v of system.gemm ?? []) {
    const row: GemmRow = { system: system.id, systemName: system.name, variant: v.id, label: v.label, threads: v.threads, M, K, N, status: 'ok' };
    if (v.threadCount !== undefined) row.threadCount = v.threadCount;
    report.gemm.push(row);
    if (overBudget()) {
      row.status = 'not-timed';
      row.note = OVER();
      continue;
    }
    let runner: Runner | undefined;
    try {
      collect();
      runner = await v.prepare(M, K, N, a, b);
      row.threads = v.threads;
      const first = await timeOnce(runner);
      row.maxErr = gemmError((await runner.output()).values, a, b, M, K, N);
      if (!(row.maxErr <= GEMM_TOLERANCE)) {
        row.status = 'check-failed';
        row.note = `check failed: error ${row.maxErr.toExponential(2)} of K·max|a|·max|b| (bound ${GEMM_TOLERANCE})`;
      }
      row.timing = await measure(runner, first, { warmupMs: -1, budgetMs: 1500, minSamples: 3, maxSamples: 7 });
      row.gflops = gemmFlops(row) / (row.timing.medianMs * 1e6);
      row.gflopsBest = gemmFlops(row) / (row.timing.minMs * 1e6);
      log(`  ${clock()} ${system.name.padEnd(18)} gemm ${M}x${K}x${N} ${v.id.padEnd(16)} ${v.threads.padEnd(12)} ${row.gflops.toFixed(1).padStart(7)} GFLOP/s  ${row.status === 'ok' ? `error ${row.maxErr.toExponential(1)}` : row.note}`);
    } catch (e) {
      row.status = 'error';
      row.note = msg(e);
      log(`  ${clock()} ${system.name.padEnd(18)} gemm ${v.id} error: ${row.note}`);
    } finally {
      try {
        await runner?.dispose();
      } catch {
        /* already reported */
      }
    }
    save();
  }
}

/** Resident memory now and its high-water mark since the last reset, bytes (Linux /proc; else maxRSS and RSS). */
function memory(): { rss: number; peak: number } {
  try {
    const st = readFileSync('/proc/self/status', 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s*(\\d+) kB`, 'm').exec(st)![1]) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return { rss: process.memoryUsage().rss, peak: process.resourceUsage().maxRSS * 1024 };
  }
}

/** Resets the high-water mark of the resident memory (Linux: clear_refs 5); false where it can't. */
function resetPeak(): boolean {
  peakBeforeReset = Math.max(peakBeforeReset, memory().peak);
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * The linear cross-entropy rows: checked at LCE_CHECK against the float64 reference (the JIT's
 * warm-up too), then with the inputs at the target's shape and the gradient outputs allocated and
 * touched, the memory baseline, a probe at probeN tokens, and the measurement at the largest
 * token count whose projection fits this system's time share (the full N where it fits). The
 * peak extra memory is the resident high-water mark over the probe and the measurement minus the
 * resident memory before them.
 */
async function lceTask(): Promise<void> {
  const { N, D, V, probeN } = cfg.lce!;
  for (const v of system.lce ?? []) {
    const row: LceRow = { system: system.id, systemName: system.name, variant: v.id, label: v.label, threads: v.threads, N, D, V, status: 'ok' };
    report.lce.push(row);
    let runner: Runner | undefined;
    try {
      await v.warm?.();
      row.threads = v.threads;
      // the check, at a small shape
      {
        const c = LCE_CHECK;
        const inp = lceInputs(c.N, c.D, c.V);
        const out = { dH: new Float32Array(c.N * c.D), dW: new Float32Array(c.V * c.D) };
        runner = await v.prepare(c.N, c.D, c.V, inp.h, inp.w, inp.target, out);
        for (let k = 0; k < 3; k++) await timeOnce(runner);
        row.check = lceCheck(await runner.output(), lceReference(c.N, c.D, c.V, inp.h, inp.w, inp.target));
        await runner.dispose();
        runner = undefined;
        if (row.check !== 'ok') {
          row.status = 'check-failed';
          row.note = `check failed at ${c.N}×${c.D}×${c.V}: ${row.check}`;
        }
      }
      const { h, w, target } = lceInputs(N, D, V);
      const out = { dH: new Float32Array(N * D).fill(0), dW: new Float32Array(V * D).fill(0) };
      collect();
      const exact = resetPeak();
      const m0 = memory();
      const run = async (n: number): Promise<number> => {
        runner = await v.prepare(n, D, V, h.subarray(0, n * D), w, target.subarray(0, n), out);
        const ms = await timeOnce(runner);
        row.loss = (await runner.output()).loss;
        await runner.dispose();
        runner = undefined;
        return ms / 1000;
      };
      row.probeN = probeN;
      row.probeS = await run(probeN);
      log(`  ${clock()} ${system.name.padEnd(18)} linearCrossEntropy probe ${probeN}×${D}×${V}: ${row.probeS.toFixed(2)} s`);
      const left = cfg.budgetS - (performance.now() - T0) / 1000;
      const n = lceMeasureN(N, probeN, row.probeS, left);
      const times: number[] = [];
      if (n === probeN) times.push(row.probeS);
      else times.push(await run(n));
      // a call of under 3 s gets two more (the median of three), time permitting
      while (times.length < 3 && times[0] < 3 && (performance.now() - T0) / 1000 + times[0] < cfg.budgetS) times.push(await run(n));
      times.sort((x, y) => x - y);
      const m1 = memory();
      row.measuredN = n;
      row.measuredS = times[times.length >> 1];
      row.calls = times.length;
      row.projected = n !== N;
      row.seconds = (row.measuredS * N) / n;
      row.peakExtraMiB = (m1.peak - m0.rss) / 2 ** 20;
      row.logitsMiB = (n * V * 4) / 2 ** 20;
      if (!exact) row.note = (row.note ? row.note + '; ' : '') + 'peak memory from the process maxRSS (no /proc/self/clear_refs here)';
      log(`  ${clock()} ${system.name.padEnd(18)} linearCrossEntropy ${n}×${D}×${V}: ${row.measuredS.toFixed(2)} s (${row.calls} call${row.calls > 1 ? 's' : ''})${row.projected ? `, ${row.seconds.toFixed(1)} s projected to N = ${N}` : ''}; peak extra ${row.peakExtraMiB.toFixed(0)} MiB (logits ${row.logitsMiB.toFixed(0)} MiB)`);
    } catch (e) {
      row.status = 'error';
      row.note = msg(e);
      log(`  ${clock()} ${system.name.padEnd(18)} linearCrossEntropy error: ${row.note}`);
    } finally {
      try {
        await runner?.dispose();
      } catch {
        /* already reported */
      }
    }
    save();
  }
}

async function opsTask(): Promise<void> {
  const base = (c: Case, v: Variant): Row => ({
    system: system.id,
    systemName: system.name,
    variant: v.id,
    kind: v.kind,
    label: v.label,
    op: c.op,
    rows: c.rows,
    cols: c.cols,
    threads: c.threads,
    status: 'ok',
    ...(v.defaults ? { defaults: true } : {}),
    ...(v.threadsLabel ? { threadsLabel: v.threadsLabel() } : {}),
  });

  /** ns/element of each (op, variant, threads) measured so far, for projecting big shapes. */
  const seen = new Map<string, number>();
  const seenKey = (op: string, cols: number, rows: number, variant: string, threads: number) => `${op}|${rows}x${cols}|${variant}|t${threads}`;

  function projectNs(c: Case, variant: string): number | undefined {
    if (c.threads === 2) {
      const one = seen.get(seenKey(c.op, c.cols, c.rows, variant, 1));
      if (one !== undefined) return one;
    }
    return seen.get(seenKey(c.op, 32_000, 32, variant, 1));
  }

  let input: { key: string; x: Float32Array; target: Int32Array } | null = null;
  let threads = 0;

  /**
   * The work, as (case, variant) tasks: the small shapes, sigmoid 16M, then 8192×32000 op by op
   * (softmax, logSoftmax, cross-entropy), each with its kernel calls (out / op alone) at 1 and 2
   * threads before its user calls (alloc / api) at 1 thread; 2-thread cases time the kernel calls
   * only. A system short of time (a busy machine) loses the last ones. The report keeps the
   * natural order.
   */
  type Task = { c: Case; v: Variant; rank: number };
  const tasks: Task[] = [];
  const BIG_OPS = ['softmax', 'logSoftmax', 'crossEntropy'];
  for (const c of cfg.cases) {
    for (const v of system.variants) {
      if (v.supports(c) === false) continue;
      const user = v.kind === 'alloc' || v.kind === 'api';
      if (c.threads === 2 && (user || v.defaults)) continue;
      const rank = !c.big ? 0 : c.op === 'sigmoid' ? 1 : 2 + 2 * BIG_OPS.indexOf(c.op) + (user ? 1 : 0);
      tasks.push({ c, v, rank });
    }
  }
  tasks.sort((a, b) => a.rank - b.rank); // stable: the natural order within a rank

  /** Set once a wasm heap trapped (out of memory): nothing after it in this process can be trusted. */
  let broken: string | undefined;
  /** Big cases (op, threads) this process has already run once: its library is warm for them. */
  const warm = new Set<string>();

  const refs = new Map<string, Reference>();

  for (const { c, v } of tasks) {
    const n = c.rows * c.cols;
    const row = base(c, v);
    report.rows.push(row);
    if (overBudget()) {
      row.status = 'not-timed';
      row.note = OVER();
      continue;
    }
    if (broken) {
      row.status = 'error';
      row.note = `not run: an earlier call failed with '${broken}', and a trapped wasm heap does not recover`;
      continue;
    }
    const why = v.supports(c);
    if (why !== true) {
      row.status = 'n/a';
      row.note = String(why);
      continue;
    }
    if (c.threads !== threads) {
      const ok = await system.threads(c.threads);
      if (ok !== true) {
        row.status = 'n/a';
        row.note = ok;
        continue;
      }
      threads = c.threads;
    }
    if (c.big) {
      const ns = projectNs(c, v.id);
      if (ns !== undefined && (ns * n) / 1e9 > cfg.maxCallS) {
        row.status = 'not-timed';
        row.projectedNsPerElement = ns;
        row.note = `not timed: one call would take ~${((ns * n) / 1e9).toFixed(0)} s (${ns.toFixed(1)} ns/element, the fastest sample at ${c.threads === 2 && seen.has(seenKey(c.op, c.cols, c.rows, v.id, 1)) ? '1 thread' : '32×32000'})`;
        continue;
      }
    }
    const inKey = `${c.rows}x${c.cols}/${c.op === 'sigmoid'}`;
    if (!input || input.key !== inKey) {
      input = null;
      refs.clear();
      collect();
      input = { key: inKey, ...makeInput(c.rows, c.cols, c.op) };
    }
    const { x, target } = input;

    let ref = refs.get(caseKey({ ...c, threads: 1 }));
    if (!ref) {
      try {
        await useBackend('js');
        ref = reference(c, x, target, cfg.bigLoss[`${c.rows}x${c.cols}`]);
        refs.set(caseKey({ ...c, threads: 1 }), ref);
      } catch (e) {
        row.status = 'error';
        row.note = `reference: ${msg(e)}`;
        continue;
      } finally {
        if (system.id === 'sigmax-wasm') await useBackend('wasm');
      }
    }

    collect();
    let runner;
    try {
      runner = await v.prepare(c, x, target);
      if (v.threadsLabel) row.threadsLabel = v.threadsLabel();
      const faults0 = process.resourceUsage().minorPageFault;
      const t0 = performance.now();
      if (runner.async) await runner.call();
      else runner.call();
      row.firstCallMs = performance.now() - t0;
      const firstFaults = process.resourceUsage().minorPageFault - faults0;
      const out = await runner.output();
      row.accuracy = compare(ref, out, !(v.id === 'api-loss'));
      row.reference = ref.how;
      if (!row.accuracy.pass) {
        row.status = 'check-failed';
        row.note = `check failed: ${row.accuracy.reason}`;
      }
      let plan;
      if (c.big && row.firstCallMs > 2 * cfg.maxCallS * 1000) {
        // The first call took over 2·maxCallS: it is the measurement, warm-up costs included.
        row.timing = { medianMs: row.firstCallMs, minMs: row.firstCallMs, maxMs: row.firstCallMs, samples: 1, callsPerSample: 1, pageFaultsPerCall: firstFaults };
        row.note = `first call only (it took over ${2 * cfg.maxCallS} s): includes first-call costs such as page faults`;
      } else if (c.big && row.firstCallMs > cfg.singleCallS * 1000 && warm.has(`${c.op} t${c.threads}`)) {
        // A call takes seconds and the library already ran this op at this shape: the first call is the measurement.
        row.timing = { medianMs: row.firstCallMs, minMs: row.firstCallMs, maxMs: row.firstCallMs, samples: 1, callsPerSample: 1, pageFaultsPerCall: firstFaults };
      } else if (c.big && row.firstCallMs > cfg.singleCallS * 1000) {
        // A call takes seconds: the checked first call was the warm-up, one more is the measurement.
        plan = { warmupMs: -1, budgetMs: 0, minSamples: 1, maxSamples: 1 };
      } else if (c.big) {
        const k = Math.max(3, Math.min(5, Math.floor(cfg.bigBudgetS / Math.max(row.firstCallMs / 1000, 1e-3))));
        plan = { warmupMs: -1, budgetMs: 0, minSamples: k, maxSamples: k };
      } else {
        // At least 3 samples; slow calls get fewer than 7 so that one measurement stays near 2 s.
        const min = Math.max(3, Math.min(7, Math.floor(2000 / Math.max(row.firstCallMs, 1e-3))));
        // A call slower than 300 ms has had its warm-up in the checked first call.
        plan = { warmupMs: row.firstCallMs > 300 ? -1 : cfg.warmupMs, budgetMs: cfg.smallBudgetMs, minSamples: min, maxSamples: 400 };
      }
      if (c.big) warm.add(`${c.op} t${c.threads}`);
      if (plan) row.timing = await measure(runner, row.firstCallMs, plan);
      if (!row.timing) throw new Error('not timed');
      row.nsPerElement = (row.timing.medianMs * 1e6) / n;
      row.gbPerS = bytesMoved(c) / (row.timing.medianMs * 1e6);
      // Projections use the fastest sample: a busy machine must not make a fast system look slow.
      seen.set(seenKey(c.op, c.cols, c.rows, v.id, c.threads), (row.timing.minMs * 1e6) / n);
      log(`  ${clock()} ${system.name.padEnd(18)} ${caseKey(c).padEnd(28)} ${v.id.padEnd(14)} ${row.nsPerElement.toFixed(3).padStart(9)} ns/el  ${row.status === 'ok' ? `max ${row.accuracy.maxUlp} ulp` : row.note}`);
    } catch (e) {
      row.status = 'error';
      row.note = msg(e);
      const heap = system.id === 'tfjs-wasm' || system.id === 'ort-web' || system.id === 'sigmax-wasm';
      if (heap && /memory access out of bounds|out of memory|Aborted\(/i.test(row.note)) broken = row.note;
      log(`  ${clock()} ${system.name.padEnd(18)} ${caseKey(c).padEnd(28)} ${v.id.padEnd(14)} error: ${row.note}`);
    } finally {
      try {
        await runner?.dispose();
      } catch {
        /* already reported */
      }
    }
    save();
  }
}

if (cfg.task === 'gemm') await gemmTask();
else if (cfg.task === 'lce') await lceTask();
else await opsTask();
save();
process.exit(0);
