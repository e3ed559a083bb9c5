"""The ``kiemphieu`` command: one verb per task (docs/cli.md)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, entry_points, version

from . import (
    admin,
    audit,
    ceremony,
    demo,
    keygen,
    minutes,
    observer,
    record,
    registrar,
    results,
    trustee,
    voter,
)


def package_version() -> str:
    """The installed distribution's version."""
    try:
        return version("kiemphieu")
    except PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiemphieu",
        description=(
            "kiemphieu: verifiable secret ballots with threshold Paillier encryption "
            "(confidence votes, motions, referendums, elections)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"kiemphieu {package_version()}")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND")
    bench = verbs.add_parser(
        "bench", help="measure the cryptographic costs on this machine (2048 and 3072 bits)"
    )
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.add_argument(
        "--bits",
        type=int,
        action="append",
        choices=(2048, 3072, 4096),
        help="modulus size to measure (repeatable; default 2048 and 3072)",
    )
    bench.add_argument(
        "--repeat", type=int, default=3, help="repetitions of each timed step (default 3)"
    )
    bench.add_argument(
        "--batch", type=int, default=50, help="ballots in a verification batch (default 50)"
    )
    bench.add_argument(
        "--ceremonies", type=int, default=3, help="dealer ceremonies timed per size (default 3)"
    )
    registrar.register(verbs)
    voter.register(verbs)
    audit.register(verbs)
    admin.register(verbs)
    keygen.register_trustee(trustee.register(verbs))
    keygen.register(verbs)
    ceremony.register(verbs)
    results.register(verbs)
    demo.register(verbs)
    minutes.register(verbs)
    observer.register(verbs)
    record.register(verbs)
    for verb in entry_points(group="kiemphieu.verbs"):
        verb.load()(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is not None:
        return int(handler(args))
    if args.verb == "bench":
        from .bench import run_bench  # noqa: PLC0415 - loaded only for this verb

        return int(
            run_bench(
                bits=tuple(args.bits or (2048, 3072)),
                repeat=args.repeat,
                batch=args.batch,
                ceremonies=args.ceremonies,
                as_json=args.json,
                out=sys.stdout,
            )
        )
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
