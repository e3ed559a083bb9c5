// The receipt the booth received, kept on this device (localStorage, one per
// election: a later ballot's receipt replaces it) so that the board and
// results pages can hold it against the published board (docs/spec.md §8.9)
// without the voter finding the saved file. A receipt holds no vote and no
// code: only the tracking code, its position and the server's signature.

const PREFIX = 'kiemphieu-receipt:';

/** Keep `receipt` for election `electionId`; false when the browser refuses storage. */
export function keepReceipt(electionId, receipt) {
  try {
    globalThis.localStorage.setItem(PREFIX + electionId, JSON.stringify(receipt));
    return true;
  } catch {
    return false; // private mode or storage full: the voter still has the Save button
  }
}

/** The receipt kept for election `electionId`, or null. */
export function keptReceipt(electionId) {
  try {
    const text = globalThis.localStorage?.getItem(PREFIX + electionId);
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}
