// Message catalogues (i18n/vi.json, i18n/en.json): Vietnamese by default,
// English by the switch in the header; the choice is remembered in localStorage.
//
// Every user-visible string comes from a catalogue. Elements say which message
// they show with data-i18n="key" (and data-i18n-args='{"n":3}' for values),
// attributes with data-i18n-attr="aria-label:key;title:key"; texts taken from
// an election's manifest ({vi, en}) are bound with setLocalized. Switching the
// language re-renders all of them in place and fires "kiemphieu:language".

export const LANGUAGES = Object.freeze(['vi', 'en']);
const STORAGE_KEY = 'kiemphieu-language';
const catalogues = new Map();
let current = 'vi';

async function load(lang) {
  if (!catalogues.has(lang)) {
    const resp = await fetch(`/i18n/${lang}.json`, { cache: 'no-cache' });
    if (!resp.ok) throw new Error(`catalogue ${lang}: HTTP ${resp.status}`);
    catalogues.set(lang, Object.freeze(await resp.json()));
  }
  return catalogues.get(lang);
}

function stored() {
  try {
    const value = globalThis.localStorage?.getItem(STORAGE_KEY);
    return LANGUAGES.includes(value) ? value : null;
  } catch {
    return null; // storage refused (private mode): stay with the default
  }
}

export function language() {
  return current;
}

/** The message `key` in the current language, with {name} filled from `args`. */
export function t(key, args = {}) {
  const text = catalogues.get(current)?.[key];
  if (typeof text !== 'string') return key;
  return text.replace(/\{([a-zA-Z0-9_]+)\}/g, (whole, name) =>
    Object.hasOwn(args, name) ? String(args[name]) : whole);
}

/** True if the current catalogue has `key` (for messages chosen at run time). */
export function has(key) {
  return typeof catalogues.get(current)?.[key] === 'string';
}

/** A manifest text {vi, en} in the current language. */
export function pick(text) {
  if (text == null) return '';
  if (typeof text === 'string') return text;
  return text[current] ?? text.vi ?? '';
}

/** Show message `key` in `el`, and keep it in the current language. */
export function setText(el, key, args) {
  el.dataset.i18n = key;
  if (args && Object.keys(args).length) el.dataset.i18nArgs = JSON.stringify(args);
  else delete el.dataset.i18nArgs;
  el.textContent = t(key, args);
  return el;
}

/** Show a manifest text {vi, en} in `el`, and keep it in the current language. */
export function setLocalized(el, text) {
  el.dataset.l10n = JSON.stringify(text ?? '');
  el.textContent = pick(text);
  return el;
}

function translateElement(el) {
  if (el.dataset.i18n) {
    const args = el.dataset.i18nArgs ? JSON.parse(el.dataset.i18nArgs) : {};
    el.textContent = t(el.dataset.i18n, args);
  }
  if (el.dataset.i18nAttr) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
  if (el.dataset.l10n) el.textContent = pick(JSON.parse(el.dataset.l10n));
}

/** Re-render every marked element under `root`. */
export function translate(root = document) {
  if (root.nodeType === 1) translateElement(root);
  root.querySelectorAll('[data-i18n], [data-i18n-attr], [data-l10n]').forEach(translateElement);
}

function updateSwitches() {
  const other = current === 'vi' ? 'en' : 'vi';
  document.querySelectorAll('[data-language-switch]').forEach((button) => {
    button.setAttribute('lang', other);
    button.dataset.language = other;
  });
}

/** Switch to `lang`, remember it, and re-render the page. */
export async function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) throw new RangeError(`unknown language ${lang}`);
  await load(lang);
  current = lang;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, lang);
  } catch {
    // not remembered; the page still switches
  }
  document.documentElement.lang = lang;
  translate(document);
  updateSwitches();
  document.dispatchEvent(new CustomEvent('kiemphieu:language', { detail: { language: lang } }));
}

/** Load the remembered (or default) language, render the page, wire the switch. */
export async function startI18n() {
  const lang = stored() ?? 'vi';
  await Promise.all([load('vi'), load(lang)]);
  current = lang;
  document.documentElement.lang = lang;
  translate(document);
  updateSwitches();
  document.querySelectorAll('[data-language-switch]').forEach((button) => {
    button.addEventListener('click', () => setLanguage(button.dataset.language));
  });
}
