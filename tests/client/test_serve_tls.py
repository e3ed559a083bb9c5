"""``kiemphieu serve --tls-cert --tls-key``: HTTPS for the meeting room's network
(issue 13), the production command in its own process; and the one-line refusals
of TLS files that cannot serve."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from kiemphieu.server import serve

KIEMPHIEU = str(Path(sys.executable).parent / "kiemphieu")


def make_cert(folder: Path, name: str = "") -> tuple[Path, Path]:
    cert, key = folder / f"cert{name}.pem", folder / f"key{name}.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_over_https_with_the_given_certificate(tmp_path) -> None:
    cert, key = make_cert(tmp_path)
    port = free_port()
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [KIEMPHIEU, "serve", "--no-web", "--port", str(port), "--data", str(data),
         "--tls-cert", str(cert), "--tls-key", str(key), "--workers", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = requests.get(
                    f"https://127.0.0.1:{port}/api/server", verify=str(cert), timeout=2
                )
                break
            except requests.exceptions.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert r.status_code == 200 and r.json()["software"] == "kiemphieu"
        with pytest.raises(requests.exceptions.SSLError):  # not trusted without the certificate
            requests.get(f"https://127.0.0.1:{port}/api/server", timeout=5)
        with pytest.raises(requests.exceptions.ConnectionError):  # no plain HTTP on that port
            requests.get(f"http://127.0.0.1:{port}/api/server", timeout=5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=20)


def _run(capsys, *argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="kiemphieu")
    serve.register(parser.add_subparsers(dest="verb"))
    args = parser.parse_args(["serve", "--no-web", *argv])
    old = os.umask(0o022)
    try:
        code = args.handler(args)
    finally:
        os.umask(old)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", ["cert-only", "wrong-key", "missing"])
def test_tls_files_that_cannot_serve_are_one_line(capsys, tmp_path, case: str) -> None:
    cert, key = make_cert(tmp_path)
    _, other_key = make_cert(tmp_path, "2")
    argv = {
        "cert-only": ("--tls-cert", str(cert)),
        "wrong-key": ("--tls-cert", str(cert), "--tls-key", str(other_key)),
        "missing": ("--tls-cert", str(tmp_path / "none.pem"), "--tls-key", str(key)),
    }[case]
    code, err = _run(capsys, "--data", str(tmp_path / "d"), *argv)
    assert not (tmp_path / "d").exists()  # refused before anything was made
    lines = [line for line in err.splitlines() if line.strip() and "API only" not in line]
    assert code == 1 and len(lines) == 1 and "Traceback" not in err, err
    assert {"cert-only": "both --tls-cert and --tls-key", "wrong-key": "do not load",
            "missing": "cannot read the TLS files"}[case] in lines[0]  # fmt: skip
