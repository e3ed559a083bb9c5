// Test only: the accessibility audit of the booth and the site's pages, driven
// by tests/e2e/test_accessibility.py (issue 5, point 5: WCAG 2.1 AA basics).
//
//   node tests/e2e/a11y.mjs '{"scenario": "booth" | "results", "viewport": "phone" | "desktop", ...}'
//
// At every step a scripted voter reaches, axe-core (pinned in client/web's
// devDependencies, read from node_modules: never vendored, never served) runs
// with the WCAG 2.0/2.1 A and AA rules, once in each language (the header's
// switch; the document's `lang` must follow it). Walking the page with Tab,
// every control that takes the focus must show it. The answer lists what axe
// found ({page, lang, rule, impact, targets, help}), the focus walk's misses and
// the console errors of the pages, for pytest to report.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { PHONE, WEB, atStep, launch, runDriver, watch } from './browser.mjs';

const AXE = createRequire(join(WEB, 'package.json')).resolve('axe-core/axe.min.js');
// The WCAG 2.0 and 2.1 A and AA rules, and axe's best practices (heading
// order, landmarks named apart, content inside landmarks).
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const DESKTOP = Object.freeze({
  viewport: { width: 1280, height: 800 }, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh',
});
const VIEWPORTS = { phone: PHONE, desktop: DESKTOP };
const OTHER = { vi: 'en', en: 'vi' };

// Rules switched off for one element, each with its reason: a (rule, selector)
// pair listed here is dropped from axe's findings. Empty: nothing is excused.
const EXCUSED = [];

