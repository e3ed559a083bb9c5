"""Scanning a credential sheet's QR code with the booth's camera (issue 5).

The credential sheets (client/cli/sheets.py) print a QR code holding just the
code, drawn by reportlab's QR encoder at level M. Here the same encoder draws
the QR code of a code the test election issued, and the picture becomes a
YUV4MPEG2 video that Debian's chromium plays as its (fake) camera
(``--use-file-for-fake-video-capture``). Headless chromium has no
BarcodeDetector, so the booth reads the frames with its vendored jsQR in the
worker ``client/web/js/app/qr-worker.js``. The driver ``tests/e2e/qr_scan.mjs``
checks, on a phone-sized screen:

* a sheet's QR code: the code field gets the code (in its grouped form), the
  form is submitted as if typed, the booth moves on to the ballot, and the
  camera is released (no live track, nothing on the video element);
* a QR code that holds no credential code (a web address): the booth says so,
  puts nothing into the code field, submits nothing and releases the camera;
* a camera that sees no QR code: the scan screen (photographed in Vietnamese
  and English), "stop scanning" releases the camera; typing the code while the
  camera is open and continuing releases it too, as does "stop" pressed while
  the browser is still opening the camera.

No page may log a console error, throw, or break its Content-Security-Policy.
Screenshots go to ``test-artifacts/e2e/qr-scan/``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel

from kiemphieu.crypto.election.credential import format_code, parse_code

from .test_booth import Committee, cheap_kdf, server  # noqa: F401  (the booth test's fixtures)

pytestmark = pytest.mark.e2e

DRIVER = Path(__file__).with_name("qr_scan.mjs")
WIDTH, HEIGHT = 640, 480
QUIET_ZONE = 4  # modules of white around the code, as the sheets' QrCodeWidget draws
BACKGROUND, PAPER, INK = 150, 255, 0  # luma: a grey desk, the white sheet, the black modules


def qr_modules(text: str) -> list[list[bool]]:
    """The module matrix (True = dark) of ``text``: reportlab's encoder at level M,
    as QrCodeWidget(text, barLevel="M") on the credential sheet uses it."""
    code = QRCode(None, QRErrorCorrectLevel.M)
    code.addData(text)
    code.make()
    return [[bool(m) for m in row] for row in code.modules]


def luma_plane(modules: list[list[bool]] | None) -> bytes:
    """The Y plane of one frame: the sheet (with its quiet zone) centred on the desk,
    or the bare sheet when ``modules`` is None."""
    count = len(modules) if modules else 21
    side = count + 2 * QUIET_ZONE
    scale = int(min(WIDTH, HEIGHT) * 0.85) // side
    size = side * scale
    left, top = (WIDTH - size) // 2, (HEIGHT - size) // 2
    plane = bytearray([BACKGROUND]) * (WIDTH * HEIGHT)
    sheet_row = bytearray([BACKGROUND]) * left + bytearray([PAPER]) * size
    sheet_row += bytearray([BACKGROUND]) * (WIDTH - left - size)
    for y in range(top, top + size):
        plane[y * WIDTH : (y + 1) * WIDTH] = sheet_row
    for r, row in enumerate(modules or []):
        line = bytearray(sheet_row)
        for c, dark in enumerate(row):
            if dark:
                x = left + (c + QUIET_ZONE) * scale
                line[x : x + scale] = bytes([INK]) * scale
        y0 = top + (r + QUIET_ZONE) * scale
        for y in range(y0, y0 + scale):
            plane[y * WIDTH : (y + 1) * WIDTH] = line
    return bytes(plane)


def write_y4m(path: Path, modules: list[list[bool]] | None, frames: int = 4) -> Path:
    """A YUV4MPEG2 video (4:2:0, 5 frames/s) of identical grey-scale frames."""
    chroma = bytes([128]) * ((WIDTH // 2) * (HEIGHT // 2))
    frame = b"FRAME\n" + luma_plane(modules) + chroma + chroma
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F5:1 Ip A1:1 C420jpeg\n".encode("ascii")
    path.write_bytes(header + frame * frames)
    return path


def drive(**args) -> dict:
    """Run the browser driver; its JSON answer."""
    done = subprocess.run(
        ["node", str(DRIVER), json.dumps(args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    answer = json.loads(lines[-1]) if lines else {"ok": False, "error": "no answer"}
    if not answer.get("ok"):
        pytest.fail(f"QR scan driver failed:\n{answer.get('error')}\n{done.stderr}")
    return answer


def test_luma_plane_draws_the_encoders_modules():
    """The picture is the matrix: sampling each module's centre gives it back."""
    modules = qr_modules("0123-4567-89AB")
    plane = luma_plane(modules)
    side = len(modules) + 2 * QUIET_ZONE
    scale = int(min(WIDTH, HEIGHT) * 0.85) // side
    left, top = (WIDTH - side * scale) // 2, (HEIGHT - side * scale) // 2
    for r in range(-QUIET_ZONE, len(modules) + QUIET_ZONE):
        for c in range(-QUIET_ZONE, len(modules) + QUIET_ZONE):
            x = left + (c + QUIET_ZONE) * scale + scale // 2
            y = top + (r + QUIET_ZONE) * scale + scale // 2
            inside = 0 <= r < len(modules) and 0 <= c < len(modules)
            assert plane[y * WIDTH + x] == (INK if inside and modules[r][c] else PAPER)
    assert plane[0] == BACKGROUND and len(plane) == WIDTH * HEIGHT


