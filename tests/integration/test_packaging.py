"""The distribution: one package tree, one console command (issue: package and build)."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("kiemphieu-*.whl")
    return path


def test_wheel_holds_only_kiemphieu_packages(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"kiemphieu"}
    for sub in ("crypto", "server", "client"):
        assert f"kiemphieu/{sub}/__init__.py" in names
    assert "kiemphieu/crypto/election/ballot.py" in names
    assert not any(n.startswith(("kiemphieu/tests", "tests/", "crypto/")) for n in names)
    meta = next(n for n in names if n.endswith("entry_points.txt"))
    assert (
        "kiemphieu = kiemphieu.client.cli.main:main" in zipfile.ZipFile(wheel).read(meta).decode()
    )


def test_every_package_folder_is_in_the_wheel(wheel):
    """pyproject.toml lists packages by hand: a new folder must not be forgotten."""
    names = set(zipfile.ZipFile(wheel).namelist())
    for top in ("crypto", "server", "client"):
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.relative_to(ROOT).as_posix()
            assert f"kiemphieu/{rel}" in names, f"{rel} is missing from the wheel"


def test_fresh_venv_install_gives_the_command(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    out = subprocess.run(
        [str(bin_dir / "kiemphieu"), "--version"], check=True, capture_output=True, text=True
    )
    assert out.stdout.strip().startswith("kiemphieu ")
    helptext = subprocess.run(
        [str(bin_dir / "kiemphieu"), "--help"], check=True, capture_output=True, text=True
    ).stdout
    assert "bench" in helptext
    probe = (
        "import kiemphieu.crypto.election.ballot, importlib.util as u; print(u.find_spec('crypto'))"
    )
    res = subprocess.run(
        [str(bin_dir / "python"), "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert res.stdout.strip() == "None"  # nothing generic such as `crypto` is installed


def test_wheel_ships_the_booth_pages_and_only_them(wheel):
    """`kiemphieu serve` finds client/web in the installed package: every file the
    server would serve is in the wheel, and no npm or build file is."""
    from kiemphieu.server.web import load_site

    names = set(zipfile.ZipFile(wheel).namelist())
    site = load_site(ROOT / "client" / "web")
    served = {url for url in site.assets} | {p for p in site.pages if p != "/"}
    missing = sorted(u for u in served if f"kiemphieu/client/web{u}" not in names)
    assert not missing, missing
    assert "/js/app/booth.js" in served
    web = [n for n in names if n.startswith("kiemphieu/client/web/")]
    assert not [n for n in web if "node_modules" in n or n.endswith(("package.json", ".lock"))]
    assert "kiemphieu/client/web/package-lock.json" not in names
