// Section 4: analytic gradients from sigmax against finite differences at the page's current
// inputs, component by component with the error in ulps, sigmax's own gradcheck verdict, and
// the error as a function of the step h.

import {
  binaryCrossEntropyWithLogitsWithGrad,
  crossEntropyWithGrad,
  gradcheck,
  logSigmoid,
  logSigmoidBackward,
  logSumExp,
  softmax,
  softmaxBackward,
} from 'sigmax';
import type uPlot from 'uplot';
import { Chart, axis, colors, decadeSplits, inPlot, keepAll, lineHeight, logTickValues, renderLegend } from '../charts.js';
import { byId, h, labelCells, show } from '../dom.js';
import { fmt, fmtUlps, ulp64 } from '../format.js';
import { onLang, t } from '../i18n.js';
import type { Key } from '../strings.js';
import * as R from '../reference.js';
import { on, perFrame, state, targetDistribution } from '../state.js';
import { renderTex } from '../tex.js';

type FnId = 'ce' | 'lse' | 'smdot' | 'bce' | 'logsig';

interface Checked {
  x: Float64Array;
  /** value and gradient, as sigmax's gradcheck expects */
  f: (x: Float64Array) => { value: number; grad: ArrayLike<number> };
  tex: string;
  /** the gradient at x, from the 256-bit reference */
  exact: () => R.BF[];
}

function checked(id: FnId): Checked {
  switch (id) {
    case 'ce':
      return {
        x: Float64Array.from(state.z),
        f: (x) => {
          const r = crossEntropyWithGrad(x, state.target, { labelSmoothing: state.smoothing });
          return { value: r.loss, grad: r.grad };
        },
        tex: String.raw`f(z) = \ell(z, t), \quad \nabla f = p - y`,
        // p − y with y = (1 − ε)·one-hot(t) + ε/C, all in 256-bit arithmetic
        exact: () => {
          const C = state.z.length;
          const eps = R.fromNumber(state.smoothing);
          const spread = R.div(eps, R.fromNumber(C));
          const top = R.add(R.sub(R.ONE, eps), spread);
          return R.softmax(state.z).map((p, i) => R.sub(p, i === state.target ? top : spread));
        },
      };
    case 'lse':
      return {
        x: Float64Array.from(state.z),
        f: (x) => ({ value: logSumExp(x)[0], grad: softmax(x) }),
        tex: String.raw`f(z) = \log \textstyle\sum_c e^{z_c}, \quad \nabla f = \operatorname{softmax}(z)`,
        exact: () => R.softmax(state.z),
      };
    case 'smdot': {
      const y = targetDistribution();
      return {
        x: Float64Array.from(state.z),
        f: (x) => {
          const p = softmax(x);
          let v = 0;
          for (let i = 0; i < p.length; i++) v += y[i] * p[i];
          return { value: v, grad: softmaxBackward(y, p) };
        },
        tex: String.raw`f(z) = y^{\top} p(z), \quad \nabla f = p \odot (y - y^{\top} p)`,
        exact: () => {
          const p = R.softmax(state.z);
          const yb = Array.from(y, (v) => R.fromNumber(v));
          const dot = p.reduce((acc, pi, i) => R.add(acc, R.mul(yb[i], pi)), R.fromNumber(0));
          return p.map((pi, i) => R.mul(pi, R.sub(yb[i], dot)));
        },
      };
    }
    case 'bce':
      return {
        x: Float64Array.of(state.x),
        f: (x) => {
          const r = binaryCrossEntropyWithLogitsWithGrad(x, [1]);
          return { value: r.loss, grad: r.grad };
        },
        tex: String.raw`f(x) = -\log \sigma(x), \quad f'(x) = \sigma(x) - 1`,
        exact: () => [R.neg(R.sigmoid(-state.x))],
      };
    case 'logsig':
      return {
        x: Float64Array.of(state.x),
        f: (x) => ({ value: logSigmoid(x)[0], grad: logSigmoidBackward([1], x) }),
        tex: String.raw`f(x) = \log \sigma(x), \quad f'(x) = \sigma(-x)`,
        exact: () => [R.sigmoid(-state.x)],
      };
  }
}

