"""Bisection over batches (docs/spec.md §10.3)."""

from __future__ import annotations

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
