"""``kiemphieu serve`` refuses to start, in one line with the fix, on a data
folder it cannot make, a database of a newer kiemphieu, a file that is not a
database, an unsupported URL and an unreachable PostgreSQL (issue 13)."""

from __future__ import annotations

import argparse
import os
import stat

import pytest
from sqlalchemy import create_engine, select

from kiemphieu.server import serve
from kiemphieu.server.storage import schema
from kiemphieu.server.storage.database import MIGRATIONS, open_database


def _run(capsys, *argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="kiemphieu")
    serve.register(parser.add_subparsers(dest="verb"))
    args = parser.parse_args(["serve", "--no-web", *argv])
    code = args.handler(args)
    err = capsys.readouterr().err
    return code, err


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip() and "API only" not in line]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_a_database_of_a_newer_kiemphieu_is_refused_unchanged(capsys, tmp_path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'kiemphieu.sqlite3'}")
    with db.write() as conn:
        conn.execute(schema.schema_version.insert().values(version=99, applied_at="x"))
    db.dispose()
    code, err = _run(capsys, "--data", str(tmp_path))
    assert code == 1
    line = _one_line(err)
    assert (
        f"schema version 99, made by a newer kiemphieu (this one knows up to {len(MIGRATIONS)})"
        in line
    )
    engine = create_engine(f"sqlite:///{tmp_path / 'kiemphieu.sqlite3'}")
    with engine.connect() as conn:
        versions = conn.execute(select(schema.schema_version.c.version)).scalars().all()
    engine.dispose()
    assert max(versions) == 99 and len(versions) == len(MIGRATIONS) + 1  # nothing added


@pytest.mark.parametrize(
    ("setup", "argv", "needle"),
    [
        ("file-as-folder", ("--data", "{tmp}/plain-file"), "cannot create the data folder"),
        ("corrupt", ("--data", "{tmp}"), "cannot be used"),
        ("mysql", ("--data", "{tmp}/d", "--db", "mysql://u@localhost/db"), "--db: unsupported"),
        (
            "pg-down",
            ("--data", "{tmp}/d", "--db", "postgresql://postgres@127.0.0.1:1/none"),
            "cannot open the database",
        ),
    ],
)
def test_startup_faults_are_one_line_with_the_fix(capsys, tmp_path, setup, argv, needle) -> None:
    if setup == "file-as-folder":
        (tmp_path / "plain-file").write_text("not a folder")
    if setup == "corrupt":
        (tmp_path / "kiemphieu.sqlite3").write_bytes(b"this is not an SQLite database" * 100)
    code, err = _run(capsys, *(a.format(tmp=tmp_path) for a in argv))
    assert code == 1
    assert needle in _one_line(err)


@pytest.fixture(autouse=True)
def keep_umask():
    """serve.run sets the process umask to 077; give the test process its own back."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


def test_a_data_folder_open_to_others_is_refused_with_the_fix(capsys, tmp_path) -> None:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    code, err = _run(capsys, "--data", str(folder))
    assert code == 1
    line = _one_line(err)
    assert "open to other users (mode 755)" in line and f"chmod 700 {folder}" in line
    assert not (folder / "kiemphieu.sqlite3").exists()


def test_the_data_folder_and_database_are_for_the_server_alone_whatever_the_umask(tmp_path) -> None:
    from kiemphieu.server.config import ServerConfig

    os.umask(0o022)
    folder = tmp_path / "fresh"
    url = f"sqlite:///{folder / 'kiemphieu.sqlite3'}"
    token = serve._prepare(ServerConfig(db_url=url, data_dir=folder))
    assert token is not None
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
