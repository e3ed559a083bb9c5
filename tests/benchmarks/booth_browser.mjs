// Benchmark driver (not a test): voters cast through the booth in Debian's
// chromium, one fresh phone-sized browser context each, and the booth's own
// User Timing marks (client/web/js/app/marks.js) are read back. Called by
// tests/benchmarks/booth_browser.py with one JSON argument
// {base, election, codes: [...], choices: [level id per row]}; prints one JSON line.

import assert from 'node:assert/strict';

import { PHONE, atStep, launch, runDriver, watch } from '../e2e/browser.mjs';

const MARKS = ['key-check-start', 'key-check-end', 'precompute-start', 'precompute-end', 'seal-start',
  'seal-end', 'cast', 'receipt', 'receipt-checked'];

async function oneVoter(browser, { base, election, choices }, code) {
  const context = await browser.newContext({ ...PHONE });
  const problems = await watch(context);
  const page = await context.newPage();
  await page.goto(`${base}/?election=${encodeURIComponent(election)}`);
  await atStep(page, 'code');
  const codeShown = await page.evaluate(() => performance.now());
  await page.getByTestId('code-input').fill(code);
  await page.getByTestId('code-submit').tap();
  await atStep(page, 'ballot');
  const question = await page.locator('[data-testid^="question-"]').first().getAttribute('data-testid');
  const q = question.slice('question-'.length);
  const rows = await page.locator(`fieldset[data-testid^="row-${q}-"]`).evaluateAll(
    (sets, prefix) => sets.map((s) => s.dataset.testid.slice(prefix.length)), `row-${q}-`,
  );
  assert.equal(rows.length, choices.length);
  for (const [i, row] of rows.entries()) await page.getByTestId(`choice-${q}-${row}-${choices[i]}`).tap();
  await page.getByTestId('to-review').tap();
  await atStep(page, 'review');
  await page.getByTestId('sealed').waitFor({ state: 'visible', timeout: 120_000 });
  const cast = page.locator('[data-testid="cast"]:not([disabled])');
  await cast.waitFor();
  await cast.tap();
  await atStep(page, 'receipt', 60_000);
  await page.locator('[data-testid="receipt-verdict"][data-verdict]').waitFor({ timeout: 60_000 });
  const verdict = await page.getByTestId('receipt-verdict').getAttribute('data-verdict');
  const marks = await page.evaluate((names) => Object.fromEntries(names.map((n) => {
    const found = performance.getEntriesByName(`kiemphieu:${n}`, 'mark');
    return [n, found.length ? found[0].startTime : null];
  })), MARKS);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  await context.close();
  for (const name of MARKS) assert.notEqual(marks[name], null, `mark ${name} missing`);
  const ms = (a, b) => Math.round((marks[b] - marks[a]) * 10) / 10;
  return {
    verdict,
    problems,
    cores,
    marks,
    key_check_ms: ms('key-check-start', 'key-check-end'),
    // from the code step shown to the key checked: what a voter typing the
    // code in less time than this would wait (this script types at once)
    key_check_after_code_step_ms: Math.round((marks['key-check-end'] - codeShown) * 10) / 10,
    precompute_ms: ms('precompute-start', 'precompute-end'),
    seal_ms: ms('seal-start', 'seal-end'),
    work_ms: Math.round((ms('precompute-start', 'precompute-end') + ms('seal-start', 'seal-end')) * 10) / 10,
    cast_to_receipt_ms: ms('cast', 'receipt'),
    cast_to_checked_ms: ms('cast', 'receipt-checked'),
  };
}

runDriver(async (args) => {
  const browser = await launch();
  try {
    const voters = [];
    for (const code of args.codes) voters.push(await oneVoter(browser, args, code));
    return { browser: browser.version(), voters };
  } finally {
    await browser.close();
  }
});
