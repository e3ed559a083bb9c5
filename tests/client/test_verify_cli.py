"""``kiemphieu verify RECORD|URL`` (client/cli/observer.py): exit codes, the
text and JSON reports, a tampered record named, downloads, the progress bar."""

from __future__ import annotations

import functools
import http.server
import io
import json
import threading
import zipfile

import pytest

from kiemphieu.client.cli.observer import ProgressBar
from kiemphieu.crypto import codec
from kiemphieu.crypto.canonical_json import canonical_bytes
from kiemphieu.crypto.record.archive import RecordArchive
from kiemphieu.crypto.record.report import CHECK_IDS

from ..conftest import make_manifest
from ..support.record_factory import (
    RecordOptions,
    record_bytes,
    reseal,
    sample_casts,
    with_rules,
)

TEST_KEYS = "--allow-test-keys"


@pytest.fixture(scope="module")
def records(held, tmp_path_factory):
    """A valid tallied record (four ballots, one a revote) and one whose ballot
    at position 3 was changed
    (with the index's hash updated, so the change reaches the checks)."""
    folder = tmp_path_factory.mktemp("records")
    manifest = with_rules(make_manifest(), held)
    data, summary = record_bytes(held, manifest, sample_casts(manifest, 3), RecordOptions(voters=3))
    good = folder / "good.zip"
    good.write_bytes(data)
    for i, receipt in enumerate(summary.receipts):
        (folder / f"receipt-{i}.json").write_bytes(codec.dumps(receipt) + b"\n")
    src = zipfile.ZipFile(io.BytesIO(data))
    files = {i.filename: src.read(i) for i in src.infolist()}
    segment = json.loads(files["board/000000.json"])
    answer = segment["items"][3]["ballot"]["answers"][1]
    text = answer["ciphertexts"][0]
    answer["ciphertexts"][0] = text[:-1] + ("3" if text[-1] != "3" else "5")  # always a change
    files["board/000000.json"] = canonical_bytes(segment)
    bad = folder / "tampered.zip"
    bad.write_bytes(
        reseal(data, {"board/000000.json": files["board/000000.json"]}, summary.server_seed)
    )
    return good, bad


def test_valid_record_exits_0_and_lists_every_check(cli, records):
    r = cli("verify", records[0], TEST_KEYS)
    assert r.code == 0, r.err
    for check in CHECK_IDS:
        if check != "voter-receipts":
            assert f"PASS  {check} " in r.out
    assert "SKIP  voter-receipts" in r.out and "no receipt was given" in r.out
    assert f"Checks run: {len(CHECK_IDS) - 1} of {len(CHECK_IDS)}." in r.out
    assert "\r" not in r.err  # no progress bar when stderr is not a terminal


def test_json_report(cli, records):
    r = cli("verify", records[0], TEST_KEYS, "--json", "--workers", "2")
    assert r.code == 0, r.err
    report = json.loads(r.out)
    assert report["ok"] is True and report["state"] == "tallied"
    assert [c["id"] for c in report["checks"]] == list(CHECK_IDS)
    ballots = next(c for c in report["checks"] if c["id"] == "ballots")
    assert ballots == {
        "id": "ballots",
        "title": ballots["title"],
        "status": "passed",
        "passed": 4,
        "failed": 0,
        "failures": [],
        "skipped": None,
        "applicable": True,
    }


def test_tampered_record_names_the_failing_check(cli, records):
    r = cli("verify", records[1], TEST_KEYS)
    assert r.code == 5
    assert "FAIL  ballots " in r.out
    assert "position 3:" in r.out
    assert "fails verification: ballots" in r.err
    report = json.loads(cli("verify", records[1], TEST_KEYS, "--json").out)
    failed = {c["id"] for c in report["checks"] if c["status"] == "failed"}
    assert "ballots" in failed and report["ok"] is False


def test_test_keys_refused_by_default(cli, records):
    r = cli("verify", records[0])
    assert r.code == 5
    assert "FAIL  parameters " in r.out
    assert "--allow-test-keys" in r.err


