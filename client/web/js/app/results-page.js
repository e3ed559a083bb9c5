// The results page (results.html): after the tally is decrypted, the result
// per question (a table first; a stacked bar per person or motion; the QĐ 96
// flags; participation and quorum), and the decryption verified here in the
// browser by the results module (share proofs, combination, unpacking, rules)
// in a Web Worker, the table shown meanwhile with the check being run; and,
// in any state, a saved receipt checked against the board (receipt-panel.js).

import { verifyTallyInWorker } from '../results/index.js';
import { failureKey, getJson, paths } from './api.js';
import { stackedBar } from './bar-chart.js';
import { clear, el, setMessage, showStep } from './dom.js';
import { chooseElection, fetchSummary } from './election-picker.js';
import { has, pick, setLocalized, setText, startI18n, t } from './i18n.js';
import { wireReceiptPanel } from './receipt-panel.js';

const $ = (id) => document.getElementById(id);
const DONE = new Set(['tallied', 'published']);
let shown = null; // {summary, reply, progress, verdict} re-rendered when the language changes

function slotLabel(question, slot) {
  if (slot === 'blank') return t(question.kind === 'confidence' ? 'results.invalidRow' : 'results.blank');
  if (slot === 'chosen') return t('results.chosen');
  const option = question.options.find((o) => o.id === slot);
  return option ? pick(option.label) : slot;
}

function partLabel(question, part) {
  if (part === 'choice') return pick(question.title);
  const row = [...question.rows ?? [], ...question.options].find((r) => r.id === part);
  return row ? pick(row.label) : part;
}

function flagLabels(manifest, flags) {
  const rules = manifest.rules?.thresholds ?? [];
  return flags.map((id) => pick(rules.find((r) => r.id === id)?.label) || id);
}

function swatch(question, slot) {
  if (slot === 'blank') return 'blank';
  const i = question.options.findIndex((o) => o.id === slot);
  return String(Math.max(0, Math.min(i, 3)));
}

function cell(text, attrs = {}) {
  return el('td', attrs, text);
}

function questionTable(manifest, question, qr) {
  const slots = qr.parts[0].slots.map((s) => s.slot);
  const single = question.kind === 'single';
  const head = el('tr', {},
    el('th', { scope: 'col', class: 'text' }, t(single ? 'results.option' : 'results.part')),
    ...(single
      ? [el('th', { scope: 'col' }, t('results.count')), el('th', { scope: 'col' }, t('results.percent'))]
      : slots.map((s) => el('th', { scope: 'col' }, slotLabel(question, s)))),
    ...(single ? [] : [el('th', { scope: 'col' }, t('results.valid'))]),
    el('th', { scope: 'col', class: 'text' }, t('results.flags')));
  const body = el('tbody');
  if (single) {
    const part = qr.parts[0];
    for (const s of part.slots) {
      body.append(el('tr', { 'data-testid': `result-${question.id}-${s.slot}` },
        el('th', { scope: 'row', class: 'text' }, slotLabel(question, s.slot)),
        cell(String(s.count)), cell(`${s.percent}%`), cell('')));
    }
    body.lastChild.lastChild.append(...flagLabels(manifest, part.flags).map((f) => el('span', { class: 'flag' }, f)));
  } else {
    for (const part of qr.parts) {
      const flags = flagLabels(manifest, part.flags);
      body.append(el('tr', { 'data-testid': `result-${question.id}-${part.part}` },
        el('th', { scope: 'row', class: 'text' }, partLabel(question, part.part)),
        ...part.slots.map((s) => cell(`${s.count} (${s.percent}%)`)),
        cell(String(part.valid)),
        el('td', { class: 'text', 'data-testid': `flags-${question.id}-${part.part}` },
          flags.length ? flags.map((f) => el('span', { class: 'flag' }, f, el('br'))) : t('results.noFlag'))));
    }
  }
  // A region the keyboard can scroll when the table is wider than a phone.
  return el('div', { class: 'table-wrap', role: 'region', tabindex: '0', 'aria-label': pick(question.title) },
    el('table', { 'data-testid': `result-table-${question.id}` },
      el('caption', {}, pick(question.title)),
      el('thead', {}, head),
      body));
}

function charts(question, qr) {
  if (question.kind === 'multiple') return [];
  const legend = el('ul', { class: 'legend', 'aria-hidden': 'true' },
    qr.parts[0].slots.map((s) => el('li', {},
      el('span', { class: `swatch swatch-${swatch(question, s.slot)}` }), slotLabel(question, s.slot))));
  const figures = qr.parts.map((part) => {
    const segments = part.slots.map((s) => ({
      slot: s.slot, label: slotLabel(question, s.slot), count: s.count, percent: s.percent,
      swatch: swatch(question, s.slot),
    }));
    const alt = segments.map((s) => `${s.label}: ${s.count} (${s.percent}%)`).join('; ');
    return stackedBar({
      id: `${question.id}-${part.part}`,
      caption: partLabel(question, part.part),
      segments,
      altText: t('results.chartAlt', { list: alt }),
    });
  });
  return [el('h3', {}, t('results.chartHeading', { title: pick(question.title) })), legend, ...figures];
}

