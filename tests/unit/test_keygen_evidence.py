"""The public evidence of a generated key and the key ceremony v3 (docs/spec.md §12.8, §4.3)."""

from __future__ import annotations

import dataclasses

import pytest

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.ceremony import (
    Generation,
    KeyCeremony,
    check_test_decryption,
    publish_generated,
    verify_key_ceremony,
)
from kiemphieu.crypto.errors import (
    InvalidElement,
    InvalidProof,
    InvalidShare,
    InvalidSignature,
    ParameterError,
)
from kiemphieu.crypto.keygen.envelope import Route, session_hash, sign_message
from kiemphieu.crypto.keygen.evidence import (
    GenerationEntry,
    check_modulus_form,
    open_broadcast,
    reveal_broadcast,
)
from kiemphieu.crypto.keygen.parameters import KeygenParameters
from kiemphieu.crypto.primitives.combination import decryption_share
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from tests.support.committee import CommitteeSecrets
from tests.support.keygen_run import RUN, Run, run

ELECTION = "keygen-evidence"
CONTEXT = bytes(range(32))


@pytest.fixture(scope="module")
def generated(test_committee: CommitteeSecrets):
    members = test_committee.members
    seeds = {m.index: m.identity_seed for m in members}
    sealing = {m.index: bytes(m.sealing_key) for m in members}
    state, results = run(KeygenParameters(512, 3, 5), ELECTION, 64, seeds=seeds, sealing=sealing)
    ceremony = publish_generated(
        ELECTION, test_committee.committee, results[1].public, state.evidence(results)
    )
    return state, results, ceremony


def test_a_generated_key_passes_the_ceremony_checks_and_the_test_decryption(generated) -> None:
    _, results, ceremony = generated
    assert ceremony.generation is Generation.COMMITTEE
    assert ceremony.modulus_proof is None and ceremony.factor_proofs == ()
    verified = verify_key_ceremony(ceremony, KeyPolicy.TESTING)
    again = codec.loads(KeyCeremony, codec.dumps(ceremony))
    assert again == ceremony
    shares = [
        decryption_share(r.share, ceremony.test_ciphertext, CONTEXT) for r in results.values()
    ]
    assert len(check_test_decryption(verified, shares, CONTEXT)) == 5


def test_the_standard_policy_refuses_a_test_sized_generated_key(generated) -> None:
    with pytest.raises(ParameterError, match="512-bit modulus is refused"):
        verify_key_ceremony(generated[2], KeyPolicy.STANDARD)


def _entry(ceremony: KeyCeremony, index: int) -> GenerationEntry:
    assert ceremony.transcript is not None
    return ceremony.transcript.entries[index - 1]


def _with_entry(ceremony: KeyCeremony, entry: GenerationEntry) -> KeyCeremony:
    assert ceremony.transcript is not None
    entries = list(ceremony.transcript.entries)
    entries[entry.index - 1] = entry
    transcript = dataclasses.replace(ceremony.transcript, entries=tuple(entries))
    return dataclasses.replace(ceremony, transcript=transcript)


def _session(state: Run, ceremony: KeyCeremony) -> bytes:
    keys = [m.identity_key for m in ceremony.committee.trustees]
    return session_hash(ELECTION, RUN, bits=512, t=3, l=5, batch=state.batch, identity_keys=keys)


def test_a_biprimality_value_changed_without_the_signers_key_is_refused(generated) -> None:
    _, _, ceremony = generated
    entry = _entry(ceremony, 2)
    values = (entry.biprimality[0] ^ 1, *entry.biprimality[1:])
    forged = _with_entry(ceremony, dataclasses.replace(entry, biprimality=values))
    with pytest.raises(InvalidSignature, match="trustee 2"):
        verify_key_ceremony(forged, KeyPolicy.TESTING)


