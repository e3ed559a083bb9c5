"""Server settings, passed explicitly to ``create_app`` (no global state)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kiemphieu.crypto.primitives.paillier import KeyPolicy

DEFAULT_DATA_DIR = Path("kiemphieu-data")


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` requests per ``seconds`` from one client address."""

    count: int
    seconds: float


@dataclass(frozen=True)
class ServerConfig:
    """Everything the app needs to know; built by ``kiemphieu serve`` or a test."""

    db_url: str
    data_dir: Path = DEFAULT_DATA_DIR
    key_policy: KeyPolicy = KeyPolicy.STANDARD
    max_body_bytes: int = 1 << 20
    batch_window_s: float = 0.05
    batch_max: int = 64
    admin_rate: RateLimit = field(default_factory=lambda: RateLimit(120, 60.0))
    refused_ballot_rate: RateLimit = field(default_factory=lambda: RateLimit(5, 600.0))
    """Ballots signed by one credential and refused for their proofs that it may
    send before its ballots are refused unchecked for the rest of the window."""
    public_page_max: int = 500
    web_root: Path | None = None
    """The browser booth's folder (client/web), served at ``/``; None serves the API only."""

    @staticmethod
    def sqlite_in(data_dir: Path, **kw: object) -> ServerConfig:
        """The embedded default: ``DATA_DIR/kiemphieu.sqlite3``."""
        return ServerConfig(
            db_url=f"sqlite:///{data_dir / 'kiemphieu.sqlite3'}",
            data_dir=data_dir,
            **kw,  # type: ignore[arg-type]
        )
