"""``kiemphieu keygen start`` and ``kiemphieu trustee keygen``: the committee
generates the election key itself (docs/spec.md §12, docs/cli.md).

The administrator opens a run on the server (``keygen start``); each trustee
then runs ``trustee keygen`` on its own machine with its own key file. The
trustee's process holds only its own shares. It signs every round message
with its identity key, seals every private payload to the recipient's X25519
key (both from the cards the server lists, checked here), checks the
signature of every message it receives and opens only letters sealed to it.
The server relays; it cannot read or change a letter, and a message it
forges fails its signature here. When every trustee has confirmed, the server
publishes the key ceremony (§12.8); this tool checks it like any other
ceremony, verifies the key is the one it computed, stores its key share
sealed to its own key with the base hash, and posts its test decryption.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from kiemphieu.crypto.election.committee import Trustee, verify_card
from kiemphieu.crypto.errors import KeygenAbort, KiemphieuCryptoError, ParameterError
from kiemphieu.crypto.keygen import envelope
from kiemphieu.crypto.keygen.messages import KeygenResult, Outgoing
from kiemphieu.crypto.keygen.parameters import KeygenParameters
from kiemphieu.crypto.keygen.party import KeygenParty
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from .connection import (
    LocalError,
    NotReady,
    UsageError,
    add_server_argument,
    add_token_argument,
    client_for,
    guarded,
)
from .http import ApiClient, BadReply, ServerError, api_path
from .keygen_relay import Relay, Stopped
from .keystore import KeystoreError, TrusteeKeys, fingerprint, load_share, save_share
from .passphrase import ask_passphrase
from .registrar import fetch_manifest
from .trustee import check, fetch_trustees, open_keys
from .voter import INSECURE_WARNING, fetch_election

Say = Callable[[str], None]
PHASES = ("sieve", "product", "biprimality", "key")


def _say(line: str) -> None:
    print(line, flush=True)


def phase_of(label: str) -> str:
    """The benchmark's phase of a round label (docs/performance.md)."""
    kind = label.split("/", 1)[1]
    if kind.startswith("sieve"):
        return "sieve"
    if kind in ("product", "open"):
        return "product"
    if kind in ("filter", "commit", "reveal"):
        return "biprimality"
    return "key"


@dataclass
class KeygenReport:
    """What one trustee measured: compute and waiting time per phase, rounds, counts."""

    compute: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))
    waiting: float = 0.0
    rounds: int = 0
    total: float = 0.0
    statistics: dict[str, int] = field(default_factory=dict)


def _committee(
    client: ApiClient, election_id: str, policy: KeyPolicy
) -> tuple[int, int, dict[int, Trustee]]:
    """t, ℓ and the registered members, every card checked here."""
    manifest = fetch_manifest(client, election_id)
    if manifest.rules is None:
        raise BadReply("the manifest has no committee rules")
    t, size = manifest.rules.threshold, manifest.rules.trustees
    members = fetch_trustees(client, election_id)
    if sorted(members) != list(range(1, size + 1)):
        raise NotReady(f"{len(members)} of {size} trustees are registered; the run needs all")
    for member in members.values():
        try:
            verify_card(member, policy)
        except KiemphieuCryptoError as exc:
            raise BadReply(f"trustee {member.index}'s card: {exc}") from None
    if (
        len({m.identity_key for m in members.values()}) != size
        or len({m.encryption_key for m in members.values()}) != size
    ):
        raise BadReply("two committee members share a key")
    return t, size, members


