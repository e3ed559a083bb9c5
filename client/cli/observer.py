"""``kiemphieu verify RECORD|URL``: an observer verifies an election record
(docs/cli.md, docs/record.md "Verification", docs/spec.md §11).

The verification is :func:`kiemphieu.crypto.record.verify.verify_record`;
this module only opens the file (or downloads the URL to a temporary file,
with a size cap), shows each check with its items passed and failed, draws a
progress bar when stderr is a terminal, and picks the exit code:

With ``--receipt FILE`` (repeatable) each voter's saved receipt is looked up
on the record's board: found at its position under its head, and counted or
superseded by a later ballot of the same credential; a receipt whose ballot
is missing fails the check ``voter-receipts`` with a message the voter can
show the committee.

* 0: every check that applies ran and passed;
* 5: the record fails verification (the failing checks are named);
* 1: the file cannot be read or is not an election record;
* 3 / 4: the server refused the download / could not be reached;
* 2: bad options.

Production verification refuses the test suite's small moduli; only
``--allow-test-keys`` (for test records, never a real election) admits them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TextIO
from urllib.parse import urlsplit

import requests

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.board import Receipt
from kiemphieu.crypto.errors import DecodeError, KiemphieuCryptoError, ParameterError, RecordError
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.record.archive import RecordArchive
from kiemphieu.crypto.record.receipts import GivenReceipt
from kiemphieu.crypto.record.report import Status, VerificationReport
from kiemphieu.crypto.record.verify import verify_record

from .connection import ExitCode, LocalError, UsageError, guarded
from .http import NetworkError, ServerError

MIB = 1 << 20
DEFAULT_MAX_DOWNLOAD_MIB = 64 * 1024
CHUNK = 1 * MIB


def register(verbs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = verbs.add_parser(
        "verify",
        help="verify an election record (a file or an http(s) URL); observers' command",
        description=(
            "Check every step of an election record: integrity, the key ceremony, "
            "the committee, the board's chain, receipts and ballots, the counted set, "
            "the tally, the trustees' shares, the combination, the counts and the result."
        ),
    )
    p.add_argument("record", metavar="RECORD|URL", help="the record's file, or its http(s) URL")
    p.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    p.add_argument(
        "--workers", type=int, default=1, metavar="N", help="check ballots in N processes"
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="check ballots on an existing Dask cluster (scheduler address, e.g. "
        "tcp://10.0.0.5:8786; needs the 'dask' extra)",
    )
    p.add_argument(
        "--server-key",
        metavar="HEX",
        help="the server's receipt key as you know it (from your receipt, GET /api/server "
        "or the minutes): the record must be signed by it",
    )
    p.add_argument(
        "--receipt",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="a voter's saved receipt (JSON) to find on the board; repeatable",
    )
    p.add_argument(
        "--allow-test-keys",
        action="store_true",
        help="TEST RECORDS ONLY: accept the test suite's small moduli; a real "
        "election's record never needs this",
    )
    p.add_argument(
        "--max-download",
        type=int,
        default=DEFAULT_MAX_DOWNLOAD_MIB,
        metavar="MIB",
        help=f"largest record downloaded from a URL (default {DEFAULT_MAX_DOWNLOAD_MIB} MiB)",
    )
    p.add_argument(
        "--timeout", type=float, default=60.0, metavar="SECONDS", help="download timeout"
    )
    p.set_defaults(handler=guarded(run))


def download(url: str, limit: int, timeout: float) -> IO[bytes]:
    """``url`` (http or https only) into a temporary file of at most ``limit`` bytes."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise UsageError("a record URL must start with http:// or https://")
    out = tempfile.TemporaryFile()  # noqa: SIM115 - returned open, closed by the caller
    try:
        with requests.get(url, stream=True, timeout=timeout) as reply:
            if reply.status_code == 202:  # the server is building the record
                wait = reply.headers.get("Retry-After", "")
                wait = wait if wait.isascii() and wait.isdigit() and len(wait) < 8 else "a few"
                raise ServerError(
                    202,
                    "record-building",
                    f"the server is still building the record; try again in {wait} s "
                    "(kiemphieu record download waits for it)",
                )
            if reply.status_code != 200:
                raise ServerError(
                    reply.status_code, "download", f"HTTP {reply.status_code} for {url}"
                )
            size = 0
            for chunk in reply.iter_content(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise LocalError(f"the record is larger than {limit // MIB} MiB")
                out.write(chunk)
    except requests.RequestException as exc:
        out.close()
        raise NetworkError(f"cannot download {url}: {type(exc).__name__}") from None
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def open_record(source: str, limit: int, timeout: float) -> IO[bytes]:
    if "://" in source:
        return download(source, limit, timeout)
    try:
        return Path(source).open("rb")
    except OSError as exc:
        raise LocalError(f"cannot read {source}: {exc.strerror}") from None


class ProgressBar:
    """A one-line bar on a terminal, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.last = 0.0
        self.drawn = False

    def __call__(self, phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and done < total:
            return
        self.last = now
        width = 30
        filled = width * done // total if total else width
        pct = 100 * done // total if total else 100
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r{phase:<8} [{bar}] {done}/{total} ({pct}%)")
        self.stream.flush()
        self.drawn = True

    def end(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * 72 + "\r")
            self.stream.flush()


def render(report: VerificationReport, out: TextIO) -> None:
    """Each check with its counts, then which ran and which failed."""
    print(f"Election record of {report.election_id} ({report.state})", file=out)
    marks = {Status.PASSED: "PASS", Status.FAILED: "FAIL", Status.SKIPPED: "SKIP"}
    for c in report.checks:
        counts = f"{c.passed:>8} passed {c.failed:>6} failed"
        print(f"  {marks[c.status]}  {c.id:<18}{counts}   {c.title}", file=out)
        for message in c.failures:
            print(f"          - {message}", file=out)
        if c.skipped is not None:
            print(f"          not run: {c.skipped}", file=out)
    ran = [c.id for c in report.checks if c.ran]
    print(f"Checks run: {len(ran)} of {len(report.checks)}.", file=out)
    if report.ok:
        print("The record verifies: every check that applies passed.", file=out)
    elif report.failed:
        print(f"The record FAILS: {', '.join(c.id for c in report.failed)}.", file=out)
    else:
        print("The record does NOT verify: checks that apply could not run.", file=out)


def read_receipts(paths: list[Path]) -> list[GivenReceipt]:
    """The receipts given with --receipt, each decoded strictly (LocalError naming the file)."""
    out = []
    for path in paths:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise LocalError(f"cannot read {path}: {exc.strerror}") from None
        try:
            out.append(GivenReceipt(path.name, codec.loads(Receipt, raw.strip())))
        except DecodeError as exc:
            raise LocalError(f"{path} is not a receipt: {exc}") from None
    return out


def render_receipts(report: VerificationReport, out: TextIO) -> None:
    """One line per receipt given: what the record says of it."""
    if not report.receipts:
        return
    print("Receipts:", file=out)
    for o in report.receipts:
        mark = "OK  " if o.ok else "FAIL"
        print(f"  {mark}  {o.label}: {o.status.value}, {o.detail}", file=out)
        if not o.ok:
            print(
                f"          tracking code {o.tracking_code.hex()}: show this receipt and this "
                "line to the counting committee",
                file=out,
            )


def _server_key(text: str | None) -> bytes | None:
    if text is None:
        return None
    if not re.fullmatch(r"[0-9a-fA-F]{64}", text):
        raise UsageError("--server-key takes the 32-byte key as 64 hex digits")
    return bytes.fromhex(text)


def run(args: argparse.Namespace, *, stderr: TextIO | None = None) -> int:
    err = stderr if stderr is not None else sys.stderr
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.max_download < 1:
        raise UsageError("--max-download must be at least 1 MiB")
    policy = KeyPolicy.TESTING if args.allow_test_keys else KeyPolicy.STANDARD
    expected = _server_key(args.server_key)
    receipts = read_receipts(args.receipt)
    bar = ProgressBar(err) if err.isatty() and not args.json else None
    progress: Callable[[str, int, int], None] | None = bar
    with open_record(args.record, args.max_download * MIB, args.timeout) as stream:
        try:
            archive = RecordArchive(stream)
        except (RecordError, KiemphieuCryptoError) as exc:
            raise LocalError(f"{args.record} is not an election record: {exc}") from None
        with archive:
            index = archive.index
            try:
                report = verify_record(
                    archive,
                    policy,
                    workers=args.workers,
                    dask=args.dask,
                    progress=progress,
                    receipt_key=expected,
                    receipts=receipts,
                )
            except ParameterError as exc:
                raise UsageError(str(exc)) from None
            except OSError as exc:
                raise LocalError(f"cannot read {args.record}: {exc}") from None
            finally:
                if bar is not None:
                    bar.end()
    if args.json:
        json.dump(report.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        render(report, sys.stdout)
        render_receipts(report, sys.stdout)
        print(f"Election fingerprint (H_E): {index.election.hex()}")
        print(f"Signed by the server key:   {index.receipt_key.hex()}")
    if report.ok:
        return int(ExitCode.OK)
    names = ", ".join(c.id for c in report.failed) or "checks that could not run"
    print(f"kiemphieu: the record fails verification: {names}", file=err)
    parameters = report.check("parameters")
    if not args.allow_test_keys and any("policy" in m for m in parameters.failures):
        print(
            "kiemphieu: its modulus is refused under the standard policy; a record of a "
            "test election (small test keys) is checked with --allow-test-keys",
            file=err,
        )
    return int(ExitCode.VERIFICATION)
