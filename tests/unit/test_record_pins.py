"""The verifier against a malicious server that re-signs the record (issue 10):
each forgery fails a named check. The forger holds the server's receipt key
(``reseal`` signs record.json again), but no trustee's, dealer's or
registrar's key."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile

import nacl.signing
import pytest

from kiemphieu.crypto import codec
from kiemphieu.crypto.canonical_json import canonical_bytes
from kiemphieu.crypto.election.attestation import BoardClose, attest
from kiemphieu.crypto.election.ballot import encrypt_ballot
from kiemphieu.crypto.election.board import roll_hash
from kiemphieu.crypto.election.ceremony import KeyCeremony
from kiemphieu.crypto.election.credential import new_code
from kiemphieu.crypto.election.roll import sign_roll
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.record.archive import RecordArchive
from kiemphieu.crypto.record.documents import (
    AttestationList,
    CredentialList,
    RecordIndex,
    RecordState,
)
from kiemphieu.crypto.record.receipts import GivenReceipt, ReceiptStatus
from kiemphieu.crypto.record.verify import verify_record

from ..conftest import make_manifest
from ..support.record_factory import (
    RecordBuilder,
    RecordOptions,
    record_bytes,
    reseal,
    sample_casts,
    with_rules,
)


def verify(data: bytes, receipts=()):
    with RecordArchive(io.BytesIO(data)) as archive:
        return verify_record(archive, KeyPolicy.TESTING, receipts=receipts)


def failed(report) -> set[str]:
    return {c.id for c in report.failed}


@pytest.fixture(scope="module")
def tallied(held):
    manifest = with_rules(make_manifest(), held)
    options = RecordOptions(voters=4, segment_entries=3, decrypting=(1, 2, 3))
    return record_bytes(held, manifest, sample_casts(manifest, 4, revotes=(1,)), options)


def load(data: bytes, name: str) -> dict:
    return json.loads(zipfile.ZipFile(io.BytesIO(data)).read(name))


def forged(record, name: str, doc) -> bytes:
    data, summary = record
    raw = canonical_bytes(doc) if isinstance(doc, dict) else codec.dumps(doc)
    return reseal(data, {name: raw}, summary.server_seed)


@pytest.mark.parametrize(("field", "value"), [("name", "Người khác"), ("role", "Trưởng ban")])
def test_changed_committee_name_or_role_fails_trustees(tallied, field, value):
    """The server renames trustee 2 or makes it chair; even with record.json's
    H_E moved to match, the card is not signed by its member."""
    doc = load(tallied[0], "key-ceremony.json")
    doc["committee"]["trustees"][1][field] = value
    data = forged(tallied, "key-ceremony.json", doc)
    report = verify(data)
    assert "trustees" in failed(report)
    assert any("trustee 2" in m and "not signed" in m for m in report.check("trustees").failures)
    # moving record.json's H_E does not help: the ballots and shares name the old one
    ceremony = codec.from_wire(KeyCeremony, doc)
    from kiemphieu.crypto.election.context import ElectionContext

    new_hash = ElectionContext(tallied[1].context.manifest, ceremony, KeyPolicy.TESTING).hash
    index = codec.loads(RecordIndex, zipfile.ZipFile(io.BytesIO(data)).read("record.json"))
    moved = reseal(
        data,
        {"record.json": codec.dumps(dataclasses.replace(index, election=new_hash))},
        tallied[1].server_seed,
    )
    report = verify(moved)
    assert {"trustees", "ballots"} <= failed(report)
    assert "committee" in report.check("test-decryption").skipped


def test_changed_test_ciphertext_fails_test_decryption(tallied):
    """c_T swapped for another ciphertext (e.g. a voter's): H_E moves and the
    trustees' signed test shares decrypt another ciphertext."""
    doc = load(tallied[0], "key-ceremony.json")
    ballot = load(tallied[0], "board/000000.json")["items"][2]["ballot"]
    doc["test_ciphertext"] = ballot["answers"][0]["ciphertexts"][0]
    report = verify(forged(tallied, "key-ceremony.json", doc))
    assert {"election-hash", "test-decryption"} <= failed(report)
    assert any("another election" in m for m in report.check("test-decryption").failures), (
        report.check("test-decryption").failures
    )


def test_roll_not_signed_by_the_registrar_fails(tallied):
    creds = codec.loads(CredentialList, zipfile.ZipFile(io.BytesIO(tallied[0])).read(
        "credentials.json"))  # fmt: skip
    server_key = bytes(32)  # the server signs with a key of its own
    other = sign_roll(
        nacl.signing.SigningKey(server_key).encode(), "test-election", creds.election, creds.keys
    )
    report = verify(
        forged(tallied, "credentials.json", dataclasses.replace(creds, signed_roll=other))
    )
    assert failed(report) == {"roll-signature"}
    assert report.check("roll-signature").failures == ("the roll is not signed by the registrar",)


def test_roll_signed_for_another_key_ceremony_fails(tallied, held):
    """The registrar's own signature on the very same keys, but binding another
    H_E (a roll signed for a substitute ceremony): refused."""
    creds = codec.loads(CredentialList, zipfile.ZipFile(io.BytesIO(tallied[0])).read(
        "credentials.json"))  # fmt: skip
    other = held.committee.sign_roll("test-election", bytes(32), creds.keys)
    report = verify(
        forged(tallied, "credentials.json", dataclasses.replace(creds, signed_roll=other))
    )
    assert failed(report) == {"roll-signature"}
    assert any("another key ceremony" in m for m in report.check("roll-signature").failures), (
        report.check("roll-signature").failures
    )


def test_puppet_credential_added_to_the_roll_fails(held):
    """The server lists a credential of its own beside the registrar's (the
    board's roll entry and credentials.json both include it, and it votes):
    the registrar's signature covers another roll."""
    manifest = with_rules(make_manifest(), held)
    out = io.BytesIO()
    real = [held.committee.credential(new_code(), manifest.election_id) for _ in range(3)]
    puppet = held.committee.credential(new_code(), manifest.election_id)
    builder = RecordBuilder(held, manifest, out, RecordOptions(state=RecordState.CLOSED),
                            keys=[*real, puppet])  # fmt: skip
    for cast in sample_casts(manifest, 4, revotes=()):
        builder.cast(cast.voter, cast.votes)
    summary = builder.finish()
    data = out.getvalue()
    creds = codec.loads(CredentialList, zipfile.ZipFile(io.BytesIO(data)).read("credentials.json"))
    signed = held.committee.sign_roll(
        manifest.election_id, creds.election, [k.public for k in real]
    )
    data = reseal(
        data,
        {"credentials.json": codec.dumps(dataclasses.replace(creds, signed_roll=signed))},
        summary.server_seed,
    )
    report = verify(data)
    assert failed(report) == {"roll-signature"}
    assert (
        "holds 4 credentials; the registrar signed 3" in report.check("roll-signature").failures[0]
    )


def test_attestation_of_another_board_fails(tallied, held):
    """A trustee's valid signature on another head (what an equivocating server
    obtains by showing one trustee another board) is named."""
    data, summary = tallied
    atts = codec.loads(AttestationList, zipfile.ZipFile(io.BytesIO(data)).read(
        "attestations.json"))  # fmt: skip
    first = atts.attestations[0]
    other = attest(
        held.committee.seed(1),
        summary.context.hash,
        1,
        BoardClose(first.board_size, first.ballots, first.roll_hash, bytes(32)),
    )
    changed = dataclasses.replace(atts, attestations=(other, *atts.attestations[1:]))
    report = verify(forged(tallied, "attestations.json", changed))
    assert failed(report) == {"close-attestations"}
    assert any("trustee 1 attested another board" in m
               for m in report.check("close-attestations").failures)  # fmt: skip


def test_too_few_attestations_after_the_count_fail(held):
    manifest = with_rules(make_manifest(), held)
    options = RecordOptions(voters=3, decrypting=(1, 2, 3), attesting=(1, 2))
    data, _ = record_bytes(held, manifest, sample_casts(manifest, 3), options)
    report = verify(data)
    assert failed(report) == {"close-attestations"}
    messages = report.check("close-attestations").failures
    assert "2 trustees attested the closed board, t = 3" in messages
    assert "trustees [3] decrypted without attesting the board" in messages


def test_closed_record_needs_no_attestation(held):
    manifest = with_rules(make_manifest(), held)
    options = RecordOptions(voters=3, state=RecordState.CLOSED, attesting=(4,))
    data, _ = record_bytes(held, manifest, sample_casts(manifest, 3), options)
    assert verify(data).ok


# --- receipts --------------------------------------------------------------------


def test_receipts_counted_and_superseded(tallied):
    data, summary = tallied
    given = [GivenReceipt(f"r{i}.json", r) for i, r in enumerate(summary.receipts)]
    report = verify(data, given)
    assert report.ok, report.failed
    statuses = {o.label: o.status for o in report.receipts}
    # voter 1 voted twice: its first ballot (the second cast) is superseded
    assert statuses["r1.json"] is ReceiptStatus.SUPERSEDED
    assert sum(s is ReceiptStatus.COUNTED for s in statuses.values()) == 4
    superseded = next(o for o in report.receipts if o.label == "r1.json")
    assert "last-counts" in superseded.detail
    assert report.to_json()["receipts"][1]["status"] == "superseded"


def test_receipt_of_a_dropped_ballot_fails(held):
    """The server signs a receipt, then publishes a board without that ballot."""
    manifest = with_rules(make_manifest(), held)
    votes = sample_casts(manifest, 3, revotes=())
    honest = RecordBuilder(held, manifest, io.BytesIO(), RecordOptions(voters=3))
    ballots = [encrypt_ballot(honest.ctx, honest.keys[c.voter], c.votes) for c in votes]
    receipts = [honest.post(b) for b in ballots]
    out = io.BytesIO()
    dropped = RecordBuilder(
        held,
        manifest,
        out,
        RecordOptions(voters=3, state=RecordState.CLOSED),
        keys=honest.keys,
        server_seed=honest.server_seed,
    )
    for ballot in (ballots[0], ballots[2]):  # voter 1's ballot is left off
        dropped.post(ballot)
    dropped.finish()
    report = verify(out.getvalue(), [GivenReceipt(f"v{i}.json", r) for i, r in enumerate(receipts)])
    assert failed(report) == {"voter-receipts"}
    by_label = {o.label: o for o in report.receipts}
    assert by_label["v0.json"].status is ReceiptStatus.COUNTED
    missing = by_label["v1.json"]
    assert missing.status is ReceiptStatus.MISSING
    assert "the ballot is missing" in missing.detail
    assert "position 3" in missing.detail
    gone = by_label["v2.json"]  # its position now is past the end of the board
    assert gone.status is ReceiptStatus.MISSING and "holds the close entry there" in gone.detail
    assert "tracking code is at position 3 instead" in gone.detail


def test_receipt_of_another_server_or_election_is_invalid(tallied):
    data, summary = tallied
    receipt = summary.receipts[0]
    other = dataclasses.replace(receipt, election=bytes(32))
    report = verify(data, [GivenReceipt("x.json", other)])
    assert report.receipts[0].status is ReceiptStatus.INVALID
    assert failed(report) == {"voter-receipts"}


def test_roll_hash_of_the_factory_is_the_boards(tallied):
    creds = codec.loads(CredentialList, zipfile.ZipFile(io.BytesIO(tallied[0])).read(
        "credentials.json"))  # fmt: skip
    assert creds.signed_roll.roll_hash == roll_hash(creds.keys)
