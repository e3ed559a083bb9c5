// A pool of module Web Workers (worker.js) taking the independent n-th powers
// mod n² of one ballot's precomputation (docs/spec.md §3.2, §7.2) in parallel.
// Terms are handed out one at a time to whichever worker is free, so a busy
// core slows only its own share; results are put back in request order.

/** At most this many workers, however many cores the device reports. */
export const MAX_WORKERS = 8;

/**
 * Pool size for `count` powers: the requested size, else the device's
 * navigator.hardwareConcurrency (2 when unknown), never more than MAX_WORKERS
 * or `count`, at least 1.
 */
export function poolSize(count, requested, concurrency = globalThis.navigator?.hardwareConcurrency) {
  const wanted = Number.isInteger(requested) && requested > 0 ? requested : concurrency || 2;
  return Math.max(1, Math.min(wanted, count, MAX_WORKERS));
}

/** The browser's module worker for `url`. */
export function spawnModuleWorker(url) {
  return new Worker(url, { type: 'module' });
}

/** `size` workers from `spawn(url)`, each answering power requests (worker.js). */
export class PowerPool {
  #workers;

  constructor(url, size, spawn = spawnModuleWorker) {
    this.#workers = [];
    try {
      for (let i = 0; i < size; i++) this.#workers.push(spawn(url));
    } catch (error) {
      this.terminate();
      throw error;
    }
  }

  /**
   * (x·y^e mod n)^n mod n² for every term {x, y, e} (precompute.js termsOf),
   * in the order of `terms`;
   * `onPower(done, total)` after each. The workers are stopped when it settles.
   */
  powers(n, terms, onPower = () => {}) {
    const total = terms.length;
    const values = new Array(total);
    let next = 0;
    let done = 0;
    let settled = false;
    return new Promise((resolve, reject) => {
      const fail = (error) => {
        if (settled) return;
        settled = true;
        this.terminate();
        reject(error);
      };
      const send = (worker) => {
        if (next < total) {
          const index = next++;
          worker.postMessage({ type: 'power', index, n, ...terms[index] });
        }
      };
      if (total === 0) {
        settled = true;
        this.terminate();
        resolve(values);
        return;
      }
      for (const worker of this.#workers) {
        worker.onmessage = ({ data }) => {
          if (settled) return;
          const index = data ? data.index : null;
          if (!data || data.type !== 'power' || !Number.isSafeInteger(index) || index < 0 || index >= total) {
            fail(new Error(`precomputation failed: ${data && data.message ? data.message : 'unexpected reply'}`));
            return;
          }
          if (typeof data.value !== 'bigint' || values[index] !== undefined) {
            fail(new Error('precomputation failed: unexpected reply'));
            return;
          }
          values[index] = data.value;
          onPower(++done, total);
          if (done === total) {
            settled = true;
            this.terminate();
            resolve(values);
          } else {
            send(worker);
          }
        };
        worker.onerror = (event) => {
          fail(new Error(`precomputation worker failed: ${event && event.message ? event.message : 'unknown error'}`));
        };
        send(worker);
      }
    });
  }

  /** Stop every worker (pending powers are never answered). */
  terminate() {
    for (const worker of this.#workers) worker.terminate();
  }
}
