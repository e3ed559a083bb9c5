"""Voters' receipts checked against an election record (docs/record.md §6.3;
docs/spec.md §8.9).

A receipt is the server's signed promise that a ballot with this tracking
code sits at this position of the board, under this head. Given the receipts
voters saved, the verifier says for each whether the record keeps that
promise, and whether the ballot was counted or superseded by a later ballot
of the same credential (``last-counts``). A receipt whose ballot is missing is
a failure of the check ``voter-receipts`` with a message a voter can show the
committee: the server signed for a ballot its record does not hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ..election.board import BoardEntry, EntryKind, Receipt, verify_receipt
from ..errors import KiemphieuCryptoError


class ReceiptStatus(StrEnum):
    COUNTED = "counted"
    SUPERSEDED = "superseded"
    MISSING = "missing"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class ReceiptOutcome:
    """One given receipt: its label (the file it came from), position and
    tracking code, what the record says of it and why."""

    label: str
    position: int
    tracking_code: bytes
    status: ReceiptStatus
    detail: str

    @property
    def ok(self) -> bool:
        return self.status in (ReceiptStatus.COUNTED, ReceiptStatus.SUPERSEDED)


@dataclass(frozen=True, slots=True)
class GivenReceipt:
    """A receipt a voter gave the verifier, and where it came from."""

    label: str
    receipt: Receipt


class ReceiptWatch:
    """Gathers, during the verifier's first pass, the board entries at the
    receipts' positions, the ballots' credentials there and where each
    receipt's tracking code appears."""

    def __init__(self, receipts: Sequence[GivenReceipt]) -> None:
        self.receipts = tuple(receipts)
        self._positions = {g.receipt.position for g in receipts}
        self._codes = {g.receipt.tracking_code for g in receipts}
        self.entries: dict[int, BoardEntry] = {}
        self.credentials: dict[int, bytes] = {}
        self.found_at: dict[bytes, list[int]] = {}

    def see(self, entry: BoardEntry) -> None:
        if entry.position in self._positions:
            self.entries[entry.position] = entry
        if entry.kind is EntryKind.BALLOT and entry.payload_hash in self._codes:
            self.found_at.setdefault(entry.payload_hash, []).append(entry.position)

    def see_ballot(self, position: int, credential: bytes) -> None:
        if position in self._positions:
            self.credentials[position] = credential

    def outcomes(
        self,
        *,
        election: bytes,
        receipt_key: bytes,
        board_size: int,
        counted: Mapping[bytes, int],
        revote: str,
    ) -> tuple[ReceiptOutcome, ...]:
        """Decide every receipt once the first pass is over; ``counted`` maps
        each credential to its counted position."""
        return tuple(
            self._decide(
                g,
                election=election,
                receipt_key=receipt_key,
                board_size=board_size,
                counted=counted,
                revote=revote,
            )
            for g in self.receipts
        )

    def _decide(
        self,
        given: GivenReceipt,
        *,
        election: bytes,
        receipt_key: bytes,
        board_size: int,
        counted: Mapping[bytes, int],
        revote: str,
    ) -> ReceiptOutcome:
        receipt = given.receipt
        pos, code = receipt.position, receipt.tracking_code

        def out(status: ReceiptStatus, detail: str) -> ReceiptOutcome:
            return ReceiptOutcome(given.label, pos, code, status, detail)

        if receipt.election != election:
            return out(ReceiptStatus.INVALID, "the receipt is for another election")
        try:
            verify_receipt(receipt, receipt_key)
        except KiemphieuCryptoError:
            return out(
                ReceiptStatus.INVALID,
                "the receipt is not signed by the server key that signed this record",
            )
        entry = self.entries.get(pos)
        elsewhere = [p for p in self.found_at.get(code, []) if p != pos]
        moved = f"; the tracking code is at position {elsewhere[0]} instead" if elsewhere else ""
        if entry is None:
            return out(
                ReceiptStatus.MISSING,
                f"the server signed this receipt for position {pos}, but the record's board "
                f"has only {board_size} entries{moved}: the ballot is missing",
            )
        if entry.kind is not EntryKind.BALLOT or entry.payload_hash != code:
            there = (
                "another ballot" if entry.kind is EntryKind.BALLOT else f"the {entry.kind} entry"
            )
            return out(
                ReceiptStatus.MISSING,
                f"the server signed this receipt for position {pos}, but the record holds "
                f"{there} there{moved}: the ballot is missing",
            )
        if entry.head != receipt.head:
            return out(
                ReceiptStatus.MISSING,
                f"position {pos} holds the ballot, but under another chain head than the "
                "receipt's: the board was rewritten before this position",
            )
        credential = self.credentials.get(pos)
        chosen = counted.get(credential) if credential is not None else None
        if chosen == pos:
            return out(ReceiptStatus.COUNTED, f"at position {pos}, counted")
        if chosen is not None and chosen > pos and revote == "last-counts":
            return out(
                ReceiptStatus.SUPERSEDED,
                f"at position {pos}, not counted: the same credential voted again at "
                f"position {chosen}, and the last ballot counts (rule last-counts)",
            )
        return out(
            ReceiptStatus.INVALID,
            f"at position {pos}, but it is not counted and no later ballot of its credential is",
        )
