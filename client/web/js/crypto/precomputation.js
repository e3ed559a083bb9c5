// A running precomputation for one ballot: in a module Web Worker
// (worker.js) in the browser, inline where there is no Worker (node tests).

import { planOf, precomputeBallot, systemCoins } from './precompute.js';

/**
 * Started by startPrecompute(election). `.ready` resolves when done,
 * `.progress` runs 0..1 (and `.onprogress(progress)` is called), `.take()`
 * hands the result out once, `.terminate()` stops the work.
 */
export class Precompute {
  #result = null;
  #taken = false;
  #worker = null;
  #failed = null;

  constructor(election, { workerUrl, coins, inline } = {}) {
    this.progress = 0;
    this.onprogress = null;
    const plan = planOf(election);
    const useWorker = !inline && coins === undefined && typeof Worker !== 'undefined';
    this.ready = useWorker ? this.#inWorker(plan, workerUrl) : this.#inline(plan, coins ?? systemCoins);
    this.ready.catch((error) => {
      this.#failed = error;
    });
  }

  #report(done, total) {
    this.progress = total ? done / total : 1;
    if (typeof this.onprogress === 'function') this.onprogress(this.progress);
  }

  async #inline(plan, coins) {
    await null; // let the caller attach onprogress first
    this.#result = precomputeBallot(plan, coins, (done, total) => this.#report(done, total));
    this.#report(1, 1);
  }

  #inWorker(plan, workerUrl) {
    const url = workerUrl ?? new URL('./worker.js', import.meta.url);
    const worker = new Worker(url, { type: 'module' });
    this.#worker = worker;
    return new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => {
        if (data.type === 'progress') {
          this.#report(data.done, data.total);
        } else if (data.type === 'result') {
          this.#result = data.pre;
          this.#report(1, 1);
          worker.terminate();
          resolve();
        } else {
          worker.terminate();
          reject(new Error(`precomputation failed: ${data.message}`));
        }
      };
      worker.onerror = (event) => {
        worker.terminate();
        reject(new Error(`precomputation worker failed: ${event.message ?? 'unknown error'}`));
      };
      worker.postMessage({ type: 'precompute', plan });
    });
  }

  /** The finished precomputation, once; a second ballot needs a fresh Precompute. */
  take() {
    if (this.#failed) throw this.#failed;
    if (this.#taken) throw new Error('this precomputation was already used for a ballot');
    if (this.#result === null) throw new Error('the precomputation is not ready yet (await .ready)');
    this.#taken = true;
    const result = this.#result;
    this.#result = null;
    return result;
  }

  /** Stop the worker; the precomputation can no longer be taken. */
  terminate() {
    if (this.#worker) this.#worker.terminate();
    this.#taken = true;
    this.#result = null;
  }
}
