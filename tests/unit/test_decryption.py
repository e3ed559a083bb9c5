"""Decryption shares, their proofs, batching and combination (docs/spec.md §5, §10.3)."""

from __future__ import annotations

import dataclasses

import pytest

from kiemphieu.crypto.errors import (
    BatchFailure,
    CombinationError,
    InvalidElement,
    InvalidProof,
    InvalidShare,
    ParameterError,
)
from kiemphieu.crypto.primitives import combination
from kiemphieu.crypto.primitives.combination import (
    DecryptionShare,
    VerifiedDecryptionShare,
    batch_verify_decryption_shares,
    combine,
    decryption_share,
    verify_decryption_share,
)
from kiemphieu.crypto.primitives.numbers import powmod
from kiemphieu.crypto.primitives.paillier import PublicKey
from kiemphieu.crypto.primitives.proofs.decryption import (
    DecryptionProof,
    DecryptionStatement,
    decryption_challenge,
    mask_bits,
)
from kiemphieu.crypto.primitives.threshold import Dealing, ThresholdPublicKey


@pytest.fixture(scope="module")
def ciphertext(public_key: PublicKey) -> int:
    return public_key.encrypt(424242)


@pytest.fixture(scope="module")
def shares(dealing: Dealing, ciphertext: int, context: bytes) -> list[DecryptionShare]:
    return [decryption_share(s, ciphertext, context) for s in dealing.shares]


def _reject_single_and_batch(
    pk: ThresholdPublicKey, c: int, share: DecryptionShare, context: bytes, error: type[Exception]
) -> None:
    with pytest.raises(error):
        verify_decryption_share(pk, c, share, context)
    with pytest.raises(BatchFailure) as info:
        batch_verify_decryption_shares(pk, [(c, share)], context)
    assert info.value.bad == (0,)


# --- single verification -----------------------------------------------------------


def test_honest_shares_verify(
    threshold_key: ThresholdPublicKey,
    ciphertext: int,
    shares: list[DecryptionShare],
    context: bytes,
) -> None:
    for share in shares:
        verified = verify_decryption_share(threshold_key, ciphertext, share, context)
        assert (verified.index, verified.ci, verified.c) == (share.index, share.ci, ciphertext)


@pytest.mark.parametrize("field", ["a", "b", "z"])
def test_tampered_proof_field_fails(
    threshold_key: ThresholdPublicKey,
    ciphertext: int,
    shares: list[DecryptionShare],
    context: bytes,
    field: str,
) -> None:
    share = shares[0]
    value = getattr(share.proof, field)
    for bad in (value + 1, value * 4 % threshold_key.n2):
        tampered = dataclasses.replace(
            share, proof=dataclasses.replace(share.proof, **{field: bad})
        )
        _reject_single_and_batch(threshold_key, ciphertext, tampered, context, InvalidProof)


def test_tampered_ci_and_index_fail(
    threshold_key: ThresholdPublicKey,
    ciphertext: int,
    shares: list[DecryptionShare],
    context: bytes,
) -> None:
    pk, share = threshold_key, shares[1]
    for tampered in (
        dataclasses.replace(share, ci=share.ci * 2 % pk.n2),
        dataclasses.replace(share, ci=shares[2].ci),
        dataclasses.replace(share, index=3),
    ):
        _reject_single_and_batch(pk, ciphertext, tampered, context, InvalidProof)
    for index in (0, 6):
        _reject_single_and_batch(
            pk, ciphertext, dataclasses.replace(share, index=index), context, InvalidShare
        )


@pytest.mark.parametrize("field", ["a", "b", "ci"])
def test_non_units_are_refused(
    threshold_key: ThresholdPublicKey,
    ciphertext: int,
    shares: list[DecryptionShare],
    context: bytes,
    field: str,
) -> None:
    pk, share = threshold_key, shares[0]
    for bad in (0, pk.n, pk.n2, pk.n2 + 1):
        if field == "ci":
            tampered = dataclasses.replace(share, ci=bad)
        else:
            tampered = dataclasses.replace(
                share, proof=dataclasses.replace(share.proof, **{field: bad})
            )
        _reject_single_and_batch(pk, ciphertext, tampered, context, InvalidElement)


def test_z_out_of_range_is_refused(
    threshold_key: ThresholdPublicKey,
    ciphertext: int,
    shares: list[DecryptionShare],
    context: bytes,
) -> None:
    share = shares[0]
    bits = mask_bits(threshold_key.n, threshold_key.delta)
    for z in (-1, 1 << (bits + 1)):
        tampered = dataclasses.replace(share, proof=dataclasses.replace(share.proof, z=z))
        _reject_single_and_batch(threshold_key, ciphertext, tampered, context, InvalidProof)


