"""``kiemphieu ceremony``: the dealer's key ceremony of an election (docs/spec.md §4, §6).

Run by the administrator on a machine that then forgets: it fetches the
manifest (ℓ trustees, threshold t), the ℓ registered trustees' signed cards
and the registrar's card, checks every card (signature, ring-Pedersen
parameters and their proof Π^prm: a factor proof to parameters with s ∉ ⟨t⟩
would leak p), deals the threshold key in memory with a no-small-factor proof
to each trustee, checks each share against its verification key, seals share
i with the election's base hash to trustee i's X25519 key (or locks it with a
passphrase the trustee types, ``--passphrases``), publishes the key ceremony
and writes its public part.

The trust this costs is printed on every run: during the run this machine
holds p and q and could decrypt every ballot if it kept them; nothing can
check that it forgot them (docs/threat-model.md). p, q and d never leave
:func:`~kiemphieu.crypto.primitives.threshold.deal`; the dealing itself (with the
shares in clear) lives only in memory and is dropped before this command
returns. If the server refuses the key, the share files are deleted: they
belong to a key that no election uses. If its answer is lost, the server is
asked whether it holds the key; the files are deleted only when it surely does
not.

Sizes: 3072 bits by default, 4096 allowed; 2048 only with ``--short-lived``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacl.exceptions import CryptoError

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.ceremony import KeyCeremony, publish, verify_key_ceremony
from kiemphieu.crypto.election.committee import Committee, Registrar, Trustee, verify_committee
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.manifest import Manifest
from kiemphieu.crypto.errors import DecodeError, KiemphieuCryptoError
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
from .keystore import KeystoreError, fingerprint, save_share, write_private
from .passphrase import new_passphrase
from .private_files import prepare_folder, remove_files
from .registrar import fetch_manifest
from .trustee import fetch_trustees
from .voter import INSECURE_WARNING

CEREMONY_NAME = "key-ceremony.json"
TRUST_COST = (
    "TRUST: this is a dealer ceremony. While it runs, this machine holds the primes p and q, "
    "with which anyone could decrypt every ballot of the election; the protocol cannot check "
    "that they are forgotten. Run it on an offline machine, wiped before and after, with the "
    "committee watching (docs/threat-model.md)."
)
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
    committee: Committee


def share_path(folder: Path, index: int) -> Path:
    return folder / f"share-{index}.json"


def fetch_registrar(client: ApiClient, election_id: str) -> Registrar | None:
    """The registrar's card as the server lists it (None before it is registered)."""
    raw = client.get(api_path("elections", election_id, "registrar")).get("registrar")
    try:
        return None if raw is None else codec.from_wire(Registrar, raw)
    except DecodeError as exc:
        raise BadReply(f"the registrar's card: {exc}") from None


def committee(client: ApiClient, election_id: str, policy: KeyPolicy) -> tuple[Manifest, Committee]:
    """The manifest and its committee: ℓ registered trustees (indices 1..ℓ,
    distinct keys, every card signed with valid ring-Pedersen parameters) and the
    registrar; NotReady when the election is past its draft or someone is
    missing, BadReply when a card does not verify."""
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
    registrar = fetch_registrar(client, election_id)
    if registrar is None:
        raise NotReady(
            "the registrar's card is not registered; register it (kiemphieu admin registrar) "
            "before the ceremony"
        )
    chosen = Committee(tuple(members[i] for i in range(1, ell + 1)), registrar)
    try:
        verify_committee(chosen, ell, policy)
    except KiemphieuCryptoError as exc:
        raise BadReply(f"the committee: {exc}; no key was dealt") from None
    return manifest, chosen


