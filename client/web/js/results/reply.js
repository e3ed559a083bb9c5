// Reading the JSON replies of the public endpoints (server/api/public.py) with
// the value rules of the codec (docs/spec.md §9.3).
//
// The results page verifies what the server says, so everything it reads is
// untrusted: each reader checks the JSON type and the codec's form (canonical
// lowercase hex, byte lengths, integer ranges, enumerations) and throws a
// ReplyError naming the field path (§9.4) instead of letting a malformed value
// through. The verifier turns a ReplyError into a failed check, never a crash.

import { hexToBigInt, hexToBytes } from '../crypto/bigint.js';

/** A reply that does not have the shape or the value forms of the codec's wire. */
export class ReplyError extends Error {
  constructor(path, message) {
    super(`${path}: ${message}`);
    this.name = 'ReplyError';
    this.path = path;
  }
}

function kind(value) {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** A plain JSON object; with `keys`, exactly those keys (the codec refuses others). */
export function object(value, path, keys) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ReplyError(path, `expected an object, got ${kind(value)}`);
  }
  if (keys !== undefined) {
    const want = new Set(keys);
    for (const key of Object.keys(value)) {
      if (!want.has(key)) throw new ReplyError(path, `unknown key ${JSON.stringify(key)}`);
    }
    for (const key of keys) {
      if (!Object.hasOwn(value, key)) throw new ReplyError(path, `missing key ${JSON.stringify(key)}`);
    }
  }
  return value;
}

/** A document (§9.1): an object of exactly `keys` plus "type" = kind and "version". */
export function documentOf(value, path, type, version, keys) {
  object(value, path, [...keys, 'type', 'version']);
  if (value.type !== type) throw new ReplyError(`${path}.type`, `expected ${JSON.stringify(type)}`);
  if (value.version !== version) throw new ReplyError(`${path}.version`, `this verifier reads version ${version}`);
  return value;
}

/** A JSON array of lo..hi items. */
export function list(value, path, lo = 0, hi = Infinity) {
  if (!Array.isArray(value)) throw new ReplyError(path, `expected an array, got ${kind(value)}`);
  if (value.length < lo || value.length > hi) {
    throw new ReplyError(path, `expected ${lo}..${hi} items, got ${value.length}`);
  }
  return value;
}

/** A big integer in the codec's hex form, at most `maxBits` bits. */
export function bigHex(value, path, maxBits = 8192) {
  try {
    return hexToBigInt(value, maxBits);
  } catch (err) {
    if (err instanceof RangeError) throw new ReplyError(path, `not a hex integer of at most ${maxBits} bits`);
    throw err;
  }
}

/** A byte string of exactly `length` bytes in lowercase hex. */
export function bytes(value, path, length) {
  try {
    return hexToBytes(value, length);
  } catch (err) {
    if (err instanceof RangeError) throw new ReplyError(path, `not ${length} bytes of lowercase hex`);
    throw err;
  }
}

/** A JSON integer in [lo, hi] (never a boolean or a fraction). */
export function smallInt(value, path, lo, hi) {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new ReplyError(path, `expected an integer, got ${kind(value)}`);
  }
  if (value < lo || value > hi) throw new ReplyError(path, `${value} is outside ${lo}..${hi}`);
  return value;
}

/** A JSON string. */
export function text(value, path) {
  if (typeof value !== 'string') throw new ReplyError(path, `expected a string, got ${kind(value)}`);
  return value;
}

/** true or false. */
export function bool(value, path) {
  if (typeof value !== 'boolean') throw new ReplyError(path, `expected a boolean, got ${kind(value)}`);
  return value;
}

/** One of the listed strings. */
export function oneOf(value, path, choices) {
  if (!choices.includes(value)) throw new ReplyError(path, `expected one of ${choices.join(', ')}`);
  return value;
}
