"""Tally accumulation, packing, threshold decryption and unpacking (docs/spec.md §8.7)."""

from __future__ import annotations

import dataclasses
import itertools
import random

import pytest

from kiemphieu.crypto import codec
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election import tally as tl
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.credential import derive_key, new_code
from kiemphieu.crypto.election.manifest import Manifest
from kiemphieu.crypto.errors import ParameterError, TallyError
from kiemphieu.crypto.primitives.combination import (
    batch_verify_decryption_shares,
    combine,
    decryption_share,
)
from kiemphieu.crypto.primitives.paillier import KeyPolicy


def random_votes(rng: random.Random, manifest: Manifest):
    leaders = tuple(rng.choice([0, 1, 2, None]) for _ in range(5))
    board = frozenset(rng.sample(range(5), rng.randint(1, 3)))
    return {"leaders": leaders, "motion": rng.randrange(3), "board": board}


def expected_counts(votes):
    leaders = [[0] * 4 for _ in range(5)]
    motion = [0, 0, 0]
    board = [0] * 5
    for v in votes:
        for row, level in enumerate(v["leaders"]):
            leaders[row][3 if level is None else level] += 1
        motion[v["motion"]] += 1
        for i in v["board"]:
            board[i] += 1
    return {
        "leaders": [tuple(r) for r in leaders],
        "motion": [tuple(motion)],
        "board": [(x,) for x in board],
    }


def decrypt_all(election, dealing, packed, subset):
    shares = [s for s in dealing.shares if s.index in subset]
    plaintexts = []
    for c in packed:
        posted = [(c, decryption_share(s, c, election.hash)) for s in shares]
        verified = batch_verify_decryption_shares(election.key, posted, election.hash)
        plaintexts.append(combine(election.key, c, verified))
    return plaintexts


@pytest.fixture(scope="module")
def cast(election):
    rng = random.Random(7)
    votes = [random_votes(rng, election.manifest) for _ in range(9)]
    ballots = [
        bl.encrypt_ballot(
            election, derive_key(new_code(), election.election_id, election.registrar_key), v
        )
        for v in votes
    ]
    verified = bl.verify_ballots(election, ballots)
    assert all(isinstance(v, bl.VerifiedBallot) for v in verified)
    return votes, verified


@pytest.mark.parametrize("subset", list(itertools.combinations(range(1, 6), 3))[::3])
def test_tally_round_trip_with_any_t_trustees(election, dealing, cast, subset):
    votes, verified = cast
    enc = tl.accumulate(election, verified)
    assert enc.ballots == len(votes)
    assert codec.loads(tl.EncryptedTally, codec.dumps(enc)) == enc
    packed = tl.pack(election, enc)
    assert len(packed) == len(tl.layout(election))
    counts = tl.unpack(election, enc.ballots, decrypt_all(election, dealing, packed, subset))
    want = expected_counts(votes)
    for qc in counts.questions:
        assert [p.slots for p in qc.parts] == want[qc.question]
    assert codec.loads(tl.TallyCounts, codec.dumps(counts)) == counts


def test_packing_spans_several_plaintexts(election):
    """512-bit test modulus: 21 counters of 24 bits per plaintext, 5·4 + 3 + 5 = 28 counters."""
    groups = tl.layout(election)
    assert len(groups) == 2
    capacity = (election.key.n.bit_length() - 1) // election.manifest.counter_bits
    for g in groups:
        last = g[-1]
        used = last.offset + election.manifest.questions[last.question].slots
        assert used <= capacity


def test_empty_tally(election, dealing):
    enc = tl.accumulate(election, [])
    packed = tl.pack(election, enc)
    counts = tl.unpack(election, 0, decrypt_all(election, dealing, packed, (1, 2, 3)))
    assert all(all(x == 0 for x in p.slots) for q in counts.questions for p in q.parts)


def test_unpack_public_checks(election):
    groups = tl.layout(election)
    b = election.manifest.counter_bits
    # a group where row p1 claims 2 "high" of 1 ballot
    bad = [0] * len(groups)
    bad[0] = 2
    with pytest.raises(TallyError):
        tl.unpack(election, 1, bad)
    # counts that do not sum to the ballots counted
    good = [0] * len(groups)
    with pytest.raises(TallyError, match="sum"):
        tl.unpack(election, 1, good)
    # bits beyond the last counter
    over = [0] * len(groups)
    last = groups[-1][-1]
    used = last.offset + election.manifest.questions[last.question].slots
    over[-1] = 1 << (b * used)
    with pytest.raises(TallyError):
        tl.unpack(election, 0, over)
    with pytest.raises(TallyError):
        tl.unpack(election, 0, [0])


def test_tally_refuses_foreign_ballots(election, cast, key_ceremony):
    _, verified = cast
    other = ElectionContext(
        dataclasses.replace(
            election.manifest,
            title=dataclasses.replace(election.manifest.title, en="Another election"),
        ),
        key_ceremony,
        KeyPolicy.TESTING,
    )
    with pytest.raises(TallyError):
        tl.accumulate(other, verified)


def test_context_checks_counter_capacity(manifest, key_ceremony):
    with pytest.raises(ParameterError):
        ElectionContext(manifest, key_ceremony)  # 512 bits refused by the standard policy
    wide = dataclasses.replace(manifest, counter_bits=48)
    ElectionContext(wide, key_ceremony, KeyPolicy.TESTING)  # 4 slots x 48 bits fit in 511
