"""The observer's verifier (crypto/record/verify.py) on records made by the
test factory: valid records pass every check; any change to any field of
any file fails, and names the right check; workers and a Dask cluster give
the same report; verification loads no server or client code.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import subprocess
import sys
import zipfile

import pytest

from kiemphieu.crypto.canonical_json import canonical_bytes
from kiemphieu.crypto.election.ballot import encrypt_ballot, signing_message
from kiemphieu.crypto.election.rules import Revote
from kiemphieu.crypto.errors import RecordError
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.primitives.proofs.membership import MembershipProof
from kiemphieu.crypto.record.archive import INDEX, RecordArchive
from kiemphieu.crypto.record.documents import RecordState
from kiemphieu.crypto.record.report import CHECK_IDS, Status
from kiemphieu.crypto.record.verify import verify_record

from ..conftest import make_manifest
from ..support.record_factory import (
    Cast,
    RecordBuilder,
    RecordOptions,
    confidence_manifest,
    record_bytes,
    reseal,
    sample_casts,
    with_rules,
)


def verify(data: bytes, **kw):
    with RecordArchive(io.BytesIO(data)) as archive:
        return verify_record(archive, KeyPolicy.TESTING, **kw)


@pytest.fixture(scope="module")
def full(held):
    """Three question kinds, a revote, four segments, tally shares of 2, 4, 5."""
    manifest = with_rules(make_manifest(), held)
    options = RecordOptions(voters=5, segment_entries=3, decrypting=(2, 4, 5))
    return record_bytes(held, manifest, sample_casts(manifest, 4, revotes=(0, 2)), options)


@pytest.fixture(scope="module")
def small(held):
    """The smallest record with every field path: three question kinds, a
    revote, three segments, tally shares of 2, 4, 5 (for the mutation walk)."""
    manifest = with_rules(make_manifest(), held)
    options = RecordOptions(voters=3, segment_entries=3, decrypting=(2, 4, 5))
    return record_bytes(held, manifest, sample_casts(manifest, 3, revotes=(0,)), options)


@pytest.fixture(scope="module")
def closed(held):
    """QĐ 96 confidence vote, closed (no count yet)."""
    manifest = confidence_manifest("test-election", held)
    options = RecordOptions(voters=4, state=RecordState.CLOSED)
    return record_bytes(held, manifest, sample_casts(manifest, 3), options)


@pytest.fixture(scope="module")
def refused(held):
    """Revote refused; four trustees decrypt, the three lowest combine."""
    manifest = confidence_manifest("test-election", held, revote=Revote.REFUSE)
    options = RecordOptions(voters=3, decrypting=(1, 3, 4, 5), state=RecordState.PUBLISHED)
    return record_bytes(held, manifest, sample_casts(manifest, 3, revotes=(1,)), options)


def test_tallied_record_passes_every_check(full):
    data, summary = full
    report = verify(data)
    assert report.ok, report.failed
    assert [c.id for c in report.checks] == list(CHECK_IDS)
    given = report.check("voter-receipts")
    assert not given.applicable and given.status is Status.SKIPPED  # no receipt given
    assert all(c.status is Status.PASSED and c.passed > 0 for c in report.checks if c is not given)
    assert report.check("ballots").passed == len(summary.receipts) == 6
    assert report.check("combination").passed == 1 + len(summary.packed)
    assert summary.combined_by == (2, 4, 5)
    assert summary.counted != tuple(range(2, 8))  # the revotes replaced two ballots


def test_closed_record_skips_only_the_count(closed):
    report = verify(closed[0])
    assert report.ok
    skipped = {c.id for c in report.checks if c.status is Status.SKIPPED}
    assert skipped == {
        "tally-shares", "combination", "unpacking", "result", "minutes", "voter-receipts",
    }  # fmt: skip
    assert all(not report.check(i).applicable for i in skipped)
    assert "closed" in report.check("result").skipped


def test_refuse_rule_and_lowest_three_of_four(refused):
    data, summary = refused
    assert summary.refused == (3,)
    assert summary.combined_by == (1, 3, 4)
    report = verify(data)
    assert report.ok, report.failed
    assert report.check("tally-shares").passed == 4


# --- QĐ 96: exclusive tiers, no flag below the quorum (spec §8.8) ----------------

LOW, HIGH = 2, 0
TIER_VOTES = [(LOW, LOW), (LOW, LOW), (LOW, LOW), (LOW, HIGH), (HIGH, HIGH)]
"""Five ballots: row 1 has 4 low of 5 (two thirds or more), row 2 has 3 of 5
(more than half, less than two thirds)."""


def tier_record(held, summoned: int):
    """tests/data/confidence.toml, ``summoned`` people summoned, the five ballots
    of TIER_VOTES (everyone who voted was present)."""
    base = confidence_manifest("test-election", held)
    assert base.rules is not None
    manifest = dataclasses.replace(base, rules=dataclasses.replace(base.rules, summoned=summoned))
    casts = [Cast(v, {"leaders": votes}) for v, votes in enumerate(TIER_VOTES)]
    return record_bytes(held, manifest, casts, RecordOptions(voters=5))


@pytest.fixture(scope="module")
def quorate(held):
    """5 of 7 summoned voted: 3·5 ≥ 2·7, the quorum is met."""
    return tier_record(held, 7)


@pytest.fixture(scope="module")
def inquorate(held):
    """5 of 8 summoned voted: 3·5 < 2·8, the conference could not proceed."""
    return tier_record(held, 8)


def stored_flags(record, flags: list[list[str]]) -> bytes:
    """``record`` resealed with result.json's flags per row replaced by ``flags``."""
    doc = json.loads(zipfile.ZipFile(io.BytesIO(record[0])).read("result.json"))
    for part, raised in zip(doc["questions"][0]["parts"], flags, strict=True):
        part["flags"] = raised
    return rewrite(record, {"result.json": canonical_bytes(doc)})


