// Section 5: live training on a 2-D toy dataset, with the decision regions and the loss curve
// redrawn as it trains. Start/Pause runs as many full-batch steps per frame as fit in ~12 ms.

import type uPlot from 'uplot';
import { Chart, axis, colors, decadeSplits, inPlot, keepAll, logTickValues, renderLegend, tickValues } from '../charts.js';
import { byId, show } from '../dom.js';
import { onLang, t } from '../i18n.js';
import { CLASSES, type Dataset, type DatasetKind, Model, type ModelKind, makeDataset } from '../model.js';
import { uniform } from '../../../src/core/rng.js';

const CLASS_RGB: [number, number, number][] = [
  [37, 99, 235],
  [220, 38, 38],
  [22, 163, 74],
];
const LIM = 1.3;
const GRID = 56;
const PER_CLASS = 80;
const MAX_POINTS = 1500;

/** Decade bounds around the losses (uPlot's log axes need positive bounds). */
function logRange(_u: uPlot, lo: number | null, hi: number | null): [number, number] {
  if (lo === null || hi === null || !(lo > 0) || !(hi > 0)) return [0.01, 10];
  const a = 10 ** Math.floor(Math.log10(lo));
  const b = 10 ** Math.ceil(Math.log10(hi));
  return [a, b > a ? b : a * 10];
}

