// Canonical JSON bytes (docs/spec.md §9.5), byte for byte as the Python codec
// writes them (crypto/canonical_json.py: json.dumps with sorted keys, no
// whitespace, ensure_ascii=False).
//
// UTF-8; object keys sorted by code point at every level; separators "," and
// ":" without whitespace; non-ASCII written as itself; integers in decimal.
// Only null, booleans, integers (safe JS numbers or BigInt), strings, arrays
// and plain objects are written; a float, a lone surrogate or another type
// throws TypeError.

export const MAX_DEPTH = 32;

const ENCODER = new TextEncoder();

/** Compare two strings by Unicode code point (Python's str order), not UTF-16 unit. */
export function compareCodePoints(a, b) {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done === y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0);
    const cy = y.value.codePointAt(0);
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

const SHORT_ESCAPES = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

function quote(text) {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw new TypeError('canonical JSON: a string holds a lone surrogate');
      out += ch + text[i + 1];
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      throw new TypeError('canonical JSON: a string holds a lone surrogate');
    } else if (SHORT_ESCAPES[ch] !== undefined) {
      out += SHORT_ESCAPES[ch];
    } else if (unit < 0x20) {
      out += '\\u' + unit.toString(16).padStart(4, '0');
    } else {
      out += ch;
    }
  }
  return out + '"';
}

function write(value, depth) {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'bigint') return value.toString(10);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || Object.is(value, -0)) {
      throw new TypeError('canonical JSON: only integers are written, never floats');
    }
    return String(value);
  }
  if (typeof value === 'string') return quote(value);
  if (depth > MAX_DEPTH) throw new TypeError(`canonical JSON: nesting deeper than ${MAX_DEPTH}`);
  if (Array.isArray(value)) return '[' + value.map((v) => write(v, depth + 1)).join(',') + ']';
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const keys = Object.keys(value).sort(compareCodePoints);
    return '{' + keys.map((k) => quote(k) + ':' + write(value[k], depth + 1)).join(',') + '}';
  }
  throw new TypeError(`canonical JSON: cannot write a ${typeof value}`);
}

/** The canonical JSON text of a JSON-ready value (spec §9.5). */
export function canonicalString(value) {
  return write(value, 1);
}

/** The canonical JSON bytes (UTF-8) of a JSON-ready value (spec §9.5). */
export function canonicalBytes(value) {
  return ENCODER.encode(canonicalString(value));
}