def result_flags(record) -> tuple[bool, list[list[str]]]:
    doc = json.loads(zipfile.ZipFile(io.BytesIO(record[0])).read("result.json"))
    return doc["quorum_met"], [p["flags"] for p in doc["questions"][0]["parts"]]


HALF, TWO_THIRDS = "low-more-than-half", "low-two-thirds"


def test_a_stored_result_with_both_tiers_fails_the_result_check(quorate):
    """The rule before issue 16 raised both flags at two thirds or more; QĐ 96
    Điều 11's tiers are exclusive, so such a result is not its counts' result."""
    assert result_flags(quorate) == (True, [[TWO_THIRDS], [HALF]])
    assert verify(quorate[0]).ok
    report = verify(stored_flags(quorate, [[HALF, TWO_THIRDS], [HALF]]))
    assert {c.id for c in report.failed} == {"result"}
    assert "differs from the result recomputed" in report.check("result").failures[0]


def test_a_stored_result_with_flags_below_the_quorum_fails_the_result_check(inquorate):
    """Below the quorum the result has no effect: flags there (the old rule) fail."""
    assert result_flags(inquorate) == (False, [[], []])
    assert verify(inquorate[0]).ok
    for old in ([[HALF, TWO_THIRDS], [HALF]], [[TWO_THIRDS], [HALF]]):
        report = verify(stored_flags(inquorate, old))
        assert {c.id for c in report.failed} == {"result"}, old


def test_production_policy_refuses_test_keys(full):
    with RecordArchive(io.BytesIO(full[0])) as archive:
        report = verify_record(archive, KeyPolicy.STANDARD)
    assert not report.ok
    assert "parameters" in {c.id for c in report.failed}
    assert report.check("ballots").status is Status.SKIPPED
    assert "context" in report.check("ballots").skipped


# --- mutations ------------------------------------------------------------------


def rewrite(record, changes: dict[str, bytes], *, update_index: bool = True) -> bytes:
    """The archive of ``record`` (data, summary) with files replaced. Unless
    ``update_index`` is False, the index's sizes and hashes follow and the index
    is signed again with the server's seed, so the change reaches the checks."""
    data, summary = record
    if not update_index:
        src = zipfile.ZipFile(io.BytesIO(data))
        files = {i.filename: src.read(i) for i in src.infolist()} | changes
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zf:
            for name, raw in files.items():
                zf.writestr(name, raw)
        return out.getvalue()
    return reseal(data, changes, summary.server_seed)