def generate(
    client: ApiClient,
    election_id: str,
    keys: TrusteeKeys,
    policy: KeyPolicy,
    share_path: Path,
    *,
    say: Say = _say,
) -> KeygenReport:
    """Take part in the server's current run; store the share; post the test share."""
    if share_path.exists():
        raise LocalError(f"{share_path} exists; refusing to overwrite a key share")
    info = client.get(api_path("elections", election_id, "keygen"))
    if info.get("state") != "running":
        raise NotReady(
            f"no key generation is running for {election_id} (last: {info.get('state')}, "
            f"{info.get('failure') or 'no failure'}): ask the administrator to start one "
            "(kiemphieu keygen start)"
        )
    values = [info.get(k) for k in ("run", "bits", "batch", "timeout")]
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in values):
        raise BadReply("the run's description is malformed")
    run, bits, batch, timeout = (cast(int, x) for x in values)
    try:
        policy.check_bits(bits)
    except ParameterError as exc:
        raise BadReply(f"the run asks for a key this tool refuses: {exc}") from None
    t, size, members = _committee(client, election_id, policy)
    me = [m.index for m in members.values() if m.identity_key == keys.identity_public]
    if not me:
        raise UsageError(
            f"your identity {fingerprint(keys.identity_public)} is not on the committee"
        )
    index = me[0]
    try:
        params = KeygenParameters(bits, t, size)
    except ParameterError as exc:
        raise BadReply(str(exc)) from None
    identity = {j: m.identity_key for j, m in members.items()}
    session = envelope.session_hash(
        election_id,
        run,
        bits=bits,
        t=t,
        l=size,
        batch=batch,
        identity_keys=[identity[j] for j in range(1, size + 1)],
    )
    if info.get("session") != session.hex():
        raise BadReply("the server's run is bound to another committee or parameters than it lists")
    say(
        f"trustee {index} ({members[index].name}): key generation run {run} of election "
        f"{election_id}, {bits} bits, {t} of {size}, {batch} candidates per attempt"
    )
    party = KeygenParty(
        params, index, session=session, election_id=election_id, batch=batch, identity_keys=identity
    )
    relay = Relay(client, election_id, run, index, keys, members, session, timeout + 30.0)
    report = KeygenReport()
    began = time.monotonic()
    tick = time.monotonic()
    out: Outgoing | KeygenResult = party.start()
    while isinstance(out, Outgoing):
        report.compute[phase_of(out.label)] += time.monotonic() - tick
        relay.post(out)
        wait = time.monotonic()
        incoming = relay.read(out.label)
        report.waiting += time.monotonic() - wait
        report.rounds += 1
        tick = time.monotonic()
        if out.label.endswith("/open"):
            tried = party.statistics().candidates
            say(f"  attempt {out.label.split('/')[0][1:]}: {tried} candidates so far")
        try:
            out = party.receive(incoming)
        except KeygenAbort as exc:
            relay.abort(str(exc))  # the others stop now, with this reason, not at the deadline
            raise Stopped(f"the key generation stopped: {exc}") from None
    report.compute["key"] += time.monotonic() - tick
    result = out
    stats = result.statistics
    report.statistics = {
        "attempts": stats.attempts,
        "candidates": stats.candidates,
        "trial_division_survivors": stats.trial_division_survivors,
        "first_test_passes": stats.first_test_passes,
    }
    _store(client, election_id, keys, policy, result, share_path=share_path, say=say)
    report.total = time.monotonic() - began
    return report


def _store(
    client: ApiClient,
    election_id: str,
    keys: TrusteeKeys,
    policy: KeyPolicy,
    result: KeygenResult,
    *,
    share_path: Path,
    say: Say,
) -> None:
    """Wait for the published ceremony, check it is this key, seal the share, test it."""
    deadline = time.monotonic() + 60.0
    while True:
        try:
            election = fetch_election(client, election_id, policy)
            break
        except ServerError as exc:
            if exc.code != "no-keys" or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    if election.context.key != result.public:
        raise BadReply("the server published another key than the one the committee generated")
    try:
        save_share(
            share_path,
            result.share,
            election_id,
            election.context.hash,
            recipient=keys.encryption_public,
        )
        sealed = load_share(share_path, keys=keys)
    except (KeystoreError, OSError) as exc:
        raise LocalError(f"{share_path}: {exc}") from None
    say(f"  ok  key generated by the committee: {result.public.n.bit_length()}-bit modulus")
    say(f"  ok  your key share is in {share_path}, sealed to your key (keep it with the key file)")
    check(client, election_id, keys, sealed, policy, say=say)


def start(
    client: ApiClient, election_id: str, *, bits: int, batch: int, round_timeout: int
) -> dict[str, Any]:
    """Open a run on the server (administrator)."""
    body = {"bits": bits, "batch": batch, "timeout": round_timeout}
    return client.post_json(api_path("admin", "elections", election_id, "keygen"), body, admin=True)


