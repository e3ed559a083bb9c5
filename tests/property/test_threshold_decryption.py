"""Properties of threshold decryption (docs/spec.md §5): any t of ℓ trustees
decrypt any ciphertext, sums included, and honest proofs always verify."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kiemphieu.crypto.primitives.combination import (
    batch_verify_decryption_shares,
    combine,
    decryption_share,
    verify_decryption_share,
)
from kiemphieu.crypto.primitives.paillier import PublicKey
from kiemphieu.crypto.primitives.threshold import Dealing

N_BITS = 512
plaintexts = st.integers(min_value=0, max_value=(1 << (N_BITS - 1)) - 1)
subsets = st.lists(st.integers(min_value=1, max_value=5), min_size=3, max_size=5, unique=True)


def _decrypt(dealing: Dealing, c: int, trustees: list[int], context: bytes) -> int:
    pk = dealing.public
    verified = [
        verify_decryption_share(pk, c, decryption_share(dealing.shares[i - 1], c, context), context)
        for i in trustees
    ]
    return combine(pk, c, verified)


@settings(max_examples=40, deadline=None)
@given(m=plaintexts, trustees=subsets)
def test_any_t_subset_decrypts(
    dealing: Dealing, public_key: PublicKey, context: bytes, m: int, trustees: list[int]
) -> None:
    c = public_key.encrypt(m)
    assert _decrypt(dealing, c, trustees, context) == m


@settings(max_examples=25, deadline=None)
@given(ms=st.lists(plaintexts, min_size=2, max_size=6), trustees=subsets)
def test_sum_of_ciphertexts_decrypts_to_the_sum(
    dealing: Dealing, public_key: PublicKey, context: bytes, ms: list[int], trustees: list[int]
) -> None:
    total = 1
    for m in ms:
        total = public_key.add(total, public_key.encrypt(m))
    assert _decrypt(dealing, total, trustees, context) == sum(ms) % public_key.n


@settings(max_examples=25, deadline=None)
@given(
    ms=st.lists(plaintexts, min_size=1, max_size=4),
    trustees=subsets,
    seed=st.binary(min_size=32, max_size=32),
)
def test_honest_proofs_verify_single_and_batched(
    dealing: Dealing,
    public_key: PublicKey,
    ms: list[int],
    trustees: list[int],
    seed: bytes,
) -> None:
    pk = dealing.public
    items = []
    for m in ms:
        c = public_key.encrypt(m)
        items += [(c, decryption_share(dealing.shares[i - 1], c, seed)) for i in trustees]
    singles = [verify_decryption_share(pk, c, share, seed) for c, share in items]
    assert batch_verify_decryption_shares(pk, items, seed) == tuple(singles)
