// The parts of RESULTS.md about speed as users get it: the targets at the libraries' default
// settings, the thread scaling, the GEMM and linear cross-entropy tables, and the sampling section.

import { type Case, type Op, shapeName } from './cases.js';
import { type Target, caseRows, find, fmt, timed } from './report.js';
import type { GemmRow, LceRow, Row, SystemReport } from './results.js';

const SIGMAX = 'sigmax-wasm';

type Shape = [number, number];
/** The long-row shapes of the targets, and the short-row one. */
export const LONG_SHAPES: Shape[] = [
  [32, 32_000],
  [1, 151_936],
  [8192, 32_000],
];
export const SHORT_SHAPE: Shape = [4096, 10];

const key = (s: Shape): string => `${s[0]}x${s[1]}`;
const shapeOf = (s: Shape): string => shapeName({ rows: s[0], cols: s[1] });

/** A row's ns/element: measured, or (not timed because a call would take seconds) its projection. */
function nsOf(r: Row | undefined): { ns: number; projected: boolean } | undefined {
  if (timed(r)) return { ns: r.nsPerElement, projected: false };
  if (r && r.status === 'not-timed' && r.projectedNsPerElement !== undefined) return { ns: r.projectedNsPerElement, projected: true };
  return undefined;
}

const why = (r: Row | undefined, name: string): string => (r ? `${name} ${r.status}` : `${name} not run`);

/** PASS when every comparison made passes (at least one made), MISS when one fails, n/a when none could be made. */
function combine(results: (boolean | undefined)[]): Target['verdict'] {
  const made = results.filter((x): x is boolean => x !== undefined);
  if (made.length === 0) return 'n/a';
  return made.every((x) => x) ? 'PASS' : 'MISS';
}

/**
 * One comparison per op at a shape: sigmax's row `mine` against the peer's row `theirs`;
 * ok(ratio) with ratio = sigmax ÷ peer (below 1: sigmax faster).
 */
function compareAt(
  systems: SystemReport[],
  ops: Op[],
  shape: Shape,
  mine: (rows: Row[]) => { ns: number; projected: boolean } | undefined,
  peer: string,
  theirs: string,
  ok: (ratio: number) => boolean,
): { parts: string[]; results: (boolean | undefined)[] } {
  const parts: string[] = [];
  const results: (boolean | undefined)[] = [];
  for (const op of ops) {
    const rows = caseRows(systems, { op, rows: shape[0], cols: shape[1], threads: 1 });
    if (rows.length === 0) continue;
    const m = mine(rows);
    const pr = find(rows, peer, theirs);
    const p = nsOf(pr);
    if (m === undefined || p === undefined) {
      results.push(undefined);
      parts.push(`${op}: ${m === undefined ? 'sigmax not measured' : why(pr, peer)}`);
      continue;
    }
    const ratio = m.ns / p.ns;
    const pass = ok(ratio);
    results.push(pass);
    parts.push(`${op} ${fmt(m.ns, 3)} vs ${fmt(p.ns, 3)}${p.projected ? ' (projected)' : ''} = ${fmt(ratio, 2)}×${pass ? '' : ' ✗'}`);
  }
  return { parts, results };
}

const defaultsCall = (rows: Row[]) => nsOf(find(rows, SIGMAX, 'alloc-defaults'));
/** sigmax's fastest kernel call at one thread: with `out`, or zero-copy with sigmax/wasm arrays. */
function kernel(rows: Row[]): { ns: number; projected: boolean } | undefined {
  const a = nsOf(find(rows, SIGMAX, 'out'));
  const b = nsOf(find(rows, SIGMAX, 'zero-copy'));
  if (!a || !b) return a ?? b;
  return a.ns <= b.ns ? a : b;
}

