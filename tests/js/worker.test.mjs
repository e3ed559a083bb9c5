// The precomputation pool: worker.js (the module Web Worker) run in node
// worker threads that provide the Web Worker globals it uses, and Precompute
// sharing a ballot's n-th powers out to a pool of them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { hexToBigInt, modPow } from '../../client/web/js/crypto/bigint.js';
import * as booth from '../../client/web/js/crypto/index.js';
import { drawBallot, planOf, powersOf, termsOf } from '../../client/web/js/crypto/precompute.js';
import { MAX_WORKERS, poolSize } from '../../client/web/js/crypto/workerpool.js';
import { HashCoins } from './hashcoins.mjs';
import { ROOT, summaryOf, vector } from './vectors.mjs';
import { ThreadWorker, threadSpawner } from './webworker.mjs';

const WORKER = pathToFileURL(join(ROOT, 'client', 'web', 'js', 'crypto', 'worker.js'));
const B = vector('ballot.json');
const selectionsOf = (votes, manifest) => manifest.questions.map((q) => votes[q.id]);

/** A `spawn` for Precompute whose workers note when they are terminated. */
function stopWatching() {
  const terminated = [];
  const spawn = (url) => {
    const worker = new ThreadWorker(url);
    const stop = worker.terminate.bind(worker);
    worker.terminate = () => {
      terminated.push(worker);
      stop();
    };
    return worker;
  };
  return { spawn, terminated };
}

function ask(messages) {
  return new Promise((resolve, reject) => {
    const worker = new ThreadWorker(WORKER);
    const seen = [];
    worker.onmessage = ({ data }) => {
      seen.push(data);
      if (seen.length === messages.length) {
        worker.terminate();
        resolve(seen);
      }
    };
    worker.onerror = (event) => reject(new Error(event.message));
    for (const message of messages) worker.postMessage(message);
  });
}

test('the worker answers (x·y^e mod n)^n mod n² for each request, by index', async () => {
  const n = hexToBigInt(B.key_ceremony.key.n);
  const terms = [
    { x: 2n, y: 1n, e: 0n },
    { x: n - 1n, y: 3n, e: (1n << 128n) - 1n },
    { x: 123456789n, y: n - 2n, e: 5n },
  ];
  const replies = await ask(terms.map((term, index) => ({ type: 'power', index, n, ...term })));
  assert.deepEqual(
    replies,
    terms.map(({ x, y, e }, index) => ({ type: 'power', index, value: modPow((x * modPow(y, e, n)) % n, n, n * n) })),
  );
});

test('the worker answers a bad request with an error message', async () => {
  const n = hexToBigInt(B.key_ceremony.key.n);
  const replies = await ask([
    { type: 'other' },
    { type: 'power', index: 0, n: B.key_ceremony.key.n, x: 2n, y: 1n, e: 0n }, // hex text, not a BigInt
    { type: 'power', index: 1, n, x: n, y: 1n, e: 0n }, // x not below n
    { type: 'power', index: 2, n, x: 2n, y: 0n, e: 1n }, // y zero
    { type: 'power', index: 3, n, x: 2n, y: 1n, e: -1n }, // negative e
    { type: 'power', index: 4, n: 4n, x: 3n, y: 1n, e: 0n }, // even modulus
    { type: 'power', index: 5, n, x: 2n, e: 0n }, // y missing
  ]);
  assert.deepEqual(replies[0], { type: 'error', index: null, message: 'unknown request' });
  assert.deepEqual(replies[1], { type: 'error', index: 0, message: 'unknown request' });
  for (const index of [1, 2, 3]) assert.deepEqual(replies[index + 1], { type: 'error', index, message: 'term out of range' });
  assert.equal(replies[5].type, 'error');
  assert.equal(replies[5].index, 4);
  assert.deepEqual(replies[6], { type: 'error', index: 5, message: 'unknown request' });
});

