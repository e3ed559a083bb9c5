// Holds saved receipts against boards given as JSON on standard input, with
// the booth's code (client/web/js/crypto/board.js), for the Python tests
// (tests/unit/test_js_results.py): {"<case>": {summary, serverKey, receipt,
// board: [GET /board entries…], pageMax}, …} → {"<case>": {status, position,
// later, trackingCode} or {error, reason, message}, …} on standard output.
// The board is served page by page as GET /api/elections/<id>/board?start=&limit=
// would, at most `pageMax` entries a page. Not a test file itself.

import * as booth from '../../client/web/js/crypto/index.js';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const cases = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const out = {};
for (const [name, { summary, serverKey, receipt, board, pageMax = 100 }] of Object.entries(cases)) {
  const asked = [];
  const readBoard = async (start, limit) => {
    asked.push([start, limit]);
    const entries = board.filter((item) => item.entry.position >= start).slice(0, Math.min(limit, pageMax));
    return { election_id: summary.id, board_size: board.length, start, entries: structuredClone(entries) };
  };
  try {
    const election = await booth.openElection(summary);
    out[name] = { ...(await booth.checkSavedReceipt(election, receipt, serverKey, readBoard)), requests: asked.length };
  } catch (error) {
    out[name] = { error: error.name, reason: error.reason ?? null, message: error.message };
  }
}
process.stdout.write(JSON.stringify(out));
