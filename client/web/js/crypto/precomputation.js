// A running precomputation for one ballot: the coins are drawn here, on the
// page's side, and the independent n-th powers are shared out to a pool of
// module Web Workers (workerpool.js, worker.js); inline where there is no
// Worker (node tests).

import {
  assemblePrecomputation, drawBallot, planOf, powersOf, precomputeBallot, systemCoins, termsOf,
} from './precompute.js';
import { PowerPool, poolSize, spawnModuleWorker } from './workerpool.js';

/**
 * Started by startPrecompute(election). `.ready` resolves when done,
 * `.progress` runs 0..1 (and `.onprogress(progress)` is called), `.take()`
 * hands the result out once, `.terminate()` stops the work.
 *
 * Options: `workerUrl` (default ./worker.js next to this module), `inline`
 * (no workers), `coins` (tests only: deterministic coins, drawn in the same
 * order either way), `workers` (pool size, default from the device's
 * hardwareConcurrency), `spawn(url)` (how a worker is made; default a module
 * Web Worker, node tests pass worker_threads).
 */
export class Precompute {
  #result = null;
  #taken = false;
  #pool = null;
  #failed = null;

  constructor(election, { workerUrl, coins, inline, workers, spawn } = {}) {
    this.progress = 0;
    this.onprogress = null;
    const plan = planOf(election);
    const canSpawn = spawn !== undefined || typeof Worker !== 'undefined';
    this.ready =
      !inline && canSpawn
        ? this.#inPool(plan, coins ?? systemCoins, { workerUrl, workers, spawn: spawn ?? spawnModuleWorker })
        : this.#inline(plan, coins ?? systemCoins);
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

  async #inPool(plan, coins, { workerUrl, workers, spawn }) {
    // Runs synchronously up to the first await. The workers are started
    // first, so they load their modules while the coins are drawn here.
    const url = workerUrl ?? new URL('./worker.js', import.meta.url);
    this.#pool = new PowerPool(url, poolSize(powersOf(plan), workers), spawn);
    let drawn;
    let terms;
    try {
      drawn = drawBallot(plan, coins);
      terms = termsOf(drawn);
    } catch (error) {
      this.#pool.terminate();
      throw error;
    }
    const powers = await this.#pool.powers(drawn.pk.n, terms, (done, total) => this.#report(done, total));
    this.#result = assemblePrecomputation(drawn, powers);
    this.#report(1, 1);
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

  /** Stop the workers; the precomputation can no longer be taken. */
  terminate() {
    if (this.#pool) this.#pool.terminate();
    this.#taken = true;
    this.#result = null;
  }
}
