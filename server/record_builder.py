"""Election records built in the background (docs/record.md §3, docs/api.md).

No Flask here. Building the record of a large election takes long (about
0.8 CPU-hours for a million ballots), far longer than a request may wait, so
the server starts the build as soon as the election enters a state that has
a record (closed, tallied, published), once that transaction has committed,
and on start for every such election whose file is missing. Requests never
build: they serve the file once it exists and answer 202 meanwhile.

One daemon thread per election being built, in the process that asked; the
threads start in the process that serves (after a pre-forking server forks),
never in the parent. Across worker processes the file lock of
:mod:`.records` lets one build while the others' threads wait for it and then
find the file. A build killed with its process leaves a temporary file that
the next build (the next request's or the next start's) removes first.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from . import records
from .contexts import ContextCache
from .errors import ApiError
from .storage.database import Database

log = logging.getLogger(__name__)

FAILURE_BACKOFF_S = 300.0
"""After a failed build, requests wait this long before one starts it again
(a state change starts it at once): a build that fails late on a large board
must not be restarted by every client polling for the record."""


class RecordBuilder:
    """Starts and tracks this process's background record builds.

    ``hook`` is passed to every build (:data:`records.BuildHook`); tests use
    it to hold a build until they release it."""

    def __init__(
        self,
        db: Database,
        contexts: ContextCache,
        receipt_seed: bytes,
        data_dir: Path,
        *,
        hook: records.BuildHook | None = None,
        failure_backoff: float = FAILURE_BACKOFF_S,
    ) -> None:
        self.db = db
        self.contexts = contexts
        self.receipt_seed = receipt_seed
        self.data_dir = data_dir
        self.hook = hook
        self._lock = threading.Lock()
        self._running: dict[str, threading.Thread] = {}
        self._again: set[str] = set()
        self._pid = os.getpid()
        self._closed = False
        self.failures = 0
        """Builds that failed in this process (each logged)."""
        self.failure_backoff = failure_backoff
        self._failed_at: dict[str, float] = {}

    def backing_off(self, election_id: str) -> int | None:
        """Seconds before a request may start the election's build again after
        a failed one (at least 1), or None when no recent build failed."""
        with self._lock:
            at = self._failed_at.get(election_id)
        if at is None:
            return None
        left = at + self.failure_backoff - time.monotonic()
        return max(1, round(left)) if left > 0 else None

    def request(self, election_id: str, *, after_failure: bool = True) -> None:
        """Build the record of the election's current state unless it exists;
        returns at once. A request while a build of that election runs makes
        it look again when done (the state may have moved on meanwhile).
        With ``after_failure`` False (a client polling), nothing starts while
        :meth:`backing_off` says a recent build failed."""
        if not after_failure and self.backing_off(election_id) is not None:
            return
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's threads are not ours
                self._pid = os.getpid()
                self._running.clear()
                self._again.clear()
            if self._closed:
                return
            if election_id in self._running:
                self._again.add(election_id)
                return
            thread = threading.Thread(
                target=self._run,
                args=(election_id,),
                name=f"kiemphieu-record-{election_id}",
                daemon=True,
            )
            self._running[election_id] = thread
        thread.start()

    def resume(self) -> list[str]:
        """On start: request the record of every election that should have one
        and has no file (never built, or its build was killed); returns their ids."""
        pending = records.missing(self.db, self.data_dir)
        for election_id in pending:
            self.request(election_id)
        return pending

    def building(self, election_id: str) -> bool:
        """Whether this process is building (or about to build) the election's record."""
        with self._lock:
            return election_id in self._running

    def wait(self, election_id: str | None = None, timeout: float | None = None) -> bool:
        """Wait until this process's build of ``election_id`` (of every election
        if None) is done; False if one still runs after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                threads = [t for eid, t in self._running.items() if election_id in (None, eid)]
            if not threads:
                return True
            for thread in threads:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                thread.join(left)
                if thread.is_alive():
                    return False

    def close(self, timeout: float = 30.0) -> bool:
        """Start no more builds and wait up to ``timeout`` seconds for those running."""
        with self._lock:
            self._closed = True
        return self.wait(timeout=timeout)

    def _run(self, election_id: str) -> None:
        me = threading.current_thread()
        try:
            while True:
                with self._lock:
                    self._again.discard(election_id)
                self._build(election_id)
                with self._lock:  # checked and left in one step: no request is lost
                    if election_id not in self._again or self._closed:
                        self._running.pop(election_id, None)
                        self._again.discard(election_id)
                        return
        finally:
            with self._lock:
                if self._running.get(election_id) is me:
                    del self._running[election_id]

    def _failed(self, election_id: str) -> None:
        with self._lock:
            self.failures += 1
            self._failed_at[election_id] = time.monotonic()

    def _build(self, election_id: str) -> None:
        started = time.monotonic()
        try:
            built = records.ensure_record(
                self.db,
                self.contexts,
                self.receipt_seed,
                self.data_dir,
                election_id,
                hook=self.hook,
            )
        except ApiError as exc:
            if exc.status >= 500:  # e.g. a board that no longer reads back whole
                self._failed(election_id)
                log.error("record of %s: the build failed: %s", election_id, exc.message)
            else:  # the election went away, or has no record in its state
                log.warning("record of %s not built: %s", election_id, exc.message)
        except Exception:
            self._failed(election_id)
            log.exception("record of %s: the build failed", election_id)
        else:
            with self._lock:
                self._failed_at.pop(election_id, None)
            log.info(
                "record of %s (%s) ready: %d bytes, %.1f s",
                election_id,
                built.state.value,
                built.size,
                time.monotonic() - started,
            )
