"""The verifier's checks of what the committee and the registrar pinned: the
trustees' signed cards, the registrar's signature on the roll and the close
attestations (docs/record.md §6; docs/spec.md §8.10, §8.12, §8.13).

Like :mod:`.steps`, each function records items in a
:class:`~.report.Collector` instead of raising.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..election.attestation import BoardClose, agreeing
from ..election.committee import (
    Committee,
    check_committee_shape,
    verify_card,
    verify_registrar,
)
from ..election.context import ElectionContext
from ..election.roll import check_roll
from ..errors import KiemphieuCryptoError
from ..primitives.paillier import KeyPolicy
from .documents import AttestationList, CredentialList, RecordState
from .report import Collector


def check_committee(r: Collector, committee: Committee, size: int, policy: KeyPolicy) -> None:
    """Check ``trustees``: indices 1..ℓ, distinct keys, every card signed by its
    member with valid ring-Pedersen parameters (Π^prm), the registrar's card."""
    try:
        check_committee_shape(committee.trustees, size)
        r.passed("trustees")
    except KiemphieuCryptoError as exc:
        r.failed("trustees", str(exc))
    for member in committee.trustees:
        try:
            verify_card(member, policy)
            r.passed("trustees")
        except KiemphieuCryptoError as exc:
            r.failed("trustees", str(exc))
    try:
        verify_registrar(committee.registrar)
        r.passed("trustees")
    except KiemphieuCryptoError as exc:
        r.failed("trustees", str(exc))


def check_roll_signature(r: Collector, ctx: ElectionContext, credentials: CredentialList) -> None:
    """Check ``roll-signature``: credentials.json's keys are the roll the
    registrar bound by the key ceremony signed (count and roll hash)."""
    try:
        check_roll(
            credentials.signed_roll,
            ctx.ceremony.committee.registrar,
            ctx.election_id,
            ctx.hash,
            credentials.keys,
        )
        r.passed("roll-signature")
    except KiemphieuCryptoError as exc:
        r.failed("roll-signature", str(exc))


def check_attestations(
    r: Collector,
    ctx: ElectionContext,
    attestations: AttestationList,
    *,
    close: BoardClose | None,
    state: RecordState,
    combined_by: Sequence[int],
) -> None:
    """Check ``close-attestations``: every attestation signed by its trustee and
    naming the board as recomputed (size, ballots, roll hash, head); once the
    tally is decrypted, at least t of them, among them every trustee whose
    shares were combined (a trustee decrypts only a board it attested)."""
    r.item(
        "close-attestations",
        attestations.election == ctx.hash,
        "attestations.json is for another election",
    )
    if close is None:
        r.failed("close-attestations", "the board's close cannot be recomputed")
        return
    members = ctx.ceremony.committee.trustees
    good, problems = agreeing(attestations.attestations, members, ctx.hash, close)
    indices = [a.index for a in attestations.attestations]
    r.item(
        "close-attestations",
        indices == sorted(set(indices)),
        "the attestations are not in index order, one per trustee",
    )
    for problem in problems:
        r.failed("close-attestations", problem)
    if good:
        r.passed("close-attestations", len(good))
    if state is RecordState.CLOSED:
        return
    t = ctx.key.t
    r.item(
        "close-attestations",
        len(good) >= t,
        f"{len(good)} trustees attested the closed board, t = {t}",
    )
    missing = sorted(set(combined_by) - set(good))
    r.item(
        "close-attestations",
        not missing,
        f"trustees {missing} decrypted without attesting the board",
    )
