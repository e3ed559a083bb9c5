"""End to end in the crypto core: any t of ℓ trustees decrypt every tally (docs/spec.md §8.7)."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiemphieu.crypto import codec
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election import tally as tl
from kiemphieu.crypto.election.credential import derive_key, new_code
from kiemphieu.crypto.primitives.combination import (
    combine,
    decryption_share,
    verify_decryption_share,
)

LEVEL = st.one_of(st.none(), st.integers(0, 2))
VOTE = st.fixed_dictionaries(
    {
        "leaders": st.tuples(LEVEL, LEVEL, LEVEL, LEVEL, LEVEL),
        "motion": st.integers(0, 2),
        "board": st.frozensets(st.integers(0, 4), min_size=1, max_size=3),
    }
)
SUBSETS = list(itertools.combinations(range(1, 6), 3)) + list(
    itertools.combinations(range(1, 6), 4)
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(votes=st.lists(VOTE, min_size=0, max_size=4), subset=st.sampled_from(SUBSETS))
def test_any_t_trustees_decrypt_the_tally(election, dealing, votes, subset):
    ballots = [
        bl.encrypt_ballot(
            election, derive_key(new_code(), election.election_id, election.registrar_key), v
        )
        for v in votes
    ]
    verified = [v for v in bl.verify_ballots(election, ballots) if isinstance(v, bl.VerifiedBallot)]
    assert len(verified) == len(votes)
    enc = tl.accumulate(election, verified)
    plaintexts = []
    for c in tl.pack(election, enc):
        shares = [
            verify_decryption_share(
                election.key, c, decryption_share(s, c, election.hash), election.hash
            )
            for s in dealing.shares
            if s.index in subset
        ]
        plaintexts.append(combine(election.key, c, shares))
    counts = {
        q.question: [p.slots for p in q.parts]
        for q in tl.unpack(election, len(votes), plaintexts).questions
    }
    for row in range(5):
        want = [0, 0, 0, 0]
        for v in votes:
            level = v["leaders"][row]
            want[3 if level is None else level] += 1
        assert counts["leaders"][row] == tuple(want)
    assert counts["motion"][0] == tuple(sum(v["motion"] == j for v in votes) for j in range(3))
    assert [c[0] for c in counts["board"]] == [
        sum(i in v["board"] for v in votes) for i in range(5)
    ]


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(vote=VOTE)
def test_ballot_encoding_round_trip(election, voter_key, vote):
    ballot = bl.encrypt_ballot(election, voter_key, vote)
    raw = codec.dumps(ballot)
    again = codec.loads(bl.Ballot, raw)
    assert again == ballot
    assert codec.dumps(again) == raw
    bl.verify_ballot(election, again)
