// Small DOM helpers shared by the sections.

import { fmt } from './format.js';
import { renderTex } from './tex.js';

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`explorer: #${id} is missing from index.html`);
  return el as T;
}

type Attrs = Record<string, string | number | boolean | undefined>;

/** Creates an element with attributes (class, data-*, aria-*, …) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : String(value));
  }
  el.append(...children);
  return el;
}

/**
 * Shows a number: the formatted text, the exact value in data-value (what the tests read) and in
 * the tooltip.
 */
export function show(el: Element, v: number, digits = 6): void {
  const text = fmt(v, digits);
  if (el.textContent !== text) el.textContent = text;
  (el as HTMLElement).dataset.value = String(v);
  el.setAttribute('title', String(v));
}

export interface ReadoutRow {
  id: string;
  tex: string;
  digits?: number;
}

/** A definition list of math labels and number outputs; returns the outputs by id. */
export function readout(host: HTMLElement, rows: ReadoutRow[]): Record<string, HTMLOutputElement> {
  const outs: Record<string, HTMLOutputElement> = {};
  const dl = h('dl', { class: 'readout' });
  for (const row of rows) {
    const dt = h('dt');
    renderTex(dt, row.tex);
    const out = h('output', { id: row.id, 'data-testid': row.id });
    outs[row.id] = out;
    dl.append(h('div', { class: 'ro' }, dt, h('dd', {}, out)));
  }
  host.replaceChildren(dl);
  return outs;
}

/**
 * Copies each column's heading (its data-label, else its text) into the body cells' data-label,
 * so that on a phone the stylesheet can show every row as labelled pairs instead of a wide table.
 */
export function labelCells(table: HTMLTableElement): HTMLTableElement {
  table.classList.add('cards');
  const heads = Array.from(table.tHead?.rows[0]?.cells ?? []).map((th) => th.dataset.label ?? th.textContent ?? '');
  for (const tbody of Array.from(table.tBodies)) {
    for (const tr of Array.from(tbody.rows)) {
      Array.from(tr.cells).forEach((cell, k) => {
        if (cell.tagName === 'TD' && heads[k] && cell.childNodes.length > 0) cell.dataset.label = heads[k];
      });
    }
  }
  return table;
}
