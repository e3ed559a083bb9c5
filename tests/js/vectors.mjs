// Shared helpers of the JS tests: read tests/vectors/*.json and typed hash items.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hexToBigInt, hexToBytes } from '../../client/web/js/crypto/bigint.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A vector file of tests/vectors/ parsed as JSON. */
export function vector(name) {
  return JSON.parse(readFileSync(join(ROOT, 'tests', 'vectors', name), 'utf8'));
}

/** A typed hash item of transcript.json ({int}, {bytes}, {text}, {list}, {bool}) as a JS value. */
export function item(typed) {
  if ('int' in typed) return typed.int.startsWith('-') ? -hexToBigInt(typed.int.slice(1)) : hexToBigInt(typed.int);
  if ('bytes' in typed) return hexToBytes(typed.bytes);
  if ('text' in typed) return typed.text;
  if ('list' in typed) return typed.list.map(item);
  if ('bool' in typed) return typed.bool;
  throw new Error(`unknown item ${JSON.stringify(typed)}`);
}

/** An election summary (GET /api/elections/<id>) for the manifest and key ceremony of ballot.json. */
export function summaryOf(b) {
  return structuredClone({
    id: b.manifest.election_id,
    state: 'open',
    manifest: b.manifest,
    key_ceremony: b.key_ceremony,
    base_hash: b.base_hash,
    signed_roll: null,
  });
}
