// Test only: the booth, the board and the results pages in Debian's chromium,
// on a phone-sized screen, driven by tests/e2e/test_booth.py:
//
//   node tests/e2e/booth.mjs '{"scenario": "not-open" | "vote" | "results" | "bad-key", ...}'
//
// Each scenario prints one JSON line (what it saw) for pytest to check against
// the server and the CLI. Waits are on test ids and step attributes
// (client/web/README.md), never on time. Every step is photographed into
// `artifacts`; console errors, uncaught errors and CSP violations are returned
// as `problems` (the expected ones, e.g. the reply dropped on purpose, are
// matched exactly and moved to `expected`).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { PHONE, atStep, camera, launch, message, runDriver, takeExpected, textOf, watch } from './browser.mjs';

const plainHex = (text) => text.replace(/\s+/g, '');

async function summaryOf(base, election) {
  const resp = await fetch(`${base}/api/elections/${encodeURIComponent(election)}`);
  assert.equal(resp.status, 200);
  return resp.json();
}

async function phone(browser) {
  const context = await browser.newContext({ ...PHONE, acceptDownloads: true });
  const problems = await watch(context);
  return { context, problems, page: await context.newPage() };
}

/** The message box `testid` shows message `key` (in `lang`, with `args`). */
async function expectMessage(page, testid, lang, key, args) {
  const text = page.getByTestId(testid).locator(`[data-i18n="${key}"]`);
  await text.waitFor({ state: 'visible' });
  assert.equal((await text.textContent()).trim(), message(lang, key, args));
}

async function expectLanguage(page, lang) {
  await page.locator(`html[lang="${lang}"]`).waitFor({ state: 'attached' });
}

// ---- the code step -----------------------------------------------------------

async function enterCode(page, code) {
  const input = page.getByTestId('code-input');
  await input.fill(code);
  await page.getByTestId('code-submit').tap();
}

async function expectCodeError(page, lang, key) {
  const error = page.getByTestId('code-error');
  await page.locator(`[data-testid="code-error"][data-i18n="${key}"]:not([hidden])`).waitFor();
  assert.equal((await error.textContent()).trim(), message(lang, key));
  assert.equal(await page.getByTestId('code-input').getAttribute('aria-invalid'), 'true');
}

// ---- the ballot ---------------------------------------------------------------

/** Answer one confidence row with the keyboard only: Tab into the row's radio
 *  group from the row before, Space checks the first level, arrows move on. */
async function keyboardRow(page, question, rowIndex, choice) {
  const row = question.rows[rowIndex];
  const previous = question.rows[rowIndex - 1];
  assert.ok(previous, 'the keyboard row must follow a row answered by touch');
  await page.locator(`[data-testid^="choice-${question.id}-${previous.id}-"]:checked`).focus();
  await page.keyboard.press('Tab');
  const first = `choice-${question.id}-${row.id}-${question.options[0].id}`;
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), first);
  await page.keyboard.press('Space');
  const ids = [...question.options.map((o) => o.id), 'blank'];
  for (let i = 0; i < ids.indexOf(choice); i += 1) await page.keyboard.press('ArrowRight');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid),
    `choice-${question.id}-${row.id}-${choice}`);
}