function render() {
  const { summary, reply } = shown;
  const result = reply.result;
  const manifest = summary.manifest;
  $('r-summoned').textContent = String(result.summoned);
  $('r-present').textContent = String(result.present);
  $('r-issued').textContent = String(result.issued);
  $('r-returned').textContent = String(result.returned);
  const quorum = manifest.rules?.quorum;
  setText($('r-quorum'), result.quorum_met ? 'results.quorumMet' : 'results.quorumNotMet',
    { num: quorum?.num ?? '?', den: quorum?.den ?? '?' });
  const out = clear($('results-questions'));
  manifest.questions.forEach((question) => {
    const qr = result.questions.find((q) => q.question === question.id);
    if (!qr) return;
    out.append(el('section', { 'data-testid': `results-${question.id}` },
      el('h2', {}, pick(question.title)),
      questionTable(manifest, question, qr),
      ...charts(question, qr)));
  });
}

function checkLabel(id) {
  const key = `check.${id}`;
  return has(key) ? t(key) : id;
}

function renderVerdict(verdict) {
  const out = clear($('verify-checks'));
  for (const check of verdict.checks) {
    const mark = check.ok ? '✓' : '✗';
    out.append(el('li', { 'data-testid': `check-${check.id}`, 'data-ok': String(Boolean(check.ok)) },
      el('span', { class: check.ok ? 'verdict-ok' : 'verdict-bad', 'aria-hidden': 'true' }, `${mark} `),
      el('span', { class: 'visually-hidden', i18n: check.ok ? 'results.checkPassed' : 'results.checkFailed' }),
      el('strong', {}, checkLabel(check.id)),
      ' — ',
      el('span', { i18n: ['results.checkCounts', { passed: check.passed ?? 0, failed: check.failed ?? 0 }] }),
      check.detail ? el('span', { class: 'muted', lang: 'en' }, ` (${check.detail})`) : null));
  }
  const box = $('verify-verdict');
  setText(box, verdict.ok ? 'results.verifiedOk' : 'results.verifiedBad');
  box.className = verdict.ok ? 'verdict-ok' : 'verdict-bad';
  box.dataset.verdict = verdict.ok ? 'ok' : 'bad';
}

/** "Verifying… check i of n: <name>" while the verification runs (the worker's progress). */
function renderProgress() {
  const box = $('verify-verdict');
  const progress = shown.progress;
  if (shown.verdict || box.dataset.verdict !== 'running' || !progress) return;
  setText(box, 'results.verifyingCheck',
    { step: progress.index + 1, total: progress.total, check: checkLabel(progress.check) });
  box.dataset.check = progress.check;
  box.dataset.runner = progress.runner;
}

async function verify(summary, reply) {
  const box = $('verify-verdict');
  setText(box, 'results.verifying');
  box.dataset.verdict = 'running';
  try {
    const id = summary.id;
    const [shares, tally] = await Promise.all([getJson(paths.shares(id)), getJson(paths.tally(id))]);
    const onprogress = (progress) => {
      shown.progress = progress;
      renderProgress();
    };
    const verdict = await verifyTallyInWorker({ summary, shares, tally, result: reply }, { onprogress });
    shown.verdict = verdict;
    delete box.dataset.check;
    renderVerdict(verdict);
  } catch (err) {
    console.error(err);
    delete box.dataset.check;
    setText(box, failureKey(err) === 'error.unexpected' ? 'results.verifyError' : failureKey(err));
    box.className = 'verdict-bad';
    box.dataset.verdict = 'error';
  }
}

async function main() {
  await startI18n();
  const id = await chooseElection({ list: $('election-list'), message: $('election-message') });
  showStep('results');
  $('results-print').addEventListener('click', () => globalThis.print());
  wireReceiptPanel(id);
  let summary;
  try {
    summary = await fetchSummary(id);
  } catch (err) {
    setMessage($('results-message'), 'error', failureKey(err));
    return;
  }
  setLocalized($('results-title'), summary.manifest.title);
  if (!DONE.has(summary.state)) {
    setMessage($('results-message'), 'warn', 'results.notYet', { state: t(`state.${summary.state}`) });
    return;
  }
  let reply;
  try {
    reply = await getJson(paths.result(id));
  } catch (err) {
    setMessage($('results-message'), 'error', failureKey(err));
    return;
  }
  if (summary.state === 'tallied') setMessage($('results-message'), 'warn', 'results.notPublished');
  shown = { summary, reply, progress: null, verdict: null };
  $('results-body').hidden = false;
  render();
  document.addEventListener('kiemphieu:language', () => {
    render();
    if (shown.verdict) renderVerdict(shown.verdict);
    else renderProgress();
  });
  await verify(summary, reply);
}

main().catch((err) => {
  console.error(err);
  setMessage($('election-message'), 'error', 'error.unexpected');
});
