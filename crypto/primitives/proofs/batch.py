"""Batch verification with bisection (docs/spec.md §10).

A batch check combines many equations with fresh random 128-bit weights δ
(the small-exponent test). It passes for a batch holding a false equation
with probability about 2^-128 per attempt. When a batch fails, bisection
re-checks halves until each bad item stands alone, so the caller learns which
items to refuse and accepts the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from .. import rng

T = TypeVar("T")

WEIGHT_BITS = 128


def weights(count: int) -> list[int]:
    """``count`` fresh batch weights δ, each uniform in [1, 2^128)."""
    out = []
    for _ in range(count):
        d = 0
        while d == 0:
            d = rng.random_bits(WEIGHT_BITS)
        out.append(d)
    return out


def find_bad(
    items: Sequence[T],
    check_batch: Callable[[Sequence[T]], bool],
    check_one: Callable[[T], bool] | None = None,
) -> tuple[int, ...]:
    """Indices of the items for which the check fails, by bisection.

    ``check_batch`` checks a sub-sequence together; ``check_one`` (default:
    ``check_batch`` on a one-item list) decides a single item. An empty tuple
    means the whole batch verified.
    """
    one = check_one if check_one is not None else (lambda x: check_batch([x]))

    def walk(lo: int, hi: int, known_bad: bool) -> list[int]:
        if hi - lo == 1:
            return [] if one(items[lo]) else [lo]
        if not known_bad and check_batch(items[lo:hi]):
            return []
        mid = (lo + hi) // 2
        left = walk(lo, mid, False)
        # If the whole range failed and the left half passed, the right half
        # must hold a bad item: skip its batch check and split it at once.
        right = walk(mid, hi, known_bad and not left)
        return left + right

    if not items:
        return ()
    return tuple(walk(0, len(items), False))
