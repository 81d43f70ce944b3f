// The loss curve as a standalone SVG file, drawn by hand: train and validation lines over epochs,
// axes with round-number ticks, a legend. No scripts, no external fonts; opens in any browser.

export interface Series {
  label: string;
  values: readonly number[];
  color: string;
}

export interface PlotOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
  /** An optional horizontal reference line (e.g. the closed-form optimum). */
  reference?: { label: string; value: number };
  /** An optional vertical marker at an epoch (e.g. the best one, whose weights were kept). */
  marker?: { label: string; epoch: number };
}

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) as number;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An SVG document plotting each series against its 1-based index (the epoch). */
export function lineChartSvg(series: readonly Series[], opts: PlotOptions): string {
  const W = opts.width ?? 720;
  const H = opts.height ?? 420;
  const m = { left: 70, right: 24, top: 48, bottom: 56 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const all = series.flatMap((s) => s.values.filter(Number.isFinite));
  if (opts.reference) all.push(opts.reference.value);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  let lo = all.length ? Math.min(...all) : 0;
  let hi = all.length ? Math.max(...all) : 1;
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const x = (i: number) => m.left + (n === 1 ? pw / 2 : ((i - 1) / (n - 1)) * pw);
  const y = (v: number) => m.top + ((hi - v) / (hi - lo)) * ph;
  const f = (v: number) => v.toFixed(1);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="26" text-anchor="middle" font-size="15" font-weight="600" fill="#222">${escape(opts.title)}</text>`);
  // Grid and y ticks.
  for (const t of niceTicks(lo, hi, 6)) {
    if (t < lo || t > hi) continue;
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${f(y(t))}" y2="${f(y(t))}" stroke="#e6e6e6"/>`);
    out.push(`<text x="${m.left - 8}" y="${f(y(t) + 4)}" text-anchor="end" fill="#555">${t}</text>`);
  }
  // x ticks at round epochs.
  for (const t of niceTicks(1, n, 8)) {
    if (t < 1 || t > n || !Number.isInteger(t)) continue;
    out.push(`<line x1="${f(x(t))}" x2="${f(x(t))}" y1="${m.top + ph}" y2="${m.top + ph + 5}" stroke="#888"/>`);
    out.push(`<text x="${f(x(t))}" y="${m.top + ph + 19}" text-anchor="middle" fill="#555">${t}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 14}" text-anchor="middle" fill="#333">${escape(opts.xLabel ?? 'epoch')}</text>`);
  out.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#333">${escape(opts.yLabel ?? 'loss (nats)')}</text>`);
  if (opts.reference) {
    const ry = f(y(opts.reference.value));
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${ry}" y2="${ry}" stroke="#2ca02c" stroke-dasharray="6 4"/>`);
  }
  if (opts.marker && opts.marker.epoch >= 1 && opts.marker.epoch <= n) {
    const mx = f(x(opts.marker.epoch));
    out.push(`<line x1="${mx}" x2="${mx}" y1="${m.top}" y2="${m.top + ph}" stroke="#999" stroke-dasharray="3 3"/>`);
    out.push(`<text x="${mx}" y="${m.top - 6}" text-anchor="middle" fill="#666">${escape(opts.marker.label)}</text>`);
  }
  for (const s of series) {
    const pts: string[] = [];
    s.values.forEach((v, i) => {
      if (Number.isFinite(v)) pts.push(`${f(x(i + 1))},${f(y(v))}`);
    });
    if (pts.length === 1) out.push(`<circle cx="${pts[0].split(',')[0]}" cy="${pts[0].split(',')[1]}" r="3" fill="${s.color}"/>`);
    else if (pts.length > 1) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" stroke-linejoin="round" points="${pts.join(' ')}"/>`);
  }
  // Legend, top right inside the plot.
  const legend = [...series.map((s) => ({ label: s.label, color: s.color, dash: '' })), ...(opts.reference ? [{ label: opts.reference.label, color: '#2ca02c', dash: ' stroke-dasharray="6 4"' }] : [])];
  legend.forEach((e, i) => {
    const ly = m.top + 16 + i * 18;
    const lx = m.left + pw - 190;
    out.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${e.color}" stroke-width="2"${e.dash}/>`);
    out.push(`<text x="${lx + 30}" y="${ly}" fill="#222">${escape(e.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
