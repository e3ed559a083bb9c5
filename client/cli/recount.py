"""A trustee's own recount of the board, before any decryption (docs/spec.md §8.7, §8.9, §11).

Trustees never decrypt a ciphertext the server merely asserts. Before making
tally shares, ``kiemphieu trustee decrypt`` downloads the whole board and:

1. recomputes the hash chain from the genesis over every entry, up to the
   head the server announces (:func:`~kiemphieu.crypto.election.board.verify_chain`);
2. checks the board's shape: ``roll`` (its payload hash = the roll hash of the
   public credential list), ``open`` (payload H_E), ballots, ``close`` (payload H_E);
3. checks every ballot entry's payload hash is the tracking code of its ballot
   and every ballot's credential is on the roll;
4. verifies every ballot (batched, §10.1);
5. picks the counted ballots by the revote rule (the last of each credential
   for ``last-counts``, the only one for ``refuse``);
6. accumulates and packs the tally (§8.7.1–8.7.2).

:func:`compare` then refuses (raising :class:`Mismatch`, exit code 5) unless
the server's counted positions, encrypted tally and packed ciphertexts are
exactly the ones recomputed here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.ballot import Ballot, VerifiedBallot, tracking_code, verify_ballots
from kiemphieu.crypto.election.board import BoardEntry, EntryKind, roll_hash, verify_chain
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.rules import Revote
from kiemphieu.crypto.election.tally import EncryptedTally, accumulate, pack
from kiemphieu.crypto.errors import DecodeError, KiemphieuCryptoError

from .http import ApiClient, BadReply, api_path
from .voter import Election

PAGE_SIZE = 500  # the server's default maximum page


class Mismatch(BadReply):
    """The server's board or tally disagrees with what was recomputed here."""


@dataclass(frozen=True)
class Board:
    """The whole board as downloaded: entries in order, ballots by position."""

    entries: tuple[BoardEntry, ...]
    ballots: Mapping[int, Any]


@dataclass(frozen=True)
class Recount:
    """What the board gives when recomputed here."""

    ballots_on_board: int
    counted: tuple[int, ...]
    tally: EncryptedTally
    packed: tuple[int, ...]


def download_board(client: ApiClient, election_id: str) -> Board:
    """Every entry of the board, page by page; BadReply if the pages do not fit together."""
    entries: list[BoardEntry] = []
    ballots: dict[int, Any] = {}
    size: int | None = None
    while size is None or len(entries) < size:
        start = len(entries)
        path = f"{api_path('elections', election_id, 'board')}?start={start}&limit={PAGE_SIZE}"
        page = client.get(path)
        announced = page.get("board_size")
        items = page.get("entries")
        if not isinstance(announced, int) or not isinstance(items, list):
            raise BadReply("a board page without board_size or entries")
        if size is None:
            size = announced
        elif announced != size:
            raise BadReply(f"the board grew from {size} to {announced} entries while closed")
        if not items and start < size:
            raise BadReply(f"the board announces {size} entries but stops at {start}")
        for item in items[: size - start]:
            try:
                entry = codec.from_wire(BoardEntry, item.get("entry"))
            except (DecodeError, AttributeError) as exc:
                raise BadReply(f"board entry {len(entries)}: {exc}") from None
            if entry.position != len(entries):
                raise BadReply(f"board entry {len(entries)} comes as position {entry.position}")
            if item.get("ballot") is not None:
                ballots[entry.position] = item["ballot"]
            entries.append(entry)
    return Board(tuple(entries), ballots)


