// HashCoins of tests/vectors/README.md: deterministic coins for known answers
// (test only; the booth draws from crypto.getRandomValues).

import { createHash } from 'node:crypto';
import { bitLength, gcd } from '../../client/web/js/crypto/bigint.js';

export class HashCoins {
  #prefix;
  #counter = 0n;
  #buffer = Buffer.alloc(0);

  constructor(label) {
    this.#prefix = Buffer.concat([Buffer.from('kiemphieu-vectors/v1/coins'), Buffer.from([0]), Buffer.from(label, 'utf8'), Buffer.from([0])]);
  }

  #take(count) {
    while (this.#buffer.length < count) {
      const j = Buffer.alloc(8);
      j.writeBigUInt64BE(this.#counter++);
      this.#buffer = Buffer.concat([this.#buffer, createHash('sha256').update(this.#prefix).update(j).digest()]);
    }
    const out = this.#buffer.subarray(0, count);
    this.#buffer = this.#buffer.subarray(count);
    return out;
  }

  bits(k) {
    const size = Math.ceil(k / 8);
    return BigInt('0x' + this.#take(size).toString('hex')) >> BigInt(8 * size - k);
  }

  unit(n) {
    for (;;) {
      const x = this.bits(bitLength(n));
      if (x > 0n && x < n && gcd(x, n) === 1n) return x;
    }
  }
}

/** credential.new_code drawn from coins: 26 characters of bits(130), least significant first. */
export function newCode(coins, alphabet, check) {
  const value = coins.bits(130);
  let data = '';
  for (let i = 0; i < 26; i++) data += alphabet[Number((value >> BigInt(5 * i)) & 31n)];
  return data + check(data);
}
