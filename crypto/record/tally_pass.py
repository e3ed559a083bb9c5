"""The verifier's tally pass over an election record (docs/spec.md §8.7,
§11 step 7): the counted set compared with tally.json, then the counted
ballots' ciphertexts multiplied segment by segment (in worker processes or on
a Dask cluster when asked) and packed. The first pass (:mod:`.verify`) found
each credential's counted position and each segment's range.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence

from ..election.context import ElectionContext
from ..election.tally import EncryptedTally, QuestionTally, pack
from .archive import RecordArchive
from .documents import TallyRecord
from .parallel import SegmentRunner
from .report import Collector
from .segments import AccumulateJob, ContextWire, accumulate_segment

Progress = Callable[[str, int, int], None]


def counted_set(
    r: Collector, counted_by_credential: Mapping[bytes, int], tally: TallyRecord | None
) -> tuple[int, ...]:
    """``counted-set``: the positions the board gives, as tally.json lists them."""
    counted = tuple(sorted(counted_by_credential.values()))
    if tally is None:
        r.failed("counted-set", "tally.json cannot be read: no counted set to compare")
    else:
        differ = sorted(set(counted) ^ set(tally.counted))
        r.item(
            "counted-set",
            counted == tally.counted,
            f"tally.json counts other positions than the board gives (differing: {differ[:8]})",
        )
    return counted


def check_encrypted_tally(
    r: Collector,
    ctx: ElectionContext,
    *,
    archive: RecordArchive,
    runner: SegmentRunner,
    ranges: Sequence[tuple[str, int, int]],
    tally: TallyRecord,
    counted: tuple[int, ...],
    progress: Progress | None,
) -> bool:
    """``encrypted-tally``: the counted ballots multiplied and packed; True
    when tally.json's packed ciphertexts are the recomputed ones. ``ranges``
    are the segments' (file name, first position, entries)."""
    wire = ContextWire.of(ctx)
    wanted = sorted(counted)

    def jobs() -> Iterator[AccumulateJob]:
        k = 0
        for name, start, count in ranges:
            mine = []
            while k < len(wanted) and wanted[k] < start + count:
                mine.append(wanted[k])
                k += 1
            if mine:
                yield AccumulateJob(wire, name, archive.read(name), tuple(mine))

    n2 = ctx.public_key.n2
    acc = [[1] * len(q.parts) for q in ctx.manifest.questions]
    found = 0
    for part in runner.map(accumulate_segment, jobs()):
        if part.error is not None:
            r.failed("encrypted-tally", f"{part.name}: {part.error}")
            return False
        for row, products in zip(acc, part.products, strict=True):
            for j, c in enumerate(products):
                row[j] = row[j] * c % n2
        found += part.ballots
        if progress is not None:
            progress("tally", found, len(wanted))
    recomputed = EncryptedTally(
        ctx.hash,
        found,
        tuple(
            QuestionTally(q.id, tuple(row))
            for q, row in zip(ctx.manifest.questions, acc, strict=True)
        ),
    )
    r.item("encrypted-tally", tally.election == ctx.hash, "tally.json of another election")
    fits = found <= ctx.manifest.max_ballots
    r.item("encrypted-tally", fits, f"{found} ballots exceed the counters' 2^b − 1")
    r.item("encrypted-tally", recomputed == tally.tally, "the encrypted tally differs")
    same = pack(ctx, recomputed) == tally.packed
    r.item("encrypted-tally", same, "the packed ciphertexts are not the tally's packing")
    return r.clean("encrypted-tally")
