"""The verifier's checks that need no board pass: the key ceremony, H_E, the
committee, and after the count the tally shares, the combination, the
unpacking, the result and the minutes (docs/spec.md §11 steps 1–4, 8–10).

Each function records its items in a :class:`~.report.Collector` and returns
what later checks need (None when it could not be established).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..election.board import roll_hash
from ..election.ceremony import (
    KeyCeremony,
    VerifiedKeyCeremony,
    check_factor_proofs,
    check_modulus,
    check_test_decryption,
    check_test_values,
    verify_key_ceremony,
)
from ..election.committee import Trustee
from ..election.context import ElectionContext
from ..election.manifest import Manifest
from ..election.result import ElectionResult, compute_result
from ..election.tally import TallyCounts, unpack
from ..election.trustee import SharePurpose, TrusteeShares, verify_shares
from ..errors import InvalidSignature, KiemphieuCryptoError
from ..primitives.combination import DecryptionShare, VerifiedDecryptionShare, combine
from ..primitives.paillier import KeyPolicy
from ..primitives.threshold import check_verification_keys
from . import committee as committee_steps
from .archive import COUNTS, FIXED_NAMES, MINUTES, RESULT, RecordArchive, verify_index_signature
from .documents import (
    CredentialList,
    MinutesRecord,
    RecordIndex,
    RecordState,
    ShareList,
    TallyRecord,
)
from .report import Collector


def check_index_signature(r: Collector, index: RecordIndex, expected: bytes | None) -> None:
    """The server's signature over record.json by its receipt key (docs/record.md
    §2.1): through the files' SHA-256 it binds every byte, including fields no
    other check reaches (trustee names, the export time). ``expected``: the
    server's key as the observer knows it, when given."""
    if expected is not None:
        r.item("index", index.receipt_key == expected, "signed by another key than expected")
    try:
        verify_index_signature(index)
    except InvalidSignature:
        r.item("index", False, "record.json is not signed by its receipt key")
    else:
        r.item("index", True, "")


def check_index_files(r: Collector, archive: RecordArchive, shares: ShareList | None) -> None:
    """``index``: the files present are those of the record's state (docs/record.md §3)."""
    index = archive.index
    closed = index.state is RecordState.CLOSED
    for name in FIXED_NAMES:
        wanted = not (closed and name in (COUNTS, RESULT, MINUTES))
        present = archive.has(name)
        r.item("index", present == wanted, f"{name} {'missing' if wanted else 'present'} "
               f"in a {index.state.value} record")  # fmt: skip
    r.item("index", bool(archive.segment_names), "the record holds no board segment")
    if shares is not None:
        ok = (not shares.tally) if closed else bool(shares.tally)
        r.item("index", ok, f"tally shares do not fit a {index.state.value} record")


def check_ceremony(
    r: Collector, ceremony: KeyCeremony, election_id: str, policy: KeyPolicy
) -> VerifiedKeyCeremony | None:
    """Checks ``parameters`` (modulus size, modulus proof, factor proofs),
    ``verification-keys`` and ``trustees`` (§11 steps 1–2): at once when the
    ceremony verifies, step by step to name what fails when not."""
    same = ceremony.election_id == election_id
    r.item("parameters", same, "the key is for another election")
    try:
        verified = verify_key_ceremony(ceremony, policy)
    except KiemphieuCryptoError:
        verified = None
    if verified is not None:
        r.passed("parameters", 3)
        r.passed("verification-keys", 3)
        r.passed("trustees", len(ceremony.committee.trustees) + 1)
        return verified if same else None
    key = ceremony.key
    parts: list[tuple[str, Callable[[], None]]] = [
        ("parameters", lambda: policy.check_bits(key.n.bit_length())),
        ("parameters", lambda: check_modulus(ceremony)),
        ("parameters", lambda: check_factor_proofs(ceremony)),
        ("verification-keys", lambda: check_verification_keys(key, election_id=election_id)),
        ("verification-keys", lambda: check_test_values(ceremony)),
    ]
    for check, step in parts:
        try:
            step()
            r.passed(check)
        except KiemphieuCryptoError as exc:
            r.failed(check, str(exc))
    committee_steps.check_committee(r, ceremony.committee, key.l, policy)
    return None


