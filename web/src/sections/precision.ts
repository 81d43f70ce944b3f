// Section 6: sigmax next to the naive textbook formula, both measured in ulps against a 256-bit
// reference computed in the page, for a chosen x and chosen logits, in float64 or float32, and
// the error of both along a range of x.

import {
  binaryCrossEntropyWithLogits,
  crossEntropyBackward,
  logSigmoid,
  logSoftmax,
  logSumExp,
  sigmoid,
  sigmoidBackward,
  softmax,
} from 'sigmax';
import type uPlot from 'uplot';
import { Chart, axis, colors, decadeSplits, keepAll, lineHeight, logTickValues, renderLegend, tickValues } from '../charts.js';
import { byId, h, labelCells, show } from '../dom.js';
import { fmtUlps, formatList, parseNumber, parseNumbers } from '../format.js';
import { onLang, t } from '../i18n.js';
import * as N from '../naive.js';
import * as R from '../reference.js';
import { perFrame } from '../state.js';
import { renderTex } from '../tex.js';

type Arr = Float32Array | Float64Array;

interface ScalarQ {
  id: string;
  /** plain-text name for the chart's menu */
  label: string;
  tex: string;
  naiveTex: string;
  ref: (x: number) => R.BF;
  sigmax: (x: Arr) => ArrayLike<number>;
  naive: (x: number, r: N.Round) => number;
}

const filled = (x: Arr, v: number): Arr => (x instanceof Float32Array ? new Float32Array(x.length) : new Float64Array(x.length)).fill(v);
const negated = (x: Arr): Arr => x.map((v) => -v);

const scalars: ScalarQ[] = [
  { id: 'sig', label: 'σ(x)', tex: '\\sigma(x)', naiveTex: '1/(1 + e^{-x})', ref: R.sigmoid, sigmax: (x) => sigmoid(x), naive: N.sigmoid },
  { id: 'omsig', label: '1 − σ(x)', tex: '1 - \\sigma(x)', naiveTex: '1 - 1/(1 + e^{-x})', ref: (x) => R.sigmoid(-x), sigmax: (x) => sigmoid(negated(x)), naive: N.oneMinusSigmoid },
  { id: 'dsig', label: 'σ′(x)', tex: "\\sigma'(x)", naiveTex: 's\\,(1 - s)', ref: R.sigmoidGrad, sigmax: (x) => sigmoidBackward(filled(x, 1), x), naive: N.sigmoidGrad },
  { id: 'logsig', label: 'log σ(x)', tex: '\\log \\sigma(x)', naiveTex: '\\log\\bigl(1/(1 + e^{-x})\\bigr)', ref: R.logSigmoid, sigmax: (x) => logSigmoid(x), naive: N.logSigmoid },
  {
    id: 'bce1',
    label: 'BCE, y = 1',
    tex: '\\ell(x, y{=}1)',
    naiveTex: '-\\log s',
    ref: (x) => R.bceWithLogits(x, 1),
    sigmax: (x) => binaryCrossEntropyWithLogits(x, filled(x, 1), { reduction: 'none' }),
    naive: (x, r) => N.bce(x, 1, r),
  },
  {
    id: 'bce0',
    label: 'BCE, y = 0',
    tex: '\\ell(x, y{=}0)',
    naiveTex: '-\\log(1 - s)',
    ref: (x) => R.bceWithLogits(x, 0),
    sigmax: (x) => binaryCrossEntropyWithLogits(x, filled(x, 0), { reduction: 'none' }),
    naive: (x, r) => N.bce(x, 0, r),
  },
];

interface Cell {
  ref: R.BF;
  sigmax: number;
  naive: number;
}

function ulpClass(u: number): string {
  if (u <= 1) return 'good';
  if (u <= 1000) return 'warn';
  return 'bad';
}

function valueCell(testid: string, v: number, ulps: number): HTMLTableCellElement {
  const val = h('span', { class: 'v', 'data-testid': testid });
  show(val, v, 6);
  const badge = h('span', { class: `ulps ${ulpClass(ulps)}`, 'data-testid': `${testid}-ulps`, 'data-value': String(ulps) }, `${fmtUlps(ulps)} ulp`);
  return h('td', {}, val, badge);
}

