"""``kiemphieu record download``: fetch an election record (docs/record.md).

The archive is streamed to a temporary file in the target's folder (never
more than ``--max-bytes``), resumed with a Range request if the connection
drops, then opened with :class:`RecordArchive` — the zip's directory against
its index, and the index for the election asked for, with the SHA-256 the
server announced as ETag — and only then renamed into place. An existing file
is replaced only with ``--force``. Checking the record's contents is
``kiemphieu verify``'s job; this command only makes sure the file is whole and
is the record of that election.

The server builds each state's record in the background and answers 202
with Retry-After until it is ready: the command says so once, sleeps as
asked (at most a minute at a time) and asks again, for at most ``--wait``
seconds in all.

Exit codes as every networked verb (client/cli/connection.py): 1 the file
cannot be written (or exists), 3 the server refused (unknown election, poll
not closed), 4 the server could not be reached (or was still building the
record after ``--wait``), 5 the download is not a record of that election.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Any

import requests

from kiemphieu.crypto.errors import KiemphieuCryptoError
from kiemphieu.crypto.record import archive
from kiemphieu.crypto.record.documents import RecordIndex

from .connection import LocalError, UsageError, guarded
from .http import USER_AGENT, BadReply, NetworkError, ServerError, api_path, check_base_url

DEFAULT_MAX_BYTES = 64 << 30
"""64 GiB: a million ballots of five confidence rows at 3072 bits, compressed."""
CHUNK = 1 << 20
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_WAIT_S = 7200.0
"""How long to wait in all while the server builds the record (2 hours: a
million ballots take about one)."""
MAX_PAUSE_S = 60.0
DEFAULT_PAUSE_S = 10.0
RETRIES = 3


@dataclass(frozen=True)
class Downloaded:
    """A record saved at ``path``: its SHA-256 and its index."""

    path: Path
    sha256: str
    size: int
    index: RecordIndex


def _error(resp: requests.Response, what: str) -> ServerError:
    """The API's error shape from a refused request."""
    try:
        value = json.loads(resp.raw.read(1 << 20, decode_content=True))
    except (ValueError, OSError, requests.RequestException):
        value = None
    if isinstance(value, dict) and isinstance(value.get("message"), str):
        code, field = value.get("code"), value.get("field")
        return ServerError(
            resp.status_code,
            code if isinstance(code, str) else "error",
            value["message"],
            field if isinstance(field, str) else None,
        )
    return ServerError(resp.status_code, "http-error", f"{what}: {resp.reason or 'error'}")


def _pause(resp: requests.Response) -> float | None:
    """Seconds to wait if the server is building the record (202, or 503 with
    Retry-After: seconds or an HTTP date), between 1 and MAX_PAUSE_S; None
    for any other answer."""
    value = (resp.headers.get("Retry-After") or "").strip()
    if resp.status_code != 202 and (resp.status_code != 503 or not value):
        return None
    seconds = DEFAULT_PAUSE_S
    if value.isascii() and value.isdigit():
        seconds = float(value) if len(value) < 8 else MAX_PAUSE_S
    elif value:
        with contextlib.suppress(TypeError, ValueError, OverflowError):
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
    return min(MAX_PAUSE_S, max(1.0, seconds))


def _stream(
    session: requests.Session,
    url: str,
    out: IO[bytes],
    *,
    max_bytes: int,
    timeout_s: float,
    wait_s: float = DEFAULT_WAIT_S,
    notice: Callable[[str], None] | None = None,
) -> str | None:
    """Write the body at ``url`` to ``out``, resuming after a dropped connection
    (Range, If-Range on the ETag) and waiting while the server builds the
    record (for at most ``wait_s`` seconds; ``notice`` is told once); returns
    the ETag."""
    etag: str | None = None
    failures = 0
    deadline = time.monotonic() + wait_s
    told = False
    while True:
        step = _fetch(session, url, out, etag, max_bytes=max_bytes, timeout_s=timeout_s)
        etag = step.etag
        if isinstance(step, _Failed):
            failures += 1
            if failures > RETRIES:
                raise NetworkError(f"GET record: {_describe(step.error)}") from None
            time.sleep(0.5 * 2 ** (failures - 1))
        elif isinstance(step, _Building):
            left = deadline - time.monotonic()
            if left <= 0:
                raise NetworkError(
                    f"the server was still building the record after {wait_s:.0f} s (--wait)"
                )
            if not told and notice is not None:
                notice(
                    "the server is building the record; waiting for it "
                    f"(at most {wait_s:.0f} s, --wait)"
                )
                told = True
            time.sleep(min(step.seconds, left))
        else:
            return etag


@dataclass(frozen=True)
class _Done:
    etag: str | None


@dataclass(frozen=True)
class _Building:
    etag: str | None
    seconds: float


@dataclass(frozen=True)
class _Failed:
    etag: str | None
    error: requests.RequestException


def _fetch(
    session: requests.Session,
    url: str,
    out: IO[bytes],
    etag: str | None,
    *,
    max_bytes: int,
    timeout_s: float,
) -> _Done | _Building | _Failed:
    """One GET of the record into ``out`` (from where it stopped, if the ETag
    allows): done, the server still building, or the connection failed."""
    written = out.tell()
    headers = {"User-Agent": USER_AGENT, "Accept": "application/zip, application/json"}
    if written and etag:
        headers |= {"Range": f"bytes={written}-", "If-Range": etag}
    try:
        with session.get(
            url, headers=headers, stream=True, timeout=(5.0, timeout_s), allow_redirects=False
        ) as resp:
            pause = _pause(resp)
            if pause is not None:
                return _Building(etag, pause)
            if resp.status_code == 206 and written:
                pass  # resumed where it stopped
            elif resp.status_code == 200:
                out.seek(0)
                out.truncate()
            else:
                raise _error(resp, "GET record")
            if resp.headers.get("Content-Type", "").split(";")[0] != "application/zip":
                raise BadReply("the server did not answer with a zip archive")
            etag = resp.headers.get("ETag", etag)
            length = resp.headers.get("Content-Length")
            if length is not None and length.isdigit() and out.tell() + int(length) > max_bytes:
                raise BadReply(f"the record is larger than {max_bytes} bytes (--max-bytes)")
            for chunk in resp.iter_content(CHUNK):
                if out.tell() + len(chunk) > max_bytes:
                    raise BadReply(f"the record is larger than {max_bytes} bytes (--max-bytes)")
                out.write(chunk)
        return _Done(etag)
    except requests.RequestException as exc:
        return _Failed(etag, exc)


