"""Manifests from TOML: a QĐ 96 confidence vote, and errors that name the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.manifest import Manifest, QuestionKind
from kiemphieu.crypto.election.manifest_toml import manifest_from_toml
from kiemphieu.crypto.election.rules import Comparison, Denominator, Revote
from kiemphieu.crypto.errors import DecodeError

SOURCE = (Path(__file__).parents[1] / "data" / "confidence.toml").read_text(encoding="utf-8")


def test_confidence_manifest():
    m = manifest_from_toml(SOURCE)
    q = m.questions[0]
    assert q.kind is QuestionKind.CONFIDENCE and q.blank and q.slots == 4
    assert [o.id for o in q.options] == ["high", "mid", "low"]
    assert q.slot_ids == ("high", "mid", "low", "blank")
    rules = m.rules
    assert rules is not None
    assert (rules.quorum.num, rules.quorum.den, rules.summoned) == (2, 3, 90)
    assert rules.denominator is Denominator.RETURNED and rules.revote is Revote.LAST_COUNTS
    half, two_thirds = rules.thresholds
    assert half.comparison is Comparison.MORE_THAN and (half.fraction.num, half.fraction.den) == (
        1,
        2,
    )
    assert two_thirds.comparison is Comparison.AT_LEAST
    # QĐ 96 thresholds in integers: more than half of 60 is 31; two thirds or more is 40
    assert not half.fraction.holds(half.comparison, 30, 60) and half.fraction.holds(
        half.comparison, 31, 60
    )
    assert not two_thirds.fraction.holds(two_thirds.comparison, 39, 60)
    assert two_thirds.fraction.holds(two_thirds.comparison, 40, 60)
    assert rules.quorum_met(60) and not rules.quorum_met(59)
    assert codec.loads(Manifest, codec.dumps(m)) == m


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (('election_id = "tin-nhiem-2026"', 'election_id = "Tín nhiệm"'), "<root>"),
        (("summoned = 90", "summoned = 0"), "rules.summoned"),
        (("summoned = 90", 'summoned = "90"'), "rules.summoned"),
        (('quorum = "2/3"', 'quorum = "3/2"'), "rules.quorum"),
        (('quorum = "2/3"', 'quorum = "2:3"'), "rules.quorum"),
        (
            ('denominator = "returned"\ntrustees', 'denominator = "present"\ntrustees'),
            "rules.denominator",
        ),
        (("threshold = 3", "threshold = 7"), "rules"),
        (('kind = "confidence"', 'kind = "ranked"'), "questions[0].kind"),
        (('en = "Confidence" }', "en = 5 }"), "questions[0].options[1].en"),
        (('en = "Confidence" }', 'fr = "Confiance" }'), "questions[0].options[1].fr"),
        (('id = "pho-1"', 'id = "cuc-truong"'), "questions[0]"),
        (
            ('slot = "low"\ncomparison = "at-least"', 'slot = "lo"\ncomparison = "at-least"'),
            "<root>",
        ),
        # "more-than 2/4" is the tier "more-than 1/2" again: the tiers would not be exclusive
        (
            (
                'comparison = "at-least"\nfraction = "2/3"',
                'comparison = "more-than"\nfraction = "2/4"',
            ),
            "rules",
        ),
    ],
)
def test_errors_name_the_field(change, path):
    old, new = change
    assert old in SOURCE
    with pytest.raises(DecodeError) as info:
        manifest_from_toml(SOURCE.replace(old, new, 1))
    assert info.value.path == path


def test_not_toml_and_too_big():
    with pytest.raises(DecodeError, match="TOML"):
        manifest_from_toml("election_id = ")
    with pytest.raises(DecodeError, match="larger"):
        manifest_from_toml("#" * (300 * 1024))
    with pytest.raises(DecodeError, match="set by kiemphieu"):
        manifest_from_toml('type = "manifest"\n' + SOURCE)
    # Python refuses to convert integers of more than 4,300 digits (issue 13)
    with pytest.raises(DecodeError, match="too many digits"):
        manifest_from_toml("counter_bits = " + "9" * 4301 + "\n" + SOURCE)


def test_meeting_section():
    m = manifest_from_toml(SOURCE)
    assert m.meeting is not None and m.meeting.date == "2026-12-15"
    assert m.meeting.unit.vi.startswith("Cục")
    with pytest.raises(DecodeError) as info:
        manifest_from_toml(SOURCE.replace("date = 2026-12-15", 'date = "15/12/2026"'))
    assert info.value.path == "meeting"
