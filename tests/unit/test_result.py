"""Results under QĐ 96 and other rules, in integer arithmetic (docs/spec.md §8.8)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.manifest_toml import manifest_from_toml
from kiemphieu.crypto.election.result import ElectionResult, compute_result, percent
from kiemphieu.crypto.election.rules import Comparison, Denominator, Fraction
from kiemphieu.crypto.election.tally import PartCounts, QuestionCounts, TallyCounts
from kiemphieu.crypto.errors import ParameterError, TallyError

SOURCE = (Path(__file__).parents[1] / "data" / "confidence.toml").read_text(encoding="utf-8")


def counts(rows: list[tuple[int, int, int, int]]) -> TallyCounts:
    total = sum(rows[0])
    parts = tuple(PartCounts(pid, r) for pid, r in zip(("cuc-truong", "pho-1"), rows, strict=True))
    return TallyCounts(bytes(32), total, (QuestionCounts("leaders", parts),))


@pytest.mark.parametrize(
    ("count", "total", "shown"),
    [
        (0, 60, "0.00"),
        (60, 60, "100.00"),
        (1, 3, "33.33"),
        (2, 3, "66.67"),
        (1, 8, "12.50"),
        (1, 0, "0.00"),
    ],
)
def test_percent(count, total, shown):
    assert percent(count, total) == shown


@given(st.integers(0, 10**6), st.integers(1, 10**6))
def test_percent_is_exact_rounding(count, total):
    count = min(count, total)
    value = float(percent(count, total))
    assert abs(value - 100 * count / total) <= 0.005 + 1e-9


def test_qd96_flags_and_invalid_rows():
    m = manifest_from_toml(SOURCE)
    # 60 returned. Row 1: 31 low → more than half. Row 2: 40 low, 3 blank → two thirds,
    # the upper tier only (QĐ 96 Điều 11: the tiers are exclusive).
    result = compute_result(m, counts([(20, 9, 31, 0), (10, 7, 40, 3)]), issued=88)
    assert (result.summoned, result.issued, result.returned, result.present) == (90, 88, 60, 60)
    assert result.quorum_met  # 3·60 ≥ 2·90
    first, second = result.questions[0].parts
    assert (first.valid, first.invalid, first.denominator) == (60, 0, 60)
    assert first.flags == ("low-more-than-half",)
    assert [s.percent for s in first.slots] == ["33.33", "15.00", "51.67", "0.00"]
    assert (second.valid, second.invalid) == (57, 3)
    assert second.flags == ("low-two-thirds",)
    assert codec.loads(ElectionResult, codec.dumps(result)) == result


HALF, TWO_THIRDS = ("low-more-than-half",), ("low-two-thirds",)


@pytest.mark.parametrize(
    ("low", "returned", "flags"),
    [
        (30, 60, ()),  # exactly half: not more than half
        (31, 60, HALF),  # just above half
        (39, 60, HALF),  # just below two thirds: 3·39 < 2·60
        (40, 60, TWO_THIRDS),  # exactly two thirds: the upper tier only
        (41, 60, TWO_THIRDS),  # above two thirds
        (60, 60, TWO_THIRDS),
        (30, 61, ()),  # under half of an odd D
        (31, 61, HALF),  # 2·31 > 61
        (40, 61, HALF),  # 3·40 = 120 < 122
        (41, 61, TWO_THIRDS),  # 3·41 = 123 ≥ 122
        (0, 60, ()),
    ],
)
def test_tiers_are_exclusive_at_the_boundaries(low, returned, flags):
    m = manifest_from_toml(SOURCE)
    rows = [(returned - low, 0, low, 0), (returned, 0, 0, 0)]
    result = compute_result(m, counts(rows), issued=returned)
    assert result.quorum_met
    assert result.questions[0].parts[0].flags == flags
    assert result.questions[0].parts[1].flags == ()


@given(st.integers(1, 2000), st.data())
def test_at_most_one_tier_and_it_is_the_legal_band(returned, data):
    """QĐ 96 Điều 11 in integers: more than half and less than two thirds
    (2·low > D, 3·low < 2·D) or two thirds or more (3·low ≥ 2·D), never both."""
    low = data.draw(st.integers(0, returned))
    m = manifest_from_toml(SOURCE)
    rows = [(returned - low, 0, low, 0), (0, 0, 0, returned)]
    flags = compute_result(m, counts(rows), issued=returned, present=90).questions[0].parts[0].flags
    if 3 * low >= 2 * returned:
        assert flags == TWO_THIRDS
    elif 2 * low > returned:
        assert flags == HALF
    else:
        assert flags == ()


def test_outranks_orders_one_scale_only():
    rules = manifest_from_toml(SOURCE).rules
    assert rules is not None
    half, two_thirds = rules.thresholds
    assert two_thirds.outranks(half) and not half.outranks(two_thirds)
    assert not half.outranks(half)
    at_least_half = dataclasses.replace(half, id="x", comparison=Comparison.AT_LEAST)
    assert half.outranks(at_least_half) and not at_least_half.outranks(half)  # x > f ⇒ x ≥ f
    of_valid = dataclasses.replace(two_thirds, denominator=Denominator.VALID)
    assert not of_valid.outranks(half) and not half.outranks(of_valid)  # another scale
    with pytest.raises(ParameterError, match="same tier"):
        dataclasses.replace(
            rules, thresholds=(half, dataclasses.replace(half, id="y", fraction=Fraction(2, 4)))
        )


def test_below_the_quorum_no_flag_is_raised():
    """QĐ 96: the conference proceeds only with 2/3 of those summoned present;
    below it the result has no effect: counts and percentages, no flag."""
    m = manifest_from_toml(SOURCE)
    c = counts([(0, 0, 59, 0), (19, 0, 40, 0)])  # 59 low of 59; 40 of 59
    missed = compute_result(m, c, issued=90)  # 59 of 90 present: 3·59 < 2·90
    assert not missed.quorum_met
    assert [p.flags for p in missed.questions[0].parts] == [(), ()]
    assert [s.percent for s in missed.questions[0].parts[0].slots] == [
        "0.00",
        "0.00",
        "100.00",
        "0.00",
    ]
    met = compute_result(m, c, issued=90, present=60)  # exactly 2/3 present
    assert met.quorum_met
    assert [p.flags for p in met.questions[0].parts] == [TWO_THIRDS, TWO_THIRDS]
    assert met.questions[0].parts[0].slots == missed.questions[0].parts[0].slots


def test_no_ballots_raise_no_flag():
    """0 ≥ 2/3·0 holds arithmetically, but with no ballot nobody rated anyone low,
    even with the quorum present."""
    m = manifest_from_toml(SOURCE)
    result = compute_result(m, counts([(0, 0, 0, 0), (0, 0, 0, 0)]), issued=88, present=60)
    assert result.quorum_met
    for part in result.questions[0].parts:
        assert part.denominator == 0
        assert part.flags == ()
        assert [s.percent for s in part.slots] == ["0.00"] * 4
    assert not compute_result(m, counts([(0, 0, 0, 0), (0, 0, 0, 0)]), issued=88).quorum_met


def test_quorum_and_present():
    m = manifest_from_toml(SOURCE)
    c = counts([(59, 0, 0, 0), (59, 0, 0, 0)])
    assert not compute_result(m, c, issued=90).quorum_met  # 59 of 90 < 2/3
    assert compute_result(m, c, issued=90, present=60).quorum_met


def test_more_ballots_than_credentials_refused():
    m = manifest_from_toml(SOURCE)
    with pytest.raises(TallyError):
        compute_result(m, counts([(5, 0, 0, 0), (5, 0, 0, 0)]), issued=4)