function row(id: string, labelTex: string, naiveTex: string, c: Cell, f32: boolean): HTMLTableRowElement {
  const label = h('th', { scope: 'row' });
  const q = h('span', { class: 'q' });
  renderTex(q, labelTex);
  const nv = h('span', { class: 'naive-f' });
  renderTex(nv, naiveTex);
  label.append(q, nv);
  const refNum = R.toNumber(c.ref);
  const refShown = f32 ? Math.fround(refNum) : refNum;
  const refCell = h('td', {});
  const rv = h('span', { class: 'v', 'data-testid': `pr-ref-${id}` });
  show(rv, refShown, f32 ? 9 : 17);
  refCell.append(rv);
  return h(
    'tr',
    {},
    label,
    refCell,
    valueCell(`pr-sigmax-${id}`, c.sigmax, R.ulpError(c.sigmax, c.ref, f32)),
    valueCell(`pr-naive-${id}`, c.naive, R.ulpError(c.naive, c.ref, f32)),
  );
}

function table(caption: string, rows: HTMLTableRowElement[]): HTMLTableElement {
  const head = h('tr', {}, h('th', { scope: 'col' }, t('pr.col.q')), h('th', { scope: 'col' }, t('pr.col.ref')), h('th', { scope: 'col' }, t('pr.col.sigmax')), h('th', { scope: 'col' }, t('pr.col.naive')));
  return labelCells(h('table', { class: 'num precision' }, h('caption', {}, caption), h('thead', {}, head), h('tbody', {}, ...rows)));
}

