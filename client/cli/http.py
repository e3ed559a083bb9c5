"""A small client for the server's JSON API (docs/api.md), for the command-line tools.

The client speaks HTTP only; it never imports ``kiemphieu.server``. Every
refusal of the server becomes a :class:`ServerError` carrying the API's error
shape (status, code, message, field); a server that cannot be reached after
the allowed retries becomes a :class:`NetworkError`; an answer that is not the
JSON the API promises becomes a :class:`BadReply`.

Secrets stay out of URLs, messages and logs: the admin token travels only in
the ``Authorization`` header and never appears in a repr; credential codes
never leave the machine at all (only public keys and signed ballots do).

Retries: a request is re-sent after a connection failure, a time-out or a
502/503/504 only when re-sending is harmless: GETs, and calls the caller marks
``idempotent`` (a ballot: the server answers a re-sent ballot with the same
receipt). Other calls are re-sent only when the connection failed before
anything was sent.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import requests

MAX_REPLY_BYTES = 256 << 20
RETRY_STATUSES = frozenset({502, 503, 504})
USER_AGENT = "kiemphieu-cli"


class ServerError(Exception):
    """The server refused a request; ``code`` and ``field`` are the API's own."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    def __str__(self) -> str:
        where = f", field {self.field}" if self.field else ""
        return f"{self.message} (HTTP {self.status}, {self.code}{where})"


class NetworkError(Exception):
    """The server could not be reached, or did not answer, after the retries."""


class BadReply(Exception):
    """The server's answer is not what the API promises (shape, signature, hash)."""


def read_hex32(value: object, what: str) -> bytes:
    """A 32-byte value the server sends as 64 lower-case hex digits (BadReply otherwise)."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise BadReply(f"{what} is not 32 bytes of lower-case hex")
    return bytes.fromhex(value)


def api_path(*segments: str) -> str:
    """``/api/<segment>/...`` with every segment percent-encoded."""
    return "/api/" + "/".join(quote(s, safe="") for s in segments)


def check_base_url(url: str) -> str:
    """The server URL without a trailing slash; refuses anything but a plain
    http(s) origin (no user info, query or fragment: nothing secret goes in a URL)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"server URL must be http:// or https:// with a host, got {url!r}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("put no user name or password in the server URL")
    if parts.query or parts.fragment:
        raise ValueError("the server URL takes no query or fragment")
    return url.rstrip("/")


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in {"localhost", "::1"} or host.startswith("127.")


def _not_sent(exc: requests.RequestException) -> bool:
    """True when the connection failed before any byte of the request left."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return type(reason).__name__ in ("NewConnectionError", "NameResolutionError")


@dataclass
class ApiClient:
    """The API at ``base_url``; ``token`` is the admin token for admin calls."""

    base_url: str
    token: str | None = field(default=None, repr=False)
    timeout_s: float = 60.0
    connect_timeout_s: float = 5.0
    retries: int = 3
    backoff_s: float = 0.5
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def __post_init__(self) -> None:
        self.base_url = check_base_url(self.base_url)
        self.session.headers["User-Agent"] = USER_AGENT

    def get(self, path: str) -> dict[str, Any]:
        """GET a public JSON document."""
        return self._request("GET", path, None, None, admin=False, idempotent=True)

    def post(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = "application/json",
        admin: bool = False,
        idempotent: bool = False,
    ) -> dict[str, Any]:
        """POST ``body``; ``admin`` sends the admin token."""
        return self._request("POST", path, body, content_type, admin=admin, idempotent=idempotent)

    def exchange(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        content_type: str = "application/octet-stream",
        idempotent: bool = True,
    ) -> tuple[int, bytes]:
        """A binary request (key generation frames, docs/api.md): the status and
        the raw body of a 2xx answer; ServerError for any other status."""
        headers = {"Accept": "application/octet-stream, application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        status, reason, raw = self._send(method, path, body, headers, idempotent=idempotent)
        if not 200 <= status < 300:
            _decode(status, reason, raw, f"{method} {path}")  # raises ServerError
        return status, raw

    def post_json(self, path: str, value: object, *, admin: bool = False) -> dict[str, Any]:
        body = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return self.post(path, body, admin=admin)

    def _request(
        self,
        method: str,
        path: str,
        body: bytes | None,
        content_type: str | None,
        *,
        admin: bool,
        idempotent: bool,
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        if admin:
            if not self.token:
                raise ValueError("this call needs the admin token")
            headers["Authorization"] = f"Bearer {self.token}"
        status, reason, raw = self._send(method, path, body, headers, idempotent=idempotent)
        return _decode(status, reason, raw, f"{method} {path}")

    def _send(
        self,
        method: str,
        path: str,
        body: bytes | None,
        headers: dict[str, str],
        *,
        idempotent: bool,
    ) -> tuple[int, str, bytes]:
        """One request with its retries: (status, reason, body read within the cap).

        A request that surely never reached the server is retried; any other
        failure, and 502/503/504, only when ``idempotent``."""
        attempt = 0
        while True:
            attempt += 1
            try:
                resp = self.session.request(
                    method,
                    self.base_url + path,
                    data=body,
                    headers=headers,
                    timeout=(self.connect_timeout_s, self.timeout_s),
                    allow_redirects=False,
                    stream=True,
                )
                raw = _read_capped(resp)
            except requests.RequestException as exc:
                if attempt <= self.retries and (idempotent or _not_sent(exc)):
                    time.sleep(self.backoff_s * 2 ** (attempt - 1))
                    continue
                raise NetworkError(f"{method} {path}: {_describe(exc)}") from None
            if resp.status_code in RETRY_STATUSES and idempotent and attempt <= self.retries:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
                continue
            return resp.status_code, resp.reason, raw


def _describe(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.exceptions.Timeout):
        return "no answer in time"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "cannot connect to the server"
    return type(exc).__name__


def _read_capped(resp: requests.Response) -> bytes:
    chunks = []
    size = 0
    for chunk in resp.iter_content(64 * 1024):
        size += len(chunk)
        if size > MAX_REPLY_BYTES:
            resp.close()
            raise BadReply(f"answer larger than {MAX_REPLY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(status: int, reason: str, raw: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        value = None
    if 200 <= status < 300:
        if not isinstance(value, dict):
            raise BadReply(f"{what}: the answer is not a JSON object")
        return value
    if isinstance(value, dict) and isinstance(value.get("message"), str):
        code = value.get("code")
        fld = value.get("field")
        raise ServerError(
            status,
            code if isinstance(code, str) else "error",
            value["message"],
            fld if isinstance(fld, str) else None,
        )
    raise ServerError(status, "http-error", f"{what}: {reason or 'error'}")
