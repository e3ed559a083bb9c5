// The committee bound into an election (docs/spec.md §8.10, §8.12), as
// crypto/election/committee.py: each trustee's card is signed by its own
// Ed25519 identity key over H(trustee/card, name, role, identity key, sealing
// key, N̂, s, t), so nobody but the member can change a name, a role or the
// parameters the dealer's factor proof was made to; the registrar's card over
// H(registrar/card, name, identity key). The index is not signed: the key
// ceremony places the cards, and H_E binds the ceremony (§8.2).

import { bytesEqual } from './bigint.js';
import { SignatureError, verifySignature } from './ed25519.js';
import { CardSignatureError, CommitteeError, RegistrarSignatureError } from './refusals.js';
import { Tag, digest } from './transcript.js';

/** H(trustee/card, name, role, identity key, sealing key, N̂, s, t) of a decoded trustee. */
export function cardMessage(trustee) {
  const { nHat, s, t } = trustee.pedersen;
  return digest(Tag.TRUSTEE_CARD, trustee.name, trustee.role, trustee.identityKey, trustee.encryptionKey, nHat, s, t);
}

/** H(registrar/card, name, identity key) of a decoded registrar card. */
export function registrarMessage(registrar) {
  return digest(Tag.REGISTRAR_CARD, registrar.name, registrar.identityKey);
}

function hasTwice(keys) {
  return keys.some((k, i) => keys.findIndex((other) => bytesEqual(other, k)) !== i);
}

/**
 * Indices 1..ℓ in order with ℓ = `size` (the number of verification keys),
 * and no identity or sealing key twice (two shares sealed to one key would
 * give one holder both). Throws CommitteeError.
 */
export function checkCommitteeShape(trustees, size) {
  if (trustees.length !== size) throw new CommitteeError(`the committee has ${trustees.length} members, ℓ = ${size}`);
  trustees.forEach((member, i) => {
    if (member.index !== i + 1) throw new CommitteeError(`member ${i + 1} of the committee has index ${member.index}`);
  });
  if (hasTwice(trustees.map((m) => m.identityKey))) throw new CommitteeError('two trustees share one identity key');
  if (hasTwice(trustees.map((m) => m.encryptionKey))) throw new CommitteeError('two trustees share one sealing key');
}

/**
 * Every trustee's card signature and the registrar's (Ed25519, strict as
 * libsodium). Throws CardSignatureError naming the member, or RegistrarSignatureError.
 */
export async function verifyCommitteeSignatures(committee) {
  for (const member of committee.trustees) {
    try {
      await verifySignature(member.identityKey, cardMessage(member), member.signature);
    } catch (error) {
      if (!(error instanceof SignatureError)) throw error;
      throw new CardSignatureError(member.index, `trustee ${member.index}: the card is not signed by its identity key`);
    }
  }
  const { registrar } = committee;
  try {
    await verifySignature(registrar.identityKey, registrarMessage(registrar), registrar.signature);
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    throw new RegistrarSignatureError("the registrar's card is not signed by its key");
  }
}
