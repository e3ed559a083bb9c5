"""The Flask application factory (docs/api.md).

``create_app(config)`` opens the database (migrating it), loads the server's
identity and registers one blueprint per role. Views are glue: decode, call a
service, encode.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from .api import admin, keygen, public, registrar, trustee, voter
from .api.openapi import blueprint as openapi_blueprint
from .batcher import Batcher
from .config import ServerConfig
from .contexts import ContextCache
from .errors import ApiError
from .identity import ensure_admin_token, load_identity
from .ratelimit import RateLimiter
from .record_builder import RecordBuilder
from .records import BuildHook
from .services import Services
from .storage.database import open_database
from .web import blueprint as web_blueprint
from .web import load_site

RETRY_AFTER_S = 5
"""Seconds a client waits after a transient database fault (503)."""

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
}


def create_app(
    config: ServerConfig,
    *,
    first_token: list[str] | None = None,
    record_hook: BuildHook | None = None,
) -> Flask:
    """Build the app. If this start made the admin token, it is appended to
    ``first_token`` (so the caller can show it once) and never logged.
    ``record_hook`` runs at the start of every record build (tests hold one
    there); the records of closed elections missing their file start building."""
    db = open_database(config.db_url)
    token = ensure_admin_token(db)
    if token is not None and first_token is not None:
        first_token.append(token)
    identity = load_identity(db)
    contexts = ContextCache(config.key_policy)
    services = Services(
        config=config,
        db=db,
        identity=identity,
        contexts=contexts,
        batcher=Batcher(config.batch_window_s, config.batch_max),
        admin_limiter=RateLimiter(config.admin_rate.count, config.admin_rate.seconds),
        ballot_limiter=RateLimiter(
            config.refused_ballot_rate.count, config.refused_ballot_rate.seconds
        ),
        record_builder=RecordBuilder(
            db, contexts, identity.receipt_seed, config.data_dir, hook=record_hook
        ),
    )
    app = Flask(__name__, instance_path=str(config.data_dir.resolve() / "instance"))
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    app.json.sort_keys = True  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["kiemphieu"] = services
    for bp in (
        admin.blueprint,
        registrar.blueprint,
        voter.blueprint,
        trustee.blueprint,
        keygen.blueprint,
        public.blueprint,
    ):
        app.register_blueprint(bp)
    app.register_blueprint(openapi_blueprint)
    if config.web_root is not None:
        app.register_blueprint(web_blueprint(load_site(config.web_root)))

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> tuple[Response, int]:
        resp = jsonify(exc.body())
        if exc.retry_after is not None:
            resp.headers["Retry-After"] = str(exc.retry_after)
        return resp, exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Response, int]:
        status = exc.code or 500
        code = {413: "too-large", 404: "not-found", 405: "method-not-allowed"}.get(
            status, "http-error"
        )
        message = exc.description or exc.name
        resp = jsonify({"code": code, "message": message, "field": None})
        for name, value in exc.get_headers():  # e.g. Allow on a 405
            if name.lower() != "content-type":
                resp.headers[name] = value
        return resp, status

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_down(exc: Exception) -> tuple[Response, int]:
        # A killed connection, a full disk, a database restarting: nothing was
        # stored, and the same request may succeed in a moment (docs/api.md).
        app.logger.warning("database unavailable: %s", type(exc).__name__)
        resp = jsonify(
            {
                "code": "unavailable",
                "message": "the database is unavailable for a moment; nothing was stored, "
                "retry after a few seconds",
                "field": None,
            }
        )
        resp.headers["Retry-After"] = str(RETRY_AFTER_S)
        return resp, 503

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response, int]:
        app.logger.exception("unexpected error")  # the message holds no secret: none reach views
        return jsonify({"code": "internal", "message": "internal error", "field": None}), 500

    @app.before_request
    def _body_limit() -> None:
        # Also for routes that never read their body (open, close, ...): an
        # oversized request is refused before any view runs. Key generation
        # rounds carry megabytes of sealed shares (docs/api.md).
        limit = config.max_body_bytes
        if request.endpoint == "keygen.post_message":
            limit = keygen.MAX_FRAME_BYTES
        # one byte more than allowed: a chunked body (no Content-Length) that is cut
        # there is recognised as too large by body_bytes, not read as truncated
        request.max_content_length = limit + 1
        if request.content_length is not None and request.content_length > limit:
            raise ApiError(413, "too-large", f"body larger than {limit} bytes")

    @app.after_request
    def _headers(resp: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            resp.headers.setdefault(name, value)
        resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    @app.teardown_appcontext
    def _noop(_exc: Any) -> None:
        return None

    services.record_builder.resume()
    return app