def leaves(value, path=""):
    """Every leaf (path, value) of parsed JSON, and every list (for its length)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in ("type", "version"):
                yield from leaves(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        yield path + "#len", value
        for i, item in enumerate(value):
            yield from leaves(item, f"{path}[{i}]")
    else:
        yield path, value


ENUMS = (
    # tallied and published records hold the same files: only the server's
    # lifecycle tells them apart, so a tallied record is changed to closed
    ("tallied", "closed"),
    ("roll", "open", "ballot", "close"),
    ("test", "tally"),
    ("confidence", "single", "multiple"),
    ("returned", "issued", "summoned", "valid"),
    ("more-than", "at-least"),
    ("last-counts", "refuse"),
)


def mutate(path: str, value):
    """One changed value of the same JSON kind (None: nothing to change)."""
    if path.endswith("#len"):
        return value[:-1] if value else None
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1 if value < 255 else value - 1
    if isinstance(value, str):
        for choices in ENUMS:
            if value in choices:
                return choices[(choices.index(value) + 1) % len(choices)]
        if re.fullmatch(r"[0-9a-f]+", value):
            last = value[-1]
            return value[:-1] + ("1" if last != "1" else "2")
        return value[:-1] + ("x" if value[-1] != "x" else "y")
    return None


def set_at(doc, path: str, new):
    """``doc`` with the value at ``path`` (as :func:`leaves` names it) replaced."""
    tokens = re.findall(r"[^.\[\]#]+|\[\d+\]", path.removesuffix("#len"))
    target = doc
    for token in tokens[:-1]:
        target = target[int(token[1:-1])] if token.startswith("[") else target[token]
    last = tokens[-1]
    if last.startswith("["):
        target[int(last[1:-1])] = new
    else:
        target[last] = new


UNBOUND = re.compile(r"record\.json:(exported_at|software)$")
"""Fields that only the server's signature over record.json binds (through the
files' hashes): the export's metadata. A change to them must fail the
``index`` check unless the forger holds the server's receipt key. (The
committee's names and roles are signed by each member and bound into H_E.)"""

EXPECTED = [
    (r"record\.json:files.*sha256|record\.json:files.*size", {"files"}),
    (r"record\.json:election$", {"election-hash"}),
    (r"record\.json:receipt_key", {"receipts"}),
    (r"record\.json:", {"index"}),
    (r"manifest\.json:", {"election-hash"}),
    (r"key-ceremony\.json:(election_id|key\.n|modulus_proof|factor_proofs)", {"parameters"}),
    (r"key-ceremony\.json:committee", {"trustees"}),
    (r"key-ceremony\.json:key\.vks#len", {"election-hash"}),
    (r"key-ceremony\.json:(key\.v|key\.vks|test_plaintext)", {"verification-keys"}),
    (r"key-ceremony\.json:", {"election-hash", "test-decryption", "verification-keys"}),
    (r"credentials\.json:signed_roll", {"roll-signature"}),
    (r"credentials\.json:", {"credentials"}),
    (r"attestations\.json:", {"close-attestations"}),
    (r"board/\d+\.json:items\[\*\]\.ballot", {"ballots"}),
    (r"board/\d+\.json:items\[\*\]\.receipt", {"receipts"}),
    (r"board/\d+\.json:", {"board"}),
    (r"shares\.json:(election|test)", {"test-decryption"}),
    (r"shares\.json:tally#len", {"combination"}),
    (r"shares\.json:tally", {"tally-shares"}),
    (r"tally\.json:counted", {"counted-set"}),
    (r"tally\.json:", {"encrypted-tally"}),
    (r"counts\.json:", {"unpacking"}),
    (r"result\.json:", {"result"}),
    (r"minutes\.json:combined_by", {"combination"}),
    (r"minutes\.json:", {"minutes"}),
]


def expected_checks(where: str) -> set[str]:
    for pattern, checks in EXPECTED:
        if re.match(pattern, where):
            return checks
    raise AssertionError(f"no expectation for {where}")


def field_paths(data: bytes):
    """One (file, leaf path, value) per distinct field path of every file
    (list indices generalized), the last occurrence of each."""
    src = zipfile.ZipFile(io.BytesIO(data))
    chosen = {}
    for name in sorted(src.namelist()):
        doc = json.loads(src.read(name))
        kind = "board/*.json" if name.startswith("board/") else name
        for path, value in leaves(doc):
            general = re.sub(r"\[\d+\]", "[*]", path)
            chosen[(kind, general)] = (name, path, value)
    return sorted(chosen.items())


def test_every_field_change_fails_the_right_check(small):
    data = small[0]
    src = zipfile.ZipFile(io.BytesIO(data))
    tried = failures = 0
    kinds = set()
    wrong: list[str] = []
    for (kind, general), (name, path, value) in field_paths(data):
        where = f"{kind.replace('*', '000000') if kind.startswith('board') else kind}:{general}"
        unbound = UNBOUND.match(f"{kind}:{general}") is not None
        new = mutate(path, value)
        if new is None:
            continue
        doc = json.loads(src.read(name))
        set_at(doc, path, new)
        raw = canonical_bytes(doc)
        kinds.add(type(value).__name__ if not path.endswith("#len") else "length")
        try:
            # Fields only the server's signature binds are changed without signing
            # again (and so is the signature itself); the others are re-signed.
            forged = unbound or (name == INDEX and path == "signature")
            changed = reseal(data, {name: raw}, None if forged else small[1].server_seed)
            report = verify(changed)
        except RecordError:
            assert name == INDEX and path.startswith("files"), (name, path)
            continue
        tried += 1
        failed = {c.id for c in report.failed}
        assert not report.ok, f"{name}:{path} changed and the record still verifies"
        want = (
            {"index"}
            if unbound
            else expected_checks(where.replace("board/000000", f"board/{name[6:12]}"))
        )
        if not failed & want:
            if "format" not in failed:
                wrong.append(f"{name}:{path}: failed {sorted(failed)}, expected {sorted(want)}")
            failures += 1
    assert not wrong, "\n".join(wrong)
    assert tried > 150
    assert kinds >= {"str", "int", "length"}
    assert failures < tried // 4  # most changes decode and reach the semantic check


