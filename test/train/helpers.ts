// Small synthetic datasets for the training tests: seeded Gaussian blobs, one per class.

import { type Dataset, Rng, denseMatrix } from '../../src/train/index.js';

/** `perClass` points around each of `classes` centres spread on a circle of radius `spread` in `dims` dimensions. */
export function blobs(opts: { classes: number; perClass: number; dims?: number; spread?: number; noise?: number; seed?: number }): Dataset {
  const { classes, perClass } = opts;
  const dims = opts.dims ?? 2;
  const rng = new Rng(opts.seed ?? 0);
  const rows: number[][] = [];
  const y: number[] = [];
  for (let c = 0; c < classes; c++) {
    const angle = (2 * Math.PI * c) / classes;
    for (let i = 0; i < perClass; i++) {
      const row = Array.from({ length: dims }, (_, d) => (d === 0 ? Math.cos(angle) : d === 1 ? Math.sin(angle) : 0) * (opts.spread ?? 2) + (opts.noise ?? 1) * rng.normal());
      rows.push(row);
      y.push(c);
    }
  }
  return { x: denseMatrix(rows), y: Int32Array.from(y), classes };
}
