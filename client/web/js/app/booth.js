// The voting booth (index.html): election → code → ballot → review → cast or
// audit → receipt. The ballot is encrypted, proven and signed here by the
// crypto facade (js/crypto/index.js); the server sees only the sealed ballot.
//
// Nothing is encrypted before the election's key has been checked here: as
// soon as the election is opened, its key ceremony (modulus and factor
// proofs, or the committee's key-generation transcript; the committee's
// signed cards, the verification keys, the test ciphertext; docs/spec.md §6,
// §8.10, §12.8) is checked in a Web Worker under the
// page's key policy (<meta name="kiemphieu-key-policy">, filled in by the
// server), and the roll of codes is checked against the registrar's signature
// (§8.12). Any refusal stops the booth (step `stopped`) and no ballot can be
// sealed or cast.
//
// Casting is safe to retry: a ballot is sealed once and the very same bytes
// are resent, and after a lost reply the booth first asks the board whether
// the tracking code is already there (GET /ballots/<code>), so a voter can
// never cast two different ballots by pressing "retry".

import {
  CredentialError,
  KeyCheckError,
  RollError,
  checkAudit,
  checkSignedRoll,
  deriveCredential,
  encryptBallot,
  openElection,
  parseCredential,
  parseKeyPolicy,
  startKeyCheck,
  startPrecompute,
  verifyReceipt,
} from '../crypto/index.js';
import { ApiError, NetworkError, castBallot, failureKey, getJson, paths } from './api.js';
import { BallotForm, reviewList } from './ballot-form.js';
import { announce, clear, download, groupHex, setMessage, setParam, showStep } from './dom.js';
import { chooseElection, fetchSummary, waitForRetry } from './election-picker.js';
import { setLocalized, setText, startI18n } from './i18n.js';
import { MARK, mark, markedPrecompute } from './marks.js';
import { CodeScanner, cameraAvailable } from './qr-scanner.js';
import { keepReceipt } from './receipt-store.js';

const $ = (id) => document.getElementById(id);

const booth = {
  summary: null,
  election: null,
  credential: null,
  form: null,
  precompute: null,
  sealed: null, // {ballot, trackingCode, audit}: one encryption, cast or audited, never both
  receipt: null,
  casting: false,
  generation: 0, // bumped when the voter leaves the review: a late encryption is dropped
  policy: 'standard', // the page's key policy (its meta tag)
  keyCheck: null, // the running or finished check of the key ceremony (KeyCheck)
  roll: null, // Promise of the registrar-signed roll (a Set of credential keys)
  stopped: false, // a check refused the election: nothing is encrypted or cast any more
};

const OPEN = 'open';
const BEFORE = new Set(['draft', 'keys-published']);

function electionLink(page, extra = {}) {
  const query = new URLSearchParams({ election: booth.summary.id, ...extra });
  return `/${page}?${query}`;
}

// ---- 1. the election -------------------------------------------------------

async function stepElection() {
  showStep('election');
  const id = await chooseElection({ list: $('election-list'), message: $('election-message') });
  await loadElection(id);
}

async function loadElection(id) {
  showStep('loading');
  for (;;) {
    try {
      booth.summary = await fetchSummary(id);
      break;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        setParam('election', null);
        showStep('election');
        setMessage($('election-message'), 'error', 'error.noSuchElection');
        return stepElection();
      }
      showStep('election');
      setMessage($('election-message'), 'error', failureKey(err));
      await waitForRetry($('election-message'));
    }
  }
  const summary = booth.summary;
  if (summary.state !== OPEN) return showUnavailable(summary);
  try {
    booth.election = await openElection(summary);
  } catch (err) {
    showStep('election');
    setMessage($('election-message'), 'error', 'error.mismatch');
    console.error(err);
    return undefined;
  }
  startChecks();
  return stepCode();
}

// ---- the checks before any encryption -----------------------------------------

