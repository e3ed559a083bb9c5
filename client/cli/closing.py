"""The close of the poll, as the counting committee pins it (docs/spec.md §8.13).

At the close the chair reads aloud, from ``kiemphieu admin close``, the
board's head, its size, the number of ballots and the roll hash
(:func:`show_close`). Each trustee recomputes the board on its own machine
and signs those values (:func:`attest`, ``kiemphieu trustee attest``); a
trustee decrypts only a board it recomputed whose head at least t
attestations name, or the head read aloud in the room (:func:`pinned`,
``--head``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.attestation import (
    BoardClose,
    CloseAttestation,
    agreeing,
)
from kiemphieu.crypto.election.attestation import attest as sign_close
from kiemphieu.crypto.election.board import EntryKind
from kiemphieu.crypto.election.committee import Trustee
from kiemphieu.crypto.errors import DecodeError
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from . import recount as rc
from .connection import NotReady, UsageError
from .http import ApiClient, BadReply, api_path
from .keystore import TrusteeKeys
from .recount import Board, Mismatch
from .roll import fetch_signed_roll
from .voter import Election, fetch_election

Say = Callable[[str], None]

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
    doc = sign_close(identity_seed, election_hash, index, close)
    path = api_path("trustee", "elections", election_id, "attestations")
    return client.post(path, codec.dumps(doc), idempotent=True)


def member_of(election: Election, keys: TrusteeKeys) -> Trustee:
    """This trustee in the key ceremony's committee (which H_E binds), by identity key."""
    for member in election.context.ceremony.committee.trustees:
        if member.identity_key == keys.identity_public:
            return member
    raise BadReply("the election's key ceremony has no member with this identity key")


def recount_board(
    client: ApiClient, election: Election, say: Say
) -> tuple[rc.Board, rc.Recount, BoardClose]:
    """Download the board and the signed roll, check them and recount the tally."""
    ctx = election.context
    board = rc.download_board(client, ctx.election_id)
    roll, _ = fetch_signed_roll(client, ctx.election_id, ctx.ceremony.committee.registrar, ctx.hash)
    say(
        f"  ok  downloaded {len(board.entries)} board entries and the roll of {len(roll)} "
        "credentials the registrar signed"
    )
    mine = rc.verify_board(election, board, roll)
    say(f"  ok  chain, roll and {mine.ballots_on_board} ballots verified")
    return board, mine, close_of(board)


def attest(
    client: ApiClient,
    election_id: str,
    keys: TrusteeKeys,
    policy: KeyPolicy,
    head: bytes | None,
    *,
    confirm: Callable[[str], bool] | None = None,
    say: Say = print,
) -> BoardClose:
    """Recount the closed board here and sign its close values as this trustee.

    ``head``: the head read aloud in the room, which must be the recomputed
    one; without it ``confirm`` is shown the values and must answer yes."""
    election = fetch_election(client, election_id, policy)
    if election.state not in ("closed", "tallied", "published"):
        raise NotReady(f"the poll is {election.state}; trustees attest after the close")
    record = member_of(election, keys)
    say(f"trustee {record.index} ({record.name}), election {election_id}")
    _, _, close = recount_board(client, election, say)
    say(show_close(close))
    if head is not None:
        if head != close.head:
            raise rc.Mismatch(
                "the head read aloud is not the head of the board recomputed here: "
                "this server shows you another board than the room's; nothing was signed"
            )
        say("  ok  the head read aloud is the head recomputed here")
    elif confirm is None or not confirm("Is this the head read aloud in the room?"):
        raise UsageError("not confirmed: give the head read aloud with --head; nothing signed")
    ctx = election.context
    post_attestation(
        client,
        election_id,
        keys.identity_seed,
        election_hash=ctx.hash,
        index=record.index,
        close=close,
    )
    say("  ok  close attestation signed and posted")
    return close
