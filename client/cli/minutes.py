"""``kiemphieu minutes``: the counting minutes (biên bản kiểm phiếu) as an A4 PDF.

The minutes (domain.md, "The counting minutes") carry the unit, meeting, date,
time and place, the committee, the numbers summoned, present, issued and
returned with the quorum, each question's counts and percentages with their
denominator and flags, and what kiemphieu adds: the election fingerprint (base
hash), the board's size and head hash, the fingerprints of the identity keys
and signatures of the trustees who decrypted, a QR code of the public record,
and a signature line for every committee member. The layout is in
:mod:`.minutes_pdf`, the words in :mod:`.minutes_text`.

What is printed is checked first, so a server cannot get a wrong figure onto
paper unnoticed: the base hash is recomputed from the manifest and the key
ceremony, whose committee (each name and role signed by its member) is the
one printed; the result is recomputed from the counts under the manifest's
rules, and its number issued is the size of the roll the registrar signed;
every tally-share document's signature is checked under its trustee's
identity key; and the close attestations are checked and must name the board
printed and the signed roll's hash, at least t of them. The share proofs and
the decryption itself are not re-checked here (``kiemphieu verify`` does).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from reportlab.platypus.doctemplate import LayoutError

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.attestation import BoardClose, CloseAttestation, agreeing
from kiemphieu.crypto.election.ceremony import KeyCeremony
from kiemphieu.crypto.election.committee import check_committee_shape, verify_card_signature
from kiemphieu.crypto.election.context import base_hash
from kiemphieu.crypto.election.credential import verify_signature
from kiemphieu.crypto.election.manifest import Manifest
from kiemphieu.crypto.election.result import ElectionResult, compute_result
from kiemphieu.crypto.election.tally import TallyCounts
from kiemphieu.crypto.election.trustee import SharePurpose, TrusteeShares, shares_message
from kiemphieu.crypto.errors import KiemphieuCryptoError

from . import minutes_text as tx
from .connection import (
    ExitCode,
    LocalError,
    UsageError,
    add_server_argument,
    client_for,
    fail,
    guarded,
    warn,
)
from .fonts import load_fonts, missing_glyphs
from .http import ApiClient, BadReply, api_path, read_hex32
from .minutes_pdf import MinutesData, render_minutes
from .private_files import install_file
from .roll import fetch_signed_roll

__all__ = ["MinutesData", "NotTallied", "fetch_minutes_data", "register", "render_minutes"]

T = TypeVar("T")
COUNTED_STATES = ("tallied", "published")


class NotTallied(Exception):
    """The election has no decrypted result yet; exit code 3."""


# --- gathering the data from the API ------------------------------------------


def _decode(cls: type[T], value: object, what: str) -> T:
    try:
        return codec.from_wire(cls, value)
    except KiemphieuCryptoError as exc:
        raise BadReply(f"{what}: {exc}") from None


def fetch_minutes_data(
    client: ApiClient, election_id: str, *, now: datetime | None = None
) -> MinutesData:
    """Read the election, its result, trustees and shares; check them; raise
    NotTallied before the tally is decrypted, BadReply if anything fails a check."""
    info = client.get(api_path("elections", election_id))
    manifest = _decode(Manifest, info.get("manifest"), "the manifest")
    if manifest.election_id != election_id:
        raise BadReply(f"asked for election {election_id!r}, got {manifest.election_id!r}")
    state = info.get("state")
    if state not in COUNTED_STATES:
        raise NotTallied(
            f"election {election_id} is {state}: the minutes are made once the committee "
            "has decrypted the tally"
        )
    if manifest.rules is None:
        raise BadReply("the manifest has no rules, so it has no result")
    ceremony = _decode(KeyCeremony, info.get("key_ceremony"), "the key ceremony")
    fingerprint = base_hash(manifest, ceremony)
    if read_hex32(info.get("base_hash"), "the base hash") != fingerprint:
        raise BadReply("the server's base hash is not the one of its manifest and key ceremony")
    try:
        check_committee_shape(ceremony.committee.trustees, ceremony.key.l)
        for member in ceremony.committee.trustees:
            verify_card_signature(member)
    except KiemphieuCryptoError as exc:
        raise BadReply(f"the committee: {exc}") from None
    size = info.get("board_size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise BadReply("the board size is not a count")
    raw_head = info.get("board_head")
    head = None if raw_head is None else read_hex32(raw_head, "the board head")

    reply = client.get(api_path("elections", election_id, "result"))
    result = _decode(ElectionResult, reply.get("result"), "the result")
    counts = _decode(TallyCounts, reply.get("counts"), "the counts")
    if result.election != fingerprint or counts.election != fingerprint:
        raise BadReply("the result is bound to another election")
    try:
        again = compute_result(manifest, counts, issued=result.issued, present=result.present)
    except KiemphieuCryptoError as exc:
        raise BadReply(f"the counts do not give a result: {exc}") from None
    if again != result:
        raise BadReply("the result does not follow from the counts under the manifest's rules")
    roll, signed_roll = fetch_signed_roll(
        client, election_id, ceremony.committee.registrar, fingerprint
    )
    if result.issued != len(roll):
        raise BadReply(
            f"the result counts {result.issued} credentials issued; the registrar signed a "
            f"roll of {len(roll)}"
        )

    trustees = ceremony.committee.trustees
    by_index = {t.index: t for t in trustees}
    log = client.get(api_path("elections", election_id, "shares")).get("shares")
    if not isinstance(log, list):
        raise BadReply("the share log is not a list")
    signed: dict[int, TrusteeShares] = {}
    for n, entry in enumerate(log, 1):
        if not isinstance(entry, dict) or entry.get("purpose") != SharePurpose.TALLY.value:
            continue
        if entry.get("valid") is not True:
            continue
        doc = _decode(TrusteeShares, entry.get("shares"), f"share document {n}")
        found = by_index.get(doc.index)
        if found is None or doc.election != fingerprint or doc.purpose is not SharePurpose.TALLY:
            raise BadReply(f"share document {n} is not a tally share of this committee")
        try:
            verify_signature(found.identity_key, shares_message(doc), doc.signature)
        except KiemphieuCryptoError:
            raise BadReply(
                f"trustee {doc.index}'s tally shares: the signature does not verify"
            ) from None
        signed.setdefault(doc.index, doc)
    if len(signed) < manifest.rules.threshold:
        raise BadReply(
            f"{len(signed)} valid tally-share documents, {manifest.rules.threshold} needed"
        )
    attestations = _attestations(
        client,
        election_id,
        trustees,
        election_hash=fingerprint,
        close=(size, signed_roll.roll_hash, head),
    )
    if len(attestations) < manifest.rules.threshold:
        raise BadReply(
            f"{len(attestations)} trustees attested the closed board, "
            f"{manifest.rules.threshold} needed"
        )
    server_key = read_hex32(client.get(api_path("server")).get("receipt_key"), "the receipt key")
    return MinutesData(
        attestations=attestations,
        manifest=manifest,
        result=result,
        counts=counts,
        trustees=trustees,
        tally_shares=tuple(signed[i] for i in sorted(signed)),
        base_hash=fingerprint,
        board_size=size,
        board_head=head,
        server=client.base_url,
        generated_at=now or datetime.now(UTC),
        receipt_key=server_key,
    )


def _attestations(
    client: ApiClient,
    election_id: str,
    trustees: tuple[Any, ...],
    *,
    election_hash: bytes,
    close: tuple[int, bytes, bytes | None],
) -> tuple[CloseAttestation, ...]:
    """The close attestations the server lists, each signed by its trustee and
    naming the board printed: ``close`` is its size, the signed roll's hash and
    its head (BadReply for any other)."""
    items = client.get(api_path("elections", election_id, "attestations")).get("attestations")
    if not isinstance(items, list):
        raise BadReply("the attestation list is not a list")
    docs = [_decode(CloseAttestation, a, f"attestation {i}") for i, a in enumerate(items, 1)]
    if not docs:
        return ()
    size, roll_hash, head = close
    board = BoardClose(size, docs[0].ballots, roll_hash, head or b"")
    good, problems = agreeing(docs, trustees, election_hash, board)
    if problems:
        raise BadReply(f"the close attestations: {problems[0]}")
    return tuple(d for d in docs if d.index in good)


# --- the verb -----------------------------------------------------------------


def _all_text(data: MinutesData, lang: str) -> str:
    m = data.manifest
    parts = [getattr(m.title, lang), *(t.name + t.role for t in data.trustees)]
    if m.meeting is not None:
        parts += [getattr(m.meeting.unit, lang), getattr(m.meeting.name, lang), m.meeting.place]
    for q in m.questions:
        parts += [getattr(c.label, lang) for c in (*q.rows, *q.options)]
    return "".join(parts)


def make_minutes(args: argparse.Namespace) -> int:
    out: Path = args.out
    if out.exists() and not args.force:
        raise UsageError(f"{out} exists; pass --force to replace it")
    folder = out.parent
    if not folder.is_dir():
        raise LocalError(f"no folder {folder} for {out.name}")
    fonts = load_fonts(args.font_dir)  # before the network: a missing font fails early
    client = client_for(args, admin=False)
    try:
        data = fetch_minutes_data(client, args.election)
    except NotTallied as exc:
        return fail(ExitCode.REFUSED, str(exc))
    missing = missing_glyphs(fonts.sans, _all_text(data, args.lang))
    if missing:
        warn(f"the font cannot draw {missing!r}; those characters will show as boxes")
    fd, name = tempfile.mkstemp(dir=folder, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, 0o644)
        render_minutes(data, tmp, args.lang, args.font_dir)
        install_file(tmp, out, force=args.force)
    except FileExistsError:
        raise UsageError(f"{out} exists; pass --force to replace it") from None
    except OSError as exc:
        raise LocalError(f"cannot write {out}: {exc.strerror or exc}") from None
    except LayoutError as exc:  # one table row taller than a page: a huge label
        raise LocalError(f"the minutes cannot be laid out: {exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    print(f"wrote the counting minutes of {data.manifest.election_id} to {out}")
    print(f"fingerprint  {tx.grouped_hex(data.base_hash)}")
    head = tx.grouped_hex(data.board_head) if data.board_head else "-"
    print(f"board        {data.board_size} entries, head {head}")
    return 0


def register(verbs: Any) -> None:
    """Add ``minutes`` to the CLI."""
    p = verbs.add_parser(
        "minutes",
        help="print the counting minutes (biên bản kiểm phiếu) of a counted election as PDF",
        description=(
            "Fetch a counted election's result, committee and signed decryption shares, "
            "check them, and write the counting minutes as an A4 PDF for the committee to "
            "sign: Vietnamese by default, English with --lang en."
        ),
        epilog=(
            "Exit codes: 0 written; 1 font or file problem; 2 usage (the file exists: "
            "--force); 3 refused (no decrypted result yet); 4 network failure; 5 the "
            "server's answer does not verify."
        ),
    )
    add_server_argument(p, required=True)
    p.add_argument("--election", required=True, metavar="ID", help="the election id")
    p.add_argument("--out", required=True, type=Path, metavar="FILE", help="the PDF to write")
    p.add_argument("--lang", choices=tx.LANGUAGES, default="vi", help="language (default vi)")
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.add_argument(
        "--font-dir",
        type=Path,
        metavar="DIR",
        help="folder holding DejaVuSans.ttf and DejaVuSans-Bold.ttf (default: the system's)",
    )
    p.set_defaults(handler=guarded(make_minutes))
