"""ElectionGuard 1.4 side of ``electionguard_compare.py`` (a benchmark, not a test).

Runs with the Python of the ElectionGuard venv that ``electionguard_compare.py``
makes (``.bench/electionguard-venv``); it imports ``electionguard`` only, never
``kiemphieu``. It builds a manifest of 5 contests × 3 selections, vote for 1
(``one_of_m``, ``votes_allowed = 1``), an election context under a random
ElGamal key in ElectionGuard's production group (4096-bit p, 256-bit q),
encrypts ``--ballots`` ballots with ``encrypt_ballot`` and times, per ballot,
the library's own ballot check ``ballot_is_valid_for_election(...,
should_validate=True)``: the ballot style, then ``CiphertextBallot.
is_valid_encryption``, which recomputes the ballot's and contests' crypto
hashes and verifies every selection's disjunctive Chaum–Pedersen proof (the
3 real selections and the placeholder of each contest) and every contest's
constant Chaum–Pedersen proof (selections sum to ``votes_allowed``).

The clock is the CPU time of this process (``time.process_time``), as in
``kiemphieu bench``; wall time is recorded beside it. The JSON report goes to
standard output; ElectionGuard's own log lines go to standard error.

    .bench/electionguard-venv/bin/python tests/benchmarks/electionguard_worker.py --ballots 20
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import platform
import secrets
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from importlib import metadata
from typing import Any

CONTESTS = 5
SELECTIONS = 3
GUARDIANS = 5
QUORUM = 3


def quiet_library_log() -> None:
    """ElectionGuard logs to standard output at INFO; send only errors, to stderr
    (the deliberate tampered-ballot check would log a page of warnings)."""
    from electionguard.logs import log_add_handler, log_handlers, log_remove_handler

    for handler in log_handlers():
        log_remove_handler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.ERROR)
    log_add_handler(handler)


def group_facts() -> dict[str, Any]:
    """The group in use; refuses anything but the production constants."""
    from electionguard.constants import STANDARD_CONSTANTS, get_constants

    constants = get_constants()
    if constants is not STANDARD_CONSTANTS:
        raise SystemExit("ElectionGuard is not using its standard (production) constants")
    p = int(constants.large_prime.value)
    q = int(constants.small_prime.value)
    if (p.bit_length(), q.bit_length()) != (4096, 256):
        raise SystemExit(f"unexpected group: p {p.bit_length()} bits, q {q.bit_length()} bits")
    return {"p_bits": p.bit_length(), "q_bits": q.bit_length(), "constants": "STANDARD"}


def build_manifest() -> Any:
    """5 contests of 3 candidates each, vote for exactly one slot (one_of_m)."""
    from electionguard.manifest import (
        BallotStyle,
        Candidate,
        ContestDescription,
        ElectionType,
        GeopoliticalUnit,
        Manifest,
        ReportingUnitType,
        SelectionDescription,
        SpecVersion,
        VoteVariationType,
    )

    unit = "bench-unit"
    contests = []
    candidates = []
    for c in range(CONTESTS):
        selections = []
        for s in range(SELECTIONS):
            candidate = f"q{c}-option{s}"
            candidates.append(Candidate(candidate))
            selections.append(SelectionDescription(f"q{c}-s{s}", s, candidate))
        contests.append(
            ContestDescription(
                f"q{c}", c, unit, VoteVariationType.one_of_m, 1, 1, f"Question {c}", selections
            )
        )
    style = BallotStyle("bench-style", [unit])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    manifest = Manifest(
        election_scope_id="kiemphieu-compare",
        spec_version=SpecVersion.EG0_95,
        type=ElectionType.general,
        start_date=start,
        end_date=start + timedelta(days=1),
        geopolitical_units=[GeopoliticalUnit(unit, "Benchmark", ReportingUnitType.unknown)],
        parties=[],
        candidates=candidates,
        contests=contests,
        ballot_styles=[style],
    )
    if not manifest.is_valid():
        raise SystemExit("ElectionGuard refused the benchmark manifest")
    return manifest


def build_election(manifest: Any) -> tuple[Any, Any]:
    """Internal manifest and context under a random key (5 guardians, quorum 3
    in the context; the key itself does not change a ballot's verification)."""
    from electionguard.elgamal import elgamal_keypair_random
    from electionguard.group import rand_q
    from electionguard_tools.helpers.election_builder import ElectionBuilder

    keypair = elgamal_keypair_random()
    builder = ElectionBuilder(GUARDIANS, QUORUM, manifest)
    builder.set_public_key(keypair.public_key)
    builder.set_commitment_hash(rand_q())
    built = builder.build()
    if built is None:
        raise SystemExit("ElectionBuilder.build() returned None")
    return built


def plaintext_ballot(manifest: Any, ballot_id: str) -> Any:
    """One selection chosen at random in every contest."""
    from electionguard.ballot import (
        PlaintextBallot,
        PlaintextBallotContest,
        PlaintextBallotSelection,
    )

    contests = []
    for contest in manifest.contests:
        chosen = secrets.choice(contest.ballot_selections)
        contests.append(
            PlaintextBallotContest(
                contest.object_id, [PlaintextBallotSelection(chosen.object_id, 1)]
            )
        )
    return PlaintextBallot(ballot_id, manifest.ballot_styles[0].object_id, contests)


def tampered(ballot: Any) -> Any:
    """The ballot with one selection proof's response changed (must fail)."""
    from electionguard.group import ONE_MOD_Q, add_q

    contest = ballot.contests[0]
    selection = contest.ballot_selections[0]
    proof = dataclasses.replace(
        selection.proof,
        proof_zero_response=add_q(selection.proof.proof_zero_response, ONE_MOD_Q),
    )
    selections = [dataclasses.replace(selection, proof=proof), *contest.ballot_selections[1:]]
    contests = [dataclasses.replace(contest, ballot_selections=selections), *ballot.contests[1:]]
    return dataclasses.replace(ballot, contests=contests)


def stats(samples: list[float]) -> dict[str, float]:
    return {
        "median": statistics.median(samples),
        "min": min(samples),
        "max": max(samples),
        "mean": statistics.fmean(samples),
        "total": sum(samples),
    }


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("electionguard", "gmpy2", "pydantic", "hypothesis"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def run(count: int) -> dict[str, Any]:
    quiet_library_log()
    from electionguard.ballot_validator import ballot_is_valid_for_election
    from electionguard.encrypt import EncryptionDevice, encrypt_ballot, generate_device_uuid

    group = group_facts()
    manifest = build_manifest()
    internal, context = build_election(manifest)
    device = EncryptionDevice(generate_device_uuid(), 1, 1, "bench")
    seed = device.get_hash()

    ballots, encrypt_cpu = [], []
    for i in range(count):
        plain = plaintext_ballot(manifest, f"ballot-{i}")
        start = time.process_time()
        encrypted = encrypt_ballot(plain, internal, context, seed)
        encrypt_cpu.append(time.process_time() - start)
        if encrypted is None:
            raise SystemExit(f"encrypt_ballot returned None for ballot {i}")
        seed = encrypted.code
        ballots.append(encrypted)

    cpu, wall = [], []
    for i, ballot in enumerate(ballots):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        valid = ballot_is_valid_for_election(ballot, internal, context, True)
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
        if not valid:
            raise SystemExit(f"ElectionGuard rejected its own ballot {i}")
    if ballot_is_valid_for_election(tampered(ballots[0]), internal, context, True):
        raise SystemExit("ElectionGuard accepted a ballot with a changed proof response")

    first = ballots[0]
    selection_proofs = sum(len(c.ballot_selections) for c in first.contests)
    return {
        "library": "electionguard",
        "versions": versions(),
        "group": group,
        "shape": {
            "contests": len(first.contests),
            "selections_per_contest": SELECTIONS,
            "votes_allowed": 1,
            "selection_proofs_per_ballot": selection_proofs,
            "contest_proofs_per_ballot": len(first.contests),
            "note": "each contest carries one placeholder selection (votes_allowed = 1)",
        },
        "verifier": "ballot_validator.ballot_is_valid_for_election(should_validate=True)",
        "ballots": count,
        "clock": "time.process_time (CPU seconds of this process)",
        "encrypt_cpu": stats(encrypt_cpu),
        "verify_cpu": stats(cpu),
        "verify_wall": stats(wall),
        "verify_cpu_samples": cpu,
        "tampered_ballot_rejected": True,
        "prime_option_env": os.environ.get("PRIME_OPTION"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=20)
    args = parser.parse_args()
    if args.ballots < 1:
        parser.error("--ballots must be at least 1")
    json.dump(run(args.ballots), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
