// Runs the booth's key check (client/web/js/crypto/ceremony.js) on key
// ceremonies given as JSON on standard input, for the Python tests
// (tests/unit/test_js_ballots.py): {"<case>": {ceremony, electionId, policy},
// …} → {"<case>": {ok: true, steps} or {ok: false, name, check, message,
// member, trustee}, …} on standard output. Not a test file itself (node --test
// does not pick it up).

import { checkKeyCeremony } from '../../client/web/js/crypto/ceremony.js';
import { KeyCheckError, refusalData } from '../../client/web/js/crypto/refusals.js';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const out = {};
for (const [name, { ceremony, electionId, policy }] of Object.entries(cases)) {
  try {
    const { timings } = await checkKeyCeremony(ceremony, { electionId, policy });
    out[name] = { ok: true, steps: Object.keys(timings) };
  } catch (error) {
    if (!(error instanceof KeyCheckError)) throw error;
    out[name] = { ok: false, ...refusalData(error) };
  }
}
process.stdout.write(JSON.stringify(out));
