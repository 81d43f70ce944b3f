// The explorer's browser-free parts: both languages complete, number formatting, the 256-bit
// reference the precision panel measures against, the naive formulas it shows failing, and that
// web/ type-checks. Runs everywhere, with or without Chromium.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { logSigmoid, logSoftmax, logSumExp, setBackend, sigmoid, sigmoidBackward, softmax } from '../../src/index.js';
import { processLogits } from '../../src/llm/index.js';
import { activeStages, contexts, decodeOptions, defaultControls } from '../../web/src/decoding.js';
import { fmt, fmtUlps, parseNumbers, ulp32, ulp64 } from '../../web/src/format.js';
import * as N from '../../web/src/naive.js';
import * as R from '../../web/src/reference.js';
import { type Key, strings, translate } from '../../web/src/strings.js';

setBackend('js');

describe('explorer text', () => {
  test('English and Chinese have the same keys, none empty', () => {
    const en = Object.keys(strings.en).sort();
    const zh = Object.keys(strings.zh).sort();
    assert.deepEqual(zh, en);
    for (const lang of ['en', 'zh'] as const) {
      for (const [k, v] of Object.entries(strings[lang])) assert.ok(v.trim().length > 0, `${lang}.${k} is empty`);
    }
  });

  test('placeholders and inline formulas match between the languages', () => {
    for (const key of Object.keys(strings.en) as Key[]) {
      const holes = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      assert.deepEqual(holes(strings.zh[key]), holes(strings.en[key]), `placeholders of ${key}`);
      const dollars = (s: string) => (s.match(/\$/g) ?? []).length;
      assert.equal(dollars(strings.en[key]) % 2, 0, `unbalanced $ in en.${key}`);
      assert.equal(dollars(strings.zh[key]) % 2, 0, `unbalanced $ in zh.${key}`);
    }
  });

  test('the Chinese text is Chinese', () => {
    const han = /[\u4e00-\u9fff]/;
    for (const key of ['intro.h', 'intro.p', 'sig.lead', 'sm.lead', 'ce.lead', 'gc.lead', 'tr.lead', 'pr.lead', 'sp.lead', 'sp.chain.lead'] as Key[]) {
      assert.match(strings.zh[key], han, key);
    }
  });

  test('translate fills placeholders', () => {
    assert.equal(translate('en', 'sm.logit', { i: 3 }), 'Logit z3');
    assert.equal(translate('zh', 'tr.class', { i: 2 }), '第 2 类');
  });
});

describe('explorer number formatting', () => {
  test('prints sensible significant digits with a real minus sign', () => {
    assert.equal(fmt(0.7310585786300049), '0.731059');
    assert.equal(fmt(-0.5), '\u22120.5');
    assert.equal(fmt(3.720075976020836e-44), '3.72008e\u221244');
    assert.equal(fmt(1e6), '1e6');
    assert.equal(fmt(0), '0');
    assert.equal(fmt(Infinity), '∞');
    assert.equal(fmt(-Infinity), '\u2212∞');
    assert.equal(fmt(NaN), 'NaN');
    assert.equal(fmt(1.449313002380354, 10), '1.449313002');
  });

  test('ulps print compactly', () => {
    assert.equal(fmtUlps(0), '0');
    assert.equal(fmtUlps(0.3149), '0.31');
    assert.equal(fmtUlps(3.4e-28), '<0.01');
    assert.equal(fmtUlps(1234), '1234');
    assert.equal(fmtUlps(5.5e15), '5.5e15');
    assert.equal(fmtUlps(Infinity), '∞');
  });

  test('ulp sizes are exact, including at powers of two and subnormals', () => {
    assert.equal(ulp64(1), 2 ** -52);
    assert.equal(ulp64(0.9999999999999999), 2 ** -53);
    assert.equal(ulp64(2), 2 ** -51);
    assert.equal(ulp64(5e-324), 5e-324);
    assert.equal(ulp32(1), 2 ** -23);
    assert.equal(ulp32(3.7e-44), 2 ** -149);
  });

  test('parses lists with commas, spaces and a real minus sign', () => {
    assert.deepEqual(parseNumbers('1000, 999 998'), [1000, 999, 998]);
    assert.deepEqual(parseNumbers('\u22121, 2.5e3'), [-1, 2500]);
    assert.equal(parseNumbers('1, x'), null);
  });
});

