// The page language: t(key) for code, data-i18n / data-i18n-math / data-i18n-attr for markup,
// and onLang(fn) for parts of the page that render text themselves. The choice is remembered.

import { type Key, type Lang, languages, translate } from './strings.js';
import { mathText } from './tex.js';

const STORAGE_KEY = 'sigmax-explorer-lang';
const listeners = new Set<() => void>();

function initialLang(): Lang {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved && (languages as readonly string[]).includes(saved)) return saved as Lang;
  } catch {
    // storage may be unavailable (privacy mode); fall back to the browser's language
  }
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

let lang: Lang = initialLang();

export function getLang(): Lang {
  return lang;
}

export function t(key: Key, vars?: Record<string, string | number>): string {
  return translate(lang, key, vars);
}

/** Fills every element under root that names a key: text, text with inline TeX, attributes. */
export function applyI18n(root: ParentNode = document): void {
  root.querySelectorAll<HTMLElement>('[data-i18n]').forEach((el) => {
    el.textContent = t(el.dataset.i18n as Key);
  });
  root.querySelectorAll<HTMLElement>('[data-i18n-math]').forEach((el) => {
    el.innerHTML = mathText(t(el.dataset.i18nMath as Key));
  });
  // data-i18n-attr="aria-label:key;title:key"
  root.querySelectorAll<HTMLElement>('[data-i18n-attr]').forEach((el) => {
    for (const pair of (el.dataset.i18nAttr ?? '').split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim() as Key));
    }
  });
}

export function setLang(next: Lang): void {
  lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not remembered; the switch still works for this visit
  }
  document.documentElement.lang = next === 'zh' ? 'zh-CN' : 'en';
  document.title = t('doc.title');
  applyI18n();
  for (const fn of listeners) fn();
}

export function onLang(fn: () => void): void {
  listeners.add(fn);
}
