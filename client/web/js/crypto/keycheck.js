// The booth's key check, page side: the key ceremony of an opened election
// (docs/spec.md §6.3, §6.5, §8.10; ceremony.js checkKeyCeremony) checked in a
// module Web Worker (keycheck-worker.js) started as soon as the election is
// opened, so it runs while the voter types the code. The booth encrypts
// nothing until `.done` has resolved; a refusal rejects it with the
// KeyCheckError subclass of the failed step (refusals.js).
//
// Where no worker can start (no Worker, a refused script), or a worker stops
// without a verdict, the same check runs on the page's thread instead: the
// check is never skipped.

import { checkKeyCeremony } from './ceremony.js';
import { refusalFrom } from './refusals.js';

/** The worker script, next to this module (a plain URL: workers get no import map). */
export const KEYCHECK_WORKER_URL = new URL('./keycheck-worker.js', import.meta.url);

/** The browser's module worker for `url`. */
export function spawnModuleWorker(url) {
  return new Worker(url, { type: 'module' });
}

/**
 * Started by startKeyCheck(election, {policy}). `.done` resolves to {timings,
 * runner: 'worker' | 'page'} or rejects; `.step` names the step under way and
 * `.onstep({step, index, total})` is called as each starts; `.passed` is
 * null, then true or false; `.terminate()` stops a worker still running.
 *
 * Options: `policy` (ceremony.js KEY_POLICIES; default 'standard'),
 * `workerUrl`, `spawn(url)` (default a module Web Worker; node tests pass
 * worker_threads), `inline` (run on this thread).
 */
export class KeyCheck {
  #worker = null;

  constructor(election, { policy = 'standard', workerUrl = KEYCHECK_WORKER_URL, spawn, inline = false } = {}) {
    this.step = null;
    this.passed = null;
    this.onstep = null;
    const request = { type: 'check', ceremony: election.ceremony, electionId: election.id, policy };
    const canSpawn = spawn !== undefined || typeof Worker !== 'undefined';
    this.done = (inline || !canSpawn ? this.#onPage(request) : this.#inWorker(request, workerUrl, spawn ?? spawnModuleWorker)).then(
      (outcome) => {
        this.passed = true;
        return outcome;
      },
      (error) => {
        this.passed = false;
        throw error;
      },
    );
  }

  #report(progress) {
    this.step = progress.step;
    if (typeof this.onstep === 'function') this.onstep(progress);
  }

  async #onPage(request) {
    await null; // let the caller attach onstep first
    const { timings } = await checkKeyCeremony(request.ceremony, {
      electionId: request.electionId, policy: request.policy, onstep: (p) => this.#report(p),
    });
    return { timings, runner: 'page' };
  }

  #inWorker(request, url, spawn) {
    let worker;
    try {
      worker = spawn(url);
    } catch {
      return this.#onPage(request);
    }
    this.#worker = worker;
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (then, value) => {
        if (settled) return;
        settled = true;
        worker.terminate();
        this.#worker = null;
        then(value);
      };
      const fallBack = () => settle(resolve, this.#onPage(request));
      worker.onmessage = ({ data }) => {
        if (settled) return;
        if (data && data.type === 'step') this.#report({ step: data.step, index: data.index, total: data.total });
        else if (data && data.type === 'done' && data.timings) settle(resolve, { timings: data.timings, runner: 'worker' });
        else if (data && data.type === 'refused' && data.refusal) settle(reject, refusalFrom(data.refusal));
        else fallBack(); // the worker could not run the check: run it here
      };
      worker.onerror = (event) => {
        event?.preventDefault?.();
        fallBack();
      };
      worker.onmessageerror = fallBack;
      worker.postMessage(request);
    });
  }

  /** Stop a worker still checking (the verdict is then never given). */
  terminate() {
    this.#worker?.terminate();
    this.#worker = null;
  }
}
