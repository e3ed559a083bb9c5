"""Passphrases for trustee key and share files: asked without echo, or read from a file.

A new passphrase is asked twice (the two must match) and must have at least
``MIN_LENGTH`` characters. ``--passphrase-file`` exists for automation and the
tests: the file's first line is the passphrase, and a file that other users
can read draws a warning. A passphrase never appears on the command line, in
a message or in a log.
"""

from __future__ import annotations

import getpass
import stat
import sys
from pathlib import Path

from .connection import UsageError, warn

MIN_LENGTH = 8
MAX_FILE_BYTES = 4096


def read_passphrase_file(path: Path) -> str:
    """The first line of ``path`` (without its line end); UsageError if unreadable or empty."""
    try:
        mode = path.stat().st_mode
        with path.open("rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read the passphrase file {path}: {exc.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise UsageError(f"the passphrase file {path} is larger than {MAX_FILE_BYTES} bytes")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn(f"the passphrase file {path} is readable by other users; chmod 600 it")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"the passphrase file {path} is not UTF-8") from None
    lines = text.splitlines()
    passphrase = lines[0] if lines else ""
    if not passphrase:
        raise UsageError(f"the passphrase file {path} is empty")
    return passphrase


def _need_terminal(option: str) -> None:
    if not sys.stdin.isatty():
        raise UsageError(f"no terminal to ask for the passphrase: give {option} FILE")


def ask_passphrase(prompt: str, file: Path | None, *, option: str = "--passphrase-file") -> str:
    """An existing passphrase: from ``file``, else asked once without echo."""
    if file is not None:
        return read_passphrase_file(file)
    _need_terminal(option)
    typed = getpass.getpass(prompt)
    if not typed:
        raise UsageError("an empty passphrase is refused")
    return typed


def check_new(passphrase: str) -> str:
    """``passphrase`` if long enough for a new key or share file; UsageError otherwise."""
    if len(passphrase) < MIN_LENGTH:
        raise UsageError(f"a new passphrase needs at least {MIN_LENGTH} characters")
    return passphrase


def new_passphrase(who: str, file: Path | None, *, option: str = "--passphrase-file") -> str:
    """A new passphrase for ``who``: from ``file``, else asked twice without echo."""
    if file is not None:
        return check_new(read_passphrase_file(file))
    _need_terminal(option)
    first = getpass.getpass(f"New passphrase for {who}: ")
    check_new(first)
    if getpass.getpass("Repeat the passphrase: ") != first:
        raise UsageError("the two passphrases differ")
    return first
