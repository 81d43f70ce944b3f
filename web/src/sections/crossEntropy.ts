// Section 3: cross-entropy on the softmax section's logits (T = 1): choose the true class or a
// soft target, see −log p_t and the gradient p − y, and the two loss formulas agree live.

import { crossEntropy, crossEntropyWithGrad, logSoftmax, logSumExp, softmax } from 'sigmax';
import { BarChart, barHeight } from '../bars.js';
import { colors } from '../charts.js';
import { byId, h, readout, show } from '../dom.js';
import { fixed, fmt, fmtUlps, ulp64 } from '../format.js';
import { onLang, t } from '../i18n.js';
import { emit, on, state, targetDistribution } from '../state.js';
import { renderFormulas, renderTex, texNumber } from '../tex.js';

export function initCrossEntropy(): void {
  renderFormulas(byId('ce-formulas'), [
    String.raw`\ell = -\log p_t = -z_t + \log \sum_{c} e^{z_c}`,
    String.raw`\ell = -\sum_{c} y_c \log p_c`,
    String.raw`\frac{\partial \ell}{\partial z_i} = p_i - y_i`,
  ]);

  const target = byId<HTMLSelectElement>('ce-target');
  const eps = byId<HTMLInputElement>('ce-eps');
  const epsOut = byId('ce-eps-out');
  const logits = byId('ce-logits');
  const sumLine = byId('ce-sum-line');
  const agree = byId('ce-agree');
  const pyBars = new BarChart(byId('ce-bars-py'), barHeight);
  const gradBars = new BarChart(byId('ce-bars-grad'), barHeight);

  const outs = readout(byId('ce-readout'), [
    { id: 'ce-pt', tex: 'p_t' },
    { id: 'ce-nlogpt', tex: '-\\log p_t' },
    { id: 'ce-loss', tex: '\\ell = -\\textstyle\\sum_c y_c \\log p_c' },
  ]);
  const eqOuts: Record<string, HTMLElement> = {};
  const eqBadges: Record<string, HTMLElement> = {};
  const eqRows: [string, string][] = [
    ['ce-index', 'ce.eq.index'],
    ['ce-prob', 'ce.eq.prob'],
    ['ce-sum', 'ce.eq.sum'],
    ['ce-lse', 'ce.eq.lse'],
  ];
  const eqHost = byId('ce-eq');

  function buildEq(): void {
    const dl = h('dl', { class: 'readout wide' });
    for (const [id, key] of eqRows) {
      const out = h('output', { id, 'data-testid': id });
      eqOuts[id] = out;
      const badge = h('span', { class: 'ulps', 'data-testid': `${id}-ulps`, title: t('ce.eq.vs') });
      eqBadges[id] = badge;
      const label = key === 'ce.eq.lse' ? h('dt', {}) : h('dt', {}, t(key as 'ce.eq.index'));
      if (key === 'ce.eq.lse') renderTex(label, state.smoothing === 0 ? '\\operatorname{LSE}(z) - z_t' : '\\operatorname{LSE}(z) - \\textstyle\\sum_c y_c z_c');
      dl.append(h('div', { class: 'ro' }, label, h('dd', {}, out, ' ', badge)));
    }
    eqHost.replaceChildren(dl);
  }

  function update(): void {
    const z = state.z;
    const C = z.length;
    const tIdx = state.target;
    const y = targetDistribution();
    if (target.options.length !== C) {
      target.replaceChildren(...z.map((_, i) => h('option', { value: i }, String(i + 1))));
    }
    target.value = String(tIdx);
    epsOut.textContent = fixed(state.smoothing, 2);
    renderTex(logits, `z = (${z.map((v) => texNumber(fmt(v, 4))).join(',\\ ')})`);
    buildEq();

    const p = softmax(z);
    const logp = logSoftmax(z);
    const { loss, grad } = crossEntropyWithGrad(z, tIdx, { labelSmoothing: state.smoothing });
    show(outs['ce-pt'], p[tIdx]);
    show(outs['ce-nlogpt'], -logp[tIdx]);
    show(outs['ce-loss'], loss);

    // The same loss by four routes.
    const byIndex = crossEntropy(z, tIdx, { labelSmoothing: state.smoothing });
    const byProb = crossEntropy(z, y);
    let bySum = 0;
    let yz = 0;
    for (let c = 0; c < C; c++) {
      if (y[c] !== 0) bySum -= y[c] * logp[c];
      yz += y[c] * z[c];
    }
    const byLse = logSumExp(z)[0] - (state.smoothing === 0 ? z[tIdx] : yz);
    const values: Record<string, number> = { 'ce-index': byIndex, 'ce-prob': byProb, 'ce-sum': bySum, 'ce-lse': byLse };
    const u = ulp64(byIndex);
    for (const [id, v] of Object.entries(values)) {
      show(eqOuts[id], v, 10);
      const d = Math.abs(v - byIndex) / u;
      const badge = eqBadges[id];
      badge.textContent = `${fmtUlps(d)} ulp`;
      badge.className = `ulps ${d === 0 ? 'good' : 'warn'}`;
      badge.dataset.value = String(d);
    }
    const own = [byIndex, byProb, bySum];
    const spread = (Math.max(...own) - Math.min(...own)) / u;
    const lseUlps = Math.abs(byLse - byIndex) / u;
    agree.textContent = (spread === 0 ? t('ce.eq.agree') : t('ce.eq.close', { ulps: fmtUlps(spread) })) + (lseUlps > 0 ? ` ${t('ce.eq.lseNote', { ulps: fmtUlps(lseUlps) })}` : '');
    agree.dataset.ulps = String(spread);

    const terms = Array.from(y, (yc, c) => `${texNumber(fmt(yc, 3))} \\cdot \\log ${texNumber(fmt(p[c], 3))}`);
    renderTex(sumLine, `-\\sum_c y_c \\log p_c = -\\bigl(${terms.join(' + ')}\\bigr) = ${texNumber(fmt(bySum, 6))}`, true);

    const cats = z.map((_, i) => String(i + 1));
    pyBars.render({
      categories: cats,
      series: [
        { label: 'p', color: colors.blue, values: p, testid: 'ce-p' },
        { label: 'y', color: colors.green, values: y, testid: 'ce-y' },
      ],
      domain: [0, 1],
      ticks: [0, 0.25, 0.5, 0.75, 1],
      yLabel: 'p, y',
      xLabel: t('axis.class'),
      highlight: tIdx,
      ariaLabel: `${t('ce.bars.py')}: ${Array.from(p, (v, i) => `p${i + 1} = ${fmt(v, 4)}, y${i + 1} = ${fmt(y[i], 3)}`).join('; ')}`,
    });
    gradBars.render({
      categories: cats,
      series: [{ label: 'p − y', color: colors.purple, values: grad, testid: 'ce-grad' }],
      domain: [-1, 1],
      ticks: [-1, -0.5, 0, 0.5, 1],
      yLabel: 'p − y',
      xLabel: t('axis.class'),
      highlight: tIdx,
      ariaLabel: `${t('ce.bars.grad')}: ${Array.from(grad, (v, i) => `${i + 1}: ${fmt(v, 4)}`).join(', ')}`,
    });
  }

  target.addEventListener('change', () => {
    state.target = Number(target.value);
    emit('target');
  });
  eps.addEventListener('input', () => {
    state.smoothing = Number(eps.value);
    emit('target');
  });
  onLang(update);
  on(['z', 'target'], update);
  update();
}
