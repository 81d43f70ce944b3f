/// <reference types="node" />
// Terminal output of the sigmax command: colours (picocolors), progress bars (cli-progress),
// sparklines, aligned tables, number formats, and the --json mode in which a command prints
// nothing but one JSON object at the end.

import cliProgress from 'cli-progress';
import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

/** A usage error: the command prints one line and exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Exit codes: 2 is the Unix convention for bad usage; 130 = 128 + SIGINT. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

export interface ProgressBar {
  update(value: number, payload?: Record<string, string>): void;
  stop(): void;
}

const silentBar: ProgressBar = { update() {}, stop() {} };

/** Where a command writes: human text on stdout, or (with --json) only the final JSON object. */
export class Ui {
  readonly c: Colors;
  private readonly bars = new Set<ProgressBar>();

  constructor(
    readonly json: boolean,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {
    // picocolors already honours NO_COLOR, FORCE_COLOR, --no-color, --color and whether stdout is a terminal.
    this.c = pc.createColors(!json && pc.isColorSupported);
  }

  /** A line of human output (nothing in --json mode). */
  line(text = ''): void {
    if (!this.json) this.out.write(`${text}\n`);
  }

  heading(text: string): void {
    this.line();
    this.line(this.c.bold(this.c.cyan(text)));
  }

  /** A `label  value` line with the labels aligned. */
  field(label: string, value: string): void {
    this.line(`  ${this.c.dim(label.padEnd(12))}${value}`);
  }

  /** The result object: the last (and in --json mode the only) thing a command prints. */
  result(obj: unknown): void {
    if (this.json) this.out.write(`${compactJson(obj)}\n`);
  }

  /** A progress bar on stderr when it is a terminal and not in --json mode; otherwise a no-op. */
  progress(label: string, total: number, unit: string): ProgressBar {
    if (this.json || !process.stderr.isTTY) return silentBar;
    const bar = new cliProgress.SingleBar(
      {
        format: `  ${label.padEnd(10)} ${this.c.cyan('{bar}')} {percentage}% | ${unit} {value}/{total} | {info}`,
        barCompleteChar: '█',
        barIncompleteChar: '░',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        // Ctrl-C is handled by the command (it must not leave half-written files), not by the bar.
        gracefulExit: false,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: '' });
    const handle: ProgressBar = {
      update: (value, payload) => bar.update(value, payload ?? {}),
      stop: () => {
        if (this.bars.delete(handle)) bar.stop();
      },
    };
    this.bars.add(handle);
    return handle;
  }

  /** Stops every bar still drawing (before an error message or on Ctrl-C). */
  stopBars(): void {
    for (const b of [...this.bars]) b.stop();
  }
}

/** Indented JSON with arrays of numbers kept on one line (a loss curve is one line, not 300). */
export function compactJson(obj: unknown): string {
  return JSON.stringify(obj, jsonNumbers, 2).replace(/\[\s*(-?[\d.eE+-]+|null)(\s*,\s*(-?[\d.eE+-]+|null))*\s*\]/g, (m) => m.replace(/\s+/g, '').replace(/,/g, ', '));
}

/** JSON has no NaN or ∞: write them as null rather than failing. */
function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

const SPARKS = '▁▂▃▄▅▆▇█';

/** A one-line chart of the values, at most `width` characters (long series are averaged in buckets). */
export function sparkline(values: readonly number[], width = 40, range?: { min: number; max: number }): string {
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return '';
  const n = Math.min(width, v.length);
  const buckets: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = Math.floor((i * v.length) / n);
    const e = Math.floor(((i + 1) * v.length) / n);
    let sum = 0;
    for (let j = s; j < e; j++) sum += v[j];
    buckets.push(sum / (e - s));
  }
  const min = range?.min ?? Math.min(...buckets);
  const max = range?.max ?? Math.max(...buckets);
  return buckets.map((b) => SPARKS[max > min ? Math.round(((b - min) / (max - min)) * (SPARKS.length - 1)) : 0]).join('');
}

/** A number with `digits` significant digits, in exponent form when very small or large. */
export function num(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a < 1e-3 || a >= 1e6 ? x.toExponential(Math.max(0, digits - 2)) : String(Number(x.toPrecision(digits)));
}

export function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

/** Rows of cells as aligned columns; `align` has one letter per column, 'l' or 'r' (default: first left, rest right). */
export function table(rows: readonly (readonly string[])[], indent = '  ', align?: string): string[] {
  const width = (s: string) => [...s.replace(/\x1b\[[0-9;]*m/g, '')].length;
  const cols = Math.max(...rows.map((r) => r.length));
  const w = Array.from({ length: cols }, (_, c) => Math.max(...rows.map((r) => (r[c] === undefined ? 0 : width(r[c])))));
  const left = (c: number) => (align === undefined ? c === 0 : align[c] === 'l');
  return rows.map((r) =>
    (
      indent +
      r
        .map((cell, c) => {
          const pad = ' '.repeat(w[c] - width(cell));
          return left(c) ? cell + pad : pad + cell;
        })
        .join('  ')
    ).trimEnd(),
  );
}
