// The election as the results page needs it: the manifest's shape and rules,
// the key ceremony (its threshold key and its committee), and the base hash
// H_E recomputed from the manifest and the whole ceremony (docs/spec.md §8.1,
// §8.2, §8.8, §8.10; H_E by the booth's crypto/election.js).

import { canonicalBytes } from '../crypto/canonical.js';
import { baseHash } from '../crypto/election.js';
import { bigHex, bool, documentOf, list, object, oneOf, ReplyError, smallInt, text } from './reply.js';

export const MAX_TRUSTEES = 255;
export const MAX_VOTERS = 10_000_000;
export const BLANK = 'blank';
export const CHOSEN = 'chosen';
export const KINDS = ['confidence', 'single', 'multiple'];
export const DENOMINATORS = ['returned', 'issued', 'summoned', 'valid'];
export const COMPARISONS = ['more-than', 'at-least'];

const MANIFEST_KEYS = ['election_id', 'title', 'description', 'questions', 'counter_bits', 'rules', 'meeting'];
const QUESTION_KEYS = ['id', 'kind', 'title', 'options', 'rows', 'blank', 'min_choices', 'max_choices'];
const RULES_KEYS = ['summoned', 'quorum', 'denominator', 'thresholds', 'revote', 'trustees', 'threshold'];
const THRESHOLD_KEYS = ['id', 'question', 'slot', 'comparison', 'fraction', 'denominator', 'label'];
const CEREMONY_KEYS = [
  'election_id', 'committee', 'key', 'generation', 'modulus_proof', 'factor_proofs', 'transcript', 'test_plaintext',
  'test_ciphertext',
];
export const CEREMONY_VERSION = 3;
/** Who made the key (`key-ceremony` v3): a dealer (§4.1) or the committee itself (§12). */
export const GENERATIONS = ['dealer', 'committee'];

function ids(items, path) {
  return list(items, path, 0, 60).map((c, i) => text(object(c, `${path}[${i}]`).id, `${path}[${i}].id`));
}

/**
 * A question's shape (§8.1): its parts (one ciphertext each) and the names
 * of the counters of each part (option or level ids, `blank`, or `chosen`).
 */
function readQuestion(q, path) {
  object(q, path, QUESTION_KEYS);
  const kind = oneOf(q.kind, `${path}.kind`, KINDS);
  const options = ids(q.options, `${path}.options`);
  const rows = ids(q.rows, `${path}.rows`);
  const blank = bool(q.blank, `${path}.blank`);
  let parts;
  if (kind === 'confidence') parts = rows;
  else if (kind === 'single') parts = ['choice'];
  else parts = options;
  const slotIds = kind === 'multiple' ? [CHOSEN] : [...options, ...(blank ? [BLANK] : [])];
  if (parts.length === 0) throw new ReplyError(path, 'a question without parts');
  return {
    id: text(q.id, `${path}.id`),
    kind,
    parts,
    slotIds,
    minChoices: smallInt(q.min_choices, `${path}.min_choices`, 0, 60),
    maxChoices: smallInt(q.max_choices, `${path}.max_choices`, 0, 60),
  };
}

function fraction(f, path) {
  object(f, path, ['num', 'den']);
  const num = smallInt(f.num, `${path}.num`, 0, 1000);
  const den = smallInt(f.den, `${path}.den`, 1, 1000);
  if (num > den) throw new ReplyError(path, 'a fraction must be at most 1');
  return { num, den };
}

