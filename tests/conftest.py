"""Shared fixtures: small, test-only parameters made once per session.

Moduli here are 512 bits under ``KeyPolicy.TESTING``; no production path can
choose that policy. Add new fixtures in the section of their layer.
"""

from __future__ import annotations

import pytest

from kiemphieu.crypto.primitives.paillier import KeyPolicy, PublicKey
from kiemphieu.crypto.primitives.primes import safe_prime_pair
from kiemphieu.crypto.primitives.threshold import Dealing, ThresholdPublicKey, deal

TEST_ELECTION_ID = "test-election"
TEST_MODULUS_BITS = 512
TEST_THRESHOLD = 3
TEST_TRUSTEES = 5

# --- crypto primitives --------------------------------------------------------


@pytest.fixture(scope="session")
def election_id() -> str:
    return TEST_ELECTION_ID


@pytest.fixture(scope="session")
def test_primes() -> tuple[int, int]:
    """Two 256-bit safe primes for a 512-bit modulus, generated once."""
    return safe_prime_pair(TEST_MODULUS_BITS)


@pytest.fixture(scope="session")
def dealing(test_primes: tuple[int, int]) -> Dealing:
    """A t = 3 of ℓ = 5 threshold key for ``TEST_ELECTION_ID``."""
    return deal(
        election_id=TEST_ELECTION_ID,
        bits=TEST_MODULUS_BITS,
        t=TEST_THRESHOLD,
        l=TEST_TRUSTEES,
        policy=KeyPolicy.TESTING,
        primes=test_primes,
    )


@pytest.fixture(scope="session")
def threshold_key(dealing: Dealing) -> ThresholdPublicKey:
    return dealing.public


@pytest.fixture(scope="session")
def public_key(threshold_key: ThresholdPublicKey) -> PublicKey:
    return threshold_key.public_key


@pytest.fixture(scope="session")
def context() -> bytes:
    """A fixed 32-byte stand-in for the election base hash."""
    return bytes(range(32))


# --- election layer -----------------------------------------------------------


def _text(vi: str, en: str):
    from kiemphieu.crypto.election.manifest import LocalizedText

    return LocalizedText(vi, en)


def make_manifest(election_id: str = TEST_ELECTION_ID):
    """Three questions, one of each kind: a 5-person confidence question, a
    yes/no/abstain motion, and a choose-1-to-3-of-5 election."""
    from kiemphieu.crypto.election.manifest import Choice, Manifest, Question, QuestionKind

    levels = (
        Choice("high", _text("Tín nhiệm cao", "High confidence")),
        Choice("mid", _text("Tín nhiệm", "Confidence")),
        Choice("low", _text("Tín nhiệm thấp", "Low confidence")),
    )
    people = tuple(Choice(f"p{i}", _text(f"Người {i}", f"Person {i}")) for i in range(1, 6))
    motion = tuple(
        Choice(cid, _text(vi, en))
        for cid, vi, en in (
            ("yes", "Đồng ý", "Yes"),
            ("no", "Không đồng ý", "No"),
            ("abstain", "Không biểu quyết", "Abstain"),
        )
    )
    candidates = tuple(
        Choice(f"c{i}", _text(f"Ứng viên {i}", f"Candidate {i}")) for i in range(1, 6)
    )
    return Manifest(
        election_id=election_id,
        title=_text("Lấy phiếu tín nhiệm thử", "Test confidence vote"),
        description=_text("Cuộc bầu cử dùng cho kiểm thử.", "An election for the tests."),
        questions=(
            Question(
                "leaders",
                QuestionKind.CONFIDENCE,
                _text("Lãnh đạo", "Leaders"),
                levels,
                people,
                blank=True,
            ),
            Question("motion", QuestionKind.SINGLE, _text("Nghị quyết", "Motion"), motion),
            Question(
                "board",
                QuestionKind.MULTIPLE,
                _text("Ban chấp hành", "Board"),
                candidates,
                min_choices=1,
                max_choices=3,
            ),
        ),
    )


@pytest.fixture(scope="session")
def manifest():
    return make_manifest()


@pytest.fixture(scope="session")
def election(manifest, threshold_key):
    """The ElectionContext of the test manifest under the test threshold key."""
    from kiemphieu.crypto.election.context import ElectionContext

    return ElectionContext(manifest, threshold_key, KeyPolicy.TESTING)


@pytest.fixture(scope="session")
def voter_key(election):
    from kiemphieu.crypto.election.credential import derive_key, new_code

    return derive_key(new_code(), election.election_id)
