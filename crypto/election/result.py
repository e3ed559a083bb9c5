"""From counts to the legal result: percentages, flags, quorum (docs/spec.md §8.8).

Everything is integer arithmetic. A percentage is shown with two decimals,
rounded half up from the exact fraction 100·count/D; a threshold is tested on
the integers themselves (``den·count > num·D`` or ``den·count ≥ num·D``), never
on a rounded percentage.

Two rules of QĐ 96-QĐ/TW decide which flags a part carries:

* tiers are exclusive (Điều 11: *trên 1/2 đến dưới 2/3* and *từ 2/3 trở lên*
  tín nhiệm thấp): of the thresholds of one scale (question, slot,
  denominator) a part carries only the highest it reaches
  (:meth:`Threshold.outranks`), so 40 low of 60 is "two thirds or more" only;
* below the quorum (fewer than 2/3 of those summoned present) the conference
  cannot proceed: ``quorum_met`` is false, the result has no effect and no part
  carries a flag; counts and percentages are still shown.

Per part (a person's row, a motion, a candidate):

* ``returned`` = ballots counted (the last ballot of each credential that voted);
* ``invalid`` = the blank slot's count (a row left blank or spoiled is invalid
  for that person, QĐ 96 Điều 6 khoản 3); ``valid`` = returned − invalid;
* ``issued`` = credentials on the roll; ``summoned`` from the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from ..errors import TallyError
from ..schema import Bytes, Items, SmallInt, Text, document
from .manifest import BLANK, Manifest
from .rules import MAX_VOTERS, Denominator, Threshold
from .tally import TallyCounts

MAX_COUNT = (1 << 48) - 1


@dataclass(frozen=True, slots=True)
class SlotResult:
    """One counter of a part: its count and its share of the part's denominator."""

    slot: Annotated[str, Text(1, 48)]
    count: Annotated[int, SmallInt(0, MAX_COUNT)]
    percent: Annotated[str, Text(4, 7)]


@dataclass(frozen=True, slots=True)
class PartResult:
    """The result for one row, motion or candidate, with the flags raised: at
    most one per scale, none when the quorum is not met (§8.8)."""

    part: Annotated[str, Text(1, 48)]
    returned: Annotated[int, SmallInt(0, MAX_COUNT)]
    valid: Annotated[int, SmallInt(0, MAX_COUNT)]
    invalid: Annotated[int, SmallInt(0, MAX_COUNT)]
    denominator: Annotated[int, SmallInt(0, MAX_COUNT)]
    slots: Annotated[tuple[SlotResult, ...], Items(1, 61)]
    flags: Annotated[tuple[str, ...], Items(0, 60), Text(1, 48)]


@dataclass(frozen=True, slots=True)
class QuestionResult:
    question: Annotated[str, Text(1, 48)]
    parts: Annotated[tuple[PartResult, ...], Items(1, 60)]


@document("result", 1)
@dataclass(frozen=True, slots=True)
class ElectionResult:
    """The published result (§8.8): participation, quorum and every question.
    ``quorum_met`` false says the result has no effect (and no part has a flag)."""

    election: Annotated[bytes, Bytes(32)]
    summoned: Annotated[int, SmallInt(0, MAX_VOTERS)]
    present: Annotated[int, SmallInt(0, MAX_COUNT)]
    issued: Annotated[int, SmallInt(0, MAX_COUNT)]
    returned: Annotated[int, SmallInt(0, MAX_COUNT)]
    quorum_met: bool
    questions: Annotated[tuple[QuestionResult, ...], Items(1, 60)]


def percent(count: int, total: int) -> str:
    """100·count/total with two decimals, rounded half up ("0.00" when total is 0)."""
    if total <= 0:
        return "0.00"
    hundredths = (20000 * count + total) // (2 * total)  # round(10000·count/total), half up
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def _denominator(
    kind: Denominator, *, returned: int, valid: int, issued: int, summoned: int
) -> int:
    return {
        Denominator.RETURNED: returned,
        Denominator.VALID: valid,
        Denominator.ISSUED: issued,
        Denominator.SUMMONED: summoned,
    }[kind]


def _reached(threshold: Threshold, count: int, total: int) -> bool:
    """A threshold is reached when its comparison holds over a positive
    denominator: with nobody to count against (D = 0) none is (§8.8)."""
    return total > 0 and threshold.fraction.holds(threshold.comparison, count, total)


def _flags(reached: list[Threshold]) -> tuple[str, ...]:
    """The reached thresholds that no other reached one outranks, in manifest
    order: the one highest tier of each scale (QĐ 96-QĐ/TW Điều 11)."""
    return tuple(t.id for t in reached if not any(u.outranks(t) for u in reached))


def compute_result(
    manifest: Manifest,
    counts: TallyCounts,
    *,
    issued: int,
    present: int | None = None,
) -> ElectionResult:
    """Apply the manifest's rules to checked counts (§8.8). ``present`` defaults to
    the number of ballots counted (everyone who voted was present)."""
    rules = manifest.rules
    if rules is None:
        raise TallyError("the manifest has no rules to apply")
    returned = counts.ballots
    if returned > issued:
        raise TallyError(f"{returned} ballots counted but only {issued} credentials issued")
    present = returned if present is None else present
    quorum_met = rules.quorum_met(present)
    questions = []
    for q, qc in zip(manifest.questions, counts.questions, strict=True):
        if qc.question != q.id:
            raise TallyError(f"counts for {qc.question!r} where {q.id!r} was expected")
        rules_here: list[Threshold] = [t for t in rules.thresholds if t.question == q.id]
        parts = []
        for pc in qc.parts:
            names = q.slot_ids
            by_name = dict(zip(names, pc.slots, strict=True))
            invalid = by_name.get(BLANK, 0)
            valid = returned - invalid
            sizes = {
                "returned": returned,
                "valid": valid,
                "issued": issued,
                "summoned": rules.summoned,
            }
            shown = _denominator(rules.denominator, **sizes)
            slots = tuple(SlotResult(s, by_name[s], percent(by_name[s], shown)) for s in names)
            reached = [
                t
                for t in rules_here
                if _reached(t, by_name[t.slot], _denominator(t.denominator, **sizes))
            ]
            # below the quorum the conference cannot proceed: no flag has effect
            flags = _flags(reached) if quorum_met else ()
            parts.append(PartResult(pc.part, returned, valid, invalid, shown, slots, flags))
        questions.append(QuestionResult(q.id, tuple(parts)))
    return ElectionResult(
        counts.election,
        rules.summoned,
        present,
        issued,
        returned,
        quorum_met,
        tuple(questions),
    )
