"""Where the verifier's per-segment tasks run: here, in worker processes, or
on an existing Dask distributed cluster (docs/record.md "Verification").

Results come back in submission order, and at most a few tasks per worker
are in flight, so a board of any size streams through in bounded memory.
The Dask client library (``distributed``, the optional extra ``dask``) is
imported only when a cluster address is given.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any, Protocol, TypeVar

from ..errors import ParameterError

J = TypeVar("J")
R = TypeVar("R")

IN_FLIGHT_PER_WORKER = 2
MAX_WORKERS = 256


class _Future(Protocol):
    def result(self) -> Any: ...


class SegmentRunner:
    """Runs tasks inline (``workers`` = 1), in a process pool (``workers`` > 1)
    or on the Dask cluster at ``dask`` (an address such as
    ``tcp://10.0.0.5:8786``). Use as a context manager."""

    def __init__(self, workers: int = 1, dask: str | None = None) -> None:
        if not 1 <= workers <= MAX_WORKERS:
            raise ParameterError(f"workers must be 1..{MAX_WORKERS}, got {workers}")
        if dask is not None and not dask.strip():
            raise ParameterError("the Dask scheduler address is empty")
        self.workers = workers
        self.dask = dask
        self._pool: Executor | None = None
        self._client: Any = None
        self._width = 1

    def __enter__(self) -> SegmentRunner:
        if self.dask is not None:
            try:
                from distributed import Client  # noqa: PLC0415 - optional, only when asked
            except ImportError:
                raise ParameterError(
                    "--dask needs the Dask client library: pip install 'kiemphieu[dask]'"
                ) from None
            try:
                self._client = Client(  # type: ignore[no-untyped-call]
                    self.dask, set_as_default=False, timeout=30
                )
            except (OSError, TimeoutError) as exc:
                raise ParameterError(
                    f"cannot reach the Dask scheduler at {self.dask}: {exc}"
                ) from None
            cores = sum(self._client.nthreads().values())
            self._width = max(1, cores)
        elif self.workers > 1:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
            self._width = self.workers
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def where(self) -> str:
        """Where the tasks run, for the report's reader."""
        if self.dask is not None:
            return f"Dask cluster {self.dask}"
        return f"{self.workers} worker processes" if self.workers > 1 else "this process"

    def _submit(self, fn: Callable[[J], R], job: J) -> _Future:
        if self._client is not None:
            return self._client.submit(fn, job, pure=False)  # type: ignore[no-any-return]
        if self._pool is not None:
            return self._pool.submit(fn, job)
        raise RuntimeError("runner not started")

    def map(self, fn: Callable[[J], R], jobs: Iterable[J]) -> Iterator[R]:
        """``fn(job)`` for every job, results in order, jobs taken lazily."""
        if self._client is None and self._pool is None:
            for job in jobs:
                yield fn(job)
            return
        pending: deque[_Future] = deque()
        limit = IN_FLIGHT_PER_WORKER * self._width
        for job in jobs:
            pending.append(self._submit(fn, job))
            if len(pending) >= limit:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
