// Big-integer arithmetic on JS BigInt (docs/spec.md §1.2, §1.3, §9.3).
//
// Plain functions: modular power (left-to-right sliding window), inverse,
// gcd, conversions between BigInt, bytes and the codec's hex form, and
// randomness from crypto.getRandomValues only. Exponents are never reduced
// modulo anything (spec §0): the order of Z*_{n²} is secret.

const HEX_RE = /^(0|[1-9a-f][0-9a-f]*)$/;
const BYTES_HEX_RE = /^(?:[0-9a-f]{2})*$/;

/** Non-negative residue of a modulo m (m > 0). */
export function mod(a, m) {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** Number of bits of x ≥ 0 (0 for 0), like Python's int.bit_length. */
export function bitLength(x) {
  if (x < 0n) throw new RangeError('bitLength: negative integer');
  return x === 0n ? 0 : x.toString(2).length;
}

/** Greatest common divisor of two integers (non-negative result). */
export function gcd(a, b) {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** a^-1 mod m; throws RangeError when a is not invertible modulo m. */
export function modInverse(a, m) {
  if (m <= 0n) throw new RangeError('modInverse: modulus must be positive');
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new RangeError('modInverse: element is not invertible');
  return mod(oldS, m);
}

// Sliding-window size for a `bits`-bit exponent: the w with the fewest
// expected multiplications besides the squarings (which every w shares),
// about bits/(w + 1) for the windows plus 2^(w−1) for the table of odd
// powers. 4 for a 128-bit challenge, 7 for a 3072-bit n, 8 for 2n at 3072.
function windowBits(bits) {
  const cost = (w) => bits / (w + 1) + 2 ** (w - 1);
  let w = 1;
  while (w < 10 && cost(w + 1) < cost(w)) w++;
  return w;
}

/**
 * base^exp mod m by a left-to-right sliding window over the odd powers
 * base^1, base^3, …, base^(2^w − 1). A negative exponent inverts the base first.
 */
export function modPow(base, exp, m) {
  if (m <= 0n) throw new RangeError('modPow: modulus must be positive');
  if (exp < 0n) {
    base = modInverse(base, m);
    exp = -exp;
  }
  if (m === 1n) return 0n;
  base = mod(base, m);
  if (exp === 0n) return 1n;
  const bits = exp.toString(2);
  const w = windowBits(bits.length);
  const table = [base];
  if (w > 1) {
    const sq = (base * base) % m;
    for (let i = 1; i < 1 << (w - 1); i++) table.push((table[i - 1] * sq) % m);
  }
  let result = 1n;
  let started = false;
  let i = 0; // index into the bit string, most significant first
  while (i < bits.length) {
    if (bits[i] === '0') {
      if (started) result = (result * result) % m;
      i++;
      continue;
    }
    let j = Math.min(i + w, bits.length) - 1; // the window ends on a 1 bit
    while (bits[j] === '0') j--;
    const value = parseInt(bits.slice(i, j + 1), 2);
    if (started) {
      for (let k = i; k <= j; k++) result = (result * result) % m;
      result = (result * table[(value - 1) >> 1]) % m;
    } else {
      result = table[(value - 1) >> 1];
      started = true;
    }
    i = j + 1;
  }
  return result;
}

/** True when 0 < x < m and gcd(x, m) = 1 (spec §3.3). */
export function isUnit(x, m) {
  return x > 0n && x < m && gcd(x, m) === 1n;
}

/** Big-endian bytes to a non-negative BigInt (empty bytes give 0). */
export function bytesToBigInt(bytes) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytesToBigInt: expected a Uint8Array');
  return bytes.length === 0 ? 0n : BigInt('0x' + bytesToHex(bytes));
}

/**
 * x ≥ 0 as big-endian bytes: minimal length (zero is one 0x00 byte, as in the
 * hash items of spec §2.1), or exactly `length` bytes when given.
 */
export function bigIntToBytes(x, length) {
  if (x < 0n) throw new RangeError('bigIntToBytes: negative integer');
  let hex = x.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  if (length !== undefined) {
    if (hex.length > 2 * length) throw new RangeError(`bigIntToBytes: does not fit in ${length} bytes`);
    hex = hex.padStart(2 * length, '0');
  }
  return hexToBytes(hex);
}

/** The codec's big-integer form (spec §9.3): lowercase hex, no prefix or leading zero. */
export function bigIntToHex(x) {
  if (typeof x !== 'bigint' || x < 0n) throw new RangeError('bigIntToHex: expected a non-negative BigInt');
  return x.toString(16);
}

/** Parse the codec's big-integer form strictly (spec §9.3); maxBits bounds it when given. */
export function hexToBigInt(text, maxBits) {
  if (typeof text !== 'string' || !HEX_RE.test(text)) {
    throw new RangeError('hexToBigInt: not a canonical lowercase hex integer');
  }
  const x = BigInt('0x' + text);
  if (maxBits !== undefined && bitLength(x) > maxBits) {
    throw new RangeError(`hexToBigInt: more than ${maxBits} bits`);
  }
  return x;
}

/** Lowercase hex of bytes (the codec's byte-string form). */
export function bytesToHex(bytes) {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** Parse lowercase hex bytes strictly; `length` (in bytes) is enforced when given. */
export function hexToBytes(text, length) {
  if (typeof text !== 'string' || !BYTES_HEX_RE.test(text)) {
    throw new RangeError('hexToBytes: not lowercase hex of whole bytes');
  }
  if (length !== undefined && text.length !== 2 * length) {
    throw new RangeError(`hexToBytes: expected ${length} bytes`);
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Byte-wise equality of two Uint8Arrays. */
export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Concatenation of Uint8Arrays. */
export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function randomBytes(count) {
  const out = new Uint8Array(count);
  for (let at = 0; at < count; at += 65536) {
    globalThis.crypto.getRandomValues(out.subarray(at, Math.min(count, at + 65536)));
  }
  return out;
}

/** Uniform integer in [0, 2^bits) from crypto.getRandomValues (spec §1.3). */
export function randomBits(bits) {
  if (!Number.isInteger(bits) || bits <= 0) throw new RangeError('randomBits: bits must be positive');
  const size = Math.ceil(bits / 8);
  return bytesToBigInt(randomBytes(size)) >> BigInt(8 * size - bits);
}

/** Uniform integer in [0, bound) by rejection sampling. */
export function randomBelow(bound) {
  if (bound <= 0n) throw new RangeError('randomBelow: bound must be positive');
  const bits = bitLength(bound);
  for (;;) {
    const x = randomBits(bits);
    if (x < bound) return x;
  }
}

/** Uniform element of Z*_n: 0 < r < n with gcd(r, n) = 1. */
export function randomUnit(n) {
  for (;;) {
    const r = randomBelow(n);
    if (r > 0n && gcd(r, n) === 1n) return r;
  }
}
