// Reading a credential sheet's QR code (it holds only the code) with the camera:
// the browser's BarcodeDetector where it has one, else jsQR (vendored, run in
// a classic worker, qr-worker.js). Frames never leave the device. CodeScanner
// is the booth's scan panel: only a credential code read gets through.

import { CredentialError, formatCredential } from '../crypto/index.js';
import { announce, setMessage } from './dom.js';

const FRAME_MS = 250;

export function cameraAvailable() {
  return Boolean(globalThis.navigator?.mediaDevices?.getUserMedia);
}

async function nativeDetector() {
  if (!('BarcodeDetector' in globalThis)) return null;
  try {
    const formats = await globalThis.BarcodeDetector.getSupportedFormats();
    if (!formats.includes('qr_code')) return null;
    const detector = new globalThis.BarcodeDetector({ formats: ['qr_code'] });
    return {
      detect: async (video) => (await detector.detect(video))[0]?.rawValue ?? null,
      close() {},
    };
  } catch {
    return null;
  }
}

function workerDetector() {
  const worker = new Worker(new URL('./qr-worker.js', import.meta.url));
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  return {
    detect(video) {
      const width = video.videoWidth;
      const height = video.videoHeight;
      if (!width || !height) return Promise.resolve(null);
      canvas.width = width;
      canvas.height = height;
      context.drawImage(video, 0, 0, width, height);
      const { data } = context.getImageData(0, 0, width, height);
      return new Promise((resolve) => {
        worker.onmessage = (event) => resolve(typeof event.data === 'string' ? event.data : null);
        worker.onerror = () => resolve(null);
        worker.postMessage({ width, height, buffer: data.buffer }, [data.buffer]);
      });
    },
    close() {
      worker.terminate();
    },
  };
}

export class QrScanner {
  constructor(video) {
    this.video = video;
    this.stream = null;
    this.detector = null;
    this.timer = null;
    this.session = null; // one per start(); stop() ends it, and with it any start still under way
  }

  /** Open the camera and call `onText` once with the first QR code read.
   *  A stop() while the camera is still opening closes it as soon as it opens. */
  async start(onText) {
    this.stop();
    const session = {};
    this.session = session;
    const current = () => this.session === session;
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: 'environment' } },
      audio: false,
    });
    if (!current()) {
      stream.getTracks().forEach((track) => track.stop());
      return;
    }
    this.stream = stream;
    this.video.srcObject = stream;
    this.video.setAttribute('playsinline', '');
    this.video.muted = true;
    try {
      await this.video.play();
    } catch (err) {
      if (!current()) return; // stopped while starting to play
      throw err;
    }
    const detector = (await nativeDetector()) ?? workerDetector();
    if (!current()) {
      detector.close();
      return;
    }
    this.detector = detector;
    const tick = async () => {
      if (!current()) return;
      let text = null;
      try {
        text = await detector.detect(this.video);
      } catch {
        text = null; // a frame that could not be read: try the next one
      }
      if (!current()) return;
      if (text) {
        this.stop();
        onText(text);
        return;
      }
      this.timer = setTimeout(tick, FRAME_MS);
    };
    tick();
  }

  stop() {
    this.session = null;
    clearTimeout(this.timer);
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.video.srcObject = null;
    this.detector?.close();
    this.detector = null;
  }
}

/**
 * The code step's scan panel (index.html #scanner). open() shows it with the
 * camera's picture; the first QR code read closes it and releases the camera.
 * A credential code goes to `onCode` in its grouped form; anything else (a web
 * address, some other QR code) is refused with a message in `messageBox` and
 * never reaches the code field. close() releases the camera, also one that is
 * still opening.
 */
export class CodeScanner {
  constructor({ panel, video, stopButton, scanButton, messageBox, onCode }) {
    this.scanner = new QrScanner(video);
    Object.assign(this, { panel, stopButton, scanButton, messageBox, onCode });
  }

  async open() {
    setMessage(this.messageBox, null, null);
    this.panel.hidden = false;
    try {
      await this.scanner.start((text) => this.read(text));
      if (!this.panel.hidden) this.stopButton.focus();
    } catch (err) {
      this.close(); // a camera that opened but cannot play is released too
      setMessage(this.messageBox, 'error', 'code.cameraError');
      console.error(err);
    }
  }

  read(text) {
    this.close();
    let code;
    try {
      code = formatCredential(text);
    } catch (err) {
      if (!(err instanceof CredentialError)) throw err;
      setMessage(this.messageBox, 'error', 'code.scanNotCode');
      this.scanButton.focus();
      return;
    }
    announce('code.scanned');
    this.onCode(code);
  }

  close() {
    this.scanner.stop();
    this.panel.hidden = true;
  }
}
