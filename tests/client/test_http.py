"""The CLI's HTTP client: URL checks, error shapes, retries, the layering rule."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from kiemphieu.client.cli.http import (
    ApiClient,
    BadReply,
    ServerError,
    api_path,
    check_base_url,
)

CLIENT = Path(__file__).resolve().parents[2] / "client"


class _Scripted(BaseHTTPRequestHandler):
    """Answers each request with the next (status, content type, body) of ``script``."""

    script: ClassVar[list[tuple[int, str, bytes]]] = []
    seen: ClassVar[list[tuple[str, str, dict[str, str]]]] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        type(self).seen.append((self.command, self.path, dict(self.headers)))
        status, ctype, body = type(self).script.pop(0)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def scripted() -> Iterator[tuple[str, type[_Scripted]]]:
    handler = type("Handler", (_Scripted,), {"script": [], "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


OK = (200, "application/json", b'{"ok": true}')
BUSY = (503, "text/html", b"<html>busy</html>")


def test_base_url_refuses_secrets_and_odd_forms():
    assert check_base_url("https://vote.example/") == "https://vote.example"
    for bad in (
        "ftp://x",
        "http://",
        "http://user:pw@host",
        "http://host/?token=1",
        "http://host/#frag",
    ):
        with pytest.raises(ValueError):
            check_base_url(bad)


def test_paths_are_percent_encoded():
    assert api_path("elections", "a/b?c", "ballots") == "/api/elections/a%2Fb%3Fc/ballots"


def test_token_only_in_the_header(scripted):
    url, handler = scripted
    handler.script[:] = [OK]
    client = ApiClient(url, token="s3cret-token")
    assert "s3cret" not in repr(client)
    client.post("/api/admin/x", b"{}", admin=True)
    method, path, headers = handler.seen[0]
    assert (method, path) == ("POST", "/api/admin/x")
    assert headers["Authorization"] == "Bearer s3cret-token"


def test_idempotent_calls_are_retried(scripted):
    url, handler = scripted
    handler.script[:] = [BUSY, BUSY, OK]
    client = ApiClient(url, backoff_s=0.01)
    assert client.get("/api/server") == {"ok": True}
    assert len(handler.seen) == 3
    handler.script[:] = [BUSY, OK]
    assert client.post("/api/ballot", b"{}", idempotent=True) == {"ok": True}


def test_other_calls_are_sent_once(scripted):
    url, handler = scripted
    handler.script[:] = [BUSY, OK]
    client = ApiClient(url, token="t", backoff_s=0.01)
    with pytest.raises(ServerError) as info:
        client.post("/api/admin/elections", b"{}", admin=True)
    assert info.value.status == 503 and info.value.code == "http-error"
    assert len(handler.seen) == 1


def test_error_shape_and_bad_replies(scripted):
    url, handler = scripted
    body = json.dumps({"code": "not-open", "message": "the poll is closed", "field": "state"})
    handler.script[:] = [(409, "application/json", body.encode()), (200, "text/plain", b"hi")]
    client = ApiClient(url)
    with pytest.raises(ServerError) as info:
        client.get("/api/x")
    err = info.value
    assert (err.status, err.code, err.message, err.field) == (
        409,
        "not-open",
        "the poll is closed",
        "state",
    )
    assert str(err) == "the poll is closed (HTTP 409, not-open, field state)"
    with pytest.raises(BadReply):
        client.get("/api/x")


def test_client_never_imports_the_server():
    """Layering: kiemphieu.client talks to the server over HTTP only."""
    pattern = re.compile(r"^\s*(from|import)\s+(kiemphieu\.server|\.\.\.?server)\b", re.M)
    offenders = [
        str(p.relative_to(CLIENT)) for p in CLIENT.rglob("*.py") if pattern.search(p.read_text())
    ]
    assert offenders == []
