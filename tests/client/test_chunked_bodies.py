"""Bodies sent without a Content-Length (chunked) meet the same limit as the
others, through gunicorn as production runs it (issue 13): over the limit is
413, not a truncated body read as malformed; under it, the body is read whole."""

from __future__ import annotations

import requests

from .conftest import Live


def _chunks(total: int, piece: bytes = b"x" * 1024):
    sent = 0
    while sent < total:
        yield piece[: total - sent]
        sent += len(piece)


def test_a_chunked_body_over_the_limit_is_413(live: Live) -> None:
    for path, ctype in (("/api/elections/any/ballots", "application/json"),
                        ("/api/admin/elections", "application/toml")):  # fmt: skip
        r = requests.post(
            live.url + path,
            data=_chunks(3 << 20),
            headers={"Content-Type": ctype, "Authorization": f"Bearer {live.token}"},
            timeout=30,
        )
        assert r.status_code == 413, r.text
        assert r.json()["code"] == "too-large"


def test_a_chunked_body_under_the_limit_is_read_whole(live: Live) -> None:
    body = b'{"credentials": []}' + b" " * 5000  # JSON, then whitespace: read to its end
    r = requests.post(
        live.url + "/api/registrar/elections/no-such-election/credentials",
        data=iter([body[:7], body[7:]]),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {live.token}"},
        timeout=30,
    )
    # read whole and parsed as JSON (a cut body would be "malformed"); then refused for its content
    assert r.status_code == 400 and r.json()["code"] == "empty", r.text
