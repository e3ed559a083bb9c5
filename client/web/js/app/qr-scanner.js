// Reading a credential sheet's QR code (it holds only the code) with the camera:
// the browser's BarcodeDetector where it has one, else jsQR (vendored, run in
// a classic worker, qr-worker.js). Frames never leave the device.

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
  }

  /** Open the camera and call `onText` once with the first QR code read. */
  async start(onText) {
    this.stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: 'environment' } },
      audio: false,
    });
    this.video.srcObject = this.stream;
    this.video.setAttribute('playsinline', '');
    this.video.muted = true;
    await this.video.play();
    this.detector = (await nativeDetector()) ?? workerDetector();
    const tick = async () => {
      if (!this.stream) return;
      let text = null;
      try {
        text = await this.detector.detect(this.video);
      } catch {
        text = null; // a frame that could not be read: try the next one
      }
      if (text && this.stream) {
        this.stop();
        onText(text);
        return;
      }
      if (this.stream) this.timer = setTimeout(tick, FRAME_MS);
    };
    tick();
  }

  stop() {
    clearTimeout(this.timer);
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.video.srcObject = null;
    this.detector?.close();
    this.detector = null;
  }
}
