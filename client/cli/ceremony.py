"""``kiemphieu ceremony``: the dealer's key ceremony for one election (docs/spec.md §4).

Run by the administrator on a machine that then forgets: it fetches the
manifest (ℓ trustees, threshold t) and the ℓ registered trustees, deals the
threshold key in memory, checks each share against its verification key,
seals share i to trustee i's X25519 key (or locks it with a passphrase the
trustee types, ``--passphrases``), publishes the key ceremony and writes its
public part. p, q and d never leave :func:`~kiemphieu.crypto.primitives.threshold.deal`;
the dealing itself (with the shares in clear) lives only in memory and is
dropped before this command returns. If the server refuses the key, the share
files are deleted: they belong to a key that no election uses. If its answer is
lost, the server is asked whether it holds the key; the files are deleted only
when it surely does not.

Sizes: 3072 bits by default, 4096 allowed; 2048 only with ``--short-lived``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacl.exceptions import CryptoError

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.ceremony import KeyCeremony, publish, verify_key_ceremony
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.manifest import Manifest
from kiemphieu.crypto.election.trustee import Trustee
from kiemphieu.crypto.errors import KiemphieuCryptoError
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.primitives.threshold import KeyShare, check_share, deal

from .connection import (
    LocalError,
    NotReady,
    UsageError,
    add_server_argument,
    add_token_argument,
    client_for,
    guarded,
    warn,
)
from .http import ApiClient, BadReply, NetworkError, ServerError, api_path
from .keystore import KeystoreError, save_share, write_private
from .passphrase import new_passphrase
from .registrar import fetch_manifest, prepare_folder
from .trustee import fetch_trustees
from .voter import INSECURE_WARNING

CEREMONY_NAME = "key-ceremony.json"
SHORT_LIVED_WARNING = (
    "a 2048-bit key is for a short-lived election only: ballots may become "
    "decryptable within years. Use 3072 bits unless you mean it."
)

Passphrase = Callable[[int, str], str]
"""Asks trustee ``index`` (named) for the passphrase of its share file."""


@dataclass(frozen=True)
class CeremonyOutcome:
    """What the ceremony leaves: public files and the time the dealing took."""

    shares: tuple[Path, ...]
    ceremony: Path
    base_hash: str
    seconds: float


def share_path(folder: Path, index: int) -> Path:
    return folder / f"share-{index}.json"


def committee(client: ApiClient, election_id: str) -> tuple[Manifest, dict[int, Trustee]]:
    """The manifest and its ℓ registered trustees (indices 1..ℓ, distinct keys);
    NotReady when the election is past its draft or some trustees are missing."""
    state = client.get(api_path("elections", election_id)).get("state")
    if state != "draft":
        raise NotReady(f"election {election_id} is {state}; the key ceremony is held at draft")
    manifest = fetch_manifest(client, election_id)
    if manifest.rules is None:
        raise BadReply("the manifest has no rules (trustees, threshold)")
    ell = manifest.rules.trustees
    members = fetch_trustees(client, election_id)
    missing = sorted(set(range(1, ell + 1)) - set(members))
    if missing or len(members) != ell:
        raise NotReady(
            f"{len(members)} of {ell} trustees are registered (missing {missing}); register "
            "every trustee (kiemphieu admin trustee) before the ceremony"
        )
    if len({m.encryption_key for m in members.values()}) != ell:
        raise BadReply("two trustees share one encryption key: one person would hold two shares")
    return manifest, members


def _seal(
    shares: Sequence[KeyShare],
    paths: Sequence[Path],
    election_id: str,
    members: Mapping[int, Trustee],
    secrets: Sequence[str] | None,
) -> None:
    """Write share i to ``paths[i - 1]``, sealed or locked; all files or none."""
    written: list[Path] = []
    try:
        for share, path in zip(shares, paths, strict=True):
            if secrets is None:
                recipient = members[share.index].encryption_key
                save_share(path, share, election_id, recipient=recipient)
            else:
                save_share(path, share, election_id, passphrase=secrets[share.index - 1])
            written.append(path)
    except (KeystoreError, OSError, CryptoError) as exc:
        _remove(written)
        raise LocalError(f"cannot write share file {len(written) + 1}: {exc}") from None


def run_ceremony(
    client: ApiClient,
    election_id: str,
    folder: Path,
    bits: int,
    policy: KeyPolicy,
    *,
    passphrase: Passphrase | None = None,
) -> CeremonyOutcome:
    """Deal, check, seal, publish, write; see the module docstring."""
    _check_bits(bits, policy)
    manifest, members = committee(client, election_id)
    rules = manifest.rules
    if rules is None:  # pragma: no cover - committee() refused it
        raise BadReply("the manifest has no rules")
    prepare_folder(folder)
    paths = tuple(share_path(folder, i) for i in range(1, rules.trustees + 1))
    taken = [str(p) for p in (*paths, folder / CEREMONY_NAME) if p.exists()]
    if taken:
        raise UsageError(f"{', '.join(taken)} exists; use a new folder")
    secrets = [passphrase(i, members[i].name) for i in sorted(members)] if passphrase else None

    clock = time.perf_counter()
    dealing = deal(election_id, bits, rules.threshold, rules.trustees, policy)
    seconds = time.perf_counter() - clock
    public = publish(dealing, election_id)
    try:
        ctx = ElectionContext(manifest, verify_key_ceremony(public, policy).key, policy)
        for share in dealing.shares:
            check_share(share)
    except KiemphieuCryptoError as exc:  # a dealer bug: publish nothing
        raise LocalError(f"the dealing does not verify: {exc}") from None
    _seal(dealing.shares, paths, election_id, members, secrets)
    del dealing  # the shares in clear are not needed any more
    try:
        info = client.post(
            api_path("admin", "elections", election_id, "keys"), codec.dumps(public), admin=True
        )
    except ServerError:  # refused: no election uses this key
        _remove(paths)
        raise
    except (NetworkError, BadReply) as exc:  # did the server take it?
        info = _after_failed_publish(client, election_id, public, paths, exc)
    if info.get("base_hash") != ctx.hash.hex():
        raise BadReply("the server's base hash differs from the one computed here")
    ceremony_path = folder / CEREMONY_NAME
    try:
        write_private(ceremony_path, codec.to_wire(public))
    except (KeystoreError, OSError) as exc:
        raise LocalError(
            f"the key is published, but {ceremony_path} is not written: {exc}"
        ) from None
    return CeremonyOutcome(paths, ceremony_path, ctx.hash.hex(), seconds)


def _after_failed_publish(
    client: ApiClient,
    election_id: str,
    public: KeyCeremony,
    paths: Sequence[Path],
    error: Exception,
) -> dict[str, Any]:
    """The election's description if the server holds this very key; otherwise the
    share files are deleted (no key) or kept (the server cannot tell) and this raises."""
    try:
        info = client.get(api_path("elections", election_id))
    except (ServerError, NetworkError, BadReply):
        raise LocalError(
            f"publishing the key failed ({error}), and the server cannot tell whether it took "
            f"it. The share files are KEPT in {paths[0].parent}: check the election's key "
            "ceremony on the server before handing them out or holding a new ceremony."
        ) from None
    if info.get("key_ceremony") == codec.to_wire(public):
        return info
    _remove(paths)
    raise error


def _check_bits(bits: int, policy: KeyPolicy) -> None:
    try:
        policy.check_bits(bits)
    except KiemphieuCryptoError as exc:
        raise UsageError(str(exc)) from None


def _remove(paths: Sequence[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


def ceremony_verb(args: argparse.Namespace) -> int:
    if args.insecure_test_key:
        print(INSECURE_WARNING, file=sys.stderr)
        policy = KeyPolicy.TESTING
    elif args.short_lived:
        warn(SHORT_LIVED_WARNING)
        policy = KeyPolicy.SHORT_LIVED
    else:
        policy = KeyPolicy.STANDARD
    _check_bits(args.bits, policy)
    client = client_for(args, admin=True)

    def ask(index: int, name: str) -> str:
        return new_passphrase(f"trustee {index}'s share ({name})", None)

    print(f"dealing a {args.bits}-bit threshold key for {args.election}; this takes a while…")
    outcome = run_ceremony(
        client,
        args.election,
        args.out,
        args.bits,
        policy,
        passphrase=ask if args.passphrases else None,
    )
    print(
        f"key published for {args.election}; base hash {outcome.base_hash}\n"
        f"dealing took {outcome.seconds:.1f} s\n"
        f"public key ceremony: {outcome.ceremony}\n"
        "share files (give share-<i>.json to trustee i only):\n"
        + "\n".join(f"  {p}" for p in outcome.shares)
    )
    return 0


def register(verbs: Any) -> None:
    """Add ``ceremony`` to the CLI."""
    text = "deal the election's threshold key, seal each trustee's share, publish the key"
    p = verbs.add_parser("ceremony", help=text, description=text)
    add_server_argument(p, required=True)
    add_token_argument(p)
    p.add_argument("--election", required=True, metavar="ID", help="the election id")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder for the files")
    p.add_argument(
        "--bits", type=int, default=3072, help="modulus size: 3072 (default), 4096, or 2048"
    )
    p.add_argument(
        "--short-lived",
        action="store_true",
        help="allow a 2048-bit key for an election whose secrecy matters only briefly",
    )
    p.add_argument(
        "--passphrases",
        action="store_true",
        help="lock each share with a passphrase its trustee types here (default: seal it "
        "to the trustee's registered key)",
    )
    p.add_argument("--insecure-test-key", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(handler=guarded(ceremony_verb))