/** The manifest's rules (§8.8), or null. */
function readRules(r, path) {
  if (r === null) return null;
  object(r, path, RULES_KEYS);
  return {
    summoned: smallInt(r.summoned, `${path}.summoned`, 1, MAX_VOTERS),
    quorum: fraction(r.quorum, `${path}.quorum`),
    denominator: oneOf(r.denominator, `${path}.denominator`, DENOMINATORS),
    thresholds: list(r.thresholds, `${path}.thresholds`, 0, 60).map((t, i) => {
      const at = `${path}.thresholds[${i}]`;
      object(t, at, THRESHOLD_KEYS);
      return {
        id: text(t.id, `${at}.id`),
        question: text(t.question, `${at}.question`),
        slot: text(t.slot, `${at}.slot`),
        comparison: oneOf(t.comparison, `${at}.comparison`, COMPARISONS),
        fraction: fraction(t.fraction, `${at}.fraction`),
        denominator: oneOf(t.denominator, `${at}.denominator`, DENOMINATORS),
      };
    }),
    trustees: smallInt(r.trustees, `${path}.trustees`, 1, MAX_TRUSTEES),
    threshold: smallInt(r.threshold, `${path}.threshold`, 1, MAX_TRUSTEES),
  };
}

/**
 * What the results need from a wire manifest: election id, counter width b,
 * the questions' shapes and the rules. Throws ReplyError.
 */
export function readManifest(manifest, path = 'manifest') {
  documentOf(manifest, path, 'manifest', 1, MANIFEST_KEYS);
  const questions = list(manifest.questions, `${path}.questions`, 1, 60).map((q, i) =>
    readQuestion(q, `${path}.questions[${i}]`),
  );
  return {
    electionId: text(manifest.election_id, `${path}.election_id`),
    counterBits: smallInt(manifest.counter_bits, `${path}.counter_bits`, 8, 48),
    questions,
    rules: readRules(manifest.rules, `${path}.rules`),
  };
}

function factorial(l) {
  let out = 1n;
  for (let i = 2n; i <= BigInt(l); i++) out *= i;
  return out;
}

/** The threshold public key (n, v, v_1..v_ℓ, t) of §4.2, with n², ℓ and Δ = ℓ!. */
export function readKey(key, path) {
  object(key, path, ['n', 'v', 'vks', 't']);
  const n = bigHex(key.n, `${path}.n`, 4096);
  if (n < 3n || n % 2n === 0n) throw new ReplyError(`${path}.n`, 'n must be odd and > 2');
  const vks = list(key.vks, `${path}.vks`, 1, MAX_TRUSTEES).map((x, i) => bigHex(x, `${path}.vks[${i}]`));
  const t = smallInt(key.t, `${path}.t`, 1, vks.length);
  return { n, n2: n * n, v: bigHex(key.v, `${path}.v`), vks, t, l: vks.length, delta: factorial(vks.length) };
}

/**
 * The election of a GET /api/elections/<id> reply: manifest, key, how the key
 * was made (`generation`: 'dealer' or 'committee'), the wire key ceremony
 * (`ceremony`, whose committee signs the shares) and the recomputed H_E
 * (`hash`), next to the server's claim (`claimedHash`, hex or null). The
 * ceremony's proofs or transcript are the booth's and the record verifier's
 * to check; H_E binds them. Throws ReplyError when the reply cannot be read.
 */
export function readElection(summary) {
  object(summary, 'summary');
  const manifest = readManifest(summary.manifest, 'summary.manifest');
  if (summary.key_ceremony === null) throw new ReplyError('summary.key_ceremony', 'the election has no key yet');
  const ceremony = documentOf(summary.key_ceremony, 'summary.key_ceremony', 'key-ceremony', CEREMONY_VERSION, CEREMONY_KEYS);
  if (ceremony.election_id !== manifest.electionId) {
    throw new ReplyError('summary.key_ceremony.election_id', 'the key is for another election');
  }
  const generation = oneOf(ceremony.generation, 'summary.key_ceremony.generation', GENERATIONS);
  const key = readKey(ceremony.key, 'summary.key_ceremony.key');
  for (const [value, path] of [[summary.manifest, 'summary.manifest'], [ceremony, 'summary.key_ceremony']]) {
    try {
      canonicalBytes(value);
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
      throw new ReplyError(path, `not canonical JSON: ${err.message}`);
    }
  }
  const claimed = summary.base_hash === null ? null : text(summary.base_hash, 'summary.base_hash');
  return {
    id: manifest.electionId,
    manifest,
    key,
    generation,
    ceremony,
    hash: baseHash(summary.manifest, ceremony),
    claimedHash: claimed,
  };
}
