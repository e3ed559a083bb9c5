"""Number theory on gmpy2 (docs/spec.md §1.2).

Plain functions on integers: modular powers and inverses, unit checks,
Lagrange coefficients scaled by Δ, and simultaneous multi-exponentiation.
Exponents are never reduced modulo an unknown group order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import gmpy2
from gmpy2 import mpz

from ..errors import InvalidElement


def powmod(base: int, exponent: int, modulus: int) -> int:
    """base^exponent mod modulus; a negative exponent inverts first."""
    return int(gmpy2.powmod(base, exponent, modulus))


def invert(x: int, modulus: int) -> int:
    """x^-1 mod modulus; raises InvalidElement if x is not a unit."""
    try:
        return int(gmpy2.invert(x, modulus))
    except ZeroDivisionError as exc:
        raise InvalidElement("element is not invertible") from exc


def is_unit(x: int, modulus: int) -> bool:
    """True if 0 < x < modulus and gcd(x, modulus) = 1."""
    return 0 < x < modulus and gmpy2.gcd(x, modulus) == 1


def check_unit(x: int, modulus: int, what: str) -> int:
    """Return x if it is a unit modulo ``modulus`` in canonical range, else raise."""
    if not is_unit(x, modulus):
        raise InvalidElement(f"{what}: not a unit in range")
    return x


def check_units(values: Sequence[int], modulus: int, what: str) -> None:
    """Check that every value is a unit in (0, modulus), with one gcd in all.

    The product of units is a unit, and the product of a sequence that holds a
    non-unit shares a factor with the modulus: one gcd then decides.
    """
    m = mpz(modulus)
    acc = mpz(1)
    for x in values:
        if not 0 < x < modulus:
            raise InvalidElement(f"{what}: out of range")
        acc = acc * x % m
    if gmpy2.gcd(acc, m) != 1:
        raise InvalidElement(f"{what}: not a unit")


def is_probable_prime(x: int, rounds: int = 40) -> bool:
    """Miller-Rabin with ``rounds`` bases (gmpy2 also runs a strong Lucas test)."""
    return bool(gmpy2.is_prime(x, rounds))


def factorial(k: int) -> int:
    """k! as an int (Δ = ℓ!)."""
    return math.factorial(k)


def lagrange_at(j: int, subset: Sequence[int], delta: int) -> dict[int, int]:
    """λ_{j,i} = Δ·Π_{i'∈S, i'≠i} (j − i')/(i − i') for i in S, as exact integers.

    With Δ = ℓ! and indices in 1..ℓ, each value is an integer (Shoup 2000).
    """
    if len(set(subset)) != len(subset):
        raise ValueError("indices must be distinct")
    out: dict[int, int] = {}
    for i in subset:
        num = delta
        den = 1
        for k in subset:
            if k != i:
                num *= j - k
                den *= i - k
        if num % den != 0:
            raise ValueError("Lagrange coefficient is not integral; Δ too small")
        out[i] = num // den
    return out


def multi_powmod(bases: Sequence[int], exponents: Sequence[int], modulus: int) -> int:
    """Π bases[i]^exponents[i] mod modulus, non-negative exponents (spec §10.2).

    Pippenger's bucket method: the exponents are cut into windows and, window
    by window from the top, bases are multiplied into 2^w − 1 buckets by
    their digit and the buckets summed by a running product. A window of w
    bits where N exponents still have digits costs about N + 2^(w+1)
    multiplications, instead of 1.5·w·N for separate powers. The widths are
    chosen per window (:func:`window_widths`), so that bits where only a few
    long exponents remain (a ciphertext's exponent next to short weights) get
    narrower windows than bits where every exponent has digits.
    """
    if len(bases) != len(exponents):
        raise ValueError("bases and exponents differ in length")
    m = mpz(modulus)
    items = [(mpz(b) % m, mpz(e)) for b, e in zip(bases, exponents, strict=True) if e != 0]
    if any(e < 0 for _, e in items):
        raise ValueError("negative exponent")
    if not items:
        return 1 % modulus
    if len(items) == 1:
        return int(gmpy2.powmod(items[0][0], items[0][1], m))
    items.sort(key=lambda item: item[1].bit_length(), reverse=True)
    lengths = [int(e.bit_length()) for _, e in items]
    widths = window_widths(lengths)
    shift = sum(widths)
    active = 0
    acc = mpz(1)
    for w in reversed(widths):
        shift -= w
        if acc != 1:
            for _ in range(w):
                acc = acc * acc % m
        # longest first: items[:active] are those longer than ``shift``, the others
        # have no digit in this window or above
        while active < len(items) and lengths[active] > shift:
            active += 1
        mask = (1 << w) - 1
        buckets: list[mpz | None] = [None] * (mask + 1)
        for k in range(active):
            b, e = items[k]
            d = int((e >> shift) & mask)
            if d:
                cur = buckets[d]
                buckets[d] = b if cur is None else cur * b % m
        running: mpz | None = None
        total: mpz | None = None
        for d in range(mask, 0, -1):
            bd = buckets[d]
            if bd is not None:
                running = bd if running is None else running * bd % m
            if running is not None:
                total = running if total is None else total * running % m
        if total is not None:
            acc = acc * total % m
    return int(acc)


MAX_WINDOW = 16
"""Widest Pippenger window (2^16 buckets)."""

_PLAN_MAX_BITS = 1024
"""Longest exponents whose windows are planned bit by bit; longer ones get one width."""


def window_widths(lengths: Sequence[int]) -> list[int]:
    """Window widths, lowest window first, for exponents of these bit lengths.

    A window of w bits starting at bit ``lo`` costs about
    N_lo + min(N_lo, 2^w) + 2^w + w multiplications, N_lo being the number of
    exponents longer than ``lo`` (bucket products, running products, the
    total, and the squarings). Up to 1024 bits a dynamic program over the bit
    positions minimizes the sum; longer exponents (few, as in the combination
    of decryption shares) get the best uniform width.
    """
    bits = max(lengths)
    count = len(lengths)
    ending = [0] * (bits + 1)
    for length in lengths:
        ending[length] += 1
    active = []  # active[lo]: exponents longer than lo
    left = count
    for lo in range(bits):
        left -= ending[lo]
        active.append(left)

    def cost(lo: int, w: int) -> int:
        n_lo = active[lo]
        return n_lo + min(n_lo, 1 << w) + (1 << w) + w

    if bits > _PLAN_MAX_BITS:
        best_w = min(
            range(1, MAX_WINDOW + 1),
            key=lambda w: sum(cost(lo, w) for lo in range(0, bits, w)),
        )
        return [best_w] * ((bits + best_w - 1) // best_w)
    best = [0] * (bits + 1)
    choice = [0] * (bits + 1)
    for lo in range(bits - 1, -1, -1):
        options = (
            (cost(lo, w) + best[lo + w], w) for w in range(1, min(MAX_WINDOW, bits - lo) + 1)
        )
        best[lo], choice[lo] = min(options)
    widths = []
    lo = 0
    while lo < bits:
        widths.append(choice[lo])
        lo += choice[lo]
    return widths
