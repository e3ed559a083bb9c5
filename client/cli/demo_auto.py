"""``kiemphieu demo --auto``: vote, close, decrypt, verify, and the minutes (demo.py).

Every step goes through the same functions as the separate commands, over
HTTP; :func:`run_auto` takes the demo's set-up (:class:`~.demo.DemoSetup`).
"""

from __future__ import annotations

import argparse
import csv
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import demo_scenario as scenario
from .connection import LocalError, UsageError
from .demo_voting import cast_ballots
from .http import ApiClient, BadReply, api_path
from .result_table import render_table
from .results import verify_result
from .trustee import decrypt, open_secrets
from .voter import fetch_election

if TYPE_CHECKING:
    from .demo import DemoSetup

Say = Callable[[str], None]
MINUTES_NAME = "bien-ban-kiem-phieu.pdf"


def run_verb(register: Callable[[Any], None], argv: list[str]) -> int:
    """Run one command (its module's ``register``) with ``argv``; returns its exit code."""
    parser = argparse.ArgumentParser(prog="kiemphieu")
    register(parser.add_subparsers(dest="verb"))
    args = parser.parse_args(argv)
    return int(args.handler(args))


def timed(timings: dict[str, float], name: str, started: float) -> float:
    """Record in ``timings[name]`` the seconds since ``started``; returns them."""
    timings[name] = time.perf_counter() - started
    return timings[name]


@dataclass(frozen=True)
class AutoOutcome:
    """What ``--auto`` did: the verified result's table and the minutes, if made."""

    table: str
    minutes: Path | None


def read_codes(path: Path, count: int) -> list[str]:
    """The first ``count`` credential codes of the sheets' CSV."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))[1:]
    except OSError as exc:
        raise LocalError(f"cannot read {path}: {exc.strerror}") from None
    if len(rows) < count:
        raise UsageError(f"{path} holds {len(rows)} codes; {count} are needed")
    return [code for _, code in rows[:count]]


def run_auto(setup: DemoSetup, voters: int, *, workers: int = 2, say: Say = print) -> AutoOutcome:
    """Vote, close, decrypt with trustees 1, 3, 5, verify the result against the
    ballots cast, and render the minutes (when the minutes module is present)."""
    public, timings, eid = ApiClient(setup.url), setup.timings, setup.election_id
    election = fetch_election(public, eid, setup.policy)
    votes = scenario.random_votes(voters)
    started = time.perf_counter()
    codes = read_codes(setup.codes_file, voters)
    cast_ballots(public, election.context, codes, votes, workers=workers, say=say)
    seconds = timed(timings, "voting", started)
    say(f"{voters} ballots cast and their receipts verified ({seconds:.1f} s)")
    closed = setup.admin().post(api_path("admin", "elections", eid, "close"), b"", admin=True)
    head = bytes.fromhex(str(closed.get("board_head")))
    say(f"the poll of {eid} is closed; the chair reads out the head {head.hex()}")
    for i in scenario.DECRYPTING:
        keys, share = open_secrets(setup.key_file(i), setup.share_file(i), setup.passphrases[i - 1])
        phases = decrypt(
            public, eid, keys, share, setup.policy, head=head, say=lambda line: say("  " + line)
        )
        timings[f"decrypt trustee {i}"] = sum(phases.values())
    started = time.perf_counter()
    verified = verify_result(public, eid, setup.policy)
    timed(timings, "results", started)
    slots = [p.slots for p in verified.counts.questions[0].parts]
    if slots != scenario.expected_slots(votes):
        raise BadReply("the decrypted counts differ from the ballots the demo cast")
    table = render_table(election.context.manifest, verified.result, "vi")
    minutes = render_minutes_pdf(setup, setup.folder / MINUTES_NAME, say)
    return AutoOutcome(table, minutes)


def render_minutes_pdf(setup: DemoSetup, out: Path, say: Say) -> Path | None:
    """The counting minutes through ``kiemphieu minutes``; None (with a note) when
    this installation has no minutes module or the minutes could not be made."""
    try:
        from . import minutes  # noqa: PLC0415 - optional, loaded only here
    except ImportError:
        say("(no counting minutes: this kiemphieu has no minutes module yet)")
        return None
    argv = ["minutes", "--server", setup.url, "--election", setup.election_id, "--out", str(out)]
    code = run_verb(minutes.register, argv)
    if code:
        say(f"(the counting minutes could not be made: exit {code})")
        return None
    return out
