// The booth's timeline as User Timing marks (performance.mark), read by the
// browser benchmark (tests/benchmarks/booth_browser.py, docs/performance.md
// "Booth in the browser"). Marks stay in this page; nothing is sent anywhere.

export const MARK = Object.freeze({
  precomputeStart: 'kiemphieu:precompute-start', // the vote-independent work starts
  precomputeEnd: 'kiemphieu:precompute-end', // ... and is ready
  keyCheckStart: 'kiemphieu:key-check-start', // the key ceremony check starts (in its worker)
  keyCheckEnd: 'kiemphieu:key-check-end', // ... and has passed
  sealStart: 'kiemphieu:seal-start', // the choices are encrypted, proven and signed
  sealEnd: 'kiemphieu:seal-end',
  cast: 'kiemphieu:cast', // the voter pressed "cast"
  receipt: 'kiemphieu:receipt', // the receipt is shown
  receiptChecked: 'kiemphieu:receipt-checked', // its signature checked here
});

export function mark(name) {
  globalThis.performance?.mark?.(name);
}

/** Start a precomputation with `start()`, marking its start and its end. */
export function markedPrecompute(start) {
  mark(MARK.precomputeStart);
  const precompute = start();
  precompute.ready.then(() => mark(MARK.precomputeEnd), () => {}); // a dropped one marks nothing
  return precompute;
}
