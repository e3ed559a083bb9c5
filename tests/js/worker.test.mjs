// The precomputation pool: worker.js (the module Web Worker) run in node
// worker threads that provide the Web Worker globals it uses, and Precompute
// sharing a ballot's n-th powers out to a pool of them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { hexToBigInt, modPow } from '../../client/web/js/crypto/bigint.js';
import * as booth from '../../client/web/js/crypto/index.js';
import { basesOf, drawBallot, planOf, powersOf } from '../../client/web/js/crypto/precompute.js';
import { MAX_WORKERS, poolSize } from '../../client/web/js/crypto/workerpool.js';
import { HashCoins } from './hashcoins.mjs';
import { ROOT, summaryOf, vector } from './vectors.mjs';
import { ThreadWorker, threadSpawner } from './webworker.mjs';

const WORKER = pathToFileURL(join(ROOT, 'client', 'web', 'js', 'crypto', 'worker.js'));
const B = vector('ballot.json');
const selectionsOf = (votes, manifest) => manifest.questions.map((q) => votes[q.id]);

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

test('the worker answers base^n mod n² for each request, by index', async () => {
  const n = hexToBigInt(B.key.n);
  const bases = [2n, n - 1n, 123456789n];
  const replies = await ask(bases.map((base, index) => ({ type: 'power', index, n, base })));
  assert.deepEqual(
    replies,
    bases.map((base, index) => ({ type: 'power', index, value: modPow(base, n, n * n) })),
  );
});

test('the worker answers a bad request with an error message', async () => {
  const n = hexToBigInt(B.key.n);
  const replies = await ask([
    { type: 'other' },
    { type: 'power', index: 0, n: B.key.n, base: 2n }, // hex text, not a BigInt
    { type: 'power', index: 1, n, base: n }, // not below n
    { type: 'power', index: 2, n: 4n, base: 3n }, // even modulus
  ]);
  assert.deepEqual(replies[0], { type: 'error', index: null, message: 'unknown request' });
  assert.deepEqual(replies[1], { type: 'error', index: 0, message: 'unknown request' });
  assert.deepEqual(replies[2], { type: 'error', index: 1, message: 'base out of range' });
  assert.equal(replies[3].type, 'error');
  assert.equal(replies[3].index, 2);
});

test('pool size: the device concurrency, bounded by the work and MAX_WORKERS', () => {
  assert.equal(poolSize(25, undefined, 2), 2);
  assert.equal(poolSize(25, undefined, undefined), 2);
  assert.equal(poolSize(25, undefined, 64), MAX_WORKERS);
  assert.equal(poolSize(3, undefined, 16), 3);
  assert.equal(poolSize(25, 4, 2), 4);
  assert.equal(poolSize(0, undefined, 4), 1);
});

test('the bases are one per n-th power, in the inline order', async () => {
  const election = await booth.openElection(summaryOf(B));
  const plan = planOf(election);
  const drawn = drawBallot(plan, new HashCoins(B.coins_seed));
  const bases = basesOf(drawn);
  assert.equal(bases.length, powersOf(plan));
  assert.equal(bases[0], drawn.questions[0].parts[0].r);
  assert.equal(bases.at(-1), drawn.questions.at(-1).sum.w);
  assert.ok(bases.every((x) => x > 0n && x < election.key.n));
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
  const pre = booth.startPrecompute(election, { workers: 2, spawn });
  pre.terminate();
  assert.equal(terminated.length, 2);
  assert.throws(() => pre.take(), /already used/);
});