/** The page's key policy: its kiemphieu-key-policy meta tag ('standard' without one). */
function pagePolicy() {
  const meta = document.querySelector('meta[name="kiemphieu-key-policy"]');
  return parseKeyPolicy(meta?.getAttribute('content') ?? undefined);
}

function showKeyCheck(state) {
  const line = $('key-check');
  line.dataset.state = state;
  setText(line, state === 'ok' ? 'keyCheck.ok' : 'keyCheck.running');
}

/** Start the key check (a worker) and fetch the roll, while the voter types the code. */
function startChecks() {
  mark(MARK.keyCheckStart);
  const check = startKeyCheck(booth.election, { policy: booth.policy });
  booth.keyCheck = check;
  showKeyCheck('running');
  check.done.then(
    () => {
      mark(MARK.keyCheckEnd);
      if (booth.keyCheck === check) showKeyCheck('ok');
    },
    (err) => stop(err),
  );
  loadRoll().catch((err) => {
    if (err instanceof KeyCheckError) stop(err); // a network failure is retried when the code is sent
  });
}

/**
 * The roll the registrar signed (§8.12), fetched and checked once; a failed
 * fetch is retried. It is fetched at once but judged only after the key check
 * passed: the roll is signed for H_E, so a refused ceremony is named as such
 * rather than as "a roll of another key ceremony".
 */
function loadRoll() {
  if (booth.roll === null) {
    const fetched = getJson(paths.credentials(booth.summary.id));
    const pending = Promise.all([fetched, booth.keyCheck.done])
      .then(([reply]) => checkSignedRoll(booth.election, reply));
    booth.roll = pending;
    pending.catch((err) => {
      if (booth.roll === pending && !(err instanceof KeyCheckError)) booth.roll = null;
    });
  }
  return booth.roll;
}

// Each refusal (js/crypto/refusals.js) in plain words, by its class.
const STOP_KEYS = {
  CeremonyFormError: 'stop.form',
  KeyPolicyError: 'stop.keyPolicy',
  CommitteeError: 'stop.committee',
  CardSignatureError: 'stop.cardSignature',
  RegistrarSignatureError: 'stop.registrarSignature',
  ModulusProofError: 'stop.modulusProof',
  FactorProofError: 'stop.factorProof',
  KeyGenerationError: 'stop.keyGeneration',
  VerificationKeyError: 'stop.verificationKeys',
  TestCiphertextError: 'stop.testCiphertext',
  RollError: 'stop.roll',
};

function stopMessage(err) {
  if (!(err instanceof KeyCheckError)) return ['stop.unexpected', {}];
  if (err instanceof RollError && err.reason === 'unsigned') return ['stop.rollUnsigned', {}];
  if (err.name === 'FactorProofError' && err.trustee === null) return ['stop.committee', {}];
  return [STOP_KEYS[err.name] ?? 'stop.unexpected', { member: err.member ?? '', trustee: err.trustee ?? '' }];
}

/**
 * Stop the booth for good: the election's key or roll was refused (or could
 * not be checked). The work under way is dropped, the voter's key forgotten,
 * and only the `stopped` step is left, with the reason in plain words and the
 * technical one folded away for the committee.
 */
function stop(err) {
  if (booth.stopped) return;
  booth.stopped = true;
  console.error(err);
  booth.keyCheck?.terminate();
  booth.precompute?.terminate?.();
  booth.precompute = null;
  booth.credential = null;
  booth.sealed = null;
  booth.generation += 1;
  scanner?.close();
  setActions({ cast: false, audit: false, change: false });
  const [key, args] = stopMessage(err);
  setMessage($('stopped-message'), 'error', key, args);
  $('stopped-detail').textContent = `${err?.name ?? 'Error'}: ${err?.message ?? err}`;
  showStep('stopped');
  announce(key, args);
}