def test_scanning_a_credential_qr_code_in_chromium(
    server,  # noqa: F811
    artifacts,
    capsys,
    monkeypatch,
    tmp_path,
):
    committee = Committee(capsys, monkeypatch, server, tmp_path)
    codes = committee.prepare(voters=2)
    committee.admin("open", "--election", committee.id)
    scanned, typed = codes
    assert format_code(parse_code(scanned)) == scanned  # the sheets' display form

    videos = tmp_path / "camera"
    videos.mkdir()
    url = f"https://kiemphieu.example/?election={committee.id}&code={scanned}"
    seen = drive(
        base=server.url,
        election=committee.id,
        artifacts=str(artifacts / "qr-scan"),
        videos={
            "code": str(write_y4m(videos / "code.y4m", qr_modules(scanned))),
            "url": str(write_y4m(videos / "url.y4m", qr_modules(url))),
            "blank": str(write_y4m(videos / "blank.y4m", None)),
        },
        typed=typed,
    )

    code = seen["code"]
    assert code["problems"] == [], code["problems"]
    assert code["submitted"] == [format_code(parse_code(scanned))]
    assert code["fieldAfter"] == "", "the code is not kept on the page"
    assert code["camera"] == {"opened": 1, "live": 0, "attached": False}
    assert code["rollLookups"] == 1  # checked against the roll, as a typed code is

    wrong = seen["url"]
    assert wrong["problems"] == [], wrong["problems"]
    assert wrong["submitted"] == [] and wrong["field"] == ""
    assert wrong["camera"] == {"opened": 1, "live": 0, "attached": False}
    assert wrong["step"] == "code" and wrong["focus"] == "scan-qr"

    blank = seen["blank"]
    assert blank["problems"] == [], blank["problems"]
    assert blank["scanning"] == {"opened": 1, "live": 1, "attached": True}
    assert blank["stopped"] == {"opened": 1, "live": 0, "attached": False}
    assert blank["stopFocus"] == "scan-qr"
    assert blank["stoppedWhileOpening"] == {"opened": 2, "live": 0, "attached": False}
    assert blank["typedWhileScanning"] == {"opened": 3, "live": 0, "attached": False}
    assert blank["submitted"] == [typed]
    assert len(seen["shots"]) == 6
