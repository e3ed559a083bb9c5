"""``kiemphieu serve``: the app behind gunicorn (docs/cli.md).

The parent process opens and migrates the database and makes the admin token
on first start (printed once, to the terminal only); each worker process then
builds its own app with ``create_app`` (no shared connections across fork).
"""

from __future__ import annotations

import argparse
import importlib.resources
import os
import ssl
import stat
import sys
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError

from .app import create_app
from .config import ServerConfig
from .identity import ensure_admin_token
from .storage.database import SchemaError, open_database
from .web import WebRootError, load_site

# Tuned with tests/benchmarks/cast_throughput.py (docs/performance.md): with
# 50 clients on 2 workers, 32 threads each keep every client's cast in flight, so
# the batcher verifies larger batches (the batch check's fixed cost is one
# full-size exponentiation), and a 100 ms window gathers them.
DEFAULT_THREADS = 32
DEFAULT_BATCH_WINDOW_MS = 100.0


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, config: ServerConfig, options: dict[str, Any]) -> None:
        self._config = config
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return create_app(self._config)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``kiemphieu serve``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help="threads per worker (default 32)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("kiemphieu-data"),
        help="data folder (default ./kiemphieu-data; holds the SQLite database)",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help="sqlite:///PATH or postgresql://USER@HOST/DB (default: SQLite in --data)",
    )
    parser.add_argument(
        "--web-root",
        type=Path,
        metavar="DIR",
        help="the browser booth's folder served at / (default: the one installed with kiemphieu)",
    )
    parser.add_argument("--no-web", action="store_true", help="serve the API only, no booth pages")
    parser.add_argument(
        "--tls-cert",
        type=Path,
        metavar="FILE",
        help="serve HTTPS with this certificate chain (PEM); needs --tls-key",
    )
    parser.add_argument(
        "--tls-key", type=Path, metavar="FILE", help="the certificate's private key (PEM)"
    )
    parser.add_argument(
        "--batch-window-ms",
        type=float,
        default=DEFAULT_BATCH_WINDOW_MS,
        help="how long casts wait to be verified together (default 100 ms)",
    )


def installed_web_root() -> Path | None:
    """The booth folder shipped as package data of kiemphieu.client (a data
    look-up: no client code is imported), or None if it is not installed."""
    try:
        found = importlib.resources.files("kiemphieu.client") / "web"
    except ModuleNotFoundError:
        return None
    path = Path(str(found))
    return path if (path / "index.html").is_file() else None


def config_from(args: argparse.Namespace) -> ServerConfig:
    data: Path = args.data
    url = args.db or f"sqlite:///{(data / 'kiemphieu.sqlite3').resolve()}"
    web_root = None if args.no_web else (args.web_root or installed_web_root())
    return ServerConfig(
        db_url=url,
        data_dir=data,
        batch_window_s=args.batch_window_ms / 1000,
        web_root=web_root,
    )


ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'
"""The access log line: client, time, method, path *without its query string*
(a token pasted into a URL never reaches the log), status, size, seconds."""


class StartupError(Exception):
    """Why the server cannot start, in one line with the fix."""


def _prepare(config: ServerConfig) -> str | None:
    """Make the data folder, open and migrate the database, make the admin token
    on first start; every fault becomes one StartupError line (no traceback)."""
    folder = config.data_dir
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        mode = stat.S_IMODE(folder.stat().st_mode)
    except OSError as exc:
        raise StartupError(
            f"cannot create the data folder {folder}: {exc.strerror}; "
            "give a folder you may write to (--data)"
        ) from None
    if mode & 0o077:
        raise StartupError(
            f"the data folder {folder} is open to other users (mode {mode:o}), and it holds "
            f"the receipt signing key: run  chmod 700 {folder}  and start again"
        )
    try:
        db = open_database(config.db_url)
        try:
            token = ensure_admin_token(db)
        finally:
            db.dispose()
        _owner_only(config.db_url)
        return token
    except SchemaError as exc:
        raise StartupError(str(exc)) from None
    except (ValueError, ArgumentError) as exc:
        raise StartupError(f"--db: {exc}") from None
    except OperationalError as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise StartupError(
            f"cannot open the database ({first}): check that PostgreSQL runs and accepts "
            "this user, or that the SQLite file's folder is writable"
        ) from None
    except (DatabaseError, OSError) as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StartupError(
            f"the database cannot be used ({detail}): is it a kiemphieu database? give "
            "another --data folder or --db, or restore it from a backup"
        ) from None


def _tls_options(cert: Path | None, key: Path | None) -> dict[str, str]:
    """gunicorn's certfile/keyfile, checked here so a mistake is one line at start:
    both or neither, both readable, and the key matching the certificate."""
    if cert is None and key is None:
        return {}
    if cert is None or key is None:
        raise StartupError("give both --tls-cert and --tls-key, or neither")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(str(cert), str(key))
    except ssl.SSLError as exc:  # before OSError, of which it is a kind
        raise StartupError(
            f"the TLS certificate and key do not load ({exc.reason or exc}): give the PEM "
            "certificate chain and its own private key"
        ) from None
    except OSError as exc:
        raise StartupError(f"cannot read the TLS files: {exc.strerror or exc}") from None
    return {"certfile": str(cert), "keyfile": str(key)}


def _owner_only(db_url: str) -> None:
    """An SQLite database and its journal files: mode 0600, whatever the umask."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return
    for suffix in ("", "-wal", "-shm"):
        path = Path(url.database + suffix)
        if path.exists():
            path.chmod(0o600)


def run(args: argparse.Namespace) -> int:
    """Prepare the database, show a new admin token once, and serve until stopped.

    Files the server makes (database, journal, records) are for its user only."""
    os.umask(0o077)
    config = config_from(args)
    if config.web_root is None:
        print("No booth pages found: serving the API only.", file=sys.stderr, flush=True)
    else:
        try:
            load_site(config.web_root)  # refuse to start on a broken folder, before forking
        except (OSError, WebRootError) as exc:
            print(f"Cannot serve the booth pages: {exc}", file=sys.stderr, flush=True)
            return 1
    try:
        tls = _tls_options(args.tls_cert, args.tls_key)
        token = _prepare(config)
    except StartupError as exc:
        print(f"kiemphieu serve: {exc}", file=sys.stderr, flush=True)
        return 1
    if token is not None:
        print(
            f"New admin token (shown once; keep it safe, it is stored only hashed):\n  {token}",
            file=sys.stderr,
            flush=True,
        )
    options = {
        **tls,
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        "threads": args.threads,
        "worker_class": "gthread",
        "timeout": 120,
        "graceful_timeout": 10,
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "loglevel": "info",
        "limit_request_line": 8190,
    }
    _Gunicorn(config, options).run()
    return 0


def register(verbs: Any) -> None:
    """Entry point (group ``kiemphieu.verbs``): add ``serve`` to the CLI."""
    parser = verbs.add_parser("serve", help="run the election server (gunicorn)")
    add_arguments(parser)
    parser.set_defaults(handler=run)
