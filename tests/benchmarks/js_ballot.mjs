// Booth cryptography at 3072 bits in node (issue 5 benchmark; the browser
// figure is measured separately in headless Chromium).
//
//   node tests/benchmarks/js_ballot.mjs [--repeat 3] [--workers N] [--json]
//
// Election: one confidence question of 5 rows, 3 levels and blank (4 slots),
// under the 3072-bit modulus of tests/benchmarks/modulus-3072.json. Measures
// (1) the vote-independent precomputation (what the Web Worker does while the
// voter reads: 5 × (1 + 3 + 1) = 25 n-th powers mod n²) and (2) the work after
// the cast click: encrypt, prove and sign from the precomputation, and also
// (3) the whole ballot without precomputation. With --workers N the
// precomputation runs as in the browser: coins drawn on the main thread, the
// n-th powers shared out to a pool of N worker.js instances (node worker
// threads standing in for module Web Workers, tests/js/webworker.mjs), worker
// start-up included; without it, inline in one thread. CPU is the whole
// process (all threads); the load average is printed because other work on
// the machine changes wall times.

import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as booth from '../../client/web/js/crypto/index.js';
import { bigIntToHex, bytesToHex, hexToBigInt } from '../../client/web/js/crypto/bigint.js';
import { baseHash } from '../../client/web/js/crypto/election.js';
import { threadSpawner } from '../js/webworker.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const repeat = args.includes('--repeat') ? Number(args[args.indexOf('--repeat') + 1]) : 3;
const asJson = args.includes('--json');
const workers = args.includes('--workers') ? Number(args[args.indexOf('--workers') + 1]) : 0;
if (!Number.isInteger(workers) || workers < 0) throw new RangeError('--workers takes a non-negative integer');
const precomputeOptions = () => (workers ? { workers, spawn: threadSpawner().spawn } : { inline: true });

const n = hexToBigInt(JSON.parse(readFileSync(join(HERE, 'modulus-3072.json'), 'utf8')).n);
const text = (vi, en) => ({ en, vi });
const manifest = {
  type: 'manifest', version: 1, election_id: 'bench-3072', counter_bits: 24, rules: null, meeting: null,
  title: text('Đo thời gian', 'Benchmark'), description: text('Đo thời gian', 'Benchmark'),
  questions: [{
    id: 'leaders', kind: 'confidence', title: text('Lãnh đạo', 'Leaders'), blank: true, min_choices: 0, max_choices: 0,
    options: [['high', 'Cao', 'High'], ['mid', 'Vừa', 'Mid'], ['low', 'Thấp', 'Low']].map(([id, vi, en]) => ({ id, label: text(vi, en) })),
    rows: [1, 2, 3, 4, 5].map((i) => ({ id: `p${i}`, label: text(`Người ${i}`, `Person ${i}`) })),
  }],
};
// Only n enters a ballot, and the rest of the key ceremony only through H_E:
// fixed stand-ins here (openElection reads the key; the booth's key check,
// which this benchmark does not time, would refuse them).
const key = { n: bigIntToHex(n), v: '4', vks: ['10'], t: 1 };
const ceremony = {
  type: 'key-ceremony', version: 2, election_id: 'bench-3072', key,
  committee: null, modulus_proof: null, factor_proofs: [], test_plaintext: '0', test_ciphertext: '1',
};
const summary = {
  id: 'bench-3072', state: 'open', manifest, key_ceremony: ceremony,
  base_hash: bytesToHex(baseHash(manifest, ceremony)),
};

const election = await booth.openElection(summary);
const credential = await booth.deriveCredential(election, '0123-4567-89AB-CDEF-GHJK-MNPQ-RS1');
const selections = [[0, 1, 2, null, 0]];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const cpuMs = (c0) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
const pre = [];
const preCpu = [];
const after = [];
const whole = [];
for (let i = 0; i < repeat; i++) {
  let t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const p = booth.startPrecompute(election, precomputeOptions());
  await p.ready;
  pre.push(ms(t0));
  preCpu.push(cpuMs(c0));
  t0 = process.hrtime.bigint();
  await booth.encryptBallot(election, credential, selections, { precompute: p });
  after.push(ms(t0));
  t0 = process.hrtime.bigint();
  await booth.encryptBallot(election, credential, selections);
  whole.push(ms(t0));
}
const figures = {
  bits: election.key.bits, rows: 5, slots: 4, repeat, node: process.version, workers, loadavg: loadavg(),
  precompute_ms: median(pre), precompute_cpu_ms: median(preCpu), after_precompute_ms: median(after), whole_ballot_ms: median(whole),
  all_ms: { precompute: pre, precompute_cpu: preCpu, after_precompute: after, whole_ballot: whole },
};
if (asJson) {
  console.log(JSON.stringify(figures, null, 2));
} else {
  const load = figures.loadavg.map((x) => x.toFixed(2)).join(' ');
  console.log(`booth ballot at ${figures.bits} bits, 5 rows × 4 slots, node ${figures.node}, median of ${repeat}, load ${load}:`);
  const where = workers ? `${workers} worker thread${workers > 1 ? 's' : ''}` : 'inline';
  console.log(`  precompute (${where}, while reading)   ${figures.precompute_ms.toFixed(0)} ms (CPU ${figures.precompute_cpu_ms.toFixed(0)} ms)`);
  console.log(`  encrypt + prove + sign after click   ${figures.after_precompute_ms.toFixed(1)} ms`);
  console.log(`  whole ballot without precompute      ${figures.whole_ballot_ms.toFixed(0)} ms`);
}