/** Fill the ballot with `choices` ({questionId: [level per row] | option | [options]}). */
async function fillBallot(page, lang, questions, choices, { keyboard = null, tooMany = false } = {}) {
  for (const q of questions) {
    const want = choices[q.id];
    if (q.kind === 'confidence') {
      for (const [ri, row] of q.rows.entries()) {
        if (keyboard?.question === q.id && keyboard.row === ri) await keyboardRow(page, q, ri, want[ri]);
        else await page.getByTestId(`choice-${q.id}-${row.id}-${want[ri]}`).tap();
        assert.ok(await page.getByTestId(`choice-${q.id}-${row.id}-${want[ri]}`).isChecked());
      }
    } else if (q.kind === 'single') {
      await page.getByTestId(`choice-${q.id}-${want}`).tap();
      assert.ok(await page.getByTestId(`choice-${q.id}-${want}`).isChecked());
    } else {
      const counter = page.getByTestId(`counter-${q.id}`);
      if (tooMany) {
        // every option in turn: the one past max_choices is refused, and said
        const all = q.options.map((o) => o.id);
        for (const id of all.slice(0, q.max_choices)) await page.getByTestId(`choice-${q.id}-${id}`).tap();
        const extra = page.getByTestId(`choice-${q.id}-${all[q.max_choices]}`);
        await extra.tap();
        await expectMessage(page, `choices-${q.id}`, lang, 'ballot.tooMany', { max: q.max_choices });
        assert.equal(await extra.isChecked(), false);
        assert.equal((await counter.textContent()).trim(),
          message(lang, 'ballot.counter', { n: q.max_choices, max: q.max_choices }));
        for (const id of all.slice(0, q.max_choices)) {
          if (!want.includes(id)) await page.getByTestId(`choice-${q.id}-${id}`).tap();
        }
      } else {
        for (const id of want) await page.getByTestId(`choice-${q.id}-${id}`).tap();
      }
      for (const o of q.options) {
        assert.equal(await page.getByTestId(`choice-${q.id}-${o.id}`).isChecked(), want.includes(o.id));
      }
      assert.equal((await counter.textContent()).trim(),
        message(lang, 'ballot.counter', { n: want.length, max: q.max_choices }));
    }
  }
}

/** What the review list shows, per question (and row), in the page's language. */
async function reviewShown(page, questions) {
  const shown = {};
  for (const q of questions) {
    if (q.kind === 'confidence') {
      shown[q.id] = [];
      for (const row of q.rows) shown[q.id].push(await textOf(page, `review-${q.id}-${row.id}`));
    } else {
      shown[q.id] = await textOf(page, `review-${q.id}`);
    }
  }
  return shown;
}

function expectedReview(lang, questions, choices) {
  const label = (q, id) => (id === 'blank' ? message(lang, 'ballot.leftBlank')
    : q.options.find((o) => o.id === id).label[lang]);
  const out = {};
  for (const q of questions) {
    const want = choices[q.id];
    if (q.kind === 'confidence') out[q.id] = want.map((id) => label(q, id));
    else if (q.kind === 'single') out[q.id] = label(q, want);
    else out[q.id] = q.options.filter((o) => want.includes(o.id)).map((o) => o.label[lang]).join(', ');
  }
  return out;
}

async function sealedCode(page) {
  await page.getByTestId('sealed').waitFor({ state: 'visible', timeout: 60_000 });
  await page.locator('[data-testid="cast"]:not([disabled])').waitFor();
  return plainHex(await textOf(page, 'sealed-tracking-code'));
}

async function save(page, testid, path) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testid).tap()]);
  await download.saveAs(path);
  return path;
}

// ---- a voter ----------------------------------------------------------------

/**
 * One voter through the booth. `voter`: {name, lang, code, choices, typo?,
 * unlisted?, keyboard?, audit?, dropReply?, tooMany?, emptyFirst?}.
 */
