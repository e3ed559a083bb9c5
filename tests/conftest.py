"""Shared fixtures: small, test-only parameters made once per session.

Moduli here are 512 bits under ``KeyPolicy.TESTING``; no production path can
choose that policy. Add new fixtures in the section of their layer.
"""

from __future__ import annotations

import pytest

from kiemphieu.crypto.primitives.paillier import KeyPolicy, PublicKey
from kiemphieu.crypto.primitives.primes import safe_prime_pair
from kiemphieu.crypto.primitives.threshold import Dealing, ThresholdPublicKey

from .support.committee import CommitteeSecrets, HeldCeremony, hold_ceremony, make_committee

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
def pedersen_primes() -> tuple[int, int]:
    """Two 256-bit safe primes for the test committee's ring-Pedersen moduli."""
    return safe_prime_pair(TEST_MODULUS_BITS)


@pytest.fixture(scope="session")
def test_committee(pedersen_primes: tuple[int, int]) -> CommitteeSecrets:
    """ℓ = 5 trustees with signed cards and a registrar, with their secrets."""
    return make_committee(pedersen_primes, TEST_TRUSTEES)


@pytest.fixture(scope="session")
def held(test_committee: CommitteeSecrets, test_primes: tuple[int, int]) -> HeldCeremony:
    """A t = 3 of ℓ = 5 dealer ceremony for ``TEST_ELECTION_ID`` and the test committee."""
    return hold_ceremony(TEST_ELECTION_ID, test_committee, test_primes, t=TEST_THRESHOLD)


@pytest.fixture(scope="session")
def dealing(held: HeldCeremony) -> Dealing:
    """The dealing of ``held``: the key shares in clear."""
    return held.dealing


@pytest.fixture(scope="session")
def key_ceremony(held: HeldCeremony):
    """The published key ceremony of ``held``."""
    return held.ceremony


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


def _vector_generator():
    """tests/vectors/generate.py, which builds the test manifest (one definition
    for the fixtures and the known-answer vectors)."""
    import importlib.util
    import sys
    from pathlib import Path

    name = "kiemphieu_vector_generator"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, Path(__file__).parent / "vectors" / "generate.py"
    )
    if spec is None or spec.loader is None:
        raise ImportError("cannot load tests/vectors/generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def make_manifest(election_id: str = TEST_ELECTION_ID):
    """Three questions, one of each kind: a 5-person confidence question, a
    yes/no/abstain motion, and a choose-1-to-3-of-5 election."""
    return _vector_generator().make_manifest(election_id)


@pytest.fixture(scope="session")
def manifest():
    return make_manifest()


@pytest.fixture(scope="session")
def election(manifest, key_ceremony):
    """The ElectionContext of the test manifest under the test key ceremony."""
    from kiemphieu.crypto.election.context import ElectionContext

    return ElectionContext(manifest, key_ceremony, KeyPolicy.TESTING)


@pytest.fixture(scope="session")
def voter_key(election):
    from kiemphieu.crypto.election.credential import derive_key, new_code

    return derive_key(new_code(), election.election_id, election.registrar_key)


@pytest.fixture(scope="session")
def election_summary(election):
    """The test election as ``GET /api/elections/<id>`` shows it while open
    (what the booth and ``verify-audit --summary`` start from)."""
    from kiemphieu.crypto import codec

    return {
        "id": election.election_id,
        "state": "open",
        "manifest": codec.to_wire(election.manifest),
        "key_ceremony": codec.to_wire(election.ceremony),
        "base_hash": election.hash.hex(),
    }
