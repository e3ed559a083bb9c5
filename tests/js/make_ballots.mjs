// Make fresh random ballots with the booth's JS for tests/unit/test_js_ballots.py.
//
//   node tests/js/make_ballots.mjs < request.json > ballots.json
//
// request: {summary (GET /api/elections/<id> JSON), roll (GET /credentials JSON),
//           policy, code, selections: [[per question], …]}
// reply:   {credential, keyCheck: {runner, steps}, onRoll, ballots: [{ballot, trackingCode, audit}, …]}
//
// As the booth does: the key ceremony is checked (under `policy`) and the roll
// against the registrar's signature before anything is encrypted.

import { readFileSync } from 'node:fs';
import * as booth from '../../client/web/js/crypto/index.js';

const request = JSON.parse(readFileSync(0, 'utf8'));
const election = await booth.openElection(request.summary);
const check = booth.startKeyCheck(election, { policy: request.policy, inline: true });
const { runner, timings } = await check.done;
const roll = await booth.checkSignedRoll(election, request.roll);
const credential = await booth.deriveCredential(election, request.code);
const ballots = [];
for (const [i, selections] of request.selections.entries()) {
  if (i % 2 === 0) {
    const pre = booth.startPrecompute(election);
    await pre.ready;
    ballots.push(await booth.encryptBallot(election, credential, selections, { precompute: pre }));
  } else {
    ballots.push(await booth.encryptBallot(election, credential, selections));
  }
}
process.stdout.write(JSON.stringify({
  credential: credential.publicKeyHex,
  keyCheck: { runner, steps: Object.keys(timings) },
  onRoll: roll.has(credential.publicKeyHex),
  ballots,
}));