def _describe(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.Timeout):
        return "no answer in time"
    if isinstance(exc, requests.ConnectionError):
        return "cannot connect to the server"
    return type(exc).__name__


def _check(tmp: Path, election_id: str, etag: str | None) -> RecordIndex:
    """The archive opens as a record of ``election_id`` whose index is the one
    the ETag names; raises BadReply otherwise."""
    try:
        with tmp.open("rb") as f, archive.RecordArchive(f) as record:
            index = record.index
    except (KiemphieuCryptoError, OSError, zipfile.BadZipFile) as exc:
        raise BadReply(f"the download is not an election record: {exc}") from None
    if index.election_id != election_id:
        raise BadReply(f"asked for election {election_id!r}, got {index.election_id!r}")
    if etag is not None:
        with zipfile.ZipFile(tmp) as zf:
            digest = hashlib.sha256(zf.read(archive.INDEX)).hexdigest()
        if etag.strip('"') != digest:
            raise BadReply("the record's index is not the one the server announced (ETag)")
    return index


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _place(tmp: Path, target: Path, *, force: bool) -> None:
    """Move ``tmp`` to ``target``; without ``force`` never over an existing file."""
    if force:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # fails if the target exists, atomically
    except FileExistsError:
        raise LocalError(f"{target} exists; give --force to replace it") from None
    tmp.unlink()


def download_record(
    server: str,
    election_id: str,
    target: Path,
    *,
    force: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    wait_s: float = DEFAULT_WAIT_S,
    notice: Callable[[str], None] | None = None,
) -> Downloaded:
    """Download the record of ``election_id`` from ``server`` into ``target``,
    waiting up to ``wait_s`` seconds while the server builds it (``notice``
    is told once)."""
    try:
        base = check_base_url(server)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if target.exists() and not force:
        raise LocalError(f"{target} exists; give --force to replace it")
    folder = target.parent
    if not folder.is_dir():
        raise LocalError(f"the folder {folder} does not exist")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise LocalError(f"cannot write in {folder}: {exc.strerror}") from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w+b") as out, requests.Session() as session:
            etag = _stream(
                session,
                base + api_path("elections", election_id, "record"),
                out,
                max_bytes=max_bytes,
                timeout_s=timeout_s,
                wait_s=wait_s,
                notice=notice,
            )
        index = _check(tmp, election_id, etag)
        digest = _sha256(tmp)
        size = tmp.stat().st_size
        _place(tmp, target, force=force)
    except OSError as exc:
        raise LocalError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return Downloaded(target, digest, size, index)


def run_download(args: argparse.Namespace) -> int:
    out: Path = args.out if args.out is not None else Path(f"{args.election}-record.zip")
    if args.max_bytes < 1:
        raise UsageError("--max-bytes must be positive")
    if not args.wait >= 0:
        raise UsageError("--wait must be zero or more seconds")
    if not args.timeout > 0:
        raise UsageError("--timeout must be positive")
    got = download_record(
        args.server,
        args.election,
        out,
        force=args.force,
        max_bytes=args.max_bytes,
        timeout_s=args.timeout,
        wait_s=args.wait,
        notice=_tell,
    )
    index = got.index
    print(f"Record of election {index.election_id} ({index.state.value}) saved to {got.path}")
    print(f"  {got.size} bytes, SHA-256 {got.sha256}")
    print(f"  board: {index.board_size} entries, head {index.board_head.hex()}")
    print(f"  signed by the server's receipt key {index.receipt_key.hex()}")
    print(f"  check it with: kiemphieu verify {got.path} --server-key KEY_YOU_TRUST")
    return 0


def _tell(message: str) -> None:
    print(f"kiemphieu: {message}", file=sys.stderr, flush=True)


def register(verbs: Any) -> None:
    """Add ``record`` and its sub-verbs to the CLI."""
    parser = verbs.add_parser("record", help="download an election's public record")
    sub = parser.add_subparsers(dest="record_verb", metavar="ACTION", required=True)
    text = "download the record of a closed election (a zip; docs/record.md)"
    p = sub.add_parser("download", help=text, description=text)
    p.add_argument("--server", required=True, metavar="URL", help="the server's URL")
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"how long to wait for the next bytes (default {DEFAULT_TIMEOUT_S:.0f})",
    )
    p.add_argument(
        "--wait",
        type=float,
        default=DEFAULT_WAIT_S,
        metavar="SECONDS",
        help="how long in all to wait while the server builds the record "
        f"(default {DEFAULT_WAIT_S:.0f})",
    )
    p.add_argument("--election", required=True, metavar="ID", help="the election id")
    p.add_argument(
        "--out", type=Path, metavar="FILE", help="where to save it (default ID-record.zip)"
    )
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    p.add_argument(
        "--max-bytes",
        type=int,
        default=DEFAULT_MAX_BYTES,
        metavar="N",
        help=f"refuse a record larger than N bytes (default {DEFAULT_MAX_BYTES})",
    )
    p.set_defaults(handler=guarded(run_download))
