"""Result rules of an election: quorum, denominators, thresholds (docs/spec.md §8.8).

The rules are fixed in the manifest before the poll opens and bound into the
base hash, so nobody can move a threshold after seeing the count. Every
comparison is done in integer arithmetic: ``count > num/den · D`` is tested as
``den·count > num·D`` and ``count ≥ num/den · D`` as ``den·count ≥ num·D``.

Thresholds that count the same slot of the same question against the same
denominator are *tiers* of one scale, and the tiers are exclusive: a part
carries only the highest tier it reaches. This is QĐ 96-QĐ/TW (2023) Điều 11,
whose two tiers of "low confidence" are *trên 1/2 đến dưới 2/3* (2·low > D and
3·low < 2·D) and *từ 2/3 trở lên* (3·low ≥ 2·D): a manifest that declares
"more-than 1/2" and "at-least 2/3" of ``low`` gets exactly those two bands.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from ..errors import ParameterError
from ..schema import Items, SmallInt, Text

MAX_VOTERS = 10_000_000


class Denominator(StrEnum):
    """What a percentage is taken against (QĐ 96 uses ballots returned)."""

    RETURNED = "returned"
    ISSUED = "issued"
    SUMMONED = "summoned"
    VALID = "valid"


class Comparison(StrEnum):
    """``more-than`` (quá nửa: 2·x > D) or ``at-least`` (từ 2/3 trở lên: 3·x ≥ 2·D)."""

    MORE_THAN = "more-than"
    AT_LEAST = "at-least"


class Revote(StrEnum):
    """What the board does with a second ballot from one credential."""

    LAST_COUNTS = "last-counts"
    REFUSE = "refuse"


@dataclass(frozen=True, slots=True)
class Fraction:
    """A ratio num/den with 0 ≤ num ≤ den, den ≥ 1."""

    num: Annotated[int, SmallInt(0, 1000)]
    den: Annotated[int, SmallInt(1, 1000)]

    def __post_init__(self) -> None:
        if self.num > self.den:
            raise ParameterError("a fraction must be at most 1")

    def holds(self, comparison: Comparison, count: int, total: int) -> bool:
        """count compared with num/den of total, in integers."""
        if comparison is Comparison.MORE_THAN:
            return self.den * count > self.num * total
        return self.den * count >= self.num * total

    def compare(self, other: Fraction) -> int:
        """-1, 0 or 1 as num/den is below, equal to or above other's, in integers."""
        left, right = self.num * other.den, other.num * self.den
        return (left > right) - (left < right)


@dataclass(frozen=True, slots=True)
class LocalizedLabel:
    """A short label in Vietnamese and English."""

    vi: Annotated[str, Text(1, 200)]
    en: Annotated[str, Text(1, 200)]


@dataclass(frozen=True, slots=True)
class Threshold:
    """A flag raised for a row or option when ``slot`` reaches ``fraction`` of the
    ``denominator`` and no higher tier of its scale is reached (:meth:`outranks`):
    e.g. QĐ 96: "low" more-than 1/2 of returned ballots, up to below 2/3 when
    "low" at-least 2/3 is declared too."""

    id: Annotated[str, Text(1, 48)]
    question: Annotated[str, Text(1, 48)]
    slot: Annotated[str, Text(1, 48)]
    comparison: Comparison
    fraction: Fraction
    denominator: Denominator
    label: LocalizedLabel

    @property
    def scale(self) -> tuple[str, str, Denominator]:
        """What the threshold measures: (question, slot, denominator). Thresholds
        of one scale are exclusive tiers (§8.8)."""
        return (self.question, self.slot, self.denominator)

    def outranks(self, other: Threshold) -> bool:
        """Whether this is a higher tier than ``other`` of the same scale (§8.8).

        Every threshold is a lower bound, so on one scale the higher bound holds
        only where the lower one does: num/den above other's, or the same value
        with ``more-than`` over ``at-least`` (x > f implies x ≥ f). A part
        reaching both carries only the higher tier (QĐ 96-QĐ/TW Điều 11: "trên
        1/2 đến dưới 2/3" and "từ 2/3 trở lên" are exclusive).
        """
        if self.scale != other.scale:
            return False
        order = self.fraction.compare(other.fraction)
        if order != 0:
            return order > 0
        return self.comparison is Comparison.MORE_THAN and other.comparison is Comparison.AT_LEAST


@dataclass(frozen=True, slots=True)
class Rules:
    """Quorum, percentage base, flags and revoting of one election (§8.8)."""

    summoned: Annotated[int, SmallInt(1, MAX_VOTERS)]
    quorum: Fraction
    denominator: Denominator
    thresholds: Annotated[tuple[Threshold, ...], Items(0, 60)]
    revote: Revote
    trustees: Annotated[int, SmallInt(1, 255)]
    threshold: Annotated[int, SmallInt(1, 255)]

    def __post_init__(self) -> None:
        if not 1 <= self.threshold <= self.trustees:
            raise ParameterError("need 1 <= threshold <= trustees")
        ids = [t.id for t in self.thresholds]
        if len(set(ids)) != len(ids):
            raise ParameterError("duplicate threshold id")
        for i, a in enumerate(self.thresholds):
            for b in self.thresholds[:i]:
                if a.scale == b.scale and not a.outranks(b) and not b.outranks(a):
                    raise ParameterError(
                        f"thresholds {b.id} and {a.id} are the same tier: one slot, "
                        "denominator, comparison and fraction"
                    )

    def quorum_met(self, present: int) -> bool:
        """present ≥ quorum · summoned (QĐ 96: 3·present ≥ 2·summoned). Below
        the quorum the conference cannot proceed: the result has no effect and
        raises no flag (§8.8)."""
        return self.quorum.holds(Comparison.AT_LEAST, present, self.summoned)
