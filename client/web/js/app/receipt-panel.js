// "Check a saved receipt" on the board and results pages: the voter loads the
// receipt file the booth let them save (or the copy the booth kept on this
// device), and this page holds it against the published board, here in the
// browser (docs/spec.md §8.9; js/crypto/board.js): the server's signature
// (its receipt key from GET /api/server), the election (H_E recomputed from
// the summary), the board entry at the receipt's position and its head, and
// whether a later ballot of the same code replaces it. Each outcome is said
// plainly, with the positions, so that the voter can show it to the committee.

import { BoardReplyError, ElectionMismatch, ReceiptError, checkSavedReceipt, openElection } from '../crypto/index.js';
import { failureKey, getJson, paths } from './api.js';
import { clear, el, groupHex } from './dom.js';
import { fetchSummary } from './election-picker.js';
import { setText } from './i18n.js';
import { keptReceipt } from './receipt-store.js';

const $ = (id) => document.getElementById(id);
const MAX_BYTES = 64 << 10;

// Outcome → [message, verdict class] (board.js checkReceiptOnBoard statuses).
const OUTCOMES = {
  counted: ['receiptCheck.counted', 'verdict-ok'],
  superseded: ['receiptCheck.superseded', 'verdict-warn'],
  duplicate: ['receiptCheck.duplicate', 'verdict-bad'],
  absent: ['receiptCheck.absent', 'verdict-bad'],
  replaced: ['receiptCheck.replaced', 'verdict-bad'],
  head: ['receiptCheck.head', 'verdict-bad'],
  forged: ['receiptCheck.forged', 'verdict-bad'],
  chain: ['receiptCheck.chain', 'verdict-bad'],
};

// ReceiptError reasons (crypto/receipt.js) → message.
const INVALID = {
  election: 'receiptCheck.otherElection',
  signature: 'receiptCheck.badSignature',
  'server-key': 'receiptCheck.otherServer',
};

function show(verdict, key, args, className) {
  const box = $('receipt-check-verdict');
  setText(box, key, args);
  box.className = className;
  box.dataset.verdict = verdict;
}

function showFacts(outcome) {
  const facts = clear($('receipt-check-facts'));
  if (!outcome) return;
  facts.append(
    el('dt', { i18n: 'receipt.trackingCode' }),
    el('dd', { class: 'tracking-code', 'data-testid': 'receipt-check-code' }, groupHex(outcome.trackingCode)),
    el('dt', { i18n: 'receipt.position' }),
    el('dd', { 'data-testid': 'receipt-check-position' }, String(outcome.position)),
  );
  if (outcome.later !== null) {
    facts.append(
      el('dt', { i18n: 'receiptCheck.laterPosition' }),
      el('dd', { 'data-testid': 'receipt-check-later' }, String(outcome.later)),
    );
  }
}

async function check(electionId, receipt) {
  $('receipt-check-result').hidden = false;
  showFacts(null);
  show('running', 'receiptCheck.checking', {}, '');
  try {
    const [summary, server] = await Promise.all([fetchSummary(electionId), getJson(paths.server())]);
    const election = await openElection(summary);
    const readBoard = (start, limit) => getJson(paths.board(electionId, start, limit));
    const outcome = await checkSavedReceipt(election, receipt, server.receipt_key, readBoard);
    const [key, className] = OUTCOMES[outcome.status];
    show(outcome.status, key, { position: outcome.position, later: outcome.later ?? '' }, className);
    showFacts(outcome);
  } catch (err) {
    console.error(err);
    if (err instanceof ReceiptError) show('invalid', INVALID[err.reason] ?? 'receiptCheck.notReceipt', {}, 'verdict-bad');
    else if (err instanceof ElectionMismatch) show('error', 'error.mismatch', {}, 'verdict-bad');
    else if (err instanceof BoardReplyError) show('error', 'receiptCheck.boardError', {}, 'verdict-bad');
    else show('error', failureKey(err), {}, 'verdict-bad');
  }
}

async function checkFile(electionId) {
  const file = $('receipt-file').files?.[0];
  if (!file) return;
  if (file.size > MAX_BYTES) {
    $('receipt-check-result').hidden = false;
    showFacts(null);
    show('invalid', 'receiptCheck.tooLarge', {}, 'verdict-bad');
    return;
  }
  let receipt;
  try {
    receipt = JSON.parse(await file.text());
  } catch {
    $('receipt-check-result').hidden = false;
    showFacts(null);
    show('invalid', 'receiptCheck.notReceipt', {}, 'verdict-bad');
    return;
  }
  await check(electionId, receipt);
}

/** Wire the page's receipt panel (#receipt-file, #receipt-stored-check, #receipt-check-result) to `electionId`. */
export function wireReceiptPanel(electionId) {
  const stored = $('receipt-stored-check');
  stored.hidden = keptReceipt(electionId) === null;
  stored.addEventListener('click', () => {
    const receipt = keptReceipt(electionId);
    if (receipt !== null) check(electionId, receipt);
  });
  $('receipt-file').addEventListener('change', () => checkFile(electionId));
}