def test_non_canonical_segment_fails_format(full):
    """Same values, other bytes (spaces after separators): listed and signed, the
    segment still fails, since only canonical bytes are hashed by the protocol."""
    src = zipfile.ZipFile(io.BytesIO(full[0]))
    doc = json.loads(src.read("board/000001.json"))
    spaced = json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()
    report = verify(rewrite(full, {"board/000001.json": spaced}))
    assert not report.ok
    assert any(
        "board/000001.json" in m and "canonical" in m for m in report.check("format").failures
    )


def test_changed_file_without_new_hash_fails_integrity(full):
    data = full[0]
    src = zipfile.ZipFile(io.BytesIO(data))
    doc = json.loads(src.read("result.json"))
    doc["returned"] += 1
    report = verify(rewrite(full, {"result.json": canonical_bytes(doc)}, update_index=False))
    assert report.check("files").status is Status.FAILED
    assert "result.json" in report.check("files").failures[0]
    assert report.check("result").status is Status.SKIPPED


def test_bad_proof_with_valid_signature_is_named_by_bisection(held):
    manifest = with_rules(make_manifest(), held)
    out = io.BytesIO()
    builder = RecordBuilder(held, manifest, out, RecordOptions(voters=6, segment_entries=10))
    votes = sample_casts(manifest, 6, revotes=())
    for cast in votes[:3]:
        builder.cast(cast.voter, cast.votes)
    ballot = encrypt_ballot(builder.ctx, builder.keys[3], votes[3].votes)
    answer = ballot.answers[1]
    proof = answer.proofs[0]
    z = list(proof.z)
    z[0] = z[0] * 2 % builder.ctx.public_key.n  # still a unit, the equation fails
    answer = dataclasses.replace(answer, proofs=(MembershipProof(proof.a, proof.e, tuple(z)),))
    ballot = dataclasses.replace(ballot, answers=(ballot.answers[0], answer, *ballot.answers[2:]))
    ballot = dataclasses.replace(ballot, signature=builder.keys[3].sign(signing_message(ballot)))
    receipt = builder.post(ballot)
    for cast in votes[4:]:
        builder.cast(cast.voter, cast.votes)
    builder.finish()
    report = verify(out.getvalue())
    assert {c.id for c in report.failed} == {"ballots"}
    ballots = report.check("ballots")
    assert (ballots.passed, ballots.failed) == (5, 1)
    assert ballots.failures == (f"position {receipt.position}: membership equation fails",)
    assert verify(out.getvalue(), workers=2).to_json() == report.to_json()


def test_two_workers_give_the_same_report(full):
    data = full[0]
    src = zipfile.ZipFile(io.BytesIO(data))
    doc = json.loads(src.read("board/000001.json"))
    doc["items"][0]["ballot"]["signature"] = "00" * 64
    tampered = rewrite(full, {"board/000001.json": canonical_bytes(doc)})
    for record in (data, tampered):
        assert verify(record, workers=2).to_json() == verify(record).to_json()
    assert verify(tampered).check("ballots").failed == 1


def test_dask_local_cluster_gives_the_same_report(full):
    distributed = pytest.importorskip("distributed")
    data = full[0]
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        report = verify(data, dask=cluster.scheduler_address)
    assert report.to_json() == verify(data).to_json()


def test_verification_loads_no_server_or_client_code(full, tmp_path):
    path = tmp_path / "record.zip"
    path.write_bytes(full[0])
    script = f"""
import sys
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.record.archive import RecordArchive
from kiemphieu.crypto.record.verify import verify_record
with open({str(path)!r}, "rb") as f, RecordArchive(f) as archive:
    report = verify_record(archive, KeyPolicy.TESTING)
assert report.ok
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "sqlalchemy", "distributed",
    "dask", "requests") or m.startswith(("kiemphieu.server", "kiemphieu.client")))
print(",".join(bad) or "clean")
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "clean", out.stdout
