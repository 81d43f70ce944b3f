// Timing: warm up, then the median of time-boxed samples. Calls shorter than ~1 ms are batched
// so that one sample spans at least ~1 ms (timer resolution); the reported time is per call.

import type { Runner } from './types.js';

export interface Timing {
  /** Median time of one call, ms. */
  medianMs: number;
  minMs: number;
  maxMs: number;
  samples: number;
  callsPerSample: number;
  /** Share of the sampling time some runnable task waited for a CPU (Linux PSI), when readable. */
  cpuPressure?: number;
  /** Minor page faults of the process per timed call (first touches of fresh memory). */
  pageFaultsPerCall?: number;
}

import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';

/** Linux pressure-stall total for the CPU ("some"), µs; undefined where /proc/pressure is absent. */
export function cpuStallUs(): number | undefined {
  try {
    const m = /some[^\n]*total=(\d+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The collector: node's --expose-gc one, or the same switched on here. */
const gc: (() => void) | undefined = (() => {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
})();

/** Collects garbage now (if node runs with --expose-gc), so one measurement's garbage isn't the next one's cost. */
export function collect(): void {
  gc?.();
}

async function once(r: Runner): Promise<number> {
  const t0 = performance.now();
  if (r.async) await r.call();
  else r.call();
  return performance.now() - t0;
}

async function batch(r: Runner, k: number): Promise<number> {
  const t0 = performance.now();
  if (r.async) for (let i = 0; i < k; i++) await r.call();
  else for (let i = 0; i < k; i++) r.call();
  return (performance.now() - t0) / k;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface Plan {
  /** Warm-up time (ms) after the first call; at least 1 more call. −1: none (the first call was the warm-up). */
  warmupMs: number;
  /** Sampling stops once this much time (ms) is spent and minSamples are in, or at maxSamples. */
  budgetMs: number;
  minSamples: number;
  maxSamples: number;
}

/** Times a runner whose first (checked) call has already run; `firstMs` is that call's time. */
export async function measure(r: Runner, firstMs: number, plan: Plan): Promise<Timing> {
  let est = firstMs;
  if (plan.warmupMs >= 0) {
    const t0 = performance.now();
    let n = 0;
    while (n < 1 || performance.now() - t0 < plan.warmupMs) {
      est = await once(r);
      n++;
      if (n > 10_000) break;
    }
  }
  const k = Math.max(1, Math.min(1000, Math.round(1 / Math.max(est, 1e-6))));
  const samples: number[] = [];
  const stall0 = cpuStallUs();
  const faults0 = process.resourceUsage().minorPageFault;
  const t0 = performance.now();
  while (samples.length < plan.maxSamples) {
    samples.push(k === 1 ? await once(r) : await batch(r, k));
    if (samples.length >= plan.minSamples && performance.now() - t0 >= plan.budgetMs) break;
  }
  const wallUs = (performance.now() - t0) * 1000;
  const stall1 = cpuStallUs();
  const faults = process.resourceUsage().minorPageFault - faults0;
  return {
    pageFaultsPerCall: faults / (samples.length * k),
    cpuPressure: stall0 !== undefined && stall1 !== undefined && wallUs > 0 ? Math.min(1, (stall1 - stall0) / wallUs) : undefined,
    medianMs: median(samples),
    minMs: Math.min(...samples),
    maxMs: Math.max(...samples),
    samples: samples.length,
    callsPerSample: k,
  };
}