function showUnavailable(summary) {
  setLocalized($('unavailable-title'), summary.manifest.title);
  const key = BEFORE.has(summary.state) ? 'unavailable.notYet' : 'unavailable.closed';
  setMessage($('unavailable-message'), 'warn', key, { state: summary.state });
  $('unavailable-results').href = electionLink('results.html');
  $('unavailable-board').href = electionLink('board.html');
  showStep('unavailable');
}

// ---- 2. the credential code -----------------------------------------------

function codeError(key) {
  const error = $('code-error');
  const input = $('code-input');
  if (!key) {
    error.hidden = true;
    input.removeAttribute('aria-invalid');
    return;
  }
  setText(error, key);
  error.hidden = false;
  input.setAttribute('aria-invalid', 'true');
  input.focus();
}

function stepCode() {
  if (booth.stopped) return;
  setLocalized($('code-election-title'), booth.summary.manifest.title);
  $('scan-button').hidden = !cameraAvailable();
  showStep('code');
  ensurePrecompute(); // vote- and voter-independent: it runs while the code is typed
}

async function submitCode(event) {
  event.preventDefault();
  scanner?.close(); // a code typed while the camera was open: the camera is no longer needed
  setMessage($('code-message'), null, null);
  let code;
  try {
    code = parseCredential($('code-input').value);
  } catch (err) {
    if (err instanceof CredentialError) return codeError(`code.error.${err.reason}`);
    throw err;
  }
  codeError(null);
  const submit = event.submitter ?? document.querySelector('[data-testid="code-submit"]');
  submit.disabled = true;
  try {
    const credential = await deriveCredential(booth.election, code);
    const roll = await loadRoll(); // only the roll the registrar signed
    if (booth.stopped) return undefined;
    if (!roll.has(credential.publicKeyHex)) return codeError('error.notOnRoll');
    booth.credential = credential;
    $('code-input').value = ''; // the code is not kept on the page
    return stepBallot();
  } catch (err) {
    if (err instanceof KeyCheckError) return stop(err);
    setMessage($('code-message'), 'error', failureKey(err));
    return undefined;
  } finally {
    submit.disabled = false;
  }
}

let scanner = null;

function startScan() {
  scanner ??= new CodeScanner({
    panel: $('scanner'), video: $('scanner-video'), stopButton: $('scan-stop'),
    scanButton: $('scan-button'), messageBox: $('code-message'),
    onCode: (code) => { // submitted as if typed
      $('code-input').value = code;
      codeError(null);
      $('code-form').requestSubmit();
    },
  });
  return scanner.open();
}

function stopScan() {
  scanner?.close();
  $('scan-button').focus();
}

// ---- 3. the ballot ---------------------------------------------------------

function ensurePrecompute() {
  if (booth.stopped) return;
  booth.precompute ??= markedPrecompute(() => startPrecompute(booth.election));
}

function stepBallot() {
  if (booth.stopped) return;
  const manifest = booth.summary.manifest;
  setLocalized($('ballot-title'), manifest.title);
  setLocalized($('ballot-description'), manifest.description);
  const revote = manifest.rules?.revote === 'refuse' ? 'ballot.revoteRefuse' : 'ballot.revoteLast';
  setText($('ballot-revote'), revote);
  booth.form ??= new BallotForm($('ballot-questions'), booth.election.questions ?? manifest.questions);
  ensurePrecompute(); // started with the code step; again after a cast or an audit
  showStep('ballot');
}

function submitBallot(event) {
  event.preventDefault();
  const problems = booth.form.validate();
  if (problems.length) {
    setMessage($('ballot-message'), 'error', 'ballot.fixProblems', { n: problems.length });
    problems[0].querySelector('input')?.focus();
    return;
  }
  setMessage($('ballot-message'), null, null);
  stepReview();
}

// ---- 4. review, seal, cast or audit ---------------------------------------

