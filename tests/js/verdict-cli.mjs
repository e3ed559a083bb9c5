// Runs the results verifier on replies given as JSON on standard input, for
// tests/unit/test_js_results.py: {"<case>": {summary, trustees, shares, tally,
// result}, …} → {"<case>": verdict, …} on standard output. Not a test file
// itself (node --test does not pick it up).

import { verifyTallyInBrowser } from '../../client/web/js/results/index.js';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const out = {};
for (const [name, replies] of Object.entries(cases)) out[name] = await verifyTallyInBrowser(replies);
process.stdout.write(JSON.stringify(out));
