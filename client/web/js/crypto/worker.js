// Module Web Worker of the precomputation pool (workerpool.js): one n-th
// power mod n² per request (docs/spec.md §3.2, §7.2). It gets units modulo n
// drawn and prepared on the page's side; it never sees a vote, and a base
// alone does not reveal which branch of a proof is true.
//
// In:  {type: 'power', index, n, base}        (n and base BigInt, 0 < base < n)
// Out: {type: 'power', index, value}           (value = base^n mod n²)
//   or {type: 'error', index, message}

import { PaillierKey } from './paillier.js';

self.onmessage = ({ data }) => {
  const index = data && Number.isSafeInteger(data.index) ? data.index : null;
  if (!data || data.type !== 'power' || index === null || typeof data.n !== 'bigint' || typeof data.base !== 'bigint') {
    self.postMessage({ type: 'error', index, message: 'unknown request' });
    return;
  }
  try {
    const pk = new PaillierKey(data.n);
    if (!(data.base > 0n && data.base < pk.n)) throw new RangeError('base out of range');
    self.postMessage({ type: 'power', index, value: pk.rn(data.base) });
  } catch (error) {
    self.postMessage({ type: 'error', index, message: String(error && error.message ? error.message : error) });
  }
};
