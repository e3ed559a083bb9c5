"""``kiemphieu serve`` refuses to start, in one line with the fix, on a data
folder it cannot make, a database of a newer kiemphieu, a file that is not a
database, an unsupported URL and an unreachable PostgreSQL (issue 13)."""

from __future__ import annotations

import argparse

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
        ("mysql", ("--db", "mysql://u@localhost/db"), "--db: unsupported database 'mysql'"),
        ("pg-down", ("--db", "postgresql://postgres@127.0.0.1:1/none"), "cannot open the database"),
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