async function vote(browser, args, summary, voter, shots) {
  const { base, election, artifacts } = args;
  const { context, problems, page } = await phone(browser);
  const shot = camera(join(artifacts, 'booth'), shots);
  const lang = voter.lang;
  const prefix = `${lang}-${voter.name}`;
  const questions = summary.manifest.questions;
  const seen = { name: voter.name, lang };
  const posts = [];
  const lookups = [];
  const ballotsUrl = `${base}/api/elections/${election}/ballots`;
  page.on('request', (r) => {
    if (r.url() === ballotsUrl && r.method() === 'POST') posts.push(r.url());
    if (r.url().startsWith(`${ballotsUrl}/`) && r.method() === 'GET') lookups.push(r.url());
  });

  await page.goto(`${base}/?election=${encodeURIComponent(election)}`);
  await atStep(page, 'code');
  await expectLanguage(page, 'vi');
  if (lang !== 'vi') {
    await page.getByTestId('language-switch').tap();
    await expectLanguage(page, lang);
    assert.equal(await page.getByTestId('language-switch').getAttribute('data-language'), 'vi');
  }
  assert.equal((await page.locator('section[data-step="code"] h1').textContent()).trim(), message(lang, 'code.heading'));
  assert.equal((await page.locator('#code-election-title').textContent()).trim(), summary.manifest.title[lang]);
  await shot(page, `${prefix}-01-code`);

  if (voter.typo) {
    await enterCode(page, voter.typo);
    await expectCodeError(page, lang, 'code.error.check');
    await shot(page, `${prefix}-02-code-mistyped`);
  }
  if (voter.unlisted) {
    await enterCode(page, voter.unlisted);
    await expectCodeError(page, lang, 'error.notOnRoll');
    await shot(page, `${prefix}-03-code-not-on-roll`);
  }
  await enterCode(page, voter.code);
  await atStep(page, 'ballot');
  assert.equal(await page.getByTestId('code-input').inputValue(), '', 'the code is not kept on the page');

  if (voter.emptyFirst) {
    await page.getByTestId('to-review').tap();
    const places = questions.reduce((n, q) => n + (q.kind === 'confidence' ? q.rows.length : 1), 0);
    await expectMessage(page, 'ballot-message', lang, 'ballot.fixProblems', { n: places });
    await shot(page, `${prefix}-04-ballot-unanswered`);
  }
  await fillBallot(page, lang, questions, voter.choices, { keyboard: voter.keyboard, tooMany: voter.tooMany });
  await shot(page, `${prefix}-05-ballot`);

  await page.getByTestId('to-review').tap();
  await atStep(page, 'review');
  assert.deepEqual(await reviewShown(page, questions), expectedReview(lang, questions, voter.choices));
  let code = await sealedCode(page);
  await shot(page, `${prefix}-06-review`);

  if (voter.audit) {
    await page.getByTestId('audit').tap();
    await atStep(page, 'audit');
    assert.equal(plainHex(await textOf(page, 'audit-tracking-code')), code);
    await page.locator('[data-testid="audit-local-check"][data-i18n="audit.localOk"]').waitFor();
    assert.equal(await textOf(page, 'audit-local-check'), message(lang, 'audit.localOk'));
    const path = await save(page, 'audit-save', join(artifacts, `audit-${voter.name}.json`));
    const shownDoc = JSON.parse(await page.getByTestId('audit-document').textContent());
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), shownDoc);
    assert.equal(shownDoc.type, 'ballot-audit');
    seen.audit = { trackingCode: code, path };
    await shot(page, `${prefix}-07-audit`);
    await page.getByTestId('audit-reencrypt').tap();
    await atStep(page, 'review');
    code = await sealedCode(page);
    assert.notEqual(code, seen.audit.trackingCode, 'a fresh encryption after the audit');
    await shot(page, `${prefix}-08-review-again`);
  }

  let dropped = null;
  if (voter.dropReply) {
    // The first cast reaches the server, which records the ballot, but its
    // reply is lost: the booth must find it on the board, not vote twice.
    await page.route(ballotsUrl, async (route) => {
      if (dropped || route.request().method() !== 'POST') return route.fallback();
      const reply = await route.fetch();
      dropped = { status: reply.status() };
      return route.abort('connectionreset');
    });
  }
  await page.getByTestId('cast').tap();
  if (voter.dropReply) {
    await expectMessage(page, 'cast-message', lang, 'error.castNetwork');
    assert.equal(dropped.status, 201);
    await shot(page, `${prefix}-09-cast-connection-lost`);
    await page.unroute(ballotsUrl);
    await page.getByTestId('cast-message').getByTestId('retry').tap();
  }
  await atStep(page, 'receipt');
  assert.equal(plainHex(await textOf(page, 'receipt-tracking-code')), code);
  await page.locator('[data-testid="receipt-verdict"][data-verdict]').waitFor();
  seen.verdict = await page.getByTestId('receipt-verdict').getAttribute('data-verdict');
  seen.verdictText = await textOf(page, 'receipt-verdict');
  seen.trackingCode = code;
  seen.position = Number(await textOf(page, 'receipt-position'));
  seen.posts = posts.length;
  seen.lookups = lookups.length;
  seen.receiptPath = await save(page, 'receipt-save', join(artifacts, `receipt-${voter.name}.json`));
  seen.marks = await page.evaluate(() => performance.getEntriesByType('mark')
    .filter((m) => m.name.startsWith('kiemphieu:'))
    .map((m) => ({ name: m.name.slice('kiemphieu:'.length), at: m.startTime })));
  await shot(page, `${prefix}-10-receipt`);

  // the receipt's link to the public board finds the ballot there
  await page.getByTestId('receipt-board-link').tap();
  await atStep(page, 'board');
  await page.getByTestId('lookup-found').waitFor();
  seen.boardPosition = Number(await textOf(page, 'lookup-position'));
  await shot(page, `${prefix}-11-board`);
  if (voter.audit) {
    await page.getByTestId('lookup-input').fill(seen.audit.trackingCode);
    await page.getByTestId('lookup-submit').tap();
    await page.getByTestId('lookup-missing').waitFor();
    seen.audit.onBoard = false;
    await shot(page, `${prefix}-12-board-audited-not-there`);

    // the site's checking page re-encrypts the saved audit document
    await page.goto(`${base}/audit.html?election=${encodeURIComponent(election)}`);
    await atStep(page, 'check');
    await page.getByTestId('audit-file').setInputFiles(seen.audit.path);
    await page.waitForFunction(() => document.querySelector('[data-testid="audit-text"]').value.length > 0);
    await page.getByTestId('audit-check').tap();
    await page.locator('[data-testid="audit-verdict"][data-verdict="ok"], '
      + '[data-testid="audit-verdict"][data-verdict="bad"]').waitFor({ timeout: 60_000 });
    seen.audit.pageVerdict = await page.getByTestId('audit-verdict').getAttribute('data-verdict');
    assert.deepEqual(await reviewShown(page, questions), expectedReview(lang, questions, voter.choices));
    await shot(page, `${prefix}-13-audit-page`);
  }

  const expected = [];
  if (voter.dropReply) {
    expected.push({ kind: 'console', url: ballotsUrl, text: 'net::ERR_CONNECTION_RESET' });
  }
  if (voter.audit) {
    expected.push({ kind: 'console', url: `${ballotsUrl}/${seen.audit.trackingCode}`, text: '404' });
  }
  const { left, matched } = takeExpected(problems, expected);
  seen.problems = left;
  seen.expected = matched;
  await context.close();
  return seen;
}

