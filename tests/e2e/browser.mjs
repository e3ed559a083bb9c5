// Test only: Debian's chromium driven by playwright-core (pinned in
// client/web/package.json, installed by `npm ci --prefix client/web`; it never
// downloads a browser of its own). Shared by the booth's end-to-end driver
// (tests/e2e/booth.mjs) and the browser benchmark (tests/benchmarks/booth_browser.mjs).
//
// A driver is called with one JSON argument and prints one JSON line on stdout:
// {"ok": true, ...} or {"ok": false, "error": ...} (exit 1).

import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const WEB = join(HERE, '..', '..', 'client', 'web');
const { chromium } = createRequire(join(WEB, 'package.json'))('playwright-core');

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = Object.freeze([
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
]);

/** A phone: 390×844 CSS pixels, touch, mobile viewport meta honoured. */
export const PHONE = Object.freeze({
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  locale: 'vi-VN',
  timezoneId: 'Asia/Ho_Chi_Minh',
});

/** Debian's chromium with the usual flags and `extraArgs` (e.g. a fake camera). */
export function launch(extraArgs = []) {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

// ---- message catalogues: what the page must show, read from the same files ----

const catalogues = new Map();

/** Message `key` of client/web/i18n/<lang>.json with {name} filled from `args`. */
export function message(lang, key, args = {}) {
  if (!catalogues.has(lang)) {
    catalogues.set(lang, JSON.parse(readFileSync(join(WEB, 'i18n', `${lang}.json`), 'utf8')));
  }
  const text = catalogues.get(lang)[key];
  if (typeof text !== 'string') throw new Error(`no message ${key} in ${lang}.json`);
  return text.replace(/\{([a-zA-Z0-9_]+)\}/g, (whole, name) =>
    Object.hasOwn(args, name) ? String(args[name]) : whole);
}

// ---- what must never happen on a page: console errors, uncaught errors, CSP ----

/**
 * Watch every page of `context`: console errors, uncaught exceptions and
 * Content-Security-Policy violations (the `securitypolicyviolation` event,
 * reported through a binding that the page's CSP cannot block).
 * Returns the list the problems are pushed to, each {kind, text, url, page}.
 */
export async function watch(context) {
  const problems = [];
  await context.exposeBinding('__kiemphieuCspViolation', ({ page }, v) => {
    problems.push({ kind: 'csp', text: `${v.directive} blocked ${v.blocked}`, url: v.source, page: page.url() });
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      globalThis.__kiemphieuCspViolation({
        directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
      });
    });
  });
  const attach = (page) => {
    page.on('console', (msg) => {
      if (msg.type() === 'error') {
        problems.push({ kind: 'console', text: msg.text(), url: msg.location().url, page: page.url() });
      }
    });
    page.on('pageerror', (err) => {
      problems.push({ kind: 'pageerror', text: String(err?.stack ?? err), url: '', page: page.url() });
    });
  };
  context.pages().forEach(attach);
  context.on('page', attach);
  return problems;
}

/**
 * Move the problems that `expected` accepts (each {kind, url, text} matched by
 * equality of url and inclusion of text) out of `problems`; each expectation
 * must match exactly `count` (default 1) problems. Returns what is left.
 */
export function takeExpected(problems, expected) {
  let left = [...problems];
  const matched = [];
  for (const e of expected) {
    const hits = left.filter((p) => p.kind === e.kind && p.url === e.url && p.text.includes(e.text));
    if (hits.length !== (e.count ?? 1)) {
      throw new Error(`expected ${e.count ?? 1} ${e.kind} "${e.text}" at ${e.url}, saw ${hits.length}: `
        + JSON.stringify(problems));
    }
    left = left.filter((p) => !hits.includes(p));
    matched.push(...hits);
  }
  return { left, matched };
}

// ---- pages and steps --------------------------------------------------------

/** Wait until the booth (or a page) shows step `name` (section[data-step][data-current]). */
export async function atStep(page, name, timeout = 30_000) {
  await page.locator(`section[data-step="${name}"][data-current]`).waitFor({ state: 'visible', timeout });
}

/** The text of the element with test id `testid` once it is visible. */
export async function textOf(page, testid, scope = page) {
  const loc = scope.getByTestId(testid);
  await loc.waitFor({ state: 'visible' });
  return (await loc.textContent()).trim();
}

/** Screenshots go to `folder`; their paths are collected in `list`. */
export function camera(folder, list) {
  mkdirSync(folder, { recursive: true });
  return async (page, name) => {
    const path = join(folder, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    list.push(path);
    return path;
  };
}

/** Run `main(args)` with the JSON argument; print its answer (or the failure) as JSON. */
export function runDriver(main) {
  const args = JSON.parse(process.argv[2] ?? '{}');
  main(args).then(
    (answer) => { process.stdout.write(`${JSON.stringify({ ok: true, ...answer })}\n`); },
    (err) => {
      process.stdout.write(`${JSON.stringify({ ok: false, error: String(err?.stack ?? err) })}\n`);
      process.exitCode = 1;
    },
  );
}
