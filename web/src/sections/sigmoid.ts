// Section 1: σ(x), σ′(x) = σ(x)σ(−x), the mirror identity σ(−x) = 1 − σ(x), a draggable point
// with its tangent, and binary cross-entropy on a logit with its gradient σ(x) − y.

import {
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsBackward,
  sigmoid,
  sigmoidBackward,
} from 'sigmax';
import type uPlot from 'uplot';
import { Chart, axis, colors, inPlot, lineHeight, renderLegend, tickValues } from '../charts.js';
import { byId, readout, show } from '../dom.js';
import { fixed, parseNumber } from '../format.js';
import { onLang, t } from '../i18n.js';
import { emit, on, state } from '../state.js';
import { renderFormulas } from '../tex.js';

const XMIN = -8;
const XMAX = 8;
const N = 321;

export function initSigmoid(): void {
  renderFormulas(byId('sig-formulas'), [
    String.raw`\sigma(x) = \frac{1}{1 + e^{-x}}`,
    String.raw`\sigma'(x) = \sigma(x)\bigl(1 - \sigma(x)\bigr) = \sigma(x)\,\sigma(-x)`,
    String.raw`\sigma(-x) = 1 - \sigma(x)`,
  ]);
  renderFormulas(byId('bce-formulas'), [
    String.raw`\ell(x, y) = -\bigl[\,y \log \sigma(x) + (1 - y) \log\bigl(1 - \sigma(x)\bigr)\bigr]`,
    String.raw`\frac{\partial \ell}{\partial x} = \sigma(x) - y`,
  ]);

  // The curves, all from sigmax.
  const xs = Float64Array.from({ length: N }, (_, i) => XMIN + ((XMAX - XMIN) * i) / (N - 1));
  const ones = new Float64Array(N).fill(1);
  const zeros = new Float64Array(N);
  const s = sigmoid(xs);
  const ds = sigmoidBackward(ones, xs);
  const sNeg = sigmoid(xs.map((v) => -v));
  const oneMinus = s.map((v) => 1 - v);
  const loss1 = binaryCrossEntropyWithLogits(xs, ones, { reduction: 'none' });
  const loss0 = binaryCrossEntropyWithLogits(xs, zeros, { reduction: 'none' });
  // The gradient of the sum is the per-item gradient σ(x_i) − y_i.
  const grad1 = binaryCrossEntropyWithLogitsBackward(xs, ones, { reduction: 'sum' });
  const grad0 = binaryCrossEntropyWithLogitsBackward(xs, zeros, { reduction: 'sum' });

  // The point: exact values at the chosen x.
  let cur = { x: 0, s: 0, ds: 0, sNeg: 0 };
  const compute = () => {
    const x = state.x;
    cur = { x, s: sigmoid([x])[0], ds: sigmoidBackward([1], [x])[0], sNeg: sigmoid([-x])[0] };
  };
  compute();

  const drawPoint = (u: uPlot) => {
    if (cur.x < XMIN || cur.x > XMAX) return;
    const dpr = devicePixelRatio || 1;
    inPlot(u, (ctx) => {
      const px = (v: number) => u.valToPos(v, 'x', true);
      const py = (v: number) => u.valToPos(v, 'y', true);
      // the tangent y = σ(x₀) + σ′(x₀)(x − x₀) across the window
      ctx.strokeStyle = colors.orange;
      ctx.lineWidth = 2 * dpr;
      ctx.setLineDash([6 * dpr, 4 * dpr]);
      ctx.beginPath();
      ctx.moveTo(px(XMIN), py(cur.s + cur.ds * (XMIN - cur.x)));
      ctx.lineTo(px(XMAX), py(cur.s + cur.ds * (XMAX - cur.x)));
      ctx.stroke();
      ctx.setLineDash([2 * dpr, 3 * dpr]);
      ctx.strokeStyle = colors.axis;
      ctx.lineWidth = 1 * dpr;
      ctx.beginPath();
      ctx.moveTo(px(cur.x), u.bbox.top);
      ctx.lineTo(px(cur.x), u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.setLineDash([]);
      for (const [v, c, r] of [
        [cur.ds, colors.red, 4],
        [cur.sNeg, colors.green, 4],
        [cur.s, colors.blue, 7],
      ] as const) {
        ctx.fillStyle = c;
        ctx.strokeStyle = '#fff';
        ctx.lineWidth = 2 * dpr;
        ctx.beginPath();
        ctx.arc(px(cur.x), py(v), r * dpr, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
      }
    });
  };

  const drawBcePoint = (u: uPlot) => {
    if (cur.x < XMIN || cur.x > XMAX) return;
    const dpr = devicePixelRatio || 1;
    inPlot(u, (ctx) => {
      const px = u.valToPos(cur.x, 'x', true);
      ctx.setLineDash([2 * dpr, 3 * dpr]);
      ctx.strokeStyle = colors.axis;
      ctx.lineWidth = 1 * dpr;
      ctx.beginPath();
      ctx.moveTo(px, u.bbox.top);
      ctx.lineTo(px, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.setLineDash([]);
    });
  };

  // Dragging on the plot moves x; vertical swipes still scroll the page on a phone.
  const draggable = (u: uPlot) => {
    const over = u.over;
    over.style.touchAction = 'pan-y';
    over.style.cursor = 'ew-resize';
    const move = (e: PointerEvent) => {
      const rect = over.getBoundingClientRect();
      const x = u.posToVal(e.clientX - rect.left, 'x');
      setX(Math.round(Math.min(XMAX, Math.max(XMIN, x)) * 100) / 100);
    };
    over.addEventListener('pointerdown', (e) => {
      over.setPointerCapture(e.pointerId);
      move(e);
    });
    over.addEventListener('pointermove', (e) => {
      if (over.hasPointerCapture(e.pointerId)) move(e);
    });
  };

  const sigChart = new Chart(
    byId('sig-chart'),
    lineHeight,
    () => ({
      scales: { x: { time: false, range: [XMIN, XMAX] }, y: { range: [-0.05, 1.05] } },
      cursor: { show: false },
      axes: [axis(t('axis.logit'), { values: tickValues }), axis(t('axis.value'), { values: tickValues, size: 44 })],
      series: [
        {},
        { stroke: colors.blue, width: 2.5 },
        { stroke: colors.red, width: 2 },
        { stroke: 'rgba(21, 128, 61, 0.35)', width: 7 },
        { stroke: colors.slate, width: 1.5, dash: [5, 4] },
      ],
      hooks: { draw: [drawPoint], ready: [draggable] },
    }),
    () => [xs, s, ds, sNeg, oneMinus] as unknown as uPlot.AlignedData,
  );

  const bceChart = new Chart(
    byId('bce-chart'),
    lineHeight,
    () => ({
      // loss ≤ sp(8) ≈ 8.0003 on the window; the gradient lies in (−1, 1): fixed ranges with a margin
      scales: { x: { time: false, range: [XMIN, XMAX] }, loss: { range: [0, 8.5] }, grad: { range: [-1.0625, 1.0625] } },
      cursor: { show: false },
      axes: [
        axis(t('axis.logit'), { values: tickValues }),
        axis(t('axis.loss'), { scale: 'loss', values: tickValues, size: 40 }),
        axis(t('axis.gradient'), { scale: 'grad', side: 1, values: tickValues, size: 48, grid: { show: false } }),
      ],
      series: [
        {},
        { scale: 'loss', stroke: colors.blue, width: 2.5 },
        { scale: 'loss', stroke: colors.red, width: 2.5 },
        { scale: 'grad', stroke: colors.blue, width: 1.5, dash: [6, 4] },
        { scale: 'grad', stroke: colors.red, width: 1.5, dash: [6, 4] },
      ],
      hooks: { draw: [drawBcePoint], ready: [draggable] },
    }),
    () => [xs, loss1, loss0, grad1, grad0] as unknown as uPlot.AlignedData,
  );

  const legends = () => {
    renderLegend(byId('sig-legend'), [
      { label: '$\\sigma(x)$', color: colors.blue },
      { label: "$\\sigma'(x)$", color: colors.red },
      { label: '$\\sigma(-x)$', color: 'rgba(21, 128, 61, 0.45)' },
      { label: '$1 - \\sigma(x)$', color: colors.slate, dash: true },
      { label: t('sig.tangent'), color: colors.orange, dash: true },
    ]);
    renderLegend(byId('bce-legend'), [
      { label: t('sig.bce.loss1'), color: colors.blue },
      { label: t('sig.bce.loss0'), color: colors.red },
      { label: t('sig.bce.grad1'), color: colors.blue, dash: true },
      { label: t('sig.bce.grad0'), color: colors.red, dash: true },
    ]);
  };
  legends();
  onLang(legends);

  const outs = readout(byId('sig-readout'), [
    { id: 'sig-x', tex: 'x' },
    { id: 'sig-s', tex: '\\sigma(x)' },
    { id: 'sig-ds', tex: "\\sigma'(x)" },
    { id: 'sig-sneg', tex: '\\sigma(-x)' },
    { id: 'sig-1ms', tex: '1 - \\sigma(x)' },
    { id: 'sig-diff', tex: '\\sigma(-x) - \\bigl(1 - \\sigma(x)\\bigr)' },
  ]);
  const bceOuts = readout(byId('bce-readout'), [
    { id: 'bce-l1', tex: '\\ell(x, 1)' },
    { id: 'bce-g1', tex: '\\sigma(x) - 1' },
    { id: 'bce-l0', tex: '\\ell(x, 0)' },
    { id: 'bce-g0', tex: '\\sigma(x) - 0' },
  ]);

  const range = byId<HTMLInputElement>('sig-x-range');
  const num = byId<HTMLInputElement>('sig-x-num');
  const rangeOut = byId('sig-x-range-out');
  const outside = byId('sig-outside');

  function setX(x: number): void {
    if (x === state.x) return;
    state.x = x;
    emit('x');
  }

  function update(): void {
    compute();
    const x = state.x;
    show(outs['sig-x'], x);
    show(outs['sig-s'], cur.s);
    show(outs['sig-ds'], cur.ds);
    show(outs['sig-sneg'], cur.sNeg);
    const oneMinusS = 1 - cur.s;
    show(outs['sig-1ms'], oneMinusS);
    show(outs['sig-diff'], cur.sNeg - oneMinusS, 3);
    show(bceOuts['bce-l1'], binaryCrossEntropyWithLogits([x], [1]));
    show(bceOuts['bce-g1'], binaryCrossEntropyWithLogitsBackward([x], [1])[0]);
    show(bceOuts['bce-l0'], binaryCrossEntropyWithLogits([x], [0]));
    show(bceOuts['bce-g0'], binaryCrossEntropyWithLogitsBackward([x], [0])[0]);
    const clamped = Math.min(XMAX, Math.max(XMIN, x));
    if (Number(range.value) !== clamped) range.value = String(clamped);
    range.setAttribute('aria-valuetext', fixed(x, 2));
    rangeOut.textContent = fixed(clamped, 2);
    if (document.activeElement !== num) num.value = String(x);
    outside.classList.toggle('invisible', x >= XMIN && x <= XMAX);
    sigChart.redraw();
    bceChart.redraw();
  }

  range.addEventListener('input', () => setX(Number(range.value)));
  num.addEventListener('input', () => {
    const v = parseNumber(num.value);
    num.setAttribute('aria-invalid', String(v === null));
    if (v !== null) setX(v);
  });
  num.addEventListener('change', () => {
    num.value = String(state.x);
    num.setAttribute('aria-invalid', 'false');
  });
  on(['x'], update);

  sigChart.rebuild();
  bceChart.rebuild();
  update();
}