def test_other_context_or_ciphertext_fails(
    threshold_key: ThresholdPublicKey,
    public_key: PublicKey,
    ciphertext: int,
    shares: list[DecryptionShare],
    context: bytes,
) -> None:
    other = bytes(32)
    _reject_single_and_batch(threshold_key, ciphertext, shares[0], other, InvalidProof)
    c2 = public_key.encrypt(424242)
    _reject_single_and_batch(threshold_key, c2, shares[0], context, InvalidProof)
    with pytest.raises(ParameterError):
        verify_decryption_share(threshold_key, ciphertext, shares[0], context[:31])


def test_fixed_mask_gives_a_fixed_share(dealing: Dealing, ciphertext: int, context: bytes) -> None:
    one = decryption_share(dealing.shares[0], ciphertext, context, r=12345)
    assert one == decryption_share(dealing.shares[0], ciphertext, context, r=12345)
    bits = mask_bits(dealing.public.n, dealing.public.delta)
    with pytest.raises(ParameterError):
        decryption_share(dealing.shares[0], ciphertext, context, r=1 << bits)


# --- order-2 tweaks ---------------------------------------------------------------


def _prove_with_tweak(
    dealing: Dealing,
    index: int,
    c: int,
    context: bytes,
    *,
    flip_a: bool,
    flip_b: bool,
    flip_ci: bool,
) -> DecryptionShare:
    """A trustee that multiplies a, b or c_i by −1 *before* hashing."""
    pk = dealing.public
    n2, x = pk.n2, pk.delta * dealing.shares[index - 1].s
    ci = powmod(c, 2 * x, n2)
    ci = n2 - ci if flip_ci else ci
    stmt = DecryptionStatement(pk.n, pk.v, pk.vk(index), index, c, ci, pk.delta)
    r = 987654321
    a, b = powmod(c, 4 * r, n2), powmod(pk.v, r, n2)
    a, b = (n2 - a if flip_a else a), (n2 - b if flip_b else b)
    e = decryption_challenge(stmt, context, a, b)
    return DecryptionShare(index, ci, DecryptionProof(a, b, r + e * x))


@pytest.mark.parametrize("flips", ["a", "b", "a,b,ci"])
def test_order_two_tweak_before_hashing_is_accepted_by_both_paths(
    dealing: Dealing, ciphertext: int, context: bytes, flips: str
) -> None:
    """Spec §5.2: the canonical check is the squared equation, so a ±1 factor put
    in by the prover is invisible to the single *and* the batch check (a plain
    batch would pass it only for even weights). It is harmless: combination
    raises c_i to even powers, and the tweaked share still decrypts right."""
    pk = dealing.public
    flip = flips.split(",")
    tweaked = _prove_with_tweak(
        dealing,
        2,
        ciphertext,
        context,
        flip_a="a" in flip,
        flip_b="b" in flip,
        flip_ci="ci" in flip,
    )
    if "a" in flip:  # the unsquared equation (c⁴)^z = a·(c_i²)^e indeed fails
        e = decryption_challenge(
            DecryptionStatement(pk.n, pk.v, pk.vk(2), 2, ciphertext, tweaked.ci, pk.delta),
            context,
            tweaked.proof.a,
            tweaked.proof.b,
        )
        lhs = powmod(ciphertext, 4 * tweaked.proof.z, pk.n2)
        assert lhs != tweaked.proof.a * powmod(tweaked.ci, 2 * e, pk.n2) % pk.n2
    single = verify_decryption_share(pk, ciphertext, tweaked, context)
    (batched,) = batch_verify_decryption_shares(pk, [(ciphertext, tweaked)], context)
    assert single == batched
    others = [
        verify_decryption_share(pk, ciphertext, decryption_share(s, ciphertext, context), context)
        for s in dealing.shares[2:4]
    ]
    assert combine(pk, ciphertext, [single, *others]) == 424242


def test_order_two_tweak_after_hashing_is_refused_by_both_paths(
    threshold_key: ThresholdPublicKey,
    ciphertext: int,
    shares: list[DecryptionShare],
    context: bytes,
) -> None:
    """Spec §5.2: a → n² − a on a finished proof changes the challenge e, so both
    the single and the batch check refuse it."""
    pk, share = threshold_key, shares[0]
    for field in ("a", "b"):
        flipped = pk.n2 - getattr(share.proof, field)
        tampered = dataclasses.replace(
            share, proof=dataclasses.replace(share.proof, **{field: flipped})
        )
        _reject_single_and_batch(pk, ciphertext, tampered, context, InvalidProof)


# --- batches -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def batch12(
    dealing: Dealing, public_key: PublicKey, context: bytes
) -> list[tuple[int, DecryptionShare]]:
    """12 items: 4 ciphertexts × trustees 1, 3, 5."""
    items = []
    for m in (1, 2, 3, 4):
        c = public_key.encrypt(m)
        items += [(c, decryption_share(dealing.shares[i], c, context)) for i in (0, 2, 4)]
    return items


