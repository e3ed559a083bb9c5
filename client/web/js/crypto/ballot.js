// Ballots (docs/spec.md §8.5): selections → answers (ciphertexts and
// membership proofs, a sum proof for multiple choice), the signature by the
// credential, the tracking code, and the ballot-audit document (§8.11).

import { bigIntToHex, bytesToHex } from './bigint.js';
import { canonicalBytes, canonicalString } from './canonical.js';
import { finishProof } from './membership.js';
import { Tag, digest } from './transcript.js';

export const ZERO_SIGNATURE_HEX = '00'.repeat(64);

function hexProof(p) {
  return { a: p.a.map(bigIntToHex), e: p.e.map(bigIntToHex), z: p.z.map(bigIntToHex) };
}

/**
 * Per part, the index of its plaintext in the allowed set for one question's
 * selection (confidence: level or null per row; single: option or null;
 * multiple: distinct option indices within min..max). Throws RangeError.
 */
export function partIndices(shape, selection) {
  const k = shape.levels;
  const isIndex = (x) => Number.isInteger(x) && x >= 0 && x < k;
  if (shape.kind === 'confidence') {
    if (!Array.isArray(selection) || selection.length !== shape.parts.length) {
      throw new RangeError(`question ${shape.id}: give one level (or null) per row`);
    }
    return selection.map((level) => {
      if (level === null) return k;
      if (isIndex(level)) return level;
      throw new RangeError(`question ${shape.id}: level ${level} out of range`);
    });
  }
  if (shape.kind === 'single') {
    if (selection === null && shape.blank) return [k];
    if (isIndex(selection)) return [selection];
    throw new RangeError(`question ${shape.id}: choice ${selection} not allowed`);
  }
  if (!Array.isArray(selection) || !selection.every(isIndex) || new Set(selection).size !== selection.length) {
    throw new RangeError(`question ${shape.id}: give distinct option indices`);
  }
  if (selection.length < shape.min || selection.length > shape.max) {
    throw new RangeError(`question ${shape.id}: choose ${shape.min} to ${shape.max} options`);
  }
  return shape.parts.map((_, i) => (selection.includes(i) ? 1 : 0));
}

/** The facade's selection for one question from its part indices (inverse of partIndices). */
export function selectionOf(shape, indices) {
  const k = shape.levels;
  if (shape.kind === 'confidence') return indices.map((i) => (i === k ? null : i));
  if (shape.kind === 'single') return indices[0] === k ? null : indices[0];
  return indices.flatMap((x, i) => (x === 1 ? [i] : []));
}

/** Check that a precomputation was made for this election's shape. */
export function checkPrecomputation(election, pre) {
  const shapes = election.shapes;
  const fits =
    pre.n === bigIntToHex(election.key.n) &&
    pre.questions.length === shapes.length &&
    pre.questions.every(
      (q, i) =>
        q.parts.length === shapes[i].parts.length &&
        q.parts.every((p) => p.sims.length === shapes[i].allowed.length - 1) &&
        (q.sum === null) === (shapes[i].sum === null),
    );
  if (!fits) throw new RangeError('the precomputation was made for another election');
}

/** The wire answers (§8.5) for per-question part indices, from a precomputation. */
export function encryptAnswers(election, credentialHex, indices, pre) {
  checkPrecomputation(election, pre);
  const pk = election.key;
  const credential = credentialHex instanceof Uint8Array ? credentialHex : hexBytes(credentialHex);
  return election.shapes.map((shape, qi) => {
    const q = pre.questions[qi];
    const cts = [];
    const proofs = [];
    shape.parts.forEach((part, pi) => {
      const idx = indices[qi][pi];
      const c = pk.encryptWithRn(shape.allowed[idx], q.parts[pi].rn);
      const st = { c, allowed: shape.allowed, context: election.hash, credential, question: shape.id, part };
      proofs.push(hexProof(finishProof(pk, st, idx, q.parts[pi])));
      cts.push(c);
    });
    let sumProof = null;
    if (shape.sum !== null) {
      const c = cts.reduce((acc, x) => (acc * x) % pk.n2, 1n);
      const count = indices[qi].reduce((s, x) => s + x, 0);
      const st = { c, allowed: shape.sum, context: election.hash, credential, question: shape.id, part: 'sum' };
      sumProof = hexProof(finishProof(pk, st, count - shape.min, q.sum));
    }
    return { ciphertexts: cts.map(bigIntToHex), proofs, question: shape.id, sum_proof: sumProof };
  });
}

function hexBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** H(ballot/signature, canonical bytes of the ballot with a zero signature) (§8.5). */
export function signingMessage(ballot) {
  return digest(Tag.BALLOT_SIGNATURE, canonicalBytes({ ...ballot, signature: ZERO_SIGNATURE_HEX }));
}

/** H(ballot, canonical bytes of the signed ballot), as hex (§8.5). */
export function trackingCodeOf(ballot) {
  return bytesToHex(digest(Tag.BALLOT, canonicalBytes(ballot)));
}

/** The part indices of every question's selection; RangeError for a refused selection. */
export function checkSelections(election, credential, selections) {
  if (credential.electionId !== election.id) throw new RangeError('the credential belongs to another election');
  if (!Array.isArray(selections) || selections.length !== election.shapes.length) {
    throw new RangeError('give one selection per question, in manifest order');
  }
  return election.shapes.map((shape, i) => partIndices(shape, selections[i]));
}

/**
 * Encrypt, prove and sign: {ballot, trackingCode, audit}. `selections` per
 * question in manifest order; `pre` a precomputation (precompute.js).
 */
export async function assembleBallot(election, credential, selections, pre) {
  const indices = checkSelections(election, credential, selections);
  const answers = encryptAnswers(election, credential.publicKey, indices, pre);
  const unsigned = {
    answers, credential: credential.publicKeyHex, election: election.hashHex, signature: ZERO_SIGNATURE_HEX,
    type: 'ballot', version: 1,
  };
  const signature = await credential.sign(signingMessage(unsigned));
  const ballot = { ...unsigned, signature: bytesToHex(signature) };
  const audit = {
    ballot: unsigned,
    coins: pre.coins.map(bigIntToHex),
    selections: election.shapes.map((shape, i) => ({ choices: indices[i], question: shape.id })),
    type: 'ballot-audit',
    version: 1,
  };
  return { ballot, trackingCode: trackingCodeOf(ballot), audit };
}

/** Canonical text of a wire value, for byte-for-byte comparisons. */
export function sameBytes(a, b) {
  return canonicalString(a) === canonicalString(b);
}
