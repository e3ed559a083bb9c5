"""Reading and writing the election record archive (docs/record.md §1–2).

The archive is a zip file of canonical JSON documents. ``record.json`` indexes
every other file with its size and SHA-256; a reader takes nothing else from
the zip's own directory than where the bytes are. Nothing here touches the
file system: the caller opens the file or the download and passes a binary
stream.

Writing is deterministic: the same record gives the same archive bytes (fixed
timestamps, fixed permissions, files in name order, record.json last).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import zipfile
from collections.abc import Iterator, Sequence
from typing import IO, TypeVar

import nacl.signing

from .. import codec
from ..canonical_json import DEFAULT_MAX_BYTES, canonical_bytes
from ..election.board import BoardEntry
from ..election.ceremony import MAX_CEREMONY_BYTES
from ..election.credential import verify_signature
from ..errors import DecodeError, RecordError, RecordIntegrityError
from ..primitives.threshold import MAX_TRUSTEES
from ..primitives.transcript import Tag, digest
from ..schema import document_info
from .documents import SEGMENT_ENTRIES, BoardSegment, RecordFile, RecordIndex

T = TypeVar("T")

INDEX = "record.json"
MANIFEST = "manifest.json"
CEREMONY = "key-ceremony.json"
CREDENTIALS = "credentials.json"
SHARES = "shares.json"
TALLY = "tally.json"
COUNTS = "counts.json"
RESULT = "result.json"
MINUTES = "minutes.json"
ATTESTATIONS = "attestations.json"
FIXED_NAMES = (
    MANIFEST,
    CEREMONY,
    CREDENTIALS,
    ATTESTATIONS,
    SHARES,
    TALLY,
    COUNTS,
    RESULT,
    MINUTES,
)
SEGMENT_NAME = re.compile(r"board/(\d{6})\.json")
"""Segment files: ``board/000000.json``, ``board/000001.json``, … in board order."""

_MIB = 1 << 20
SEGMENT_MAX_BYTES = 512 * _MIB
"""Largest segment accepted (1,000 entries of the largest plausible ballots)."""
INDEX_MAX_BYTES = 256 * _MIB
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)
ZERO_SIGNATURE = bytes(64)


def index_message(index: RecordIndex) -> bytes:
    """H(record/index, canonical bytes of the index with a zero signature): what the
    server signs with its receipt key (docs/record.md §2.1)."""
    return digest(
        Tag.RECORD_INDEX, codec.dumps(dataclasses.replace(index, signature=ZERO_SIGNATURE))
    )


def verify_index_signature(index: RecordIndex) -> RecordIndex:
    """Check the index's signature by its ``receipt_key``; raises InvalidSignature."""
    verify_signature(index.receipt_key, index_message(index), index.signature)
    return index


def segment_name(number: int) -> str:
    """The file name of segment ``number`` (0-based)."""
    return f"board/{number:06d}.json"


