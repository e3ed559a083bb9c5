// The board page (board.html): look a tracking code up, check a saved receipt
// against the board (receipt-panel.js), turnout while the poll is open, the
// board's size and head. ?election=ID&code=HEX fills the look-up in.

import { ApiError, failureKey, getJson, paths } from './api.js';
import { clear, el, formatTime, groupHex, normalizeTrackingCode, param, setMessage, showStep } from './dom.js';
import { chooseElection, fetchSummary } from './election-picker.js';
import { setLocalized, setText, startI18n } from './i18n.js';
import { wireReceiptPanel } from './receipt-panel.js';

const $ = (id) => document.getElementById(id);
let electionId = null;

async function refresh() {
  setMessage($('board-message'), null, null);
  try {
    const [summary, head, turnout] = await Promise.all([
      fetchSummary(electionId),
      getJson(paths.head(electionId)),
      getJson(paths.turnout(electionId)),
    ]);
    setLocalized($('board-title'), summary.manifest.title);
    setText($('board-state'), `state.${summary.state}`);
    $('board-size').textContent = String(head.size);
    $('board-head').textContent = head.head ?? '—';
    $('turnout-credentials').textContent = String(turnout.credentials);
    $('turnout-ballots').textContent = String(turnout.ballots);
    $('turnout-voters').textContent = String(turnout.voters);
    $('board-results').href = `/results.html?election=${encodeURIComponent(electionId)}`;
  } catch (err) {
    setMessage($('board-message'), 'error', failureKey(err));
  }
}

function lookupError(key) {
  const error = $('lookup-error');
  if (!key) {
    error.hidden = true;
    $('lookup-input').removeAttribute('aria-invalid');
    return;
  }
  setText(error, key);
  error.hidden = false;
  $('lookup-input').setAttribute('aria-invalid', 'true');
  $('lookup-input').focus();
}

async function lookup(event) {
  event?.preventDefault();
  const out = clear($('lookup-result'));
  const code = normalizeTrackingCode($('lookup-input').value);
  if (!code) return lookupError('board.badCode');
  lookupError(null);
  try {
    const found = await getJson(paths.ballot(electionId, code));
    out.append(
      el('p', { class: 'verdict-ok', 'data-testid': 'lookup-found', i18n: ['board.found', { position: found.entry.position }] }),
      el('dl', { class: 'facts' },
        el('dt', { i18n: 'receipt.trackingCode' }),
        el('dd', { class: 'tracking-code' }, groupHex(code)),
        el('dt', { i18n: 'receipt.position' }),
        el('dd', { 'data-testid': 'lookup-position' }, String(found.entry.position)),
        el('dt', { i18n: 'board.at' }),
        el('dd', {}, formatTime(found.at)),
        el('dt', { i18n: 'receipt.head' }),
        el('dd', { class: 'hex' }, found.receipt.head)),
    );
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      out.append(el('p', { class: 'verdict-bad', 'data-testid': 'lookup-missing', i18n: 'board.notFound' }));
    } else {
      out.append(el('p', { class: 'verdict-bad', i18n: failureKey(err) }));
    }
  }
  return undefined;
}

async function main() {
  await startI18n();
  electionId = await chooseElection({ list: $('election-list'), message: $('election-message') });
  showStep('board');
  $('lookup-form').addEventListener('submit', lookup);
  $('board-refresh').addEventListener('click', refresh);
  wireReceiptPanel(electionId);
  await refresh();
  const code = param('code');
  if (code) {
    $('lookup-input').value = groupHex(code);
    await lookup();
  }
}

main().catch((err) => {
  console.error(err);
  setMessage($('election-message'), 'error', 'error.unexpected');
});