test('pool size: the device concurrency, bounded by the work and MAX_WORKERS', () => {
  assert.equal(poolSize(25, undefined, 2), 2);
  assert.equal(poolSize(25, undefined, undefined), 2);
  assert.equal(poolSize(25, undefined, 64), MAX_WORKERS);
  assert.equal(poolSize(3, undefined, 16), 3);
  assert.equal(poolSize(25, 4, 2), 4);
  assert.equal(poolSize(0, undefined, 4), 1);
});

test('the terms are one per n-th power, in the inline order', async () => {
  const election = await booth.openElection(summaryOf(B));
  const plan = planOf(election);
  const drawn = drawBallot(plan, new HashCoins(B.coins_seed));
  const terms = termsOf(drawn);
  const { n } = election.key;
  assert.equal(terms.length, powersOf(plan));
  assert.deepEqual(terms[0], { x: drawn.questions[0].parts[0].r, y: 1n, e: 0n });
  const firstPair = drawn.questions[0].parts[0].pairs[0];
  assert.equal((terms[1].y * drawn.questions[0].parts[0].r) % n, 1n);
  assert.deepEqual([terms[1].x, terms[1].e], [firstPair.z, firstPair.e]);
  assert.deepEqual(terms.at(-1), { x: drawn.questions.at(-1).sum.w, y: 1n, e: 0n });
  assert.ok(terms.every(({ x, y }) => x > 0n && x < n && y > 0n && y < n));
});

test('a pool of 2 worker threads makes the same ballot, byte for byte, as the inline path', async () => {
  const election = await booth.openElection(summaryOf(B));
  const credential = await booth.deriveCredential(election, B.code);
  const selections = selectionsOf(B.votes, B.manifest);
  const { spawn, spawned } = threadSpawner();
  const pooled = booth.startPrecompute(election, { coins: new HashCoins(B.coins_seed), workers: 2, spawn });
  const seen = [];
  pooled.onprogress = (p) => seen.push(p);
  await pooled.ready;
  assert.equal(spawned.length, 2);
  assert.ok(spawned.every((s) => s.url === WORKER.href));
  assert.equal(pooled.progress, 1);
  assert.equal(seen.length, powersOf(planOf(election)) + 1);
  const steps = seen.slice(0, -1); // one per power, then the final report
  assert.ok(steps.every((p, i) => p > (steps[i - 1] ?? 0)), 'progress rises with each power');
  assert.deepEqual(seen.slice(-2), [1, 1]);

  const fromPool = await booth.encryptBallot(election, credential, selections, { precompute: pooled });
  const inline = booth.startPrecompute(election, { coins: new HashCoins(B.coins_seed), inline: true });
  const fromInline = await booth.encryptBallot(election, credential, selections, { precompute: inline });
  assert.deepEqual(fromPool.ballot, B.ballot);
  assert.deepEqual(fromPool.ballot, fromInline.ballot);
  assert.deepEqual(fromPool.audit, fromInline.audit);
  assert.equal(fromPool.trackingCode, B.tracking_code);
  assert.throws(() => pooled.take(), /already used/);
});

test('a pool with a worker that fails rejects ready, and take() reports it', async () => {
  const election = await booth.openElection(summaryOf(B));
  const { spawn } = threadSpawner();
  const missing = new URL('./no-such-worker.js', WORKER);
  const pre = booth.startPrecompute(election, { workerUrl: missing, workers: 2, spawn });
  await assert.rejects(pre.ready, /precomputation worker failed/);
  assert.throws(() => pre.take(), /precomputation worker failed/);
});

test('terminate() stops the pool and the precomputation can no longer be taken', async () => {
  const election = await booth.openElection(summaryOf(B));
  const { spawn, terminated } = stopWatching();
  const pre = booth.startPrecompute(election, { workers: 2, spawn });
  pre.terminate();
  assert.equal(terminated.length, 2);
  assert.throws(() => pre.take(), /already used/);
});

test('a precomputation that cannot draw its coins stops the workers it started', async () => {
  const { spawn, terminated } = stopWatching();
  const broken = { key: { n: 4n }, shapes: [{ parts: [0], allowed: [0n, 1n], sum: null }] };
  const pre = booth.startPrecompute(broken, { workers: 2, spawn });
  await assert.rejects(pre.ready, /odd/);
  assert.equal(terminated.length, 2);
});