def test_not_a_record_and_unreadable_file(cli, records, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    r = cli("verify", junk, TEST_KEYS)
    assert r.code == 1 and "not an election record" in r.err
    r = cli("verify", tmp_path / "absent.zip", TEST_KEYS)
    assert r.code == 1 and "cannot read" in r.err


def test_usage_errors(cli, records):
    assert cli("verify", records[0], "--workers", "0").code == 2
    r = cli("verify", "ftp://example.invalid/record.zip")
    assert r.code == 2 and "http" in r.err


@pytest.fixture(scope="module")
def http_folder(records):
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(records[0].parent)
    )
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_url_is_downloaded_and_verified(cli, http_folder):
    r = cli("verify", f"{http_folder}/good.zip", TEST_KEYS)
    assert r.code == 0, r.err
    r = cli("verify", f"{http_folder}/tampered.zip", TEST_KEYS)
    assert r.code == 5


def test_url_errors(cli, http_folder):
    assert cli("verify", f"{http_folder}/absent.zip", TEST_KEYS).code == 3
    assert cli("verify", "http://127.0.0.1:9/record.zip", TEST_KEYS, "--timeout", "2").code == 4


def test_download_cap(http_folder):
    from kiemphieu.client.cli import observer
    from kiemphieu.client.cli.connection import LocalError

    with pytest.raises(LocalError, match="larger than"):
        observer.download(f"{http_folder}/good.zip", 1000, 10)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_and_clears():
    out = Terminal()
    bar = ProgressBar(out)
    bar("ballots", 5, 10)
    bar("ballots", 10, 10)
    assert "\rballots  [###############---------------] 5/10 (50%)" in out.getvalue()
    assert "10/10 (100%)" in out.getvalue()
    bar.end()
    assert out.getvalue().endswith("\r")


def test_server_key_pins_the_signer(cli, records):
    good = records[0]
    with RecordArchive(io.BytesIO(good.read_bytes())) as archive:
        key = archive.index.receipt_key.hex()
    r = cli("verify", good, TEST_KEYS, "--server-key", key)
    assert r.code == 0, r.err
    assert f"Signed by the server key:   {key}" in r.out
    other = "11" * 32
    r = cli("verify", good, TEST_KEYS, "--server-key", other)
    assert r.code == 5
    assert "signed by another key than expected" in r.out
    assert cli("verify", good, TEST_KEYS, "--server-key", "zz").code == 2


def test_receipts_are_found_counted_or_superseded(cli, records):
    good = records[0]
    folder = good.parent
    given = [a for i in range(4) for a in ("--receipt", folder / f"receipt-{i}.json")]
    r = cli("verify", good, TEST_KEYS, *given)
    assert r.code == 0, r.err
    assert "PASS  voter-receipts" in r.out
    assert "OK    receipt-0.json: superseded" in r.out and "last-counts" in r.out
    assert "OK    receipt-3.json: counted" in r.out
    report = json.loads(cli("verify", good, TEST_KEYS, "--json", *given).out)
    assert [o["status"] for o in report["receipts"]] == [
        "superseded",
        "counted",
        "counted",
        "counted",
    ]


def test_a_receipt_the_record_does_not_keep_fails_clearly(cli, records, tmp_path):
    good = records[0]
    receipt = json.loads((good.parent / "receipt-1.json").read_text())
    receipt["position"] = 40  # the server signed for a position past the board's end
    forged = tmp_path / "mine.json"
    forged.write_text(json.dumps(receipt))
    r = cli("verify", good, TEST_KEYS, "--receipt", forged)
    assert r.code == 5
    assert "FAIL  mine.json: invalid" in r.out  # not signed so: the signature fails
    junk = tmp_path / "junk.json"
    junk.write_text("{}")
    r = cli("verify", good, TEST_KEYS, "--receipt", junk)
    assert r.code == 1 and "junk.json is not a receipt" in r.err
