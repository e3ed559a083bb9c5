// worker.js, the module Web Worker, run in a node worker thread that provides
// the Web Worker globals it uses (self.onmessage, self.postMessage).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import * as booth from '../../client/web/js/crypto/index.js';
import { planOf } from '../../client/web/js/crypto/precompute.js';
import { ROOT, summaryOf, vector } from './vectors.mjs';

const WORKER = pathToFileURL(join(ROOT, 'client', 'web', 'js', 'crypto', 'worker.js')).href;
const SHIM = `
  import { parentPort } from 'node:worker_threads';
  globalThis.self = globalThis;
  globalThis.postMessage = (data) => parentPort.postMessage(data);
  await import(${JSON.stringify(WORKER)});
  parentPort.on('message', (data) => globalThis.onmessage({ data }));
`;

function runWorker(message) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(SHIM, { eval: true, type: 'module' });
    const seen = [];
    worker.on('message', (data) => {
      seen.push(data);
      if (data.type !== 'progress') {
        worker.terminate();
        resolve(seen);
      }
    });
    worker.on('error', reject);
    worker.postMessage(message);
  });
}

test('the worker precomputes a ballot that the booth turns into a valid ballot', async () => {
  const B = vector('ballot.json');
  const election = await booth.openElection(summaryOf(B));
  const messages = await runWorker({ type: 'precompute', plan: planOf(election) });
  const result = messages.at(-1);
  assert.equal(result.type, 'result');
  assert.ok(messages.some((m) => m.type === 'progress' && m.done === m.total));
  const credential = await booth.deriveCredential(election, B.code);
  const take = { ready: Promise.resolve(), take: () => result.pre };
  const { audit } = await booth.encryptBallot(election, credential, [[0, null, 1, 2, 0], 2, [1]], { precompute: take });
  assert.deepEqual(await booth.checkAudit(election, audit), [[0, null, 1, 2, 0], 2, [1]]);
});

test('the worker answers a bad request with an error message', async () => {
  const messages = await runWorker({ type: 'other' });
  assert.deepEqual(messages, [{ type: 'error', message: 'unknown request' }]);
  const bad = await runWorker({ type: 'precompute', plan: { n: '4', questions: [] } });
  assert.equal(bad.at(-1).type, 'error');
});
