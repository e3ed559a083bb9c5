"""Batch verification of concurrent casts (docs/performance.md, throughput).

Casts that arrive within a short window are verified together with one
batched equation check (docs/spec.md §10.1); bisection isolates a bad ballot,
which alone is refused. Each request thread waits for its own outcome.
The worker thread starts lazily, so it lives in the process that serves
(after a pre-forking server forks), never in the parent.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from kiemphieu.crypto.election.ballot import Ballot, VerifiedBallot, verify_ballots
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.errors import VerificationError

Outcome = VerifiedBallot | VerificationError
Verifier = Callable[[ElectionContext, Sequence[Ballot]], Sequence[Outcome]]


@dataclass
class _Job:
    ctx: ElectionContext
    ballot: Ballot
    future: Future[Outcome]


class Batcher:
    """Gathers ballots for up to ``window_s`` seconds or ``max_items`` ballots."""

    def __init__(
        self, window_s: float, max_items: int, verifier: Verifier = verify_ballots
    ) -> None:
        self.window_s = window_s
        self.max_items = max_items
        self.verifier = verifier
        self._queue: queue.Queue[_Job] = queue.Queue()
        self._lock = threading.Lock()
        self._pid: int | None = None
        self.batches = 0

    def submit(self, ctx: ElectionContext, ballot: Ballot, timeout: float = 120.0) -> Outcome:
        """Verify ``ballot`` with whatever else is waiting; blocks until done."""
        self._ensure_worker()
        job = _Job(ctx, ballot, Future())
        self._queue.put(job)
        return job.future.result(timeout=timeout)

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="kiemphieu-batcher", daemon=True).start()

    def _gather(self) -> list[_Job]:
        jobs = [self._queue.get()]
        deadline = time.monotonic() + self.window_s
        while len(jobs) < self.max_items:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                jobs.append(self._queue.get(timeout=left))
            except queue.Empty:
                break
        return jobs

    def _run(self) -> None:
        while True:
            jobs = self._gather()
            groups: dict[bytes, list[_Job]] = {}
            for job in jobs:
                groups.setdefault(job.ctx.hash, []).append(job)
            for group in groups.values():
                try:
                    outcomes = self.verifier(group[0].ctx, [j.ballot for j in group])
                except Exception as exc:
                    for j in group:
                        j.future.set_exception(exc)
                    continue
                for j, outcome in zip(group, outcomes, strict=True):
                    j.future.set_result(outcome)
            self.batches += 1
