// Section 7: the decoding chain of sigmax/llm on a toy next-token distribution. Every stage's cut
// comes from processLogits (one call per prefix of the chain), the draws from a seeded
// createSampler; the page itself only renormalises with softmax and counts.

import { softmax } from 'sigmax';
import { type StageName, createSampler, processLogits } from '../../../src/llm/index.js';
import { BarChart } from '../bars.js';
import { colors } from '../charts.js';
import { byId, h, show } from '../dom.js';
import { type Controls, DRAWS, activeStages, contexts, decodeOptions, defaultControls } from '../decoding.js';
import { fmt } from '../format.js';
import { getLang, onLang, t } from '../i18n.js';
import type { Key } from '../strings.js';
import { renderFormulas } from '../tex.js';

type Knob = keyof Omit<Controls, 'order'>;

interface KnobSpec {
  key: Knob;
  min: number;
  max: number;
  step: number;
  /** The value that switches the stage off. */
  off: number;
}

const FILTER_KNOBS: KnobSpec[] = [
  { key: 'temperature', min: 0, max: 2, step: 0.05, off: 1 },
  { key: 'topK', min: 0, max: 14, step: 1, off: 0 },
  { key: 'topP', min: 0.05, max: 1, step: 0.01, off: 1 },
  { key: 'minP', min: 0, max: 0.5, step: 0.01, off: 0 },
  { key: 'typicalP', min: 0.05, max: 1, step: 0.01, off: 1 },
];
const PENALTY_KNOBS: KnobSpec[] = [
  { key: 'repetitionPenalty', min: 1, max: 2, step: 0.05, off: 1 },
  { key: 'presencePenalty', min: 0, max: 3, step: 0.1, off: 0 },
  { key: 'frequencyPenalty', min: 0, max: 2, step: 0.1, off: 0 },
];

/** The history holds at most the penalty window (lastN = 64), so every token in it counts. */
const HISTORY_MAX = 64;
const GREY = '#94a3b8';

/** processLogits on a Float64Array row returns a Float64Array; the check keeps the types honest. */
function processed(z: Float64Array, c: Controls, history: number[], prefix?: readonly StageName[]): Float64Array {
  const out = processLogits(z, decodeOptions(c, prefix), history);
  if (!(out instanceof Float64Array)) throw new Error('explorer: processLogits returned no Float64Array for a Float64Array row');
  return out;
}

/** The options as a user would write them in code. */
function optionsText(c: Controls): string {
  const parts = Object.entries(decodeOptions(c)).map(([k, v]) => `${k}: ${typeof v === 'string' ? `'${v}'` : String(v)}`);
  return `processLogits(z, { ${parts.join(', ')} }, history)`;
}

function stageParams(s: StageName, c: Controls): string {
  switch (s) {
    case 'temperature':
      return `T = ${c.temperature}`;
    case 'topK':
      return `k = ${c.topK}`;
    case 'topP':
    case 'typicalP':
      return `p = ${c[s]}`;
    case 'minP':
      return `${c.minP} · p_max`;
    case 'penalties': {
      // θ, then the presence and the per-occurrence frequency subtractions, as in the formula above.
      const parts: string[] = [];
      if (c.repetitionPenalty !== 1) parts.push(`θ = ${c.repetitionPenalty}`);
      if (c.presencePenalty !== 0) parts.push(`−${c.presencePenalty}`);
      if (c.frequencyPenalty !== 0) parts.push(`−${c.frequencyPenalty}·c`);
      return parts.join(', ');
    }
    default:
      return '';
  }
}

