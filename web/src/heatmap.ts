// The softmax Jacobian as a heat map on a fixed diverging scale [−¼, ¼] (every entry of
// diag(p) − ppᵀ lies there), with a labelled colour bar. Hover a cell, or focus the map and use
// the arrow keys; the chosen entry is reported through onPick.

import { fmt } from './format.js';

const NS = 'http://www.w3.org/2000/svg';
const LIMIT = 0.25;
const SUB = '₀₁₂₃₄₅₆₇₈₉';

export function subscript(n: number): string {
  return String(n)
    .split('')
    .map((d) => SUB[Number(d)])
    .join('');
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** Blue for negative, white at 0, red for positive; linear in the value. */
export function divergingColor(v: number): string {
  const t = Math.max(-1, Math.min(1, v / LIMIT));
  const [r, g, b] = t < 0 ? [37, 99, 235] : [220, 38, 38];
  const a = Math.abs(t);
  const mix = (c: number) => Math.round(255 + (c - 255) * a);
  return `rgb(${mix(r)}, ${mix(g)}, ${mix(b)})`;
}

export class Heatmap {
  private J: ArrayLike<number> = [];
  private C = 0;
  private active: [number, number] = [0, 0];
  private cells: SVGRectElement[] = [];
  /** Re-reads the translated aria-label. */
  readonly relabel: () => void;

  constructor(
    private readonly host: HTMLElement,
    private readonly onPick: (i: number, j: number, v: number) => void,
    ariaLabel: () => string,
  ) {
    host.tabIndex = 0;
    host.setAttribute('role', 'group');
    const label = () => host.setAttribute('aria-label', ariaLabel());
    label();
    this.relabel = label;
    host.addEventListener('keydown', (e) => {
      const [i, j] = this.active;
      const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
      const mv = moves[e.key];
      if (e.key === 'Home') this.pick(i, 0);
      else if (e.key === 'End') this.pick(i, this.C - 1);
      else if (mv) this.pick(Math.min(this.C - 1, Math.max(0, i + mv[0])), Math.min(this.C - 1, Math.max(0, j + mv[1])));
      else return;
      e.preventDefault();
    });
    // hover with a mouse, tap on a touch screen
    const fromPointer = (e: PointerEvent) => {
      const cell = (e.target as Element).closest?.('rect[data-i]');
      if (cell) this.pick(Number(cell.getAttribute('data-i')), Number(cell.getAttribute('data-j')));
    };
    host.addEventListener('pointermove', fromPointer);
    host.addEventListener('pointerdown', fromPointer);
    let lastWidth = 0;
    new ResizeObserver(() => {
      if (host.clientWidth !== lastWidth && this.C > 0) {
        lastWidth = host.clientWidth;
        this.draw();
      }
    }).observe(host);
  }

  render(J: ArrayLike<number>, C: number): void {
    const resized = C !== this.C;
    this.J = J;
    this.C = C;
    if (this.active[0] >= C || this.active[1] >= C) this.active = [0, 0];
    if (resized || this.cells.length !== C * C) this.draw();
    else this.paint();
    this.report();
  }

  private pick(i: number, j: number): void {
    if (i === this.active[0] && j === this.active[1]) return;
    this.active = [i, j];
    this.paint();
    this.report();
  }

  private report(): void {
    const [i, j] = this.active;
    this.onPick(i, j, this.J[i * this.C + j]);
  }

  private draw(): void {
    const C = this.C;
    const W = Math.max(240, this.host.clientWidth);
    const barW = 64;
    const margin = 28;
    const size = Math.min(W - barW - margin - 8, 420);
    const cell = size / C;
    const H = size + margin + 8;
    this.host.style.height = `${H}px`;
    const root = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, 'aria-hidden': 'true', class: 'heat' });
    this.cells = [];
    for (let k = 0; k < C; k++) {
      const colLabel = svg('text', { x: margin + (k + 0.5) * cell, y: margin - 8, 'text-anchor': 'middle', class: 'tick' });
      colLabel.textContent = `z${subscript(k + 1)}`;
      const rowLabel = svg('text', { x: margin - 6, y: margin + (k + 0.5) * cell + 4, 'text-anchor': 'end', class: 'tick' });
      rowLabel.textContent = `p${subscript(k + 1)}`;
      root.append(colLabel, rowLabel);
    }
    for (let i = 0; i < C; i++) {
      for (let j = 0; j < C; j++) {
        const r = svg('rect', { x: margin + j * cell, y: margin + i * cell, width: cell, height: cell, 'data-i': i, 'data-j': j, class: 'cell' });
        this.cells.push(r);
        root.append(r);
      }
    }
    const labels = svg('g', { class: 'cell-values' });
    root.append(labels);
    // colour bar with ticks at −¼, 0, ¼
    const bx = margin + size + 16;
    const grad = svg('linearGradient', { id: 'jac-grad', x1: 0, y1: 1, x2: 0, y2: 0 });
    for (const [off, v] of [
      [0, -LIMIT],
      [0.5, 0],
      [1, LIMIT],
    ]) {
      grad.append(svg('stop', { offset: off, 'stop-color': divergingColor(v) }));
    }
    const defs = svg('defs');
    defs.append(grad);
    root.append(defs);
    root.append(svg('rect', { x: bx, y: margin, width: 12, height: size, fill: 'url(#jac-grad)', class: 'colorbar' }));
    for (const [v, s] of [
      [LIMIT, '0.25'],
      [0, '0'],
      [-LIMIT, '\u22120.25'],
    ] as const) {
      const ty = margin + ((LIMIT - v) / (2 * LIMIT)) * size;
      root.append(svg('line', { x1: bx + 12, x2: bx + 16, y1: ty, y2: ty, class: 'axis' }));
      const tl = svg('text', { x: bx + 19, y: ty + 4, class: 'tick' });
      tl.textContent = s;
      root.append(tl);
    }
    this.host.replaceChildren(root);
    this.paint();
  }

  private paint(): void {
    const C = this.C;
    const [ai, aj] = this.active;
    const first = this.cells[0];
    const cell = first ? Number(first.getAttribute('width')) : 0;
    const labels = this.host.querySelector('.cell-values');
    labels?.replaceChildren();
    for (let i = 0; i < C; i++) {
      for (let j = 0; j < C; j++) {
        const v = this.J[i * C + j];
        const r = this.cells[i * C + j];
        r.setAttribute('fill', divergingColor(v));
        r.classList.toggle('active', i === ai && j === aj);
        if (labels && cell >= 44) {
          const tx = svg('text', {
            x: Number(r.getAttribute('x')) + cell / 2,
            y: Number(r.getAttribute('y')) + cell / 2 + 4,
            'text-anchor': 'middle',
            class: Math.abs(v) > 0.6 * LIMIT ? 'cv light' : 'cv',
          });
          tx.textContent = fmt(v, 2);
          labels.append(tx);
        }
      }
    }
    // draw the active outline last so it sits on top
    const a = this.cells[ai * C + aj];
    if (a) a.parentNode?.insertBefore(a, labels ?? null);
  }
}
