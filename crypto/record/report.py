"""The verifier's report: one result per check of an election record
(docs/spec.md §11, docs/record.md "Verification").

Verification of a record is the one place that collects failures instead of
raising at the first: an observer wants every check run that can run, with
its count of items passed and failed, the first failure messages, and for a
check that could not run, why (a file absent from a closed record, or a check
it depends on that failed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..errors import KiemphieuCryptoError
from .receipts import ReceiptOutcome

MAX_MESSAGES = 5
"""Failure messages kept per check (the counts keep every failure)."""


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """A check's identifier (stable, for machines) and its title (for people)."""

    id: str
    title: str


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("files", "every file's size and SHA-256 as record.json lists them"),
    CheckSpec("format", "every document decodes strictly, in canonical form (§9)"),
    CheckSpec("index", "record.json: election, H_E, state and files, board size and head"),
    CheckSpec("parameters", "modulus size, modulus proof, a factor proof to each trustee (§6)"),
    CheckSpec("verification-keys", "v, v_1..v_ℓ consistent, x_T derived, c_T a unit (§4.2–4.4)"),
    CheckSpec("election-hash", "H_E from manifest and key; t and ℓ as the rules say (§8.2, §8.8)"),
    CheckSpec("trustees", "the committee: indices 1..ℓ, signed cards, Π^prm, registrar (§8.10)"),
    CheckSpec("test-decryption", "test shares signed and proved; every t-subset gives x_T (§4.4)"),
    CheckSpec("credentials", "the roll: ascending, distinct, the roll entry's hash (§8.9)"),
    CheckSpec("roll-signature", "the roll is exactly the one the registrar signed (§8.12)"),
    CheckSpec("board", "the hash chain and the entries: roll, open, ballots, close (§8.9)"),
    CheckSpec("receipts", "every receipt signed by the record's receipt key, as its entry (§8.9)"),
    CheckSpec("ballots", "every ballot: tracking code, signature, proofs batched (§8.6, §10.1)"),
    CheckSpec("eligibility", "every ballot's credential is on the roll (§11 step 6)"),
    CheckSpec("counted-set", "the counted ballots by the revote rule (§8.9)"),
    CheckSpec("encrypted-tally", "the encrypted tally recomputed and packed (§8.7.1–8.7.2)"),
    CheckSpec(
        "close-attestations", "trustees signed the closed board; t of them, all decrypters (§8.13)"
    ),
    CheckSpec("tally-shares", "tally shares signed, of the packed tally, proofs batched (§10.4)"),
    CheckSpec("combination", "the packed tally decrypted by the t lowest valid trustees (§5.4)"),
    CheckSpec("unpacking", "the counts unpacked with the public checks, as published (§8.7.3)"),
    CheckSpec("result", "the result recomputed from the counts and the rules (§8.8)"),
    CheckSpec("minutes", "the minutes' data: the board they cite (§8.9)"),
    CheckSpec("voter-receipts", "each receipt given: its ballot at its position, counted or not"),
)
CHECK_IDS = tuple(c.id for c in CHECKS)


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check: items passed and failed, the first failure messages, and
    whether it ran (``skipped`` says why not)."""

    id: str
    title: str
    ran: bool
    passed: int
    failed: int
    failures: tuple[str, ...]
    skipped: str | None
    applicable: bool = True
    """False when the check does not apply to the record (a closed election has
    no tally shares); a check that applies and did not run fails the record."""

    @property
    def status(self) -> Status:
        if not self.ran:
            return Status.SKIPPED
        return Status.FAILED if self.failed else Status.PASSED


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """Every check of one record, in the order of :data:`CHECKS`."""

    election_id: str
    state: str
    checks: tuple[CheckResult, ...]
    receipts: tuple[ReceiptOutcome, ...] = ()
    """One outcome per receipt given (``voter-receipts``), in the order given."""

    @property
    def ok(self) -> bool:
        """True when no check failed and every check that did not run does not
        apply to the record (never one skipped because something it needs failed)."""
        return not self.failed and all(c.ran or not c.applicable for c in self.checks)

    @property
    def failed(self) -> tuple[CheckResult, ...]:
        return tuple(c for c in self.checks if c.status is Status.FAILED)

    def check(self, check_id: str) -> CheckResult:
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(check_id)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (``kiemphieu verify --json``)."""
        return {
            "election_id": self.election_id,
            "state": self.state,
            "ok": self.ok,
            "checks": [
                {
                    "id": c.id,
                    "title": c.title,
                    "status": c.status.value,
                    "passed": c.passed,
                    "failed": c.failed,
                    "failures": list(c.failures),
                    "skipped": c.skipped,
                    "applicable": c.applicable,
                }
                for c in self.checks
            ],
            "receipts": [
                {
                    "file": o.label,
                    "position": o.position,
                    "tracking_code": o.tracking_code.hex(),
                    "status": o.status.value,
                    "detail": o.detail,
                }
                for o in self.receipts
            ],
        }


