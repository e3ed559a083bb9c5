"""Ballots (docs/spec.md §8.5–8.6): encryption, verification, soundness, tampering."""

from __future__ import annotations

import dataclasses

import pytest

from kiemphieu.crypto import codec
from kiemphieu.crypto.election import ballot as bl
from kiemphieu.crypto.election.credential import derive_key, new_code
from kiemphieu.crypto.errors import (
    InvalidBallot,
    InvalidElement,
    InvalidProof,
    InvalidSignature,
    VerificationError,
)
from kiemphieu.crypto.primitives.proofs import membership as mb
from kiemphieu.crypto.primitives.transcript import Tag, digest


def votes_example():
    return {
        "leaders": (0, 1, 2, None, 0),
        "motion": 1,
        "board": frozenset({0, 3}),
    }


def resign(ballot, key):
    unsigned = dataclasses.replace(ballot, credential=key.public, signature=bl.ZERO_SIGNATURE)
    return dataclasses.replace(unsigned, signature=key.sign(bl.signing_message(unsigned)))


def test_encrypt_and_verify(election, voter_key):
    ballot = bl.encrypt_ballot(election, voter_key, votes_example())
    verified = bl.verify_ballot(election, ballot)
    assert verified.tracking_code == bl.tracking_code(ballot)
    assert len(verified.tracking_code) == 32
    (batch,) = bl.verify_ballots(election, [ballot])
    assert isinstance(batch, bl.VerifiedBallot)
    # the wire form round-trips to the same tracking code
    again = codec.loads(bl.Ballot, codec.dumps(ballot))
    assert bl.tracking_code(again) == verified.tracking_code
    assert batch.tracking_code == verified.tracking_code


def test_tracking_code_from_the_signing_bytes(election, voter_key):
    """Verification derives the tracking code from the bytes it signed; it
    must equal the code of the ballot encoded afresh, and fall back to that
    encoding whenever the swap of the signature is not exact."""
    ballot = bl.encrypt_ballot(election, voter_key, votes_example())
    blank = bl._blank_bytes(ballot)
    assert bl.signing_message(ballot) == digest(Tag.BALLOT_SIGNATURE, blank)
    assert bl._tracking_code(ballot, blank) == bl.tracking_code(ballot)
    assert bl._tracking_code(ballot, blank + blank) == bl.tracking_code(ballot)
    assert bl._tracking_code(ballot, b"{}") == bl.tracking_code(ballot)


@pytest.mark.parametrize(
    "bad",
    [
        {"leaders": (0, 1, 2, None)},
        {"leaders": (0, 1, 2, 3, 0)},
        {"motion": 5},
        {"motion": True},
        {"board": frozenset({0, 1, 2, 3})},
        {"board": frozenset()},
        {"board": frozenset({9})},
    ],
)
def test_encrypt_refuses_invalid_votes(election, voter_key, bad):
    votes = votes_example() | bad
    with pytest.raises(ValueError):
        bl.encrypt_ballot(election, voter_key, votes)


def test_encrypt_refuses_missing_or_extra_questions(election, voter_key):
    votes = votes_example()
    del votes["motion"]
    with pytest.raises(ValueError):
        bl.encrypt_ballot(election, voter_key, votes)
    with pytest.raises(ValueError):
        bl.encrypt_ballot(election, voter_key, votes_example() | {"extra": 1})


def test_proofs_moved_to_another_credential_fail(election, voter_key):
    ballot = bl.encrypt_ballot(election, voter_key, votes_example())
    thief = derive_key(new_code(), election.election_id, election.registrar_key)
    stolen = resign(ballot, thief)
    with pytest.raises(InvalidProof):
        bl.verify_ballot(election, stolen)
    (outcome,) = bl.verify_ballots(election, [stolen])
    assert isinstance(outcome, InvalidProof)


def test_answers_moved_between_questions_fail(election, voter_key):
    ballot = bl.encrypt_ballot(election, voter_key, votes_example())
    ans = ballot.answers[1]  # the motion: move its proof under another question id
    moved = dataclasses.replace(ans, question="leaders")
    with pytest.raises(InvalidBallot):
        bl.verify_ballot(
            election, resign(dataclasses.replace(ballot, answers=(moved,) * 3), voter_key)
        )


def test_rerandomized_copy_is_rejected(election, voter_key):
    """A copied ballot, re-randomized with adapted proofs and signed by another credential."""
    pk = election.public_key
    ballot = bl.encrypt_ballot(election, voter_key, votes_example())
    thief = derive_key(new_code(), election.election_id, election.registrar_key)
    answers = []
    for ans in ballot.answers:
        cts, proofs = [], []
        for c, proof in zip(ans.ciphertexts, ans.proofs, strict=True):
            s = pk.random_r()
            cts.append(pk.rerandomize(c, s))
            z = tuple(zi * pow(s, e, pk.n) % pk.n for zi, e in zip(proof.z, proof.e, strict=True))
            proofs.append(dataclasses.replace(proof, z=z))
        answers.append(dataclasses.replace(ans, ciphertexts=tuple(cts), proofs=tuple(proofs)))
    copy = resign(dataclasses.replace(ballot, answers=tuple(answers)), thief)
    with pytest.raises(InvalidProof):
        bl.verify_ballot(election, copy)