// ---- scenarios --------------------------------------------------------------

async function notOpen(browser, args, shots) {
  const { context, problems, page } = await phone(browser);
  const shot = camera(join(args.artifacts, 'booth'), shots);
  await page.goto(`${args.base}/?election=${encodeURIComponent(args.election)}`);
  await atStep(page, 'unavailable');
  const { key, state } = args;
  await expectMessage(page, 'unavailable-message', 'vi', key, { state });
  await shot(page, `vi-unavailable-${state}`);
  await page.getByTestId('language-switch').tap();
  await expectLanguage(page, 'en');
  await expectMessage(page, 'unavailable-message', 'en', key, { state });
  await shot(page, `en-unavailable-${state}`);
  const clean = [...problems];

  // The watcher itself: an inline script injected now must be refused by the
  // page's CSP and reported, or a silent watcher would pass every page.
  const directive = await page.evaluate(() => new Promise((resolve) => {
    document.addEventListener('securitypolicyviolation', (e) => resolve(e.violatedDirective), { once: true });
    const s = document.createElement('script');
    s.textContent = 'globalThis.inlineRan = true';
    document.head.append(s);
  }));
  for (let i = 0; i < 100 && !problems.some((p) => p.kind === 'csp'); i += 1) {
    await page.evaluate(() => new Promise(requestAnimationFrame)); // a round trip
  }
  const probe = {
    directive,
    inlineRan: await page.evaluate(() => globalThis.inlineRan === true),
    reported: problems.filter((p) => p.kind === 'csp'),
  };
  await context.close();
  return { probe, problems: clean };
}

