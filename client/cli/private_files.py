"""Private files written whole or not at all (credential sheets, the key
ceremony's sealed shares): mode 0600, a temporary file, fsync, then a rename
that never replaces an existing file unless asked to."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from .connection import LocalError, UsageError


def _write_temp(folder: Path, name: str, data: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return Path(tmp)


def install_file(tmp: Path, final: Path, *, force: bool) -> None:
    """Move ``tmp`` to ``final``; without ``force`` never replace an existing file
    (FileExistsError)."""
    if force:
        os.replace(tmp, final)
        return
    try:
        os.link(tmp, final)  # atomic: fails if ``final`` exists
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links
        if final.exists():
            raise FileExistsError(final) from None
        os.replace(tmp, final)
        return
    os.unlink(tmp)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_files(folder: Path, files: Mapping[str, bytes], *, force: bool) -> list[Path]:
    """Write every file or none (mode 0600); returns their paths."""
    finals = [folder / name for name in files]
    if not force:
        taken = [str(p) for p in finals if p.exists()]
        if taken:
            raise UsageError(f"{', '.join(taken)} exists; pass --force to replace it")
    temps: list[Path] = []
    done: list[Path] = []
    try:
        for name, data in files.items():
            temps.append(_write_temp(folder, name, data))
        for tmp, final in zip(temps, finals, strict=True):
            install_file(tmp, final, force=force)
            done.append(final)
    except FileExistsError as exc:
        remove_files([*temps, *done])
        raise UsageError(f"{exc} exists; pass --force to replace it") from None
    except OSError as exc:
        remove_files([*temps, *done])
        raise LocalError(f"cannot write in {folder}: {exc.strerror or exc}") from None
    _fsync_dir(folder)
    return finals


def remove_files(paths: Sequence[Path]) -> None:
    for p in paths:
        with contextlib.suppress(OSError):
            p.unlink()


def prepare_folder(folder: Path) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise LocalError(f"cannot create {folder}: {exc.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise LocalError(f"cannot write in {folder}")