def build_context(
    r: Collector, manifest: Manifest, ceremony: KeyCeremony, index: RecordIndex, policy: KeyPolicy
) -> ElectionContext | None:
    """Check ``election-hash`` (§11 step 4): H_E recomputed, t and ℓ as the rules."""
    try:
        ctx = ElectionContext(manifest, ceremony, policy)
    except KiemphieuCryptoError as exc:
        r.failed("election-hash", f"the manifest and key make no election context: {exc}")
        return None
    r.item("election-hash", ctx.hash == index.election, "H_E recomputed differs from record.json")
    rules = manifest.rules
    if rules is None:
        r.failed("election-hash", "the manifest has no rules")
    else:
        same = (rules.trustees, rules.threshold) == (ctx.key.l, ctx.key.t)
        r.item("election-hash", same, "the key's t and ℓ differ from the manifest's rules")
    return ctx


def check_credentials(
    r: Collector, ctx: ElectionContext, credentials: CredentialList, roll_payload: bytes | None
) -> None:
    """Check ``credentials``: ascending and distinct, and the roll the board opened with."""
    keys = credentials.keys
    r.item("credentials", credentials.election == ctx.hash, "the roll of another election")
    ascending = all(a < b for a, b in itertools.pairwise(keys))
    r.item("credentials", ascending, "the keys are not in strictly ascending order")
    if roll_payload is None:
        r.failed("credentials", "the board has no roll entry to compare with")
    else:
        same = roll_hash(keys) == roll_payload
        r.item("credentials", same, "the roll entry's hash is not the credential list's")


def _shares_of(
    r: Collector,
    check: str,
    *,
    ctx: ElectionContext,
    members: Sequence[Trustee],
    docs: Sequence[TrusteeShares],
    purpose: SharePurpose,
    expected: Sequence[int],
) -> dict[int, tuple[VerifiedDecryptionShare, ...]]:
    valid: dict[int, tuple[VerifiedDecryptionShare, ...]] = {}
    seen: set[int] = set()
    for doc in docs:
        who = f"trustee {doc.index}"
        if doc.purpose is not purpose or doc.index in seen or not 1 <= doc.index <= len(members):
            r.failed(check, f"{who}: a {doc.purpose.value} document, twice or of no trustee")
            continue
        seen.add(doc.index)
        try:
            valid[doc.index] = verify_shares(
                ctx.key, members[doc.index - 1], doc, ctx.hash, expected
            )
            r.passed(check)
        except KiemphieuCryptoError as exc:
            r.failed(check, f"{who}: {exc}")
    return valid


def check_test_shares(
    r: Collector,
    ctx: ElectionContext,
    ceremony: VerifiedKeyCeremony,
    members: Sequence[Trustee],
    docs: Sequence[TrusteeShares],
) -> None:
    """Check ``test-decryption`` (§4.4): each document, all ℓ trustees (the
    server opens the poll only then), every t-subset decrypts c_T."""
    c_t = ceremony.ceremony.test_ciphertext
    valid = _shares_of(
        r,
        "test-decryption",
        ctx=ctx,
        members=members,
        docs=docs,
        purpose=SharePurpose.TEST,
        expected=(c_t,),
    )
    r.item(
        "test-decryption",
        len(valid) == ctx.key.l,
        f"valid test shares from {len(valid)} of the ℓ = {ctx.key.l} trustees",
    )
    shares: list[DecryptionShare] = [v[0].share for _, v in sorted(valid.items())]
    try:
        check_test_decryption(ceremony, shares, ctx.hash)
        r.passed("test-decryption")
    except KiemphieuCryptoError as exc:
        r.failed("test-decryption", str(exc))


@dataclass(frozen=True)
class Decryption:
    """The packed plaintexts and the trustees whose shares gave them."""

    plaintexts: tuple[int, ...]
    combined_by: tuple[int, ...]


