"""The published key ceremony and the test decryption (docs/spec.md §4.4, §11)."""

from __future__ import annotations

import dataclasses

import pytest

from kiemphieu.crypto import codec
from kiemphieu.crypto.election import ceremony as cer
from kiemphieu.crypto.errors import (
    BatchFailure,
    CombinationError,
    InvalidElement,
    InvalidProof,
    ParameterError,
    VerificationError,
)
from kiemphieu.crypto.primitives.combination import decryption_share
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.primitives.threshold import KeyShare


@pytest.fixture(scope="module")
def published(key_ceremony):
    return key_ceremony


@pytest.fixture(scope="module")
def verified(published):
    return cer.verify_key_ceremony(published, KeyPolicy.TESTING)


def test_publish_round_trip_and_verify(published, verified, dealing):
    raw = codec.dumps(published)
    assert b"shares" not in raw
    assert not any(format(share.s, "x").encode() in raw for share in dealing.shares)
    again = codec.loads(cer.KeyCeremony, raw)
    assert again == published
    assert verified.key == published.key


def test_production_policy_refuses_test_moduli(published):
    with pytest.raises(ParameterError):
        cer.verify_key_ceremony(published, KeyPolicy.STANDARD)
    with pytest.raises(ParameterError):
        cer.verify_key_ceremony(published, KeyPolicy.SHORT_LIVED)


def _tampered(published):
    key = published.key
    proof = published.modulus_proof
    yield "election_id", dataclasses.replace(published, election_id="another")
    yield (
        "v",
        dataclasses.replace(published, key=dataclasses.replace(key, v=key.v * key.v % key.n2)),
    )
    for j in range(len(key.vks)):
        vks = list(key.vks)
        vks[j] = vks[j] * key.v % key.n2
        yield (
            f"vks[{j}]",
            dataclasses.replace(published, key=dataclasses.replace(key, vks=tuple(vks))),
        )
    yield (
        "z[0]",
        dataclasses.replace(
            published, modulus_proof=dataclasses.replace(proof, z=(proof.z[0] + 1, *proof.z[1:]))
        ),
    )
    yield (
        "test_plaintext",
        dataclasses.replace(published, test_plaintext=published.test_plaintext + 1),
    )
    yield "test_ciphertext", dataclasses.replace(published, test_ciphertext=key.n)
    committee = published.committee
    members = list(committee.trustees)

    def member(i, **change):
        changed = list(members)
        changed[i] = dataclasses.replace(members[i], **change)
        return dataclasses.replace(
            published, committee=dataclasses.replace(committee, trustees=tuple(changed))
        )

    yield "trustees[0].name", member(0, name="Người khác")
    yield "trustees[1].role", member(1, role="Trưởng ban kiểm phiếu")
    yield "trustees[2].encryption_key", member(2, encryption_key=bytes(32))
    yield "trustees[3].index", member(3, index=5)
    params = members[4].pedersen
    yield "trustees[4].pedersen.s", member(4, pedersen=dataclasses.replace(params, s=params.t))
    yield (
        "trustees (order)",
        dataclasses.replace(
            published,
            committee=dataclasses.replace(
                committee, trustees=(members[1], members[0], *members[2:])
            ),
        ),
    )
    yield (
        "trustees (missing one)",
        dataclasses.replace(
            published, committee=dataclasses.replace(committee, trustees=tuple(members[:4]))
        ),
    )
    registrar = committee.registrar
    yield (
        "registrar.name",
        dataclasses.replace(
            published,
            committee=dataclasses.replace(
                committee, registrar=dataclasses.replace(registrar, name="Văn phòng khác")
            ),
        ),
    )
    fp = published.factor_proofs
    yield (
        "factor_proofs[0].z1",
        dataclasses.replace(
            published, factor_proofs=(dataclasses.replace(fp[0], z1=fp[0].z1 + 1), *fp[1:])
        ),
    )
    yield (
        "factor_proofs (swapped)",
        dataclasses.replace(published, factor_proofs=(fp[1], fp[0], *fp[2:])),
    )
    yield "factor_proofs (missing one)", dataclasses.replace(published, factor_proofs=fp[:4])


