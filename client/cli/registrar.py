"""``kiemphieu credentials issue``: make voters' codes, print their sheets, list their keys.

The codes are made here and never leave this machine: the server receives
only their Ed25519 public keys (docs/spec.md §8.4). The work is ordered so that
a code is never listed on the server without its sheet:

1. read the election (title, revote rule); check the font and the output files;
2. make N codes and derive their public keys;
3. write ``credentials.pdf``, ``credentials.csv`` and ``credentials.keys``
   (the public keys; temporary file, fsync, rename; mode 0600; existing files
   are kept unless ``--force``);
4. upload the public keys, in batches;
5. once the key ceremony is published, sign the roll with the registrar's key
   (registrar_keys.py): the server's roll must be the roll signed before plus
   exactly these keys, and the signature binds H_E. In a draft the roll is
   signed later, with ``credentials sign --sheets credentials.keys``.

If an upload fails, the server is asked which of the new keys it lists: none →
the files are deleted; some → the files are rewritten with exactly the listed
sheets; unknown (the server cannot be reached) → the files are kept and the
registrar is told to check before handing any sheet out. If the signing
step fails, ``credentials sign --sheets credentials.keys`` signs again later.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.board import roll_hash
from kiemphieu.crypto.election.credential import derive_key, new_code
from kiemphieu.crypto.election.manifest import Manifest
from kiemphieu.crypto.errors import DecodeError
from kiemphieu.crypto.primitives.paillier import KeyPolicy

from . import registrar_keys
from .connection import (
    ExitCode,
    LocalError,
    UsageError,
    add_server_argument,
    add_token_argument,
    client_for,
    fail,
    guarded,
    warn,
)
from .fonts import load_fonts, missing_glyphs
from .http import ApiClient, BadReply, NetworkError, ServerError, api_path
from .private_files import prepare_folder, remove_files, write_files
from .registrar_keys import election_registrar, open_registrar, sign_issued, signed_line
from .roll import RollRefused, fetch_roll
from .sheets import Sheet, render_csv, render_pdf

PDF_NAME = "credentials.pdf"
CSV_NAME = "credentials.csv"
KEYS_NAME = "credentials.keys"
MAX_COUNT = 100_000
SERVER_MAX_BATCH = 10_000


def fetch_manifest(client: ApiClient, election_id: str) -> Manifest:
    info = client.get(api_path("elections", election_id))
    try:
        manifest = codec.from_wire(Manifest, info.get("manifest"))
    except DecodeError as exc:
        raise BadReply(f"the election's manifest: {exc}") from None
    if manifest.election_id != election_id:
        raise BadReply(f"asked for election {election_id!r}, got {manifest.election_id!r}")
    return manifest


def in_draft(client: ApiClient, election_id: str) -> bool:
    """The election has no key ceremony yet (its roll cannot be signed yet)."""
    return client.get(api_path("elections", election_id)).get("key_ceremony") is None


# --- issuing ------------------------------------------------------------------


def upload(
    client: ApiClient, election_id: str, keys: Sequence[bytes], batch: int
) -> tuple[int, int]:
    """Send ``keys`` in batches; returns (keys sent, server total). Raises at the
    first failure (ServerError, NetworkError, BadReply)."""
    path = api_path("registrar", "elections", election_id, "credentials")
    total = 0
    for start in range(0, len(keys), batch):
        part = [k.hex() for k in keys[start : start + batch]]
        answer = client.post_json(path, {"credentials": part}, admin=True)
        if answer.get("added") != len(part) or not isinstance(answer.get("total"), int):
            raise BadReply(f"the server's answer to a batch of {len(part)} keys: {answer}")
        total = answer["total"]
    return len(keys), total


def listed_keys(client: ApiClient, election_id: str) -> set[bytes]:
    """The public keys the server lists for the election (public route)."""
    answer = client.get(api_path("elections", election_id, "credentials"))
    items = answer.get("credentials")
    if not isinstance(items, list):
        raise BadReply("the credential list is not a list")
    try:
        return {bytes.fromhex(k) for k in items if isinstance(k, str)}
    except ValueError:
        raise BadReply("the credential list holds a key that is not hex") from None


def issue(args: argparse.Namespace) -> int:
    count: int = args.count
    if not 1 <= count <= MAX_COUNT:
        raise UsageError(f"--count must be between 1 and {MAX_COUNT}")
    if not 1 <= args.batch_size <= SERVER_MAX_BATCH:
        raise UsageError(f"--batch-size must be between 1 and {SERVER_MAX_BATCH}")
    if args.first_sheet < 1:
        raise UsageError("--first-sheet must be 1 or more")
    policy = KeyPolicy.TESTING if args.insecure_test_key else KeyPolicy.STANDARD
    seed = open_registrar(args.registrar_key, args.passphrase_file)
    client = client_for(args, admin=True)
    folder: Path = args.out
    fonts = load_fonts(args.font_dir)
    manifest = fetch_manifest(client, args.election)
    card = election_registrar(client, args.election, seed)
    listed, signed = fetch_roll(client, args.election)
    if listed and (signed is None or signed.roll_hash != roll_hash(listed)):
        if signed is not None or not in_draft(client, args.election):
            raise RollRefused(
                f"the server lists {len(listed)} credentials that the registrar's last "
                "signature does not cover; sign the earlier ones first (kiemphieu credentials "
                "sign --sheets their credentials.keys) or find out who added them"
            )
        warn(
            f"the server lists {len(listed)} credentials that the registrar has not signed yet "
            "(a draft): signing the roll will need the credentials.keys files of all of them"
        )
    if count > manifest.max_ballots:
        raise UsageError(f"the election's counters hold at most {manifest.max_ballots} ballots")
    missing = missing_glyphs(fonts.bold, manifest.title.vi + manifest.title.en)
    if missing:
        warn(f"the font cannot draw these characters of the title: {missing}")
    prepare_folder(folder)
    if not args.force:
        taken = [str(folder / n) for n in (PDF_NAME, CSV_NAME, KEYS_NAME) if (folder / n).exists()]
        if taken:
            raise UsageError(f"{', '.join(taken)} exists; pass --force to replace it")

    sheets = [Sheet(args.first_sheet + i, new_code()) for i in range(count)]
    keys = [derive_key(s.code, manifest.election_id, card.identity_key).public for s in sheets]
    if len(set(keys)) != len(keys):  # 130-bit codes: never expected
        raise LocalError("two fresh codes gave the same key; run the command again")
    revote = manifest.rules.revote if manifest.rules is not None else None

    key_of = dict(zip((s.number for s in sheets), keys, strict=True))

    def render(chosen: Sequence[Sheet]) -> dict[str, bytes]:
        pdf = render_pdf(
            chosen,
            title=manifest.title,
            election_id=manifest.election_id,
            revote=revote,
            fonts=fonts,
        )
        listing = "".join(key_of[s.number].hex() + "\n" for s in chosen).encode("ascii")
        return {PDF_NAME: pdf, CSV_NAME: render_csv(chosen), KEYS_NAME: listing}

    paths = write_files(folder, render(sheets), force=args.force)
    try:
        sent, total = upload(client, manifest.election_id, keys, args.batch_size)
    except (ServerError, NetworkError, BadReply) as exc:
        return _after_failed_upload(
            client,
            manifest.election_id,
            sheets=sheets,
            keys=keys,
            paths=paths,
            error=exc,
            render=render,
        )
    first, last = sheets[0].number, sheets[-1].number
    print(
        f"issued {sent} credentials for {manifest.election_id} (sheets {first}–{last}); "
        f"the server lists {total} in all\n  {paths[0]}\n  {paths[1]}\n  {paths[2]}"
    )
    sign_later = (
        f"kiemphieu credentials sign --election {manifest.election_id} "
        f"--registrar-key {args.registrar_key} --sheets {paths[2]}"
    )
    try:
        roll = sign_issued(
            client, manifest.election_id, keys, key=(args.registrar_key, seed), policy=policy
        )
    except (ServerError, NetworkError, BadReply) as exc:
        code = {ServerError: ExitCode.REFUSED, NetworkError: ExitCode.NETWORK}.get(
            type(exc), ExitCode.VERIFICATION
        )
        return fail(
            code,
            f"the credentials are listed, but the roll is not signed ({exc}). The poll cannot "
            f"open until it is: {sign_later}",
        )
    if roll is None:
        print(
            "The roll is signed after the key ceremony (the signature binds it). Keep "
            f"{paths[2].name} (public keys, no codes) and run then:\n  {sign_later}\n"
            f"Print the sheets, hand one to each voter, then destroy {PDF_NAME} and {CSV_NAME}."
        )
        return 0
    print(
        f"{signed_line(roll)}\n"
        f"Print the sheets, hand one to each voter, then destroy {PDF_NAME} and {CSV_NAME}."
    )
    return 0


def _after_failed_upload(
    client: ApiClient,
    election_id: str,
    *,
    sheets: Sequence[Sheet],
    keys: Sequence[bytes],
    paths: Sequence[Path],
    error: Exception,
    render: Callable[[Sequence[Sheet]], dict[str, bytes]],
) -> int:
    """Make the files hold exactly the sheets whose keys the server lists."""
    code = {ServerError: ExitCode.REFUSED, NetworkError: ExitCode.NETWORK}.get(
        type(error), ExitCode.VERIFICATION
    )
    reason = f"the server refused: {error}" if isinstance(error, ServerError) else str(error)
    try:
        on_server = listed_keys(client, election_id)
    except (ServerError, NetworkError, BadReply) as exc:
        return fail(
            code,
            f"upload failed ({reason}); cannot tell which keys the server lists ({exc}). "
            f"The sheets are KEPT in {paths[0].parent}: do not hand any out before checking "
            f"the server's list (GET {api_path('elections', election_id, 'credentials')}).",
        )
    kept = [s for s, k in zip(sheets, keys, strict=True) if k in on_server]
    if not kept:
        remove_files(paths)
        return fail(code, f"{reason}\nNothing was issued: the sheets were deleted.")
    try:
        write_files(paths[0].parent, render(kept), force=True)
    except (LocalError, UsageError) as exc:
        return fail(
            ExitCode.LOCAL,
            f"upload stopped after {len(kept)} of {len(sheets)} keys ({reason}), and the "
            f"files could not be rewritten ({exc}): the files hold {len(sheets)} sheets, of "
            f"which only the first {len(kept)} are listed.",
        )
    return fail(
        code,
        f"{reason}\nOnly {len(kept)} of {len(sheets)} credentials were listed (sheets "
        f"{kept[0].number}–{kept[-1].number}); the files now hold exactly those sheets.",
    )


def register(verbs: Any) -> None:
    """Add ``credentials issue`` to the CLI."""
    parser = verbs.add_parser("credentials", help="issue voters' credentials (registrar)")
    sub = parser.add_subparsers(dest="credentials_verb", metavar="ACTION", required=True)
    p = sub.add_parser(
        "issue",
        help="make codes, write their sheets (PDF, CSV) and list their public keys",
        description=(
            "Make N fresh credential codes, write one A4 sheet per voter to "
            f"DIR/{PDF_NAME} and a mail-merge list to DIR/{CSV_NAME} (mode 0600), then "
            "send only the public keys to the server. The codes never leave this machine."
        ),
    )
    p.add_argument("--election", required=True, metavar="ID", help="the election id")
    p.add_argument("--count", required=True, type=int, metavar="N", help="how many voters")
    p.add_argument(
        "--registrar-key",
        required=True,
        type=Path,
        metavar="FILE",
        help="the registrar key file (kiemphieu registrar init), which signs the roll",
    )
    p.add_argument(
        "--passphrase-file",
        type=Path,
        metavar="FILE",
        help="read the registrar key's passphrase from FILE",
    )
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="folder for the files")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace existing files (their codes, if listed, stay on the server)",
    )
    p.add_argument(
        "--first-sheet",
        type=int,
        default=1,
        metavar="K",
        help="number of the first sheet (default 1; for a second batch)",
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=500,
        metavar="B",
        help="public keys per request (default 500)",
    )
    p.add_argument(
        "--font-dir",
        type=Path,
        metavar="DIR",
        help="folder holding DejaVuSans.ttf and DejaVuSans-Bold.ttf (default: the system's)",
    )
    p.add_argument("--insecure-test-key", action="store_true", help=argparse.SUPPRESS)
    add_server_argument(p)
    add_token_argument(p)
    p.set_defaults(handler=guarded(issue))
    registrar_keys.register(verbs, sub)
