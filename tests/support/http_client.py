"""Test only: a ``requests`` stand-in for Flask's test client.

Lets the helpers written for the in-process app (``tests/server/conftest.py``'s
``prepare_election``, which calls ``server.admin(...)`` and
``server.client.post(...)`` and reads ``r.status_code`` and ``r.json``) drive a
real server process over HTTP instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests


class HttpResponse:
    """``status_code``, ``json`` (an attribute, as in Flask), ``text`` and ``headers``."""

    def __init__(self, r: requests.Response) -> None:
        self.status_code = r.status_code
        self.headers = r.headers
        self.text = r.text
        self.data = r.content
        try:
            self.json: Any = r.json()
        except ValueError:
            self.json = None


@dataclass
class HttpClient:
    """``get``/``post``/... on paths under ``base`` with Flask test-client keywords."""

    base: str
    timeout: float = 15.0
    session: requests.Session = field(default_factory=requests.Session)

    def open(self, method: str, path: str, **kw: Any) -> HttpResponse:
        headers = dict(kw.pop("headers", None) or {})
        content_type = kw.pop("content_type", None)
        if content_type is not None:
            headers["Content-Type"] = content_type
        r = self.session.request(
            method.upper(), self.base + path, headers=headers, timeout=self.timeout, **kw
        )
        return HttpResponse(r)

    def get(self, path: str, **kw: Any) -> HttpResponse:
        return self.open("get", path, **kw)

    def post(self, path: str, **kw: Any) -> HttpResponse:
        return self.open("post", path, **kw)


@dataclass
class HttpServer:
    """What ``prepare_election`` needs of a server: a client and the admin token."""

    client: HttpClient
    token: str

    def admin(self, method: str, path: str, **kw: Any) -> HttpResponse:
        headers = {"Authorization": f"Bearer {self.token}", **kw.pop("headers", {})}
        return self.client.open(method, path, headers=headers, **kw)
