// Section 2: editable logits (sliders or text), a temperature, the distribution as bars, the
// Jacobian diag(p) − ppᵀ as a heat map, and the max-shift note computed live.

import { softmax, softmaxJacobian, tensor } from 'sigmax';
import { BarChart, barHeight } from '../bars.js';
import { colors } from '../charts.js';
import { byId, h, labelCells, show } from '../dom.js';
import { fixed, fmt, formatList, parseNumbers } from '../format.js';
import { Heatmap, subscript } from '../heatmap.js';
import { onLang, t } from '../i18n.js';
import { emit, on, state } from '../state.js';
import { renderFormulas, renderTex, texNumber } from '../tex.js';

const ZMAX = 10;

export function initSoftmax(): void {
  renderFormulas(byId('sm-formulas'), [
    String.raw`p_i = \operatorname{softmax}(z/T)_i = \frac{e^{z_i/T}}{\sum_{c=1}^{C} e^{z_c/T}}`,
    String.raw`\frac{\partial p_i}{\partial (z_j/T)} = p_i\,\delta_{ij} - p_i\,p_j`,
  ]);
  renderFormulas(byId('sm-shift-formula'), [String.raw`\frac{e^{z_i}}{\sum_c e^{z_c}} = \frac{e^{-m}\,e^{z_i}}{e^{-m}\sum_c e^{z_c}} = \frac{e^{z_i - m}}{\sum_c e^{z_c - m}}`]);

  const classes = byId<HTMLSelectElement>('sm-classes');
  const sliders = byId('sm-sliders');
  const text = byId<HTMLInputElement>('sm-text');
  const textErr = byId('sm-text-err');
  const hint = byId('sm-text-hint');
  const temp = byId<HTMLInputElement>('sm-temp');
  const tempOut = byId('sm-T');
  const shift = byId<HTMLInputElement>('sm-shift');
  const shiftOut = byId('sm-shift-out');
  const shiftTable = byId('sm-shift-table');
  const shiftVerdict = byId('sm-shift-verdict');
  const jacRead = byId('sm-jac-read');
  const jacValue = byId('sm-jac-value');
  const rowSum = byId('sm-rowsum');

  for (let c = 3; c <= 10; c++) classes.append(h('option', { value: c }, String(c)));

  const bars = new BarChart(byId('sm-bars'), barHeight);
  let p: Float64Array = new Float64Array(0);
  let J: Float64Array = new Float64Array(0);

  const heat = new Heatmap(
    byId('sm-jac'),
    (i, j, v) => {
      const pi = fmt(p[i], 4);
      const pj = fmt(p[j], 4);
      const lhs = `\\frac{\\partial p_{${i + 1}}}{\\partial (z_{${j + 1}}/T)}`;
      const rhs = i === j ? `p_{${i + 1}}(1 - p_{${i + 1}}) = ${texNumber(pi)} \\times ${texNumber(fmt(1 - p[i], 4))}` : `-p_{${i + 1}}\\,p_{${j + 1}} = -${texNumber(pi)} \\times ${texNumber(pj)}`;
      renderTex(jacRead, `${lhs} = ${rhs} = ${texNumber(fmt(v, 4))}`);
      show(jacValue, v);
      jacValue.dataset.i = String(i);
      jacValue.dataset.j = String(j);
    },
    () => t('sm.jac.map'),
  );
  onLang(() => heat.relabel());

  function buildSliders(): void {
    const C = state.z.length;
    if (sliders.childElementCount === C) return;
    sliders.replaceChildren();
    for (let i = 0; i < C; i++) {
      const id = `sm-z-${i}`;
      const input = h('input', { type: 'range', id, min: -ZMAX, max: ZMAX, step: 0.1, 'data-testid': id });
      input.addEventListener('input', () => {
        const z = state.z.slice();
        z[i] = Number(input.value);
        setZ(z, true);
      });
      const label = h('label', { for: id, class: 'zlabel' }, `z${subscript(i + 1)}`);
      label.setAttribute('aria-label', t('sm.logit', { i: i + 1 }));
      sliders.append(h('div', { class: 'zrow' }, label, input, h('output', { for: id, class: 'zval', id: `${id}-out` })));
    }
  }

  function setZ(z: number[], fromSlider = false): void {
    state.z = z;
    if (state.target >= z.length) state.target = 0;
    if (fromSlider || document.activeElement !== text) text.value = formatList(z);
    emit('z');
  }

  function update(): void {
    const z = state.z;
    const C = z.length;
    buildSliders();
    classes.value = String(C);
    z.forEach((v, i) => {
      const input = byId<HTMLInputElement>(`sm-z-${i}`);
      const clamped = Math.min(ZMAX, Math.max(-ZMAX, v));
      if (Number(input.value) !== clamped) input.value = String(clamped);
      input.setAttribute('aria-valuetext', String(v));
      byId(`sm-z-${i}-out`).textContent = fmt(v, 4);
    });
    // The hint line doubles as the note for logits beyond the sliders, so nothing moves.
    const beyond = z.some((v) => Math.abs(v) > ZMAX);
    hint.textContent = beyond ? t('sm.outOfRange') : t('sm.textHint');
    hint.classList.toggle('warn', beyond);
    tempOut.textContent = fmt(state.T, 3);
    (tempOut as HTMLElement).dataset.value = String(state.T);
    temp.setAttribute('aria-valuetext', fmt(state.T, 3));

    p = softmax(z, { temperature: state.T });
    bars.render({
      categories: z.map((_, i) => String(i + 1)),
      series: [{ label: 'p', color: colors.blue, values: p, testid: 'sm-p' }],
      domain: [0, 1],
      ticks: [0, 0.25, 0.5, 0.75, 1],
      yLabel: 'p',
      xLabel: t('axis.class'),
      ariaLabel: `${t('sm.bars')}: ${Array.from(p, (v, i) => `p${i + 1} = ${fmt(v, 4)}`).join(', ')}`,
    });

    // J = diag(p) − ppᵀ at the scaled logits z/T (the map's fixed scale holds every entry).
    const scaled = tensor(Float64Array.from(z, (v) => v / state.T), [C]);
    J = softmaxJacobian(scaled).data;
    heat.render(J, C);
    let worst = 0;
    for (let i = 0; i < C; i++) {
      let s = 0;
      for (let j = 0; j < C; j++) s += J[i * C + j];
      worst = Math.max(worst, Math.abs(s));
    }
    show(rowSum, worst, 2);
    updateShift();
  }

  function updateShift(): void {
    const c = Number(shift.value);
    shiftOut.textContent = fixed(c, 0);
    const T = state.T;
    const zc = state.z.map((v) => v + c);
    // The direct formula: exponentiate first, normalise after. Math.exp overflows above 709.78.
    const e = zc.map((v) => Math.exp(v / T));
    const sum = e.reduce((a, b) => a + b, 0);
    const direct = e.map((v) => v / sum);
    // sigmax subtracts the max internally.
    const stable = softmax(zc, { temperature: T });
    const m = Math.max(...zc);
    const es = zc.map((v) => Math.exp((v - m) / T));
    const sumS = es.reduce((a, b) => a + b, 0);

    const head = h(
      'tr',
      {},
      h('th', { scope: 'col' }, 'i'),
      h('th', { scope: 'col' }, 'z + c'),
      h('th', { scope: 'col', class: 'tex-head', 'data-tex': 'e^{(z_i + c)/T}', 'data-label': 'e^((z + c)/T)' }),
      h('th', { scope: 'col' }, `p, ${t('sm.shift.direct')}`),
      h('th', { scope: 'col', class: 'tex-head', 'data-tex': 'e^{(z_i + c - m)/T}', 'data-label': 'e^((z + c − m)/T)' }),
      h('th', { scope: 'col' }, `p, ${t('sm.shift.stable')}`),
    );
    const rows = zc.map((v, i) => {
      const cells = [v, e[i], direct[i], es[i], stable[i]].map((x, k) => {
        const td = h('td', { 'data-testid': `sm-shift-${['z', 'e', 'direct', 'es', 'stable'][k]}-${i}` });
        show(td, x, 4);
        return td;
      });
      return h('tr', {}, h('th', { scope: 'row' }, String(i + 1)), ...cells);
    });
    const sumCells = [sum, NaN, sumS, NaN].map((x, k) => {
      const td = h('td', k % 2 === 1 ? {} : { 'data-testid': k === 0 ? 'sm-shift-sum' : 'sm-shift-sums' });
      if (k % 2 === 0) show(td, x, 4);
      return td;
    });
    const foot = h('tr', { class: 'sum' }, h('th', { scope: 'row' }, 'Σ'), h('td'), ...sumCells);
    const table = h('table', { class: 'num' }, h('thead', {}, head), h('tbody', {}, ...rows, foot));
    table.querySelectorAll<HTMLElement>('.tex-head').forEach((th) => renderTex(th, th.dataset.tex ?? ''));
    shiftTable.replaceChildren(labelCells(table));

    let maxDiff = 0;
    stable.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - p[i]))));
    const directOk = direct.every((v, i) => Number.isFinite(v) && Math.abs(v - p[i]) <= 1e-12);
    if (maxDiff === 0) shiftVerdict.textContent = directOk ? t('sm.shift.same') : t('sm.shift.sameStable');
    else shiftVerdict.textContent = t('sm.shift.differs', { d: fmt(maxDiff, 2) });
    shiftVerdict.dataset.maxdiff = String(maxDiff);
  }

  classes.addEventListener('change', () => {
    const C = Number(classes.value);
    const z = state.z.slice(0, C);
    while (z.length < C) z.push(0);
    setZ(z);
  });
  const onText = (commit: boolean) => {
    const z = parseNumbers(text.value);
    const ok = z !== null && z.length >= 3 && z.length <= 10;
    text.setAttribute('aria-invalid', String(!ok));
    textErr.textContent = ok ? '' : t('sm.textError');
    if (ok) setZ(z);
    else if (commit) {
      text.value = formatList(state.z);
      text.setAttribute('aria-invalid', 'false');
      textErr.textContent = '';
    }
  };
  text.addEventListener('input', () => onText(false));
  text.addEventListener('change', () => onText(true));
  temp.addEventListener('input', () => {
    state.T = Number((10 ** Number(temp.value)).toPrecision(3));
    emit('z');
  });
  shift.addEventListener('input', updateShift);
  onLang(() => {
    sliders.replaceChildren();
    if (text.getAttribute('aria-invalid') === 'true') textErr.textContent = t('sm.textError');
    update();
  });

  text.value = formatList(state.z);
  on(['z'], update);
  update();
}
