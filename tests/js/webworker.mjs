// A module Web Worker in node: a worker_threads thread that gives the worker
// module the Web Worker globals it uses (self.onmessage, self.postMessage),
// behind the page-side Worker interface (onmessage, onerror, postMessage,
// terminate). Used as Precompute's `spawn` by the tests and the benchmark.

import { Worker } from 'node:worker_threads';

const shim = (url) => `
  import { parentPort } from 'node:worker_threads';
  globalThis.self = globalThis;
  globalThis.postMessage = (data) => parentPort.postMessage(data);
  await import(${JSON.stringify(String(url))});
  parentPort.on('message', (data) => globalThis.onmessage({ data }));
`;

/** The worker module at `url` (file: URL) running in a new thread. */
export class ThreadWorker {
  #thread;

  constructor(url) {
    this.onmessage = null;
    this.onerror = null;
    this.#thread = new Worker(shim(url), { eval: true, type: 'module' });
    this.#thread.on('message', (data) => this.onmessage?.({ data }));
    this.#thread.on('error', (error) => this.onerror?.({ message: error.message }));
  }

  postMessage(data) {
    this.#thread.postMessage(data);
  }

  terminate() {
    this.#thread.terminate();
  }
}

/** Precompute's `spawn` option: a ThreadWorker per call, remembered in `spawned`. */
export function threadSpawner() {
  const spawned = [];
  const spawn = (url) => {
    const worker = new ThreadWorker(url);
    spawned.push({ url: String(url), worker });
    return worker;
  };
  return { spawn, spawned };
}
