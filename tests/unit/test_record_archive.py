"""The record archive's reader and writer (crypto/record/archive.py): what a
reader refuses before any verification, and the writer's determinism."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import zipfile

import nacl.signing
import pytest

from kiemphieu.crypto import codec
from kiemphieu.crypto.canonical_json import canonical_bytes
from kiemphieu.crypto.errors import (
    DecodeError,
    InvalidSignature,
    RecordError,
    RecordIntegrityError,
)
from kiemphieu.crypto.record.archive import (
    INDEX,
    RecordArchive,
    RecordWriter,
    segment_bytes,
    verify_index_signature,
)
from kiemphieu.crypto.record.documents import AttestationList, RecordState

from ..support.record_factory import RecordOptions, confidence_manifest, record_bytes, sample_casts


@pytest.fixture(scope="module")
def record(held) -> bytes:
    manifest = confidence_manifest("test-election", held)
    options = RecordOptions(voters=3, state=RecordState.CLOSED, segment_entries=2)
    return record_bytes(held, manifest, sample_casts(manifest, 2), options)[0]


def files_of(data: bytes) -> dict[str, bytes]:
    src = zipfile.ZipFile(io.BytesIO(data))
    return {i.filename: src.read(i) for i in src.infolist()}


def build(files: dict[str, bytes], *, relist: bool = False, extra: tuple = ()) -> bytes:
    """A zip of ``files`` (record.json as given, or relisting every file when
    ``relist``), plus ``extra`` (name, bytes) entries written as they are."""
    files = dict(files)
    if relist:
        index = json.loads(files[INDEX])
        index["files"] = [
            {"name": n, "size": len(b), "sha256": hashlib.sha256(b).hexdigest()}
            for n, b in sorted(files.items())
            if n != INDEX
        ]
        files[INDEX] = canonical_bytes(index)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, raw in [*files.items(), *extra]:
            zf.writestr(name, raw)
    return out.getvalue()


def open_archive(data: bytes) -> RecordArchive:
    return RecordArchive(io.BytesIO(data))


def test_valid_record_opens_and_every_file_reads(record):
    archive = open_archive(record)
    assert archive.segment_names == ("board/000000.json", "board/000001.json", "board/000002.json")
    for f in archive.index.files:
        assert hashlib.sha256(archive.read(f.name)).digest() == f.sha256
    assert [s.start for s in archive.segments()] == [0, 2, 4]


SEED = bytes(range(32))


def test_writer_is_deterministic_and_signs_the_index(record):
    archive = open_archive(record)
    key = bytes(nacl.signing.SigningKey(SEED).verify_key)
    index = dataclasses.replace(archive.index, receipt_key=key)
    out1, out2 = io.BytesIO(), io.BytesIO()
    for out in (out1, out2):
        writer = RecordWriter(out)
        for seg in archive.segments():
            writer.add_segment(seg)
        writer.add("attestations.json", archive.load(AttestationList, "attestations.json"))
        written = writer.finish(index, SEED)
    assert out1.getvalue() == out2.getvalue()
    again = open_archive(out1.getvalue()).index
    assert again == written
    assert verify_index_signature(again) is again
    with pytest.raises(InvalidSignature):
        verify_index_signature(dataclasses.replace(again, exported_at="2030-01-01T00:00:00Z"))


def test_writer_refuses_a_seed_of_another_key(record):
    writer = RecordWriter(io.BytesIO())
    with pytest.raises(RecordError, match="seed"):
        writer.finish(open_archive(record).index, SEED)


def test_not_a_zip():
    with pytest.raises(RecordError, match="not a zip"):
        open_archive(b"PK\x03\x04 certainly not a zip")


def test_unlisted_file(record):
    files = files_of(record)
    with pytest.raises(RecordError, match="unlisted"):
        open_archive(build(files, extra=(("result.json", b"{}"),)))


def test_missing_file(record):
    files = files_of(record)
    del files["attestations.json"]
    with pytest.raises(RecordError, match="missing"):
        open_archive(build(files))


def test_duplicate_name(record):
    files = files_of(record)
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = build(files, extra=(("manifest.json", files["manifest.json"]),))
    with pytest.raises(RecordError, match="two files of the same name"):
        open_archive(data)


@pytest.mark.parametrize("name", ["../manifest.json", "/etc/passwd", "board/../x.json", "a.json"])
def test_name_outside_the_record(record, name):
    files = files_of(record)
    with pytest.raises(RecordError, match="unexpected file"):
        open_archive(build(files, extra=((name, b"{}"),)))


def test_listed_name_not_allowed(record):
    files = files_of(record)
    files["../evil.json"] = b"{}"
    with pytest.raises(RecordError, match="unexpected file"):
        open_archive(build(files, relist=True))


def test_wrong_size_and_wrong_hash(record):
    files = files_of(record)
    grown = dict(files, **{"credentials.json": files["credentials.json"] + b" "})
    with pytest.raises(RecordIntegrityError, match="bytes"):
        open_archive(build(grown)).read("credentials.json")
    raw = files["credentials.json"]
    flipped = raw[:-3] + (b"0" if raw[-3:-2] != b"0" else b"1") + raw[-2:]
    changed = dict(files, **{"credentials.json": flipped})
    with pytest.raises(RecordIntegrityError, match="differ from the hash"):
        open_archive(build(changed)).read("credentials.json")


def test_non_canonical_json_is_refused_on_load(record):
    files = files_of(record)
    doc = json.loads(files["attestations.json"])
    files["attestations.json"] = json.dumps(doc, indent=1, ensure_ascii=False).encode()
    archive = open_archive(build(files, relist=True))
    with pytest.raises(DecodeError, match="canonical"):
        archive.load(AttestationList, "attestations.json")


def test_segment_gap(record):
    files = files_of(record)
    del files["board/000001.json"]
    with pytest.raises(RecordError, match="without gaps"):
        open_archive(build(files, relist=True))


def test_writer_refuses_out_of_order_segments_and_foreign_names(record):
    archive = open_archive(record)
    segments = list(archive.segments())
    writer = RecordWriter(io.BytesIO())
    with pytest.raises(RecordError, match="starts at position"):
        writer.add_segment(segments[1])
    with pytest.raises(RecordError, match="not a file"):
        writer.add("../x.json", segments[0])


def test_raw_segments_are_the_codec_bytes(record):
    """segment_bytes splices stored canonical ballots and receipts; every segment
    of a record (roll, open, ballots, close) comes out as the codec writes it."""
    archive = open_archive(record)
    out = io.BytesIO()
    writer = RecordWriter(out)
    for name, seg in zip(archive.segment_names, archive.segments(), strict=True):
        items = [
            (
                i.entry,
                None if i.ballot is None else codec.dumps(i.ballot),
                None if i.receipt is None else codec.dumps(i.receipt),
            )
            for i in seg.items
        ]
        assert segment_bytes(seg.election, seg.start, items) == archive.read(name)
        writer.add_raw_segment(seg.election, seg.start, items)
    with pytest.raises(RecordError, match=r"1\.\.1000 entries"):
        segment_bytes(bytes(32), 0, [])
    with pytest.raises(RecordError, match="expected"):
        writer.add_raw_segment(bytes(32), 0, items)