/** Wait until the element `testid` shows exactly `text`. */
async function waitText(page, testid, text) {
  await page.waitForFunction(([id, want]) =>
    document.querySelector(`[data-testid="${id}"]`)?.textContent.trim() === want, [testid, text]);
}

const VERDICT_DONE = ['ok', 'bad', 'error']
  .map((v) => `[data-testid="verify-verdict"][data-verdict="${v}"]`).join(', ');

async function results(browser, args, shots) {
  const { base, election } = args;
  const shot = camera(join(args.artifacts, 'results'), shots);
  const out = {};

  // honest replies: the table, then the decryption verified in the browser
  {
    const { context, problems, page } = await phone(browser);
    await page.goto(`${base}/results.html?election=${encodeURIComponent(election)}`);
    await atStep(page, 'results');
    await page.locator(VERDICT_DONE).waitFor({ timeout: 60_000 });
    out.verdict = await page.getByTestId('verify-verdict').getAttribute('data-verdict');
    out.runner = await page.getByTestId('verify-verdict').getAttribute('data-runner');
    out.checks = await checks(page);
    out.rows = await page.locator('tr[data-testid^="result-"]').evaluateAll((rows) => Object.fromEntries(
      rows.map((r) => [r.dataset.testid, [...r.querySelectorAll('td')].map((td) => td.textContent.trim())]),
    ));
    out.participation = {};
    for (const id of ['summoned', 'present', 'issued', 'returned']) {
      out.participation[id] = Number(await textOf(page, `r-${id}`));
    }
    out.charts = await page.locator('[data-testid^="chart-"]').count();
    await shot(page, 'vi-results');
    await page.getByTestId('language-switch').tap();
    await expectLanguage(page, 'en');
    await waitText(page, 'verify-verdict', message('en', out.verdict === 'ok' ? 'results.verifiedOk' : 'results.verifiedBad'));
    await shot(page, 'en-results');
    out.problems = [...problems];

    // the booth, once the poll is over, says so
    await page.goto(`${base}/?election=${encodeURIComponent(election)}`);
    await atStep(page, 'unavailable');
    await expectMessage(page, 'unavailable-message', 'en', 'unavailable.closed', { state: args.state });
    await shot(page, 'en-booth-closed');
    out.problems = [...problems];
    await context.close();
  }

  // one tally share changed on its way to the browser: the verdict names the checks
  {
    const { context, problems, page } = await phone(browser);
    const sharesUrl = `${base}/api/elections/${election}/shares`;
    let tampered = null;
    await page.route(sharesUrl, async (route) => {
      const reply = await route.fetch();
      const body = await reply.json();
      const entry = body.shares.find((e) => e.valid && e.purpose === 'tally');
      const share = entry.shares.shares[0];
      share.ci = share.ci.slice(0, -1) + (Number.parseInt(share.ci.at(-1), 16) ^ 2).toString(16);
      tampered = { trustee: entry.index };
      await route.fulfill({ response: reply, json: body });
    });
    await page.goto(`${base}/results.html?election=${encodeURIComponent(election)}`);
    await atStep(page, 'results');
    await page.locator(VERDICT_DONE).waitFor({ timeout: 60_000 });
    out.tampered = {
      trustee: tampered?.trustee ?? null,
      verdict: await page.getByTestId('verify-verdict').getAttribute('data-verdict'),
      text: await textOf(page, 'verify-verdict'),
      checks: await checks(page),
      problems: [...problems],
    };
    await shot(page, 'vi-results-tampered-share');
    await context.close();
  }
  return out;
}

/**
 * A server that serves a bad key or roll: the replies in the JSON file
 * `args.repliesFile` (a URL path → the JSON a malicious server sends) replace
 * the honest ones, and `args.policy` rewrites the page's key-policy tag. The booth must stop with
 * the message `args.key` before anything is encrypted, whatever the voter does.
 */