class _Tally:
    __slots__ = ("applicable", "failed", "messages", "passed", "ran", "skipped")

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0
        self.messages: list[str] = []
        self.ran = False
        self.skipped: str | None = None
        self.applicable = True


class Collector:
    """Gathers the outcomes of the checks while the verifier runs."""

    def __init__(self) -> None:
        self._checks = {c.id: _Tally() for c in CHECKS}

    def _get(self, check_id: str) -> _Tally:
        try:
            return self._checks[check_id]
        except KeyError:
            raise ValueError(f"no check {check_id!r}") from None

    def run(self, check_id: str) -> None:
        """Mark ``check_id`` as run (with or without items)."""
        self._get(check_id).ran = True

    def passed(self, check_id: str, count: int = 1) -> None:
        tally = self._get(check_id)
        tally.ran = True
        tally.passed += count

    def failed(self, check_id: str, message: str, count: int = 1) -> None:
        tally = self._get(check_id)
        tally.ran = True
        tally.failed += count
        if len(tally.messages) < MAX_MESSAGES:
            tally.messages.append(message)

    def item(self, check_id: str, ok: bool, message: str) -> bool:
        """Count one item, passed when ``ok``; returns ``ok``."""
        if ok:
            self.passed(check_id)
        else:
            self.failed(check_id, message)
        return ok

    def skip(self, check_id: str, reason: str) -> None:
        """Record why ``check_id`` cannot run although it applies: something it
        needs failed (the first reason given stays)."""
        tally = self._get(check_id)
        if tally.skipped is None:
            tally.skipped = reason

    def not_applicable(self, check_id: str, reason: str) -> None:
        """``check_id`` does not apply to this record (e.g. its state)."""
        tally = self._get(check_id)
        tally.applicable = False
        tally.skipped = reason

    @contextmanager
    def guard(self, check_id: str) -> Iterator[None]:
        """Count a refusal raised inside the block as a failure of ``check_id``
        (a record's fault never stops the verifier)."""
        try:
            yield
        except (KiemphieuCryptoError, ValueError) as exc:
            self.failed(check_id, f"refused: {exc}")

    def clean(self, check_id: str) -> bool:
        """The check ran and nothing failed in it (so far)."""
        tally = self._get(check_id)
        return tally.ran and not tally.failed

    def has_failed(self, check_id: str) -> bool:
        return self._get(check_id).failed > 0

    def finish(
        self, election_id: str, state: str, receipts: tuple[ReceiptOutcome, ...] = ()
    ) -> VerificationReport:
        results = []
        for spec in CHECKS:
            t = self._checks[spec.id]
            skipped = None if t.ran else (t.skipped or "did not run")
            results.append(
                CheckResult(
                    spec.id,
                    spec.title,
                    t.ran,
                    t.passed,
                    t.failed,
                    tuple(t.messages),
                    skipped,
                    t.applicable or t.ran,
                )
            )
        return VerificationReport(election_id, state, tuple(results), receipts)