def check_board(
    ctx: ElectionContext, board: Board, roll: frozenset[bytes], head: str | None
) -> list[tuple[int, Ballot]]:
    """Steps 1–3: the chain, the board's shape, tracking codes and the roll.
    Returns the ballots in board order with their positions; raises Mismatch."""
    try:
        final = verify_chain(ctx.hash, board.entries)
    except KiemphieuCryptoError as exc:
        raise Mismatch(f"the board's hash chain: {exc}") from None
    if head is None or final.hex() != head:
        raise Mismatch("the board's last head is not the head the server announces")
    entries = board.entries
    kinds = [e.kind for e in entries]
    if len(entries) < 3 or kinds[:2] != [EntryKind.ROLL, EntryKind.OPEN]:
        raise Mismatch("the board does not start with the roll and the opening")
    if kinds[-1] is not EntryKind.CLOSE or EntryKind.CLOSE in kinds[:-1]:
        raise Mismatch("the board does not end with the one closing entry")
    if any(k is not EntryKind.BALLOT for k in kinds[2:-1]):
        raise Mismatch("the board holds something else than ballots between opening and close")
    if entries[0].payload_hash != roll_hash(roll):
        raise Mismatch("the roll on the board is not the public credential list")
    if entries[1].payload_hash != ctx.hash or entries[-1].payload_hash != ctx.hash:
        raise Mismatch("the opening or closing entry is not bound to this election")
    out: list[tuple[int, Ballot]] = []
    for entry in entries[2:-1]:
        raw = board.ballots.get(entry.position)
        try:
            ballot = codec.from_wire(Ballot, raw)
        except DecodeError as exc:
            raise Mismatch(f"board entry {entry.position}: the ballot: {exc}") from None
        if tracking_code(ballot) != entry.payload_hash:
            raise Mismatch(f"board entry {entry.position}: the ballot is not the one chained")
        if ballot.credential not in roll:
            raise Mismatch(f"board entry {entry.position}: the credential is not on the roll")
        out.append((entry.position, ballot))
    return out


def verify_board(election: Election, board: Board, roll: frozenset[bytes]) -> Recount:
    """Steps 1–6 for a downloaded board: check it, verify it, recount it."""
    ctx = election.context
    head = election.info.get("board_head")
    ballots = check_board(ctx, board, roll, head if isinstance(head, str) else None)
    rules = ctx.manifest.rules
    return recount(ctx, ballots, rules.revote if rules is not None else Revote.LAST_COUNTS)


def counted_positions(ballots: Sequence[tuple[int, Ballot]], revote: Revote) -> tuple[int, ...]:
    """Step 5: the positions of the counted ballots, in board order. Under
    ``refuse`` a second ballot of one credential is a board fault (Mismatch)."""
    chosen: dict[bytes, int] = {}
    for position, ballot in ballots:
        if ballot.credential in chosen and revote is Revote.REFUSE:
            raise Mismatch(f"board entry {position}: a second ballot of one credential (refuse)")
        chosen[ballot.credential] = position
    return tuple(sorted(chosen.values()))


def recount(ctx: ElectionContext, ballots: Sequence[tuple[int, Ballot]], revote: Revote) -> Recount:
    """Steps 4–6: every ballot verified (batched), the counted set, the tally and its packing."""
    outcomes = verify_ballots(ctx, [b for _, b in ballots])
    verified: dict[int, VerifiedBallot] = {}
    bad = []
    for (position, _), outcome in zip(ballots, outcomes, strict=True):
        if isinstance(outcome, VerifiedBallot):
            verified[position] = outcome
        else:
            bad.append(position)
    if bad:
        raise Mismatch(f"ballots at board positions {bad} do not verify")
    counted = counted_positions(ballots, revote)
    try:
        tally = accumulate(ctx, [verified[p] for p in counted])
        packed = pack(ctx, tally)
    except KiemphieuCryptoError as exc:
        raise Mismatch(f"the tally: {exc}") from None
    return Recount(len(ballots), counted, tally, packed)


def packed_ciphertexts(values: Any) -> tuple[int, ...]:
    """The ``packed`` field of GET /tally: hex strings → integers."""
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise BadReply("the server's packed tally is not a list of hex strings")
    try:
        return tuple(int(v, 16) for v in values)
    except ValueError:
        raise BadReply("the server's packed tally is not hex") from None


def compare(mine: Recount, answer: Mapping[str, Any]) -> None:
    """Refuse (Mismatch) unless the server's GET /tally answer equals the recount."""
    try:
        theirs = codec.from_wire(EncryptedTally, answer.get("tally"))
    except DecodeError as exc:
        raise BadReply(f"the server's encrypted tally: {exc}") from None
    counted = answer.get("counted")
    if not isinstance(counted, list) or tuple(counted) != mine.counted:
        missing = sorted(set(mine.counted) - set(counted or []))
        extra = sorted(set(counted or []) - set(mine.counted))
        raise Mismatch(
            "the server counts other ballots than the board gives "
            f"(not counted by the server: {missing}; counted but should not be: {extra})"
        )
    if theirs != mine.tally:
        raise Mismatch(
            "the server's encrypted tally differs from the one recomputed from the board"
        )
    if packed_ciphertexts(answer.get("packed")) != mine.packed:
        raise Mismatch("the server's packed ciphertexts differ from the packing recomputed here")
