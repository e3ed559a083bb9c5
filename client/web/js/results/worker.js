// Module Web Worker of the results page: the verdict on a published tally
// (verdict.js, docs/spec.md §11 steps 4 and 7–10) computed off the page's main
// thread, so the page scrolls and switches language while the share proofs
// are checked. It imports only relative modules (the page's import map does
// not apply inside a worker) and sees only the public replies.
//
// In:  {type: 'verify', replies: {summary, shares, tally, result}}
//      (the JSON replies of GET /api/elections/<id>, /shares, /tally, /result)
// Out: {type: 'progress', check, index, total}   as each check starts (CHECKS order)
//      then {type: 'verdict', verdict}            ({ok, checks, counts, result}, plain data)
//   or {type: 'error', message}                   (a bad request or a programming error)

import { verdict } from './verdict.js';

self.onmessage = async ({ data }) => {
  const replies = data && data.type === 'verify' ? data.replies : null;
  if (replies === null || typeof replies !== 'object' || Array.isArray(replies)) {
    self.postMessage({ type: 'error', message: 'unknown request' });
    return;
  }
  try {
    const onprogress = ({ check, index, total }) => self.postMessage({ type: 'progress', check, index, total });
    self.postMessage({ type: 'verdict', verdict: await verdict(replies, { onprogress }) });
  } catch (error) {
    self.postMessage({ type: 'error', message: String(error && error.message ? error.message : error) });
  }
};