def spawn_trustees(
    url: str, election_id: str, files: list[tuple[Path, Path, Path]], *, testing: bool
) -> list[str]:
    """Run ``trustee keygen`` as one process per (key file, share file,
    passphrase file) and wait; returns one line per trustee that failed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIEMPHIEU_")}
    procs = []
    for key, share, secret in files:
        argv = [sys.executable, "-m", "kiemphieu.client.cli.main", "trustee", "keygen",
                "--server", url, "--election", election_id, "--key", str(key),
                "--share", str(share), "--passphrase-file", str(secret)]  # fmt: skip
        if testing:
            argv.append("--insecure-test-key")
        procs.append(
            subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
            )
        )
    failed = []
    try:
        for i, proc in enumerate(procs, 1):
            _, err = proc.communicate()
            if proc.returncode:
                last = err.strip().splitlines()[-1] if err.strip() else f"exit {proc.returncode}"
                failed.append(f"trustee {i}: {last}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
    return failed


def run_committee(
    admin: ApiClient,
    election_id: str,
    files: list[tuple[Path, Path, Path]],
    *,
    bits: int,
    testing: bool,
    say: Say = _say,
) -> float:
    """Open a run and have every trustee take part as its own process (the
    demo's committee, all on one machine); LocalError naming who failed.
    Returns the seconds it took."""
    started = time.perf_counter()
    say(
        f"key generation by the committee: {bits} bits, {len(files)} trustee processes, "
        "no dealer; this takes a few minutes at 3072 bits…"
    )
    start(admin, election_id, bits=bits, batch=1024, round_timeout=600)
    failed = spawn_trustees(admin.base_url, election_id, files, testing=testing)
    if failed:
        raise LocalError("the key generation failed: " + "; ".join(failed))
    seconds = time.perf_counter() - started
    say(
        f"  key generated by the {len(files)} trustees and every test decryption posted "
        f"({seconds:.1f} s); no process ever held p or q"
    )
    return seconds


def _policy(args: argparse.Namespace) -> KeyPolicy:
    if args.insecure_test_key:
        print(INSECURE_WARNING, file=sys.stderr)
        return KeyPolicy.TESTING
    return KeyPolicy.SHORT_LIVED if getattr(args, "short_lived", False) else KeyPolicy.STANDARD


def start_verb(args: argparse.Namespace) -> int:
    client = client_for(args, admin=True)
    run = start(
        client, args.election, bits=args.bits, batch=args.batch, round_timeout=args.round_timeout
    )
    print(
        f"key generation run {run.get('run')} opened for election {args.election} "
        f"({args.bits} bits). Each trustee now runs, on their own machine:\n"
        f"  kiemphieu trustee keygen --server {args.server} --election {args.election} "
        "--key THEIR_KEY_FILE --share THEIR_SHARE_FILE"
    )
    return 0


def trustee_verb(args: argparse.Namespace) -> int:
    policy = _policy(args)
    passphrase = ask_passphrase("Passphrase of the trustee key file: ", args.passphrase_file)
    keys = open_keys(args.key, passphrase)
    report = generate(client_for(args, admin=False), args.election, keys, policy, args.share)
    busy = ", ".join(f"{k} {v:.1f} s" for k, v in report.compute.items())
    st = report.statistics
    print(
        f"done in {report.total:.1f} s ({report.rounds} rounds; computing: {busy}; "
        f"waiting {report.waiting:.1f} s); {st['candidates']} candidate pairs in "
        f"{st['attempts']} attempts, {st['trial_division_survivors']} passed trial division, "
        f"{st['first_test_passes']} passed the first biprimality test"
    )
    return 0


def register_trustee(sub: Any) -> None:
    """``trustee keygen``."""
    text = "generate the election key with the other trustees (no dealer); store your share"
    p = sub.add_parser("keygen", help=text, description=text)
    add_server_argument(p, required=True)
    p.add_argument("--election", required=True, metavar="ID", help="the election id")
    p.add_argument("--key", required=True, type=Path, metavar="FILE", help="your key file")
    p.add_argument(
        "--share", required=True, type=Path, metavar="FILE", help="the share file to write"
    )
    p.add_argument(
        "--passphrase-file", type=Path, metavar="FILE", help="read the passphrase from FILE"
    )
    p.add_argument("--short-lived", action="store_true", help="accept a 2048-bit key")
    p.add_argument("--insecure-test-key", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=guarded(trustee_verb))


def register(verbs: Any) -> None:
    """``keygen start`` (administrator)."""
    parser = verbs.add_parser(
        "keygen", help="administrator: open a key generation by the committee"
    )
    sub = parser.add_subparsers(dest="keygen_verb", metavar="ACTION", required=True)
    text = "open a run in which the trustees generate the key together (no dealer)"
    p = sub.add_parser("start", help=text, description=text)
    add_server_argument(p)
    add_token_argument(p)
    p.add_argument("--election", required=True, metavar="ID", help="the election id")
    p.add_argument("--bits", type=int, default=3072, help="modulus size (default 3072)")
    p.add_argument("--batch", type=int, default=1024, help="candidates per attempt (default 1024)")
    p.add_argument(
        "--round-timeout",
        type=int,
        default=300,
        help="seconds a round waits for the slowest trustee before the run stops (default 300)",
    )
    p.set_defaults(handler=guarded(start_verb))