def max_bytes(name: str) -> int:
    """The largest size a reader accepts for the file ``name`` (docs/record.md §1)."""
    if name == INDEX:
        return INDEX_MAX_BYTES
    if name == CREDENTIALS:
        return 1024 * _MIB  # 10^7 keys of 67 bytes each
    if name == TALLY:
        return 256 * _MIB  # the counted positions
    if name == SHARES:
        return 16 * _MIB * (1 + 2 * MAX_TRUSTEES // 64)
    if name == CEREMONY:
        return MAX_CEREMONY_BYTES
    if SEGMENT_NAME.fullmatch(name):
        return SEGMENT_MAX_BYTES
    return 16 * _MIB if name in FIXED_NAMES else DEFAULT_MAX_BYTES


def _allowed(name: str) -> bool:
    return name in FIXED_NAMES or SEGMENT_NAME.fullmatch(name) is not None


def decode(cls: type[T], name: str, data: bytes) -> T:
    """The file ``name``'s bytes decoded strictly as ``cls``, which must also be
    their canonical form (docs/spec.md §9.5); DecodeError names the file."""
    try:
        value = codec.loads(cls, data, max_bytes=max_bytes(name))
    except DecodeError as exc:
        raise DecodeError(f"{name}:{exc.path}", exc.message) from None
    if codec.dumps(value) != data:
        raise DecodeError(name, "not in canonical form (docs/spec.md §9.5)")
    return value


RawItem = tuple[BoardEntry, bytes | None, bytes | None]
"""A board item as (entry, the ballot's canonical bytes, the receipt's canonical
bytes), the two ``None`` for an entry that is not a ballot."""


def segment_bytes(election: bytes, start: int, items: Sequence[RawItem]) -> bytes:
    """``codec.dumps(BoardSegment(election, start, items))`` for items whose ballot
    and receipt are already canonical bytes (as the server stores them),
    spliced without decoding and encoding every ballot again: keys in code-point
    order at every level (docs/spec.md §9.5). Equal to the codec's bytes for
    the same values; the tests hold it to them."""
    info = document_info(BoardSegment)
    if info is None:  # pragma: no cover - BoardSegment is a document
        raise TypeError("BoardSegment is not a document")
    if not 1 <= len(items) <= SEGMENT_ENTRIES:
        raise RecordError(f"a segment holds 1..{SEGMENT_ENTRIES} entries, not {len(items)}")
    parts = [
        b'{"ballot":'
        + (ballot if ballot is not None else b"null")
        + b',"entry":'
        + canonical_bytes(codec.to_wire(entry))
        + b',"receipt":'
        + (receipt if receipt is not None else b"null")
        + b"}"
        for entry, ballot, receipt in items
    ]
    return b"".join(
        (
            b'{"election":"',
            election.hex().encode("ascii"),
            b'","items":[',
            b",".join(parts),
            b'],"start":',
            str(start).encode("ascii"),
            f',"type":"{info.kind}","version":{info.version}}}'.encode("ascii"),
        )
    )


class RecordWriter:
    """Writes an archive to a binary stream (seekable or not).

    Add documents with :meth:`add` and board segments with
    :meth:`add_segment` (in board order), then call :meth:`finish` with the
    index fields; the writer computes the file list itself.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self._zip = zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED)
        self._files: list[RecordFile] = []
        self._segments = 0
        self._next_position = 0
        self._finished = False

    def _put(self, name: str, data: bytes) -> None:
        info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3
        info.external_attr = 0o644 << 16
        self._zip.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)

    def add(self, name: str, document: object) -> None:
        """Add one of the fixed files (``manifest.json`` …) holding ``document``."""
        if name not in FIXED_NAMES:
            raise RecordError(f"{name!r} is not a file of an election record")
        if any(f.name == name for f in self._files):
            raise RecordError(f"{name} added twice")
        self._add_bytes(name, codec.dumps(document))

    def add_segment(self, segment: BoardSegment) -> None:
        """Add the next board segment; its entries must follow the previous ones."""
        self._add_segment_bytes(segment.start, len(segment.items), codec.dumps(segment))

    def add_raw_segment(self, election: bytes, start: int, items: Sequence[RawItem]) -> None:
        """Add the next board segment from items already in canonical bytes
        (:func:`segment_bytes`); the same file as :meth:`add_segment` writes."""
        self._add_segment_bytes(start, len(items), segment_bytes(election, start, items))

    def _add_segment_bytes(self, start: int, count: int, data: bytes) -> None:
        if start != self._next_position:
            raise RecordError(f"segment starts at position {start}, {self._next_position} expected")
        self._add_bytes(segment_name(self._segments), data)
        self._segments += 1
        self._next_position += count

    def _add_bytes(self, name: str, data: bytes) -> None:
        if self._finished:
            raise RecordError("the record is already finished")
        self._put(name, data)
        self._files.append(RecordFile(name, len(data), hashlib.sha256(data).digest()))

    def finish(self, index: RecordIndex, server_seed: bytes) -> RecordIndex:
        """Write ``record.json``: ``index`` with the list of files written, signed
        with the server's Ed25519 seed (its public key must be the index's
        ``receipt_key``); close the zip and return the index as written."""
        if self._finished:
            raise RecordError("the record is already finished")
        key = nacl.signing.SigningKey(server_seed)
        if bytes(key.verify_key) != index.receipt_key:
            raise RecordError("the signing seed is not the one of the index's receipt key")
        files = tuple(sorted(self._files, key=lambda f: f.name))
        unsigned = dataclasses.replace(index, files=files, signature=ZERO_SIGNATURE)
        signature = bytes(key.sign(index_message(unsigned)).signature)
        final = dataclasses.replace(unsigned, signature=signature)
        self._put(INDEX, codec.dumps(final))
        self._zip.close()
        self._finished = True
        return final


def _read_index(zf: zipfile.ZipFile) -> RecordIndex:
    try:
        info = zf.getinfo(INDEX)
    except KeyError:
        raise RecordError(f"the archive has no {INDEX}") from None
    if info.file_size > INDEX_MAX_BYTES:
        raise RecordError(f"{INDEX} is larger than {INDEX_MAX_BYTES} bytes")
    with zf.open(info) as f:
        raw = f.read(INDEX_MAX_BYTES + 1)
    try:
        return codec.loads(RecordIndex, raw, max_bytes=INDEX_MAX_BYTES)
    except DecodeError as exc:
        raise RecordError(f"{INDEX}: {exc}") from None


class RecordArchive:
    """An election record opened for reading (docs/record.md §1).

    Opening checks the zip's directory against the index: no duplicate, absent
    or unlisted file, only allowed names, contiguous segment numbers, no
    encrypted or oddly compressed entry. File contents are checked against
    their size and SHA-256 when read.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        try:
            self._zip = zipfile.ZipFile(stream, "r")
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise RecordError(f"not a zip archive: {exc}") from None
        infos = self._zip.infolist()
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise RecordError("the archive holds two files of the same name")
        for info in infos:
            if info.filename != INDEX and not _allowed(info.filename):
                raise RecordError(f"the archive holds an unexpected file {info.filename[:80]!r}")
            if info.flag_bits & 0x1:
                raise RecordError(f"{info.filename} is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise RecordError(f"{info.filename} uses an unsupported compression")
        self.index = _read_index(self._zip)
        listed = {f.name: f for f in self.index.files}
        if len(listed) != len(self.index.files):
            raise RecordError(f"{INDEX} lists a file twice")
        for name in listed:
            if not _allowed(name):
                raise RecordError(f"{INDEX} lists a file that is not allowed: {name[:80]!r}")
        present = set(names) - {INDEX}
        if present != set(listed):
            missing = sorted(set(listed) - present)
            extra = sorted(present - set(listed))
            raise RecordError(
                f"the archive and {INDEX} disagree (missing {missing}, unlisted {extra})"
            )
        self._listed = listed
        segments = sorted(n for n in listed if SEGMENT_NAME.fullmatch(n))
        if segments != [segment_name(i) for i in range(len(segments))]:
            raise RecordError("board segment files are not numbered 0, 1, 2, … without gaps")
        self.segment_names: tuple[str, ...] = tuple(segments)

    def __enter__(self) -> RecordArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def has(self, name: str) -> bool:
        return name in self._listed

    def read(self, name: str) -> bytes:
        """The bytes of ``name``, checked against the index (RecordIntegrityError)."""
        entry = self._listed.get(name)
        if entry is None:
            raise RecordError(f"the record has no {name}")
        limit = max_bytes(name)
        if entry.size > limit:
            raise RecordError(f"{name} is listed as {entry.size} bytes, more than {limit}")
        info = self._zip.getinfo(name)
        if info.file_size != entry.size:
            raise RecordIntegrityError(f"{name}: {info.file_size} bytes, {entry.size} listed")
        try:
            with self._zip.open(info) as f:
                data = f.read(entry.size + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise RecordIntegrityError(f"{name}: cannot be read: {exc}") from None
        if len(data) != entry.size or hashlib.sha256(data).digest() != entry.sha256:
            raise RecordIntegrityError(f"{name}: the bytes differ from the hash in {INDEX}")
        return data

    def load(self, cls: type[T], name: str) -> T:
        """Read ``name`` and decode it strictly as ``cls`` (DecodeError names the file)."""
        return decode(cls, name, self.read(name))

    def segments(self) -> Iterator[BoardSegment]:
        """Every board segment in order, decoded (one in memory at a time)."""
        for name in self.segment_names:
            yield self.load(BoardSegment, name)
