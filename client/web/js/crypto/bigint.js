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

/**
 * Π bases[i]^exps[i] mod m by Straus's method: the squarings are shared by all
 * bases, each base has a table of its powers 0..2^w − 1, and the window w is
 * the one with the fewest multiplications for this many bases and exponent
 * bits (spec §10.2; the result equals the naive product exactly). A negative
 * exponent inverts its base first (the base must be a unit modulo m).
 */
export function multiPow(bases, exps, m) {
  if (m <= 0n) throw new RangeError('multiPow: modulus must be positive');
  if (bases.length !== exps.length) throw new RangeError('multiPow: one exponent per base');
  if (m === 1n) return 0n;
  const k = bases.length;
  const longest = exps.reduce((most, e) => Math.max(most, bitLength(e < 0n ? -e : e)), 0);
  let w = 1;
  const cost = (x) => k * (2 ** x - 2) + (longest / x) * k * (1 - 2 ** -x);
  while (w < 8 && cost(w + 1) < cost(w)) w++;
  const size = 1 << w;
  const tables = bases.map((b, i) => {
    const base = exps[i] < 0n ? modInverse(b, m) : mod(b, m);
    const table = [1n, base];
    for (let d = 2; d < size; d++) table.push((table[d - 1] * base) % m);
    return table;
  });
  const magnitudes = exps.map((e) => (e < 0n ? -e : e));
  const width = BigInt(w);
  const mask = BigInt(size - 1);
  let result = 1n;
  for (let at = BigInt(Math.ceil(longest / w) * w) - width; at >= 0n; at -= width) {
    if (result !== 1n) for (let j = 0; j < w; j++) result = (result * result) % m;
    for (let i = 0; i < k; i++) {
      const digit = Number((magnitudes[i] >> at) & mask);
      if (digit) result = (result * tables[i][digit]) % m;
    }
  }
  return result;
}

/** The Jacobi symbol (a|n) for an odd n > 0: 1, −1 or 0. */
export function jacobi(a, n) {
  if (n <= 0n || n % 2n === 0n) throw new RangeError('jacobi: n must be odd and positive');
  a = mod(a, n);
  let sign = 1;
  while (a !== 0n) {
    while (a % 2n === 0n) {
      a /= 2n;
      const r = n % 8n;
      if (r === 3n || r === 5n) sign = -sign;
    }
    [a, n] = [n, a];
    if (a % 4n === 3n && n % 4n === 3n) sign = -sign;
    a %= n;
  }
  return n === 1n ? sign : 0;
}

const MILLER_RABIN_BASES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n];

/**
 * Miller–Rabin with the fixed bases 2, 3, …, 37: false for every composite
 * that any of them witnesses, true for every prime. (A composite that fools
 * all twelve is only ever *refused* by the checks that call this, as "prime".)
 */
export function isProbablePrime(n) {
  if (n < 2n) return false;
  for (const p of MILLER_RABIN_BASES) {
    if (n === p) return true;
    if (n % p === 0n) return false;
  }
  let d = n - 1n;
  let s = 0;
  while (d % 2n === 0n) {
    d /= 2n;
    s++;
  }
  for (const a of MILLER_RABIN_BASES) {
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let witness = true;
    for (let r = 1; r < s && witness; r++) {
      x = (x * x) % n;
      if (x === n - 1n) witness = false;
    }
    if (witness) return false;
  }
  return true;
}

/** The primes below `bound` (a sieve of Eratosthenes; bound ≤ 2^24). */
export function primesBelow(bound) {
  if (!Number.isInteger(bound) || bound < 2 || bound > 1 << 24) throw new RangeError('primesBelow: bound out of range');
  const composite = new Uint8Array(bound);
  const out = [];
  for (let i = 2; i < bound; i++) {
    if (composite[i]) continue;
    out.push(i);
    for (let j = i * i; j < bound; j += i) composite[j] = 1;
  }
  return out;
}

/** ⌊x^(1/k)⌋ for x ≥ 0 and an integer k ≥ 1 (Newton's method from above). */
export function integerRoot(x, k) {
  if (x < 0n || !Number.isInteger(k) || k < 1) throw new RangeError('integerRoot: x ≥ 0 and k ≥ 1 required');
  if (x < 2n || k === 1) return x;
  const big = BigInt(k);
  let guess = 1n << BigInt(Math.ceil(bitLength(x) / k)); // ≥ the root
  for (;;) {
    const next = ((big - 1n) * guess + x / guess ** (big - 1n)) / big;
    if (next >= guess) return guess;
    guess = next;
  }
}

/**
 * True when n = r^k for integers r ≥ 2, k ≥ 2 (as gmpy2.is_power for n ≥ 2):
 * the integer k-th root of n is tried for every prime k (n = r^(a·b) is also
 * (r^a)^b) that a root of at least `rootBits` bits allows: 2^(k·(rootBits − 1))
 * < n. `rootBits` (default 1) is what the caller knows of ‖r‖, e.g. 17 when
 * no prime below 2^16 divides n.
 */
export function isPerfectPower(n, rootBits = 1) {
  if (n < 4n) return false;
  const most = Math.floor((bitLength(n) - 1) / Math.max(1, rootBits - 1));
  for (const k of primesBelow(Math.max(3, most + 1))) {
    if (integerRoot(n, k) ** BigInt(k) === n) return true;
  }
  return false;
}

/** True when 0 < x < m and gcd(x, m) = 1 (spec §3.3). */
export function isUnit(x, m) {
  return x > 0n && x < m && gcd(x, m) === 1n;
}

/**
 * True when every x is a unit modulo m (0 < x < m, gcd(x, m) = 1), with one
 * gcd: a prime factor of m divides the product of the xs mod m exactly when it
 * divides one of them.
 */
export function allUnits(values, m) {
  let product = 1n;
  for (const x of values) {
    if (!(x > 0n && x < m)) return false;
    product = (product * x) % m;
  }
  return gcd(product, m) === 1n;
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

const BYTE_HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const HEX_DIGIT = new Int8Array(128).fill(-1);
for (let d = 0; d < 16; d++) HEX_DIGIT['0123456789abcdef'.charCodeAt(d)] = d;

/** Lowercase hex of bytes (the codec's byte-string form). */
export function bytesToHex(bytes) {
  const out = new Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = BYTE_HEX[bytes[i]];
  return out.join('');
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
  for (let i = 0; i < out.length; i++) out[i] = (HEX_DIGIT[text.charCodeAt(2 * i)] << 4) | HEX_DIGIT[text.charCodeAt(2 * i + 1)];
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
