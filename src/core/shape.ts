// Axis handling: a reduction along `axis` sees the data as [outer, size, inner] (row-major), so
// the elements of one row sit `inner` apart. Threads and kernels split work by whole rows.

import { fail } from './errors.js';

/** A tensor seen as outer × size × inner with the reduced axis in the middle. */
export interface Layout {
  readonly outer: number;
  readonly size: number;
  readonly inner: number;
}

/** Resolves a possibly negative axis against a rank (a 0-d tensor has no axis). */
export function normalizeAxis(fn: string, axis: unknown, rank: number, what = 'axis'): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis)) {
    fail(fn, 'INVALID_AXIS', `${what} must be an integer, got ${typeof axis === 'number' ? axis : typeof axis}`);
  }
  if (axis < -rank || axis >= rank) {
    fail(fn, 'INVALID_AXIS', `${what} ${axis} is out of range for a tensor of rank ${rank} (expected ${-rank} to ${rank - 1})`);
  }
  return axis < 0 ? axis + rank : axis;
}

export function layoutOf(shape: readonly number[], axis: number): Layout {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, size: shape[axis], inner };
}

/** The shape without `axis` (keepDims: with that axis set to 1). */
export function reducedShape(shape: readonly number[], axis: number, keepDims = false): number[] {
  const s = shape.slice();
  if (keepDims) s[axis] = 1;
  else s.splice(axis, 1);
  return s;
}
