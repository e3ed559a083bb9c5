"""Group commit: concurrent write jobs share one transaction (docs/performance.md).

A request thread hands its write job (a function of the connection) to the
process's committer thread and waits. The committer takes every job waiting,
runs each in its own savepoint of one write transaction, commits once, and
only then hands each caller its outcome: a result is never returned before
the transaction that made it durable has committed. A job that raises is
rolled back to its savepoint alone; if the transaction fails, every job of the
group fails and nothing of it is stored.

One transaction per group instead of one per job: one fsync, one acquisition
of the database's write lock (SQLite) or of the election's row lock
(PostgreSQL), so worker processes do not queue behind each other's commits.
The committer thread starts lazily, in the process that serves (after a
pre-forking server forks), never in the parent.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection

T = TypeVar("T")
Begin = Callable[[], AbstractContextManager[Connection]]


@dataclass
class _Job:
    run: Callable[[Connection], Any]
    future: Future[Any]


class GroupCommit:
    """Runs write jobs of concurrent threads together, at most ``max_jobs`` per transaction."""

    def __init__(self, begin: Begin, max_jobs: int = 128, idle_s: float = 30.0) -> None:
        self._begin = begin
        self.max_jobs = max_jobs
        self.idle_s = idle_s
        self._queue: queue.Queue[_Job] = queue.Queue()
        self._lock = threading.Lock()
        self._running: int | None = None  # the pid whose committer thread runs
        self.groups = 0

    def run(self, job: Callable[[Connection], T], timeout: float = 120.0) -> T:
        """Run ``job(conn)`` in the next group's transaction; returns its result
        (or raises its exception) once that transaction has committed."""
        item = _Job(job, Future())
        with self._lock:  # the committer stops only under this lock, with an empty queue
            if self._running != os.getpid():
                self._running = os.getpid()
                threading.Thread(target=self._loop, name="kiemphieu-commit", daemon=True).start()
            self._queue.put(item)
        result: T = item.future.result(timeout=timeout)
        return result

    def _loop(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self.idle_s)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():  # idle: stop; the next run() starts another
                        self._running = None
                        return
                continue
            jobs = [first]
            while len(jobs) < self.max_jobs:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(jobs)
            self.groups += 1

    def _commit(self, jobs: list[_Job]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self._begin() as conn:
                for job in jobs:
                    try:
                        with conn.begin_nested():
                            outcomes.append((True, job.run(conn)))
                    except Exception as exc:  # this job alone is undone; handed to its caller
                        outcomes.append((False, exc))
        except Exception as exc:  # the transaction or its commit failed: none is stored
            for job in jobs:
                job.future.set_exception(exc)
            return
        for job, (ok, value) in zip(jobs, outcomes, strict=True):
            if ok:
                job.future.set_result(value)
            else:
                job.future.set_exception(value)
