// The audit checker (audit.html): anyone loads or pastes an audit document (a
// ballot opened by the Benaloh challenge in the booth) and this page redoes the
// encryption from the revealed randomness and shows what the ballot held. The
// same check is `kiemphieu verify-audit FILE`. An audited ballot is never counted.

import { checkAudit, openElection } from '../crypto/index.js';
import { failureKey } from './api.js';
import { reviewList } from './ballot-form.js';
import { clear, setMessage, showStep } from './dom.js';
import { chooseElection, fetchSummary } from './election-picker.js';
import { setLocalized, setText, startI18n } from './i18n.js';

const $ = (id) => document.getElementById(id);
const MAX_BYTES = 4 << 20;
let election = null;

function inputError(key) {
  const error = $('audit-error');
  if (!key) {
    error.hidden = true;
    $('audit-text').removeAttribute('aria-invalid');
    return;
  }
  setText(error, key);
  error.hidden = false;
  $('audit-text').setAttribute('aria-invalid', 'true');
  $('audit-text').focus();
}

async function loadFile() {
  const file = $('audit-file').files?.[0];
  if (!file) return;
  if (file.size > MAX_BYTES) {
    inputError('auditPage.tooLarge');
    return;
  }
  $('audit-text').value = await file.text();
  inputError(null);
}

async function check(event) {
  event.preventDefault();
  $('audit-result').hidden = true;
  let doc;
  try {
    doc = JSON.parse($('audit-text').value);
  } catch {
    inputError('auditPage.notJson');
    return;
  }
  if (doc === null || typeof doc !== 'object' || doc.type !== 'ballot-audit') {
    inputError('auditPage.notAudit');
    return;
  }
  inputError(null);
  const verdict = $('audit-verdict');
  const shown = clear($('audit-selections'));
  $('audit-result').hidden = false;
  setText(verdict, 'auditPage.checking');
  verdict.className = '';
  verdict.dataset.verdict = 'running';
  try {
    const selections = await checkAudit(election, doc);
    setText(verdict, 'auditPage.ok');
    verdict.className = 'verdict-ok';
    verdict.dataset.verdict = 'ok';
    shown.append(reviewList(election.questions ?? election.manifest.questions, selections, 'audit-selections'));
  } catch (err) {
    console.error(err);
    setText(verdict, 'auditPage.bad');
    verdict.className = 'verdict-bad';
    verdict.dataset.verdict = 'bad';
  }
}

async function main() {
  await startI18n();
  const id = await chooseElection({ list: $('election-list'), message: $('election-message') });
  let summary;
  try {
    summary = await fetchSummary(id);
    election = await openElection(summary);
  } catch (err) {
    setMessage($('election-message'), 'error', failureKey(err) === 'error.unexpected' ? 'error.mismatch' : failureKey(err));
    return;
  }
  setLocalized($('audit-title'), summary.manifest.title);
  showStep('check');
  $('audit-file').addEventListener('change', loadFile);
  $('audit-form').addEventListener('submit', check);
}

main().catch((err) => {
  console.error(err);
  setMessage($('election-message'), 'error', 'error.unexpected');
});
