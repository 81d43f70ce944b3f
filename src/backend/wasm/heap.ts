// The wasm memory and what lives in it: whole-memory views (rebuilt when it grows), a first-fit
// allocator over the memory above the reserved first page, and the registry of zero-copy arrays
// (sigmax/wasm's allocFloat32). Byte offsets run up to 4 GiB, so they become view indices by
// unsigned shifts (>>> 2, >>> 3): a signed shift would turn offsets past 2 GiB negative.

import { SigmaxError } from '../../core/errors.js';

export const PAGE = 65536;
/** The first page is left to the module's static data and the thread pool's control block. */
export const BASE = PAGE;
/** 4 GiB in pages, the shared build's maximum. */
export const MAX_PAGES = 65536;

/** Consecutive regions of one allocation: its offset, its byte size and the regions' offsets. */
export interface Block {
  readonly at: number;
  readonly bytes: number;
  readonly offs: readonly number[];
}

/** Bytes a request of `bytes` takes: 16-aligned, plus 16 readable spare bytes (whole-vector tails). */
const padded = (bytes: number): number => Math.ceil(bytes / 16) * 16 + 16;

/**
 * The memory is shared wherever SharedArrayBuffer exists, even with one thread: a shared
 * memory's buffer is never detached when it grows, so Float32Arrays living in it stay valid.
 */
export class Heap {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  f32 = new Float32Array(0);
  f64 = new Float64Array(0);
  i32 = new Int32Array(0);
  /** Every buffer object this memory has had (a shared memory hands out a new one per growth). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private top = BASE;
  /** Free blocks below top, as [offset, bytes] pairs sorted by offset. */
  private holes: number[] = [];
  /** The live zero-copy arrays by byte offset: the array object itself, so a stale handle frees nothing. */
  private readonly arrays = new Map<number, Float32Array>();

  constructor() {
    let memory: WebAssembly.Memory | null = null;
    if (typeof SharedArrayBuffer === 'function') {
      try {
        memory = new WebAssembly.Memory({ initial: 32, maximum: MAX_PAGES, shared: true });
      } catch {
        memory = null;
      }
    }
    this.shared = memory !== null;
    this.memory = memory ?? new WebAssembly.Memory({ initial: 32 });
    this.views();
  }

  private views(): void {
    const b = this.memory.buffer;
    this.buffers.add(b);
    this.f32 = new Float32Array(b);
    this.f64 = new Float64Array(b);
    this.i32 = new Int32Array(b);
  }

  /** Makes the memory at least `bytes` long; past the 4 GiB limit, a SigmaxError saying so. */
  private ensure(bytes: number, fn: string): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      const pages = Math.ceil((bytes - have) / PAGE);
      try {
        this.memory.grow(pages);
      } catch {
        const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;
        throw new SigmaxError('INVALID_OPTION', `${fn}: the wasm memory cannot grow to ${mib(bytes)} (its limit is ${mib(MAX_PAGES * PAGE)}; ${mib(have)} in use)`);
      }
    }
    if (this.f32.buffer !== this.memory.buffer) this.views();
  }

  /** A block of at least `bytes` bytes, 16-byte aligned and followed by 16 readable spare bytes. */
  alloc(bytes: number, fn = 'sigmax'): number {
    const size = padded(bytes);
    const h = this.holes;
    for (let i = 0; i < h.length; i += 2) {
      if (h[i + 1] < size) continue;
      const at = h[i];
      h[i] += size;
      h[i + 1] -= size;
      if (h[i + 1] === 0) h.splice(i, 2);
      return at;
    }
    const at = this.top;
    this.ensure(at + size, fn);
    this.top = at + size;
    return at;
  }

  /** Gives back a block from alloc (same `bytes`). */
  release(at: number, bytes: number): void {
    const size = padded(bytes);
    const h = this.holes;
    let i = 0;
    while (i < h.length && h[i] < at) i += 2;
    h.splice(i, 0, at, size);
    // merge with the next and the previous hole
    if (i + 2 < h.length && h[i] + h[i + 1] === h[i + 2]) {
      h[i + 1] += h[i + 3];
      h.splice(i + 2, 2);
    }
    if (i > 0 && h[i - 2] + h[i - 1] === h[i]) {
      h[i - 1] += h[i + 1];
      h.splice(i, 2);
      i -= 2;
    }
    // a hole that reaches the top lowers it
    if (h.length > 0 && h[h.length - 2] + h[h.length - 1] === this.top) {
      this.top = h[h.length - 2];
      h.length -= 2;
    }
  }

  /** Consecutive regions of the given byte sizes in one new block (each 16-aligned with 16 spare bytes). */
  take(sizes: readonly number[]): Block {
    let bytes = 0;
    for (let k = 0; k < sizes.length; k++) bytes += padded(sizes[k]);
    const at = this.alloc(bytes);
    const offs: number[] = new Array(sizes.length);
    for (let k = 0, o = at; k < sizes.length; k++) {
      offs[k] = o;
      o += padded(sizes[k]);
    }
    return { at, bytes, offs };
  }

  give(b: Block): void {
    this.release(b.at, b.bytes);
  }

  /** Whether `a` is a view of this memory (any of its buffers) above the reserved page. */
  holds(a: unknown): a is Float32Array {
    return a instanceof Float32Array && this.buffers.has(a.buffer) && a.byteOffset >= BASE;
  }

  /** The byte offset of a Float32Array of at least `length` elements living in this memory, else −1. */
  offsetOf(a: Float32Array | null, length: number): number {
    return a !== null && this.holds(a) && a.length >= length ? a.byteOffset : -1;
  }

  /** A zero-filled Float32Array of `length` elements in this memory (needs the shared memory). */
  allocArray(length: number, fn: string): Float32Array {
    const at = this.alloc(length * 4, fn);
    const a = new Float32Array(this.memory.buffer, at, length);
    a.fill(0);
    this.arrays.set(at, a);
    return a;
  }

  /** Frees an array from allocArray: false for anything else, an array already freed, or a stale handle. */
  freeArray(a: unknown): boolean {
    if (!this.holds(a) || this.arrays.get(a.byteOffset) !== a) return false;
    this.arrays.delete(a.byteOffset);
    this.release(a.byteOffset, a.length * 4);
    return true;
  }
}
