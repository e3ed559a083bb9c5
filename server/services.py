"""The per-app bundle of services a view may call."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from .batcher import Batcher
from .config import ServerConfig
from .contexts import ContextCache
from .identity import ServerIdentity
from .ratelimit import RateLimiter
from .record_builder import RecordBuilder
from .storage.database import Database


@dataclass
class Services:
    config: ServerConfig
    db: Database
    identity: ServerIdentity
    contexts: ContextCache
    batcher: Batcher
    admin_limiter: RateLimiter
    ballot_limiter: RateLimiter
    record_builder: RecordBuilder


def services() -> Services:
    """The services of the current app."""
    found = current_app.extensions["kiemphieu"]
    if not isinstance(found, Services):  # pragma: no cover - set by create_app
        raise RuntimeError("app was not built by create_app")
    return found
