// The results page's verification run in a module Web Worker (worker.js), so
// the page's main thread stays free while the share proofs are checked
// (seconds at 3072 bits). Where no worker can start (no Worker, a refused or
// missing script), the same verdict is computed on the page's thread instead.

import { verdict } from './verdict.js';

/** The worker script, next to this module (a plain URL: workers get no import map). */
export const WORKER_URL = new URL('./worker.js', import.meta.url);

/** The browser's module worker for `url`. */
export function spawnModuleWorker(url) {
  return new Worker(url, { type: 'module' });
}

function onPage(replies, onprogress) {
  return verdict(replies, { onprogress: (p) => onprogress({ ...p, runner: 'page' }) });
}

/**
 * The verdict of verifyTallyInBrowser on the replies, computed by a
 * worker from `spawn(workerUrl)`. `onprogress({check, index, total, runner})`
 * as each check starts, `runner` saying where it runs ('worker' or 'page').
 * A worker that cannot be created, or fails before its first message, is
 * replaced by a run on this thread; a worker that fails later rejects.
 */
export function verifyTallyInWorker(replies, { workerUrl = WORKER_URL, spawn = spawnModuleWorker, onprogress = () => {} } = {}) {
  let worker;
  try {
    worker = spawn(workerUrl);
  } catch {
    return onPage(replies, onprogress);
  }
  return new Promise((resolve, reject) => {
    let heard = false;
    let settled = false;
    const settle = (then, value) => {
      if (settled) return;
      settled = true;
      worker.terminate();
      then(value);
    };
    worker.onmessage = ({ data }) => {
      heard = true;
      if (settled) return;
      if (data && data.type === 'progress') {
        onprogress({ check: data.check, index: data.index, total: data.total, runner: 'worker' });
      } else if (data && data.type === 'verdict' && data.verdict && Array.isArray(data.verdict.checks)) {
        settle(resolve, data.verdict);
      } else {
        settle(reject, new Error(`verification failed: ${data && data.message ? data.message : 'unexpected reply'}`));
      }
    };
    worker.onerror = (event) => {
      event?.preventDefault?.();
      if (heard) settle(reject, new Error(`verification failed: ${event?.message || 'the worker stopped'}`));
      else settle(resolve, onPage(replies, onprogress));
    };
    worker.onmessageerror = () => settle(reject, new Error('verification failed: unreadable reply'));
    worker.postMessage({ type: 'verify', replies });
  });
}
