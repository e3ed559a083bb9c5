"""The close of the poll, as the counting committee pins it (docs/spec.md §8.13).

At the close the chair reads aloud, from ``kiemphieu admin close``, the
board's head, its size, the number of ballots and the roll hash
(:func:`show_close`). Each trustee recomputes the board on its own machine
and signs those values (``kiemphieu trustee attest``); a trustee decrypts
only a board it recomputed whose head at least t attestations name, or the
head read aloud in the room (``--head``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.attestation import (
    BoardClose,
    CloseAttestation,
    agreeing,
    attest,
)
from kiemphieu.crypto.election.board import EntryKind
from kiemphieu.crypto.election.committee import Trustee
from kiemphieu.crypto.errors import DecodeError

from .connection import UsageError
from .http import ApiClient, BadReply, api_path
from .recount import Board, Mismatch

_HEX = re.compile(r"[0-9a-f]{64}")


def groups(value: bytes) -> str:
    """64 hex digits in 16 groups of four, two lines of eight, for reading aloud."""
    text = value.hex()
    quads = [text[i : i + 4] for i in range(0, len(text), 4)]
    return " ".join(quads[:8]) + "\n" + " ".join(quads[8:])


def show_close(close: BoardClose) -> str:
    """What the chair reads aloud at the close, large enough for a room."""
    rule = "=" * 47
    return (
        f"{rule}\n"
        "ĐỌC TO TRONG PHÒNG HỌP / READ ALOUD IN THE ROOM\n"
        f"{rule}\n"
        f"Số mục trên bảng / board entries : {close.board_size}\n"
        f"Số lá phiếu / ballots            : {close.ballots}\n"
        "Mã đầu chuỗi / board head:\n"
        f"  {groups(close.head).replace(chr(10), chr(10) + '  ')}\n"
        "Mã danh sách cử tri / roll hash:\n"
        f"  {groups(close.roll_hash).replace(chr(10), chr(10) + '  ')}\n"
        f"{rule}"
    )


def parse_head(text: str) -> bytes:
    """A head typed as read aloud: 64 hex digits, spaces and hyphens ignored."""
    clean = re.sub(r"[\s\-]", "", text).lower()
    if _HEX.fullmatch(clean) is None:
        raise UsageError("--head: give the 64 hexadecimal digits of the head read aloud")
    return bytes.fromhex(clean)


def close_of(board: Board) -> BoardClose:
    """The close values of a downloaded board whose chain was checked."""
    entries = board.entries
    ballots = sum(1 for e in entries if e.kind is EntryKind.BALLOT)
    return BoardClose(len(entries), ballots, entries[0].payload_hash, entries[-1].head)


def fetch_attestations(client: ApiClient, election_id: str) -> list[CloseAttestation]:
    """The attestations the server lists (each is checked by the caller)."""
    items = client.get(api_path("elections", election_id, "attestations")).get("attestations")
    if not isinstance(items, list):
        raise BadReply("the attestation list is not a list")
    try:
        return [codec.from_wire(CloseAttestation, item) for item in items]
    except DecodeError as exc:
        raise BadReply(f"the attestation list: {exc}") from None


def pinned(
    docs: Sequence[CloseAttestation],
    members: Sequence[Trustee],
    election_hash: bytes,
    *,
    close: BoardClose,
    threshold: int,
    head: bytes | None,
) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Whether the board recomputed here is pinned: at least ``threshold`` valid
    attestations name exactly ``close``, or ``head`` (read aloud) is its head.
    Returns the agreeing trustees and the problems seen; raises Mismatch
    naming what is missing."""
    good, problems = agreeing(docs, members, election_hash, close)
    if head is not None:
        if head != close.head:
            raise Mismatch(
                "the head read aloud is not the head of the board recomputed here: "
                "this server shows you another board than the room's"
            )
        return good, problems
    if len(good) < threshold:
        raise Mismatch(
            f"only {len(good)} of the t = {threshold} trustees needed attested the board "
            "recomputed here; wait for the others (kiemphieu trustee attest) or give the "
            "head read aloud in the room with --head"
        )
    return good, problems


def post_attestation(
    client: ApiClient,
    election_id: str,
    identity_seed: bytes,
    *,
    election_hash: bytes,
    index: int,
    close: BoardClose,
) -> dict[str, Any]:
    """Sign ``close`` as trustee ``index`` and post it (the same again is fine)."""
    doc = attest(identity_seed, election_hash, index, close)
    path = api_path("trustee", "elections", election_id, "attestations")
    return client.post(path, codec.dumps(doc), idempotent=True)
