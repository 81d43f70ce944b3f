// One way to run a kernel over rows: staged(). A call's arrays are streams of rows; a stream that
// already lives in the wasm memory (sigmax/wasm arrays) is used in place, the others are copied
// in and out through staging regions, chunk by chunk of whole rows; each chunk's rows are split
// across the threads at fixed group boundaries, so every row runs the same code for any split.
// With worker threads the chunks are pipelined: this thread copies the neighbouring chunks in and
// out while the workers compute one (pipelined() says why and what it measured). An output that
// partly overlaps an input is computed into a temporary first.

import { clobbers, overlaps } from '../../core/alias.js';
import type { Part } from './pool.js';
import type { ExportName, WasmExports } from './exports.js';
import { type Runtime, getRuntime } from './runtime.js';

/** A kernel call with its arguments checked against the export's signature. */
export function part<K extends ExportName>(fn: K, ...args: Parameters<WasmExports[K]>): Part {
  return { fn, args };
}

/** Elements per chunk of rows: bounds the staging memory to a few hundred MB for any input. */
const CHUNK = 1 << 22;
/**
 * Elements per chunk when anything is staged on one thread: about 256 KB of float32, so that a
 * chunk's copy in, its kernel and its copy out run in the core's cache (at 32×32000 with `out`,
 * 10–12% faster than chunks of CHUNK elements). With worker threads, unpipelined (a call of one
 * pipelined chunk or less, or `staging.pipeline` off), chunks stay large: there the copies, done
 * by the calling thread alone, limit the call, and small chunks would only add a wake-up of the
 * workers each (2048×32000 with 2 threads: 2.34 against 2.06 ns/element).
 */
const STAGE = 1 << 16;
/** Below this many elements a call stays on one thread (waking workers costs more). */
const THREAD_MIN = 1 << 16;
/**
 * Elements per chunk on the pipelined path (pipelined() below): an eighth of the call, at least
 * PIPE_MIN and at most PIPE_MAX (16 MB of staging in all: two sets of 4 MB in and 4 MB out). Calls
 * of fewer than eight chunks (below 2M elements) stay unpipelined: with 2 threads on the 2-core
 * Xeon of bench/FRESH-OUTPUTS.md, 16×32000 and 24×32000 (two and three chunks) were 2–12% slower
 * pipelined, 32×32000 (four) within ±10% either way by op and run, 64×32000 and up faster.
 */
const PIPE_MIN = 1 << 18;
const PIPE_MAX = 1 << 20;
const PIPE_CHUNKS = 8;
/** ms: this thread waited for the workers when their parts ended this long after its own work. */
const WAITED = 0.02;

/** For benchmarks and tests: `pipeline` false runs threaded staged calls unpipelined (copy in, the kernel on every thread, copy out). */
export const staging = { pipeline: true };

/**
 * Where a staged call's time goes on the calling thread, summed in ms while `on` is set
 * (bench/fresh-outputs.ts): copies into the wasm memory, copies out of it (where a fresh result's
 * page faults land), and whole calls; `piped` counts the calls that took the pipelined path.
 */
export const stageClock = { on: false, copyIn: 0, copyOut: 0, total: 0, piped: 0 };

export type Elem = 'f32' | 'f64' | 'i32';
const BYTES: Record<Elem, number> = { f32: 4, f64: 8, i32: 4 };
type Typed = Float32Array | Float64Array | Int32Array;

/** Rows of one array of a call. */
export interface Stream {
  /** The caller's array (rows back to back), or null for a staging region only (nothing copied). */
  readonly data: Typed | ArrayLike<number> | null;
  /** The element type the kernel reads or writes; a typed array of another type is converted on the copy. */
  readonly elem: Elem;
  /** Elements per row. */
  readonly perRow: number;
  /** Fills the staging view `dst` from `at` with rows [r0, r0 + rows), where a copy does not do (e.g. a broadcast weight). */
  readonly fill?: (dst: Typed, at: number, r0: number, rows: number) => void;
}

/** A region written once before the first chunk (class weights, a sum's accumulator). */
export interface Fixed {
  readonly bytes: number;
  init(rt: Runtime, at: number): void;
}

