"""The Boneh–Franklin biprimality test on a shared n = p·q (docs/spec.md §12.5).

With p ≡ q ≡ 3 (mod 4) and p = Σ p_j, q = Σ q_j where p_1 ≡ q_1 ≡ 3 and
p_j ≡ q_j ≡ 0 (mod 4) for j > 1: for a g with Jacobi symbol (g/n) = 1,
trustee 1 publishes v_1 = g^((n + 1 − p_1 − q_1)/4) and trustee j > 1
publishes v_j = g^((p_j + q_j)/4) (mod n). If n is the product of two
distinct primes, v_1 ≡ ±Π_{j>1} v_j (mod n) always holds (it says
g^(φ(n)/4) = ±1); otherwise it fails for at least half of the g
(Boneh–Franklin 2001, except for n = r^a·s^b with a or b > 1, which an
honest candidate is with negligible probability, §12.5).

The bases are derived by hashing, so nobody chooses them.
"""

from __future__ import annotations

from collections.abc import Sequence

import gmpy2

from ..primitives.numbers import invert, is_unit, powmod
from ..primitives.transcript import Tag, hash_to_unit


def base(session: bytes, n: int, round_: int) -> int:
    """g for test ``round_`` of candidate n: the first hash_to_unit(keygen/biprimality,
    n, session, n, round, j) for j = 0, 1, … with Jacobi symbol +1."""
    j = 0
    while True:
        g = hash_to_unit(Tag.KEYGEN_BIPRIMALITY, n, session, n, round_, j)
        if gmpy2.jacobi(g, n) == 1:
            return g
        j += 1


def exponent(index: int, n: int, p_share: int, q_share: int) -> int:
    """(n + 1 − p_1 − q_1)/4 for trustee 1, (p_j + q_j)/4 for the others."""
    total = n + 1 - p_share - q_share if index == 1 else p_share + q_share
    return total // 4


def value(index: int, n: int, p_share: int, q_share: int, g: int) -> int:
    """This trustee's v_j for base g."""
    return powmod(g, exponent(index, n, p_share, q_share), n)


def passes(n: int, values: dict[int, int]) -> bool:
    """v_1 ≡ ±Π_{j>1} v_j (mod n), every v_j a unit in (0, n)."""
    if not all(0 < v < n and is_unit(v, n) for v in values.values()):
        return False
    rest = 1
    for j, v in values.items():
        if j != 1:
            rest = rest * v % n
    lhs = values[1] * invert(rest, n) % n
    return lhs in (1, n - 1)


def all_pass(n: int, rounds: Sequence[dict[int, int]]) -> bool:
    """Every round of values passes."""
    return all(passes(n, r) for r in rounds)