export function initSampling(): void {
  renderFormulas(byId('sp-formulas'), [
    String.raw`z' = \operatorname{chain}(z),\quad K = \{\, i : z'_i > -\infty \,\}`,
    String.raw`p'_i = \frac{e^{z'_i}}{\sum_{j \in K} e^{z'_j}}\ \ (i \in K), \qquad p'_i = 0\ \ (i \notin K)`,
  ]);

  const contextSel = byId<HTMLSelectElement>('sp-context');
  const orderSel = byId<HTMLSelectElement>('sp-order');
  const seedIn = byId<HTMLInputElement>('sp-seed');
  const seedErr = byId('sp-seed-err');
  const drawsHost = byId('sp-draws');
  const summary = byId('sp-summary');
  const vocabHost = byId('sp-vocab');
  const historyHost = byId('sp-history');
  const callHost = byId('sp-call');
  const tableHost = byId('sp-table');
  const bars = new BarChart(byId('sp-bars'), (w) => (w < 520 ? 250 : 290));

  const c: Controls = { ...defaultControls };
  let ctxIndex = 0;
  let history: number[] = [];
  let seed = 42;
  /** Whether the draw button was pressed: from then on every change draws again with the seed. */
  let drawing = false;

  const words = () => contexts[ctxIndex].words[getLang()];

  function buildKnobs(host: HTMLElement, specs: KnobSpec[]): void {
    host.replaceChildren(
      ...specs.map((k) => {
        const id = `sp-${k.key}`;
        const input = h('input', { type: 'range', id, 'data-testid': id, min: k.min, max: k.max, step: k.step, value: c[k.key] });
        input.addEventListener('input', () => {
          c[k.key] = Number(input.value);
          update();
        });
        const out = h('output', { for: id, id: `${id}-out`, 'data-testid': `${id}-out`, class: 'rv' });
        return h('div', { class: 'field' }, h('label', { for: id }, t(`sp.knob.${k.key}` as Key)), h('div', { class: 'range-row' }, input, out));
      }),
    );
  }

  function showKnobs(specs: KnobSpec[]): void {
    for (const k of specs) {
      const v = c[k.key];
      const input = byId<HTMLInputElement>(`sp-${k.key}`);
      if (Number(input.value) !== v) input.value = String(v);
      const out = byId(`sp-${k.key}-out`);
      const off = v === k.off;
      out.textContent = off ? t('sp.off') : fmt(v, 3);
      out.dataset.value = String(v);
      out.classList.toggle('off', off);
      input.setAttribute('aria-valuetext', off ? `${fmt(v, 3)} (${t('sp.off')})` : fmt(v, 3));
    }
  }

  function buildStatic(): void {
    const sel = contextSel.value;
    contextSel.replaceChildren(...contexts.map((cx, i) => h('option', { value: i }, cx.prompt[getLang()])));
    contextSel.value = sel === '' ? String(ctxIndex) : sel;
    buildKnobs(byId('sp-knobs'), FILTER_KNOBS);
    buildKnobs(byId('sp-pen-knobs'), PENALTY_KNOBS);
    vocabHost.replaceChildren(
      ...words().map((w, id) => {
        const b = h('button', { type: 'button', 'data-testid': `sp-vocab-${id}`, 'aria-label': t('sp.vocabAdd', { w }) }, w);
        b.addEventListener('click', () => {
          history = [...history, id].slice(-HISTORY_MAX);
          update();
        });
        return b;
      }),
    );
  }

  function showHistory(): void {
    const w = words();
    historyHost.dataset.value = history.join(',');
    if (history.length === 0) {
      historyHost.replaceChildren(h('span', { class: 'hint' }, t('sp.history.empty')));
      return;
    }
    historyHost.replaceChildren(
      ...history.map((id, k) => {
        const b = h('button', { type: 'button', 'aria-label': t('sp.history.remove', { w: w[id] }) }, w[id]);
        b.addEventListener('click', () => {
          history = history.filter((_, j) => j !== k);
          update();
          historyHost.querySelector<HTMLButtonElement>('button')?.focus();
        });
        return b;
      }),
    );
  }

  /** The table: one row per token, one column per stage; cut cells struck, earlier cuts dimmed. */
  function showTable(stages: StageName[], p0: Float64Array, ps: Float64Array[]): void {
    const w = words();
    const V = w.length;
    const stageName = (s: StageName) => t(`sp.stage.${s}` as Key);
    const head = h(
      'tr',
      {},
      h('th', { scope: 'col' }, t('sp.col.token')),
      h('th', { scope: 'col' }, t('sp.col.raw')),
      ...stages.map((s, k) =>
        h('th', { scope: 'col', 'data-testid': `sp-stage-${k}`, 'data-stage': s }, h('span', { class: 'stage' }, `${k + 1}. ${stageName(s)}`), h('span', { class: 'params' }, stageParams(s, c))),
      ),
    );
    const rows: HTMLTableRowElement[] = [];
    for (let i = 0; i < V; i++) {
      const raw = h('td', { class: 'kept', style: `--w: ${(p0[i] * 100).toFixed(2)}%`, 'data-testid': `sp-raw-p-${i}` });
      show(raw, p0[i], 3);
      const cells = stages.map((s, k) => {
        const before = k === 0 ? p0 : ps[k - 1];
        const after = ps[k];
        const td = h('td', { 'data-testid': `sp-p-${k}-${i}`, 'data-stage': s });
        if (before[i] === 0) {
          td.className = 'gone';
          td.textContent = '·';
          td.title = t('sp.gone');
          td.dataset.state = 'gone';
          td.dataset.value = '0';
        } else if (after[i] === 0) {
          td.className = 'cut';
          td.append(h('s', {}, fmt(before[i], 3)));
          td.title = t('sp.cut', { stage: stageName(s) });
          td.dataset.state = 'cut';
          td.dataset.value = '0';
          td.dataset.before = String(before[i]);
        } else {
          td.className = 'kept';
          td.style.setProperty('--w', `${(after[i] * 100).toFixed(2)}%`);
          show(td, after[i], 3);
          td.dataset.state = 'kept';
        }
        return td;
      });
      rows.push(h('tr', {}, h('th', { scope: 'row' }, w[i]), raw, ...cells));
    }
    const countRow = h(
      'tr',
      { class: 'sum' },
      h('th', { scope: 'row' }, t('sp.row.kept')),
      h('td', {}, `${V}`),
      ...ps.map((p, k) => {
        const n = p.reduce((a, v) => a + (v > 0 ? 1 : 0), 0);
        return h('td', { 'data-testid': `sp-count-${k}`, 'data-value': n }, `${n} / ${V}`);
      }),
    );
    const massRow = h(
      'tr',
      {},
      h('th', { scope: 'row' }, t('sp.row.mass')),
      h('td', {}, '1'),
      ...ps.map((p, k) => {
        const before = k === 0 ? p0 : ps[k - 1];
        let mass = 0;
        for (let i = 0; i < V; i++) if (p[i] > 0) mass += before[i];
        const td = h('td', { 'data-testid': `sp-mass-${k}` });
        show(td, mass, 4);
        return td;
      }),
    );
    const table = h('table', { class: 'num chain' }, h('caption', {}, t('sp.table.cap')), h('thead', {}, head), h('tbody', {}, ...rows, countRow, massRow));
    table.dataset.stages = stages.join(',');
    // A matrix reads best as one: at phone width the table scrolls sideways inside its frame.
    tableHost.replaceChildren(table);
    if (stages.length === 0) tableHost.append(h('p', { class: 'note' }, t('sp.noStages')));
  }

  function draw(z: Float64Array): Int32Array | null {
    if (!drawing) return null;
    const sampler = createSampler({ ...decodeOptions(c), seed });
    const out = new Int32Array(DRAWS);
    for (let k = 0; k < DRAWS; k++) out[k] = sampler.next(z, history)[0];
    return out;
  }

  function showDraws(tokens: Int32Array | null): void {
    const w = words();
    if (tokens === null) {
      drawsHost.replaceChildren(h('span', { class: 'hint' }, t('sp.draws.none')));
      delete drawsHost.dataset.tokens;
      return;
    }
    drawsHost.dataset.tokens = tokens.join(',');
    drawsHost.dataset.seed = String(seed);
    const distinct = new Set(tokens).size;
    drawsHost.replaceChildren(
      h('p', { class: 'draws-sum', 'data-testid': 'sp-draws-summary' }, t('sp.draws.summary', { n: tokens.length, seed, distinct })),
      h('p', { class: 'draws-words', lang: getLang() === 'zh' ? 'zh-CN' : 'en' }, Array.from(tokens, (id) => w[id]).join(' ')),
    );
  }

  function update(): void {
    const ctx = contexts[ctxIndex];
    const w = words();
    const V = w.length;
    const z = Float64Array.from(ctx.logits);
    orderSel.value = c.order;
    showKnobs(FILTER_KNOBS);
    showKnobs(PENALTY_KNOBS);
    showHistory();

    const stages = activeStages(c);
    const p0 = softmax(z);
    const ps = stages.map((_, k) => softmax(processed(z, c, history, stages.slice(0, k + 1))));
    const pf = softmax(processed(z, c, history));
    callHost.textContent = optionsText(c);
    callHost.dataset.options = JSON.stringify(decodeOptions(c));
    showTable(stages, p0, ps);

    let n = 0;
    let mass = 0;
    for (let i = 0; i < V; i++) {
      if (pf[i] > 0) {
        n++;
        mass += p0[i];
      }
    }
    summary.textContent = t('sp.kept.summary', { n, V, mass: fmt(mass, 4) });
    summary.dataset.kept = Array.from(pf, (v, i) => (v > 0 ? i : -1))
      .filter((i) => i >= 0)
      .join(',');

    const tokens = draw(z);
    showDraws(tokens);
    const share = new Float64Array(V);
    if (tokens) for (const id of tokens) share[id] += 1 / tokens.length;
    const series = [
      { label: t('sp.legend.raw'), color: GREY, values: p0, testid: 'sp-bar-raw' },
      { label: t('sp.legend.final'), color: colors.blue, values: pf, testid: 'sp-bar-final' },
      { label: t('sp.legend.draws'), color: colors.orange, values: share, testid: 'sp-bar-draws' },
    ];
    bars.render({
      categories: [...w],
      series,
      domain: [0, 1],
      ticks: [0, 0.25, 0.5, 0.75, 1],
      yLabel: 'p',
      xLabel: t('axis.token'),
      slant: true,
      ariaLabel: `${t('sp.bars')}: ${w.map((word, i) => `${word}: ${fmt(p0[i], 3)} → ${fmt(pf[i], 3)}${tokens ? `, ${fmt(share[i], 2)}` : ''}`).join('; ')}`,
    });
  }

  contextSel.addEventListener('change', () => {
    ctxIndex = Number(contextSel.value);
    // Another context is another vocabulary: the old history's ids would name other words.
    history = [];
    buildStatic();
    update();
  });
  orderSel.addEventListener('change', () => {
    c.order = orderSel.value === 'hf' ? 'hf' : 'llama.cpp';
    update();
  });
  const readSeed = (): boolean => {
    const s = seedIn.value.trim();
    const v = /^\d{1,16}$/.test(s) ? Number(s) : NaN;
    const ok = Number.isSafeInteger(v);
    seedIn.setAttribute('aria-invalid', String(!ok));
    seedErr.textContent = ok ? '' : t('sp.seedError');
    if (ok) seed = v;
    return ok;
  };
  seedIn.addEventListener('change', () => {
    if (readSeed() && drawing) update();
  });
  byId('sp-draw').addEventListener('click', () => {
    if (!readSeed()) return;
    drawing = true;
    update();
  });
  byId('sp-next-seed').addEventListener('click', () => {
    seed = readSeed() && seed < Number.MAX_SAFE_INTEGER ? seed + 1 : 0;
    seedIn.value = String(seed);
    readSeed();
    drawing = true;
    update();
  });
  byId('sp-clear').addEventListener('click', () => {
    history = [];
    update();
  });
  onLang(() => {
    buildStatic();
    if (seedIn.getAttribute('aria-invalid') === 'true') seedErr.textContent = t('sp.seedError');
    update();
  });

  buildStatic();
  update();
}