/** The targets of the speed users get (see bench/README.md, "Targets at the defaults"). */
export function userTargets(systems: SystemReport[], cases: Case[], gemm: GemmRow[], lce: LceRow[]): Target[] {
  const out: Target[] = [];
  const sx = systems.find((s) => s.system === SIGMAX);
  const available = !!sx?.available;
  const na = (target: string, detail?: string): Target => ({ target, detail: detail ?? (sx ? `sigmax wasm: ${sx.info}` : 'sigmax wasm not run'), verdict: 'n/a' });
  const oneThread = cases.filter((c) => c.threads === 1);
  const shapes: Shape[] = [];
  for (const c of oneThread) if (!shapes.some((s) => s[0] === c.rows && s[1] === c.cols)) shapes.push([c.rows, c.cols]);
  const opsAt = (s: Shape, filter: (op: Op) => boolean = () => true): Op[] => [...new Set(oneThread.filter((c) => c.rows === s[0] && c.cols === s[1]).map((c) => c.op))].filter(filter);
  const has = (s: Shape) => shapes.some((x) => key(x) === key(s));

  // 1. Every shape: the default user call faster than tfjs-wasm's user call.
  for (const s of shapes) {
    const t = `${shapeOf(s)}: sigmax's call at default settings faster than tfjs-wasm's call, every op`;
    if (!available) {
      out.push(na(t));
      continue;
    }
    const { parts, results } = compareAt(systems, opsAt(s), s, defaultsCall, 'tfjs-wasm', 'api', (r) => r < 1);
    out.push({ target: t, detail: `sigmax alloc, defaults vs tfjs-wasm api, ns/element (ratio < 1: sigmax faster): ${parts.join('; ')}`, verdict: combine(results) });
  }

  // 2. Against onnxruntime-node's call at its defaults: within 1.5× on long rows, ahead on short rows and on cross-entropy.
  for (const s of LONG_SHAPES.filter(has)) {
    const t = `${shapeOf(s)} (long rows): sigmax's call at default settings within 1.5× of onnxruntime-node's call at its defaults (cross-entropy: below)`;
    if (!available) {
      out.push(na(t));
      continue;
    }
    const { parts, results } = compareAt(systems, opsAt(s, (op) => op !== 'crossEntropy'), s, defaultsCall, 'ort-node', 'api-defaults', (r) => r <= 1.5);
    out.push({ target: t, detail: `sigmax alloc, defaults vs onnxruntime-node api, defaults, ns/element: ${parts.join('; ')}`, verdict: combine(results) });
  }
  if (has(SHORT_SHAPE)) {
    const t = `${shapeOf(SHORT_SHAPE)} (short rows): sigmax's call at default settings faster than onnxruntime-node's call at its defaults (cross-entropy: below)`;
    if (!available) out.push(na(t));
    else {
      const { parts, results } = compareAt(systems, opsAt(SHORT_SHAPE, (op) => op !== 'crossEntropy'), SHORT_SHAPE, defaultsCall, 'ort-node', 'api-defaults', (r) => r < 1);
      out.push({ target: t, detail: `sigmax alloc, defaults vs onnxruntime-node api, defaults, ns/element: ${parts.join('; ')}`, verdict: combine(results) });
    }
  }
  {
    const ceShapes = shapes.filter((s) => opsAt(s).includes('crossEntropy'));
    const t = `fused cross-entropy loss + gradient, every shape: sigmax's call at default settings faster than onnxruntime-node's call at its defaults`;
    if (!available) out.push(na(t));
    else {
      const parts: string[] = [];
      const results: (boolean | undefined)[] = [];
      for (const s of ceShapes) {
        const r = compareAt(systems, ['crossEntropy'], s, defaultsCall, 'ort-node', 'api-defaults', (x) => x < 1);
        parts.push(...r.parts.map((p) => p.replace(/^crossEntropy/, shapeOf(s))));
        results.push(...r.results);
      }
      out.push({ target: t, detail: `sigmax crossEntropyWithGrad alloc, defaults vs onnxruntime-node loss+gradient model api, defaults, ns/element: ${parts.join('; ')}`, verdict: combine(results) });
    }
  }

  // 3. The single-thread kernel against tfjs-wasm's op alone: within 1.2× on long rows, ahead on short rows.
  for (const s of [...LONG_SHAPES, SHORT_SHAPE].filter(has)) {
    const long = s !== SHORT_SHAPE;
    const t = `${shapeOf(s)}: sigmax's 1-thread kernel ${long ? 'within 1.2× of' : 'faster than'} tfjs-wasm's op alone, every op`;
    if (!available) {
      out.push(na(t));
      continue;
    }
    const { parts, results } = compareAt(systems, opsAt(s), s, kernel, 'tfjs-wasm', 'op', (r) => (long ? r <= 1.2 : r < 1));
    out.push({ target: t, detail: `sigmax best of out / zero-copy at setThreads(1) vs tfjs-wasm op alone, ns/element: ${parts.join('; ')}`, verdict: combine(results) });
  }

  // 4. Two threads ≥ 1.8× one thread (kernel calls).
  const twoShapes: Shape[] = [];
  for (const c of cases) if (c.threads === 2 && !twoShapes.some((s) => s[0] === c.rows && s[1] === c.cols)) twoShapes.push([c.rows, c.cols]);
  for (const s of twoShapes) {
    const t = `${shapeOf(s)}: sigmax's kernel at 2 threads ≥ 1.8× as fast as at 1 thread`;
    if (!available) {
      out.push(na(t));
      continue;
    }
    const parts: string[] = [];
    const results: (boolean | undefined)[] = [];
    for (const op of [...new Set(cases.filter((c) => c.threads === 2 && c.rows === s[0] && c.cols === s[1]).map((c) => c.op))]) {
      const one = kernel(caseRows(systems, { op, rows: s[0], cols: s[1], threads: 1 }));
      const two = kernel(caseRows(systems, { op, rows: s[0], cols: s[1], threads: 2 }));
      if (!one || !two) {
        results.push(undefined);
        parts.push(`${op}: not measured`);
        continue;
      }
      const speedup = one.ns / two.ns;
      results.push(speedup >= 1.8);
      parts.push(`${op} ${fmt(one.ns, 3)} → ${fmt(two.ns, 3)} = ${fmt(speedup, 2)}×${speedup >= 1.8 ? '' : ' ✗'}`);
    }
    out.push({ target: t, detail: `best of out / zero-copy, ns/element at 1 → 2 threads: ${parts.join('; ')}`, verdict: combine(results) });
  }

  // 5. GEMM ≥ 20 GFLOP/s per thread, float32.
  {
    const t = "GEMM, float32: sigmax's matmul ≥ 20 GFLOP/s per thread";
    const f32 = gemm.filter((r) => r.system === SIGMAX && r.variant.startsWith('matmul-f32'));
    const f64 = gemm.filter((r) => r.system === SIGMAX && r.variant.startsWith('matmul-f64'));
    if (f32.length === 0) out.push(na(t, 'sigmax gemm not run'));
    else {
      const results = f32.map((r) => (r.gflops === undefined || r.threadCount === undefined ? undefined : r.gflops / r.threadCount >= 20));
      const desc = (rs: GemmRow[]) => rs.map((r) => `${r.threads} thread${r.threadCount === 1 ? '' : 's'} ${fmt(r.gflops, 1)}${r.threadCount && r.threadCount > 1 ? ` (${fmt((r.gflops ?? NaN) / r.threadCount, 1)} per thread)` : ''}`).join(', ');
      const { M, K, N } = f32[0];
      out.push({
        target: t,
        detail: `${M}×${K}·${K}×${N}, GFLOP/s (median): precision 'float32' ${desc(f32)}; the default, float64 sums: ${desc(f64)}`,
        verdict: combine(results),
      });
    }
  }

  // 6. linearCrossEntropy at N = 4096, D = 512, V = 32000.
  {
    const s = lce.find((r) => r.system === SIGMAX);
    const tf = lce.find((r) => r.system === 'tfjs-wasm');
    const shape = s ? `N = ${s.N}, D = ${s.D}, V = ${s.V}` : 'N = 4096, D = 512, V = 32000';
    const t1 = `linearCrossEntropy forward + backward, ${shape}: ≥ 5× as fast as the tfjs-wasm composition`;
    const t2 = `linearCrossEntropy, ${shape}: peak extra memory ≤ 1/10 of the logits (N·V·4 bytes)`;
    const secs = (r: LceRow | undefined) => (r && r.seconds !== undefined && r.status !== 'error' ? r.seconds : undefined);
    const desc = (r: LceRow) => `${fmt(r.seconds, 2)} s${r.projected ? ` (projected from N = ${r.measuredN}: ${fmt(r.measuredS, 2)} s)` : ''}`;
    const a = secs(s);
    const b = secs(tf);
    if (a === undefined || b === undefined) out.push(na(t1, `sigmax ${s ? (a === undefined ? s.status : desc(s)) : 'not run'}, tfjs-wasm ${tf ? (b === undefined ? tf.status : desc(tf)) : 'not run'}`));
    else out.push({ target: t1, detail: `sigmax ${desc(s!)} vs tfjs-wasm ${desc(tf!)} per call: ${fmt(b / a, 1)}×`, verdict: b / a >= 5 ? 'PASS' : 'MISS' });
    if (!s || s.peakExtraMiB === undefined || s.logitsMiB === undefined) out.push(na(t2, s ? `sigmax ${s.status}` : 'sigmax not run'));
    else {
      const ratio = s.peakExtraMiB / s.logitsMiB;
      const at = s.measuredN === s.N ? '' : ` (measured at N = ${s.measuredN}, whose logits are smaller: the fused op's working memory does not grow with N, so the ratio only falls at N = ${s.N})`;
      out.push({
        target: t2,
        detail: `sigmax peak extra ${mib(s.peakExtraMiB)} MiB vs logits ${mib(s.logitsMiB)} MiB = ${fmt(ratio, 3)}${at}`,
        verdict: ratio <= 0.1 ? 'PASS' : s.measuredN === s.N ? 'MISS' : 'n/a',
      });
    }
  }
  return out;
}

