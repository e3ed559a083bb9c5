"""Test only: the election server in a child process, as production runs it.

Run as a script, this starts gunicorn (pre-forking, 2 ``gthread`` workers)
serving ``create_app(ServerConfig(..., key_policy=KeyPolicy.TESTING))``, so
the tests' 512-bit keys are accepted; production never runs this file::

    python tests/support/server_process.py --db URL --data DIR --port P --token-file F

With ``--record-gate DIR`` every record build (server/record_builder.py) holds,
its temporary file made, until ``DIR/<election id>`` or ``DIR/all`` exists:
tests see the server answer 202 while it builds, or kill it mid-build.

Like ``kiemphieu serve``, the parent opens and migrates the database and makes
the admin token on first start; the token goes to ``--token-file`` (mode 0600)
instead of the terminal. :class:`ServerProcess` starts the script in its own
process group, waits until ``/api/server`` answers, and stops it (SIGTERM) or
kills the whole group (SIGKILL) for crash tests.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()


# --- the child: gunicorn around create_app --------------------------------------


def _serve(argv: list[str] | None = None) -> int:
    from gunicorn.app.base import BaseApplication

    from kiemphieu.crypto.primitives.paillier import KeyPolicy
    from kiemphieu.server.app import create_app
    from kiemphieu.server.config import RateLimit, ServerConfig
    from kiemphieu.server.identity import ensure_admin_token
    from kiemphieu.server.storage.database import open_database

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True, help="database URL")
    parser.add_argument("--data", type=Path, required=True, help="data folder")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token-file", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--batch-window-ms", type=float, default=5.0)
    parser.add_argument("--web-root", type=Path, help="serve the booth's pages from this folder")
    parser.add_argument("--record-gate", type=Path, help="hold record builds until released")
    args = parser.parse_args(argv)
    hook = None if args.record_gate is None else _gate(args.record_gate)

    config = ServerConfig(
        db_url=args.db,
        data_dir=args.data,
        key_policy=KeyPolicy.TESTING,
        batch_window_s=args.batch_window_ms / 1000,
        # the suites drive many elections through one server; tests/server/test_limits.py
        # checks the limiter itself
        admin_rate=RateLimit(100_000, 60.0),
        web_root=args.web_root,
    )
    db = open_database(config.db_url)
    token = ensure_admin_token(db)
    db.dispose()
    if token is not None:
        fd = os.open(args.token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(token)

    class Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options = {
                "bind": f"127.0.0.1:{args.port}",
                "workers": args.workers,
                "threads": args.threads,
                "worker_class": "gthread",
                "timeout": 60,
                "graceful_timeout": 5,
                "errorlog": "-",
                "loglevel": "warning",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return create_app(config, record_hook=hook)

    Gunicorn().run()
    return 0


def _gate(folder: Path) -> Callable[[str, object], None]:
    """A record-build hook that holds each build until ``folder/<election id>``
    or ``folder/all`` exists (five minutes at most)."""

    def hold(election_id: str, _state: object) -> None:
        deadline = time.monotonic() + 300
        while not ((folder / election_id).exists() or (folder / "all").exists()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the record build of {election_id} was never released")
            time.sleep(0.02)

    return hold


# --- the parent: start, wait, stop, kill ---------------------------------------


def free_port() -> int:
    """A TCP port on loopback that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _group_alive(pgid: int) -> bool:
    """True while a process of group ``pgid`` is alive (zombies count as gone)."""
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: trust the signal
        return False
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after ")".
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


class ServerProcess:
    """One run of the server script; a new instance for each (re)start."""

    def __init__(
        self,
        db_url: str,
        data_dir: Path,
        *,
        workers: int = 2,
        threads: int = 8,
        batch_window_ms: float = 5.0,
        web_root: Path | None = None,
        record_gate: Path | None = None,
    ) -> None:
        self.db_url = db_url
        self.record_gate = record_gate
        self.data_dir = data_dir
        self.workers = workers
        self.threads = threads
        self.batch_window_ms = batch_window_ms
        self.web_root = web_root
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "server.log"
        self.token_path = data_dir / "admin-token"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def token(self) -> str:
        """The admin token written by the first start on this database."""
        return self.token_path.read_text().strip()

    def start(self, timeout: float = 30.0) -> ServerProcess:
        """Start the script in a new session (its own process group) and wait
        until ``GET /api/server`` answers 200."""
        import requests

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        cmd = [
            sys.executable,
            str(HERE),
            "--db",
            self.db_url,
            "--data",
            str(self.data_dir),
            "--port",
            str(self.port),
            "--token-file",
            str(self.token_path),
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--batch-window-ms",
            str(self.batch_window_ms),
        ]
        if self.web_root is not None:
            cmd += ["--web-root", str(self.web_root)]
        if self.record_gate is not None:
            cmd += ["--record-gate", str(self.record_gate)]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/api/server", timeout=2).status_code == 200:
                    return self
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server did not answer within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        """The tail of the server's output."""
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return ""

    def kill(self) -> None:
        """SIGKILL the whole process group (arbiter and workers) and reap the arbiter."""
        self._signal_group(signal.SIGKILL)

    def stop(self) -> None:
        """A graceful stop (SIGTERM to the group); SIGKILL if it lingers."""
        self._signal_group(signal.SIGTERM, wait=10.0)

    def _signal_group(self, sig: signal.Signals, wait: float = 10.0) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)  # the group id is the child's pid (new session)
        try:
            self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=wait)
        # The workers are in the same group: wait until none of them still runs.
        deadline = time.monotonic() + wait
        while _group_alive(self.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.proc = None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    sys.exit(_serve())