FIELDS = ["election_id", "v", *[f"vks[{j}]" for j in range(5)], "z[0]", "test_plaintext"]
FIELDS += ["test_ciphertext", "trustees[0].name", "trustees[1].role", "trustees[2].encryption_key"]
FIELDS += ["trustees[3].index", "trustees[4].pedersen.s", "trustees (order)"]
FIELDS += ["trustees (missing one)", "registrar.name", "factor_proofs[0].z1"]
FIELDS += ["factor_proofs (swapped)", "factor_proofs (missing one)"]


@pytest.mark.parametrize("field", FIELDS)
def test_every_tampered_field_fails(published, field):
    bad = dict(_tampered(published))[field]
    with pytest.raises(VerificationError):
        cer.verify_key_ceremony(bad, KeyPolicy.TESTING)


def test_test_decryption_all_and_threshold(verified, dealing, election):
    c = verified.ceremony.test_ciphertext
    shares = [decryption_share(s, c, election.hash) for s in dealing.shares]
    assert len(cer.check_test_decryption(verified, shares, election.hash)) == 5
    assert len(cer.check_test_decryption(verified, shares[1:4], election.hash)) == 3
    with pytest.raises(CombinationError):
        cer.check_test_decryption(verified, shares[:2], election.hash)
    with pytest.raises(CombinationError):
        cer.check_test_decryption(verified, [*shares[:3], shares[0]], election.hash)
    with pytest.raises(BatchFailure) as info:
        cer.check_test_decryption(verified, shares, bytes(32))  # proofs bound to another context
    assert info.value.bad == (0, 1, 2, 3, 4)


def test_bad_dealing_is_caught(verified, dealing, election):
    """A dealer hands trustee 4 a share off the polynomial: its proof cannot match v_4."""
    c = verified.ceremony.test_ciphertext
    wrong = KeyShare(4, dealing.shares[3].s + 1, dealing.public)
    shares = [decryption_share(s, c, election.hash) for s in dealing.shares]
    shares[3] = decryption_share(wrong, c, election.hash)
    with pytest.raises(BatchFailure) as info:
        cer.check_test_decryption(verified, shares, election.hash)
    assert info.value.bad == (3,)


def test_wrong_test_plaintext_subset_named(published, dealing, election):
    """If x_T were not what c_T holds, the subsets say so (the check does not trust c_T)."""
    key = published.key
    other_ct = key.public_key.encrypt(published.test_plaintext + 1)
    bad = dataclasses.replace(published, test_ciphertext=other_ct)
    v = cer.verify_key_ceremony(bad, KeyPolicy.TESTING)
    shares = [decryption_share(s, other_ct, election.hash) for s in dealing.shares[:3]]
    with pytest.raises(CombinationError, match=r"\[1, 2, 3\]"):
        cer.check_test_decryption(v, shares, election.hash)


def test_modulus_proof_for_other_election_fails(published):
    bad = dataclasses.replace(published, election_id="other-election")
    with pytest.raises((InvalidProof, InvalidElement)):
        cer.verify_key_ceremony(bad, KeyPolicy.TESTING)


def test_the_ceremony_is_bound_into_the_base_hash(published, election, manifest):
    """Every byte of the ceremony (c_T, the committee) moves H_E (docs/spec.md §8.2)."""
    from kiemphieu.crypto.election.context import ElectionContext

    changed = dataclasses.replace(published, test_ciphertext=published.test_ciphertext + 1)
    assert ElectionContext(manifest, changed, KeyPolicy.TESTING).hash != election.hash
    members = published.committee.trustees
    renamed = dataclasses.replace(
        published,
        committee=dataclasses.replace(
            published.committee,
            trustees=(dataclasses.replace(members[0], name="X"), *members[1:]),
        ),
    )
    assert ElectionContext(manifest, renamed, KeyPolicy.TESTING).hash != election.hash


def test_a_context_refuses_a_ceremony_of_another_election(published, manifest):
    from kiemphieu.crypto.election.context import ElectionContext

    with pytest.raises(ParameterError):
        ElectionContext(
            dataclasses.replace(manifest, election_id="other"), published, KeyPolicy.TESTING
        )