export function initTrain(): void {
  const dataSel = byId<HTMLSelectElement>('tr-data');
  const modelSel = byId<HTMLSelectElement>('tr-model');
  const lrSel = byId<HTMLSelectElement>('tr-lr');
  const noise = byId<HTMLInputElement>('tr-noise');
  const noiseOut = byId('tr-noise-out');
  const startBtn = byId<HTMLButtonElement>('tr-start');
  const stepBtn = byId<HTMLButtonElement>('tr-step');
  const resetBtn = byId<HTMLButtonElement>('tr-reset');
  const newBtn = byId<HTMLButtonElement>('tr-new');
  const mlpNote = byId('tr-mlp-note');
  const out = {
    steps: byId('tr-steps'),
    loss: byId('tr-loss'),
    initial: byId('tr-initial'),
    acc: byId('tr-acc'),
    rate: byId('tr-rate'),
  };

  let seed = 7;
  let data: Dataset = makeDataset('spirals', PER_CLASS, 0.3, seed);
  let model = new Model('mlp', seed);
  let steps = 0;
  let stride = 1; // history keeps every stride-th step once it grows long
  let hist: [number[], number[]] = [[], []];
  let lastLoss = NaN;
  let lastAcc = NaN;
  let initialLoss = NaN;
  let running = false;
  let rate = 0;

  // decision regions: probabilities on a GRID × GRID lattice, painted into a small canvas
  const grid = new Float64Array(GRID * GRID * 2);
  for (let gy = 0; gy < GRID; gy++) {
    for (let gx = 0; gx < GRID; gx++) {
      const k = gy * GRID + gx;
      grid[2 * k] = -LIM + ((gx + 0.5) * 2 * LIM) / GRID;
      grid[2 * k + 1] = LIM - ((gy + 0.5) * 2 * LIM) / GRID;
    }
  }
  const image = document.createElement('canvas');
  image.width = GRID;
  image.height = GRID;
  const imageCtx = image.getContext('2d') as CanvasRenderingContext2D;

  function paintRegions(): void {
    const probs = model.probabilities(grid, GRID * GRID);
    const img = imageCtx.createImageData(GRID, GRID);
    for (let k = 0; k < GRID * GRID; k++) {
      let best = 0;
      for (let c = 1; c < CLASSES; c++) if (probs[k * CLASSES + c] > probs[k * CLASSES + best]) best = c;
      // confidence 1/3 → white, 1 → a light tint of the class colour
      const a = 0.5 * Math.max(0, (probs[k * CLASSES + best] - 1 / CLASSES) / (1 - 1 / CLASSES));
      const [r, g, b] = CLASS_RGB[best];
      img.data[4 * k] = Math.round(255 + (r - 255) * a);
      img.data[4 * k + 1] = Math.round(255 + (g - 255) * a);
      img.data[4 * k + 2] = Math.round(255 + (b - 255) * a);
      img.data[4 * k + 3] = 255;
    }
    imageCtx.putImageData(img, 0, 0);
  }

  const regions = new Chart(
    byId('tr-regions'),
    (w) => Math.min(w, 400),
    () => ({
      scales: { x: { time: false, range: [-LIM, LIM] }, y: { range: [-LIM, LIM] } },
      cursor: { show: false },
      axes: [axis('x₁', { values: tickValues }), axis('x₂', { values: tickValues, size: 40 })],
      series: [{}, { show: false }],
      hooks: {
        drawClear: [
          (u: uPlot) =>
            inPlot(u, (ctx) => {
              ctx.imageSmoothingEnabled = true;
              ctx.drawImage(image, u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
            }),
        ],
        draw: [
          (u: uPlot) =>
            inPlot(u, (ctx) => {
              const dpr = devicePixelRatio || 1;
              ctx.lineWidth = 1 * dpr;
              ctx.strokeStyle = '#fff';
              for (let i = 0; i < data.n; i++) {
                const [r, g, b] = CLASS_RGB[data.y[i]];
                ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
                ctx.beginPath();
                ctx.arc(u.valToPos(data.x[2 * i], 'x', true), u.valToPos(data.x[2 * i + 1], 'y', true), 3.5 * dpr, 0, 2 * Math.PI);
                ctx.fill();
                ctx.stroke();
              }
            }),
        ],
      },
    }),
    () => [[-LIM, LIM], [null, null]] as unknown as uPlot.AlignedData,
  );

  const lossChart = new Chart(
    byId('tr-loss-chart'),
    (w) => Math.min(w, 400) - 60,
    () => ({
      scales: { x: { time: false, range: (_u, lo, hi) => [0, Math.max(50, hi)] }, y: { distr: 3, log: 10, range: logRange } },
      cursor: { show: false },
      axes: [axis(t('axis.iter'), { values: tickValues }), axis(t('axis.ce'), { size: 52, splits: decadeSplits(26), filter: keepAll, values: logTickValues })],
      series: [{}, { stroke: colors.purple, width: 2 }],
    }),
    () => (hist[0].length ? hist : [[0], [null]]) as unknown as uPlot.AlignedData,
  );

  const legend = () =>
    renderLegend(
      byId('tr-legend'),
      CLASS_RGB.map(([r, g, b], i) => ({ label: t('tr.class', { i: i + 1 }), color: `rgb(${r}, ${g}, ${b})`, kind: 'dot' as const })),
    );

  /** Records the loss after `steps` updates (step 0, the initial loss, is recorded by reset). */
  function record(loss: number): void {
    if (steps > 0 && steps % stride === 0) {
      hist[0].push(steps);
      hist[1].push(loss);
      if (hist[0].length > MAX_POINTS) {
        stride *= 2;
        hist = [hist[0].filter((_, i) => i % 2 === 0), hist[1].filter((_, i) => i % 2 === 0)];
      }
    }
  }

  function showNumbers(): void {
    out.steps.textContent = String(steps);
    out.steps.dataset.value = String(steps);
    show(out.loss, lastLoss, 4);
    show(out.initial, initialLoss, 4);
    out.acc.textContent = Number.isNaN(lastAcc) ? '–' : `${(lastAcc * 100).toFixed(1)} %`;
    out.acc.dataset.value = String(lastAcc);
    out.rate.textContent = running ? String(Math.round(rate)) : '–';
  }

  function oneStep(): void {
    const r = model.step(data, Number(lrSel.value));
    record(r.loss);
    steps++;
    // the loss after the step, so the read-out matches the regions drawn
    const after = model.evaluate(data);
    lastLoss = after.loss;
    lastAcc = after.accuracy;
  }

  function reset(newData: boolean): void {
    if (newData) data = makeDataset(dataSel.value as DatasetKind, PER_CLASS, Number(noise.value), seed);
    model = new Model(modelSel.value as ModelKind, seed);
    steps = 0;
    stride = 1;
    const e = model.evaluate(data);
    hist = [[0], [e.loss]];
    initialLoss = e.loss;
    lastLoss = e.loss;
    lastAcc = e.accuracy;
    mlpNote.classList.toggle('invisible', modelSel.value !== 'mlp');
    paintRegions();
    regions.redraw();
    lossChart.update();
    showNumbers();
  }

  let lastPaint = 0;
  let rateWindow = { t: performance.now(), steps: 0 };
  function frame(): void {
    if (!running) return;
    const t0 = performance.now();
    // Fresh evaluation per step is costly; train in a burst and evaluate once per frame.
    let n = 0;
    do {
      const r = model.step(data, Number(lrSel.value));
      record(r.loss);
      steps++;
      n++;
    } while (performance.now() - t0 < 12);
    const e = model.evaluate(data);
    lastLoss = e.loss;
    lastAcc = e.accuracy;
    rateWindow.steps += n;
    const now = performance.now();
    if (now - rateWindow.t > 500) {
      rate = (rateWindow.steps * 1000) / (now - rateWindow.t);
      rateWindow = { t: now, steps: 0 };
    }
    if (now - lastPaint > 150) {
      paintRegions();
      regions.redraw();
      lastPaint = now;
    }
    lossChart.update();
    showNumbers();
    requestAnimationFrame(frame);
  }

  function setRunning(on: boolean): void {
    running = on;
    startBtn.setAttribute('aria-pressed', String(on));
    startBtn.textContent = on ? t('tr.pause') : t('tr.start');
    startBtn.dataset.state = on ? 'running' : 'paused';
    if (on) {
      rateWindow = { t: performance.now(), steps: 0 };
      requestAnimationFrame(frame);
    } else {
      paintRegions();
      regions.redraw();
      lossChart.update();
      showNumbers();
    }
  }

  startBtn.addEventListener('click', () => setRunning(!running));
  stepBtn.addEventListener('click', () => {
    if (running) setRunning(false);
    oneStep();
    paintRegions();
    regions.redraw();
    lossChart.update();
    showNumbers();
  });
  resetBtn.addEventListener('click', () => reset(false));
  newBtn.addEventListener('click', () => {
    seed = Math.floor(uniform(seed)() * 2 ** 32); // the next data set's seed, from the shared generator
    reset(true);
  });
  dataSel.addEventListener('change', () => reset(true));
  modelSel.addEventListener('change', () => reset(false));
  noise.addEventListener('input', () => {
    noiseOut.textContent = Number(noise.value).toFixed(2);
    reset(true);
  });
  // A hidden tab gets no animation frames; stop cleanly rather than resume with a jump.
  document.addEventListener('visibilitychange', () => {
    if (document.hidden && running) setRunning(false);
  });
  onLang(() => {
    legend();
    startBtn.textContent = running ? t('tr.pause') : t('tr.start');
  });

  noiseOut.textContent = Number(noise.value).toFixed(2);
  legend();
  regions.rebuild();
  lossChart.rebuild();
  reset(true);
  setRunning(false);
}
