// The booth's key check (client/web/js/crypto/ceremony.js, docs/spec.md §6.3,
// §6.5, §8.10, §12.8) timed in node, step by step, on a real key ceremony.
//
//   node tests/benchmarks/booth_key_check.mjs CEREMONY.json [--policy standard] [--repeat 3] [--worker] [--json]
//
// CEREMONY.json is a `key-ceremony` v3 document in wire form (or a GET
// /api/elections/<id> reply holding one in `key_ceremony`); make a 3072-bit
// one with the Python package (tests/support/committee.py shows how: cards
// with make_ring_pedersen(2048, …), deal(…, 3072, …, verifiers=…), publish;
// or a generated key: tests/vectors/make_keygen_ceremony.py, publish_generated).
// Each step's time is the median of --repeat runs on this thread; the first
// run (module and table warm-up, the Ed25519 precomputation) is reported
// apart. With --worker the whole check also runs once in keycheck-worker.js
// (a node worker thread standing in for the module Web Worker), start-up
// included, as the booth runs it.

import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bitLength, hexToBigInt } from '../../client/web/js/crypto/bigint.js';
import { checkKeyCeremony, stepsOf } from '../../client/web/js/crypto/ceremony.js';
import { KeyCheck } from '../../client/web/js/crypto/keycheck.js';
import { ROOT } from '../js/vectors.mjs';
import { ThreadWorker } from '../js/webworker.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const file = args.find((a, i) => !a.startsWith('--') && !['--policy', '--repeat'].includes(args[i - 1]));
if (!file) {
  console.error('usage: node tests/benchmarks/booth_key_check.mjs CEREMONY.json [--policy standard] [--repeat 3] [--worker] [--json]');
  process.exit(2);
}
const policy = option('--policy', 'standard');
const repeat = Number(option('--repeat', '3'));
if (!Number.isInteger(repeat) || repeat < 1) throw new RangeError('--repeat takes a positive integer');

const loaded = JSON.parse(readFileSync(file, 'utf8'));
const ceremony = loaded.type === 'key-ceremony' ? loaded : loaded.key_ceremony;
const electionId = ceremony.election_id;
const STEPS = stepsOf(ceremony);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed() {
  const t0 = performance.now();
  const { timings } = await checkKeyCeremony(ceremony, { electionId, policy });
  return { timings, total: performance.now() - t0 };
}

const first = await timed();
const runs = [];
for (let i = 0; i < repeat; i++) runs.push(await timed());

let worker = null;
if (args.includes('--worker')) {
  const url = pathToFileURL(join(ROOT, 'client', 'web', 'js', 'crypto', 'keycheck-worker.js'));
  const t0 = performance.now();
  const check = new KeyCheck({ id: electionId, ceremony }, { policy, workerUrl: url, spawn: (u) => new ThreadWorker(u) });
  const outcome = await check.done;
  worker = { runner: outcome.runner, total: performance.now() - t0 };
}

const report = {
  file,
  policy,
  n_bits: bitLength(hexToBigInt(ceremony.key.n)),
  n_hat_bits: ceremony.committee.trustees.map((t) => bitLength(hexToBigInt(t.pedersen.n_hat))),
  trustees: ceremony.committee.trustees.length,
  generation: ceremony.generation,
  repeat,
  node: process.version,
  loadavg: loadavg().map((x) => Number(x.toFixed(2))),
  first_run_ms: Object.fromEntries([...STEPS.map((s) => [s, first.timings[s]]), ['total', first.total]].map(([k, v]) => [k, Number(v.toFixed(1))])),
  median_ms: Object.fromEntries(
    [...STEPS.map((s) => [s, median(runs.map((r) => r.timings[s]))]), ['total', median(runs.map((r) => r.total))]]
      .map(([k, v]) => [k, Number(v.toFixed(1))]),
  ),
  worker_ms: worker && { runner: worker.runner, total: Number(worker.total.toFixed(1)) },
};

if (args.includes('--json')) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  console.log(`key check of ${file}: n ${report.n_bits} bits, ${report.trustees} trustees (N̂ ${[...new Set(report.n_hat_bits)].join('/')} bits), policy ${policy}`);
  console.log(`node ${report.node}, load average ${report.loadavg.join(' ')}, median of ${repeat} runs after a first one`);
  console.log('step                 first run   median');
  for (const step of [...STEPS, 'total']) {
    console.log(`${step.padEnd(20)} ${String(report.first_run_ms[step]).padStart(9)} ms ${String(report.median_ms[step]).padStart(7)} ms`);
  }
  if (worker) console.log(`in the worker (start-up included): ${report.worker_ms.total} ms (${worker.runner})`);
}
