// The board's hash chain and a saved receipt held against it (docs/spec.md
// §8.9), as crypto/election/board.py:
//   head_{−1} = H(board/genesis, H_E)
//   head_i    = H(board/entry, H_E, i, kind, payload hash, head_{i−1})
// A receipt is the server's signed word that ballot `tracking_code` is entry
// `position` with head `head`. Anyone holding a receipt can ask the published
// board whether that is still so, and whether a later ballot of the same
// credential replaces it (with `last-counts`, a credential's last ballot is
// the one counted). A board that contradicts a receipt its server signed is
// evidence for the counting committee.

import { bytesToHex, hexToBytes } from './bigint.js';
import { signingMessage, trackingCodeOf } from './ballot.js';
import { SignatureError, verifySignature } from './ed25519.js';
import { checkReceipt } from './receipt.js';
import { Tag, digest } from './transcript.js';

/** Entries asked for per request (the server's default page, always allowed). */
export const PAGE_LIMIT = 100;
const KINDS = new Set(['roll', 'open', 'ballot', 'close']);
const HEX32 = /^[0-9a-f]{64}$/;

/** The board's replies cannot be read, or skip entries. */
export class BoardReplyError extends Error {
  constructor(message) {
    super(message);
    this.name = 'BoardReplyError';
  }
}

/** head_{−1} = H(board/genesis, H_E) (H_E as 32 bytes). */
export function genesis(electionHash) {
  return digest(Tag.BOARD_GENESIS, electionHash);
}

/** head_i = H(board/entry, H_E, i, kind, payload hash, head_{i−1}) (bytes in, bytes out). */
export function nextHead(electionHash, position, kind, payloadHash, previous) {
  return digest(Tag.BOARD_ENTRY, electionHash, position, kind, payloadHash, previous);
}

function readEntry(item, path) {
  const entry = item?.entry;
  if (typeof entry !== 'object' || entry === null || !Number.isSafeInteger(entry.position) || entry.position < 0 ||
      !KINDS.has(entry.kind) || !HEX32.test(entry.payload_hash ?? '') || !HEX32.test(entry.head ?? '')) {
    throw new BoardReplyError(`${path}: not a board entry`);
  }
  const ballot = item.ballot ?? null;
  if (entry.kind === 'ballot' && (typeof ballot !== 'object' || ballot === null || !HEX32.test(ballot.credential ?? ''))) {
    throw new BoardReplyError(`${path}: a ballot entry without its ballot`);
  }
  return { ...entry, ballot };
}

/**
 * Entries start..start+count−1 as far as the board has them, checked to be in
 * order, and the board's size as the reply states it (null when it does not).
 */
async function entriesFrom(readBoard, start, count) {
  const reply = await readBoard(start, count);
  if (typeof reply !== 'object' || reply === null || !Array.isArray(reply.entries)) throw new BoardReplyError('the board reply has no entries');
  const entries = reply.entries.map((item, k) => readEntry(item, `entries[${k}]`));
  entries.forEach((e, k) => {
    if (e.position !== start + k) throw new BoardReplyError(`the board skips from position ${start + k} to ${e.position}`);
  });
  const size = Number.isSafeInteger(reply.board_size) ? reply.board_size : null;
  return { entries: entries.slice(0, count), size };
}

/** The ballot of a board entry really is the one its payload hash names, signed by its credential. */
async function isSignedBallot(entry) {
  try {
    if (trackingCodeOf(entry.ballot) !== entry.payload_hash) return false;
    await verifySignature(hexToBytes(entry.ballot.credential, 32), signingMessage(entry.ballot), hexToBytes(entry.ballot.signature, 64));
    return true;
  } catch (error) {
    if (error instanceof SignatureError || error instanceof TypeError || error instanceof RangeError) return false;
    throw error;
  }
}

/**
 * Hold a saved `receipt` (wire form) against the published board of the
 * election with base hash `electionHash` (32 bytes), whose server's receipt
 * key is `serverKeyHex`. `readBoard(start, limit)` answers like GET
 * /api/elections/<id>/board?start=&limit=. `revote` is the manifest's rule.
 *
 * Throws ReceiptError (receipt.js: not a receipt of this election and server)
 * or BoardReplyError. Otherwise resolves to {status, position, trackingCode,
 * later}: status
 *   'counted'    entry `position` is this ballot with the receipt's head, the
 *                head follows from the entry before, and no later ballot of
 *                its credential is on the board;
 *   'superseded' the same, but a later ballot of the credential, signed by
 *                it, is at `later` (the last one: it is the one counted);
 *   'duplicate'  as 'superseded' under revote = 'refuse', which forbids it;
 *   'absent'     the board has no entry at `position`;
 *   'replaced'   entry `position` is not this ballot;
 *   'head'       entry `position` has another head than the receipt, or its
 *                head does not follow from the entry before;
 *   'forged'     a later ballot at `later` names the credential but is not
 *                signed by it;
 *   'chain'      the head of a later entry, at `later`, does not follow from
 *                the one before: the board after the ballot is not one chain.
 * The later entries are read to the end of the board, each head recomputed,
 * so none can be left out without breaking the chain or the board's size.
 */
export async function checkReceiptOnBoard({ receipt, electionHash, serverKeyHex, readBoard, revote = 'last-counts' }) {
  const trackingCode = receipt?.tracking_code;
  await checkReceipt(bytesToHex(electionHash), trackingCode, receipt, serverKeyHex);
  const position = receipt.position;
  const outcome = (status, later = null) => ({ status, position, trackingCode, later });
  const first = Math.max(0, position - 1);
  const { entries: around } = await entriesFrom(readBoard, first, position - first + 1);
  const entry = around.find((e) => e.position === position);
  if (entry === undefined) return outcome('absent');
  if (entry.kind !== 'ballot' || entry.payload_hash !== trackingCode || !(await isSignedBallot(entry))) return outcome('replaced');
  const before = position === 0 ? genesis(electionHash) : around.find((e) => e.position === position - 1);
  if (before === undefined) throw new BoardReplyError(`the board has no entry ${position - 1} before the ballot`);
  const previous = position === 0 ? before : hexToBytes(before.head, 32);
  const head = bytesToHex(nextHead(electionHash, position, 'ballot', hexToBytes(trackingCode, 32), previous));
  if (entry.head !== receipt.head || head !== entry.head) return outcome('head');
  const credential = entry.ballot.credential;
  let later = null;
  let previousHead = hexToBytes(entry.head, 32);
  let start = position + 1;
  let size = null;
  for (;;) {
    const page = await entriesFrom(readBoard, start, PAGE_LIMIT);
    size = page.size ?? size;
    for (const e of page.entries) {
      const expected = nextHead(electionHash, e.position, e.kind, hexToBytes(e.payload_hash, 32), previousHead);
      if (bytesToHex(expected) !== e.head) return outcome('chain', e.position);
      previousHead = expected;
      if (e.kind !== 'ballot' || e.ballot.credential !== credential) continue;
      if (!(await isSignedBallot(e))) return outcome('forged', e.position);
      later = e.position;
    }
    if (page.entries.length === 0) break; // past the end (a server may give fewer than asked per page)
    start += page.entries.length;
  }
  if (size !== null && start !== size) throw new BoardReplyError(`the board ends at position ${start}, but says it holds ${size} entries`);
  if (later === null) return outcome('counted');
  return outcome(revote === 'refuse' ? 'duplicate' : 'superseded', later);
}