async function badKey(browser, args, shots) {
  const { base, election } = args;
  const { context, problems, page } = await phone(browser);
  const shot = camera(join(args.artifacts, 'booth'), shots);
  const posts = [];
  page.on('request', (r) => {
    if (r.method() === 'POST') posts.push(r.url());
  });
  const replies = args.repliesFile ? JSON.parse(readFileSync(args.repliesFile, 'utf8')) : {};
  for (const [suffix, body] of Object.entries(replies)) {
    await page.route(`${base}${suffix}`, (route) => route.fulfill({ json: body }));
  }
  if (args.policy) {
    await page.route(`${base}/?election=${encodeURIComponent(election)}`, async (route) => {
      const reply = await route.fetch();
      const html = (await reply.text()).replace(
        /(<meta name="kiemphieu-key-policy" content=")[a-z-]+(")/, `$1${args.policy}$2`);
      await route.fulfill({ response: reply, body: html });
    });
  }
  const marks = [];
  await page.exposeFunction('kpMark', (name) => marks.push(name));
  await page.addInitScript(() => {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) globalThis.kpMark?.(e.name.replace(/^kiemphieu:/, ''));
    }).observe({ entryTypes: ['mark'] });
  });
  await page.goto(`${base}/?election=${encodeURIComponent(election)}`);
  const stopped = page.locator('section[data-step="stopped"]:not([hidden])');
  const code = page.locator('section[data-step="code"]:not([hidden])');
  await stopped.or(code).first().waitFor({ timeout: 60_000 });
  if (await code.isVisible() && args.code) {
    // the voter goes on regardless (the booth may stop while the code is typed)
    await page.getByTestId('code-input').fill(args.code, { timeout: 5_000 }).catch(() => {});
    await page.getByTestId('code-submit').tap({ timeout: 5_000 }).catch(() => {});
  }
  await atStep(page, 'stopped', 60_000);
  const shown = page.getByTestId('stopped-message').locator('[data-i18n]');
  const key = await shown.getAttribute('data-i18n');
  const text = (await shown.textContent()).trim();
  await shot(page, `vi-stopped-${args.name}`);
  await page.getByTestId('language-switch').tap();
  await expectLanguage(page, 'en');
  await shot(page, `en-stopped-${args.name}`);
  const out = {
    key,
    text,
    detail: (await page.getByTestId('stopped-detail').textContent()).trim(),
    posts,
    marks,
    cast: await page.getByTestId('cast').isEnabled().catch(() => false),
    problems: problems.filter((p) => !(p.kind === 'console' && p.text.includes('Error'))),
  };
  await context.close();
  return out;
}

async function checks(page) {
  return page.locator('[data-testid^="check-"]').evaluateAll((items) => items.map((li) => ({
    id: li.dataset.testid.slice('check-'.length), ok: li.dataset.ok === 'true', text: li.textContent.trim(),
  })));
}

/** Run `scene`; on failure photograph every page still open (FAILED-*.png), then rethrow. */
async function photographFailure(browser, args, shots, scene) {
  try {
    return await scene();
  } catch (err) {
    const shot = camera(join(args.artifacts, 'failed'), shots);
    for (const [c, context] of browser.contexts().entries()) {
      for (const [p, page] of context.pages().entries()) {
        await shot(page, `FAILED-${args.scenario}-${c}-${p}`).catch(() => {});
      }
    }
    throw err;
  }
}

runDriver(async (args) => {
  const shots = [];
  const browser = await launch();
  try {
    return await photographFailure(browser, args, shots, async () => {
      if (args.scenario === 'not-open') return { ...(await notOpen(browser, args, shots)), shots };
      if (args.scenario === 'results') return { ...(await results(browser, args, shots)), shots };
      if (args.scenario === 'bad-key') return { ...(await badKey(browser, args, shots)), shots };
      if (args.scenario === 'vote') {
        const summary = await summaryOf(args.base, args.election);
        const voters = [];
        for (const voter of args.voters) voters.push(await vote(browser, args, summary, voter, shots));
        return { voters, shots };
      }
      throw new Error(`unknown scenario ${args.scenario}`);
    });
  } finally {
    await browser.close();
  }
});