/** A kernel run over rows, as staged() runs it. */
export interface Staged {
  readonly rows: number;
  /** Elements of work per row: sizes the chunks and decides how many threads pay off. */
  readonly n: number;
  /** Rows that stay together on one thread: 4 for the four-row short-row kernels and for elementwise SIMD vectors, else 1. */
  readonly group: number;
  readonly inputs: readonly Stream[];
  readonly outputs: readonly Stream[];
  readonly fixed?: readonly Fixed[];
  /** Scratch bytes each thread's part needs. */
  readonly scratch?: number;
  /** The call for `rows` rows whose first row is at the byte offsets `at` (inputs, then outputs), with its scratch and the fixed regions. */
  part(rows: number, at: readonly number[], scratch: number, fixed: readonly number[]): Part;
  /**
   * Runs a chunk itself instead of part() over row ranges (the long-row block path, ops/longRows.ts),
   * given its first row r0, its offsets, its scratch (chunkScratch bytes per row) and the fixed regions.
   */
  chunk?(rt: Runtime, r0: number, rows: number, at: readonly number[], scratch: number, fixed: readonly number[]): void;
  /** Scratch bytes per row of a chunk, for chunk(). */
  readonly chunkScratch?: number;
  /** After each chunk, on the calling thread, with the chunk's offsets and the fixed regions': e.g. a sum of per-row losses in row order. */
  afterChunk?(rt: Runtime, rows: number, at: readonly number[], fixed: readonly number[]): void;
}

const isTyped = (a: unknown): a is Typed => a instanceof Float32Array || a instanceof Float64Array || a instanceof Int32Array;


/** Splits `rows` rows of n elements into per-thread [first row, count] ranges on multiples of `group`. */
export function split(rows: number, n: number, group: number, threads: number): [number, number][] {
  const t = Math.max(1, Math.min(threads, rows, Math.floor((rows * n) / THREAD_MIN)));
  const at = (k: number) => (k === t ? rows : group * Math.floor(Math.floor((rows * k) / t) / group));
  const out: [number, number][] = [];
  for (let k = 0; k < t; k++) {
    const a = at(k);
    const b = at(k + 1);
    if (b > a) out.push([a, b - a]);
  }
  return out;
}

/**
 * Runs `items` independent items of `size` elements each as parts over the threads, whole items
 * per part (part(first, count)): how items fall to threads never changes what an item computes.
 */
export function runItems(rt: Runtime, items: number, size: number, part: (first: number, count: number) => Part): void {
  const t = Math.max(1, Math.min(rt.threads, items, Math.floor((items * size) / THREAD_MIN)));
  const parts: Part[] = new Array(t);
  for (let k = 0; k < t; k++) {
    const a = Math.floor((items * k) / t);
    parts[k] = part(a, Math.floor((items * (k + 1)) / t) - a);
  }
  rt.run(parts);
}

/** Rows per chunk: cache-sized when anything is staged on one thread, else up to CHUNK elements; whole groups. */
function rowsPerChunk(rows: number, n: number, group: number, staged: boolean, threads: number): number {
  const per = Math.max(1, Math.floor((staged && threads === 1 ? STAGE : CHUNK) / Math.max(n, 1)));
  return Math.min(rows, Math.max(group, per - (per % group)));
}

