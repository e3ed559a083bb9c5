// Module Web Worker of the booth's key check (keycheck.js): the election's
// key ceremony checked off the page's main thread (docs/spec.md §6.3, §6.5,
// §8.2, §8.10, §12.8; ceremony.js), while the voter types the code. It imports only
// relative modules (the page's import map does not apply inside a worker) and
// sees only public data: the key ceremony, the election id and the policy.
//
// In:  {type: 'check', ceremony, electionId, policy}
// Out: {type: 'step', step, index, total}    as each step starts (ceremony.js STEPS)
//      then {type: 'done', timings}          ({step: ms})
//   or {type: 'refused', refusal}            (refusals.js refusalData: the step that failed)
//   or {type: 'error', message}              (a bad request or a programming error)

import { checkKeyCeremony } from './ceremony.js';
import { KeyCheckError, refusalData } from './refusals.js';

self.onmessage = async ({ data }) => {
  if (!data || data.type !== 'check' || typeof data.electionId !== 'string' || typeof data.policy !== 'string') {
    self.postMessage({ type: 'error', message: 'unknown request' });
    return;
  }
  try {
    const onstep = ({ step, index, total }) => self.postMessage({ type: 'step', step, index, total });
    const { timings } = await checkKeyCeremony(data.ceremony, { electionId: data.electionId, policy: data.policy, onstep });
    self.postMessage({ type: 'done', timings });
  } catch (error) {
    if (error instanceof KeyCheckError) self.postMessage({ type: 'refused', refusal: refusalData(error) });
    else self.postMessage({ type: 'error', message: String(error && error.message ? error.message : error) });
  }
};
