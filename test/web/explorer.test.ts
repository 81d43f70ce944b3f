// End-to-end tests of the explorer (web/) in a real headless Chromium: builds the page with Vite,
// serves it from 127.0.0.1, drives Debian's /usr/bin/chromium through playwright-core (no browser
// download), and checks the numbers the page shows against sigmax computed here in Node.
// Screenshots of every section go to test/web/artifacts/. Without Chromium the suite is skipped
// with a message saying so.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import {
  binaryCrossEntropyWithLogits,
  binaryCrossEntropyWithLogitsBackward,
  crossEntropy,
  crossEntropyWithGrad,
  gradcheck,
  logSigmoid,
  logSigmoidBackward,
  logSoftmax,
  setBackend,
  sigmoid,
  sigmoidBackward,
  softmax,
  softmaxJacobian,
  tensor,
} from '../../src/index.js';
import { createSampler, processLogits } from '../../src/llm/index.js';
import { type Controls, DRAWS, activeStages, contexts, decodeOptions } from '../../web/src/decoding.js';
import { fmt, parseNumbers, ulp64 } from '../../web/src/format.js';
import * as R from '../../web/src/reference.js';
import { strings } from '../../web/src/strings.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = path.join(ROOT, 'test/web/artifacts');
const SECTIONS = ['sigmoid', 'softmax', 'cross-entropy', 'check', 'train', 'precision', 'sampling'];
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

