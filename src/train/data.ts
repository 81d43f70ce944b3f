// Labelled datasets for the classifiers: features, integer class labels, optional names; seeded
// (stratified) splits and a feature standardizer fitted on training rows only.

import { type Matrix, type Features, range, selectRows, toMatrix } from './matrix.js';
import { Rng } from './rng.js';

/** Features x with one class label per row in y (0 … classes − 1). */
export interface Dataset {
  readonly x: Matrix;
  readonly y: Int32Array;
  readonly classes: number;
  readonly classNames?: readonly string[];
  readonly featureNames?: readonly string[];
}

/** A dataset from features and labels, checking that every label is a class index. */
export function dataset(
  x: Features,
  y: ArrayLike<number>,
  opts: { classes?: number; classNames?: readonly string[]; featureNames?: readonly string[] } = {},
): Dataset {
  const m = toMatrix(x);
  if (y.length !== m.rows) throw new RangeError(`dataset: ${m.rows} feature rows but ${y.length} labels`);
  const labels = Int32Array.from(y as ArrayLike<number>);
  let max = -1;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== y[i] || labels[i] < 0) throw new RangeError(`dataset: y[${i}] = ${y[i]} is not a class index`);
    max = Math.max(max, labels[i]);
  }
  const classes = opts.classes ?? opts.classNames?.length ?? max + 1;
  if (max >= classes) throw new RangeError(`dataset: y holds class ${max} but there are ${classes} classes`);
  return { x: m, y: labels, classes, classNames: opts.classNames, featureNames: opts.featureNames };
}

/** The rows `rows` of a dataset, in that order. */
export function subset(d: Dataset, rows: ArrayLike<number>): Dataset {
  const y = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) y[i] = d.y[rows[i]];
  return { x: selectRows(d.x, rows), y, classes: d.classes, classNames: d.classNames, featureNames: d.featureNames };
}

export interface SplitOptions {
  /** Seeds the shuffle (default 0). */
  seed?: number;
  /** Keep each class's share in both parts (default true). */
  stratify?: boolean;
}

/**
 * Splits row indices 0 … n − 1 into a kept part and a held-out part of round(fraction·n) rows
 * (per class when stratified), after a seeded shuffle. Both parts come back sorted.
 */
export function splitIndices(labels: ArrayLike<number>, fraction: number, opts: SplitOptions = {}): { kept: Int32Array; held: Int32Array } {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`split: fraction must be in [0, 1], got ${fraction}`);
  const rng = new Rng(opts.seed ?? 0);
  const groups = new Map<number, number[]>();
  const stratify = opts.stratify ?? true;
  for (let i = 0; i < labels.length; i++) {
    const key = stratify ? labels[i] : 0;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = []));
    g.push(i);
  }
  const kept: number[] = [];
  const held: number[] = [];
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const g = rng.shuffle(groups.get(key) as number[]);
    const h = Math.round(fraction * g.length);
    held.push(...g.slice(0, h));
    kept.push(...g.slice(h));
  }
  const sorted = (a: number[]) => Int32Array.from(a).sort();
  return { kept: sorted(kept), held: sorted(held) };
}

/** Splits a dataset into train and test parts, `testFraction` of the rows going to test. */
export function trainTestSplit(d: Dataset, testFraction: number, opts: SplitOptions = {}): { train: Dataset; test: Dataset } {
  const { kept, held } = splitIndices(d.y, testFraction, opts);
  return { train: subset(d, kept), test: subset(d, held) };
}

/** Centres and scales each column to mean 0 and standard deviation 1, with statistics from the training rows. */
export class Standardizer {
  constructor(
    readonly mean: Float64Array,
    readonly std: Float64Array,
  ) {}

  /** Column means and (population) standard deviations of a dense matrix; a constant column keeps scale 1. */
  static fit(m: Matrix): Standardizer {
    if (m.kind !== 'dense') throw new TypeError('Standardizer.fit: needs a dense matrix (centring would fill a sparse one)');
    const mean = new Float64Array(m.cols);
    const std = new Float64Array(m.cols);
    for (let r = 0; r < m.rows; r++) for (let k = 0; k < m.cols; k++) mean[k] += m.data[r * m.cols + k];
    for (let k = 0; k < m.cols; k++) mean[k] /= Math.max(1, m.rows);
    for (let r = 0; r < m.rows; r++) {
      for (let k = 0; k < m.cols; k++) {
        const d = m.data[r * m.cols + k] - mean[k];
        std[k] += d * d;
      }
    }
    for (let k = 0; k < m.cols; k++) {
      const s = Math.sqrt(std[k] / Math.max(1, m.rows));
      std[k] = s > 0 ? s : 1;
    }
    return new Standardizer(mean, std);
  }

  transform(x: Features): Matrix {
    const m = toMatrix(x);
    if (m.kind !== 'dense') throw new TypeError('Standardizer.transform: needs a dense matrix');
    if (m.cols !== this.mean.length) throw new RangeError(`Standardizer.transform: ${m.cols} columns, fitted on ${this.mean.length}`);
    const data = new Float64Array(m.data.length);
    for (let r = 0; r < m.rows; r++) {
      for (let k = 0; k < m.cols; k++) data[r * m.cols + k] = (m.data[r * m.cols + k] - this.mean[k]) / this.std[k];
    }
    return { kind: 'dense', rows: m.rows, cols: m.cols, data };
  }

  /** The same dataset with standardized features. */
  apply(d: Dataset): Dataset {
    return { ...d, x: this.transform(d.x) };
  }

  toJSON(): { mean: number[]; std: number[] } {
    return { mean: [...this.mean], std: [...this.std] };
  }

  static fromJSON(j: { mean: readonly number[]; std: readonly number[] }): Standardizer {
    return new Standardizer(Float64Array.from(j.mean), Float64Array.from(j.std));
  }
}

export { range };
