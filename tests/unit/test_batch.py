"""Bisection over batches (docs/spec.md §10.3)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiemphieu.crypto.primitives.numbers import multi_powmod
from kiemphieu.crypto.primitives.proofs.batch import find_bad, weights


@given(st.lists(st.booleans(), max_size=40))
def test_find_bad_names_exactly_the_false_items(flags):
    calls = []

    def check(group):
        calls.append(len(group))
        return all(group)

    assert find_bad(flags, check) == tuple(i for i, ok in enumerate(flags) if not ok)


def test_weights_are_fresh_and_nonzero():
    w = weights(64)
    assert len(set(w)) == 64
    assert all(0 < d < 1 << 128 for d in w)


@given(
    st.lists(st.tuples(st.integers(1, 10**40), st.integers(0, 2**300)), min_size=0, max_size=30),
    st.integers(3, 10**50),
)
def test_multi_powmod_matches_pow(pairs, modulus):
    expected = 1 % modulus
    for b, e in pairs:
        expected = expected * pow(b, e, modulus) % modulus
    got = multi_powmod([b for b, _ in pairs], [e for _, e in pairs], modulus)
    assert got == expected


def _naive(bases, exponents, modulus):
    out = 1 % modulus
    for b, e in zip(bases, exponents, strict=True):
        out = out * pow(b, e, modulus) % modulus
    return out


def test_multi_powmod_on_the_shapes_of_the_batches():
    rnd = random.Random(2024)
    modulus = rnd.getrandbits(1024) | 1 << 1023 | 1
    bases = [rnd.randrange(modulus) for _ in range(300)]
    cases = [
        # membership batch: 128-bit weights, ciphertext exponents Σ e·δ of ~258 bits
        [rnd.getrandbits(128) for _ in range(240)] + [rnd.getrandbits(258) for _ in range(60)],
        # tally packing: powers of two
        [1 << (24 * (i % 40)) for i in range(300)],
        # equal exponents, zeros, and one exponent far above the others
        [5] * 100 + [0] * 100 + [rnd.getrandbits(16) for _ in range(99)] + [1 << 3000],
        # decryption batch: a few long exponents
        [rnd.getrandbits(6500) for _ in range(5)] + [0] * 295,
    ]
    for exponents in cases:
        assert multi_powmod(bases, exponents, modulus) == _naive(bases, exponents, modulus)
    # two bases: the Euclid-like tail, with large and with unit quotients
    for exponents in ([(1 << 300) + 7, (1 << 299) + 3], [3, 1 << 900], [2**64, 2**64]):
        pair = bases[:2]
        assert multi_powmod(pair, exponents, modulus) == _naive(pair, exponents, modulus)
    # non-units and zero as bases
    assert multi_powmod([0, 6, 9], [3, 2, 1], 12) == _naive([0, 6, 9], [3, 2, 1], 12)
    assert multi_powmod([6, 9], [0, 0], 12) == 1
    with pytest.raises(ValueError):
        multi_powmod([2, 3], [1, -1], 101)
    with pytest.raises(ValueError):
        multi_powmod([2, 3], [1], 101)