// The page calls setBackend('auto') once; so do we, so that both sides run the same kernels.
setBackend('auto');

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/** A static file server for the built page, on an ephemeral port of 127.0.0.1. */
async function serve(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    let rel = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (rel.endsWith('/')) rel += 'index.html';
    const file = path.join(dir, path.normalize(rel));
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

if (!existsSync(CHROMIUM)) {
  test('explorer in headless Chromium', { skip: `chromium not installed (${CHROMIUM} missing): browser tests skipped; install it with apt-get install -y chromium` }, () => {});
} else {
  describe('explorer in headless Chromium', { timeout: 110_000 }, () => {
    let context: BrowserContext;
    let page: Page;
    let site: { url: string; close: () => Promise<void> };
    let outDir = '';
    let profile = '';
    const errors: string[] = [];

    /** The exact value behind a displayed number (data-value). */
    async function value(testid: string): Promise<number> {
      const v = await page.getAttribute(`[data-testid="${testid}"]`, 'data-value');
      assert.ok(v !== null, `no data-value on ${testid}`);
      return Number(v);
    }
    async function text(testid: string): Promise<string> {
      return ((await page.textContent(`[data-testid="${testid}"]`)) ?? '').trim();
    }
    /** Checks a displayed number against sigmax: the exact value and the formatted text. */
    async function expectShown(testid: string, expected: number, digits = 6): Promise<void> {
      assert.equal(await value(testid), expected, `${testid}: page value vs sigmax`);
      assert.equal(await text(testid), fmt(expected, digits), `${testid}: text`);
    }
    async function logits(): Promise<number[]> {
      const z = parseNumbers(await page.inputValue('[data-testid="sm-text"]'));
      assert.ok(z, 'the logits text box parses');
      return z;
    }
    async function screenshots(prefix: string, sections = SECTIONS): Promise<void> {
      // The sticky header would cover part of each section in an element screenshot.
      const style = await page.addStyleTag({ content: '.top { position: static !important; }' });
      await page.evaluate(() => new Promise(requestAnimationFrame));
      for (const id of sections) await page.locator(`#${id}`).screenshot({ path: path.join(ARTIFACTS, `${prefix}-${id}.png`) });
      await style.evaluate((el) => (el as Element).remove());
    }

    before(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      outDir = mkdtempSync(path.join(os.tmpdir(), 'sigmax-explorer-'));
      profile = mkdtempSync(path.join(os.tmpdir(), 'sigmax-chromium-'));
      const { build } = await import('vite');
      await build({ configFile: path.join(ROOT, 'web/vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
      site = await serve(outDir);
      const { chromium } = await import('playwright-core');
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        args: ARGS,
        headless: true,
        viewport: { width: 1280, height: 900 },
        deviceScaleFactor: 1,
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      await page.goto(site.url);
      await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 20_000 });
    });

    after(async () => {
      await context?.close();
      await site?.close();
      for (const dir of [outDir, profile]) if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('loads all seven sections with typeset formulas and charts, and no errors', async () => {
      assert.equal(await page.textContent('h1'), strings.en['intro.h']);
      for (const id of SECTIONS) assert.equal(await page.locator(`#${id}`).count(), 1, id);
      assert.ok((await page.locator('.katex').count()) > 40, 'KaTeX formulas');
      assert.equal(await page.locator('#sigmoid .uplot').count(), 2, 'sigmoid and BCE charts');
      assert.ok((await page.locator('.uplot').count()) >= 6, 'uPlot charts');
      assert.match(await text('backend'), /(js|wasm)/);
      assert.deepEqual(errors, []);
      await page.screenshot({ path: path.join(ARTIFACTS, 'desktop-en-top.png') });
    });

    test('sigmoid: the slider, the text box and dragging the point show what sigmax computes', async () => {
      const section = page.locator('#sigmoid');
      const heightBefore = (await section.boundingBox())?.height;
      const slider = page.locator('[data-testid="sig-x-range"]');
      await slider.fill('2.5');
      await slider.focus();
      for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
      const x = await value('sig-x');
      assert.equal(x, 2.53);
      await expectShown('sig-s', sigmoid([x])[0]);
      await expectShown('sig-ds', sigmoidBackward([1], [x])[0]);
      await expectShown('sig-sneg', sigmoid([-x])[0]);
      await expectShown('sig-1ms', 1 - sigmoid([x])[0]);
      await expectShown('bce-l1', binaryCrossEntropyWithLogits([x], [1]));
      await expectShown('bce-g1', binaryCrossEntropyWithLogitsBackward([x], [1])[0]);
      await expectShown('bce-l0', binaryCrossEntropyWithLogits([x], [0]));
      await expectShown('bce-g0', binaryCrossEntropyWithLogitsBackward([x], [0])[0]);

      // Any number in the text box, far outside the plot: the tail stays exact.
      await page.fill('[data-testid="sig-x-num"]', '-40');
      assert.equal(await value('sig-x'), -40);
      await expectShown('sig-s', sigmoid([-40])[0]);
      assert.ok((await value('sig-s')) > 4e-18);
      assert.equal(await page.inputValue('[data-testid="sig-x-range"]'), '-8');
      assert.ok(await page.isVisible('#sig-outside'));
      assert.equal((await section.boundingBox())?.height, heightBefore, 'no layout jump when the note appears');

      // Drag the point: a press at 3/4 of the plot's width is x ≈ 4 on [−8, 8].
      const over = page.locator('#sig-chart .u-over');
      const box = await over.boundingBox();
      assert.ok(box);
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2, { steps: 4 });
      await page.mouse.up();
      const dragged = await value('sig-x');
      assert.ok(Math.abs(dragged - 4) < 0.1, `dragged to ${dragged}`);
      await expectShown('sig-s', sigmoid([dragged])[0]);
      await expectShown('sig-ds', sigmoidBackward([1], [dragged])[0]);
      assert.ok(!(await page.isVisible('#sig-outside')));
    });

    test('softmax: logit sliders, temperature and text drive the bars, the Jacobian and the max-shift note', async () => {
      const section = page.locator('#softmax');
      const heightBefore = (await section.boundingBox())?.height;

      await page.locator('[data-testid="sm-z-0"]').focus();
      for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
      let z = await logits();
      assert.equal(z[0], 2.5);
      let T = await value('sm-T');
      assert.equal(T, 1);
      let p = softmax(z, { temperature: T });
      for (let i = 0; i < z.length; i++) assert.equal(await value(`sm-p-${i}`), p[i], `p${i}`);

      await page.locator('[data-testid="sm-temp"]').fill('0.3');
      T = await value('sm-T');
      assert.equal(T, 2);
      p = softmax(z, { temperature: T });
      for (let i = 0; i < z.length; i++) assert.equal(await value(`sm-p-${i}`), p[i], `p${i} at T = 2`);
      assert.equal((await section.boundingBox())?.height, heightBefore, 'no layout jump when values change');

      // The Jacobian at z/T: hover one cell, then move with the keyboard.
      const C = z.length;
      const J = softmaxJacobian(tensor(Float64Array.from(z, (v) => v / T), [C])).data;
      await page.hover('#sm-jac rect[data-i="1"][data-j="2"]');
      assert.equal(await value('sm-jac-value'), J[1 * C + 2]);
      await page.focus('[data-testid="sm-jac"]');
      await page.keyboard.press('ArrowDown');
      assert.equal(await page.getAttribute('[data-testid="sm-jac-value"]', 'data-i'), '2');
      assert.equal(await value('sm-jac-value'), J[2 * C + 2]);
      assert.ok((await value('sm-rowsum')) < 1e-15, 'rows of J sum to 0');

      // Any logits in the text box, including ones whose exponentials overflow.
      await page.locator('[data-testid="sm-temp"]').fill('0');
      await page.fill('[data-testid="sm-text"]', '1000, 999, 998, 990, 0');
      z = await logits();
      assert.deepEqual(z, [1000, 999, 998, 990, 0]);
      assert.equal(await page.inputValue('[data-testid="sm-classes"]'), '5');
      p = softmax(z);
      for (let i = 0; i < 5; i++) assert.equal(await value(`sm-p-${i}`), p[i], `p${i} of large logits`);
      assert.equal(await value('sm-shift-sum'), Infinity, 'the direct sum overflows');
      for (let i = 0; i < 5; i++) assert.equal(await value(`sm-shift-stable-${i}`), p[i], 'the shifted form is exact');
      await page.locator('[data-testid="sm-shift"]').fill('-1000');
      const shifted = softmax(z.map((v) => v - 1000));
      for (let i = 0; i < 5; i++) assert.equal(await value(`sm-shift-stable-${i}`), shifted[i]);
      assert.equal(await page.getAttribute('[data-testid="sm-shift-verdict"]', 'data-maxdiff'), '0');

      await page.locator('[data-testid="sm-shift"]').fill('0');
      await page.fill('[data-testid="sm-text"]', '2, 1, 0.1, -1');
      assert.deepEqual(await logits(), [2, 1, 0.1, -1]);
    });

    test('cross-entropy: the true class and a soft target give −log p_t, p − y and formulas that agree', async () => {
      const z = await logits();
      await page.selectOption('[data-testid="ce-target"]', { value: '2' });
      await expectShown('ce-pt', softmax(z)[2]);
      await expectShown('ce-nlogpt', -logSoftmax(z)[2]);
      const onehot = Float64Array.from(z, (_, i) => (i === 2 ? 1 : 0));
      await expectShown('ce-index', crossEntropy(z, 2), 10);
      await expectShown('ce-prob', crossEntropy(z, onehot), 10);
      await expectShown('ce-sum', -logSoftmax(z)[2], 10);
      assert.equal(await page.getAttribute('[data-testid="ce-agree"]', 'data-ulps'), '0', 'the three sigmax paths agree exactly');
      const { grad } = crossEntropyWithGrad(z, 2);
      for (let i = 0; i < z.length; i++) assert.equal(await value(`ce-grad-${i}`), grad[i], `p − y at ${i}`);
      assert.ok((await value('ce-grad-2')) < 0, 'the gradient pushes the true logit up');

      await page.locator('[data-testid="ce-eps"]').fill('0.1');
      const smooth = crossEntropyWithGrad(z, 2, { labelSmoothing: 0.1 });
      await expectShown('ce-loss', smooth.loss);
      await expectShown('ce-index', crossEntropy(z, 2, { labelSmoothing: 0.1 }), 10);
      for (let i = 0; i < z.length; i++) assert.equal(await value(`ce-grad-${i}`), smooth.grad[i], `smoothed p − y at ${i}`);
      const y = Float64Array.from(z, (_, i) => 0.1 / z.length + (i === 2 ? 0.9 : 0));
      for (let i = 0; i < z.length; i++) assert.ok(Math.abs((await value(`ce-y-${i}`)) - y[i]) < 1e-15, `soft target at ${i}`);
      assert.ok(Number(await page.getAttribute('[data-testid="ce-agree"]', 'data-ulps')) <= 4);
      await page.locator('[data-testid="ce-eps"]').fill('0');
    });

    test('gradcheck: the table and the verdict match sigmax’s gradcheck at the current inputs', async () => {
      const z = await logits();
      const t = 2;
      await page.selectOption('[data-testid="gc-fn"]', 'ce');
      await page.locator('[data-testid="gc-h"]').fill('-6');
      const f = (x: Float64Array) => crossEntropyWithGrad(x, t);
      const g = f(Float64Array.from(z)).grad;
      let maxErr = 0;
      for (let i = 0; i < z.length; i++) {
        assert.equal(await value(`gc-analytic-${i}`), g[i], `analytic ${i}`);
        const err = await value(`gc-err-${i}`);
        assert.ok(err < 1e-9, `finite difference ${i} close`);
        assert.equal(await value(`gc-ulps-${i}`), err / ulp64(g[i]));
        assert.ok((await value(`gc-exact-${i}`)) <= 8, `analytic ${i} within 8 ulp of the 256-bit reference`);
        maxErr = Math.max(maxErr, err);
      }
      const r = gradcheck(f, Float64Array.from(z), { eps: 1e-6 });
      assert.equal(await page.getAttribute('[data-testid="gc-ok"]', 'data-value'), String(r.ok));
      assert.equal(r.ok, true);
      assert.equal(await value('gc-maxabs'), r.maxAbsError);
      assert.equal(maxErr, r.maxAbsError, 'the table’s worst row is gradcheck’s maxAbsError');

      await page.selectOption('[data-testid="gc-fn"]', 'logsig');
      const x = await value('sig-x');
      assert.equal(await value('gc-x-0'), x);
      assert.equal(await value('gc-analytic-0'), logSigmoidBackward([1], [x])[0]);
      const r2 = gradcheck((v: Float64Array) => ({ value: logSigmoid(v)[0], grad: logSigmoidBackward([1], v) }), Float64Array.of(x), { eps: 1e-6 });
      assert.equal(await value('gc-maxabs'), r2.maxAbsError);
      await page.selectOption('[data-testid="gc-fn"]', 'ce');
    });

    test('precision: sigmax next to the naive formulas, measured against the 256-bit reference', async () => {
      await page.click('[data-pr-x="40"]');
      assert.equal(await value('pr-sigmax-omsig'), sigmoid([-40])[0]);
      assert.equal(await value('pr-naive-omsig'), 0, 'the naive 1 − σ(40) loses every digit');
      assert.ok((await value('pr-naive-omsig-ulps')) > 1e15);
      assert.ok((await value('pr-sigmax-omsig-ulps')) <= 0.5);
      assert.equal(await value('pr-ref-omsig'), R.toNumber(R.sigmoid(-40)));
      assert.equal(await value('pr-sigmax-logsig'), logSigmoid([40])[0]);

      await page.check('[data-testid="pr-f32"]');
      await page.click('[data-pr-x="-100"]');
      const s32 = sigmoid(Float32Array.of(-100))[0];
      assert.ok(s32 > 0);
      assert.equal(await value('pr-sigmax-sig'), s32);
      assert.equal(await value('pr-naive-sig'), 0, 'e^100 overflows float32');
      assert.ok((await value('pr-sigmax-sig-ulps')) <= 2);

      await page.check('[data-testid="pr-f64"]');
      await page.click('[data-pr-z="1000, 999, 998"]');
      const p = softmax([1000, 999, 998]);
      for (let i = 0; i < 3; i++) {
        assert.equal(await value(`pr-sigmax-p-${i}`), p[i]);
        assert.ok(Number.isNaN(await value(`pr-naive-p-${i}`)), 'e^1000 overflows: ∞/∞');
      }
      assert.equal(await text('pr-naive-p-0'), 'NaN');
    });

    test('train: a few seconds of training lower the loss', async () => {
      await page.selectOption('[data-testid="tr-data"]', 'spirals');
      await page.selectOption('[data-testid="tr-model"]', 'mlp');
      const initial = await value('tr-initial');
      assert.equal(await value('tr-steps'), 0);
      await page.click('[data-testid="tr-start"]');
      assert.equal(await page.getAttribute('[data-testid="tr-start"]', 'aria-pressed'), 'true');
      await page.waitForTimeout(3000);
      await page.click('[data-testid="tr-start"]');
      assert.equal(await page.getAttribute('[data-testid="tr-start"]', 'aria-pressed'), 'false');
      const steps = await value('tr-steps');
      const loss = await value('tr-loss');
      assert.ok(steps >= 30, `trained ${steps} steps`);
      assert.ok(loss < 0.5 * initial, `loss ${loss} went down from ${initial}`);
      assert.ok((await value('tr-acc')) > 0.6, 'accuracy rose');
      const style = await page.addStyleTag({ content: '.top { position: static !important; }' });
      await page.locator('#train').screenshot({ path: path.join(ARTIFACTS, 'desktop-en-train-after-3s.png') });
      await style.evaluate((el) => (el as Element).remove());

      await page.click('[data-testid="tr-step"]');
      assert.equal(await value('tr-steps'), steps + 1);

      // The simplest model learns separable blobs too.
      await page.selectOption('[data-testid="tr-data"]', 'blobs');
      await page.selectOption('[data-testid="tr-model"]', 'linear');
      const initial2 = await value('tr-initial');
      await page.click('[data-testid="tr-start"]');
      await page.waitForTimeout(1500);
      await page.click('[data-testid="tr-start"]');
      assert.ok((await value('tr-loss')) < 0.5 * initial2);
      await page.selectOption('[data-testid="tr-data"]', 'spirals');
      await page.selectOption('[data-testid="tr-model"]', 'mlp');
    });

    /** The sampling section's controls as the page holds them (the outputs carry the exact values). */
    async function samplingControls(): Promise<Controls> {
      const knob = (k: string) => value(`sp-${k}-out`);
      return {
        order: (await page.inputValue('[data-testid="sp-order"]')) === 'hf' ? 'hf' : 'llama.cpp',
        temperature: await knob('temperature'),
        topK: await knob('topK'),
        topP: await knob('topP'),
        minP: await knob('minP'),
        typicalP: await knob('typicalP'),
        repetitionPenalty: await knob('repetitionPenalty'),
        presencePenalty: await knob('presencePenalty'),
        frequencyPenalty: await knob('frequencyPenalty'),
      };
    }
    async function samplingHistory(): Promise<number[]> {
      const v = (await page.getAttribute('[data-testid="sp-history"]', 'data-value')) ?? '';
      return v === '' ? [] : v.split(',').map(Number);
    }
    async function samplingLogits(): Promise<Float64Array> {
      return Float64Array.from(contexts[Number(await page.inputValue('[data-testid="sp-context"]'))].logits);
    }
    const finiteIds = (z: ArrayLike<number>) => Array.from(z, (v, i) => (v > -Infinity ? i : -1)).filter((i) => i >= 0);
    /** Every stage column and the final bars against processLogits, called here for the same options. */
    async function expectChainShown(): Promise<{ c: Controls; stages: string[]; kept: number[][] }> {
      const c = await samplingControls();
      const history = await samplingHistory();
      const z = await samplingLogits();
      const stages = activeStages(c);
      assert.equal(await page.getAttribute('#sp-table table', 'data-stages'), stages.join(','), 'the columns are the enabled stages in order');
      const kept: number[][] = [];
      for (let k = 0; k < stages.length; k++) {
        const out = processLogits(z, decodeOptions(c, stages.slice(0, k + 1)), history) as Float64Array;
        const p = softmax(out);
        const states = await page.$$eval(`#sp-table td[data-stage][data-testid^="sp-p-${k}-"]`, (tds) => tds.map((td) => (td as HTMLElement).dataset.state ?? ''));
        assert.equal(states.length, z.length);
        const shownKept = states.flatMap((st, i) => (st === 'kept' ? [i] : []));
        assert.deepEqual(shownKept, finiteIds(out), `tokens kept after ${stages.slice(0, k + 1).join(' → ')}`);
        for (const i of shownKept) assert.equal(await value(`sp-p-${k}-${i}`), p[i], `p′ of token ${i} after stage ${k + 1}`);
        const before = k === 0 ? finiteIds(z) : kept[k - 1];
        states.forEach((st, i) => assert.equal(st, !before.includes(i) ? 'gone' : out[i] > -Infinity ? 'kept' : 'cut', `state of token ${i} at stage ${k + 1}`));
        kept.push(finiteIds(out));
      }
      const final = softmax(processLogits(z, decodeOptions(c), history) as Float64Array);
      for (let i = 0; i < z.length; i++) assert.equal(await value(`sp-bar-final-${i}`), final[i], `final p′ of token ${i}`);
      assert.equal(await page.getAttribute('[data-testid="sp-summary"]', 'data-kept'), finiteIds(processLogits(z, decodeOptions(c), history) as Float64Array).join(','));
      return { c, stages, kept };
    }
    /** The page's draws against createSampler with the same options and seed, drawn here. */
    async function expectDraws(seed: number): Promise<number[]> {
      const shown = ((await page.getAttribute('[data-testid="sp-draws"]', 'data-tokens')) ?? '').split(',').map(Number);
      assert.equal(await page.getAttribute('[data-testid="sp-draws"]', 'data-seed'), String(seed));
      const c = await samplingControls();
      const history = await samplingHistory();
      const z = await samplingLogits();
      const sampler = createSampler({ ...decodeOptions(c), seed });
      const expected = Array.from({ length: DRAWS }, () => sampler.next(z, history)[0]);
      assert.deepEqual(shown, expected, `the ${DRAWS} draws of seed ${seed}`);
      for (let i = 0; i < z.length; i++) {
        const count = expected.filter((t) => t === i).length;
        assert.ok(Math.abs((await value(`sp-bar-draws-${i}`)) - count / DRAWS) < 1e-12, `share of token ${i}`);
      }
      return shown;
    }

    test('sampling: the top-k and top-p sliders keep exactly the tokens processLogits keeps, stage by stage', async () => {
      await page.locator('#sampling').scrollIntoViewIfNeeded();
      let { c, stages } = await expectChainShown();
      assert.deepEqual(stages, ['topK', 'topP', 'minP', 'temperature'], 'llama.cpp’s order, filters before the temperature');
      assert.equal(c.topK, 10);

      await page.locator('[data-testid="sp-topK"]').fill('4');
      let kept: number[][];
      ({ c, kept } = await expectChainShown());
      assert.equal(c.topK, 4);
      assert.deepEqual(kept[0], [0, 1, 2, 3], 'top-4 of logits sorted by id');
      assert.equal(await page.locator('#sp-table td[data-state="cut"][data-stage="topK"]').count(), 10);
      assert.equal(await value('sp-count-0'), 4);

      await page.locator('[data-testid="sp-topK"]').fill('0');
      await page.locator('[data-testid="sp-topP"]').fill('0.5');
      ({ c, stages, kept } = await expectChainShown());
      assert.equal(c.topP, 0.5);
      assert.equal(await text('sp-topK-out'), strings.en['sp.off']);
      assert.deepEqual(stages, ['topP', 'minP', 'temperature']);
      assert.ok((await value('sp-mass-0')) >= 0.5, 'top-p keeps at least p of the mass');
      assert.deepEqual(kept[0], [0, 1], 'top-p 0.5 of the cat context: 0.346 + 0.19 ≥ 0.5');

      // Greedy: T = 0 leaves one token, the most probable.
      await page.locator('[data-testid="sp-temperature"]').fill('0');
      ({ kept } = await expectChainShown());
      assert.deepEqual(kept.at(-1), [0]);
      assert.equal(await value('sp-bar-final-0'), 1);

      // Another context, and typical-p, whose cut need not be a tail.
      await page.locator('[data-testid="sp-temperature"]').fill('1');
      await page.selectOption('[data-testid="sp-context"]', '1');
      await page.locator('[data-testid="sp-typicalP"]').fill('0.6');
      ({ stages } = await expectChainShown());
      assert.deepEqual(stages, ['typicalP', 'topP', 'minP']);
      assert.equal(await text('sp-vocab-0'), contexts[1].words.en[0]);
      await page.locator('[data-testid="sp-typicalP"]').fill('1');
      await page.locator('[data-testid="sp-topP"]').fill('0.95');
      await page.locator('[data-testid="sp-topK"]').fill('10');
      await page.locator('[data-testid="sp-temperature"]').fill('0.8');
      await page.selectOption('[data-testid="sp-context"]', '0');
      await expectChainShown();
      assert.deepEqual(errors, []);
    });

    test('sampling: penalties act on the clicked history, and Hugging Face’s order puts the temperature first', async () => {
      await page.click('[data-testid="sp-vocab-0"]');
      await page.click('[data-testid="sp-vocab-0"]');
      await page.click('[data-testid="sp-vocab-2"]');
      assert.deepEqual(await samplingHistory(), [0, 0, 2]);
      await page.locator('[data-testid="sp-repetitionPenalty"]').fill('1.5');
      await page.locator('[data-testid="sp-frequencyPenalty"]').fill('0.5');
      const { stages } = await expectChainShown();
      assert.equal(stages[0], 'penalties');
      const before = await value('sp-raw-p-0');
      assert.ok((await value('sp-p-0-0')) < before, 'the penalties lower the repeated word');

      // Clicking a word in the history removes it.
      await page.click('#sp-history button >> nth=0');
      assert.deepEqual(await samplingHistory(), [0, 2]);
      await expectChainShown();

      await page.selectOption('[data-testid="sp-order"]', 'hf');
      const hf = await expectChainShown();
      assert.deepEqual(hf.stages, ['penalties', 'temperature', 'topK', 'topP', 'minP']);
      await page.selectOption('[data-testid="sp-order"]', 'llama.cpp');
      await page.click('[data-testid="sp-clear"]');
      await page.locator('[data-testid="sp-repetitionPenalty"]').fill('1');
      await page.locator('[data-testid="sp-frequencyPenalty"]').fill('0');
      assert.deepEqual(await samplingHistory(), []);
      assert.deepEqual((await expectChainShown()).stages, ['topK', 'topP', 'minP', 'temperature']);
    });

    test('sampling: draws with a fixed seed are createSampler’s draws, and reproducible', async () => {
      assert.equal(await page.getAttribute('[data-testid="sp-draws"]', 'data-tokens'), null, 'nothing drawn before the button');
      await page.fill('[data-testid="sp-seed"]', '7');
      await page.click('[data-testid="sp-draw"]');
      const first = await expectDraws(7);
      await page.click('[data-testid="sp-draw"]');
      assert.deepEqual(await expectDraws(7), first, 'the same seed draws the same tokens');

      await page.click('[data-testid="sp-next-seed"]');
      assert.equal(await page.inputValue('[data-testid="sp-seed"]'), '8');
      assert.notDeepEqual(await expectDraws(8), first);

      // Drawn once, the draws follow the controls with the same seed.
      await page.locator('[data-testid="sp-topK"]').fill('3');
      const top3 = await expectDraws(8);
      assert.ok(top3.every((id) => id < 3), 'top-3 draws only the three most probable words');
      await page.locator('[data-testid="sp-topK"]').fill('10');

      await page.fill('[data-testid="sp-seed"]', 'seven');
      await page.click('[data-testid="sp-draw"]');
      assert.equal(await page.getAttribute('[data-testid="sp-seed"]', 'aria-invalid'), 'true');
      assert.equal(await text('sp-seed-err'), strings.en['sp.seedError']);
      await page.fill('[data-testid="sp-seed"]', '7');
      await page.click('[data-testid="sp-draw"]');
      assert.deepEqual(await expectDraws(7), first);
      assert.deepEqual(errors, []);
    });

    test('sampling: 中文 translates the words and labels, the numbers and draws stay', async () => {
      const draws = await page.getAttribute('[data-testid="sp-draws"]', 'data-tokens');
      const p0 = await value('sp-bar-final-0');
      await page.click('button[data-lang="zh"]');
      assert.equal(await page.textContent('#sampling h2 [data-i18n]'), strings.zh['sp.h']);
      assert.equal(await text('sp-vocab-0'), contexts[0].words.zh[0]);
      assert.equal(await text('sp-stage-0'), `1. ${strings.zh['sp.stage.topK']}k = 10`);
      assert.equal(await page.getAttribute('[data-testid="sp-draws"]', 'data-tokens'), draws);
      assert.equal(await value('sp-bar-final-0'), p0);
      await expectChainShown();
      assert.match(await text('sp-draws-summary'), /种子 7/);
      await screenshots('desktop-zh', ['sampling']);
      await page.click('button[data-lang="en"]');
      assert.equal(await text('sp-vocab-0'), contexts[0].words.en[0]);
      assert.equal(await text('sp-stage-0'), `1. ${strings.en['sp.stage.topK']}k = 10`);
      assert.deepEqual(errors, []);
    });

    test('sampling: its controls are reachable with Tab and labelled', async () => {
      await page.focus('[data-testid="sp-context"]');
      await page.evaluate(() => {
        const w = window as unknown as { spFocused: string[] };
        w.spFocused = [];
        document.addEventListener('focusin', (e) => w.spFocused.push((e.target as HTMLElement).dataset.testid ?? ''));
      });
      for (let i = 0; i < 40; i++) await page.keyboard.press('Tab');
      const seen = new Set(await page.evaluate(() => (window as unknown as { spFocused: string[] }).spFocused));
      for (const id of ['sp-order', 'sp-temperature', 'sp-topK', 'sp-topP', 'sp-minP', 'sp-typicalP', 'sp-seed', 'sp-draw', 'sp-next-seed', 'sp-repetitionPenalty', 'sp-presencePenalty', 'sp-frequencyPenalty', 'sp-vocab-0', 'sp-clear']) {
        assert.ok(seen.has(id), `${id} is reachable with Tab`);
      }
      const unlabelled = await page.$$eval('#sampling input, #sampling select', (els) => els.filter((el) => (el as HTMLInputElement).labels?.length === 0 && !el.getAttribute('aria-label')).map((el) => el.id));
      assert.deepEqual(unlabelled, []);
      assert.ok(((await page.getAttribute('[data-testid="sp-vocab-0"]', 'aria-label')) ?? '').includes(contexts[0].words.en[0]));
      // The section screenshots come next: no focus ring left on a chip.
      await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    });

    test('keyboard: every control is reachable with Tab', async () => {
      await page.evaluate(() => {
        window.scrollTo(0, 0);
        (document.activeElement as HTMLElement | null)?.blur();
        const w = window as unknown as { focused: string[] };
        w.focused = [];
        document.addEventListener('focusin', (e) => {
          const el = e.target as HTMLElement;
          w.focused.push(el.dataset.testid ?? el.id ?? '');
        });
      });
      for (let i = 0; i < 64; i++) await page.keyboard.press('Tab');
      const seen = new Set(await page.evaluate(() => (window as unknown as { focused: string[] }).focused));
      for (const id of ['sig-x-range', 'sig-x-num', 'sm-classes', 'sm-temp', 'sm-text', 'sm-z-0', 'sm-jac', 'sm-shift', 'ce-target', 'ce-eps', 'gc-fn', 'gc-h', 'tr-data', 'tr-start', 'tr-step', 'pr-f64', 'pr-x', 'pr-z', 'pr-fn']) {
        assert.ok(seen.has(id), `${id} is reachable with Tab`);
      }
    });

    test('screenshots of every section at desktop width', async () => {
      await screenshots('desktop-en');
      for (const id of SECTIONS) assert.ok(statSync(path.join(ARTIFACTS, `desktop-en-${id}.png`)).size > 10_000, id);
    });

    test('language: 中文 translates the page, keeps every number, and is remembered', async () => {
      const before = await value('sig-s');
      await page.click('button[data-lang="zh"]');
      assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
      assert.equal(await page.textContent('h1'), strings.zh['intro.h']);
      assert.equal(await page.textContent('#sigmoid h2 [data-i18n]'), strings.zh['sig.h']);
      assert.equal(await page.textContent('#cross-entropy h2 [data-i18n]'), strings.zh['ce.h']);
      assert.equal(await text('tr-start'), strings.zh['tr.start']);
      assert.equal(await page.getAttribute('button[data-lang="zh"]', 'aria-pressed'), 'true');
      assert.equal(await value('sig-s'), before, 'numbers are untouched');
      const emptyText = await page.$$eval('[data-i18n]', (els) => els.filter((e) => !e.textContent?.trim()).length);
      assert.equal(emptyText, 0);
      await screenshots('desktop-zh', ['sigmoid', 'softmax', 'precision']);

      await page.reload();
      await page.waitForSelector('body[data-ready="true"]', { state: 'attached' });
      assert.equal(await page.textContent('h1'), strings.zh['intro.h'], 'the choice survives a reload');
      await page.click('button[data-lang="en"]');
      assert.equal(await page.textContent('h1'), strings.en['intro.h']);
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
    });

    test('phone width (390 px): nothing overflows sideways, sections stay readable', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.evaluate(() => new Promise(requestAnimationFrame));
      const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
      assert.ok(scroll <= client, `page is ${scroll} px wide in a ${client} px viewport`);
      for (const id of SECTIONS) {
        const box = await page.locator(`#${id}`).boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${id} fits`);
      }
      // Still exact at phone width.
      await page.locator('[data-testid="sig-x-range"]').fill('-1.5');
      await expectShown('sig-s', sigmoid([-1.5])[0]);
      await screenshots('phone-en');
      await page.setViewportSize({ width: 1280, height: 900 });
      assert.deepEqual(errors, [], 'no page errors during the whole run');
    });
  });
}