/** Runs the kernel over every row (see the module comment). */
export function staged(s: Staged): void {
  if (s.rows === 0) return;
  const t0 = stageClock.on ? performance.now() : 0;
  const rt = getRuntime();
  const h = rt.heap;
  const nIn = s.inputs.length;
  const count = nIn + s.outputs.length;
  // loops rather than map/some below: this runs on every call, and small calls feel every allocation
  const streams: Stream[] = new Array(count);
  for (let k = 0; k < nIn; k++) streams[k] = s.inputs[k];
  // an output that partly overlaps an input would overwrite rows not yet read: compute it into a temporary
  let temps: [Typed, Typed][] | null = null;
  for (let k = nIn; k < count; k++) {
    const o = s.outputs[k - nIn];
    const d = o.data;
    let clobbered = false;
    if (isTyped(d)) for (let i = 0; i < nIn && !clobbered; i++) clobbered = clobbers(d, s.inputs[i].data);
    if (!clobbered) {
      streams[k] = o;
      continue;
    }
    const t = new ((d as Typed).constructor as new (n: number) => Typed)((d as Typed).length);
    (temps ??= []).push([t, d as Typed]);
    streams[k] = { ...o, data: t };
  }
  // in place: a float32 stream living in the wasm memory, unless it is an output overlapping an input there;
  // rows copied in or out (not per-row scalars such as targets) make the chunks cache-sized
  const home: number[] = new Array(count);
  let anyStaged = false;
  for (let k = 0; k < count; k++) {
    const st = streams[k];
    let at = st.elem === 'f32' && st.data instanceof Float32Array ? h.offsetOf(st.data, s.rows * st.perRow) : -1;
    if (at >= 0 && k >= nIn) {
      for (let i = 0; i < nIn; i++) {
        const d = s.inputs[i].data;
        if (d !== null && h.holds(d) && overlaps(st.data, d)) at = -1;
      }
    }
    home[k] = at;
    if (at < 0 && st.data !== null && st.perRow === s.n) anyStaged = true;
  }
  const piped = anyStaged && !s.chunk && staging.pipeline && rt.parallel ? pipeRows(s.rows, s.n, s.group, rt.threads) : 0;
  if (piped > 0 && stageClock.on) stageClock.piped++;
  if (piped > 0) pipelined(rt, s, streams, home, piped);
  else serial(rt, s, streams, home, rowsPerChunk(s.rows, s.n, s.group, anyStaged, rt.threads));
  if (temps !== null) for (const [t, d] of temps) d.set(t);
  if (stageClock.on) stageClock.total += performance.now() - t0;
}

/** Chunk after chunk: copy in, the kernel on every thread, copy out (one thread, nothing staged, or one chunk). */
function serial(rt: Runtime, s: Staged, streams: readonly Stream[], home: readonly number[], per: number): void {
  const h = rt.heap;
  const nIn = s.inputs.length;
  const count = streams.length;
  const scratch = s.scratch ?? 0;
  const fixed = s.fixed ?? NONE;
  const sizes: number[] = new Array(count + fixed.length + 1);
  for (let k = 0; k < count; k++) sizes[k] = home[k] < 0 ? per * streams[k].perRow * BYTES[streams[k].elem] : 0;
  for (let k = 0; k < fixed.length; k++) sizes[count + k] = fixed[k].bytes;
  sizes[count + fixed.length] = s.chunk ? per * (s.chunkScratch ?? 0) : scratch * rt.threads;
  const blk = h.take(sizes);
  try {
    const fixedAt = blk.offs.slice(count, count + fixed.length);
    for (let k = 0; k < fixed.length; k++) fixed[k].init(rt, fixedAt[k]);
    const scratchAt = blk.offs[count + fixed.length];
    const at: number[] = new Array(count);
    for (let r0 = 0; r0 < s.rows; r0 += per) {
      const rows = Math.min(per, s.rows - r0);
      for (let k = 0; k < count; k++) at[k] = home[k] >= 0 ? home[k] + r0 * streams[k].perRow * 4 : blk.offs[k];
      for (let k = 0; k < nIn; k++) if (home[k] < 0) copyIn(rt, streams[k], at[k], r0, rows);
      if (s.chunk) {
        s.chunk(rt, r0, rows, at, scratchAt, fixedAt);
        for (let k = nIn; k < count; k++) if (home[k] < 0) copyOut(rt, streams[k], at[k], r0, rows);
        continue;
      }
      const ranges = split(rows, s.n, s.group, rt.threads);
      const parts: Part[] = new Array(ranges.length);
      for (let p = 0; p < ranges.length; p++) parts[p] = partOf(s, streams, at, ranges[p], scratchAt + p * scratch, fixedAt);
      rt.run(parts);
      s.afterChunk?.(rt, rows, at, fixedAt);
      for (let k = nIn; k < count; k++) if (home[k] < 0) copyOut(rt, streams[k], at[k], r0, rows);
    }
  } finally {
    h.give(blk);
  }
}