/** The GEMM table. */
export function gemmTable(rows: GemmRow[]): string {
  const lines = ['| system | call | threads | GFLOP/s (median) | best | per thread | ms / call | max error | check |', '|---|---|---|---:|---:|---:|---:|---:|---|'];
  for (const r of rows) {
    const name = r.system.startsWith('sigmax') ? `**${r.systemName}**` : r.systemName;
    if (r.gflops === undefined) {
      lines.push(`| ${name} | ${r.label} | ${r.threads} | ${r.status}: ${r.note ?? ''} | | | | | |`);
      continue;
    }
    const per = r.threadCount ? fmt(r.gflops / r.threadCount, 1) : '–';
    lines.push(
      `| ${name} | ${r.label} | ${r.threads} | ${fmt(r.gflops, 1)} | ${fmt(r.gflopsBest, 1)} | ${per} | ${fmt(r.timing?.medianMs, 1)} | ${r.maxErr === undefined ? '–' : r.maxErr.toExponential(1)} | ${r.status === 'ok' ? 'ok' : `**FAILED** (${r.note})`} |`,
    );
  }
  return lines.join('\n') + '\n';
}

const mib = (v: number | undefined): string => (v === undefined ? '–' : Math.round(v).toString());

/** The linear cross-entropy table. */
export function lceTable(rows: LceRow[]): string {
  const sx = rows.find((r) => r.system === SIGMAX && r.seconds !== undefined);
  const lines = [
    `| system | call | threads | timed at N | s / call there | s / call at N = ${rows[0]?.N ?? 4096} | ÷ sigmax | peak extra MiB | logits MiB (timed N) | extra ÷ logits | loss | check (small shape) |`,
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    const name = r.system.startsWith('sigmax') ? `**${r.systemName}**` : r.systemName;
    if (r.seconds === undefined) {
      lines.push(`| ${name} | ${r.label} | ${r.threads} | ${r.status}: ${r.note ?? ''} | | | | | | | | ${r.check ?? '–'} |`);
      continue;
    }
    const calls = r.calls && r.calls > 1 ? ` (median of ${r.calls})` : '';
    lines.push(
      `| ${name} | ${r.label} | ${r.threads} | ${r.measuredN} | ${fmt(r.measuredS, 2)}${calls} | ${fmt(r.seconds, 2)}${r.projected ? ' (projected)' : ''} | ${sx ? fmt(r.seconds / sx.seconds!, 1) : '–'} | ${mib(r.peakExtraMiB)} | ${mib(r.logitsMiB)} | ${r.peakExtraMiB !== undefined && r.logitsMiB ? fmt(r.peakExtraMiB / r.logitsMiB, 3) : '–'} | ${r.loss === undefined ? '–' : r.loss.toPrecision(8)} | ${r.check === 'ok' ? 'ok' : `**FAILED** (${r.check ?? r.note})`} |`,
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * A markdown file embedded as a section: its headings one level down, its first heading the
 * section's (or `heading` where it has none), `source` as the first line under it.
 */
export function embedSection(text: string, heading: string, source: string): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  let inFence = false;
  const shifted = lines.map((l) => {
    if (/^\s*```/.test(l)) inFence = !inFence;
    return !inFence && /^#{1,5} /.test(l) ? `#${l}` : l;
  });
  const first = shifted.findIndex((l) => l.trim() !== '');
  const head = first >= 0 && /^## /.test(shifted[first]) ? shifted.splice(first, 1)[0] : `## ${heading}`;
  while (shifted.length > 0 && shifted[0].trim() === '') shifted.shift();
  return [head, '', source, '', ...shifted].join('\n') + '\n';
}
