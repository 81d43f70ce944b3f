// When two arrays share memory: the one overlap test every op and backend uses for its outputs.
// An output identical to an input (the same bytes, the same type: out === x, or an equal view)
// is computed in place, which every kernel supports; one that only partly overlaps an input
// would overwrite values before they are read, so such a call computes into a temporary.

/** Whether two typed arrays share bytes of one buffer. */
export function overlaps(a: unknown, b: unknown): boolean {
  if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.buffer !== b.buffer) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength && a.byteLength > 0 && b.byteLength > 0;
}

/** The same bytes as the same element type: reading and writing element by element is safe. */
export function sameView(a: unknown, b: unknown): boolean {
  return (
    ArrayBuffer.isView(a) && ArrayBuffer.isView(b) && a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength && a.constructor === b.constructor
  );
}

/** Whether writing `out` could overwrite `input` before it is read: a partial overlap. */
export function clobbers(out: unknown, input: unknown): boolean {
  return overlaps(out, input) && !sameView(out, input);
}