def test_a_trustee_that_re_signs_other_values_breaks_its_commitment(
    generated, test_committee: CommitteeSecrets
) -> None:
    state, _, ceremony = generated
    entry = _entry(ceremony, 2)
    values = (entry.biprimality[0] ^ 1, *entry.biprimality[1:])
    assert ceremony.transcript is not None
    label = f"a{ceremony.transcript.attempt}/reveal"
    opening = reveal_broadcast(entry.salt, values, 512)
    signature = sign_message(
        test_committee.seed(2), Route(_session(state, ceremony), label, 2), opening, {}
    )
    forged = _with_entry(
        ceremony, dataclasses.replace(entry, biprimality=values, reveal_signature=signature)
    )
    with pytest.raises(InvalidProof, match="differ from its commitment"):
        verify_key_ceremony(forged, KeyPolicy.TESTING)


def test_a_trustee_that_re_signs_another_y_breaks_the_verification_keys(
    generated, test_committee: CommitteeSecrets
) -> None:
    state, _, ceremony = generated
    entry = _entry(ceremony, 4)
    y = entry.y + 1
    hashes = {h.recipient: h.sha256 for h in entry.letters}
    signature = sign_message(
        test_committee.seed(4),
        Route(_session(state, ceremony), "key/open", 4),
        open_broadcast(y, entry.commitments, 512),
        hashes,
    )
    forged = _with_entry(ceremony, dataclasses.replace(entry, y=y, open_signature=signature))
    with pytest.raises(InvalidShare, match="verification key v_1"):
        verify_key_ceremony(forged, KeyPolicy.TESTING)


def test_a_signature_from_another_committee_member_is_refused(generated) -> None:
    _, _, ceremony = generated
    one, two = _entry(ceremony, 1), _entry(ceremony, 2)
    forged = _with_entry(ceremony, dataclasses.replace(two, open_signature=one.open_signature))
    with pytest.raises(InvalidSignature, match="trustee 2"):
        verify_key_ceremony(forged, KeyPolicy.TESTING)


def test_evidence_and_proof_fields_must_match_the_generation(generated, held) -> None:
    _, _, ceremony = generated
    with pytest.raises(InvalidProof, match="generated key"):
        verify_key_ceremony(
            dataclasses.replace(ceremony, modulus_proof=held.ceremony.modulus_proof),
            KeyPolicy.TESTING,
        )
    with pytest.raises(InvalidProof, match="dealt key"):
        verify_key_ceremony(
            dataclasses.replace(held.ceremony, transcript=ceremony.transcript), KeyPolicy.TESTING
        )
    with pytest.raises(InvalidProof, match="dealt key"):
        verify_key_ceremony(
            dataclasses.replace(ceremony, generation=Generation.DEALER), KeyPolicy.TESTING
        )


def test_a_test_ciphertext_not_derived_is_refused(generated) -> None:
    _, _, ceremony = generated
    key = ceremony.key
    other = key.public_key.encrypt(ceremony.test_plaintext)
    with pytest.raises(InvalidElement, match="test ciphertext"):
        verify_key_ceremony(dataclasses.replace(ceremony, test_ciphertext=other), KeyPolicy.TESTING)


@pytest.mark.parametrize(
    ("n", "match"),
    [
        (1000003 * 1000033, "1 modulo 4"),
        (65521 * 1000033, r"below 2\^16"),
        (1000003**4, "perfect power"),
    ],
)
def test_the_public_form_of_n_is_checked(n: int, match: str) -> None:
    with pytest.raises(InvalidElement, match=match):
        check_modulus_form(n)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda e, n: {"biprimality": (n, *e.biprimality[1:])}, "not in \\(0, n\\)"),
        (lambda e, n: {"biprimality": (0, *e.biprimality[1:])}, "not in \\(0, n\\)"),
        (lambda e, n: {"y": 1 << 2816}, "too long"),
        (lambda e, n: {"commitments": (n * n, *e.commitments[1:])}, "not in \\(0, n²\\)"),
    ],
)
def test_values_out_of_their_range_are_refused_before_anything_is_packed(
    generated, change, match: str
) -> None:
    _, _, ceremony = generated
    entry = _entry(ceremony, 3)
    forged = _with_entry(ceremony, dataclasses.replace(entry, **change(entry, ceremony.key.n)))
    with pytest.raises(InvalidProof, match=match):
        verify_key_ceremony(forged, KeyPolicy.TESTING)