def check_combination(
    r: Collector,
    ctx: ElectionContext,
    *,
    members: Sequence[Trustee],
    docs: Sequence[TrusteeShares],
    packed: Sequence[int],
    minutes: MinutesRecord | None,
) -> Decryption | None:
    """Checks ``tally-shares`` (§8.10) and ``combination`` (§5.4, the t lowest
    valid indices, as the minutes name them)."""
    valid = _shares_of(
        r,
        "tally-shares",
        ctx=ctx,
        members=members,
        docs=docs,
        purpose=SharePurpose.TALLY,
        expected=packed,
    )
    r.run("tally-shares")
    t = ctx.key.t
    if len(valid) < t:
        r.failed("combination", f"valid tally shares from {len(valid)} trustees, t = {t}")
        return None
    chosen = tuple(sorted(valid)[:t])
    if minutes is not None:
        r.item(
            "combination",
            minutes.combined_by == chosen,
            f"the minutes name {list(minutes.combined_by)}, the t lowest are {list(chosen)}",
        )
    plaintexts = []
    for k, c in enumerate(packed):
        try:
            plaintexts.append(combine(ctx.key, c, [valid[i][k] for i in chosen]))
            r.passed("combination")
        except KiemphieuCryptoError as exc:
            r.failed("combination", f"packed ciphertext {k}: {exc}")
    if not r.clean("combination"):
        return None
    return Decryption(tuple(plaintexts), chosen)


def check_counts(
    r: Collector,
    ctx: ElectionContext,
    ballots: int,
    decryption: Decryption,
    published: TallyCounts | None,
) -> TallyCounts | None:
    """Check ``unpacking`` (§8.7.3): the public checks and the published counts."""
    try:
        counts = unpack(ctx, ballots, decryption.plaintexts)
        r.passed("unpacking")
    except KiemphieuCryptoError as exc:
        r.failed("unpacking", str(exc))
        return None
    if published is not None:
        r.item("unpacking", counts == published, "counts.json differs from the decrypted counts")
    return counts


def check_result(
    r: Collector,
    manifest: Manifest,
    counts: TallyCounts,
    issued: int,
    published: ElectionResult,
) -> None:
    """Check ``result`` (§8.8): recomputed from the counts and the rules with
    issued = credentials on the roll and present as published, which must be
    the ballots counted (the server records no other attendance)."""
    r.item(
        "result",
        published.present == counts.ballots,
        f"present is {published.present}, {counts.ballots} ballots were counted",
    )
    try:
        again = compute_result(manifest, counts, issued=issued, present=published.present)
    except KiemphieuCryptoError as exc:
        r.failed("result", str(exc))
        return
    r.item("result", again == published, "result.json differs from the result recomputed")


def check_minutes(
    r: Collector, ctx: ElectionContext, minutes: MinutesRecord, size: int, head: bytes
) -> None:
    """Check ``minutes``: its election and the board it cites (the board's own)."""
    r.item("minutes", minutes.election == ctx.hash, "minutes.json is for another election")
    r.item("minutes", minutes.board_size == size, "the minutes cite another board size")
    r.item("minutes", minutes.board_head == head, "the minutes cite another board head")


def check_count(
    r: Collector,
    ctx: ElectionContext,
    *,
    members: Sequence[Trustee],
    shares: ShareList,
    tally: TallyRecord,
    counts: TallyCounts | None,
    result: ElectionResult | None,
    minutes: MinutesRecord | None,
    credentials: CredentialList | None,
) -> Decryption | None:
    """§11 steps 8–10: tally shares, combination, unpacking, result; returns
    the decryption (None when the combination failed)."""
    decryption = check_combination(
        r,
        ctx,
        members=members,
        docs=shares.tally,
        packed=tally.packed,
        minutes=minutes,
    )
    if decryption is None:
        r.skip("unpacking", "the combination failed")
        recount = None
    else:
        recount = check_counts(r, ctx, tally.tally.ballots, decryption, counts)
    basis = recount if recount is not None else counts
    if result is None or basis is None or credentials is None:
        r.skip("result", "needs result.json, the counts and credentials.json")
        return decryption
    check_result(r, ctx.manifest, basis, len(credentials.keys), result)
    return decryption
