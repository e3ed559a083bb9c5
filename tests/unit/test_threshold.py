"""Threshold key dealing, key shares and verification keys (docs/spec.md §4)."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from kiemphieu.crypto.errors import InvalidElement, InvalidShare, ParameterError
from kiemphieu.crypto.primitives import combination, threshold
from kiemphieu.crypto.primitives.numbers import powmod
from kiemphieu.crypto.primitives.paillier import KeyPolicy
from kiemphieu.crypto.primitives.threshold import (
    Dealing,
    KeyShare,
    ThresholdPublicKey,
    VerifiedKeyShare,
    check_share,
    check_verification_keys,
    deal,
)

# --- key policy ----------------------------------------------------------------


@pytest.mark.parametrize("bits", [512, 1024, 2048])
def test_standard_policy_refuses_short_moduli(bits: int) -> None:
    with pytest.raises(ParameterError):
        KeyPolicy.STANDARD.check_bits(bits)
    with pytest.raises(ParameterError):
        deal("e", bits, 2, 3, KeyPolicy.STANDARD, verifiers=[])  # refused before any prime is made


def test_short_lived_policy_accepts_2048() -> None:
    KeyPolicy.SHORT_LIVED.check_bits(2048)
    KeyPolicy.STANDARD.check_bits(3072)
    with pytest.raises(ParameterError):
        KeyPolicy.SHORT_LIVED.check_bits(1024)


# --- dealing -------------------------------------------------------------------


def test_dealing_shape(dealing: Dealing, threshold_key: ThresholdPublicKey) -> None:
    pk = threshold_key
    assert (pk.t, pk.l, pk.delta) == (3, 5, 120)
    assert pk.n.bit_length() == 512
    assert pk.n2 == pk.n * pk.n
    assert pk.public_key.n == pk.n
    assert [s.index for s in dealing.shares] == [1, 2, 3, 4, 5]
    assert all(s.public == pk for s in dealing.shares)
    assert pk.v == threshold.derive_v("test-election", pk.n)
    assert dealing.test_plaintext == threshold.ceremony_plaintext("test-election", pk.n)


def test_secrets_stay_out_of_reprs(dealing: Dealing) -> None:
    share = dealing.shares[0]
    assert str(share.s) not in repr(share)
    assert "shares" not in repr(dealing)
    assert str(share.s) not in repr(dealing)


def test_v_is_a_deterministic_square_unit(threshold_key: ThresholdPublicKey) -> None:
    n = threshold_key.n
    v = threshold.derive_v("test-election", n)
    assert v == threshold.derive_v("test-election", n)
    assert v != threshold.derive_v("other-election", n)
    assert 0 < v < n * n


def test_ceremony_test_ciphertext_decrypts_with_every_subset(
    dealing: Dealing, context: bytes
) -> None:
    pk, c = dealing.public, dealing.test_ciphertext
    verified = [
        combination.verify_decryption_share(
            pk, c, combination.decryption_share(s, c, context), context
        )
        for s in dealing.shares
    ]
    for subset in itertools.combinations(verified, pk.t):
        assert combination.combine(pk, c, subset) == dealing.test_plaintext


@pytest.mark.parametrize(("t", "l"), [(0, 3), (4, 3), (2, 256)])
def test_deal_refuses_bad_threshold(
    t: int,
    l: int,  # noqa: E741
    test_primes: tuple[int, int],
    test_committee,
) -> None:
    verifiers = (test_committee.verifiers * 60)[:l]
    with pytest.raises(ParameterError):
        deal("e", 512, t, l, KeyPolicy.TESTING, primes=test_primes, verifiers=verifiers)


def test_deal_refuses_a_missing_verifier(test_primes: tuple[int, int], test_committee) -> None:
    with pytest.raises(ParameterError, match="all ℓ = 3 trustees"):
        deal(
            "e", 512, 2, 3, KeyPolicy.TESTING, primes=test_primes,
            verifiers=test_committee.verifiers[:2],
        )  # fmt: skip


def test_deal_refuses_bad_primes(test_primes: tuple[int, int], test_committee) -> None:
    p, q = test_primes
    verifiers = test_committee.verifiers[:3]
    with pytest.raises(ParameterError):
        deal("e", 512, 2, 3, KeyPolicy.TESTING, primes=(p, p), verifiers=verifiers)
    with pytest.raises(ParameterError):
        deal("e", 512, 2, 3, KeyPolicy.TESTING, primes=(p, q + 2), verifiers=verifiers)
    with pytest.raises(ParameterError):
        deal("e", 1024, 2, 3, KeyPolicy.TESTING, primes=(p, q), verifiers=verifiers)


def test_deal_with_fixed_inputs_is_deterministic(
    test_primes: tuple[int, int], test_committee
) -> None:
    verifiers = test_committee.verifiers[:4]
    coins = [[3 + i, 5, 7, 11, 13, 17, 19, 23] for i in range(4)]
    kwargs = {
        "primes": test_primes,
        "coefficients": [5, 7],
        "test_r": 11,
        "verifiers": verifiers,
        "factor_coins": coins,
    }
    one = deal("kat", 512, 3, 4, KeyPolicy.TESTING, **kwargs)  # type: ignore[arg-type]
    two = deal("kat", 512, 3, 4, KeyPolicy.TESTING, **kwargs)  # type: ignore[arg-type]
    assert one == two
    assert len(one.factor_proofs) == 4
    with pytest.raises(ParameterError):
        deal(
            "kat", 512, 3, 4, KeyPolicy.TESTING, primes=test_primes, coefficients=[5],
            verifiers=verifiers,
        )  # fmt: skip


def test_public_key_shape_is_checked(threshold_key: ThresholdPublicKey) -> None:
    pk = threshold_key
    with pytest.raises(ParameterError):
        ThresholdPublicKey(pk.n, pk.v, pk.vks, 6)
    with pytest.raises(ParameterError):
        ThresholdPublicKey(pk.n, pk.v, pk.vks, 0)
    with pytest.raises(ParameterError):
        ThresholdPublicKey(pk.n + 1, pk.v, pk.vks, 3)
    with pytest.raises(ParameterError):
        ThresholdPublicKey(pk.n, pk.v, (), 1)
    with pytest.raises(ParameterError):
        KeyShare(6, 1, pk)


# --- key shares ----------------------------------------------------------------


def test_every_honest_share_checks(dealing: Dealing) -> None:
    for share in dealing.shares:
        verified = check_share(share)
        assert isinstance(verified, VerifiedKeyShare) and verified.share is share


def test_wrong_share_fails(dealing: Dealing) -> None:
    share = dealing.shares[1]
    for bad in (share.s + 1, dealing.shares[2].s, share.s + share.public.n2):
        with pytest.raises(InvalidShare, match="key share 2"):
            check_share(dataclasses.replace(share, s=bad))
    with pytest.raises(InvalidShare):
        check_share(dataclasses.replace(share, index=3))


def test_wrong_share_message_carries_no_secret(dealing: Dealing) -> None:
    share = dealing.shares[0]
    with pytest.raises(InvalidShare) as info:
        check_share(dataclasses.replace(share, s=share.s + 1))
    assert str(share.s) not in str(info.value) and str(share.s + 1) not in str(info.value)


def test_verified_key_share_cannot_be_forged(dealing: Dealing) -> None:
    with pytest.raises(TypeError):
        VerifiedKeyShare(dealing.shares[0])


# --- verification keys -----------------------------------------------------------


def test_verification_keys_are_consistent(threshold_key: ThresholdPublicKey) -> None:
    check_verification_keys(threshold_key)
    check_verification_keys(threshold_key, election_id="test-election")


@pytest.mark.parametrize("j", [1, 2, 3, 4, 5])
def test_replaced_verification_key_fails(threshold_key: ThresholdPublicKey, j: int) -> None:
    pk = threshold_key
    other = powmod(pk.v, 12345, pk.n2)
    vks = list(pk.vks)
    vks[j - 1] = other
    with pytest.raises(InvalidShare) as info:
        check_verification_keys(dataclasses.replace(pk, vks=tuple(vks)))
    # A replaced key outside S = {1..t} is named; one inside S breaks every j ∉ S.
    assert f"v_{j if j > pk.t else pk.t + 1} " in str(info.value)


def test_non_unit_verification_key_fails(threshold_key: ThresholdPublicKey) -> None:
    pk = threshold_key
    vks = list(pk.vks)
    vks[3] = pk.n
    with pytest.raises(InvalidShare, match="v_4"):
        check_verification_keys(dataclasses.replace(pk, vks=tuple(vks)))


def test_bad_v_fails(threshold_key: ThresholdPublicKey) -> None:
    pk = threshold_key
    with pytest.raises(InvalidElement):
        check_verification_keys(dataclasses.replace(pk, v=0))
    with pytest.raises(InvalidElement):
        check_verification_keys(pk, election_id="another-election")
