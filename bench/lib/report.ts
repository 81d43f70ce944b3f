// Turns the measurements into bench/RESULTS.md: one table per op and shape,
// the speed targets with PASS/MISS, and the accuracy of every system in float32 ulps.

import { type Case, type Op, OP_TITLE, shapeName } from './cases.js';
import type { CopyResult } from './copy.js';
import type { Row, SystemReport } from './results.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  date: string;
  os: string;
  loadBefore: string;
  loadAfter?: string;
  cpuPressure?: number;
  durationS?: number;
  freshMemory?: string;
}

export interface Target {
  target: string;
  detail: string;
  verdict: 'PASS' | 'MISS' | 'n/a';
}

const SIGMAX = 'sigmax-wasm';
const VARIANT_NAME: Record<string, string> = {
  alloc: 'alloc',
  out: 'out',
  'zero-copy': 'zero-copy (wasm arrays)',
  'alloc-defaults': 'alloc, defaults',
  api: 'api',
  'api-defaults': 'api, defaults',
  op: 'op alone',
  'api-loss': 'api, loss only',
};

export const fmt = (v: number | undefined, d = 2): string => (v === undefined || !Number.isFinite(v) ? '–' : v >= 1000 ? v.toFixed(0) : v >= 100 ? v.toFixed(1) : v.toFixed(d));
const ulp = (v: number | undefined): string => (v === undefined ? '–' : v === Infinity ? '∞ (NaN)' : v >= 1e6 ? v.toExponential(1) : String(v));

type Where = { op: Op; rows: number; cols: number; threads: number };

const VARIANT_ORDER = ['alloc-defaults', 'alloc', 'out', 'zero-copy', 'api-defaults', 'api', 'op', 'api-loss'];

export function caseRows(systems: SystemReport[], c: Where): Row[] {
  return systems.flatMap((s) =>
    s.rows
      .filter((r) => r.op === c.op && r.rows === c.rows && r.cols === c.cols && r.threads === c.threads)
      .sort((a, b) => VARIANT_ORDER.indexOf(a.variant) - VARIANT_ORDER.indexOf(b.variant)),
  );
}

export const timed = (r: Row | undefined): r is Row & { nsPerElement: number } => !!r && r.nsPerElement !== undefined && (r.status === 'ok' || r.status === 'check-failed');

export function find(rows: Row[], system: string, variant: string): Row | undefined {
  return rows.find((r) => r.system === system && r.variant === variant);
}

/**
 * The sigmax row a peer row is compared with: its out call for op-alone/out rows, its allocating
 * call at the defaults for the user calls at a library's defaults, its 1-thread allocating call
 * for the other user calls.
 */
function sigmaxFor(rows: Row[], r: Row, sigmax: string): Row | undefined {
  if (r.kind === 'op' || r.kind === 'out') return find(rows, sigmax, 'out');
  return (r.defaults && find(rows, sigmax, 'alloc-defaults')) || find(rows, sigmax, 'alloc');
}

/** How a row's threads read in the tables: '1', '2', or 'defaults (…)'. */
export const threadsOf = (r: Row): string => r.threadsLabel ?? String(r.threads);

