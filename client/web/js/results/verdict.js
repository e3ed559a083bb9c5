// The browser's verdict on a published tally (docs/spec.md §11 steps 4 and
// 7–10, from the public replies only): H_E (over the manifest and the whole key
// ceremony, whose committee's identity keys sign the shares), the packing, every valid tally
// share document and its proofs, the combination with the t lowest valid
// trustees (as the server combines), the unpacking against the reported counts
// and the result recomputed from the rules.
//
// Each check is {id, ok, passed, failed, detail}. Bad data from the server is
// reported in a failed check, never thrown; a check that cannot run because an
// earlier one produced nothing fails with "not run". Only a programming error
// (any other exception) escapes.

import { bitLength, bytesToHex } from '../crypto/bigint.js';
import { combine, ShareError, verifyShares } from './decryption.js';
import { readElection } from './election.js';
import { bigHex, list, object, ReplyError, smallInt } from './reply.js';
import { readCounts, resultFromCounts } from './result.js';
import { pack, readTally, TallyError, unpack } from './tally.js';
import { checkSharesDocument, readCommittee, readShareLog, readSharesDocument } from './trustees.js';

/** The check ids, in the order they are reported. */
export const CHECKS = Object.freeze([
  'base-hash',
  'packing',
  'share-signatures',
  'share-proofs',
  'combination',
  'unpacking',
  'result',
]);

function isDataError(err) {
  return err instanceof ReplyError || err instanceof ShareError || err instanceof TallyError;
}

/** Run `fn`; a data error becomes its message, anything else is rethrown. */
async function attempt(fn) {
  try {
    return { value: await fn(), error: null };
  } catch (err) {
    if (!isDataError(err)) throw err;
    return { value: null, error: err.message };
  }
}

/** A check passes when something was verified and nothing failed. */
function check(id, problems, passed, detail) {
  const failed = problems.length;
  return { id, ok: failed === 0 && passed > 0, passed, failed, detail: failed ? problems.join('; ') : detail };
}

function notRun(id, why) {
  return { id, ok: false, passed: 0, failed: 0, detail: `not run: ${why}` };
}

