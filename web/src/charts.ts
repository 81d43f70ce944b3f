// uPlot charts that fit their container: the host keeps a fixed height (no layout jumps), the
// width follows the container, and a language switch rebuilds every chart with new axis labels.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { onLang } from './i18n.js';
import { mathText } from './tex.js';

export const colors = {
  blue: '#2563eb',
  red: '#dc2626',
  green: '#15803d',
  orange: '#d97706',
  purple: '#7c3aed',
  slate: '#334155',
  grid: '#e2e8f0',
  axis: '#475569',
};

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans SC", "PingFang SC", sans-serif';
const LABEL_FONT = '600 12px system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans SC", "PingFang SC", sans-serif';

/** An axis in the page's style. */
export function axis(label: string, extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return {
    label,
    font: FONT,
    labelFont: LABEL_FONT,
    labelSize: 20,
    stroke: colors.axis,
    grid: { stroke: colors.grid, width: 1 },
    ticks: { stroke: colors.grid, width: 1, size: 4 },
    ...extra,
  };
}

/** Tick labels with a real minus sign and no float noise. */
export function tickValues(_u: uPlot, splits: number[]): string[] {
  return splits.map((v) => (v == null ? '' : String(Number(v.toPrecision(6))).replace('-', '\u2212')));
}

/** Tick labels for a log axis: powers of ten as 10⁻³, the 2× and 5× ticks as plain numbers. */
export function logTickValues(_u: uPlot, splits: number[]): string[] {
  const sup: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };
  return splits.map((v) => {
    if (v == null || !(v > 0)) return '';
    const e = Math.round(Math.log10(v));
    if (Math.abs(Math.log10(v) - e) > 1e-9) return String(Number(v.toPrecision(1)));
    if (e === 0) return '1';
    if (e === 1) return '10';
    return `10${String(e)
      .split('')
      .map((c) => sup[c])
      .join('')}`;
  });
}

/**
 * Splits for a log axis: powers of ten only, thinned to one every `stride` decades so that labels
 * stay at least `minGap` CSS pixels apart.
 */
export function decadeSplits(minGap: number): uPlot.Axis.Splits {
  return (u: uPlot, axisIdx: number, min: number, max: number) => {
    const lo = Math.ceil(Math.log10(min) - 1e-9);
    const hi = Math.floor(Math.log10(max) + 1e-9);
    const horizontal = u.axes[axisIdx].side === 0 || u.axes[axisIdx].side === 2;
    const px = (horizontal ? u.bbox.width : u.bbox.height) / (devicePixelRatio || 1);
    const count = Math.max(1, hi - lo);
    const stride = Math.max(1, Math.ceil((count * minGap) / Math.max(px, 1)));
    const out: number[] = [];
    for (let e = lo; e <= hi; e++) if ((e - lo) % stride === 0) out.push(10 ** e);
    // a range of a decade or two also gets 2× and 5× ticks
    if (count < 3) {
      for (let e = lo - 1; e <= hi; e++) {
        for (const m of [2, 5]) {
          const v = m * 10 ** e;
          if (v >= min && v <= max) out.push(v);
        }
      }
      out.sort((a, b) => a - b);
    }
    return out;
  };
}

/** Keeps every split's label (uPlot thins log-axis labels by default; decadeSplits already did). */
export function keepAll(_u: uPlot, splits: number[]): number[] {
  return splits;
}

export type ChartOptions = Omit<uPlot.Options, 'width' | 'height'>;

const all = new Set<Chart>();
onLang(() => all.forEach((c) => c.rebuild()));

export class Chart {
  private u: uPlot | null = null;

  /**
   * @param host an empty element; its height is fixed here
   * @param height the chart height for a given width
   * @param options called on every (re)build, so labels can be translated
   * @param data the current data
   */
  constructor(
    readonly host: HTMLElement,
    private readonly height: (width: number) => number,
    private readonly options: () => ChartOptions,
    private readonly data: () => uPlot.AlignedData,
  ) {
    all.add(this);
    let lastWidth = 0;
    new ResizeObserver(() => {
      const w = this.width();
      if (w !== lastWidth) {
        lastWidth = w;
        this.resize();
      }
    }).observe(host);
  }

  private width(): number {
    return Math.max(200, Math.floor(this.host.clientWidth));
  }

  rebuild(): void {
    const width = this.width();
    const height = this.height(width);
    this.host.style.height = `${height}px`;
    this.u?.destroy();
    this.u = new uPlot({ ...this.options(), width, height, legend: { show: false } }, this.data(), this.host);
  }

  /** New data on the same axes (scales recomputed unless `keepScales`). */
  update(keepScales = false): void {
    if (!this.u) return this.rebuild();
    this.u.setData(this.data(), !keepScales);
  }

  /** Redraws without new data (for hooks that read the page state). */
  redraw(): void {
    this.u?.redraw(false);
  }

  private resize(): void {
    if (!this.u) return;
    const width = this.width();
    const height = this.height(width);
    this.host.style.height = `${height}px`;
    this.u.setSize({ width, height });
  }
}

/** Default heights: a little shorter on a phone. */
export const lineHeight = (w: number): number => (w < 520 ? 230 : 290);

/** Draws on the plotting area only (clipped to it), in canvas pixels. */
export function inPlot(u: uPlot, draw: (ctx: CanvasRenderingContext2D) => void): void {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.beginPath();
  ctx.rect(bbox.left, bbox.top, bbox.width, bbox.height);
  ctx.clip();
  draw(ctx);
  ctx.restore();
}

/** A HTML legend with line swatches, translated by the caller. */
export interface LegendItem {
  label: string;
  color: string;
  dash?: boolean;
  kind?: 'line' | 'box' | 'dot';
}

export function renderLegend(host: HTMLElement, items: LegendItem[]): void {
  host.replaceChildren(
    ...items.map((it) => {
      const sw = document.createElement('span');
      sw.className = `sw sw-${it.kind ?? 'line'}${it.dash ? ' dash' : ''}`;
      sw.style.setProperty('--c', it.color);
      const text = document.createElement('span');
      text.innerHTML = mathText(it.label);
      const li = document.createElement('span');
      li.className = 'li';
      li.append(sw, text);
      return li;
    }),
  );
}
