// Bar charts in SVG with a labelled value axis: probabilities on a fixed [0, 1] scale and
// gradients on a fixed [−1, 1] scale, so bars move but axes never jump. Each bar carries its
// exact value in data-value (what the browser tests read) and a tooltip.

import { fmt } from './format.js';

const NS = 'http://www.w3.org/2000/svg';

export interface BarSeries {
  label: string;
  color: string;
  values: ArrayLike<number>;
  /** Each bar gets data-testid `${testid}-${i}`. */
  testid: string;
}

export interface BarSpec {
  categories: string[];
  series: BarSeries[];
  domain: [number, number];
  ticks: number[];
  yLabel: string;
  xLabel: string;
  /** A category to mark (the true class). */
  highlight?: number;
  /** Slanted category labels, for words that would overlap written level. */
  slant?: boolean;
  ariaLabel: string;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function text(x: number, y: number, s: string, attrs: Record<string, string | number> = {}): SVGTextElement {
  const el = svg('text', { x, y, ...attrs });
  el.textContent = s;
  return el;
}

export class BarChart {
  private spec: BarSpec | null = null;

  constructor(
    private readonly host: HTMLElement,
    private readonly height: (width: number) => number,
  ) {
    let lastWidth = 0;
    new ResizeObserver(() => {
      const w = host.clientWidth;
      if (w !== lastWidth && this.spec) {
        lastWidth = w;
        this.draw();
      }
    }).observe(host);
  }

  render(spec: BarSpec): void {
    this.spec = spec;
    this.draw();
  }

  private draw(): void {
    const spec = this.spec;
    if (!spec) return;
    const W = Math.max(240, this.host.clientWidth);
    const H = this.height(W);
    this.host.style.height = `${H}px`;
    const m = { left: 52, right: 10, top: 22, bottom: spec.slant ? 90 : 42 };
    const pw = W - m.left - m.right;
    const ph = H - m.top - m.bottom;
    const [y0, y1] = spec.domain;
    const y = (v: number) => m.top + ((y1 - Math.min(y1, Math.max(y0, v))) / (y1 - y0)) * ph;
    const n = spec.categories.length;
    const group = pw / n;
    const ns = spec.series.length;
    const barW = Math.min(56, (group * 0.78) / ns);
    const root = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': spec.ariaLabel, class: 'bars' });

    // value axis: grid lines, ticks, label
    for (const tv of spec.ticks) {
      const ty = y(tv);
      root.append(svg('line', { x1: m.left, x2: W - m.right, y1: ty, y2: ty, class: tv === 0 ? 'zero' : 'grid' }));
      root.append(text(m.left - 6, ty + 4, fmt(tv, 3), { class: 'tick', 'text-anchor': 'end' }));
    }
    root.append(text(14, m.top + ph / 2, spec.yLabel, { class: 'axis-label', 'text-anchor': 'middle', transform: `rotate(-90 14 ${m.top + ph / 2})` }));
    root.append(svg('line', { x1: m.left, x2: m.left, y1: m.top, y2: m.top + ph, class: 'axis' }));

    // categories
    for (let i = 0; i < n; i++) {
      const gx = m.left + i * group;
      if (i === spec.highlight) {
        root.append(svg('rect', { x: gx + 2, y: m.top, width: group - 4, height: ph, class: 'hl' }));
      }
      const cls = i === spec.highlight ? 'cat cat-hl' : 'cat';
      if (spec.slant) {
        const cx = gx + group / 2 + 4;
        const cy = m.top + ph + 12;
        // Narrow groups (a phone) need a steeper slant for neighbours not to collide.
        const angle = group < 40 ? -65 : -40;
        root.append(text(cx, cy, spec.categories[i], { class: cls, 'text-anchor': 'end', transform: `rotate(${angle} ${cx} ${cy})` }));
      } else root.append(text(gx + group / 2, m.top + ph + 16, spec.categories[i], { class: cls, 'text-anchor': 'middle' }));
      spec.series.forEach((s, k) => {
        const v = s.values[i];
        const bx = gx + group / 2 - (ns * barW) / 2 + k * barW;
        const top = y(Math.max(v, 0));
        const bottom = y(Math.min(v, 0));
        const rect = svg('rect', {
          x: bx + 1,
          y: top,
          width: Math.max(1, barW - 2),
          height: Math.max(Number.isFinite(v) && v !== 0 ? 1 : 0, bottom - top),
          fill: s.color,
          'data-testid': `${s.testid}-${i}`,
          'data-value': String(v),
        });
        const title = svg('title');
        title.textContent = `${s.label} ${spec.categories[i]}: ${String(v)}`;
        rect.append(title);
        root.append(rect);
        if (barW >= 30) {
          const label = fmt(v, 3);
          const ly = v >= 0 ? top - 5 : bottom + 13;
          root.append(text(bx + barW / 2, ly, label, { class: 'val', 'text-anchor': 'middle' }));
        }
      });
    }
    root.append(text(m.left + pw / 2, H - 6, spec.xLabel, { class: 'axis-label', 'text-anchor': 'middle' }));
    this.host.replaceChildren(root);
  }
}

export const barHeight = (w: number): number => (w < 520 ? 200 : 240);
