"""What every view needs: authentication, rate limits, strict bodies, encoding."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, jsonify, request

from kiemphieu.crypto import codec
from kiemphieu.crypto.canonical_json import parse_object
from kiemphieu.crypto.election.manifest import IDENT
from kiemphieu.crypto.errors import DecodeError

from ..errors import ApiError, bad_request, rate_limited, unauthorized
from ..services import services

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

MAX_QUERY_START = 1 << 48
"""The largest ``start`` a listing accepts (board positions stay below 2^48)."""


def client_key() -> str:
    return request.remote_addr or "unknown"


def admin_only(view: F) -> F:
    """Require ``Authorization: Bearer <admin token>``. The token is checked
    first: a request that has it is never rate-limited; one that does not
    counts as a refusal of its client address, and past the limit gets 429
    with Retry-After (server/ratelimit.py)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        svc = services()
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme == "Bearer" and token and svc.identity.admin_token_ok(token.strip()):
            return view(*args, **kwargs)
        wait = svc.admin_limiter.blocked(client_key())
        if wait is not None:
            raise rate_limited(wait)
        svc.admin_limiter.refuse(client_key())
        raise unauthorized()

    return wrapper  # type: ignore[return-value]


def body_bytes(limit: int | None = None) -> bytes:
    """The raw request body, within ``limit`` or the configured size (413 beyond)."""
    limit = services().config.max_body_bytes if limit is None else limit
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "too-large", f"body larger than {limit} bytes")
    data = request.get_data(cache=False)
    if len(data) > limit:
        raise ApiError(413, "too-large", f"body larger than {limit} bytes")
    return data


def decode_body(cls: type[T], limit: int | None = None) -> T:
    """The body as a codec document of type ``cls`` (400 naming the field), of
    at most ``limit`` bytes (default: the configured size)."""
    limit = services().config.max_body_bytes if limit is None else limit
    try:
        return codec.loads(cls, body_bytes(limit), max_bytes=limit)
    except DecodeError as exc:
        raise bad_request("malformed", exc.message, exc.path) from exc


def json_object() -> dict[str, Any]:
    """The body as a strict JSON object (no floats, no duplicate keys)."""
    try:
        return parse_object(body_bytes(), max_bytes=services().config.max_body_bytes)
    except DecodeError as exc:
        raise bad_request("malformed", exc.message, exc.path) from exc


def wire(obj: object, status: int = 200) -> tuple[Response, int]:
    """A codec object as the JSON response."""
    return jsonify(codec.to_wire(obj)), status


def query_int(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 15:  # "²".isdigit() is true
        raise bad_request("bad-query", f"{name} must be a non-negative integer", name)
    value = int(raw)
    if not lo <= value <= hi:
        raise bad_request("bad-query", f"{name} must be in {lo}..{hi}", name)
    return value


def query_ident(name: str) -> str | None:
    """An optional query parameter naming an election (400 if it cannot be one)."""
    raw = request.args.get(name)
    if raw is not None and IDENT.fullmatch(raw) is None:
        raise bad_request("bad-query", f"{name} is not an election id", name)
    return raw


def hex_bytes(value: Any, length: int, field: str) -> bytes:
    if not isinstance(value, str) or len(value) != 2 * length:
        raise bad_request("malformed", f"expected {2 * length} lowercase hex characters", field)
    try:
        out = bytes.fromhex(value)
    except ValueError as exc:
        raise bad_request("malformed", "not hexadecimal", field) from exc
    if out.hex() != value:
        raise bad_request("malformed", "hex must be lowercase", field)
    return out
