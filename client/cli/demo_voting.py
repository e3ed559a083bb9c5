"""The demo's voters: encrypt ballots in a small process pool, cast them, check each receipt.

At 3072 bits a 5-row confidence ballot costs one to two seconds of modular
exponentiations, so ``kiemphieu demo --auto`` encrypts in ``workers``
processes (spawned, not forked: the demo runs a reader thread). Finished
ballots are cast from a few threads at once, as voters at separate machines
would, so the server verifies them in batches; each server's signed receipt
is verified (as ``kiemphieu vote`` does).
"""

from __future__ import annotations

import itertools
import multiprocessing
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from kiemphieu.crypto import codec
from kiemphieu.crypto.election.ballot import Ballot, Vote, encrypt_ballot, tracking_code
from kiemphieu.crypto.election.context import ElectionContext
from kiemphieu.crypto.election.credential import derive_key

from .http import ApiClient, api_path
from .voter import check_receipt, fetch_receipt_key

Job = tuple[ElectionContext, str, Mapping[str, Vote]]
IN_FLIGHT = 4


def encrypt_one(job: Job) -> Ballot:
    """One voter's ballot: the key derived from the code, the votes encrypted and signed."""
    ctx, code, votes = job
    return encrypt_ballot(ctx, derive_key(code, ctx.election_id, ctx.registrar_key), votes)


def _ballots(jobs: Sequence[Job], workers: int) -> Iterator[Ballot]:
    if workers <= 1:
        yield from map(encrypt_one, jobs)
        return
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
        yield from pool.map(encrypt_one, jobs)


def cast_ballots(
    client: ApiClient,
    ctx: ElectionContext,
    codes: Sequence[str],
    votes: Iterable[Mapping[str, Vote]],
    *,
    workers: int,
    say: Callable[[str], None],
) -> list[bytes]:
    """Cast one ballot per code; returns the tracking codes. Raises like ``vote``."""
    server_key = fetch_receipt_key(client)
    jobs = [(ctx, code, v) for code, v in zip(codes, votes, strict=True)]
    path = api_path("elections", ctx.election_id, "ballots")

    done = itertools.count(1)
    lock = threading.Lock()

    def cast(ballot: Ballot) -> bytes:
        own = ApiClient(client.base_url, timeout_s=client.timeout_s)  # one session per thread
        answer = own.post(path, codec.dumps(ballot), idempotent=True)
        code = tracking_code(ballot)
        check_receipt(answer, server_key, ctx.hash, code)
        with lock:
            n = next(done)
            if n % 10 == 0 or n == len(jobs):
                say(f"  {n}/{len(jobs)} ballots cast")
        return code

    with ThreadPoolExecutor(max_workers=IN_FLIGHT) as senders:
        futures = [senders.submit(cast, ballot) for ballot in _ballots(jobs, workers)]
    return [f.result() for f in futures]
