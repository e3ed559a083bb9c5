// Results verification in the browser (issue 5, docs/spec.md §11 steps 4 and
// 7–10): the facade of client/web/js/results/ (see notes/js-api.md).

import { readManifest } from './election.js';
import { readCounts, resultFromCounts } from './result.js';
import { verdict } from './verdict.js';

export { CHECKS } from './verdict.js';
export { ReplyError } from './reply.js';
export { TallyError } from './tally.js';
export { percent } from './result.js';
export { verifyTallyInWorker, WORKER_URL } from './verifier.js';

/**
 * Verify a published tally from the JSON replies of GET /api/elections/<id>,
 * /shares, /tally and /result (the committee comes from the summary's key
 * ceremony; a `trustees` reply is ignored). Resolves to {ok, checks: [{id, ok,
 * passed, failed, detail}], counts, result}; bad data is reported in a failed
 * check, never thrown. `onprogress({check, index, total})` as each check
 * starts. This runs on the calling thread; verifyTallyInWorker runs it in a
 * Web Worker.
 */
export async function verifyTallyInBrowser({ summary, shares, tally, result }, { onprogress } = {}) {
  return verdict({ summary, shares, tally, result }, { onprogress });
}

/**
 * The result (wire form of document `result`, §8.8) of wire `tally-counts`
 * under a wire manifest's rules, for display. `present` defaults to the
 * ballots counted. Throws ReplyError for malformed input and TallyError when
 * the rules cannot be applied.
 */
export function computeResult(manifest, counts, { issued, present } = {}) {
  const m = readManifest(manifest);
  return resultFromCounts(m, readCounts(counts, m), { issued, present });
}