/** The part for rows [a, a + c) of a chunk whose first row is at the offsets `at`. */
function partOf(s: Staged, streams: readonly Stream[], at: readonly number[], [a, c]: readonly [number, number], scratch: number, fixed: readonly number[]): Part {
  const partAt: number[] = new Array(at.length);
  for (let j = 0; j < at.length; j++) partAt[j] = at[j] + a * streams[j].perRow * BYTES[streams[j].elem];
  return s.part(c, partAt, scratch, fixed);
}

/** Rows per chunk of the pipelined path (whole groups; see PIPE_MIN, and at least THREAD_MIN per thread), or 0 where the call has fewer than PIPE_CHUNKS chunks. */
function pipeRows(rows: number, n: number, group: number, threads: number): number {
  const elements = Math.max(PIPE_MIN, THREAD_MIN * threads, Math.min(PIPE_MAX, (rows * n) / PIPE_CHUNKS));
  const per = Math.floor(elements / Math.max(n, 1));
  const r = Math.max(group, per - (per % group));
  return PIPE_CHUNKS * r <= rows ? r : 0;
}

/**
 * With worker threads, chunks of `per` rows in two alternating sets of staging regions: while the
 * workers compute chunk i, this thread copies chunk i − 1 out and chunk i + 1 in. The copies are
 * this thread's alone (the caller's arrays are not shared with the workers), and a fresh result's
 * page faults land in them: a new Float32Array's pages are first touched by the copy out, at
 * 0.8–1.1 µs per 4 KB page on the 2-core Xeon of bench/FRESH-OUTPUTS.md, about 0.9 ns per element
 * (the softmax kernel takes 1.0 on one thread). Unpipelined, this thread copied in, computed its
 * share and copied out while the workers waited; pipelined, with 2 threads there, softmax
 * 8192×32000 went from 2.35 to 1.87 ns/element allocating and from 1.49 to 1.01 with `out`.
 * This thread also computes a share f of each chunk's E elements, as much as keeps it as busy as
 * a worker: c + f·E·k = (1 − f)·E·w/(T − 1), with c its copies per chunk, k and w the kernel's
 * time per element here and on a worker, measured on the previous chunks (f = 1/T for the first;
 * at most one half). How rows fall to threads never changes what a row computes (whole groups,
 * as split()).
 */
