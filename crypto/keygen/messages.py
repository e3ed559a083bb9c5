"""The values a key generation round passes in and out (docs/spec.md §12.7)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..primitives.threshold import KeyShare, ThresholdPublicKey


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What a trustee sends in round ``label``: one broadcast, one private
    payload per other trustee (either may be empty)."""

    label: str
    broadcast: bytes = field(repr=False)
    private: Mapping[int, bytes] = field(repr=False)


@dataclass(frozen=True, slots=True)
class Incoming:
    """What a trustee received in round ``label``, by sender (itself excluded).

    ``letters`` holds, where the transport has them, the sender-signed private
    letters (:func:`.envelope.sign_letter`) that carried ``private``: a
    trustee that finds a share inconsistent shows the letter as evidence.
    """

    label: str
    broadcasts: Mapping[int, bytes] = field(repr=False)
    private: Mapping[int, bytes] = field(repr=False)
    letters: Mapping[int, bytes] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class KeygenStatistics:
    """Counts for the benchmark (§12.8): attempts, candidate pairs, pairs that
    passed trial division, pairs that passed the first biprimality test."""

    attempts: int
    candidates: int
    trial_division_survivors: int
    first_test_passes: int


@dataclass(frozen=True, slots=True)
class KeygenResult:
    """The public key and this trustee's key share (checked against its v_index);
    θ = Δβφ mod n, published in the transcript."""

    public: ThresholdPublicKey
    share: KeyShare = field(repr=False)
    theta: int
    statistics: KeygenStatistics
