// The results page's verification in a module Web Worker (client/web/js/results/
// worker.js via verifyTallyInWorker), run here in node worker threads that give
// it the Web Worker globals (webworker.mjs): the same verdict as the direct call
// on the vectors' replies, honest or tampered, the progress of each check in
// order, and the fall-back to the calling thread when no worker starts.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { bytesToHex } from '../../client/web/js/crypto/bigint.js';
import { signMessage } from '../../client/web/js/crypto/ed25519.js';
import { CHECKS, verifyTallyInBrowser, verifyTallyInWorker, WORKER_URL } from '../../client/web/js/results/index.js';
import { sharesMessage } from '../../client/web/js/results/trustees.js';
import { replies, seedOf } from './results-replies.mjs';
import { ROOT } from './vectors.mjs';
import { ThreadWorker, threadSpawner } from './webworker.mjs';

const WORKER = pathToFileURL(join(ROOT, 'client', 'web', 'js', 'results', 'worker.js'));

/** verifyTallyInWorker in a node thread: {verdict, progress, spawned}. */
async function inWorker(r, options = {}) {
  const { spawn, spawned } = threadSpawner();
  const progress = [];
  const verdict = await verifyTallyInWorker(r, { spawn, onprogress: (p) => progress.push(p), ...options });
  return { verdict, progress, spawned };
}

const failing = (verdict) => verdict.checks.filter((c) => !c.ok).map((c) => c.id);

/** Trustee 3's second share changed and the document signed again (results-verdict.test.mjs). */
async function tamperedShare() {
  const r = await replies();
  const doc = r.shares.shares[1].shares;
  doc.shares[1].ci = doc.shares[1].ci.slice(0, -1) + (parseInt(doc.shares[1].ci.slice(-1), 16) ^ 2).toString(16);
  doc.signature = '00'.repeat(64);
  doc.signature = bytesToHex(await signMessage(seedOf(3), sharesMessage({ wire: doc })));
  return r;
}

test('the worker sits next to the facade and is the default', () => {
  assert.equal(WORKER_URL.href, WORKER.href);
});

test('the worker gives the direct call\'s verdict on the vectors, announcing each check', async () => {
  const r = await replies();
  const direct = await verifyTallyInBrowser(structuredClone(r));
  const { verdict, progress, spawned } = await inWorker(r);
  assert.equal(spawned.length, 1);
  assert.equal(spawned[0].url, WORKER.href);
  assert.deepEqual(verdict, direct);
  assert.deepEqual(failing(verdict), ['result']); // the vectors' manifest has no rules
  assert.deepEqual(progress.map((p) => p.check), CHECKS);
  assert.deepEqual(progress.map((p) => p.index), CHECKS.map((_, i) => i));
  assert.ok(progress.every((p) => p.runner === 'worker' && p.total === CHECKS.length));
});

test('a tampered share fails the same checks in the worker as in the direct call', async () => {
  const r = await tamperedShare();
  const direct = await verifyTallyInBrowser(structuredClone(r));
  const { verdict, progress } = await inWorker(r);
  assert.deepEqual(failing(verdict), failing(direct));
  assert.deepEqual(failing(verdict), ['share-proofs', 'combination', 'unpacking', 'result']);
  assert.deepEqual(verdict, direct);
  assert.match(verdict.checks[3].detail, /ciphertext 1: decryption share 3/);
  // the unpacking is not run without plaintexts, so it is not announced
  assert.deepEqual(progress.map((p) => p.check), CHECKS.filter((id) => id !== 'unpacking'));
});

test('malformed replies come back as a failed verdict from the worker too', async () => {
  const { verdict } = await inWorker({ summary: 'x', trustees: 1, shares: null, tally: [], result: 0 });
  assert.equal(verdict.ok, false);
  assert.deepEqual(verdict.checks.map((c) => c.id), CHECKS);
  assert.deepEqual(verdict, await verifyTallyInBrowser({ summary: 'x', trustees: 1, shares: null, tally: [], result: 0 }));
});

test('without a worker the verification runs on the calling thread, with the same verdict', async () => {
  const r = await replies();
  const direct = await verifyTallyInBrowser(structuredClone(r));
  for (const options of [
    { spawn: () => { throw new ReferenceError('Worker is not defined'); } },
    { workerUrl: pathToFileURL(join(ROOT, 'client', 'web', 'js', 'results', 'no-such-worker.js')) },
  ]) {
    const progress = [];
    const spawned = [];
    const spawn = options.spawn ?? ((url) => {
      const worker = new ThreadWorker(url);
      spawned.push(worker);
      return worker;
    });
    const verdict = await verifyTallyInWorker(structuredClone(r), { ...options, spawn, onprogress: (p) => progress.push(p) });
    assert.deepEqual(verdict, direct);
    assert.deepEqual(progress.map((p) => p.check), CHECKS);
    assert.ok(progress.every((p) => p.runner === 'page'));
  }
});

/** A stand-in worker that answers the request with `script(worker)`. */
function scripted(script) {
  const worker = {
    onmessage: null, onerror: null, terminated: false,
    postMessage(data) {
      assert.equal(data.type, 'verify');
      queueMicrotask(() => script(worker));
    },
    terminate() {
      worker.terminated = true;
    },
  };
  return worker;
}

test('a worker that fails after it started rejects, and is stopped', async () => {
  const cases = [
    (w) => {
      w.onmessage({ data: { type: 'progress', check: 'base-hash', index: 0, total: 7 } });
      w.onerror({ message: 'out of memory' });
    },
    (w) => w.onmessage({ data: { type: 'error', message: 'TypeError: boom' } }),
    (w) => w.onmessage({ data: { type: 'verdict', verdict: { ok: true } } }),
  ];
  for (const [i, script] of cases.entries()) {
    const worker = scripted(script);
    await assert.rejects(verifyTallyInWorker({}, { spawn: () => worker }), /^Error: verification failed/, String(i));
    assert.equal(worker.terminated, true);
  }
});

test('the worker refuses a request that is not a verification', async () => {
  const worker = new ThreadWorker(WORKER);
  try {
    const reply = await new Promise((resolve) => {
      worker.onmessage = ({ data }) => resolve(data);
      worker.postMessage({ type: 'power', replies: {} });
    });
    assert.deepEqual(reply, { type: 'error', message: 'unknown request' });
  } finally {
    worker.terminate();
  }
});
