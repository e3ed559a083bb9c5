// An election as the booth sees it: the server's summary decoded and checked
// (docs/spec.md §8.1, §8.2, §9). The base hash H_E is recomputed from the
// canonical bytes of the manifest and of the whole key ceremony (committee,
// key, how it was made and its proofs or transcript, test ciphertext) and must
// equal the summary's. This is quick; the ceremony's proofs are checked apart,
// in a worker (keycheck.js), before anything is encrypted.

import { bitLength, bytesToHex, hexToBigInt, hexToBytes } from './bigint.js';
import { canonicalBytes } from './canonical.js';
import { CEREMONY_VERSION, ceremonyHash } from './ceremony.js';
import { PaillierKey } from './paillier.js';
import { Tag, digest } from './transcript.js';

export const SPEC_VERSION = 2;
const IDENT = /^[a-z0-9][a-z0-9_-]{0,47}$/;
const KINDS = new Set(['confidence', 'single', 'multiple']);

/** The server's description of the election does not hold together. */
export class ElectionMismatch extends Error {
  constructor(message) {
    super(message);
    this.name = 'ElectionMismatch';
  }
}

function need(ok, message) {
  if (!ok) throw new ElectionMismatch(message);
}

function isObject(x) {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function integer(x, lo, hi, path) {
  need(Number.isInteger(x) && x >= lo && x <= hi, `${path}: expected an integer in [${lo}, ${hi}]`);
  return x;
}

function big(x, maxBits, path) {
  try {
    return hexToBigInt(x, maxBits);
  } catch {
    throw new ElectionMismatch(`${path}: not a big integer of at most ${maxBits} bits`);
  }
}

function document(x, kind, path, version = 1) {
  need(isObject(x), `${path}: expected a ${kind} document`);
  need(x.type === kind && x.version === version, `${path}: expected a ${kind} document of version ${version}`);
  return x;
}

function choices(list, lo, path) {
  need(Array.isArray(list) && list.length >= lo && list.length <= 60, `${path}: expected ${lo}..60 items`);
  const ids = list.map((c, i) => {
    need(isObject(c) && typeof c.id === 'string' && IDENT.test(c.id), `${path}[${i}].id: not an identifier`);
    need(isObject(c.label) && typeof c.label.vi === 'string' && typeof c.label.en === 'string', `${path}[${i}].label: expected vi and en`);
    return c.id;
  });
  need(new Set(ids).size === ids.length, `${path}: duplicate id`);
  return ids;
}

/** The shape of one question's answer: its parts and allowed plaintexts (§8.1). */
function shapeOf(q, i, radix) {
  const path = `manifest.questions[${i}]`;
  need(isObject(q) && typeof q.id === 'string' && IDENT.test(q.id), `${path}.id: not an identifier`);
  need(KINDS.has(q.kind), `${path}.kind: unknown kind`);
  need(typeof q.blank === 'boolean', `${path}.blank: expected a boolean`);
  const options = choices(q.options, 1, `${path}.options`);
  const rows = choices(q.rows, 0, `${path}.rows`);
  const min = integer(q.min_choices, 0, 60, `${path}.min_choices`);
  const max = integer(q.max_choices, 0, 60, `${path}.max_choices`);
  const k = options.length;
  if (q.kind === 'confidence') {
    need(rows.length > 0 && q.blank && k >= 2, `${path}: a confidence question needs rows, two levels and blank`);
  } else {
    need(rows.length === 0, `${path}: only confidence questions have rows`);
  }
  if (q.kind === 'multiple') {
    need(min <= max && max <= k && max > 0 && !q.blank, `${path}: bad choice limits`);
    const sum = [];
    for (let m = min; m <= max; m++) sum.push(BigInt(m));
    return { id: q.id, kind: q.kind, parts: options, levels: k, blank: false, min, max, allowed: [0n, 1n], sum };
  }
  need(min === 0 && max === 0, `${path}: choice limits apply to multiple choice only`);
  const slots = k + (q.blank ? 1 : 0);
  need(slots >= 2, `${path}: needs two or more slots`);
  const allowed = [];
  for (let j = 0; j < slots; j++) allowed.push(radix ** BigInt(j));
  const parts = q.kind === 'confidence' ? rows : ['choice'];
  return { id: q.id, kind: q.kind, parts, levels: k, blank: q.blank, min: 0, max: 0, allowed, sum: null };
}

/** H(manifest, canonical JSON of the manifest) (§8.2). */
export function manifestHash(manifest) {
  return digest(Tag.MANIFEST, canonicalBytes(manifest));
}

/**
 * H_E = H(base, 2, election id, manifest hash, key-ceremony hash) (§8.2), from
 * the wire manifest and the wire key ceremony document.
 */
export function baseHash(manifest, ceremony) {
  return digest(Tag.BASE, SPEC_VERSION, manifest.election_id, manifestHash(manifest), ceremonyHash(ceremony));
}

/** A checked election: use `openElection` to make one. */
export class Election {
  constructor({ id, state, manifest, ceremony, hash, key, radix, shapes }) {
    this.id = id;
    this.state = state;
    this.manifest = manifest;
    this.ceremony = ceremony; // the wire key ceremony, as H_E binds it
    this.questions = manifest.questions;
    this.hash = hash;
    this.hashHex = bytesToHex(hash);
    this.key = key;
    this.radix = radix;
    this.shapes = shapes;
    Object.freeze(this);
  }
}

/** Decode and check `summary` (the JSON of GET /api/elections/<id>); throws ElectionMismatch. */
export async function openElection(summary) {
  need(isObject(summary) && typeof summary.id === 'string', 'the election summary is not an object with an id');
  const manifest = document(summary.manifest, 'manifest', 'manifest');
  need(manifest.election_id === summary.id, 'the manifest is for another election');
  const b = integer(manifest.counter_bits, 8, 48, 'manifest.counter_bits');
  need(summary.key_ceremony !== null && summary.key_ceremony !== undefined, 'the election has no published key yet');
  const ceremony = document(summary.key_ceremony, 'key-ceremony', 'key_ceremony', CEREMONY_VERSION);
  need(ceremony.election_id === summary.id, 'the key ceremony is for another election');
  const wire = ceremony.key;
  need(isObject(wire) && Array.isArray(wire.vks) && wire.vks.length >= 1 && wire.vks.length <= 255, 'key_ceremony.key: malformed');
  const key = {
    n: big(wire.n, 4096, 'key_ceremony.key.n'),
    v: big(wire.v, 8192, 'key_ceremony.key.v'),
    vks: wire.vks.map((x, i) => big(x, 8192, `key_ceremony.key.vks[${i}]`)),
    t: integer(wire.t, 1, wire.vks.length, 'key_ceremony.key.t'),
  };
  const bits = bitLength(key.n);
  need(key.n % 2n === 1n && bits >= 256, 'key_ceremony.key.n: not an odd modulus of 256 bits or more');
  need(Array.isArray(manifest.questions) && manifest.questions.length >= 1 && manifest.questions.length <= 60, 'manifest.questions: expected 1..60');
  const radix = 1n << BigInt(b);
  const shapes = manifest.questions.map((q, i) => shapeOf(q, i, radix));
  need(new Set(shapes.map((s) => s.id)).size === shapes.length, 'manifest: duplicate question id');
  for (const s of shapes) {
    const slots = s.kind === 'multiple' ? 1 : s.allowed.length;
    need(slots * b <= bits - 1, `question ${s.id}: counters exceed the plaintext space`);
  }
  let claimed;
  try {
    claimed = hexToBytes(summary.base_hash, 32);
  } catch {
    throw new ElectionMismatch('base_hash: not 32 bytes of hex');
  }
  let hash;
  try {
    hash = baseHash(manifest, ceremony);
  } catch (error) {
    throw new ElectionMismatch(`manifest or key ceremony: cannot be hashed (${error.message})`);
  }
  need(bytesToHex(hash) === bytesToHex(claimed), "the server's base hash differs from the one computed here");
  const state = typeof summary.state === 'string' ? summary.state : 'unknown';
  return new Election({
    id: summary.id, state, manifest, ceremony: deepFreeze(structuredClone(ceremony)), hash, key: new PaillierKey(key.n), radix, shapes,
  });
}

function deepFreeze(value) {
  if (value !== null && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
