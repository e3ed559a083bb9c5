// The booth's key check in its module Web Worker (keycheck-worker.js, run in
// node worker threads that give it the Web Worker globals) and its page side
// (keycheck.js): the same verdict as on the page's thread, refusals rebuilt as
// their own classes, and a run on the page when no worker can start.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { bigIntToHex, bytesToHex, hexToBigInt } from '../../client/web/js/crypto/bigint.js';
import { GENERATED_STEPS, STEPS } from '../../client/web/js/crypto/ceremony.js';
import { baseHash } from '../../client/web/js/crypto/election.js';
import * as booth from '../../client/web/js/crypto/index.js';
import {
  CardSignatureError, FactorProofError, KeyGenerationError, KeyPolicyError, RegistrarSignatureError, RollError, refusalData,
  refusalFrom,
} from '../../client/web/js/crypto/refusals.js';
import { ROOT, summaryOf, vector } from './vectors.mjs';
import { ThreadWorker } from './webworker.mjs';

const B = vector('ballot.json');
const KEYGEN = vector('keygen.json');
const WORKER = pathToFileURL(join(ROOT, 'client', 'web', 'js', 'crypto', 'keycheck-worker.js'));

/** A summary whose ceremony is changed by `change` (H_E recomputed, as a lying server would). */
async function electionWith(change = () => {}) {
  const summary = summaryOf(B);
  change(summary.key_ceremony);
  summary.base_hash = bytesToHex(baseHash(summary.manifest, summary.key_ceremony));
  return booth.openElection(summary);
}

function spawner() {
  const spawned = [];
  return {
    spawned,
    spawn: (url) => {
      const worker = new ThreadWorker(url);
      spawned.push(worker);
      return worker;
    },
  };
}

test('the worker checks the honest ceremony, step by step', async () => {
  const election = await electionWith();
  const { spawn, spawned } = spawner();
  const check = booth.startKeyCheck(election, { policy: 'testing', workerUrl: WORKER, spawn });
  const steps = [];
  check.onstep = (p) => steps.push(p.step);
  assert.equal(check.passed, null);
  const outcome = await check.done;
  assert.equal(outcome.runner, 'worker');
  assert.deepEqual(Object.keys(outcome.timings), STEPS);
  assert.deepEqual(steps, STEPS);
  assert.equal(check.passed, true);
  assert.equal(spawned.length, 1);
});

test('the worker checks a key the committee generated, with its own steps', async () => {
  const election = await booth.openElection(summaryOf(KEYGEN));
  assert.equal(election.hashHex, KEYGEN.base_hash);
  const { spawn } = spawner();
  const check = booth.startKeyCheck(election, { policy: 'testing', workerUrl: WORKER, spawn });
  const steps = [];
  check.onstep = (p) => steps.push(p.step);
  const outcome = await check.done;
  assert.equal(outcome.runner, 'worker');
  assert.deepEqual(steps, GENERATED_STEPS);
  assert.deepEqual(Object.keys(outcome.timings), GENERATED_STEPS);
  const summary = summaryOf(KEYGEN);
  const entry = summary.key_ceremony.transcript.entries[2];
  entry.salt = entry.salt.replace(/^../, (b) => (b === '00' ? '01' : '00'));
  summary.base_hash = bytesToHex(baseHash(summary.manifest, summary.key_ceremony));
  const forged = booth.startKeyCheck(await booth.openElection(summary), { policy: 'testing', workerUrl: WORKER, spawn });
  await assert.rejects(forged.done, (e) => e instanceof KeyGenerationError && e.trustee === 3 && e.check === 'generation');
});

test('a refusal comes back from the worker as its own class', async () => {
  const { spawn } = spawner();
  const cases = [
    [await electionWith(), 'standard', KeyPolicyError],
    [await electionWith((c) => { c.committee.trustees[3].name = 'X'; }), 'testing', CardSignatureError],
    [await electionWith((c) => { c.committee.registrar.name = 'X'; }), 'testing', RegistrarSignatureError],
    [await electionWith((c) => { c.factor_proofs[1].w1 = bigIntToHex(hexToBigInt(c.factor_proofs[1].w1) + 1n); }), 'testing', FactorProofError],
  ];
  for (const [election, policy, kind] of cases) {
    const check = booth.startKeyCheck(election, { policy, workerUrl: WORKER, spawn });
    await assert.rejects(check.done, (e) => e instanceof kind && e instanceof booth.KeyCheckError, kind.name);
    assert.equal(check.passed, false);
  }
  const check = booth.startKeyCheck(cases[3][0], { policy: 'testing', workerUrl: WORKER, spawn });
  await assert.rejects(check.done, (e) => e.trustee === 2 && /^trustee 2: factor proof: the commitment to p/.test(e.message));
});

test('without a worker the check runs on the page, with the same verdict', async () => {
  const election = await electionWith();
  const noWorker = booth.startKeyCheck(election, { policy: 'testing', spawn: () => { throw new ReferenceError('Worker is not defined'); } });
  assert.equal((await noWorker.done).runner, 'page');
  const missing = booth.startKeyCheck(election, {
    policy: 'testing', workerUrl: pathToFileURL(join(ROOT, 'client', 'web', 'js', 'crypto', 'no-such-worker.js')), spawn: spawner().spawn,
  });
  assert.equal((await missing.done).runner, 'page');
  const inline = booth.startKeyCheck(election, { policy: 'standard', inline: true });
  await assert.rejects(inline.done, KeyPolicyError);
});

test('a worker that answers nonsense is replaced by a run on the page; it never passes by itself', async () => {
  const election = await electionWith((c) => { c.committee.trustees[0].role = 'X'; });
  const liar = {
    onmessage: null, onerror: null, terminated: false,
    postMessage() {
      queueMicrotask(() => this.onmessage({ data: { type: 'done' } })); // no timings: not a verdict
    },
    terminate() {
      this.terminated = true;
    },
  };
  const check = booth.startKeyCheck(election, { policy: 'testing', spawn: () => liar });
  await assert.rejects(check.done, CardSignatureError);
  assert.equal(liar.terminated, true);
});

test('the worker refuses a request that is not a key check', async () => {
  const worker = new ThreadWorker(WORKER);
  try {
    const reply = await new Promise((resolve) => {
      worker.onmessage = ({ data }) => resolve(data);
      worker.postMessage({ type: 'power' });
    });
    assert.deepEqual(reply, { type: 'error', message: 'unknown request' });
  } finally {
    worker.terminate();
  }
});

test('refusals survive the trip as plain data', () => {
  for (const error of [
    new FactorProofError(3, 'x'), new CardSignatureError(2, 'y'), new RollError('count', 'z'), new KeyPolicyError('w'),
    new KeyGenerationError(4, 'v'), new KeyGenerationError(null, 'u'),
  ]) {
    const back = refusalFrom(structuredClone(refusalData(error)));
    assert.equal(back.constructor, error.constructor);
    assert.deepEqual([back.message, back.check, back.trustee, back.member, back.reason], [error.message, error.check, error.trustee, error.member, error.reason]);
  }
  const unknown = refusalFrom({ name: 'Nope', check: 'x', message: 'm' });
  assert.ok(unknown instanceof booth.KeyCheckError);
});