/** f evaluated with x_i moved by delta; returns the value and the step actually taken. */
function shifted(c: Checked, i: number, delta: number): { v: number; step: number } {
  const x = c.x.slice();
  x[i] = c.x[i] + delta;
  return { v: c.f(x).value, step: x[i] - c.x[i] };
}

/** Central difference with the rounded steps in the denominator, exactly as sigmax's gradcheck. */
function central(c: Checked, i: number, eps: number): number {
  const hh = eps * Math.max(1, Math.abs(c.x[i]));
  const up = shifted(c, i, hh);
  const down = shifted(c, i, -hh);
  return (up.v - down.v) / (up.step - down.step);
}

/** Five-point stencil: cancels the h² term of the central difference. */
function fivePoint(c: Checked, i: number, eps: number): number {
  const hh = eps * Math.max(1, Math.abs(c.x[i]));
  const f1 = shifted(c, i, hh).v - shifted(c, i, -hh).v;
  const f2 = shifted(c, i, 2 * hh).v - shifted(c, i, -2 * hh).v;
  return (8 * f1 - f2) / (12 * hh);
}

/** Errors below this many ulps are drawn at it (a log axis has no 0). */
const FLOOR = 1e-2;
/** The steps of the error curve: 10^−12 … 10^−1, four per decade. */
const H_EXPS = Array.from({ length: 45 }, (_, k) => -12 + k * 0.25);

/** The power of ten at or above v (uPlot's log axes need decade bounds, and never 0). */
function decadeAbove(v: number): number {
  return 10 ** Math.ceil(Math.log10(v));
}

