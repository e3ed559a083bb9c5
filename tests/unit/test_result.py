"""Results under QĐ 96 and other rules, in integer arithmetic (docs/spec.md §8.8)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.manifest_toml import manifest_from_toml
from kiemphieu.crypto.election.result import ElectionResult, compute_result, percent
from kiemphieu.crypto.election.tally import PartCounts, QuestionCounts, TallyCounts
from kiemphieu.crypto.errors import TallyError

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
    # 60 returned. Row 1: 31 low → more than half. Row 2: 40 low, 3 blank → two thirds too.
    result = compute_result(m, counts([(20, 9, 31, 0), (10, 7, 40, 3)]), issued=88)
    assert (result.summoned, result.issued, result.returned, result.present) == (90, 88, 60, 60)
    assert result.quorum_met  # 3·60 ≥ 2·90
    first, second = result.questions[0].parts
    assert (first.valid, first.invalid, first.denominator) == (60, 0, 60)
    assert first.flags == ("low-more-than-half",)
    assert [s.percent for s in first.slots] == ["33.33", "15.00", "51.67", "0.00"]
    assert (second.valid, second.invalid) == (57, 3)
    assert second.flags == ("low-more-than-half", "low-two-thirds")
    assert codec.loads(ElectionResult, codec.dumps(result)) == result


def test_thresholds_at_the_boundary():
    m = manifest_from_toml(SOURCE)
    exactly_half = compute_result(m, counts([(30, 0, 30, 0), (20, 0, 40, 0)]), issued=60)
    a, b = exactly_half.questions[0].parts
    assert a.flags == ()  # 30 of 60 is not more than half
    assert b.flags == ("low-more-than-half", "low-two-thirds")  # 40 of 60 is exactly two thirds
    just_under = compute_result(m, counts([(30, 0, 30, 0), (21, 0, 39, 0)]), issued=60)
    assert just_under.questions[0].parts[1].flags == ("low-more-than-half",)


def test_no_ballots_raise_no_flag():
    """0 ≥ 2/3·0 holds arithmetically, but with no ballot nobody rated anyone low."""
    m = manifest_from_toml(SOURCE)
    result = compute_result(m, counts([(0, 0, 0, 0), (0, 0, 0, 0)]), issued=88)
    for part in result.questions[0].parts:
        assert part.denominator == 0
        assert part.flags == ()
        assert [s.percent for s in part.slots] == ["0.00"] * 4
    assert not result.quorum_met


def test_quorum_and_present():
    m = manifest_from_toml(SOURCE)
    c = counts([(59, 0, 0, 0), (59, 0, 0, 0)])
    assert not compute_result(m, c, issued=90).quorum_met  # 59 of 90 < 2/3
    assert compute_result(m, c, issued=90, present=60).quorum_met


def test_more_ballots_than_credentials_refused():
    m = manifest_from_toml(SOURCE)
    with pytest.raises(TallyError):
        compute_result(m, counts([(5, 0, 0, 0), (5, 0, 0, 0)]), issued=4)
