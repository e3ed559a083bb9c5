"""Trustee identities and signed decryption shares (docs/spec.md §8.10)."""

from __future__ import annotations

import dataclasses

import nacl.signing
import pytest

from kiemphieu.crypto import codec
from kiemphieu.crypto.election import trustee as tr
from kiemphieu.crypto.errors import BatchFailure, InvalidShare, InvalidSignature


@pytest.fixture(scope="module")
def identities(test_committee):
    return [nacl.signing.SigningKey(m.identity_seed) for m in test_committee.members]


@pytest.fixture(scope="module")
def trustees(test_committee):
    return list(test_committee.trustees)


def test_make_and_verify(dealing, election, identities, trustees):
    cts = (dealing.test_ciphertext, election.public_key.encrypt(7))
    doc = tr.make_shares(
        dealing.shares[1], bytes(identities[1]), election.hash, tr.SharePurpose.TALLY, cts
    )
    assert codec.loads(tr.TrusteeShares, codec.dumps(doc)) == doc
    verified = tr.verify_shares(election.key, trustees[1], doc, election.hash, cts)
    assert [v.index for v in verified] == [2, 2]


def test_refusals(dealing, election, identities, trustees):
    cts = (dealing.test_ciphertext,)
    doc = tr.make_shares(
        dealing.shares[0], bytes(identities[0]), election.hash, tr.SharePurpose.TEST, cts
    )
    with pytest.raises(InvalidShare):
        tr.verify_shares(election.key, trustees[1], doc, election.hash, cts)  # wrong trustee
    with pytest.raises(InvalidShare):
        tr.verify_shares(election.key, trustees[0], doc, bytes(32), cts)  # other election
    with pytest.raises(InvalidShare):
        tr.verify_shares(election.key, trustees[0], doc, election.hash, (cts[0], cts[0]))
    forged = dataclasses.replace(doc, purpose=tr.SharePurpose.TALLY)
    with pytest.raises(InvalidSignature):
        tr.verify_shares(election.key, trustees[0], forged, election.hash, cts)
    # signed by its identity, but the share is not trustee 1's: the proof fails
    wrong = tr.make_shares(
        dealing.shares[2], bytes(identities[0]), election.hash, tr.SharePurpose.TEST, cts
    )
    wrong = dataclasses.replace(
        wrong, index=1, shares=tuple(dataclasses.replace(s, index=1) for s in wrong.shares)
    )
    unsigned = dataclasses.replace(wrong, signature=tr.ZERO_SIGNATURE)
    wrong = dataclasses.replace(
        unsigned, signature=bytes(identities[0].sign(tr.shares_message(unsigned)).signature)
    )
    with pytest.raises(BatchFailure):
        tr.verify_shares(election.key, trustees[0], wrong, election.hash, cts)