export function initGradcheck(): void {
  const fnSelect = byId<HTMLSelectElement>('gc-fn');
  const hRange = byId<HTMLInputElement>('gc-h');
  const hOut = byId('gc-h-out');
  const fnTex = byId('gc-fn-tex');
  const table = byId('gc-table');
  const verdict = byId('gc-verdict');
  const options: [FnId, Key][] = [
    ['ce', 'gc.fn.ce'],
    ['lse', 'gc.fn.lse'],
    ['smdot', 'gc.fn.smdot'],
    ['bce', 'gc.fn.bce'],
    ['logsig', 'gc.fn.logsig'],
  ];
  const fillOptions = () => {
    const v = fnSelect.value || 'ce';
    fnSelect.replaceChildren(...options.map(([id, key]) => h('option', { value: id }, t(key))));
    fnSelect.value = v;
  };
  fillOptions();

  let curve: [number[], (number | null)[], (number | null)[]] = [[], [], []];
  const eps = () => 10 ** Number(hRange.value);

  const chart = new Chart(
    byId('gc-chart'),
    lineHeight,
    () => ({
      scales: { x: { time: false, distr: 3, log: 10, range: [1e-12, 0.1] }, y: { distr: 3, log: 10, range: (_u, _lo, hi) => [FLOOR, decadeAbove(Math.max(1e4, hi > 0 ? hi * 10 : 0))] } },
      cursor: { show: false },
      axes: [axis(t('axis.step'), { splits: decadeSplits(44), filter: keepAll, values: logTickValues }), axis(t('axis.errUlps'), { splits: decadeSplits(26), filter: keepAll, values: logTickValues, size: 48 })],
      series: [{}, { stroke: colors.blue, width: 2, points: { show: true, size: 4 } }, { stroke: colors.green, width: 2, dash: [6, 4] }],
      hooks: {
        draw: [
          (u: uPlot) =>
            inPlot(u, (ctx) => {
              const x = u.valToPos(eps(), 'x', true);
              ctx.strokeStyle = colors.orange;
              ctx.lineWidth = 2 * (devicePixelRatio || 1);
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
            }),
        ],
      },
    }),
    () => curve as unknown as uPlot.AlignedData,
  );

  const legend = () =>
    renderLegend(byId('gc-legend'), [
      { label: t('gc.legend.central'), color: colors.blue },
      { label: t('gc.legend.five'), color: colors.green, dash: true },
      { label: t('gc.legend.current'), color: colors.orange },
    ]);

  function updateCurve(): void {
    const c = checked(fnSelect.value as FnId);
    const g = Array.from(c.f(c.x).grad);
    const xs: number[] = [];
    const cen: (number | null)[] = [];
    const five: (number | null)[] = [];
    for (const e of H_EXPS) {
      const hh = 10 ** e;
      let m1 = 0;
      let m5 = 0;
      for (let i = 0; i < c.x.length; i++) {
        m1 = Math.max(m1, Math.abs(g[i] - central(c, i, hh)) / ulp64(g[i]));
        m5 = Math.max(m5, Math.abs(g[i] - fivePoint(c, i, hh)) / ulp64(g[i]));
      }
      xs.push(hh);
      cen.push(Number.isFinite(m1) ? Math.max(FLOOR, m1) : null);
      five.push(Number.isFinite(m5) ? Math.max(FLOOR, m5) : null);
    }
    curve = [xs, cen, five];
    chart.update();
  }
  const scheduleCurve = perFrame(updateCurve);

  function update(): void {
    const id = fnSelect.value as FnId;
    const c = checked(id);
    const h0 = eps();
    hOut.textContent = fmt(h0, 2);
    hRange.setAttribute('aria-valuetext', fmt(h0, 2));
    renderTex(fnTex, c.tex);
    const g = c.f(c.x).grad;
    const head = h(
      'tr',
      {},
      h('th', { scope: 'col' }, 'i'),
      h('th', { scope: 'col' }, t('gc.col.x')),
      h('th', { scope: 'col' }, t('gc.col.analytic')),
      h('th', { scope: 'col' }, t('gc.col.fd')),
      h('th', { scope: 'col' }, t('gc.col.err')),
      h('th', { scope: 'col' }, t('gc.col.ulps')),
      h('th', { scope: 'col' }, t('gc.col.exact')),
    );
    const exact = c.exact();
    const rows: HTMLElement[] = [];
    for (let i = 0; i < c.x.length; i++) {
      const d = central(c, i, h0);
      const err = Math.abs(g[i] - d);
      const cells = [c.x[i], g[i], d, err].map((v, k) => {
        const td = h('td', { 'data-testid': `gc-${['x', 'analytic', 'fd', 'err'][k]}-${i}` });
        show(td, v, k === 0 ? 4 : k === 3 ? 3 : 10);
        return td;
      });
      const ulps = err / ulp64(g[i]);
      const ut = h('td', { 'data-testid': `gc-ulps-${i}`, 'data-value': String(ulps) }, fmtUlps(ulps));
      const ex = R.ulpError(g[i], exact[i], false);
      const et = h('td', {}, h('span', { class: `ulps ${ex <= 1 ? 'good' : ex <= 8 ? 'warn' : 'bad'}`, 'data-testid': `gc-exact-${i}`, 'data-value': String(ex) }, `${fmtUlps(ex)} ulp`));
      rows.push(h('tr', {}, h('th', { scope: 'row' }, String(i + 1)), ...cells, ut, et));
    }
    table.replaceChildren(labelCells(h('table', { class: 'num' }, h('thead', {}, head), h('tbody', {}, ...rows))));

    const r = gradcheck(c.f, c.x, { eps: h0 });
    verdict.replaceChildren(
      h('span', { class: r.ok ? 'badge ok' : 'badge bad', 'data-testid': 'gc-ok', 'data-value': String(r.ok) }, r.ok ? `✓ ${t('gc.ok')}` : `✗ ${t('gc.fail')}`),
      h('span', {}, `${t('gc.maxAbs')} `, valueEl('gc-maxabs', r.maxAbsError)),
      h('span', {}, `${t('gc.maxRel')} `, valueEl('gc-maxrel', r.maxRelError)),
      h('span', {}, `${t('gc.worst')} `, h('output', { 'data-testid': 'gc-worst', 'data-value': String(r.worstIndex) }, String(r.worstIndex + 1))),
    );
    chart.redraw();
    scheduleCurve();
  }

  function valueEl(testid: string, v: number): HTMLOutputElement {
    const o = h('output', { 'data-testid': testid });
    show(o, v, 3);
    return o;
  }

  fnSelect.addEventListener('change', update);
  hRange.addEventListener('input', update);
  onLang(() => {
    fillOptions();
    legend();
    update();
  });
  on(['x', 'z', 'target'], update);
  legend();
  updateCurve();
  update();
}
