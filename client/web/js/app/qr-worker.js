// Classic worker: decodes one camera frame with jsQR (vendored, a UMD script
// that needs a classic global scope) and answers with the text or null.
/* global importScripts, jsQR */
importScripts('/vendor/jsqr/dist/jsQR.js');

self.onmessage = (event) => {
  const { width, height, buffer } = event.data;
  const found = jsQR(new Uint8ClampedArray(buffer), width, height, { inversionAttempts: 'attemptBoth' });
  self.postMessage(found ? found.data : null);
};