/** WCAG's contrast ratio of two opaque `rgb(r, g, b)` colours. */
function contrast(a, b) {
  const luminance = (css) => {
    const [r, g, b2] = css.match(/\d+(\.\d+)?/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b2;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

class Auditor {
  constructor(page, viewport) {
    this.page = page;
    this.viewport = viewport;
    this.violations = [];
    this.focus = [];
    this.audited = [];
  }

  /** axe on the page as it is now, in its language and then in the other one. */
  async check(name) {
    const first = await this.lang();
    for (const lang of [first, OTHER[first]]) {
      if (lang !== first) await this.switchTo(lang);
      await this.axe(`${name} [${lang}]`, lang);
    }
    await this.switchTo(first);
  }

  async lang() {
    return this.page.evaluate(() => document.documentElement.lang);
  }

  /** The header's switch, by keyboard: Enter on the focused button. */
  async switchTo(lang) {
    if ((await this.lang()) === lang) return;
    await this.page.getByTestId('language-switch').focus();
    await this.page.keyboard.press('Enter');
    await this.page.locator(`html[lang="${lang}"]`).waitFor({ state: 'attached', timeout: 10_000 });
    assert.equal(await this.lang(), lang, 'the document language follows the switch');
  }

  /** axe's findings on the page as it is now; what it ran is logged in `audited`. */
  async run(name) {
    if (!(await this.page.evaluate(() => typeof globalThis.axe === 'object'))) {
      await this.page.addScriptTag({ path: AXE });
    }
    const found = await this.page.evaluate(async (tags) => {
      const result = await globalThis.axe.run(document, {
        runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'],
      });
      return {
        passed: result.passes.length,
        violations: result.violations.map((v) => ({
          rule: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
          nodes: v.nodes.map((n) => ({ target: n.target.map(String), summary: n.failureSummary })),
        })),
      };
    }, TAGS);
    this.audited.push(`${this.viewport}: ${name}: ${found.passed} rules passed`);
    return found.violations;
  }

  async axe(name, lang) {
    for (const v of await this.run(name)) {
      const nodes = v.nodes.filter((n) => !EXCUSED.some((e) => e.rule === v.rule && n.target.includes(e.selector)));
      if (nodes.length === 0) continue;
      this.violations.push({
        page: `${this.viewport}: ${name}`, lang, rule: v.rule, impact: v.impact, help: v.help,
        helpUrl: v.helpUrl, targets: nodes.map((n) => n.target.join(' ')),
        summary: nodes[0].summary,
      });
    }
  }

  /**
   * The audit itself: a button without a name and pale grey text, put on the
   * page for a moment, must be found (or a silent axe would pass every page).
   * The rules that caught them, by element id.
   */
  async probe() {
    await this.page.evaluate(() => {
      const main = document.querySelector('main');
      main.insertAdjacentHTML('beforeend', '<button type="button" id="probe-unnamed"></button>'
        + '<p id="probe-pale" style="color:#bbb;background:#fff">pale</p>');
    });
    const found = await this.run('probe');
    this.audited.pop();
    await this.page.evaluate(() => document.querySelectorAll('[id^="probe-"]').forEach((el) => el.remove()));
    const caught = {};
    for (const v of found) {
      for (const n of v.nodes) {
        for (const t of n.target) if (t.startsWith('#probe-')) (caught[t.slice(1)] ??= []).push(v.rule);
      }
    }
    return caught;
  }

  /**
   * Tab from the top of the page through up to `limit` stops: each focused
   * element must match :focus-visible and draw an outline (at least 2 px, of
   * 3:1 contrast on the background around it: WCAG 1.4.11) or a box shadow.
   */
  async tabWalk(name, limit = 40) {
    const page = this.page;
    await page.evaluate(() => { // start from the top: focus the body for a moment
      document.body.tabIndex = -1;
      document.body.focus();
      document.body.removeAttribute('tabindex');
    });
    const seen = new Set();
    const keys = [];
    let stops = 0;
    let least = Infinity;
    for (let i = 0; i < limit; i += 1) {
      await page.keyboard.press('Tab');
      const s = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return null;
        const cs = getComputedStyle(el);
        const id = el.dataset.testid ?? el.id ?? '';
        // the outline is drawn around the element, on its parent's background
        let under = el.parentElement;
        while (under && /^rgba\(.*, 0\)$|^transparent$/.test(getComputedStyle(under).backgroundColor)) {
          under = under.parentElement;
        }
        return {
          key: `${el.tagName.toLowerCase()}${id ? `[${id}]` : ''}${el.getAttribute('href') ? `(${el.getAttribute('href')})` : ''}:${el.name ?? ''}:${el.value ?? ''}`,
          visible: el.matches(':focus-visible'),
          outline: cs.outlineStyle !== 'none' && Number.parseFloat(cs.outlineWidth) >= 2 ? `${cs.outlineWidth} ${cs.outlineStyle} ${cs.outlineColor}` : '',
          shadow: cs.boxShadow === 'none' ? '' : cs.boxShadow,
          colour: cs.outlineColor,
          background: under ? getComputedStyle(under).backgroundColor : 'rgb(255, 255, 255)',
        };
      });
      if (s === null || seen.has(s.key)) break; // back at the top: the walk is done
      seen.add(s.key);
      keys.push(s.key);
      stops += 1;
      s.contrast = Math.round(contrast(s.colour, s.background) * 100) / 100;
      if (s.outline) least = Math.min(least, s.contrast);
      if (!s.visible || (!s.outline && !s.shadow) || (s.outline && s.contrast < 3)) {
        this.focus.push({ page: `${this.viewport}: ${name}`, element: s.key, ...s });
      }
    }
    this.audited.push(`${this.viewport}: ${name} (Tab: ${stops} stops, outline contrast ≥ ${least}:1)`);
    assert.ok(stops >= 5, `${name}: only ${stops} focus stops: ${keys.join(', ')}`);
    return stops;
  }
}

async function open(browser, viewport) {
  // bypassCSP: axe is injected as a script the pages' Content-Security-Policy
  // would refuse. For this audit only; the policy itself is tested by
  // tests/e2e/test_booth.py (its CSP probe) and tests/server/test_web.py.
  const context = await browser.newContext({ ...VIEWPORTS[viewport], bypassCSP: true, acceptDownloads: true });
  const problems = await watch(context);
  const page = await context.newPage();
  return { context, problems, page, auditor: new Auditor(page, viewport) };
}

const q = (election) => `election=${encodeURIComponent(election)}`;

async function booth(browser, args) {
  const { base, election, code, typo, summary } = args;
  const { context, problems, page, auditor } = await open(browser, args.viewport);
  const questions = summary.manifest.questions;

  await page.goto(`${base}/`);
  await atStep(page, 'election');
  await page.getByTestId(`election-${election}`).waitFor();
  await auditor.check('booth: election list');
  const probe = await auditor.probe();

  await page.getByTestId(`election-${election}`).click();
  await atStep(page, 'code');
  await auditor.check('booth: code');
  await auditor.tabWalk('booth: code');

  await page.getByTestId('code-input').fill(typo);
  await page.getByTestId('code-submit').click();
  await page.locator('[data-testid="code-error"]:not([hidden])').waitFor();
  await auditor.check('booth: code, wrong');

  await page.getByTestId('code-input').fill(code);
  await page.getByTestId('code-submit').click();
  await atStep(page, 'ballot');
  await auditor.check('booth: ballot');

  await page.getByTestId('to-review').click();
  await page.locator('[data-testid="ballot-message"]:not([hidden])').waitFor();
  await auditor.check('booth: ballot, unanswered');

  const multiple = questions.find((x) => x.kind === 'multiple');
  for (const x of questions) {
    if (x.kind === 'confidence') {
      for (const row of x.rows) await page.getByTestId(`choice-${x.id}-${row.id}-${x.options[0].id}`).click();
    } else if (x.kind === 'single') {
      await page.getByTestId(`choice-${x.id}-${x.options[0].id}`).click();
    }
  }
  for (const o of multiple.options) await page.getByTestId(`choice-${multiple.id}-${o.id}`).click();
  await page.locator(`[data-testid="choices-${multiple.id}"] [data-i18n="ballot.tooMany"]`).waitFor();
  await auditor.check('booth: ballot, too many');
  await auditor.tabWalk('booth: ballot', 60);

  await page.getByTestId('to-review').click();
  await atStep(page, 'review');
  await page.getByTestId('sealed').waitFor({ state: 'visible', timeout: 60_000 });
  await page.locator('[data-testid="cast"]:not([disabled])').waitFor();
  await auditor.check('booth: review, sealed');

  await page.getByTestId('audit').click();
  await atStep(page, 'audit');
  await page.locator('[data-testid="audit-local-check"][data-i18n="audit.localOk"]').waitFor();
  await auditor.check('booth: audit');
  const auditDocument = await page.getByTestId('audit-document').textContent();

  await page.getByTestId('audit-reencrypt').click();
  await atStep(page, 'review');
  await page.locator('[data-testid="cast"]:not([disabled])').waitFor({ timeout: 60_000 });
  await page.getByTestId('cast').click();
  await atStep(page, 'receipt');
  await page.locator('[data-testid="receipt-verdict"][data-verdict]').waitFor();
  await auditor.check('booth: receipt');

  await page.getByTestId('receipt-board-link').click();
  await atStep(page, 'board');
  await page.getByTestId('lookup-found').waitFor();
  await auditor.check('board: code found');
  await auditor.tabWalk('board');

  await page.goto(`${base}/audit.html?${q(election)}`);
  await atStep(page, 'check');
  await auditor.check('audit page');
  await page.getByTestId('audit-text').fill(auditDocument);
  await page.getByTestId('audit-check').click();
  await page.locator('[data-testid="audit-verdict"][data-verdict="ok"]').waitFor({ timeout: 60_000 });
  await auditor.check('audit page: verified');

  const left = [...problems];
  await context.close();
  return { ...report(auditor, left), probe };
}

async function results(browser, args) {
  const { base, election } = args;
  const { context, problems, page, auditor } = await open(browser, args.viewport);
  await page.goto(`${base}/results.html`);
  await page.getByTestId(`election-${election}`).waitFor();
  await auditor.check('results: election list');
  await page.goto(`${base}/results.html?${q(election)}`);
  await atStep(page, 'results');
  await page.locator('[data-testid="verify-verdict"][data-verdict="ok"]').waitFor({ timeout: 60_000 });
  await auditor.check('results: verified');
  await auditor.tabWalk('results');
  const left = [...problems];
  await context.close();
  return report(auditor, left);
}

function report(auditor, problems) {
  return {
    violations: auditor.violations, focus: auditor.focus, audited: auditor.audited, problems,
  };
}

runDriver(async (args) => {
  const browser = await launch();
  try {
    if (args.scenario === 'booth') {
      const resp = await fetch(`${args.base}/api/elections/${encodeURIComponent(args.election)}`);
      assert.equal(resp.status, 200);
      return await booth(browser, { ...args, summary: await resp.json() });
    }
    if (args.scenario === 'results') return await results(browser, args);
    throw new Error(`unknown scenario ${args.scenario}`);
  } finally {
    await browser.close();
  }
});
