"""Storage: versioned migrations, SQLite durability settings, the server's identity."""

from __future__ import annotations

from sqlalchemy import select, text

from kiemphieu.server.identity import ensure_admin_token, hash_token, load_identity
from kiemphieu.server.storage import schema
from kiemphieu.server.storage.database import MIGRATIONS, open_database


def test_migrations_are_versioned_and_idempotent(db_url):
    db = open_database(db_url)
    try:
        assert db.schema_version() == len(MIGRATIONS)
        assert db.migrate() == len(MIGRATIONS)  # nothing pending: no error, no duplicate row
        with db.read() as conn:
            versions = conn.execute(select(schema.schema_version.c.version)).scalars().all()
        assert sorted(versions) == list(range(1, len(MIGRATIONS) + 1))
    finally:
        db.dispose()
    again = open_database(db_url)
    assert again.schema_version() == len(MIGRATIONS)
    again.dispose()


def test_sqlite_runs_wal_with_full_sync(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'k.sqlite3'}")
    with db.read() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.dispose()


def test_admin_token_made_once_and_stored_hashed(db_url):
    db = open_database(db_url)
    try:
        token = ensure_admin_token(db)
        assert token is not None and len(token) >= 40
        assert ensure_admin_token(db) is None
        with db.read() as conn:
            stored = conn.execute(select(schema.settings.c.value)).scalars().all()
        assert token not in " ".join(stored)
        assert hash_token(token) in stored
        identity = load_identity(db)
        assert identity.admin_token_ok(token)
        assert not identity.admin_token_ok(token + "x")
        assert token not in repr(identity) and identity.receipt_seed.hex() not in repr(identity)
        assert load_identity(db).receipt_public_key == identity.receipt_public_key
    finally:
        db.dispose()


def test_upgrade_from_version_1(tmp_path):
    """A database left at schema version 1 is brought to the current version on open."""
    from sqlalchemy import create_engine, inspect

    from kiemphieu.server.storage.database import now

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        MIGRATIONS[0](conn)
        conn.execute(schema.schema_version.insert().values(version=1, applied_at=now()))
    assert "trustees" not in inspect(engine).get_table_names()
    engine.dispose()
    db = open_database(url)
    assert db.schema_version() == len(MIGRATIONS) >= 2
    assert {"trustees", "trustee_shares", "tallies"} <= set(inspect(db.engine).get_table_names())
    db.dispose()
