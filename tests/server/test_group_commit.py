"""Group commit (server/storage/group_commit.py), on SQLite and PostgreSQL.

Concurrent write jobs share one transaction; each caller gets its outcome only
after that transaction committed; a job that raises is undone alone; a failed
commit fails every job of the group and stores none of it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Connection, select

from kiemphieu.server.errors import ApiError
from kiemphieu.server.storage import schema
from kiemphieu.server.storage.database import Database, open_database
from kiemphieu.server.storage.group_commit import GroupCommit


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.dispose()


def names(db: Database) -> set[str]:
    with db.read() as conn:
        return set(conn.execute(select(schema.settings.c.name)).scalars())


def insert(name: str, fail: bool = False) -> Callable[[Connection], str]:
    def job(conn: Connection) -> str:
        conn.execute(schema.settings.insert().values(name=name, value="v"))
        if fail:
            raise ApiError(409, "refused", f"{name} refused")
        return name

    return job


def run_together(group: GroupCommit, jobs: list[Callable[[Connection], str]]) -> list[object]:
    """Run ``jobs`` from one thread each, all queued behind a first job that
    waits until they are, so that they form one group; returns each outcome."""
    entered, release = threading.Event(), threading.Event()

    def gate(conn: Connection) -> str:
        entered.set()
        release.wait(10)
        return "gate"

    outcomes: list[object] = [None] * len(jobs)

    def call(i: int) -> None:
        try:
            outcomes[i] = group.run(jobs[i])
        except Exception as exc:
            outcomes[i] = exc

    first = threading.Thread(target=group.run, args=(gate,))
    first.start()
    assert entered.wait(10)  # the committer runs the gate: the others queue behind it
    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while group._queue.qsize() < len(jobs) and time.monotonic() < deadline:
        time.sleep(0.005)
    release.set()
    for t in [first, *threads]:
        t.join(10)
    return outcomes


def test_concurrent_jobs_share_one_transaction(db: Database) -> None:
    group = GroupCommit(db.write)
    outcomes = run_together(group, [insert(f"k{i}") for i in range(30)])
    assert outcomes == [f"k{i}" for i in range(30)]
    assert names(db) >= {f"k{i}" for i in range(30)}
    assert group.groups == 2  # the gate alone, then the 30 together


def test_a_failing_job_is_undone_alone(db: Database) -> None:
    group = GroupCommit(db.write)
    outcomes = run_together(group, [insert("a"), insert("b", fail=True), insert("c")])
    assert outcomes[0] == "a" and outcomes[2] == "c"
    assert isinstance(outcomes[1], ApiError) and outcomes[1].code == "refused"
    stored = names(db)
    assert {"a", "c"} <= stored and "b" not in stored
    assert group.groups == 2


def test_outcome_only_after_commit(db: Database) -> None:
    committed: list[str] = []

    @contextmanager
    def begin() -> Iterator[Connection]:
        with db.write() as conn:
            yield conn
        committed.append("done")

    group = GroupCommit(begin)
    assert group.run(insert("x")) == "x"
    assert committed == ["done"]  # the commit happened before run() returned
    with pytest.raises(ApiError):
        group.run(insert("y", fail=True))
    assert "y" not in names(db)


def test_a_failed_commit_fails_every_job(db: Database) -> None:
    calls = 0

    @contextmanager
    def begin() -> Iterator[Connection]:
        nonlocal calls
        calls += 1
        with db.write() as conn:
            yield conn
            if calls == 2:  # the group after the gate: fail before the commit
                raise RuntimeError("disk full")

    group = GroupCommit(begin)
    outcomes = run_together(group, [insert("p"), insert("q")])
    assert all(isinstance(o, RuntimeError) for o in outcomes), outcomes
    assert not {"p", "q"} & names(db)
    assert group.run(insert("r")) == "r"  # the committer lives on
    assert "r" in names(db)


def test_database_write_grouped(db: Database) -> None:
    assert db.write_grouped(insert("via-db")) == "via-db"
    assert "via-db" in names(db)


def test_the_committer_stops_when_idle_and_restarts(db: Database) -> None:
    group = GroupCommit(db.write, idle_s=0.05)
    assert group.run(insert("before")) == "before"
    deadline = time.monotonic() + 5
    while group._running is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert group._running is None
    assert group.run(insert("after")) == "after"
    assert {"before", "after"} <= names(db)
