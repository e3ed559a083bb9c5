"""The election manifest: questions and their ballot shapes (docs/spec.md §8.1).

Three question kinds share one type, :class:`Question`:

* ``confidence``: one row per person assessed; each row is one ciphertext
  whose allowed plaintexts are the levels plus an explicit blank slot (a row
  left blank or spoiled is "invalid for that person", QĐ 96 Điều 6 khoản 3);
* ``single``: one ciphertext choosing one option (plus a blank slot when
  ``blank`` is set): a motion, a referendum, a plurality race;
* ``multiple``: one {0,1} ciphertext per option and a proof that between
  ``min_choices`` and ``max_choices`` options are chosen (approval, k of n).

The manifest hash binds all of it into every proof (§8.2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from ..errors import ParameterError
from ..schema import Items, SmallInt, Text, document
from .rules import Rules

IDENT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
BLANK = "blank"
CHOSEN = "chosen"
MAX_COUNTER_BITS = 48


class QuestionKind(StrEnum):
    """The three ballot shapes (docs/spec.md §8.1)."""

    CONFIDENCE = "confidence"
    SINGLE = "single"
    MULTIPLE = "multiple"


@dataclass(frozen=True, slots=True)
class LocalizedText:
    """A text in Vietnamese and English."""

    vi: Annotated[str, Text(1, 2000, multiline=True)]
    en: Annotated[str, Text(1, 2000, multiline=True)]


@dataclass(frozen=True, slots=True)
class Choice:
    """An option of a question, a level of a confidence question, or a person
    (row) assessed; ``id`` is a short identifier used in proofs and records."""

    id: Annotated[str, Text(1, 48)]
    label: LocalizedText


@dataclass(frozen=True, slots=True)
class Question:
    """One question; fields not used by a kind are empty or zero (§8.1)."""

    id: Annotated[str, Text(1, 48)]
    kind: QuestionKind
    title: LocalizedText
    options: Annotated[tuple[Choice, ...], Items(1, 60)]
    rows: Annotated[tuple[Choice, ...], Items(0, 60)] = ()
    blank: bool = False
    min_choices: Annotated[int, SmallInt(0, 60)] = 0
    max_choices: Annotated[int, SmallInt(0, 60)] = 0

    def __post_init__(self) -> None:
        for what, items in (("option", self.options), ("row", self.rows)):
            ids = [c.id for c in items]
            if len(set(ids)) != len(ids):
                raise ParameterError(f"question {self.id}: duplicate {what} id")
            for ident in [*ids, self.id]:
                if not IDENT.match(ident) or ident in (BLANK, CHOSEN, "sum", "choice"):
                    raise ParameterError(
                        f"identifier {ident!r}: need [a-z0-9_-], 1-48 chars, not a reserved word"
                    )
        k = len(self.options)
        if self.kind is QuestionKind.CONFIDENCE:
            if not self.rows or not self.blank or k < 2:
                raise ParameterError(
                    f"question {self.id}: a confidence question needs rows, two or more"
                    " levels and the blank slot"
                )
        elif self.rows:
            raise ParameterError(f"question {self.id}: only confidence questions have rows")
        if self.kind is QuestionKind.MULTIPLE:
            if not 0 <= self.min_choices <= self.max_choices <= k or self.max_choices == 0:
                raise ParameterError(
                    f"question {self.id}: need 0 <= min_choices <= max_choices <= {k}, max > 0"
                )
            if self.blank:
                raise ParameterError(
                    f"question {self.id}: multiple choice has no blank slot (use min_choices=0)"
                )
        elif self.min_choices or self.max_choices:
            raise ParameterError(f"question {self.id}: choice limits apply to multiple choice only")
        if self.kind is QuestionKind.SINGLE and k + int(self.blank) < 2:
            raise ParameterError(f"question {self.id}: a single choice needs two or more slots")

    @property
    def slots(self) -> int:
        """Counters per ciphertext: levels/options, plus the blank slot if any."""
        if self.kind is QuestionKind.MULTIPLE:
            return 1
        return len(self.options) + int(self.blank)

    @property
    def slot_ids(self) -> tuple[str, ...]:
        """Names of the counters of each part: option ids, ``blank``, or ``chosen``."""
        if self.kind is QuestionKind.MULTIPLE:
            return (CHOSEN,)
        return tuple(o.id for o in self.options) + ((BLANK,) if self.blank else ())

    @property
    def parts(self) -> tuple[str, ...]:
        """The ciphertexts of an answer, by name: rows, the single choice, or options."""
        if self.kind is QuestionKind.CONFIDENCE:
            return tuple(r.id for r in self.rows)
        if self.kind is QuestionKind.SINGLE:
            return ("choice",)
        return tuple(o.id for o in self.options)


@dataclass(frozen=True, slots=True)
class Meeting:
    """Where and when the vote is held, for the counting minutes (QĐ 96; domain.md)."""

    unit: LocalizedText
    name: LocalizedText
    place: Annotated[str, Text(1, 200)]
    date: Annotated[str, Text(10, 10)]

    def __post_init__(self) -> None:
        if not DATE.match(self.date):
            raise ParameterError("meeting date must be YYYY-MM-DD")


@document("manifest", 1)
@dataclass(frozen=True, slots=True)
class Manifest:
    """What is being voted on, and the counter width b (docs/spec.md §8.1).

    ``counter_bits`` is b: each packed counter holds values below 2^b, so the
    number of ballots counted must stay below 2^b.
    """

    election_id: Annotated[str, Text(1, 48)]
    title: LocalizedText
    description: LocalizedText
    questions: Annotated[tuple[Question, ...], Items(1, 60)]
    counter_bits: Annotated[int, SmallInt(8, MAX_COUNTER_BITS)] = 24
    rules: Rules | None = None
    meeting: Meeting | None = None

    def __post_init__(self) -> None:
        if not IDENT.match(self.election_id):
            raise ParameterError("election_id is not [a-z0-9_-], 1-48 chars")
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ParameterError("duplicate question id")
        if self.rules is not None:
            for rule in self.rules.thresholds:
                if rule.question not in ids:
                    raise ParameterError(f"threshold {rule.id}: no question {rule.question!r}")
                if rule.slot not in self.question(rule.question).slot_ids:
                    raise ParameterError(
                        f"threshold {rule.id}: question {rule.question} has no slot {rule.slot!r}"
                    )

    def question(self, qid: str) -> Question:
        """The question with id ``qid``."""
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    @property
    def max_ballots(self) -> int:
        """The most ballots a tally may count: 2^b − 1."""
        return (1 << self.counter_bits) - 1
