// Receipts (docs/spec.md §8.9): the server's Ed25519 signature over
// H(receipt, canonical bytes of the receipt with a zero signature), for this
// election's H_E and this ballot's tracking code.

import { hexToBytes } from './bigint.js';
import { canonicalBytes } from './canonical.js';
import { SignatureError, verifySignature } from './ed25519.js';
import { Tag, digest } from './transcript.js';

const ZERO = '00'.repeat(64);
const HEX32 = /^[0-9a-f]{64}$/;

/**
 * A receipt is malformed, for another ballot or election, or not signed by the
 * server. `reason`: 'form', 'election', 'tracking-code', 'server-key' or 'signature'.
 */
export class ReceiptError extends Error {
  constructor(message, reason = 'form') {
    super(message);
    this.name = 'ReceiptError';
    this.reason = reason;
  }
}

/** The message the server signs for `receipt` (§8.9). */
export function receiptMessage(receipt) {
  return digest(Tag.RECEIPT, canonicalBytes({ ...receipt, signature: ZERO }));
}

/** Check `receipt` (wire form) for election hash / tracking code / server key, all hex. */
export async function checkReceipt(electionHashHex, trackingCodeHex, receipt, serverKeyHex) {
  const fields = ['election', 'head', 'position', 'server_key', 'signature', 'tracking_code', 'type', 'version'];
  if (typeof receipt !== 'object' || receipt === null || Object.keys(receipt).sort().join() !== fields.join()) {
    throw new ReceiptError('not a receipt');
  }
  if (receipt.type !== 'receipt' || receipt.version !== 1) throw new ReceiptError('not a receipt document of version 1');
  if (![receipt.election, receipt.head, receipt.server_key, receipt.tracking_code].every((x) => typeof x === 'string' && HEX32.test(x)) ||
      !(typeof receipt.signature === 'string' && /^[0-9a-f]{128}$/.test(receipt.signature)) ||
      !(Number.isSafeInteger(receipt.position) && receipt.position >= 0)) {
    throw new ReceiptError('the receipt is malformed');
  }
  if (receipt.election !== electionHashHex) throw new ReceiptError('the receipt is for another election', 'election');
  if (receipt.tracking_code !== trackingCodeHex) throw new ReceiptError("the receipt's tracking code is not this ballot's", 'tracking-code');
  if (receipt.server_key !== serverKeyHex) throw new ReceiptError('the receipt is signed by another server key', 'server-key');
  try {
    await verifySignature(hexToBytes(serverKeyHex, 32), receiptMessage(receipt), hexToBytes(receipt.signature, 64));
  } catch (error) {
    if (error instanceof SignatureError) throw new ReceiptError("the server's signature on the receipt does not verify", 'signature');
    throw error;
  }
  return receipt;
}
