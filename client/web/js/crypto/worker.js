// Module Web Worker: the vote-independent exponentiations of one ballot
// (docs/spec.md §3.2, §7.2), started by Precompute (precomputation.js).
// It draws its own coins from crypto.getRandomValues; the vote never reaches it.
//
// In:  {type: 'precompute', plan}                  (plan from precompute.js planOf)
// Out: {type: 'progress', done, total} …, then {type: 'result', pre} or {type: 'error', message}

import { precomputeBallot } from './precompute.js';

self.onmessage = ({ data }) => {
  if (!data || data.type !== 'precompute') {
    self.postMessage({ type: 'error', message: 'unknown request' });
    return;
  }
  try {
    let last = 0;
    const pre = precomputeBallot(data.plan, undefined, (done, total) => {
      const now = Date.now();
      if (now - last > 50 || done === total) {
        last = now;
        self.postMessage({ type: 'progress', done, total });
      }
    });
    self.postMessage({ type: 'result', pre });
  } catch (error) {
    self.postMessage({ type: 'error', message: String(error && error.message ? error.message : error) });
  }
};
