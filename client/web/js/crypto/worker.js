// Module Web Worker of the precomputation pool (workerpool.js): one n-th
// power mod n² per request (docs/spec.md §3.2, §7.2). It gets terms drawn
// and prepared on the page's side (units x, y modulo n and a 128-bit e: a
// nonce, r^(−1) and a simulated challenge); it never sees a vote, and a term
// does not tell which branch of a proof is true.
//
// In:  {type: 'power', index, n, x, y, e}      (BigInts, 0 < x, y < n, e ≥ 0)
// Out: {type: 'power', index, value}           (value = (x·y^e mod n)^n mod n²)
//   or {type: 'error', index, message}

import { PaillierKey } from './paillier.js';

const isBig = (v) => typeof v === 'bigint';

self.onmessage = ({ data }) => {
  const index = data && Number.isSafeInteger(data.index) ? data.index : null;
  if (!data || data.type !== 'power' || index === null || ![data.n, data.x, data.y, data.e].every(isBig)) {
    self.postMessage({ type: 'error', index, message: 'unknown request' });
    return;
  }
  try {
    const pk = new PaillierKey(data.n);
    const { x, y, e } = data;
    if (!(x > 0n && x < pk.n && y > 0n && y < pk.n && e >= 0n)) throw new RangeError('term out of range');
    self.postMessage({ type: 'power', index, value: pk.rnOfTerm({ x, y, e }) });
  } catch (error) {
    self.postMessage({ type: 'error', index, message: String(error && error.message ? error.message : error) });
  }
};
