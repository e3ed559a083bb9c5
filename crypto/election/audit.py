"""Cast-or-audit: the ballot-audit document and its check (docs/spec.md §8.11).

Before casting, a voter may challenge the booth (Benaloh): the booth reveals
every random value it drew for the encrypted ballot, in the order
:func:`~kiemphieu.crypto.election.ballot.encrypt_answers` draws them, and the
voter's selections. Anyone then re-encrypts the selections from those coins
and compares the result with the audited ballot byte for byte: equal bytes
show that the ballot encrypts exactly those selections. An audited ballot
carries a zero signature, so it can never be cast (§8.6 step 3 refuses it);
the booth encrypts afresh for the ballot that is cast.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated

from ..errors import AuditMismatch
from ..primitives.numbers import is_unit
from ..schema import BigInt, Items, SmallInt, Text, document
from .ballot import (
    ZERO_SIGNATURE,
    Ballot,
    Coins,
    Vote,
    allowed_values,
    encrypt_answers,
    part_indices,
)
from .context import ElectionContext
from .manifest import Question, QuestionKind

MAX_COINS = 1 << 17
"""Most coins an audit may reveal (the 1 MiB input limit binds long before)."""


@dataclass(frozen=True, slots=True)
class AuditedSelection:
    """The voter's selection for one question: per part, in part order, the
    index of its plaintext in the part's allowed set (§8.1): for a confidence
    row the level index (the number of levels for blank), for a single choice
    the option index (the number of options for blank), for a multiple choice
    1 (chosen) or 0 per option."""

    question: Annotated[str, Text(1, 48)]
    choices: Annotated[tuple[int, ...], Items(1, 60), SmallInt(0, 4096)]


@document("ballot-audit", 1)
@dataclass(frozen=True, slots=True)
class BallotAudit:
    """An audited ballot (signature zero), the selections it encrypts and the
    coins its encryption drew, in draw order (§8.11)."""

    ballot: Ballot
    selections: Annotated[tuple[AuditedSelection, ...], Items(1, 60)]
    coins: Annotated[tuple[int, ...], Items(1, MAX_COINS), BigInt(4096)]


class RecordingCoins:
    """Coins that remember every value drawn from ``source``, for an audit."""

    def __init__(self, source: Coins) -> None:
        self._source = source
        self.drawn: list[int] = []

    def unit(self, n: int) -> int:
        x = self._source.unit(n)
        self.drawn.append(x)
        return x

    def bits(self, k: int) -> int:
        x = self._source.bits(k)
        self.drawn.append(x)
        return x


class ReplayCoins:
    """Coins that hand out revealed values in order, checking each one's range;
    a value out of range or too few values raise AuditMismatch."""

    def __init__(self, values: Iterable[int]) -> None:
        self._values = tuple(values)
        self._next = 0

    def _take(self) -> int:
        if self._next >= len(self._values):
            raise AuditMismatch("the audit reveals fewer coins than the encryption draws")
        x = self._values[self._next]
        self._next += 1
        return x

    def unit(self, n: int) -> int:
        x = self._take()
        if not is_unit(x, n):
            raise AuditMismatch(f"coin {self._next - 1}: not a unit modulo n")
        return x

    def bits(self, k: int) -> int:
        x = self._take()
        if x >> k:
            raise AuditMismatch(f"coin {self._next - 1}: longer than {k} bits")
        return x

    def finish(self) -> None:
        """Raise AuditMismatch if revealed coins were left unused."""
        if self._next != len(self._values):
            raise AuditMismatch("the audit reveals more coins than the encryption draws")


def selections_of(ctx: ElectionContext, votes: Mapping[str, Vote]) -> tuple[AuditedSelection, ...]:
    """The audit form of ``votes`` (raises ValueError for a vote the manifest refuses)."""
    return tuple(
        AuditedSelection(q.id, tuple(part_indices(q, votes[q.id]))) for q in ctx.manifest.questions
    )


def _vote(ctx: ElectionContext, q: Question, choices: Sequence[int]) -> Vote:
    k = len(q.options)
    if len(choices) != len(q.parts) or any(
        not 0 <= i < len(allowed_values(ctx, q)) for i in choices
    ):
        raise AuditMismatch(f"question {q.id}: the selection does not fit the question")
    if q.kind is QuestionKind.CONFIDENCE:
        return tuple(None if i == k else i for i in choices)
    if q.kind is QuestionKind.SINGLE:
        return None if choices[0] == k else choices[0]
    return frozenset(j for j, i in enumerate(choices) if i == 1)


def votes_of(ctx: ElectionContext, selections: Sequence[AuditedSelection]) -> dict[str, Vote]:
    """The votes an audit's selections stand for; AuditMismatch if they do not fit."""
    questions = ctx.manifest.questions
    if [s.question for s in selections] != [q.id for q in questions]:
        raise AuditMismatch("the selections do not name the manifest's questions in order")
    return {q.id: _vote(ctx, q, s.choices) for q, s in zip(questions, selections, strict=True)}


def make_audit(
    ctx: ElectionContext, ballot: Ballot, votes: Mapping[str, Vote], coins: Sequence[int]
) -> BallotAudit:
    """The audit document of ``ballot`` (its signature is dropped)."""
    unsigned = dataclasses.replace(ballot, signature=ZERO_SIGNATURE)
    return BallotAudit(unsigned, selections_of(ctx, votes), tuple(coins))


def check_audit(ctx: ElectionContext, audit: BallotAudit) -> dict[str, Vote]:
    """Re-encrypt the audit's selections from its coins and compare (§8.11).

    Returns the votes the audited ballot encrypts; raises AuditMismatch naming
    the first thing that differs.
    """
    ballot = audit.ballot
    if ballot.election != ctx.hash:
        raise AuditMismatch("the audited ballot is for another election or other parameters")
    if ballot.signature != ZERO_SIGNATURE:
        raise AuditMismatch("an audited ballot carries a zero signature, so it cannot be cast")
    votes = votes_of(ctx, audit.selections)
    coins = ReplayCoins(audit.coins)
    try:
        answers = encrypt_answers(ctx, ballot.credential, votes, coins=coins)
    except ValueError as exc:  # a selection the manifest refuses (e.g. too many chosen)
        raise AuditMismatch(f"the selections are not a valid vote: {exc}") from None
    coins.finish()
    if len(answers) != len(ballot.answers):
        raise AuditMismatch("the audited ballot answers another number of questions")
    # H_E, the credential and the zero signature are as above, so equal answers
    # make the re-encrypted ballot equal to the audited one, byte for byte.
    for mine, theirs in zip(answers, ballot.answers, strict=True):
        if mine != theirs:
            raise AuditMismatch(
                f"question {mine.question}: the ballot is not the encryption of the "
                "selections under the revealed coins"
            )
    return votes
