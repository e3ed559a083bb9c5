// The booth's cryptography (docs/spec.md §3, §7, §8.4, §8.5, §8.9, §8.11):
// the facade documented in /work/notes/js-api.md. Everything here is public-key
// work; the voter's choices never leave the browser unencrypted.

import { AuditMismatch, checkAuditDocument } from './audit.js';
import { assembleBallot, checkSelections } from './ballot.js';
import { BoardReplyError, checkReceiptOnBoard } from './board.js';
import { parseKeyPolicy } from './ceremony.js';
import { CredentialError, credentialFor, formatCredential, parseCredential } from './credential.js';
import { ElectionMismatch, openElection } from './election.js';
import { KeyCheck } from './keycheck.js';
import { Precompute } from './precomputation.js';
import { planOf, precomputeBallot } from './precompute.js';
import { ReceiptError, checkReceipt } from './receipt.js';
import { KeyCheckError, RollError } from './refusals.js';
import { checkRoll, registrarKeyOf } from './roll.js';

export { AuditMismatch, BoardReplyError, CredentialError, ElectionMismatch, KeyCheck, KeyCheckError, Precompute, ReceiptError, RollError };
export { formatCredential, openElection, parseCredential, parseKeyPolicy };

/**
 * Start checking the election's key ceremony under `policy` (a module Web
 * Worker when available): a KeyCheck whose `.done` must resolve before
 * anything is encrypted (§6, §8.10; keycheck.js).
 */
export function startKeyCheck(election, options = {}) {
  return new KeyCheck(election, options);
}

/**
 * The set of credential keys (hex) of a GET /credentials reply, once it is
 * exactly the roll the election's registrar signed (§8.12); throws RollError.
 */
export async function checkSignedRoll(election, reply) {
  return checkRoll(reply, registrarKeyOf(election), election.id, election.hashHex);
}

/**
 * Hold a saved receipt against the published board (§8.9; board.js
 * checkReceiptOnBoard): `readBoard(start, limit)` fetches board pages.
 */
export async function checkSavedReceipt(election, receipt, serverKeyHex, readBoard) {
  const revote = election.manifest.rules?.revote ?? 'last-counts';
  return checkReceiptOnBoard({ receipt, electionHash: election.hash, serverKeyHex, readBoard, revote });
}

/** The credential (Ed25519 key, §8.4) of a typed code for this election. */
export async function deriveCredential(election, code) {
  return credentialFor(code, election.id, registrarKeyOf(election));
}

/** Start the vote-independent work for one ballot (a module Web Worker when available). */
export function startPrecompute(election, options = {}) {
  return new Precompute(election, options);
}

/**
 * Encrypt, prove and sign `selections` → {ballot, trackingCode, audit}.
 * `precompute` (a ready Precompute) makes this fast; `coins` (tests only)
 * makes it deterministic; without either, the work is done here.
 */
export async function encryptBallot(election, credential, selections, { precompute, coins } = {}) {
  checkSelections(election, credential, selections); // refuse before any work
  let pre;
  if (coins !== undefined) pre = precomputeBallot(planOf(election), coins);
  else if (precompute !== undefined) {
    await precompute.ready;
    pre = precompute.take();
  }
  else pre = precomputeBallot(planOf(election));
  return assembleBallot(election, credential, selections, pre);
}

/** Re-encrypt an audit from its revealed coins; the selections, or AuditMismatch. */
export async function checkAudit(election, audit) {
  return checkAuditDocument(election, audit);
}

/** Check a receipt (§8.9) against the ballot's tracking code and the server's receipt key. */
export async function verifyReceipt(election, trackingCodeHex, receipt, serverKeyHex) {
  return checkReceipt(election.hashHex, trackingCodeHex, receipt, serverKeyHex);
}
