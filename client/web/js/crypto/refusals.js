// Why the booth refuses an election before encrypting anything: the key
// ceremony (docs/spec.md §4, §6.3, §6.5, §8.2, §8.10, §12.8) or the registrar's roll
// (§8.12) does not verify. Each refusal is its own class and names its check,
// so a page can say what failed and a test can ask for exactly that failure.
// The key check runs in a Web Worker; refusals cross the worker boundary as
// plain data ({name, message, member, trustee, reason}) and are rebuilt here.

/** The booth refuses the election's key material; `check` names the failed step. */
export class KeyCheckError extends Error {
  constructor(check, message) {
    super(message);
    this.name = 'KeyCheckError';
    this.check = check;
  }
}

/** The key ceremony document is malformed (a field missing, of the wrong type or out of range). */
export class CeremonyFormError extends KeyCheckError {
  constructor(message) {
    super('form', message);
    this.name = 'CeremonyFormError';
  }
}

/** A modulus (n or a trustee's N̂) has a size this booth's key policy refuses (§1.1). */
export class KeyPolicyError extends KeyCheckError {
  constructor(message) {
    super('key-policy', message);
    this.name = 'KeyPolicyError';
  }
}

/** The committee's shape: indices 1..ℓ in order, ℓ = number of verification keys, no key twice (§8.10). */
export class CommitteeError extends KeyCheckError {
  constructor(message) {
    super('committee', message);
    this.name = 'CommitteeError';
  }
}

/** A trustee's card is not signed by its own identity key (§8.10); `member` is its index. */
export class CardSignatureError extends KeyCheckError {
  constructor(member, message) {
    super('signatures', message);
    this.name = 'CardSignatureError';
    this.member = member;
  }
}

/** The registrar's card is not signed by the registrar's key (§8.12). */
export class RegistrarSignatureError extends KeyCheckError {
  constructor(message) {
    super('signatures', message);
    this.name = 'RegistrarSignatureError';
  }
}

/** The Paillier–Blum modulus proof, or the shape of n, does not verify (§6.3). */
export class ModulusProofError extends KeyCheckError {
  constructor(message) {
    super('modulus-proof', message);
    this.name = 'ModulusProofError';
  }
}

/** The no-small-factor proof to trustee `trustee` (or its parameters' shape) does not verify (§6.5). */
export class FactorProofError extends KeyCheckError {
  constructor(trustee, message) {
    super('factor-proofs', message);
    this.name = 'FactorProofError';
    this.trustee = trustee;
  }
}

/**
 * The evidence of a key the committee generated does not verify (§12.8): the
 * form of n, a round message's signature, a biprimality commitment that does
 * not open (`trustee` names the trustee, or null), or a biprimality round.
 */
export class KeyGenerationError extends KeyCheckError {
  constructor(trustee, message) {
    super('generation', message);
    this.name = 'KeyGenerationError';
    this.trustee = trustee;
  }
}

/**
 * v is not derived from the election id, v_1..v_ℓ are not on one polynomial
 * (§4.2, §4.3), or (a generated key) are not those its commitments give (§12.6).
 */
export class VerificationKeyError extends KeyCheckError {
  constructor(message) {
    super('verification-keys', message);
    this.name = 'VerificationKeyError';
  }
}

/** x_T is not the derived test plaintext, c_T is not a ciphertext (§4.4), or (a generated key) not Enc(x_T; r_T) (§12.8). */
export class TestCiphertextError extends KeyCheckError {
  constructor(message) {
    super('test-ciphertext', message);
    this.name = 'TestCiphertextError';
  }
}

/**
 * The roll of credentials is not the one the registrar signed (§8.12).
 * `reason`: 'unsigned', 'malformed', 'election', 'signature', 'order', 'count' or 'hash'.
 */
export class RollError extends KeyCheckError {
  constructor(reason, message) {
    super('roll', message);
    this.name = 'RollError';
    this.reason = reason;
  }
}

const CLASSES = {
  CeremonyFormError, KeyPolicyError, CommitteeError, CardSignatureError, RegistrarSignatureError,
  ModulusProofError, FactorProofError, KeyGenerationError, VerificationKeyError, TestCiphertextError, RollError,
};

/** A refusal as plain data that can be posted out of a worker. */
export function refusalData(error) {
  return {
    name: error.name, check: error.check, message: error.message,
    member: error.member ?? null, trustee: error.trustee ?? null, reason: error.reason ?? null,
  };
}

/** The refusal of `refusalData`, as its own class again (a KeyCheckError for an unknown name). */
export function refusalFrom(data) {
  const { name, check, message, member, trustee, reason } = data;
  switch (CLASSES[name]) {
    case CardSignatureError: return new CardSignatureError(member, message);
    case FactorProofError: return new FactorProofError(trustee, message);
    case KeyGenerationError: return new KeyGenerationError(trustee, message);
    case RollError: return new RollError(reason, message);
    case undefined: return new KeyCheckError(String(check), String(message));
    default: return new CLASSES[name](message);
  }
}
