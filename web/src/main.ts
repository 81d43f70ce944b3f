// The explorer's entry point: chooses sigmax's backend once, fills in the page text, wires the
// language switch and starts the seven sections.

import 'katex/dist/katex.min.css';
import './styles.css';
import { getBackend, setBackend } from 'sigmax';
import { getLang, onLang, setLang, t } from './i18n.js';
import { initCrossEntropy } from './sections/crossEntropy.js';
import { initGradcheck } from './sections/gradcheck.js';
import { initPrecision } from './sections/precision.js';
import { initSampling } from './sections/sampling.js';
import { initSigmoid } from './sections/sigmoid.js';
import { initSoftmax } from './sections/softmax.js';
import { initTrain } from './sections/train.js';
import type { Lang } from './strings.js';

setBackend('auto');

function initLanguageSwitch(): void {
  const buttons = document.querySelectorAll<HTMLButtonElement>('[data-lang]');
  const mark = () => buttons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.lang === getLang())));
  buttons.forEach((b) => b.addEventListener('click', () => setLang(b.dataset.lang as Lang)));
  onLang(mark);
  mark();
}

function showBackend(): void {
  const el = document.getElementById('backend');
  if (el) el.textContent = t('intro.backend', { backend: getBackend() });
}

// Fills in the page text in the remembered (or the browser's) language.
setLang(getLang());
initLanguageSwitch();
showBackend();
onLang(showBackend);
initSigmoid();
initSoftmax();
initCrossEntropy();
initGradcheck();
initTrain();
initPrecision();
initSampling();
document.body.dataset.ready = 'true';