def test_batch_of_12_verifies(
    threshold_key: ThresholdPublicKey, batch12: list[tuple[int, DecryptionShare]], context: bytes
) -> None:
    verified = batch_verify_decryption_shares(threshold_key, batch12, context)
    assert [(v.c, v.share) for v in verified] == batch12
    for k in range(4):
        assert combine(threshold_key, batch12[3 * k][0], verified[3 * k : 3 * k + 3]) == k + 1


@pytest.mark.parametrize("bad", [0, 7, 11])
def test_batch_names_exactly_the_bad_item(
    threshold_key: ThresholdPublicKey,
    batch12: list[tuple[int, DecryptionShare]],
    context: bytes,
    bad: int,
) -> None:
    items = list(batch12)
    c, share = items[bad]
    items[bad] = (
        c,
        dataclasses.replace(share, proof=dataclasses.replace(share.proof, z=share.proof.z + 1)),
    )
    with pytest.raises(BatchFailure) as info:
        batch_verify_decryption_shares(threshold_key, items, context)
    assert info.value.bad == (bad,)


def test_batch_names_range_and_equation_failures_together(
    threshold_key: ThresholdPublicKey,
    batch12: list[tuple[int, DecryptionShare]],
    context: bytes,
) -> None:
    items = list(batch12)
    c, share = items[2]
    items[2] = (c, dataclasses.replace(share, ci=0))
    c, share = items[9]
    items[9] = (batch12[0][0], share)  # a share presented for another ciphertext
    with pytest.raises(BatchFailure) as info:
        batch_verify_decryption_shares(threshold_key, items, context)
    assert info.value.bad == (2, 9)


# --- combination ------------------------------------------------------------------


@pytest.fixture(scope="module")
def verified(
    threshold_key: ThresholdPublicKey,
    ciphertext: int,
    shares: list[DecryptionShare],
    context: bytes,
) -> list[VerifiedDecryptionShare]:
    return [verify_decryption_share(threshold_key, ciphertext, s, context) for s in shares]


def test_combine_uses_first_t(
    threshold_key: ThresholdPublicKey, ciphertext: int, verified: list[VerifiedDecryptionShare]
) -> None:
    assert combine(threshold_key, ciphertext, verified) == 424242
    assert combine(threshold_key, ciphertext, verified[::-1]) == 424242


def test_combine_refuses_too_few_and_duplicates(
    threshold_key: ThresholdPublicKey, ciphertext: int, verified: list[VerifiedDecryptionShare]
) -> None:
    with pytest.raises(CombinationError, match="need 3"):
        combine(threshold_key, ciphertext, verified[:2])
    with pytest.raises(CombinationError, match="repeated"):
        combine(threshold_key, ciphertext, [verified[0], verified[1], verified[0]])


def test_combine_refuses_share_for_another_ciphertext(
    dealing: Dealing,
    public_key: PublicKey,
    ciphertext: int,
    verified: list[VerifiedDecryptionShare],
    context: bytes,
) -> None:
    pk = dealing.public
    c2 = public_key.encrypt(5)
    other = verify_decryption_share(
        pk, c2, decryption_share(dealing.shares[4], c2, context), context
    )
    with pytest.raises(CombinationError, match="another ciphertext"):
        combine(pk, ciphertext, [verified[0], verified[1], other])


def test_combine_refuses_unverified_shares(
    threshold_key: ThresholdPublicKey,
    ciphertext: int,
    shares: list[DecryptionShare],
    verified: list[VerifiedDecryptionShare],
) -> None:
    with pytest.raises(CombinationError, match="verified"):
        combine(threshold_key, ciphertext, [verified[0], verified[1], shares[2]])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        VerifiedDecryptionShare(shares[0], ciphertext, threshold_key.n)


def test_combine_refuses_inconsistent_shares(
    threshold_key: ThresholdPublicKey, ciphertext: int, verified: list[VerifiedDecryptionShare]
) -> None:
    """A (hypothetically) accepted wrong c_i yields c' ≢ 1 (mod n)."""
    forged = object.__new__(VerifiedDecryptionShare)
    bad_share = dataclasses.replace(verified[2].share, ci=verified[2].ci * 2 % threshold_key.n2)
    for name, value in (("share", bad_share), ("c", ciphertext), ("n", threshold_key.n)):
        object.__setattr__(forged, name, value)
    object.__setattr__(forged, "_seal", combination._SEAL)
    with pytest.raises(CombinationError, match="not 1 mod n"):
        combine(threshold_key, ciphertext, [verified[0], verified[1], forged])