function setActions({ cast, audit, change }) {
  $('cast-button').disabled = !cast;
  $('audit-button').disabled = !audit;
  $('change-button').disabled = !change;
}

async function waitReady(precompute) {
  const bar = $('seal-progress');
  const timer = setInterval(() => { bar.value = Number(precompute.progress ?? 0); }, 150);
  try {
    await precompute.ready;
  } finally {
    clearInterval(timer);
    bar.value = 1;
  }
}

async function stepReview() {
  if (booth.stopped) return;
  const selections = booth.form.selections();
  const questions = booth.election.questions ?? booth.summary.manifest.questions;
  clear($('review-list')).append(reviewList(questions, selections));
  booth.sealed = null;
  $('sealed').hidden = true;
  $('seal-status').hidden = false;
  setMessage($('cast-message'), null, null);
  setActions({ cast: false, audit: false, change: true });
  showStep('review');
  ensurePrecompute();
  const precompute = booth.precompute;
  const generation = ++booth.generation;
  // Nothing is encrypted under a key that was not checked: a refusal stops the
  // booth (startChecks), and this review with it.
  const keyChecked = booth.keyCheck.done.then(() => true, () => false);
  try {
    await waitReady(precompute);
    if (!(await keyChecked) || booth.stopped) return;
    mark(MARK.sealStart);
    const sealed = await encryptBallot(booth.election, booth.credential, selections, { precompute });
    mark(MARK.sealEnd);
    if (generation !== booth.generation) return;
    booth.sealed = sealed;
  } catch (err) {
    if (generation !== booth.generation) return;
    setMessage($('cast-message'), 'error', 'error.sealing');
    console.error(err);
    return;
  } finally {
    if (booth.precompute === precompute) {
      precompute.terminate?.();
      booth.precompute = null;
    }
  }
  ensurePrecompute(); // ready for a re-encryption after an audit
  $('sealed-code').textContent = groupHex(booth.sealed.trackingCode);
  $('seal-status').hidden = true;
  $('sealed').hidden = false;
  setActions({ cast: true, audit: true, change: true });
  announce('review.sealedAnnounce');
}

function changeChoices() {
  booth.generation += 1;
  booth.sealed = null;
  if (document.getElementById('seal-status').hidden === false) {
    booth.precompute?.terminate?.(); // still sealing: that work is dropped
    booth.precompute = null;
  }
  stepBallot();
}

async function cast() {
  if (booth.casting || !booth.sealed || booth.stopped || booth.keyCheck?.passed !== true) return;
  mark(MARK.cast);
  booth.casting = true;
  const { ballot, trackingCode } = booth.sealed;
  setActions({ cast: false, audit: false, change: false });
  setMessage($('cast-message'), 'ok', 'cast.sending');
  let lookFirst = false;
  for (;;) {
    try {
      booth.receipt = await castBallot(booth.summary.id, ballot, trackingCode, { lookFirst });
      break;
    } catch (err) {
      if (!(err instanceof NetworkError)) {
        booth.casting = false;
        const key = failureKey(err);
        setMessage($('cast-message'), 'error', key);
        // Refusals that a new try cannot change leave only "change" (for a
        // rejected ballot) or nothing to do here.
        const final = ['error.notOpen', 'error.alreadyVoted', 'error.notOnRoll'].includes(key);
        setActions({ cast: false, audit: false, change: !final });
        return;
      }
      setMessage($('cast-message'), 'error', 'error.castNetwork');
      await waitForRetry($('cast-message'));
      setMessage($('cast-message'), 'ok', 'cast.retrying');
      lookFirst = true;
    }
  }
  booth.casting = false;
  await stepReceipt();
}

