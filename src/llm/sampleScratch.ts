// The sampler's working memory: every buffer and result register the selection engine
// (selection.ts, topK.ts, topP.ts) uses, held in one object passed down the calls instead of
// module variables. Arrays indexed by position in the row grow together (grow(n)) and are never
// read before they are written for the current row, so one scratch serves calls of any size.

/** Up to this k, top-k selects with a heap of the k largest seen (one comparison per logit). */
export const HEAP_MAX = 1024;
/** Histogram of d = (z − max)/T: BINS_PER_UNIT bins per unit of d down to −HIST_DEPTH, the rest (e^d < 1.3e−14) in the last bin. */
export const BINS_PER_UNIT = 16;
export const HIST_DEPTH = 32;
export const NBINS = BINS_PER_UNIT * HIST_DEPTH + 1;

export class SamplerScratch {
  // Indexed by position in the row (length ≥ n after grow(n)).
  /** The exponentials e^((z − max)/T). */
  e = new Float64Array(0);
  /** Histogram bin of each position (top-p). */
  binIdx = new Uint16Array(0);
  /** Keep marks of the boundary bucket (selectMass). */
  keep = new Uint8Array(0);
  /** The boundary bucket's positions, and two work lists for selectMass (work1 also top-k's ties). */
  bucket = new Int32Array(0);
  work1 = new Int32Array(0);
  work2 = new Int32Array(0);
  /** The top-k candidates: logits in position order, and their positions. */
  xs = new Float64Array(0);
  pos = new Int32Array(0);
  /** Quickselect's copy of the row (top-k above HEAP_MAX). */
  vals = new Float64Array(0);
  /** The top-p set's positions, increasing (nKept of them). */
  klist = new Int32Array(0);
  /** Per position, the previous position of its histogram bin (−1 ends a bin's list). */
  next = new Int32Array(0);
  /** The positions samplingSet reports. */
  keptSet = new Int32Array(0);

  // Fixed sizes.
  /** The min-heap of top-k's k largest logits. */
  readonly heap = new Float64Array(HEAP_MAX);
  /** Top-p's bins: counts, the last position of each, suffix bounds of the mass, exact cumulative masses. */
  readonly binCnt = new Int32Array(NBINS);
  readonly binLast = new Int32Array(NBINS);
  readonly sufLo = new Float64Array(NBINS + 1);
  readonly sufHi = new Float64Array(NBINS + 1);
  readonly cumH = new Float64Array(NBINS);
  readonly cumL = new Float64Array(NBINS);

  // Result registers (the helpers allocate nothing).
  /** The row's max and −1 for a row of all −∞ (else 0), from scanRow. */
  rowM = 0;
  rowArg = 0;
  /** The mass selectMass kept, as a double-double. */
  selH = 0;
  selL = 0;
  /** The kept set's mass (double-double), from topPSet, expSum or keptMass. */
  keptH = 0;
  keptL = 0;
  /** Length of the top-p set in klist. */
  nKept = 0;

  /** Makes the per-position arrays hold at least n entries (their contents are not kept). */
  grow(n: number): void {
    if (this.e.length >= n) return;
    this.e = new Float64Array(n);
    this.binIdx = new Uint16Array(n);
    this.keep = new Uint8Array(n);
    this.bucket = new Int32Array(n);
    this.work1 = new Int32Array(n);
    this.work2 = new Int32Array(n);
    this.xs = new Float64Array(n);
    this.pos = new Int32Array(n);
    this.vals = new Float64Array(n);
    this.klist = new Int32Array(n);
    this.next = new Int32Array(n);
    this.keptSet = new Int32Array(n);
  }
}
