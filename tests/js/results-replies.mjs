// The public replies (GET /api/elections/<id>, /shares, /tally, /result) of
// the vectors: tally.json under the key ceremony of threshold.json and the
// manifest of ballot.json, with trustee share documents signed here by the
// committee's identity seeds (seedOf, tests/vectors/README.md HashCoins).
// Shared by results-verdict.test.mjs and results-worker.test.mjs.

import { bigIntToBytes, bytesToHex } from '../../client/web/js/crypto/bigint.js';
import { signMessage } from '../../client/web/js/crypto/ed25519.js';
import { sharesMessage } from '../../client/web/js/results/trustees.js';
import { HashCoins } from './hashcoins.mjs';
import { vector } from './vectors.mjs';

const THRESHOLD = vector('threshold.json');
const TALLY = vector('tally.json');
const BALLOT = vector('ballot.json');

/** Trustee `index`'s Ed25519 identity seed in the vectors: HashCoins('test-512/trustee-<i>/identity').bits(256). */
export function seedOf(index) {
  return bigIntToBytes(new HashCoins(`test-512/trustee-${index}/identity`).bits(256), 32);
}

/** Fresh replies each call (copied, so a test may change them without touching the vectors). */
export async function replies() {
  const log = [];
  for (const [k, index] of TALLY.trustees.entries()) {
    const wire = {
      type: 'trustee-shares', version: 1, election: BALLOT.base_hash, index, purpose: 'tally',
      ciphertexts: TALLY.groups.map((g) => g.ciphertext),
      shares: TALLY.groups.map((g) => g.shares[k].share),
      signature: '00'.repeat(64),
    };
    wire.signature = bytesToHex(await signMessage(seedOf(index), sharesMessage({ wire })));
    log.push({ index, purpose: 'tally', valid: true, error: null, at: 'now', shares: wire });
  }
  return structuredClone({
    summary: {
      id: BALLOT.manifest.election_id, state: 'tallied', manifest: BALLOT.manifest,
      key_ceremony: THRESHOLD.key_ceremony, base_hash: BALLOT.base_hash,
    },
    shares: { shares: log },
    tally: { tally: TALLY.encrypted_tally, packed: TALLY.groups.map((g) => g.ciphertext), counted: [0, 1, 2, 3] },
    result: { state: 'tallied', result: null, counts: TALLY.counts },
  });
}