describe('explorer reference (256-bit) and naive formulas', () => {
  const xs = [-800, -745, -100, -40, -20, -1, -1e-10, 0, 0.5, 1, 20, 37, 40, 100, 800];

  test('the reference agrees with sigmax, which is correctly rounded, to within 0.5 ulp', () => {
    for (const x of xs) {
      assert.ok(R.ulpError(sigmoid([x])[0], R.sigmoid(x), false) <= 0.5, `sigmoid(${x})`);
      assert.ok(R.ulpError(logSigmoid([x])[0], R.logSigmoid(x), false) <= 0.5, `logSigmoid(${x})`);
      assert.ok(R.ulpError(sigmoidBackward([1], [x])[0], R.sigmoidGrad(x), false) <= 1, `sigmoidBackward(${x})`);
      assert.ok(R.ulpError(sigmoid(Float32Array.of(x))[0], R.sigmoid(Math.fround(x)), true) <= 0.5, `float32 sigmoid(${x})`);
    }
    for (const z of [
      [0, -20, 3.5],
      [1000, 999, 998],
      [0, -800, 5],
    ]) {
      const p = softmax(z);
      const lp = logSoftmax(z);
      R.softmax(z).forEach((r, i) => assert.ok(R.ulpError(p[i], r, false) <= 0.5, `softmax(${z})[${i}]`));
      R.logSoftmax(z).forEach((r, i) => assert.ok(R.ulpError(lp[i], r, false) <= 0.5, `logSoftmax(${z})[${i}]`));
      assert.ok(R.ulpError(logSumExp(z)[0], R.logSumExp(z), false) <= 0.5, `logSumExp(${z})`);
    }
  });

  test('reference arithmetic reproduces known constants', () => {
    assert.equal(R.toNumber(R.log(R.fromNumber(2))), Math.LN2);
    assert.equal(R.toNumber(R.exp(R.fromNumber(1))), Math.E);
    assert.equal(R.toNumber(R.sigmoid(-100)), 3.720075976020836e-44);
    assert.equal(R.toNumber(R.sigmoid(-745)), 5e-324);
    assert.equal(R.toNumber(R.logSigmoid(40)), -4.248354255291589e-18);
  });

  test('the naive formulas fail exactly where the page says they do', () => {
    assert.equal(N.oneMinusSigmoid(40, N.round64), 0); // true value 4.2e−18
    assert.equal(N.logSigmoid(40, N.round64), 0);
    assert.equal(N.sigmoid(-100, N.round32), 0); // e^100 overflows float32
    assert.ok(N.softmax([1000, 999, 998], N.round64).every(Number.isNaN)); // ∞/∞
    assert.equal(N.logSumExp([1000, 999], N.round64), Infinity);
    assert.equal(N.logOfSoftmax([0, -800], N.round64)[1], -Infinity);
    assert.ok(R.ulpError(N.oneMinusSigmoid(40, N.round64), R.sigmoid(-40), false) > 1e15);
  });
});

describe('explorer sampling data and options', () => {
  test('each context has one word per logit in both languages, ids in order of probability', () => {
    for (const c of contexts) {
      assert.equal(c.words.en.length, c.logits.length, c.id);
      assert.equal(c.words.zh.length, c.logits.length, c.id);
      assert.equal(new Set(c.words.en).size, c.logits.length, `${c.id}: distinct English words`);
      assert.equal(new Set(c.words.zh).size, c.logits.length, `${c.id}: distinct Chinese words`);
      for (let i = 1; i < c.logits.length; i++) assert.ok(c.logits[i] < c.logits[i - 1], `${c.id}: logit ${i} below logit ${i - 1}`);
    }
  });

  test('the stages follow the chosen order and only the non-neutral settings reach the options', () => {
    assert.deepEqual(activeStages(defaultControls), ['topK', 'topP', 'minP', 'temperature']);
    const hf = { ...defaultControls, order: 'hf' as const, presencePenalty: 0.5, typicalP: 0.9 };
    assert.deepEqual(activeStages(hf), ['penalties', 'temperature', 'topK', 'topP', 'minP', 'typicalP']);
    assert.deepEqual(decodeOptions(defaultControls), { temperature: 0.8, topK: 10, topP: 0.95, minP: 0.05, order: 'llama.cpp' });
    assert.deepEqual(decodeOptions(hf, ['penalties', 'temperature']), { temperature: 0.8, topK: 10, topP: 0.95, minP: 0.05, typicalP: 0.9, presencePenalty: 0.5, order: ['penalties', 'temperature'] });
    const off = { ...defaultControls, temperature: 1, topK: 0, topP: 1, minP: 0 };
    assert.deepEqual(activeStages(off), []);
    assert.deepEqual(decodeOptions(off), { order: 'llama.cpp' });
  });

  test('the full chain equals its last prefix, as the page’s last column assumes', () => {
    for (const order of ['llama.cpp', 'hf'] as const) {
      const c = { ...defaultControls, order, repetitionPenalty: 1.3, typicalP: 0.8 };
      const stages = activeStages(c);
      for (const ctx of contexts) {
        const z = Float64Array.from(ctx.logits);
        assert.deepEqual(processLogits(z, decodeOptions(c, stages), [0, 1, 1]), processLogits(z, decodeOptions(c), [0, 1, 1]), `${ctx.id}, ${order}`);
      }
    }
  });
});

test('web/ type-checks with its own tsconfig (DOM, bundler resolution, sigmax from src)', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  try {
    execFileSync(process.execPath, [tsc, '-p', 'web/tsconfig.json'], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    assert.fail(`tsc -p web/tsconfig.json failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
});
