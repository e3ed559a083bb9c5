"""The demo's server: ``kiemphieu serve`` in a child process, on SQLite in the demo folder.

The demo talks to it over HTTP like any client (kiemphieu.client never
imports kiemphieu.server). On its first start the server prints the new admin
token to its standard error; a reader thread takes it from there, so the
token never reaches the log file, and the demo writes it to
``DIR/admin-token`` (mode 0600) for the commands it suggests. Everything else
the server prints goes to ``DIR/server.log``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import requests

from .connection import LocalError

TOKEN_LINE = "New admin token"  # noqa: S105 - the line announcing it, not a token
START_TIMEOUT_S = 60.0


@dataclass
class DemoServer:
    """A running child server: its URL and where its admin token is."""

    url: str
    token_file: Path
    proc: subprocess.Popen[str] = field(repr=False)
    log: IO[str] = field(repr=False)
    relay: threading.Thread = field(repr=False)

    def stop(self, wait: float = 10.0) -> None:
        """SIGTERM to the server's process group (gunicorn, workers); SIGKILL if it lingers."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=wait)
        self.relay.join(timeout=wait)  # it ends at the end of the server's output
        if not self.relay.is_alive():
            self.log.close()


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def check_port(port: int) -> None:
    """LocalError if nothing can listen on 127.0.0.1:``port``."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise LocalError(f"port {port} is in use; pick another with --port") from None


def _relay(stream: IO[str], log: IO[str], token: list[str], found: threading.Event) -> None:
    """Copy the server's stderr to ``log``, except the admin token, which goes to ``token``."""
    expect_token = False
    for line in stream:
        if expect_token:
            token.append(line.strip())
            found.set()
            expect_token = False
            log.write("[the admin token was taken by kiemphieu demo]\n")
        elif line.startswith(TOKEN_LINE):
            expect_token = True
        else:
            log.write(line)
        log.flush()
    found.set()


def start_server(folder: Path, port: int) -> DemoServer:
    """Start ``kiemphieu serve`` on 127.0.0.1:``port`` with its data in ``folder/server``;
    wait until it answers; keep its admin token in ``folder/admin-token``."""
    check_port(port)
    data = folder / "server"
    log = (folder / "server.log").open("a", encoding="utf-8")
    cmd = [sys.executable, "-m", "kiemphieu.client.cli.main", "serve", "--host", "127.0.0.1"]
    cmd += ["--port", str(port), "--data", str(data), "--workers", "2"]
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    token: list[str] = []
    found = threading.Event()
    if proc.stderr is None:  # pragma: no cover - stderr=PIPE
        raise LocalError("cannot read the server's output")
    relay = threading.Thread(target=_relay, args=(proc.stderr, log, token, found), daemon=True)
    relay.start()
    server = DemoServer(f"http://127.0.0.1:{port}", folder / "admin-token", proc, log, relay)
    try:
        _wait_ready(server, found)
        if not token:
            raise LocalError(f"the server printed no admin token (is {data} fresh?)")
        fd = os.open(server.token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(token[0] + "\n")
    except BaseException:
        server.stop()
        raise
    return server


def _wait_ready(server: DemoServer, found: threading.Event) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise LocalError(f"the server stopped (exit {server.proc.returncode}); see server.log")
        with contextlib.suppress(requests.RequestException):
            ok = requests.get(f"{server.url}/api/server", timeout=2).status_code == 200
            if ok and found.wait(timeout=5):
                return
        time.sleep(0.1)
    raise LocalError(f"the server did not answer within {START_TIMEOUT_S:.0f} s; see server.log")
