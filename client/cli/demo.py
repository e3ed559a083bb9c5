"""``kiemphieu demo``: one command, no set-up, a whole confidence vote (demo_scenario.py).

It starts ``kiemphieu serve`` on SQLite in a fresh folder (demo_server.py),
creates the scenario's election, makes the 5 trustees' keys and signed cards
and the registrar's key (passphrases generated and written down: a demo only),
runs the key ceremony at 3072 bits, lets every trustee check its share, issues
90 credential sheets with the roll signed by the registrar and opens the poll;
then it prints what to do next and keeps the server running until Ctrl-C.
With ``--auto`` it also votes (N random ballots from the sheets' codes),
closes the poll, has trustees 1, 3 and 5 decrypt (each attesting the head the
chair reads out), prints the verified result and the counting minutes' path,
and stops.

Every step goes through the same functions as the separate commands
(``ceremony``, ``trustee check|decrypt``, ``credentials issue``, ``results``,
``minutes``), over HTTP. :func:`setup_election` and :func:`run_auto` take the
key size and policy so the tests can run them at test sizes against a test
server; the command itself always uses 3072 bits under the standard policy.
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiemphieu.crypto import codec
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.primitives.proofs.pedersen import RING_PEDERSEN_BITS

from . import demo_scenario as scenario
from . import registrar
from .admin import add_trustee
from .ceremony import run_ceremony, share_path
from .connection import ExitCode, LocalError, UsageError, guarded
from .demo_server import DemoServer, free_port, start_server
from .demo_voting import cast_ballots
from .http import ApiClient, BadReply, api_path
from .keygen import run_committee
from .keystore import KeystoreError, card_path, load_card, load_registrar_card
from .registrar_keys import init_registrar
from .result_table import render_table
from .results import verify_result
from .trustee import TEST_PEDERSEN_BITS, check, decrypt, init_trustee, open_secrets
from .voter import fetch_election

DEFAULT_DIR = Path("kiemphieu-demo")
DEMO_BITS = 3072
MINUTES_NAME = "bien-ban-kiem-phieu.pdf"
DEMO_ENTRIES = frozenset(
    {"server", "trustees", "registrar", "ceremony", "credentials", "manifest.toml"}
    | {"admin-token"}
    | {"server.log", MINUTES_NAME}
)
DEMO_ONLY_NOTE = (
    "# DEMO ONLY. These passphrases unlock the trustees' key files in this folder.\n"
    "# In a real election each trustee chooses their own passphrase and nobody\n"
    "# writes it down next to the key file.\n"
)

Say = Callable[[str], None]


class StepFailed(Exception):
    """A step run through its command failed; it has printed why."""

    def __init__(self, step: str, code: int) -> None:
        super().__init__(f"{step} failed (exit {code})")
        self.code = code


@dataclass(frozen=True)
class DemoSetup:
    """An open demo election and where its files are."""

    url: str
    token_file: Path
    folder: Path
    election_id: str
    policy: KeyPolicy
    passphrases: tuple[str, ...] = field(repr=False)
    timings: dict[str, float] = field(default_factory=dict)

    def key_file(self, index: int) -> Path:
        return self.folder / "trustees" / f"trustee-{index}.key.json"

    def share_file(self, index: int) -> Path:
        return share_path(self.folder / "ceremony", index)

    @property
    def registrar_key(self) -> Path:
        return self.folder / "registrar" / "registrar.key.json"

    @property
    def registrar_passphrase(self) -> Path:
        return self.folder / "registrar" / "passphrase.txt"

    @property
    def codes_file(self) -> Path:
        return self.folder / "credentials" / "credentials.csv"

    def admin(self) -> ApiClient:
        return ApiClient(self.url, token=self.token_file.read_text(encoding="utf-8").strip())


def run_verb(register: Callable[[Any], None], argv: list[str]) -> int:
    """Run one command (its module's ``register``) with ``argv``; returns its exit code."""
    parser = argparse.ArgumentParser(prog="kiemphieu")
    register(parser.add_subparsers(dest="verb"))
    args = parser.parse_args(argv)
    return int(args.handler(args))


def _timed(timings: dict[str, float], name: str, started: float) -> float:
    timings[name] = time.perf_counter() - started
    return timings[name]


def setup_election(
    url: str,
    token_file: Path,
    folder: Path,
    *,
    bits: int = DEMO_BITS,
    policy: KeyPolicy = KeyPolicy.STANDARD,
    election_id: str = scenario.ELECTION_ID,
    distributed: bool = False,
    say: Say = print,
) -> DemoSetup:
    """Create, key, check, credential and open the scenario's election in ``folder``.

    The key is dealt (a dealer ceremony, its trust cost printed) or, with
    ``distributed``, generated by the five trustees as five processes."""
    passphrases = tuple(secrets.token_urlsafe(12) for _ in scenario.COMMITTEE)
    setup = DemoSetup(url, token_file, folder, election_id, policy, passphrases)
    admin, public, timings = setup.admin(), ApiClient(url), setup.timings
    manifest = folder / "manifest.toml"
    manifest.write_text(scenario.manifest_toml(election_id), encoding="utf-8")
    admin.post(
        "/api/admin/elections", manifest.read_bytes(), content_type="application/toml", admin=True
    )
    say(f"created election {election_id} from {manifest}")

    (folder / "trustees").mkdir(mode=0o700)
    lines = [f"trustee-{i}  {p}" for i, p in enumerate(passphrases, 1)]
    _write_secret(folder / "trustees" / "passphrases.txt", DEMO_ONLY_NOTE + "\n".join(lines))
    started = time.perf_counter()
    pedersen_bits = TEST_PEDERSEN_BITS if policy is KeyPolicy.TESTING else RING_PEDERSEN_BITS
    for i, (name, role) in enumerate(scenario.COMMITTEE, 1):
        init_trustee(setup.key_file(i), name, role, passphrases[i - 1], pedersen_bits=pedersen_bits)
        try:
            card = load_card(card_path(setup.key_file(i)))
        except KeystoreError as exc:
            raise LocalError(str(exc)) from None
        add_trustee(admin, election_id, i, card)
    say(
        f"committee: {len(passphrases)} trustees made their keys and signed cards and are "
        f"registered ({_timed(timings, 'trustees', started):.1f} s; keys in {folder / 'trustees'})"
    )
    (folder / "registrar").mkdir(mode=0o700)
    registrar_passphrase = secrets.token_urlsafe(12)
    _write_secret(setup.registrar_passphrase, registrar_passphrase)
    init_registrar(setup.registrar_key, scenario.REGISTRAR, registrar_passphrase)
    try:
        registrar_card = load_registrar_card(card_path(setup.registrar_key))
    except KeystoreError as exc:
        raise LocalError(str(exc)) from None
    admin.post(
        api_path("admin", "elections", election_id, "registrar"),
        codec.dumps(registrar_card),
        admin=True,
    )
    say(f"registrar: {registrar_card.name} (key in {folder / 'registrar'})")

    if distributed:
        generate_distributed(setup, bits, say)
    else:
        say(f"key ceremony: dealing a {bits}-bit threshold key; this takes a little while…")
        say("  " + DEALER_NOTE)
        outcome = run_ceremony(admin, election_id, folder / "ceremony", bits, policy)
        timings["ceremony"] = outcome.seconds
        say(f"  key published; dealing took {outcome.seconds:.1f} s")
        started = time.perf_counter()
        for i, passphrase in enumerate(passphrases, 1):
            keys, share = open_secrets(setup.key_file(i), setup.share_file(i), passphrase)
            check(public, election_id, keys, share, policy, say=lambda line: say("  " + line))
        say(f"  every trustee checked its share ({_timed(timings, 'checks', started):.1f} s)")

    started = time.perf_counter()
    argv = ["credentials", "issue", "--election", election_id, "--count", str(scenario.SUMMONED)]
    argv += ["--out", str(folder / "credentials"), "--server", url]
    argv += ["--registrar-key", str(setup.registrar_key)]
    argv += ["--passphrase-file", str(setup.registrar_passphrase)]
    if policy is KeyPolicy.TESTING:
        argv.append("--insecure-test-key")
    code = run_verb(registrar.register, [*argv, "--token-file", str(token_file)])
    if code:
        raise StepFailed("issuing the credentials", code)
    _timed(timings, "credentials", started)
    admin.post(api_path("admin", "elections", election_id, "open"), b"", admin=True)
    say(f"the poll of {election_id} is open")
    return setup


DEALER_NOTE = (
    "(a dealer ceremony: this process holds p and q while it deals; "
    "kiemphieu demo --distributed has the trustees generate the key instead)"
)


def generate_distributed(setup: DemoSetup, bits: int, say: Say) -> None:
    """The five trustees generate the key as five processes (docs/spec.md §12)."""
    files = []
    for i, passphrase in enumerate(setup.passphrases, 1):
        secret = setup.folder / "trustees" / f"passphrase-{i}"
        _write_secret(secret, passphrase)
        files.append((setup.key_file(i), setup.share_file(i), secret))
    (setup.folder / "ceremony").mkdir(mode=0o700, exist_ok=True)
    seconds = run_committee(
        setup.admin(), setup.election_id, files, bits=bits,
        testing=setup.policy is KeyPolicy.TESTING, say=say,
    )  # fmt: skip
    setup.timings["key generation"] = seconds


def _write_secret(path: Path, text: str) -> None:
    """Write ``text`` to a new file of mode 0600."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text + "\n")
    except OSError as exc:
        raise LocalError(f"cannot write {path}: {exc.strerror}") from None


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
    seconds = _timed(timings, "voting", started)
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
    _timed(timings, "results", started)
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


def prepare_demo_folder(folder: Path, *, force: bool) -> None:
    """A fresh, empty folder (mode 0700). A non-empty one is refused; with
    ``force`` a previous demo's files are removed, but nothing else."""
    if folder.exists():
        entries = {p.name for p in folder.iterdir()}
        if entries and not force:
            raise UsageError(f"{folder} is not empty; give another --dir, or --force to reuse it")
        stray = sorted(entries - DEMO_ENTRIES)
        if stray:
            raise UsageError(f"{folder} holds files the demo did not make: {', '.join(stray)}")
        for name in entries:
            path = folder / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise LocalError(f"cannot create {folder}: {exc.strerror}") from None


def next_steps(setup: DemoSetup) -> str:
    """What to do with the open demo election, command by command."""
    url, eid, folder = setup.url, setup.election_id, setup.folder
    common = f"--server {url} --election {eid}"
    return f"""
The demo election is open: {eid} on {url}
  admin token        {setup.token_file} (mode 0600)
  credential sheets  {folder / "credentials" / "credentials.pdf"} (codes also in credentials.csv)
  trustee keys       {folder / "trustees"}/trustee-<i>.key.json
  passphrases        {folder / "trustees" / "passphrases.txt"}  (DEMO ONLY)
  registrar key      {setup.registrar_key}  (passphrase beside it, DEMO ONLY)
  key shares         {folder / "ceremony"}/share-<i>.json

Vote in a browser with a code from the sheets (Vietnamese; English by the switch):
  {url}/?election={eid}
or from the command line (the code is asked without echo):
  kiemphieu vote {common} --choice {scenario.QUESTION}=high,mid,low,high,blank
Close the poll; it prints the board head to read aloud:
  kiemphieu admin close {common} --token-file {setup.token_file}
Each trustee signs the head read aloud, then any {scenario.THRESHOLD} of the {scenario.TRUSTEES} \
decrypt, each with its passphrase:
  kiemphieu trustee attest {common} --key {setup.key_file(1)} --head HEAD
  kiemphieu trustee decrypt {common} --key {setup.key_file(1)} --share {setup.share_file(1)}
See the verified result, then print the counting minutes:
  kiemphieu results {common}
  kiemphieu minutes {common} --out {folder / MINUTES_NAME}
  {url}/results.html?election={eid}   (the result, verified in the browser)
Download the election record and verify every proof, as any observer can:
  kiemphieu record download {common} --out {folder / (eid + "-record.zip")}
  kiemphieu verify {folder / (eid + "-record.zip")}

The server keeps running until you press Ctrl-C (its log: {folder / "server.log"})."""


def demo_verb(args: argparse.Namespace) -> int:
    if not 1 <= args.voters <= scenario.SUMMONED:
        raise UsageError(f"--voters must be between 1 and {scenario.SUMMONED}")
    folder: Path = args.dir
    prepare_demo_folder(folder, force=args.force)
    port = args.port or free_port()
    print(f"starting kiemphieu serve on 127.0.0.1:{port} (data in {folder / 'server'})")
    server: DemoServer = start_server(folder.resolve(), port)
    try:
        setup = setup_election(
            server.url, server.token_file, folder.resolve(), distributed=args.distributed
        )
        if not args.auto:
            print(next_steps(setup), flush=True)
            try:
                server.proc.wait()
            except KeyboardInterrupt:
                print("\nstopping the server")
            return 0
        outcome = run_auto(setup, args.voters)
        print("\n" + outcome.table + "\n")
        print("ok  the result is verified and equals the ballots the demo cast")
        if outcome.minutes is not None:
            print(f"counting minutes: {outcome.minutes}")
        print("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in setup.timings.items()))
        return 0
    except StepFailed as exc:
        return int(exc.code)
    except KeyboardInterrupt:
        print("\ninterrupted; stopping the server", file=sys.stderr)
        return 130
    finally:
        server.stop()


def register(verbs: Any) -> None:
    """Add ``demo`` to the CLI."""
    text = "start a server with a ready confidence vote (5 leaders, 90 voters, 5 trustees)"
    p = verbs.add_parser(
        "demo",
        help=text,
        description=text + ". With --auto, also vote, close, decrypt and print the result.",
        epilog=f"Exit codes as for the other commands; {int(ExitCode.OK)} when done.",
    )
    p.add_argument(
        "--dir", type=Path, default=DEFAULT_DIR, help=f"demo folder (default ./{DEFAULT_DIR})"
    )
    p.add_argument("--port", type=int, default=8080, help="server port (default 8080; 0: any)")
    p.add_argument("--auto", action="store_true", help="run the whole election, then stop")
    p.add_argument(
        "--voters",
        type=int,
        default=62,
        help="ballots cast by --auto (default 62: above the 2/3 quorum of the 90 summoned)",
    )
    p.add_argument("--force", action="store_true", help="reuse a folder of an earlier demo")
    p.add_argument(
        "--distributed",
        action="store_true",
        help="the five trustees generate the key as five processes (no dealer; a few minutes)",
    )
    p.set_defaults(handler=guarded(demo_verb))