/** The first place where two JSON values differ, as "path: got … , expected …", or null. */
export function difference(got, want, path = '') {
  if (Array.isArray(want)) {
    if (!Array.isArray(got)) return `${path || '<root>'}: not an array`;
    if (got.length !== want.length) return `${path || '<root>'}: ${got.length} items, expected ${want.length}`;
    for (let i = 0; i < want.length; i++) {
      const d = difference(got[i], want[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  if (want !== null && typeof want === 'object') {
    if (got === null || typeof got !== 'object' || Array.isArray(got)) return `${path || '<root>'}: not an object`;
    const keys = new Set([...Object.keys(want), ...Object.keys(got)]);
    for (const key of [...keys].sort()) {
      const at = path ? `${path}.${key}` : key;
      if (!Object.hasOwn(got, key)) return `${at}: missing`;
      if (!Object.hasOwn(want, key)) return `${at}: unexpected`;
      const d = difference(got[key], want[key], at);
      if (d) return d;
    }
    return null;
  }
  return got === want ? null : `${path || '<root>'}: ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
}

/** The object with each question's parts replaced by their number: what remains to compare. */
function shell(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !Array.isArray(value.questions)) return value;
  const questions = value.questions.map((q) =>
    q !== null && typeof q === 'object' && Array.isArray(q.parts) ? { ...q, parts: q.parts.length } : q,
  );
  return { ...value, questions };
}

/**
 * Compare a reported counts or result document with the recomputed one, part
 * by part (questions[].parts[]): {passed: parts equal, problems: the first
 * difference of each part that differs, and of the rest of the document}.
 */
function compareByPart(got, want, path) {
  const problems = [];
  let passed = 0;
  want.questions.forEach((q, qi) => {
    q.parts.forEach((part, pi) => {
      const d = difference(got?.questions?.[qi]?.parts?.[pi], part, `${path}.questions[${qi}].parts[${pi}]`);
      if (d) problems.push(d);
      else passed++;
    });
  });
  const rest = difference(shell(got), shell(want), path);
  if (rest) problems.push(rest);
  return { passed, problems };
}

/** §11 step 4: H_E recomputed from manifest and key; the key's t and ℓ as the rules fix them. */
function checkBaseHash(summary) {
  let election;
  try {
    election = readElection(summary);
  } catch (err) {
    if (!isDataError(err)) throw err;
    return { election: null, check: check('base-hash', [err.message], 0, '') };
  }
  const problems = [];
  const hex = bytesToHex(election.hash);
  if (election.claimedHash !== hex) problems.push(`the server's H_E ${election.claimedHash} differs from the recomputed ${hex}`);
  if (summary.id !== election.id) problems.push(`summary.id ${JSON.stringify(summary.id)} is not the manifest's election id`);
  const { rules, counterBits, questions } = election.manifest;
  if (rules && (rules.trustees !== election.key.l || rules.threshold !== election.key.t)) {
    problems.push(`the key is ${election.key.t} of ${election.key.l}, the rules say ${rules.threshold} of ${rules.trustees}`);
  }
  for (const q of questions) {
    if (q.slotIds.length * counterBits > bitLength(election.key.n) - 1) {
      problems.push(`question ${q.id}: its counters exceed the plaintext space`);
    }
  }
  return { election, check: check('base-hash', problems, problems.length ? 0 : 1, `H_E = ${hex}`) };
}

/** §11 step 7 (from the published tally): packed ciphertexts recomputed (§8.7.2). */
function checkPacking(election, reply) {
  let tally;
  let packed;
  try {
    object(reply, 'tally');
    tally = readTally(reply.tally, election);
    const claimed = list(reply.packed, 'tally.packed').map((c, i) => bigHex(c, `tally.packed[${i}]`));
    packed = pack(election, tally);
    const problems = [];
    if (bytesToHex(tally.election) !== bytesToHex(election.hash)) problems.push('the tally is for another election');
    if (claimed.length !== packed.length) problems.push(`${claimed.length} packed ciphertexts published, ${packed.length} expected`);
    let passed = 0;
    packed.forEach((c, k) => {
      if (claimed[k] === c) passed++;
      else if (k < claimed.length) problems.push(`tally.packed[${k}] is not the packing of the encrypted tally`);
    });
    const detail = `${packed.length} packed ciphertexts of ${tally.ballots} ballots`;
    return { tally, packed, check: check('packing', problems, passed, detail) };
  } catch (err) {
    if (!isDataError(err)) throw err;
    return { tally: tally ?? null, packed: null, check: check('packing', [err.message], 0, '') };
  }
}

/**
 * §11 step 8: the tally documents the server marked valid (the first per
 * trustee), their §8.10 checks and signatures under the identity keys of the
 * key ceremony's committee (bound by H_E; not GET /trustees), then every
 * share proof. Returns the trustees whose document and proofs all hold, with
 * their shares.
 */
async function checkShares(election, sharesReply, packed, started = () => {}) {
  const read = await attempt(() => ({
    committee: readCommittee(election.ceremony.committee, 'summary.key_ceremony.committee', election.key.l),
    log: readShareLog(sharesReply),
  }));
  if (read.error) {
    return { usable: new Map(), checks: [check('share-signatures', [read.error], 0, ''), notRun('share-proofs', read.error)] };
  }
  const { committee, log } = read.value;
  const signatureProblems = [];
  const docs = [];
  const seen = new Set();
  const tallyEntries = log.filter((e) => e.purpose === 'tally');
  for (const entry of tallyEntries.filter((e) => e.valid)) {
    const got = await attempt(async () => {
      const doc = readSharesDocument(entry.wire, entry.path);
      if (doc.purpose !== 'tally' || doc.index !== entry.index) {
        throw new ShareError(`${entry.path}: the document is not trustee ${entry.index}'s tally shares`, entry.index);
      }
      if (seen.has(doc.index)) throw new ShareError(`trustee ${doc.index} has two valid tally documents`, doc.index);
      seen.add(doc.index);
      docs.push(doc);
      await checkSharesDocument(doc, committee.get(doc.index), election.hash, packed);
      return doc;
    });
    if (got.error) signatureProblems.push(got.error);
    else got.value.signed = true;
  }
  const refused = tallyEntries.length - tallyEntries.filter((e) => e.valid).length;
  const signed = docs.filter((d) => d.signed).length;
  const signatures = check(
    'share-signatures',
    signatureProblems,
    signed,
    `${signed} tally share documents signed by their trustees` + (refused ? `; ${refused} refused by the server, not counted` : ''),
  );
  started('share-proofs');
  const items = [];
  for (const doc of docs) {
    const pairs = Math.min(doc.ciphertexts.length, doc.shares.length);
    for (let k = 0; k < pairs; k++) items.push({ doc, k, c: doc.ciphertexts[k], share: doc.shares[k] });
  }
  const { shares, bad } = verifyShares(election.key, items, election.hash);
  const usable = new Map();
  for (const doc of docs) if (doc.signed) usable.set(doc.index, []);
  items.forEach((item, position) => {
    const mine = usable.get(item.doc.index);
    if (mine === undefined) return;
    if (shares[position] === null) usable.delete(item.doc.index);
    else mine[item.k] = shares[position];
  });
  const verified = shares.filter((s) => s !== null);
  const proofs = check(
    'share-proofs',
    bad.map((b) => `ciphertext ${items[b.position].k}: ${b.reason}`),
    verified.length,
    items.length ? `${verified.length} decryption share proofs verified` : 'no tally shares to verify',
  );
  return { usable, checks: [signatures, proofs] };
}

/** §5.4 with the t lowest trustees whose documents and proofs hold (the server's choice). */
function checkCombination(election, usable, packed) {
  const { t } = election.key;
  const indices = [...usable.keys()].sort((a, b) => a - b);
  if (indices.length < t) {
    return { plaintexts: null, check: check('combination', [`${indices.length} trustees with valid shares, ${t} needed`], 0, '') };
  }
  const chosen = indices.slice(0, t);
  const problems = [];
  const plaintexts = packed.map((c, k) => {
    try {
      return combine(election.key, c, chosen.map((i) => usable.get(i)[k]));
    } catch (err) {
      if (!isDataError(err)) throw err;
      problems.push(`group ${k}: ${err.message}`);
      return null;
    }
  });
  const detail = `trustees ${chosen.join(', ')} decrypt ${packed.length} packed ciphertexts`;
  return { plaintexts: problems.length ? null : plaintexts, check: check('combination', problems, plaintexts.length - problems.length, detail) };
}

/** §11 step 9: the decrypted groups unpacked with the public checks equal the reported counts. */
function checkUnpacking(election, tally, plaintexts, resultReply) {
  let counts;
  try {
    counts = unpack(election, tally.ballots, plaintexts);
  } catch (err) {
    if (!isDataError(err)) throw err;
    return { counts: null, check: check('unpacking', [err.message], 0, '') };
  }
  const reported = resultReply !== null && typeof resultReply === 'object' ? resultReply.counts : undefined;
  const { passed, problems } = compareByPart(reported, counts, 'counts');
  const detail = `${counts.ballots} ballots: ${passed} parts decrypted equal the reported counts`;
  return { counts, check: check('unpacking', problems.map((d) => `reported ${d}`), passed, detail) };
}

/** §11 step 10: the result recomputed from the counts and rules equals the server's. */
function checkResult(election, counts, resultReply) {
  let recomputed;
  try {
    object(resultReply, 'result');
    const claimed = object(resultReply.result, 'result.result');
    const source = counts ?? resultReply.counts;
    const issued = smallInt(claimed.issued, 'result.result.issued', 0, 2 ** 48 - 1);
    const present = smallInt(claimed.present, 'result.result.present', 0, 2 ** 48 - 1);
    recomputed = resultFromCounts(election.manifest, readCounts(source, election.manifest, 'counts'), { issued, present });
    const { passed, problems } = compareByPart(claimed, recomputed, 'result');
    const basis = counts ? 'the decrypted counts' : 'the reported counts (the decryption did not give counts)';
    const detail = `${passed} parts recomputed from ${basis}, with issued = ${issued} and present = ${present} as the server reports them`;
    return { result: recomputed, check: check('result', problems.map((d) => `the server's ${d}`), passed, detail) };
  } catch (err) {
    if (!isDataError(err)) throw err;
    return { result: recomputed ?? null, check: check('result', [err.message], 0, '') };
  }
}

/**
 * The verdict on a published tally from the public replies (GET
 * /api/elections/<id>, /shares, /tally, /result; the committee is the key
 * ceremony's, in the summary, so GET /trustees is not needed):
 * {ok, checks, counts, result} where counts and result are the browser's own
 * (wire form, null when they could not be computed).
 * `onprogress({check, index, total})` is called as each check starts (ids of
 * CHECKS, in order; a check that is not run is not announced).
 */
export async function verdict({ summary, shares, tally, result }, { onprogress = () => {} } = {}) {
  const started = (id) => onprogress({ check: id, index: CHECKS.indexOf(id), total: CHECKS.length });
  const checks = [];
  const out = { counts: null, result: null };
  const finish = () => ({ ok: checks.every((c) => c.ok), checks, counts: out.counts, result: out.result });
  const skip = (from, why) => {
    for (const id of CHECKS.slice(CHECKS.indexOf(from))) checks.push(notRun(id, why));
    return finish();
  };
  started('base-hash');
  const base = checkBaseHash(summary);
  checks.push(base.check);
  const election = base.election;
  if (election === null) return skip('packing', 'the election could not be read');
  started('packing');
  const packing = checkPacking(election, tally);
  checks.push(packing.check);
  if (packing.packed === null) return skip('share-signatures', 'the encrypted tally could not be read');
  started('share-signatures');
  const sharesOut = await checkShares(election, shares, packing.packed, started);
  checks.push(...sharesOut.checks);
  started('combination');
  const combination = checkCombination(election, sharesOut.usable, packing.packed);
  checks.push(combination.check);
  if (combination.plaintexts === null) {
    checks.push(notRun('unpacking', 'no plaintexts were combined'));
  } else {
    started('unpacking');
    const unpacking = checkUnpacking(election, packing.tally, combination.plaintexts, result);
    checks.push(unpacking.check);
    out.counts = unpacking.counts;
  }
  started('result');
  const recomputed = checkResult(election, out.counts, result);
  checks.push(recomputed.check);
  out.result = recomputed.result;
  return finish();
}
