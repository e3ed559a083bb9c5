// The five public replies (GET /api/elections/<id>, /trustees, /shares, /tally,
// /result) of the vectors: tally.json under the key of threshold.json and the
// manifest of ballot.json, with trustee share documents signed here (seedOf).
// Shared by results-verdict.test.mjs and results-worker.test.mjs.

import { bytesToHex } from '../../client/web/js/crypto/bigint.js';
import { publicKeyOf, signMessage } from '../../client/web/js/crypto/ed25519.js';
import { sharesMessage } from '../../client/web/js/results/trustees.js';
import { vector } from './vectors.mjs';

const THRESHOLD = vector('threshold.json');
const TALLY = vector('tally.json');
const BALLOT = vector('ballot.json');

export function seedOf(index) {
  return new Uint8Array(32).fill(index);
}

/** Fresh replies each call (copied, so a test may change them without touching the vectors). */
export async function replies() {
  const trustees = [];
  for (let i = 1; i <= 5; i++) {
    trustees.push({
      type: 'trustee', version: 1, index: i, name: `T${i}`, role: '',
      identity_key: bytesToHex(await publicKeyOf(seedOf(i))), encryption_key: '00'.repeat(32),
    });
  }
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
  const ceremony = {
    type: 'key-ceremony', version: 1, election_id: BALLOT.manifest.election_id, key: THRESHOLD.key,
    modulus_proof: THRESHOLD.modulus_proof, test_plaintext: THRESHOLD.test_plaintext,
    test_ciphertext: THRESHOLD.test_ciphertext,
  };
  return structuredClone({
    summary: {
      id: BALLOT.manifest.election_id, state: 'tallied', manifest: BALLOT.manifest,
      key_ceremony: ceremony, base_hash: BALLOT.base_hash,
    },
    trustees: { trustees },
    shares: { shares: log },
    tally: { tally: TALLY.encrypted_tally, packed: TALLY.groups.map((g) => g.ciphertext), counted: [0, 1, 2, 3] },
    result: { state: 'tallied', result: null, counts: TALLY.counts },
  });
}