export function caseTable(systems: SystemReport[], c: Case, copy: CopyResult | undefined, copy2: CopyResult | undefined, sigmax: string): string {
  const rows = caseRows(systems, c);
  const lines: string[] = [];
  const title = `### ${OP_TITLE[c.op]} — ${shapeName(c)}, ${c.threads > 1 ? `${c.threads} threads` : "1 thread and each library's defaults"}`;
  lines.push(title, '');
  if (copy) {
    let s = `Copy yardstick (out.set(x), 1 thread${c.big ? ', the faster of the start and end of the run' : ''}): ${fmt(copy.nsPerElement, 3)} ns/element, ${fmt(copy.gbPerS, 1)} GB/s`;
    if (copy2) s += `; 2 threads: ${fmt(copy2.nsPerElement, 3)} ns/element, ${fmt(copy2.gbPerS, 1)} GB/s`;
    lines.push(s + '.', '');
  }
  const sx = systems.find((s) => s.system === sigmax);
  const against = sx?.name ?? sigmax;
  lines.push(`| system | timed call | threads | ns/element | min | GB/s | × copy | ÷ ${against} | page faults / call | max ulp | > 1 ulp | check |`);
  lines.push('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    const name = r.system.startsWith('sigmax') ? `**${r.systemName}**` : r.systemName;
    const v = (VARIANT_NAME[r.variant] ?? r.variant) + (r.defaults && !/defaults/.test(r.variant) ? ', defaults' : '');
    if (!timed(r)) {
      const why = r.status === 'unavailable' || r.status === 'not-timed' ? r.note ?? r.status : `${r.status}: ${r.note ?? ''}`;
      lines.push(`| ${name} | ${v} | ${threadsOf(r)} | ${why} | | | | | | | | |`);
      continue;
    }
    const ref = sigmaxFor(rows, r, sigmax);
    const ratio = timed(ref) ? r.nsPerElement / ref.nsPerElement : undefined;
    const xc = copy ? r.nsPerElement / copy.nsPerElement : undefined;
    const a = r.accuracy;
    const check = r.status === 'ok' ? 'ok' : `**FAILED** (${r.note})`;
    const loss = a?.lossUlp !== undefined ? `; loss ${ulp(a.lossUlp)}` : '';
    const flag = (r.timing?.samples === 1 ? ' (1 call)' : '') + (r.timing?.cpuPressure !== undefined && r.timing.cpuPressure > 0.1 ? ' ⚠' : '');
    lines.push(
      `| ${name} | ${v} | ${threadsOf(r)} | ${fmt(r.nsPerElement, 3)}${flag} | ${fmt(((r.timing?.minMs ?? NaN) * 1e6) / (r.rows * r.cols), 3)} | ${fmt(r.gbPerS, 2)} | ${fmt(xc, 2)} | ${fmt(ratio, 2)} | ${r.timing?.pageFaultsPerCall === undefined ? '–' : Math.round(r.timing.pageFaultsPerCall)} | ${r.variant === 'api-loss' ? '–' : ulp(a?.maxUlp)}${loss} | ${a && r.variant !== 'api-loss' ? (100 * a.over1Ulp).toFixed(1) + '%' : '–'} | ${check} |`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** The speed targets, evaluated on sigmax's 'wasm' backend. */
export function targets(systems: SystemReport[], cases: Case[], copies: Map<string, CopyResult>, copies2: Map<string, CopyResult>): Target[] {
  const out: Target[] = [];
  const sx = systems.find((s) => s.system === SIGMAX);
  const na = (target: string): Target => ({ target, detail: sx ? `sigmax wasm: ${sx.info}` : 'wasm backend not available', verdict: 'n/a' });
  const available = !!sx?.available;
  const get = (c: Where, system: string, variant: string) => find(caseRows(systems, c), system, variant);
  const ns = (r: Row | undefined) => (timed(r) ? r.nsPerElement : undefined);
  const verdict = (ok: boolean | undefined): Target['verdict'] => (ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS');
  /** sigmax's fastest kernel call: with `out`, or zero-copy with sigmax/wasm arrays (both public ways to call it). */
  const best = (c: Where): number | undefined => {
    const a = ns(get(c, SIGMAX, 'out'));
    const b = ns(get(c, SIGMAX, 'zero-copy'));
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  };
  const calls = (c: Where): string =>
    `out ${fmt(ns(get(c, SIGMAX, 'out')), 3)}, zero-copy ${fmt(ns(get(c, SIGMAX, 'zero-copy')), 3)}${c.threads === 1 ? ` (alloc ${fmt(ns(get(c, SIGMAX, 'alloc')), 3)})` : ''} ns/element`;

  // 1. softmax and logSoftmax faster than tfjs-wasm and onnxruntime-node on every shape.
  for (const op of ['softmax', 'logSoftmax'] as Op[]) {
    for (const c of cases.filter((k) => k.op === op)) {
      const t = `${op} ${shapeName(c)}${c.threads === 2 ? ' (2 threads)' : ''} faster than tfjs-wasm and onnxruntime-node`;
      if (!available) {
        out.push(na(t));
        continue;
      }
      const parts: string[] = [];
      let ok: boolean | undefined = true;
      for (const [mine, theirs, what] of [
        ['alloc', 'api', 'user call'],
        ['out', 'op', 'kernel'],
      ] as const) {
        if (c.threads === 2 && mine === 'alloc') continue; // 2-thread cases time the kernel calls only
        const m = mine === 'out' ? best(c) : ns(get(c, SIGMAX, mine));
        const peers: string[] = [];
        for (const p of ['tfjs-wasm', 'ort-node']) {
          // A single-threaded peer (tfjs-wasm here) has no 2-thread row: its 1-thread time is what it offers.
          let pr = get(c, p, theirs);
          let one = '';
          if (!pr && c.threads === 2) {
            pr = get({ ...c, threads: 1 }, p, theirs);
            one = ' (1 thread)';
          }
          const pn = ns(pr);
          if (!pr || pr.status === 'n/a') continue;
          if (m === undefined) ok = undefined;
          else if (pn === undefined && pr.projectedNsPerElement !== undefined) {
            // Not timed because one call would take seconds: compared on its projection.
            if (!(m < pr.projectedNsPerElement)) ok = ok === undefined ? undefined : false;
            peers.push(`${p} ~${fmt(pr.projectedNsPerElement, 1)} (projected, not timed)`);
          } else if (pn === undefined) {
            ok = undefined;
            peers.push(`${p} ${pr.status}`);
          } else {
            if (!(m < pn)) ok = ok === undefined ? undefined : false;
            peers.push(`${p}${one} ${fmt(pn, 3)}`);
          }
        }
        parts.push(`${what}: sigmax ${mine === 'out' ? 'out/zero-copy' : mine} ${fmt(m, 3)} vs ${theirs} ${peers.join(', ') || 'no peer'}`);
      }
      out.push({ target: t, detail: parts.join('; ') + ' (ns/element)', verdict: verdict(ok) });
    }
  }
  // 2. ≤ 0.45 ns/element at 32×32000.
  for (const op of ['softmax', 'logSoftmax'] as Op[]) {
    const t = `${op} 32×32000 ≤ 0.45 ns/element`;
    if (!available) {
      out.push(na(t));
      continue;
    }
    const c = { op, rows: 32, cols: 32_000, threads: 1 };
    const o = best(c);
    out.push({ target: t, detail: calls(c), verdict: verdict(o === undefined ? undefined : o <= 0.45) });
  }
  // 3. Fused cross-entropy: ≤ 0.6 ns/element at 32×32000 and ≥ 30× tfjs-wasm.
  {
    const c = { op: 'crossEntropy' as Op, rows: 32, cols: 32_000, threads: 1 };
    const o = best(c);
    const a = ns(get(c, SIGMAX, 'alloc'));
    if (!available) {
      out.push(na('cross-entropy loss+grad 32×32000 ≤ 0.6 ns/element'), na('cross-entropy loss+grad 32×32000 ≥ 30× tfjs-wasm'));
    } else {
      out.push({ target: 'cross-entropy loss+grad 32×32000 ≤ 0.6 ns/element', detail: calls(c), verdict: verdict(o === undefined ? undefined : o <= 0.6) });
      const tApi = ns(get(c, 'tfjs-wasm', 'api'));
      const tOp = ns(get(c, 'tfjs-wasm', 'op'));
      const r1 = tApi !== undefined && a !== undefined ? tApi / a : undefined;
      const r2 = tOp !== undefined && o !== undefined ? tOp / o : undefined;
      out.push({
        target: 'cross-entropy loss+grad 32×32000 ≥ 30× tfjs-wasm',
        detail: `user call: tfjs-wasm api ÷ sigmax alloc = ${fmt(r1, 1)}×; kernel: tfjs-wasm op ÷ sigmax out/zero-copy = ${fmt(r2, 1)}×`,
        verdict: verdict(r1 === undefined || r2 === undefined ? undefined : r1 >= 30 && r2 >= 30),
      });
    }
  }
  // 4. sigmoid 16M ≤ 0.6 ns/element.
  {
    const c = { op: 'sigmoid' as Op, rows: 1, cols: 16_777_216, threads: 1 };
    const t = 'sigmoid 16M ≤ 0.6 ns/element';
    const o = best(c);
    out.push(available ? { target: t, detail: calls(c), verdict: verdict(o === undefined ? undefined : o <= 0.6) } : na(t));
  }
  // 5. 8192×32000 with 2 threads within 1.5× of the copy.
  for (const op of ['softmax', 'logSoftmax', 'crossEntropy'] as Op[]) {
    const c = { op, rows: 8192, cols: 32_000, threads: 2 };
    const t = `${op} 8192×32000, 2 threads, within 1.5× of the copy`;
    if (!available) {
      out.push(na(t));
      continue;
    }
    const cp = copies.get('8192x32000');
    const cp2 = copies2.get('8192x32000');
    const o = best(c);
    const ratio = o !== undefined && cp ? o / cp.nsPerElement : undefined;
    const ratio2 = o !== undefined && cp2 ? o / cp2.nsPerElement : undefined;
    out.push({
      target: t,
      detail: `${calls(c)}; best ${fmt(o, 3)} = ${fmt(ratio, 2)}× the 1-thread copy (${fmt(cp?.nsPerElement, 3)}), ${fmt(ratio2, 2)}× the 2-thread copy (${fmt(cp2?.nsPerElement, 3)})`,
      verdict: verdict(ratio === undefined ? undefined : ratio <= 1.5),
    });
  }
  // 6. 4096×10 ≤ 2 ns/element.
  for (const op of ['softmax', 'logSoftmax', 'crossEntropy', 'logSumExp'] as Op[]) {
    const c = { op, rows: 4096, cols: 10, threads: 1 };
    const t = `${op} 4096×10 ≤ 2 ns/element`;
    const o = best(c);
    out.push(available ? { target: t, detail: calls(c), verdict: verdict(o === undefined ? undefined : o <= 2) } : na(t));
  }
  return out;
}

export function targetTable(ts: Target[]): string {
  const lines = ['| target | measured | PASS/MISS |', '|---|---|---|'];
  for (const t of ts) lines.push(`| ${t.target} | ${t.detail} | ${t.verdict === 'n/a' ? 'n/a' : `**${t.verdict}**`} |`);
  return lines.join('\n') + '\n';
}

/** Max ulp error of every system and variant per op, over all shapes checked. */
export function accuracyTable(systems: SystemReport[]): string {
  const ops: Op[] = ['softmax', 'logSoftmax', 'logSumExp', 'sigmoid', 'crossEntropy'];
  const lines = [
    '| system | ' + ops.map((o) => (o === 'crossEntropy' ? 'cross-entropy gradient (loss)' : o)).join(' | ') + ' |',
    '|---|' + ops.map(() => '---:').join('|') + '|',
  ];
  for (const s of systems) {
    if (!s.available) {
      lines.push(`| ${s.name} | ${ops.map(() => 'n/a').join(' | ')} |`);
      continue;
    }
    const cells = ops.map((op) => {
      const rs = s.rows.filter((r) => r.op === op && r.accuracy && r.variant !== 'api-loss');
      if (!rs.length) return '–';
      let m = 0;
      let loss: number | undefined;
      let failed = false;
      for (const r of rs) {
        m = Math.max(m, r.accuracy!.maxUlp);
        if (r.accuracy!.lossUlp !== undefined) loss = Math.max(loss ?? 0, r.accuracy!.lossUlp);
        if (!r.accuracy!.pass) failed = true;
      }
      return `${ulp(m)}${loss !== undefined ? ` (${ulp(loss)})` : ''}${failed ? ' ✗' : ''}`;
    });
    lines.push(`| ${s.name} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}