async function audit() {
  if (!booth.sealed || booth.stopped) return;
  const sealed = booth.sealed;
  booth.sealed = null; // an audited ballot can never be cast
  setActions({ cast: false, audit: false, change: false });
  $('audit-code').textContent = groupHex(sealed.trackingCode);
  $('audit-document').textContent = JSON.stringify(sealed.audit, null, 2);
  $('audit-check-link').href = electionLink('audit.html');
  $('audit-save').onclick = () => download(
    `audit-${booth.summary.id}-${sealed.trackingCode.slice(0, 16)}.json`,
    `${JSON.stringify(sealed.audit, null, 2)}\n`,
  );
  const local = $('audit-local');
  setText(local, 'audit.localChecking');
  showStep('audit');
  try {
    await checkAudit(booth.election, sealed.audit);
    setText(local, 'audit.localOk').className = 'verdict-ok';
  } catch (err) {
    setText(local, 'audit.localBad').className = 'verdict-bad';
    console.error(err);
  }
}

// ---- 5. the receipt --------------------------------------------------------

async function stepReceipt() {
  const receipt = booth.receipt;
  const trackingCode = booth.sealed.trackingCode;
  booth.sealed = null;
  booth.credential = null; // the key is no longer needed on this page
  booth.precompute?.terminate?.();
  booth.precompute = null;
  setLocalized($('receipt-election'), booth.summary.manifest.title);
  $('receipt-code').textContent = groupHex(trackingCode);
  $('receipt-position').textContent = String(receipt.position);
  $('receipt-head').textContent = receipt.head;
  $('receipt-election-hash').textContent = receipt.election;
  $('receipt-board').href = electionLink('board.html', { code: trackingCode });
  $('receipt-save').onclick = () => download(
    `receipt-${booth.summary.id}-${trackingCode.slice(0, 16)}.json`,
    `${JSON.stringify(receipt, null, 2)}\n`,
  );
  $('receipt-stored').hidden = !keepReceipt(booth.summary.id, receipt); // for the board page's check
  const revote = booth.summary.manifest.rules?.revote === 'refuse' ? null : 'receipt.revoteLast';
  if (revote) setText($('receipt-revote'), revote);
  const verdict = $('receipt-verdict');
  setText(verdict, 'receipt.checking');
  showStep('receipt');
  mark(MARK.receipt);
  announce('receipt.castAnnounce');
  try {
    const server = await getJson(paths.server());
    await verifyReceipt(booth.election, trackingCode, receipt, server.receipt_key);
    mark(MARK.receiptChecked);
    setText(verdict, 'receipt.signatureOk');
    verdict.className = 'verdict-ok';
    verdict.dataset.verdict = 'ok';
  } catch (err) {
    const key = err instanceof NetworkError ? 'receipt.signatureUnchecked' : 'receipt.signatureBad';
    setText(verdict, key);
    verdict.className = 'verdict-bad';
    verdict.dataset.verdict = err instanceof NetworkError ? 'unchecked' : 'bad';
    console.error(err);
  }
}

// ---- start -----------------------------------------------------------------

function wire() {
  $('code-form').addEventListener('submit', submitCode);
  $('code-input').addEventListener('input', () => codeError(null));
  $('scan-button').addEventListener('click', startScan);
  $('scan-stop').addEventListener('click', stopScan);
  $('ballot-form').addEventListener('submit', submitBallot);
  $('cast-button').addEventListener('click', cast);
  $('audit-button').addEventListener('click', audit);
  $('change-button').addEventListener('click', changeChoices);
  $('audit-again').addEventListener('click', () => stepReview());
  $('receipt-print').addEventListener('click', () => globalThis.print());
  globalThis.addEventListener('beforeunload', (event) => {
    if (booth.casting) event.preventDefault(); // a cast is on its way: ask before leaving
  });
}

async function main() {
  booth.policy = pagePolicy();
  $('policy-warning').hidden = booth.policy !== 'testing';
  await startI18n();
  wire();
  await stepElection();
}

main().catch((err) => {
  console.error(err);
  const box = document.getElementById('election-message');
  showStep('election');
  setMessage(box, 'error', 'error.unexpected');
});