export function initPrecision(): void {
  const dtypeInputs = Array.from(document.querySelectorAll<HTMLInputElement>('input[name="pr-dtype"]'));
  const xIn = byId<HTMLInputElement>('pr-x');
  const zIn = byId<HTMLInputElement>('pr-z');
  const zErr = byId('pr-z-err');
  const scalarHost = byId('pr-scalar');
  const vectorHost = byId('pr-vector');
  const fnSel = byId<HTMLSelectElement>('pr-fn');
  const rangeSel = byId<HTMLSelectElement>('pr-range');

  let x = 40;
  let z = [0, -20, 3.5];
  const isF32 = () => dtypeInputs.some((i) => i.checked && i.value === 'float32');

  function updateTables(): void {
    const f32 = isF32();
    const r = f32 ? N.round32 : N.round64;
    const xr = r(x);
    const xa: Arr = f32 ? Float32Array.of(xr) : Float64Array.of(xr);
    const sRows = scalars.map((q) => row(q.id, q.tex, q.naiveTex, { ref: q.ref(xr), sigmax: q.sigmax(xa)[0], naive: q.naive(xr, r) }, f32));
    scalarHost.replaceChildren(table(`${t('pr.scalar.cap')} · x = ${String(xr)}`, sRows));

    const zr = z.map(r);
    const za: Arr = f32 ? Float32Array.from(zr) : Float64Array.from(zr);
    let k = 0;
    zr.forEach((v, i) => {
      if (v > zr[k]) k = i;
    });
    const refP = R.softmax(zr);
    const refL = R.logSoftmax(zr);
    const p = softmax(za);
    const lp = logSoftmax(za);
    const nP = N.softmax(zr, r);
    const nL = N.logOfSoftmax(zr, r);
    const vRows = [row('lse', '\\operatorname{LSE}(z)', '\\log \\textstyle\\sum_c e^{z_c}', { ref: R.logSumExp(zr), sigmax: logSumExp(za)[0], naive: N.logSumExp(zr, r) }, f32)];
    zr.forEach((_, i) => vRows.push(row(`p-${i}`, `p_{${i + 1}}`, `e^{z_{${i + 1}}} / \\textstyle\\sum_c e^{z_c}`, { ref: refP[i], sigmax: p[i], naive: nP[i] }, f32)));
    zr.forEach((_, i) => vRows.push(row(`logp-${i}`, `\\log p_{${i + 1}}`, `\\log\\bigl(\\operatorname{softmax}(z)_{${i + 1}}\\bigr)`, { ref: refL[i], sigmax: lp[i], naive: nL[i] }, f32)));
    vRows.push(
      row(
        'grad',
        `\\tfrac{\\partial \\ell}{\\partial z_{${k + 1}}} = p_{${k + 1}} - 1`,
        `\\operatorname{softmax}(z)_{${k + 1}} - 1`,
        { ref: R.ceGradAt(zr, k), sigmax: crossEntropyBackward(za, k)[k], naive: N.ceGradAt(zr, k, r) },
        f32,
      ),
    );
    vectorHost.replaceChildren(table(`${t('pr.vector.cap')} · z = (${zr.map(String).join(', ')}) · ${t('pr.argmax')}`, vRows));
  }

  // error along x for the chosen quantity
  let curve: [number[], (number | null)[], (number | null)[]] = [[], [], []];
  // decade bounds for the log axis, above the largest finite error (a 100 % error is 2^23 or 2^52 ulps)
  const cap = () => (isF32() ? 1e8 : 1e17);
  const chart = new Chart(
    byId('pr-chart'),
    lineHeight,
    () => ({
      scales: { x: { time: false }, y: { distr: 3, log: 10, range: () => [0.1, cap()] } },
      cursor: { show: false },
      axes: [axis(t('axis.x'), { values: tickValues }), axis(t('axis.ulps'), { splits: decadeSplits(26), filter: keepAll, values: logTickValues, size: 48 })],
      series: [{}, { stroke: colors.red, width: 2 }, { stroke: colors.blue, width: 2 }],
    }),
    () => curve as unknown as uPlot.AlignedData,
  );

  function updateCurve(): void {
    const f32 = isF32();
    const r = f32 ? N.round32 : N.round64;
    const q = scalars.find((s) => s.id === fnSel.value) ?? scalars[0];
    const L = Number(rangeSel.value);
    const n = 241;
    const xs = Array.from({ length: n }, (_, i) => r(-L + (2 * L * i) / (n - 1)));
    const xa: Arr = f32 ? Float32Array.from(xs) : Float64Array.from(xs);
    const sv = q.sigmax(xa);
    const top = cap();
    const clip = (u: number) => Math.min(top, Math.max(0.1, u));
    const naive: number[] = [];
    const ours: number[] = [];
    xs.forEach((xv, i) => {
      const ref = q.ref(xv);
      naive.push(clip(R.ulpError(q.naive(xv, r), ref, f32)));
      ours.push(clip(R.ulpError(sv[i], ref, f32)));
    });
    curve = [xs, naive, ours];
    chart.update();
  }
  const scheduleCurve = perFrame(updateCurve);

  const legend = () =>
    renderLegend(byId('pr-legend'), [
      { label: t('pr.legend.naive'), color: colors.red },
      { label: t('pr.legend.sigmax'), color: colors.blue },
    ]);
  const fillFns = () => {
    const v = fnSel.value || 'omsig';
    fnSel.replaceChildren(...scalars.map((q) => h('option', { value: q.id }, q.label)));
    fnSel.value = v;
  };

  xIn.value = String(x);
  zIn.value = formatList(z);
  xIn.addEventListener('input', () => {
    const v = parseNumber(xIn.value);
    xIn.setAttribute('aria-invalid', String(v === null));
    if (v !== null) {
      x = v;
      updateTables();
    }
  });
  xIn.addEventListener('change', () => {
    xIn.value = String(x);
    xIn.setAttribute('aria-invalid', 'false');
  });
  zIn.addEventListener('input', () => {
    const v = parseNumbers(zIn.value);
    const ok = v !== null && v.length >= 2 && v.length <= 10;
    zIn.setAttribute('aria-invalid', String(!ok));
    zErr.textContent = ok ? '' : t('pr.zError');
    if (ok) {
      z = v;
      updateTables();
    }
  });
  document.querySelectorAll<HTMLButtonElement>('[data-pr-x]').forEach((b) =>
    b.addEventListener('click', () => {
      x = Number(b.dataset.prX);
      xIn.value = String(x);
      updateTables();
    }),
  );
  document.querySelectorAll<HTMLButtonElement>('[data-pr-z]').forEach((b) =>
    b.addEventListener('click', () => {
      z = parseNumbers(b.dataset.prZ ?? '') ?? z;
      zIn.value = formatList(z);
      zErr.textContent = '';
      zIn.setAttribute('aria-invalid', 'false');
      updateTables();
    }),
  );
  dtypeInputs.forEach((i) =>
    i.addEventListener('change', () => {
      updateTables();
      scheduleCurve();
    }),
  );
  fnSel.addEventListener('change', scheduleCurve);
  rangeSel.addEventListener('change', scheduleCurve);
  onLang(() => {
    legend();
    updateTables();
    if (zIn.getAttribute('aria-invalid') === 'true') zErr.textContent = t('pr.zError');
  });

  fillFns();
  legend();
  updateTables();
  updateCurve();
}
