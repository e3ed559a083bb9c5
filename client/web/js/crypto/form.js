// Strict reading of the key ceremony's wire form (docs/spec.md §9.2, §9.3),
// shared by ceremony.js and generation.js: each reader checks the JSON type
// and the codec's form (exact fields, canonical lowercase hex, byte lengths,
// integer ranges, item counts) and throws CeremonyFormError naming the field
// path, so the booth refuses a malformed ceremony at its `form` step.

import { hexToBigInt, hexToBytes } from './bigint.js';
import { CeremonyFormError } from './refusals.js';

function isObject(x) {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A plain object of exactly the fields `keys`. */
export function object(value, path, keys) {
  if (!isObject(value)) throw new CeremonyFormError(`${path}: expected an object`);
  const have = Object.keys(value).sort();
  const want = [...keys].sort();
  if (have.join() !== want.join()) throw new CeremonyFormError(`${path}: expected exactly the fields ${want.join(', ')}`);
  return value;
}

/** A document (§9.1): exactly `keys` plus "type" = `type` and "version" = `version`. */
export function documentOf(value, path, type, version, keys) {
  object(value, path, [...keys, 'type', 'version']);
  if (value.type !== type || value.version !== version) {
    throw new CeremonyFormError(`${path}: expected a ${type} document of version ${version}`);
  }
  return value;
}

/** An array of lo..hi items. */
export function list(value, path, lo, hi) {
  if (!Array.isArray(value) || value.length < lo || value.length > hi) {
    throw new CeremonyFormError(`${path}: expected ${lo === hi ? lo : `${lo}..${hi}`} items`);
  }
  return value;
}

/** A big integer in the codec's hex form, of at most `maxBits` bits. */
export function big(value, path, maxBits) {
  try {
    return hexToBigInt(value, maxBits);
  } catch {
    throw new CeremonyFormError(`${path}: not a hex integer of at most ${maxBits} bits`);
  }
}

/** Exactly `length` bytes of lowercase hex. */
export function bytes(value, path, length) {
  try {
    return hexToBytes(value, length);
  } catch {
    throw new CeremonyFormError(`${path}: not ${length} bytes of lowercase hex`);
  }
}

/** A JSON integer in lo..hi. */
export function small(value, path, lo, hi) {
  if (!Number.isSafeInteger(value) || value < lo || value > hi) throw new CeremonyFormError(`${path}: expected an integer in ${lo}..${hi}`);
  return value;
}

/** A text of lo..hi characters (code points). */
export function text(value, path, lo, hi) {
  const length = typeof value === 'string' ? [...value].length : -1;
  if (length < lo || length > hi) throw new CeremonyFormError(`${path}: expected a text of ${lo}..${hi} characters`);
  return value;
}

/** One of the listed strings. */
export function oneOf(value, path, choices) {
  if (!choices.includes(value)) throw new CeremonyFormError(`${path}: expected one of ${choices.join(', ')}`);
  return value;
}