def _seal(
    shares: Sequence[KeyShare],
    paths: Sequence[Path],
    election_id: str,
    *,
    election_hash: bytes,
    members: Mapping[int, Trustee],
    secrets: Sequence[str] | None,
) -> None:
    """Write share i with H_E to ``paths[i - 1]``, sealed or locked; all files or none."""
    written: list[Path] = []
    try:
        for share, path in zip(shares, paths, strict=True):
            if secrets is None:
                recipient = members[share.index].encryption_key
                save_share(path, share, election_id, election_hash, recipient=recipient)
            else:
                save_share(
                    path, share, election_id, election_hash, passphrase=secrets[share.index - 1]
                )
            written.append(path)
    except (KeystoreError, OSError, CryptoError) as exc:
        remove_files(written)
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
    manifest, chosen = committee(client, election_id, policy)
    members = {m.index: m for m in chosen.trustees}
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
    verifiers = [m.pedersen for m in chosen.trustees]
    dealing = deal(election_id, bits, rules.threshold, rules.trustees, policy, verifiers=verifiers)
    seconds = time.perf_counter() - clock
    public = publish(dealing, election_id, chosen)
    try:
        ctx = ElectionContext(manifest, verify_key_ceremony(public, policy).ceremony, policy)
        for share in dealing.shares:
            check_share(share)
    except KiemphieuCryptoError as exc:  # a dealer bug: publish nothing
        raise LocalError(f"the dealing does not verify: {exc}") from None
    _seal(
        dealing.shares,
        paths,
        election_id,
        election_hash=ctx.hash,
        members=members,
        secrets=secrets,
    )
    del dealing  # the shares in clear are not needed any more
    try:
        info = client.post(
            api_path("admin", "elections", election_id, "keys"), codec.dumps(public), admin=True
        )
    except ServerError:  # refused: no election uses this key
        remove_files(paths)
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
    return CeremonyOutcome(paths, ceremony_path, ctx.hash.hex(), seconds, chosen)


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
    remove_files(paths)
    raise error


def _check_bits(bits: int, policy: KeyPolicy) -> None:
    try:
        policy.check_bits(bits)
    except KiemphieuCryptoError as exc:
        raise UsageError(str(exc)) from None


DEALER_REQUIRED = (
    "kiemphieu ceremony deals the key from this one machine, which holds p and q while it "
    "runs. Pass --dealer to accept that trust, or have the committee generate the key with "
    "no dealer: kiemphieu keygen start, then kiemphieu trustee keygen on each trustee's "
    "machine (docs/cli.md)"
)


def ceremony_verb(args: argparse.Namespace) -> int:
    if not args.dealer:
        raise UsageError(DEALER_REQUIRED)
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

    warn(TRUST_COST)
    print(f"dealing a {args.bits}-bit threshold key for {args.election}; this takes a while…")
    outcome = run_ceremony(
        client,
        args.election,
        args.out,
        args.bits,
        policy,
        passphrase=ask if args.passphrases else None,
    )
    members = "\n".join(
        f"  {m.index}. {m.name}{', ' + m.role if m.role else ''}  [{fingerprint(m.identity_key)}]"
        for m in outcome.committee.trustees
    )
    registrar = outcome.committee.registrar
    print(
        f"key published for {args.election}; base hash {outcome.base_hash}\n"
        f"dealt to the committee (each card signed by its member; compare the fingerprints):\n"
        f"{members}\n"
        f"  registrar: {registrar.name}  [{fingerprint(registrar.identity_key)}]\n"
        f"dealing took {outcome.seconds:.1f} s\n"
        f"public key ceremony: {outcome.ceremony}\n"
        "share files (give share-<i>.json to trustee i only):\n"
        + "\n".join(f"  {p}" for p in outcome.shares)
    )
    return 0


def register(verbs: Any) -> None:
    """Add ``ceremony`` to the CLI."""
    text = (
        "the dealer ceremony (--dealer): deal the election's threshold key from this machine, "
        "seal each trustee's share, publish the key"
    )
    p = verbs.add_parser("ceremony", help=text, description=text)
    p.add_argument(
        "--dealer",
        action="store_true",
        help="accept that this machine holds p and q while it deals (required; the "
        "alternative is kiemphieu keygen start)",
    )
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