def test_signature_and_context_checks(election, voter_key):
    ballot = bl.encrypt_ballot(election, voter_key, votes_example())
    sig = bytearray(ballot.signature)
    sig[0] ^= 1
    with pytest.raises(InvalidSignature):
        bl.verify_ballot(election, dataclasses.replace(ballot, signature=bytes(sig)))
    with pytest.raises(InvalidSignature):
        bl.verify_ballot(election, dataclasses.replace(ballot, credential=bytes(32)))
    with pytest.raises(InvalidBallot):
        bl.verify_ballot(
            election, resign(dataclasses.replace(ballot, election=bytes(32)), voter_key)
        )
    with pytest.raises(InvalidBallot):
        short = dataclasses.replace(ballot, answers=ballot.answers[:2])
        bl.verify_ballot(election, resign(short, voter_key))
    with pytest.raises(InvalidBallot):
        swapped = (ballot.answers[1], ballot.answers[0], ballot.answers[2])
        bl.verify_ballot(election, resign(dataclasses.replace(ballot, answers=swapped), voter_key))


def _cheat_multiple(election, key, chosen: set[int], claimed: int):
    """A ballot choosing ``chosen`` options with a sum proof run for ``claimed``."""
    pk = election.public_key
    q = election.manifest.question("board")
    honest = bl.encrypt_ballot(election, key, votes_example())
    cts, proofs, rs = [], [], []
    for i, part in enumerate(q.parts):
        r = pk.random_r()
        bit = int(i in chosen)
        c = pk.encrypt(bit, r)
        st = mb.MembershipStatement(c, (0, 1), election.hash, key.public, q.id, part)
        cts.append(c)
        proofs.append(mb.prove(pk, st, bit, r))
        rs.append(r)
    product, r_sum = 1, 1
    for c, r in zip(cts, rs, strict=True):
        product, r_sum = product * c % pk.n2, r_sum * r % pk.n
    allowed = bl.sum_values(q)
    st = mb.MembershipStatement(product, allowed, election.hash, key.public, q.id, "sum")
    sum_proof = mb.prove(pk, st, allowed.index(claimed), r_sum)
    ans = bl.EncryptedAnswer(q.id, tuple(cts), tuple(proofs), sum_proof)
    return resign(dataclasses.replace(honest, answers=(*honest.answers[:2], ans)), key)


def test_too_many_choices_rejected_whatever_the_sum_proof(election, voter_key):
    cheat = _cheat_multiple(election, voter_key, {0, 1, 2, 3}, claimed=3)
    with pytest.raises(InvalidProof):
        bl.verify_ballot(election, cheat)
    fair = _cheat_multiple(election, voter_key, {0, 1, 2}, claimed=3)
    bl.verify_ballot(election, fair)


def test_slot_value_outside_set_rejected(election, voter_key):
    """2 in one slot, and two slots at once, in a confidence row."""
    pk = election.public_key
    ballot = bl.encrypt_ballot(election, voter_key, votes_example())
    q = election.manifest.question("leaders")
    allowed = bl.allowed_values(election, q)
    for value in (2 * allowed[0], allowed[0] + allowed[1], pk.n - 1):
        r = pk.random_r()
        c = pk.encrypt(value, r)
        st = mb.MembershipStatement(c, allowed, election.hash, voter_key.public, q.id, q.parts[0])
        proof = mb.prove(pk, st, 0, r)
        ans = ballot.answers[0]
        bad = dataclasses.replace(
            ans, ciphertexts=(c, *ans.ciphertexts[1:]), proofs=(proof, *ans.proofs[1:])
        )
        forged = resign(dataclasses.replace(ballot, answers=(bad, *ballot.answers[1:])), voter_key)
        with pytest.raises(InvalidProof):
            bl.verify_ballot(election, forged)


def test_batch_isolates_bad_ballots(election):
    keys = [derive_key(new_code(), election.election_id, election.registrar_key) for _ in range(6)]
    ballots = [bl.encrypt_ballot(election, k, votes_example()) for k in keys]
    ballots[4] = _cheat_multiple(election, keys[4], {0, 1, 2, 3}, claimed=2)
    ballots[1] = dataclasses.replace(ballots[1], signature=bytes(64))
    out = bl.verify_ballots(election, ballots)
    assert [type(x).__name__ for x in out] == [
        "VerifiedBallot",
        "InvalidSignature",
        "VerifiedBallot",
        "VerifiedBallot",
        "InvalidProof",
        "VerifiedBallot",
    ]


def test_non_unit_ciphertext_rejected(election, voter_key):
    pk = election.public_key
    ballot = bl.encrypt_ballot(election, voter_key, votes_example())
    ans = ballot.answers[1]
    bad = dataclasses.replace(ans, ciphertexts=(pk.n,))
    forged = resign(
        dataclasses.replace(ballot, answers=(ballot.answers[0], bad, ballot.answers[2])), voter_key
    )
    with pytest.raises(InvalidElement):
        bl.verify_ballot(election, forged)
    (out,) = bl.verify_ballots(election, [forged])
    assert isinstance(out, VerificationError)


def test_verified_ballot_cannot_be_forged(election, voter_key):
    ballot = bl.encrypt_ballot(election, voter_key, votes_example())
    with pytest.raises(TypeError):
        bl.VerifiedBallot(ballot, bl.tracking_code(ballot))
