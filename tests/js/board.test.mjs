// A saved receipt held against the board (client/web/js/crypto/board.js,
// docs/spec.md §8.9) on small boards made here from the election of
// ballot.json: the revote rule, a board that skips entries, and the hash chain
// as the transcript vectors hash it. Boards and receipts made by Python are
// tests/unit/test_js_results.py.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { trackingCodeOf } from '../../client/web/js/crypto/ballot.js';
import { bytesToHex, hexToBytes } from '../../client/web/js/crypto/bigint.js';
import { BoardReplyError, checkReceiptOnBoard, genesis, nextHead } from '../../client/web/js/crypto/board.js';
import { publicKeyOf, signMessage } from '../../client/web/js/crypto/ed25519.js';
import * as booth from '../../client/web/js/crypto/index.js';
import { receiptMessage } from '../../client/web/js/crypto/receipt.js';
import { Tag, digest } from '../../client/web/js/crypto/transcript.js';
import { HashCoins } from './hashcoins.mjs';
import { summaryOf, vector } from './vectors.mjs';

const B = vector('ballot.json');
const SERVER = new Uint8Array(32).fill(42);
const selections = B.manifest.questions.map((q) => B.votes[q.id]);

async function setting() {
  const election = await booth.openElection(summaryOf(B));
  const voter = await booth.deriveCredential(election, B.code);
  const ballots = [];
  for (const seed of ['b/0', 'b/1', 'b/2']) {
    ballots.push((await booth.encryptBallot(election, voter, selections, { coins: new HashCoins(seed) })).ballot);
  }
  return { election, ballots };
}

/** Board items for `ballots` after a roll and an opening entry, and a signed receipt per ballot. */
async function boardOf(election, ballots) {
  let head = genesis(election.hash);
  const items = [];
  const add = (kind, payloadHex, ballot = null) => {
    const position = items.length;
    head = nextHead(election.hash, position, kind, hexToBytes(payloadHex, 32), head);
    items.push({ entry: { position, kind, payload_hash: payloadHex, head: bytesToHex(head) }, ballot, at: 'now' });
  };
  add('roll', '11'.repeat(32));
  add('open', election.hashHex);
  const receipts = [];
  for (const ballot of ballots) {
    const code = trackingCodeOf(ballot);
    add('ballot', code, ballot);
    const receipt = {
      election: election.hashHex, head: bytesToHex(head), position: items.length - 1, server_key: bytesToHex(await publicKeyOf(SERVER)),
      signature: '00'.repeat(64), tracking_code: code, type: 'receipt', version: 1,
    };
    receipt.signature = bytesToHex(await signMessage(SERVER, receiptMessage(receipt)));
    receipts.push(receipt);
  }
  const readBoard = async (start, limit) => ({
    board_size: items.length, entries: structuredClone(items.filter((i) => i.entry.position >= start).slice(0, limit)),
  });
  return { items, receipts, readBoard };
}

test('the genesis and entry heads are the transcript hashes of §8.9', async () => {
  const { election } = await setting();
  assert.deepEqual(genesis(election.hash), digest(Tag.BOARD_GENESIS, election.hash));
  const code = new Uint8Array(32).fill(3);
  assert.deepEqual(nextHead(election.hash, 7, 'ballot', code, genesis(election.hash)),
    digest(Tag.BOARD_ENTRY, election.hash, 7, 'ballot', code, genesis(election.hash)));
});

test('last-counts: the first ballot is superseded, the last is counted; refuse: a second one is a duplicate', async () => {
  const { election, ballots } = await setting();
  const { receipts, readBoard } = await boardOf(election, ballots);
  const serverKeyHex = receipts[0].server_key;
  const run = (receipt, revote) => checkReceiptOnBoard({ receipt, electionHash: election.hash, serverKeyHex, readBoard, revote });
  assert.deepEqual(await run(receipts[0], 'last-counts'), { status: 'superseded', position: 2, trackingCode: receipts[0].tracking_code, later: 4 });
  assert.equal((await run(receipts[2], 'last-counts')).status, 'counted');
  assert.equal((await run(receipts[0], 'refuse')).status, 'duplicate');
  assert.equal((await booth.checkSavedReceipt(election, receipts[1], serverKeyHex, readBoard)).later, 4);
});

test('a board that skips or garbles entries is a BoardReplyError, a wrong receipt a ReceiptError', async () => {
  const { election, ballots } = await setting();
  const { items, receipts } = await boardOf(election, ballots.slice(0, 2));
  const serverKeyHex = receipts[0].server_key;
  const skipping = async (start, limit) => ({
    board_size: items.length, entries: items.filter((i) => i.entry.position >= start && i.entry.position !== 3).slice(0, limit),
  });
  await assert.rejects(booth.checkSavedReceipt(election, receipts[0], serverKeyHex, skipping), /ends at position 3, but says it holds 4/);
  const { items: three, receipts: first } = await boardOf(election, ballots);
  const middle = async (start, limit) => ({ entries: three.filter((i) => i.entry.position >= start && i.entry.position !== 3).slice(0, limit) });
  await assert.rejects(booth.checkSavedReceipt(election, first[0], serverKeyHex, middle), /skips from position 3 to 4/);
  const rechained = structuredClone(three);
  rechained[3].entry.head = 'ab'.repeat(32);
  const broken = async (start, limit) => ({ entries: structuredClone(rechained.filter((i) => i.entry.position >= start).slice(0, limit)) });
  assert.deepEqual(await booth.checkSavedReceipt(election, first[0], serverKeyHex, broken), { status: 'chain', position: 2, trackingCode: first[0].tracking_code, later: 3 });
  const garbled = async () => ({ entries: [{ entry: { position: 1 } }] });
  await assert.rejects(booth.checkSavedReceipt(election, receipts[0], serverKeyHex, garbled), BoardReplyError);
  const readBoard = async () => ({ entries: [] });
  await assert.rejects(booth.checkSavedReceipt(election, { ...receipts[0], position: 9 }, serverKeyHex, readBoard), (e) => e instanceof booth.ReceiptError && e.reason === 'signature');
  await assert.rejects(booth.checkSavedReceipt(election, null, serverKeyHex, readBoard), (e) => e instanceof booth.ReceiptError && e.reason === 'form');
});
