"""What every networked verb shares: --server, the admin token, exit codes.

Exit codes (docs/cli.md): 0 done; 1 a local file could not be read or
written; 2 usage (bad options, a mistyped code); 3 the server refused (its
message is shown); 4 the server could not be reached after the retries; 5 the
server's answer failed verification.

The admin token is read from ``--token-file`` or the ``KIEMPHIEU_ADMIN_TOKEN``
environment variable, never from the command line (where ``ps`` would show it).
"""

from __future__ import annotations

import argparse
import functools
import os
import stat
import sys
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path

from .http import ApiClient, BadReply, NetworkError, ServerError, check_base_url, is_loopback

TOKEN_ENV = "KIEMPHIEU_ADMIN_TOKEN"  # noqa: S105 - the variable's name, not a token
DEFAULT_SERVER = "http://127.0.0.1:8080"


class ExitCode(IntEnum):
    OK = 0
    LOCAL = 1
    USAGE = 2
    REFUSED = 3
    NETWORK = 4
    VERIFICATION = 5


class UsageError(Exception):
    """Bad options or input; exit code 2."""


class LocalError(Exception):
    """A local file or resource failed; exit code 1."""


class NotReady(Exception):
    """The election is not at the step this command needs (exit code 3, like a
    refusal by the server): e.g. trustees missing before the ceremony."""


def add_server_argument(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    if required:
        parser.add_argument("--server", required=True, metavar="URL", help="the server's URL")
    else:
        parser.add_argument(
            "--server",
            default=DEFAULT_SERVER,
            metavar="URL",
            help=f"the server's URL (default {DEFAULT_SERVER})",
        )
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for an answer (default 60)",
    )


def add_token_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--token-file",
        type=Path,
        metavar="FILE",
        help=f"file holding the admin token (default: the {TOKEN_ENV} environment variable)",
    )


def read_admin_token(args: argparse.Namespace) -> str:
    """The admin token from --token-file or the environment; UsageError if neither."""
    path: Path | None = args.token_file
    if path is not None:
        try:
            mode = path.stat().st_mode
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"cannot read the token file {path}: {exc.strerror}") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            warn(f"the token file {path} is readable by other users; chmod 600 it")
    else:
        token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise UsageError(f"the admin token is needed: give --token-file FILE or set {TOKEN_ENV}")
    return token


def client_for(args: argparse.Namespace, *, admin: bool) -> ApiClient:
    """An API client for ``args.server``; with the admin token when ``admin``."""
    try:
        base = check_base_url(args.server)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    token = read_admin_token(args) if admin else None
    if admin and not base.startswith("https://") and not is_loopback(base):
        warn(f"{base} is plain HTTP: the admin token crosses the network unencrypted")
    return ApiClient(base, token=token, timeout_s=args.timeout)


def warn(message: str) -> None:
    print(f"kiemphieu: warning: {message}", file=sys.stderr)


def fail(code: ExitCode, message: str) -> int:
    print(f"kiemphieu: {message}", file=sys.stderr)
    return int(code)


Handler = Callable[[argparse.Namespace], int]


def guarded(handler: Handler) -> Handler:
    """Turn the client's exceptions into a message on stderr and an exit code."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            return int(handler(args))
        except UsageError as exc:
            return fail(ExitCode.USAGE, str(exc))
        except LocalError as exc:
            return fail(ExitCode.LOCAL, str(exc))
        except NotReady as exc:
            return fail(ExitCode.REFUSED, str(exc))
        except ServerError as exc:
            return fail(ExitCode.REFUSED, f"the server refused: {exc}")
        except NetworkError as exc:
            return fail(ExitCode.NETWORK, f"network failure: {exc}")
        except BadReply as exc:
            return fail(ExitCode.VERIFICATION, f"the server's answer does not verify: {exc}")

    return run
