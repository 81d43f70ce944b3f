// KaTeX rendering: display formulas, inline math in translated sentences ($…$), and TeX strings
// for read-out labels.

import katex from 'katex';

export function renderTex(el: HTMLElement, tex: string, display = false): void {
  katex.render(tex, el, { displayMode: display, throwOnError: false, output: 'htmlAndMathml' });
}

export function texHtml(tex: string, display = false): string {
  return katex.renderToString(tex, { displayMode: display, throwOnError: false, output: 'htmlAndMathml' });
}

/** Several display formulas side by side, wrapping onto separate lines on a narrow screen. */
export function renderFormulas(el: HTMLElement, texs: string[]): void {
  el.replaceChildren(
    ...texs.map((tex) => {
      const span = document.createElement('span');
      span.className = 'f';
      katex.render(tex, span, { displayMode: true, throwOnError: false, output: 'htmlAndMathml' });
      return span;
    }),
  );
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/**
 * Text with `$…$` segments rendered as inline math; everything else is escaped. Punctuation right
 * after a formula stays on its line (a Chinese full stop must not start the next one).
 */
export function mathText(s: string): string {
  return s
    .split(/(\$[^$]+\$[.,;:!?。，、；：！？）)]*)/)
    .map((part) => {
      const m = /^\$([^$]+)\$(.*)$/s.exec(part);
      if (!m) return escapeHtml(part);
      const math = texHtml(m[1]);
      return m[2] ? `<span class="nobr">${math}${escapeHtml(m[2])}</span>` : math;
    })
    .join('');
}

/** A number as TeX: 1.5e−9 becomes 1.5 \times 10^{-9}; ∞ becomes \infty. */
export function texNumber(s: string): string {
  const m = /^([−-]?)([\d.]+)e([−-]?\d+)$/.exec(s);
  if (m) return `${m[1] ? '-' : ''}${m[2]} \\times 10^{${m[3].replace('−', '-')}}`;
  return s.replace('−', '-').replace('∞', '\\infty');
}