function pipelined(rt: Runtime, s: Staged, streams: readonly Stream[], home: readonly number[], per: number): void {
  const h = rt.heap;
  const nIn = s.inputs.length;
  const count = streams.length;
  const threads = rt.threads;
  const scratch = s.scratch ?? 0;
  const fixed = s.fixed ?? NONE;
  const sizes: number[] = new Array(2 * count + fixed.length + 1);
  for (let k = 0; k < count; k++) sizes[k] = sizes[count + k] = home[k] < 0 ? per * streams[k].perRow * BYTES[streams[k].elem] : 0;
  for (let k = 0; k < fixed.length; k++) sizes[2 * count + k] = fixed[k].bytes;
  sizes[2 * count + fixed.length] = scratch * threads;
  const blk = h.take(sizes);
  try {
    const fixedAt = blk.offs.slice(2 * count, 2 * count + fixed.length);
    for (let k = 0; k < fixed.length; k++) fixed[k].init(rt, fixedAt[k]);
    const scratchAt = blk.offs[2 * count + fixed.length];
    // the offsets of the chunk starting at row r0, staged in region set b
    const offsets = (b: number, r0: number): number[] => {
      const at: number[] = new Array(count);
      for (let k = 0; k < count; k++) at[k] = home[k] >= 0 ? home[k] + r0 * streams[k].perRow * 4 : blk.offs[b * count + k];
      return at;
    };
    const chunks = Math.ceil(s.rows / per);
    let prev = offsets(0, 0);
    for (let k = 0; k < nIn; k++) if (home[k] < 0) copyIn(rt, streams[k], prev[k], 0, Math.min(per, s.rows));
    // ms per element of the kernel on this thread and on a worker, ms of this thread's copies per chunk
    let here = NaN;
    let worker = NaN;
    let copies = 0;
    for (let i = 0; i < chunks; i++) {
      const r0 = i * per;
      const rows = Math.min(per, s.rows - r0);
      const at = i === 0 ? prev : offsets(i & 1, r0);
      // this thread's share f of the chunk's E elements: c + f·E·k = (1 − f)·E·w/(T − 1), at most half
      const e = rows * s.n;
      const wt = (worker === worker ? worker : here) / (threads - 1);
      const q = (e * wt - copies) / (e * here + e * wt);
      const f = q === q ? Math.min(0.5, Math.max(0, q)) : 1 / threads;
      const mine = s.group * Math.floor((rows * f) / s.group);
      const ranges = split(rows - mine, s.n, s.group, threads - 1);
      const parts: Part[] = [];
      if (mine > 0) parts.push(partOf(s, streams, at, [0, mine], scratchAt, fixedAt));
      for (let p = 0; p < ranges.length; p++) parts.push(partOf(s, streams, at, [mine + ranges[p][0], ranges[p][1]], scratchAt + (p + 1) * scratch, fixedAt));
      const last = prev;
      const next = i + 1 < chunks ? offsets((i + 1) & 1, r0 + per) : null;
      const t0 = performance.now();
      let t1 = t0;
      let t2 = t0;
      rt.run(parts, () => {
        t1 = performance.now();
        if (i > 0) for (let k = nIn; k < count; k++) if (home[k] < 0) copyOut(rt, streams[k], last[k], r0 - per, per);
        if (next !== null) for (let k = 0; k < nIn; k++) if (home[k] < 0) copyIn(rt, streams[k], next[k], r0 + per, Math.min(per, s.rows - r0 - per));
        t2 = performance.now();
      }, mine > 0);
      const t3 = performance.now();
      if (mine > 0) here = (t1 - t0) / (mine * s.n);
      copies = t2 - t1;
      // a worker is taken to be as fast as this thread, unless this thread waited for the workers:
      // then they took until t3
      if (ranges.length > 0) {
        const took = (t3 - t0) / (ranges[0][1] * s.n);
        worker = t3 - t2 > WAITED ? took : Math.min(took, here);
      }
      s.afterChunk?.(rt, rows, at, fixedAt);
      prev = at;
    }
    const r0 = (chunks - 1) * per;
    for (let k = nIn; k < count; k++) if (home[k] < 0) copyOut(rt, streams[k], prev[k], r0, s.rows - r0);
  } finally {
    h.give(blk);
  }
}

const NONE: readonly Fixed[] = [];

function view(rt: Runtime, elem: Elem): Typed {
  return elem === 'f32' ? rt.heap.f32 : elem === 'f64' ? rt.heap.f64 : rt.heap.i32;
}

function copyIn(rt: Runtime, st: Stream, at: number, r0: number, rows: number): void {
  const d = st.data;
  if (d === null) return;
  const t0 = stageClock.on ? performance.now() : 0;
  const v = view(rt, st.elem);
  const i = at / BYTES[st.elem];
  if (st.fill) st.fill(v, i, r0, rows);
  else if (isTyped(d) || ArrayBuffer.isView(d)) v.set((d as Typed).subarray(r0 * st.perRow, (r0 + rows) * st.perRow), i);
  else for (let k = 0, m = rows * st.perRow, b = r0 * st.perRow; k < m; k++) v[i + k] = d[b + k];
  if (stageClock.on) stageClock.copyIn += performance.now() - t0;
}

function copyOut(rt: Runtime, st: Stream, at: number, r0: number, rows: number): void {
  const d = st.data;
  if (d === null) return;
  const t0 = stageClock.on ? performance.now() : 0;
  const i = at / BYTES[st.elem];
  (d as Typed).set(view(rt, st.elem).subarray(i, i + rows * st.perRow), r0 * st.perRow);
  if (stageClock.on) stageClock.copyOut += performance.now() - t0;
}
