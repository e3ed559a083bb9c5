// The roll of credentials signed by the registrar (docs/spec.md §8.12), as
// crypto/election/roll.py check_roll. The server stores the credential keys
// but is not trusted to say which are eligible: the registrar, whose key the
// key ceremony binds (committee.registrar, under H_E), signs
// H(registrar/roll, election id, H_E, count, roll hash) with roll hash
// H(board/roll, [keys in ascending byte order]), the hash the board's `roll`
// entry carries. The booth accepts the server's list (GET /credentials) only
// when it is exactly the roll signed for this key ceremony, and a code only
// when its key is on it.

import { bytesToHex, hexToBytes } from './bigint.js';
import { SignatureError, verifySignature } from './ed25519.js';
import { RollError } from './refusals.js';
import { Tag, digest } from './transcript.js';

const HEX32 = /^[0-9a-f]{64}$/;
const HEX64 = /^[0-9a-f]{128}$/;
export const MAX_VOTERS = 10_000_000;

/** H(board/roll, [credential keys in ascending byte order]) of keys given as bytes. */
export function rollHash(keys) {
  const sorted = [...keys].sort((x, y) => {
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  });
  return digest(Tag.BOARD_ROLL, sorted);
}

/** H(registrar/roll, election id, H_E, count, roll hash) of a wire `signed-roll` document. */
export function rollMessage(signed) {
  return digest(Tag.REGISTRAR_ROLL, signed.election_id, hexToBytes(signed.election, 32), signed.count,
    hexToBytes(signed.roll_hash, 32));
}

function readSignedRoll(value) {
  const keys = ['count', 'election', 'election_id', 'roll_hash', 'signature', 'type', 'version'];
  if (value === null || value === undefined) throw new RollError('unsigned', 'the registrar has not signed the roll');
  if (typeof value !== 'object' || Array.isArray(value) || Object.keys(value).sort().join() !== keys.join()) {
    throw new RollError('malformed', 'the signed roll is not a signed-roll document');
  }
  if (value.type !== 'signed-roll' || value.version !== 1) throw new RollError('malformed', 'the signed roll is not of version 1');
  if (typeof value.election_id !== 'string' || typeof value.election !== 'string' || !HEX32.test(value.election) ||
      !Number.isSafeInteger(value.count) || value.count < 0 || value.count > MAX_VOTERS ||
      typeof value.roll_hash !== 'string' || !HEX32.test(value.roll_hash) ||
      typeof value.signature !== 'string' || !HEX64.test(value.signature)) {
    throw new RollError('malformed', 'the signed roll has a malformed field');
  }
  return value;
}

/**
 * Check a GET /api/elections/<id>/credentials reply ({election_id,
 * credentials: [hex keys ascending], signed_roll}) against the registrar's
 * identity key (32 bytes) for election `electionId` whose base hash is
 * `electionHash` (hex): the signature is the registrar's, for this election
 * and key ceremony; the keys are strictly ascending; their number is the
 * signed count and their hash the signed roll hash. Returns the Set of the
 * keys (hex). Throws RollError.
 */
export async function checkRoll(reply, registrarKey, electionId, electionHash) {
  if (typeof reply !== 'object' || reply === null || !Array.isArray(reply.credentials)) {
    throw new RollError('malformed', 'the roll reply has no list of credentials');
  }
  const signed = readSignedRoll(reply.signed_roll);
  if (signed.election_id !== electionId) throw new RollError('election', 'the signed roll is for another election');
  if (signed.election !== electionHash) {
    throw new RollError('election', 'the registrar signed the roll of another key ceremony than this one');
  }
  try {
    await verifySignature(registrarKey, rollMessage(signed), hexToBytes(signed.signature, 64));
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    throw new RollError('signature', 'the roll is not signed by the registrar');
  }
  const listed = reply.credentials;
  listed.forEach((key, i) => {
    if (typeof key !== 'string' || !HEX32.test(key)) throw new RollError('malformed', `credential ${i} is not 32 bytes of hex`);
    if (i > 0 && !(listed[i - 1] < key)) throw new RollError('order', 'the credentials are not strictly ascending');
  });
  if (listed.length !== signed.count) {
    throw new RollError('count', `the roll holds ${listed.length} credentials; the registrar signed ${signed.count}`);
  }
  if (bytesToHex(rollHash(listed.map((k) => hexToBytes(k, 32)))) !== signed.roll_hash) {
    throw new RollError('hash', 'the roll is not the one the registrar signed');
  }
  return new Set(listed);
}

/** The registrar's identity key (32 bytes) of an opened election's key ceremony (§8.12). */
export function registrarKeyOf(election) {
  try {
    return hexToBytes(election.ceremony.committee.registrar.identity_key, 32);
  } catch {
    throw new RollError('malformed', "the key ceremony names no registrar's key");
  }
}
