"""Opening the database: SQLite (embedded default) or PostgreSQL, and migrations.

SQLite runs in WAL mode with ``synchronous=FULL``, so a committed transaction
survives a crash of the process or the machine; every write transaction starts
with ``BEGIN IMMEDIATE`` so appends to a board are serialized across worker
processes. PostgreSQL serializes appends with a row lock on the election.
Schema changes are numbered migrations applied in order at start-up.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from . import schema
from .group_commit import GroupCommit

Migration = Callable[[Connection], None]
T = TypeVar("T")


def _v1(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=list(schema.VERSION_1))


def _v2(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=list(schema.VERSION_2))


class SchemaError(RuntimeError):
    """The database holds data this version cannot carry forward."""


def _v3(conn: Connection) -> None:
    """The registrar, the signed roll and the close attestations (spec version 2).

    Elections keyed under spec version 1 (key ceremony without its committee,
    trustees without signed cards) cannot be read by this version: refuse to
    migrate a database that holds one, without changing anything."""
    keyed = conn.execute(
        select(func.count())
        .select_from(schema.elections)
        .where(schema.elections.c.ceremony.is_not(None))
    ).scalar_one()
    members = conn.execute(select(func.count()).select_from(schema.trustees)).scalar_one()
    if keyed or members:
        raise SchemaError(
            f"this database holds {keyed} keyed election(s) and {members} trustee(s) of "
            "protocol version 1, which this kiemphieu cannot read; export their election "
            "records with the kiemphieu that made them and start this one on a new database"
        )
    schema.metadata.create_all(conn, tables=list(schema.VERSION_3))


def _v4(conn: Connection) -> None:
    """Key generation by the committee (spec §12), and key ceremonies of
    version 3. An election keyed under a version-2 ceremony cannot be read any
    more (its H_E hashes the old document): refuse, changing nothing."""
    texts = conn.execute(
        select(schema.elections.c.ceremony).where(schema.elections.c.ceremony.is_not(None))
    ).scalars()
    old = sum(1 for t in texts if json.loads(t).get("version") != 3)
    if old:
        raise SchemaError(
            f"this database holds {old} election(s) keyed under a key ceremony of version 2, "
            "which this kiemphieu cannot read; export their election records with the "
            "kiemphieu that made them and start this one on a new database"
        )
    schema.metadata.create_all(conn, tables=list(schema.VERSION_4))


MIGRATIONS: tuple[Migration, ...] = (_v1, _v2, _v3, _v4)
"""MIGRATIONS[k] brings the schema from version k to k + 1."""


def now() -> str:
    """The current UTC time as an ISO 8601 string with seconds."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@dataclass
class Database:
    """An engine plus the knowledge of its dialect."""

    engine: Engine
    _group: GroupCommit = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._group = GroupCommit(self.write)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction (BEGIN IMMEDIATE on SQLite); commits on success."""
        with self.engine.begin() as conn:
            yield conn

    def write_grouped(self, job: Callable[[Connection], T]) -> T:
        """Run ``job(conn)`` in a write transaction shared with concurrent callers
        (group commit, in a savepoint of its own); returns once it has committed."""
        return self._group.run(job)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only unit of work."""
        with self.engine.connect() as conn:
            yield conn.execution_options(sqlite_begin="DEFERRED")

    def schema_version(self) -> int:
        with self.read() as conn:
            if not self.engine.dialect.has_table(conn, "schema_version"):
                return 0
            rows = conn.execute(select(schema.schema_version.c.version)).scalars().all()
            return max(rows, default=0)

    def migrate(self) -> int:
        """Apply every pending migration; returns the schema version."""
        with self.write() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(584211)"))
            schema.schema_version.create(conn, checkfirst=True)
            done = conn.execute(select(schema.schema_version.c.version)).scalars().all()
            current = max(done, default=0)
            if current > len(MIGRATIONS):
                raise SchemaError(
                    f"this database has schema version {current}, made by a newer kiemphieu "
                    f"(this one knows up to {len(MIGRATIONS)}); run that version, or give "
                    "a new --data folder or --db"
                )
            for version in range(current, len(MIGRATIONS)):
                MIGRATIONS[version](conn)
                conn.execute(
                    schema.schema_version.insert().values(version=version + 1, applied_at=now())
                )
        return len(MIGRATIONS)

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str) -> Database:
    """Open (and create if needed) the database at ``url`` and migrate it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise ValueError("an in-memory SQLite database cannot be shared; give a file path")
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        _configure_sqlite(engine)
    elif parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = create_engine(parsed, pool_pre_ping=True)
    else:
        raise ValueError(
            f"unsupported database {parsed.get_backend_name()!r}: sqlite or postgresql"
        )
    db = Database(engine)
    db.migrate()
    return db


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {'DEFERRED' if mode == 'DEFERRED' else 'IMMEDIATE'}")
